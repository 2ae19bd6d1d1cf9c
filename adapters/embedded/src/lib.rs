//! `no_std` OAuth 2.0 client-credentials client for the Lucca HR API over connections you
//! bring: any [`embedded_io`] (blocking) or [`embedded_io_async`] (async) byte stream —
//! an embassy-net socket wrapped in embedded-tls, an esp-idf TLS socket, an RTOS socket.
//!
//! You hand each call the time from your monotonic clock, the connection(s) and two
//! [`Buffers`]; the adapter is a short driver loop around the core crate [`lucca_auth`]: it
//! asks the core's token machine what to do, writes the request bytes the core's HTTP/1.1
//! codec produces into your request buffer and onto the connection, reads into your response
//! buffer and feeds the codec until the response is complete, and hands the response to the
//! core. Every protocol decision (token expiry and refresh, what a response means, the one
//! retry after a 401) is the core's.
//!
//! ```
//! use lucca_auth::api::ApiResponseClass;
//! use lucca_auth::config::{ClientCredentials, LuccaConfig};
//! use lucca_auth::endpoint::TenantHost;
//! use lucca_auth::secret::{ClientId, ClientSecret};
//! use lucca_auth::time::Instant;
//! use lucca_auth_embedded::{ApiRequest, Buffers, Client};
//! # /// Stands for a TLS connection: replays a canned answer, swallows what is written.
//! # struct Replay(&'static [u8]);
//! # impl embedded_io::ErrorType for Replay { type Error = embedded_io::ErrorKind; }
//! # impl embedded_io::Read for Replay {
//! #     fn read(&mut self, buf: &mut [u8]) -> Result<usize, Self::Error> {
//! #         let n = buf.len().min(self.0.len());
//! #         buf[..n].copy_from_slice(&self.0[..n]);
//! #         self.0 = &self.0[n..];
//! #         Ok(n)
//! #     }
//! # }
//! # impl embedded_io::Write for Replay {
//! #     fn write(&mut self, buf: &[u8]) -> Result<usize, Self::Error> { Ok(buf.len()) }
//! #     fn flush(&mut self) -> Result<(), Self::Error> { Ok(()) }
//! # }
//! # fn connect(host: &str) -> Replay {
//! #     Replay(if host.starts_with("accounts") {
//! #         b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 63\r\n\r\n\
//! #           {\"access_token\":\"AT-1\",\"token_type\":\"Bearer\",\"expires_in\":1800}"
//! #     } else {
//! #         b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 12\r\n\r\n{\"items\":[]}"
//! #     })
//! # }
//! # fn now() -> Instant { Instant::from_millis(0) }
//!
//! let config = LuccaConfig::new(
//!     ClientCredentials::new(ClientId::new("my-app"), ClientSecret::new("s3cr3t")),
//!     TenantHost::parse("https://example.ilucca.net")?,
//! );
//! let mut client = Client::new(&config);
//! // One connection per host, opened (and TLS-wrapped) by you.
//! let mut token_conn = connect("accounts.world.luccasoftware.com");
//! let mut api_conn = connect("example.ilucca.net");
//! let (mut request_buf, mut response_buf) = ([0u8; 1024], [0u8; 4096]);
//!
//! let mut request = ApiRequest::get("/lucca-api/leaves?limit=10");
//! let response = client.send_api(
//!     now(),
//!     &mut token_conn,
//!     &mut api_conn,
//!     &mut request,
//!     Buffers::new(&mut request_buf, &mut response_buf),
//! )?;
//! match response.class() {
//!     ApiResponseClass::Success => assert_eq!(response.body(), br#"{"items":[]}"#),
//!     other => panic!("{other:?}"), // missing scope, rate limited, …: yours to decide
//! }
//! if response.connections().must_reconnect_api() {
//!     api_conn = connect("example.ilucca.net");
//! }
//! # let _ = api_conn;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Connections
//!
//! In production the token endpoint and the tenant's API are different hosts, so you keep one
//! connection to each. A kept-alive connection carries the next request when the server
//! allows it; every result ([`TokenReady::must_reconnect`], [`ApiResponse::connections`],
//! [`Error::connections`]) says which connection you must close and reopen before its next
//! use: after the server said `Connection: close`, after an I/O or HTTP error, after an
//! oversized response. When the connection a 401 retry needs was closed, the call ends with
//! [`Failure::ReconnectAndResend`]: reconnect and call again with the same [`ApiRequest`].
//! [`Client::needs_token_connection`] tells whether a call may need the token connection at
//! all, for callers that open it only then.
//!
//! # Memory
//!
//! Requests are written into your request buffer, responses read and parsed in your response
//! buffer; a response that does not fit is [`Failure::ResponseBufferTooSmall`], never
//! truncated. Response heads are parsed into `HEADERS` slots on the stack
//! ([`Client`]'s const parameter, 32 by default).
//!
//! The adapter itself never allocates. The core needs `alloc` for what it keeps and for some
//! answers it decodes:
//! - always: the token machine's configuration (at [`Client::new`]) and the access token and
//!   granted scopes of each token response it accepts (JSON decoded into owned values, once
//!   per token, ~every 25 minutes);
//! - on failures: the texts of a [`TokenError`](lucca_auth::token_response::TokenError) (OAuth
//!   error description, a sanitized body excerpt), the scopes named by a 403, the
//!   problem+json of a fatal API status (feature `problem-details`).
//!
//! Nothing on the request path allocates: a token request is written without allocating
//! with either client authentication method (the `Authorization: Basic` value goes into the
//! response buffer while the request is written, and is wiped after), and an API call with a
//! cached token allocates nothing when the answer is a 2xx (however large or framed), a 429
//! or a 5xx (`tests/allocations.rs` counts).
//!
//! # Features
//!
//! - `problem-details` (default): the core decodes the `application/problem+json` body of a
//!   fatal API status into [`ApiResponseClass::Fatal`](lucca_auth::api::ApiResponseClass::Fatal)'s
//!   `problem`. Without it `problem` is `None` (the body is still in the [`ApiResponse`]) and
//!   the firmware saves about 5 KiB of flash (README, "Footprint").
//!
//! # Why `embedded-io`
//!
//! `embedded-io` and `embedded-io-async` are the Rust Embedded Working Group's byte-stream
//! traits, the I/O layer of the embedded-hal family. embassy-net's `TcpSocket`, embedded-tls's
//! `TlsConnection`, esp-idf-svc's sockets and smoltcp wrappers implement them, and
//! `embedded-io-adapters` bridges `std::io` and tokio, so one driver serves every stack that
//! brings its own TCP and TLS, with no allocator or runtime of its own.
#![no_std]
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod asynch;
mod blocking;
mod buffers;
mod call;
mod client;
mod error;
mod reader;
mod request;
mod response;

pub use buffers::Buffers;
pub use client::{Client, DEFAULT_HEADER_SLOTS};
pub use error::{Connections, Error, Failure, Host};
pub use request::ApiRequest;
pub use response::{ApiResponse, TokenReady};
