//! A Cortex-M4F firmware that gets a Lucca access token and makes one API call with
//! `lucca-auth-embedded`, to measure what the client costs in flash. The connection is a stub
//! that replays a canned answer: it stands where a TLS socket (embassy-net + embedded-tls, an
//! RTOS socket, …) goes, so the size measured is the client's, without TCP or TLS.
#![no_std]
#![no_main]
// The one `unsafe` is handing the heap its memory, which no safe API can do.
#![deny(unsafe_op_in_unsafe_fn)]

use core::hint::black_box;

use cortex_m_rt::entry;
use embedded_alloc::LlffHeap as Heap;
use lucca_auth::config::{ClientCredentials, LuccaConfig};
use lucca_auth::endpoint::TenantHost;
use lucca_auth::secret::{ClientId, ClientSecret};
use lucca_auth::time::Instant;
use lucca_auth_embedded::{ApiRequest, Buffers, Client};
use panic_halt as _;

/// The heap holds the configuration and the token: 8 KiB is plenty.
#[global_allocator]
static HEAP: Heap = Heap::empty();
const HEAP_SIZE: usize = 8 * 1024;
static mut HEAP_MEMORY: [u8; HEAP_SIZE] = [0; HEAP_SIZE];

const TOKEN_RESPONSE: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\
    Content-Length: 65\r\n\r\n\
    {\"access_token\":\"AT-device\",\"token_type\":\"Bearer\",\"expires_in\":1800}";
const API_RESPONSE: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\
    Transfer-Encoding: chunked\r\n\r\nC\r\n{\"items\":[]}\r\n0\r\n\r\n";

/// Stands for the caller's TLS connection: answers each request with `answer`.
struct StubConnection {
    answer: &'static [u8],
    read: usize,
}

impl embedded_io::ErrorType for StubConnection {
    type Error = embedded_io::ErrorKind;
}

impl embedded_io::Read for StubConnection {
    fn read(&mut self, buf: &mut [u8]) -> Result<usize, Self::Error> {
        let rest = self.answer.get(self.read..).unwrap_or_default();
        let n = rest.len().min(buf.len());
        if let (Some(dest), Some(src)) = (buf.get_mut(..n), rest.get(..n)) {
            dest.copy_from_slice(src);
        }
        self.read += n;
        Ok(n)
    }
}

impl embedded_io::Write for StubConnection {
    fn write(&mut self, buf: &[u8]) -> Result<usize, Self::Error> {
        black_box(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> Result<(), Self::Error> {
        self.read = 0;
        Ok(())
    }
}

#[entry]
fn main() -> ! {
    // SAFETY: called once, before any allocation, with memory nothing else uses.
    unsafe { HEAP.init(&raw mut HEAP_MEMORY as usize, HEAP_SIZE) }

    let Ok(tenant) = TenantHost::parse("https://example.ilucca.net") else {
        halt()
    };
    let config = LuccaConfig::new(
        ClientCredentials::new(
            ClientId::new("my-device"),
            ClientSecret::new("device-secret"),
        ),
        tenant,
    );
    let mut client = Client::new(&config);
    let mut token_conn = StubConnection {
        answer: black_box(TOKEN_RESPONSE),
        read: 0,
    };
    let mut api_conn = StubConnection {
        answer: black_box(API_RESPONSE),
        read: 0,
    };
    let mut request = [0u8; 1024];
    let mut response = [0u8; 2048];
    // Your monotonic clock, in milliseconds.
    let now = Instant::from_millis(black_box(0));

    match client.token(
        now,
        &mut token_conn,
        Buffers::new(&mut request, &mut response),
    ) {
        Ok(ready) => {
            black_box(ready.generation());
        }
        Err(error) => {
            black_box(error.failure());
        }
    }
    let mut leaves = ApiRequest::get("/lucca-api/leaves?limit=10");
    match client.send_api(
        now,
        &mut token_conn,
        &mut api_conn,
        &mut leaves,
        Buffers::new(&mut request, &mut response),
    ) {
        Ok(answer) => {
            black_box((answer.status(), answer.body(), answer.class()));
        }
        Err(error) => {
            black_box(error.failure());
        }
    }
    halt()
}

fn halt() -> ! {
    loop {
        cortex_m::asm::wfi();
    }
}
