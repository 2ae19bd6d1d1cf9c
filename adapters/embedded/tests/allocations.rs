//! What allocates: an API call with a cached token allocates nothing, whatever the status
//! the core classifies without decoding text (2xx, 401 retry aside, 429, 5xx) and however
//! the body is framed; writing and sending a token request allocates nothing with either
//! client authentication method (the `Authorization: Basic` value is written into the
//! caller's buffer); accepting a token response allocates in the core (the token and scopes
//! it keeps). One test in this binary, so no other test thread allocates while it counts.

mod common;

use std::alloc::System;

use common::*;
use lucca_auth::config::ClientAuthMethod;
use lucca_auth_embedded::{ApiRequest, Buffers, Client};
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, Stats, StatsAlloc};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// A connection that answers every request with the same bytes and discards what is written,
/// without allocating. It notes the allocator's counters when a request is complete (at its
/// flush), so a test can tell the request path from the handling of the answer.
struct Fixed {
    response: &'static [u8],
    pos: usize,
    at_flush: Option<Stats>,
}

impl Fixed {
    fn new(response: &'static [u8]) -> Self {
        Fixed {
            response,
            pos: 0,
            at_flush: None,
        }
    }
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
        self.at_flush = Some(GLOBAL.stats());
        Ok(())
    }
}

#[test]
fn the_request_path_allocates_nothing() {
    api_calls_with_a_cached_token_allocate_nothing();
    for method in [ClientAuthMethod::RequestBody, ClientAuthMethod::HttpBasic] {
        token_requests_allocate_nothing(method);
    }
}

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
        let mut token_conn = Fixed::new(b"");
        let mut api_conn = Fixed::new(response);
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
}

/// A token fetch with `method`: nothing allocated until the request is sent, then the
/// core's copies of B05's token and scopes, the same count for both methods.
fn token_requests_allocate_nothing(method: ClientAuthMethod) {
    let mut client = Client::new(&config(method));
    let (mut request_buf, mut response_buf) = ([0u8; 1024], [0u8; 1024]);
    let mut token_conn = Fixed::new(B05);
    let region = Region::new(GLOBAL);
    let fetched = client
        .token(
            T0,
            &mut token_conn,
            Buffers::new(&mut request_buf, &mut response_buf),
        )
        .map(|ready| ready.generation().get());
    let whole = region.change();
    assert_eq!(fetched, Ok(1), "{method:?}");
    let sent = token_conn.at_flush.expect("the request was sent") - region.initial();
    assert_eq!(
        (sent.allocations, sent.reallocations),
        (0, 0),
        "{method:?}: writing and sending the token request"
    );
    assert_eq!(
        (whole.allocations, whole.reallocations),
        (5, 0),
        "{method:?}: the whole token fetch"
    );
}
