//! What allocates: an API call with a cached token allocates nothing, whatever the status
//! the core classifies without decoding text (2xx, 401 retry aside, 429, 5xx) and however
//! the body is framed; fetching a token allocates in the core (the token and scopes it keeps).
//! One test in this binary, so no other test thread allocates while it counts.

mod common;

use std::alloc::System;

use common::*;
use lucca_auth_embedded::{ApiRequest, Buffers};
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// A connection that answers every request with the same bytes and discards what is written,
/// without allocating.
struct Fixed {
    response: &'static [u8],
    pos: usize,
}

impl embedded_io::ErrorType for Fixed {
    type Error = embedded_io::ErrorKind;
}

impl embedded_io::Read for Fixed {
    fn read(&mut self, buf: &mut [u8]) -> Result<usize, Self::Error> {
        let rest = &self.response[self.pos..];
        let n = rest.len().min(buf.len()).min(7);
        buf[..n].copy_from_slice(&rest[..n]);
        self.pos += n;
        Ok(n)
    }
}

impl embedded_io::Write for Fixed {
    fn write(&mut self, buf: &[u8]) -> Result<usize, Self::Error> {
        Ok(buf.len())
    }

    fn flush(&mut self) -> Result<(), Self::Error> {
        self.pos = 0;
        Ok(())
    }
}

#[test]
fn api_calls_with_a_cached_token_allocate_nothing() {
    let responses: [&'static [u8]; 5] = [
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 12\r\n\r\n{\"items\":[]}",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{\"ite\r\n7\r\nms\":[]}\r\n0\r\n\r\n",
        b"HTTP/1.1 429 Too Many Requests\r\nRetry-After: 30\r\nContent-Length: 0\r\n\r\n",
        b"HTTP/1.1 503 Service Unavailable\r\nRetry-After: Tue, 03 Mar 2026 10:00:30 GMT\r\nDate: Tue, 03 Mar 2026 10:00:00 GMT\r\nContent-Length: 0\r\n\r\n",
        b"HTTP/1.0 200 OK\r\n\r\n{\"items\":[]}",
    ];
    let mut client = seeded_client();
    let (mut request_buf, mut response_buf) = ([0u8; 1024], [0u8; 1024]);
    for response in responses {
        let mut token_conn = Fixed {
            response: b"",
            pos: 0,
        };
        let mut api_conn = Fixed { response, pos: 0 };
        let mut request = ApiRequest::get("/lucca-api/leaves?limit=10");
        let region = Region::new(GLOBAL);
        let status = client
            .send_api(
                T0,
                &mut token_conn,
                &mut api_conn,
                &mut request,
                Buffers::new(&mut request_buf, &mut response_buf),
            )
            .map(|r| r.status());
        let stats = region.change();
        assert!(status.is_ok(), "{status:?}");
        assert_eq!(
            (stats.allocations, stats.reallocations),
            (0, 0),
            "{}",
            String::from_utf8_lossy(response)
        );
    }

    // For the record: a token fetch allocates in the core (the parsed token and scopes).
    let mut fresh = client_for_counting();
    let mut token_conn = Fixed {
        response: B05,
        pos: 0,
    };
    let region = Region::new(GLOBAL);
    let fetched = fresh
        .token(
            T0,
            &mut token_conn,
            Buffers::new(&mut request_buf, &mut response_buf),
        )
        .map(|ready| ready.generation().get());
    let stats = region.change();
    assert_eq!(fetched, Ok(1));
    assert!(stats.allocations > 0);
    println!("a token fetch: {} allocations", stats.allocations);
}

fn client_for_counting() -> lucca_auth_embedded::Client {
    client()
}
