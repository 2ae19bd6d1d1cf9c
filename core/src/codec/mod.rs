//! The sans-IO HTTP/1.1 codec: writes requests into caller-owned buffers and parses responses
//! pushed in as they arrive, without I/O and without allocating.
//!
//! - [`RequestHead`] writes a request line, `Host`, header fields, `Content-Length` and a
//!   [`RequestBody`] into a `&mut [u8]`; a short buffer is [`WriteError::BufferTooSmall`] with
//!   the exact size needed, and nothing is half-written.
//!
//! - [`ResponseParser`] parses a response pushed in as it arrives (1xx interim responses,
//!   `Content-Length`, chunked with extensions and trailers, close-delimited bodies, limits)
//!   and yields a [`ParsedResponse`], whose [`ParsedResponse::response`] is the borrowed
//!   [`HttpResponse`](crate::response::HttpResponse) the core classifies.
//! - With the `http` feature, the `http_types` module converts to `http::Request` and from
//!   `http::Response`.
//!
//! The codec is behind the default `codec` feature and builds for `no_std` targets.

pub mod chunked;
mod head;
#[cfg(feature = "http")]
pub mod http_types;
pub mod parser;
pub mod request;

pub use chunked::MAX_CHUNK_LINE_LEN;
/// An empty header slot, to fill arrays for [`ParsedResponse::response`] (`[EMPTY_HEADER; 32]`).
pub use httparse::EMPTY_HEADER;
pub use parser::{BodyFraming, Limits, ParseError, ParseStatus, ParsedResponse, ResponseParser};
pub use request::{RequestBody, RequestHead, SliceWriter, WriteError};

/// Whether an HTTP/1.1 connection stays open after a message.
///
/// For a request, what the client asks for ([`ConnectionMode::Close`] writes
/// `Connection: close`). For a parsed response, whether the connection may carry the next
/// request.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum ConnectionMode {
    /// The connection stays open for further requests (HTTP/1.1's default).
    #[default]
    KeepAlive,
    /// The connection is closed after this message.
    Close,
}
