//! [`ResponseParser`]: the push parser that turns the bytes of an HTTP/1.1 response, fed as
//! they arrive into a caller-owned buffer, into an [`HttpResponse`].
//!
//! # States
//!
//! ```text
//!            1xx interim head (100, 103, …): skipped
//!               ┌──────┐
//!               v      │
//!  start ──> [Head] ───┘
//!               │ final head
//!               ├── HEAD request, 1xx final (101), 204, 304 ───────────────> [Done]
//!               ├── Content-Length: n ──> [FixedBody] ── n bytes in ──────> [Done]
//!               ├── Transfer-Encoding: chunked ──> [Chunked] ── 0-chunk,
//!               │                                   trailers, blank line ─> [Done]
//!               └── neither ──> [UntilEof] ── handle_eof ──────────────────> [Done]
//!
//!  any state ── peer error ──> [Failed] (sticky until `reset`)
//! ```
//!
//! # Calling order
//!
//! 1. Append received bytes to the buffer and call [`ResponseParser::handle_bytes`] with the
//!    whole buffer filled so far (always starting at the response's first byte).
//! 2. On [`ParseStatus::Partial`], read more and repeat. When the peer closes the connection,
//!    call [`ResponseParser::handle_eof`] instead: it completes a close-delimited body, and
//!    reports a truncated response as [`ParseError::UnexpectedEof`].
//! 3. On [`ParseStatus::Complete`], call [`ParsedResponse::response`] with the buffer and a
//!    header array to get the [`HttpResponse`]. Bytes from [`ParsedResponse::consumed`] on
//!    belong to the next response: move them to the buffer's start and [`ResponseParser::reset`]
//!    before parsing it, if [`ParsedResponse::connection`] allows reuse.
//!
//! # The buffer is rewritten in place
//!
//! Nothing is allocated: the parser keeps offsets, not data. To give a contiguous body
//! without copying it elsewhere, it edits the caller's buffer:
//!
//! - chunked bodies are de-chunked in place: chunk data moves down over the chunk framing,
//!   so the body is `buf[body_range]` right after the head; the bytes between the body's
//!   end and [`ParsedResponse::consumed`] are left-over framing;
//! - obsolete line folding (a header line starting with SP or HTAB continues the previous
//!   field) is unfolded in place: the line break becomes spaces, as RFC 9112 §5.2 tells a
//!   user agent to do. Real servers still fold long `WWW-Authenticate` or `Set-Cookie`
//!   values; the unfolded value is what the field means.
//!
//! So between calls the caller must only append: bytes already passed in must stay as the
//! parser left them.
//!
//! # Leniency, decided per case
//!
//! - Whitespace between a header name and its colon (`Content-Type : text/plain`) is
//!   accepted and left out of the name (httparse's
//!   `allow_spaces_after_header_name_in_responses`). RFC 9112 §5.1 forbids it only in
//!   requests and requires proxies to strip it; as the final recipient we read it the only way
//!   it can be read, and no intermediary after us can read it differently.
//! - Obsolete line folding is unfolded (above). A continuation line right after the status
//!   line has no field to continue and is an error.
//! - Empty lines before the status line are skipped (RFC 9112 §2.2).
//! - Bare LF line endings are accepted in heads (RFC 9112 §2.2 allows it), not in chunked
//!   framing, where only CRLF is valid.
//! - Status codes below 100 are rejected; other three-digit codes are passed on.
//! - `Content-Length` may repeat, as fields or as a list, only with identical values
//!   (RFC 9110 §8.6); `Content-Length` with `Transfer-Encoding`, or any transfer coding but a
//!   single `chunked`, is an error: a response framed two ways cannot be trusted.
//! - A `Content-Encoding` other than `identity` is reported by
//!   [`ParsedResponse::has_content_coding`]; the body is passed on undecoded.
//!
//! The parser never panics, whatever the bytes and however they are split; it gives the same
//! result for the same bytes whatever the split.

use core::fmt;
use core::ops::Range;

use super::ConnectionMode;
use super::chunked::{ChunkedDecoder, Decoded};
use super::head::{Head, HeadScanner};
use crate::response::{Header, HttpResponse};

/// Caps on what a response may hold, so a hostile or broken peer cannot make the parser
/// buffer without end. A value exactly at a limit is accepted; one over is an error.
///
/// ```
/// use lucca_auth::codec::Limits;
///
/// let limits = Limits::new().with_max_headers(32).with_max_body_len(64 * 1024);
/// assert_eq!(limits.max_headers(), 32);
/// assert_eq!(limits.max_head_len(), 16 * 1024);
/// assert_eq!(limits.max_body_len(), 64 * 1024);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Limits {
    max_headers: usize,
    max_head_len: usize,
    max_body_len: usize,
}

impl Limits {
    /// The defaults: 64 header fields, 16 KiB of head, 1 MiB of body.
    pub const DEFAULT: Limits = Limits {
        max_headers: 64,
        max_head_len: 16 * 1024,
        max_body_len: 1024 * 1024,
    };

    /// The defaults ([`Limits::DEFAULT`]).
    #[must_use]
    pub const fn new() -> Self {
        Limits::DEFAULT
    }

    /// At most `max` header fields in a head ([`ParseError::TooManyHeaders`] beyond).
    /// Folded continuation lines do not count as fields.
    #[must_use]
    pub const fn with_max_headers(mut self, max: usize) -> Self {
        self.max_headers = max;
        self
    }

    /// At most `max` bytes from the first byte of the response to the end of the final
    /// head's blank line, 1xx interim heads included ([`ParseError::HeadTooLarge`] beyond).
    /// The trailer section of a chunked body has the same cap
    /// ([`ParseError::TrailersTooLarge`]).
    #[must_use]
    pub const fn with_max_head_len(mut self, max: usize) -> Self {
        self.max_head_len = max;
        self
    }

    /// At most `max` bytes of (decoded) body ([`ParseError::BodyTooLarge`] beyond).
    #[must_use]
    pub const fn with_max_body_len(mut self, max: usize) -> Self {
        self.max_body_len = max;
        self
    }

    /// The header field count limit.
    #[must_use]
    pub const fn max_headers(&self) -> usize {
        self.max_headers
    }

    /// The head size limit, in bytes.
    #[must_use]
    pub const fn max_head_len(&self) -> usize {
        self.max_head_len
    }

    /// The body size limit, in bytes.
    #[must_use]
    pub const fn max_body_len(&self) -> usize {
        self.max_body_len
    }
}

impl Default for Limits {
    fn default() -> Self {
        Limits::DEFAULT
    }
}

/// Why a response could not be parsed.
///
/// Most variants are the peer's fault (a malformed or oversized response): the connection
/// must then be closed. [`ParseError::is_caller_misuse`] tells the others apart. No variant
/// carries response bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ParseError {
    /// The status line is not `HTTP/1.0` or `HTTP/1.1`, a three-digit code of at least 100
    /// and an optional reason phrase.
    InvalidStatusLine,
    /// A header line is malformed: bad name, control byte in the value, stray CR, or a folded
    /// line with no field to continue.
    InvalidHeader,
    /// The heads (1xx interim ones included) exceed [`Limits::max_head_len`].
    HeadTooLarge {
        /// The limit in force.
        limit: usize,
    },
    /// A head has more fields than [`Limits::max_headers`].
    TooManyHeaders {
        /// The limit in force.
        limit: usize,
    },
    /// A `Content-Length` value is not a decimal number that fits in 64 bits.
    InvalidContentLength,
    /// `Content-Length` values disagree.
    ConflictingContentLength,
    /// Both `Content-Length` and `Transfer-Encoding` are present.
    ContentLengthWithTransferEncoding,
    /// A transfer coding other than a single `chunked` (which is all we ask for).
    UnsupportedTransferEncoding,
    /// A chunk-size line is malformed.
    InvalidChunkSize,
    /// A chunk size does not fit in 64 bits.
    ChunkSizeOverflow,
    /// A chunk-size line is longer than
    /// [`MAX_CHUNK_LINE_LEN`](super::chunked::MAX_CHUNK_LINE_LEN).
    ChunkLineTooLong {
        /// The limit in force.
        limit: usize,
    },
    /// Chunk data is not followed by CRLF.
    InvalidChunkTerminator,
    /// A trailer line is malformed.
    InvalidTrailer,
    /// The trailer section exceeds [`Limits::max_head_len`].
    TrailersTooLarge {
        /// The limit in force.
        limit: usize,
    },
    /// The body exceeds [`Limits::max_body_len`].
    BodyTooLarge {
        /// The limit in force.
        limit: usize,
    },
    /// The connection closed before the response was complete.
    UnexpectedEof,
    /// The connection closed before any byte of a response arrived (typically a kept-alive
    /// connection the server had already closed).
    ClosedBeforeResponse,
    /// Caller misuse: the buffer is shorter than in an earlier call.
    BufferShrunk,
    /// Caller misuse: the buffer's bytes changed since they were parsed.
    BufferChanged,
    /// Caller misuse: the header array given to [`ParsedResponse::response`] is too short.
    HeaderArrayTooSmall {
        /// The number of header fields the response has.
        needed: usize,
    },
}

impl ParseError {
    /// Whether the caller, not the peer, is at fault.
    #[must_use]
    pub fn is_caller_misuse(&self) -> bool {
        matches!(
            self,
            ParseError::BufferShrunk
                | ParseError::BufferChanged
                | ParseError::HeaderArrayTooSmall { .. }
        )
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            ParseError::InvalidStatusLine => f.write_str("invalid HTTP/1.x status line"),
            ParseError::InvalidHeader => f.write_str("invalid header line"),
            ParseError::HeadTooLarge { limit } => {
                write!(f, "response head larger than {limit} bytes")
            }
            ParseError::TooManyHeaders { limit } => {
                write!(f, "more than {limit} header fields")
            }
            ParseError::InvalidContentLength => f.write_str("invalid Content-Length"),
            ParseError::ConflictingContentLength => {
                f.write_str("conflicting Content-Length values")
            }
            ParseError::ContentLengthWithTransferEncoding => {
                f.write_str("both Content-Length and Transfer-Encoding")
            }
            ParseError::UnsupportedTransferEncoding => {
                f.write_str("unsupported Transfer-Encoding (only chunked)")
            }
            ParseError::InvalidChunkSize => f.write_str("invalid chunk-size line"),
            ParseError::ChunkSizeOverflow => f.write_str("chunk size overflows 64 bits"),
            ParseError::ChunkLineTooLong { limit } => {
                write!(f, "chunk-size line longer than {limit} bytes")
            }
            ParseError::InvalidChunkTerminator => f.write_str("chunk data not followed by CRLF"),
            ParseError::InvalidTrailer => f.write_str("invalid trailer line"),
            ParseError::TrailersTooLarge { limit } => {
                write!(f, "trailer section larger than {limit} bytes")
            }
            ParseError::BodyTooLarge { limit } => {
                write!(f, "response body larger than {limit} bytes")
            }
            ParseError::UnexpectedEof => f.write_str("connection closed mid-response"),
            ParseError::ClosedBeforeResponse => {
                f.write_str("connection closed before any response byte")
            }
            ParseError::BufferShrunk => f.write_str("buffer shorter than in an earlier call"),
            ParseError::BufferChanged => f.write_str("buffer changed since it was parsed"),
            ParseError::HeaderArrayTooSmall { needed } => {
                write!(f, "header array too small: {needed} fields")
            }
        }
    }
}

impl core::error::Error for ParseError {}

/// How the body of a response is delimited.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum BodyFraming {
    /// No body: a response to HEAD, 101, 204 or 304.
    None,
    /// `Content-Length` bytes.
    ContentLength,
    /// `Transfer-Encoding: chunked`.
    Chunked,
    /// Everything until the peer closes the connection.
    CloseDelimited,
}

/// What [`ResponseParser::handle_bytes`] and [`ResponseParser::handle_eof`] found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[must_use]
pub enum ParseStatus {
    /// More bytes are needed.
    Partial {
        /// When known, a lower bound on the total buffer length at which the response can be
        /// complete (exact for a `Content-Length` body). A buffer shorter than this can never
        /// hold the response.
        min_len: Option<usize>,
    },
    /// The response is complete.
    Complete(ParsedResponse),
}

/// A complete response: where its parts lie in the caller's buffer and what it says about
/// the connection. Get the [`HttpResponse`] itself with [`ParsedResponse::response`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ParsedResponse {
    status: u16,
    minor_version: u8,
    head: (usize, usize),
    body: (usize, usize),
    consumed: usize,
    header_count: usize,
    interim: usize,
    framing: BodyFraming,
    connection: ConnectionMode,
    content_coded: bool,
}

impl ParsedResponse {
    /// The final status code (1xx interim responses are skipped).
    #[must_use]
    pub fn status(&self) -> u16 {
        self.status
    }

    /// 0 for HTTP/1.0, 1 for HTTP/1.1.
    #[must_use]
    pub fn minor_version(&self) -> u8 {
        self.minor_version
    }

    /// Where the final head lies (status line to blank line).
    #[must_use]
    pub fn head_range(&self) -> Range<usize> {
        self.head.0..self.head.1
    }

    /// Where the complete (de-chunked) body lies.
    #[must_use]
    pub fn body_range(&self) -> Range<usize> {
        self.body.0..self.body.1
    }

    /// The number of buffer bytes this response used (interim responses included); any bytes
    /// after them belong to the next response.
    #[must_use]
    pub fn consumed(&self) -> usize {
        self.consumed
    }

    /// The number of header fields: the header array given to [`ParsedResponse::response`]
    /// needs at least this many slots.
    #[must_use]
    pub fn header_count(&self) -> usize {
        self.header_count
    }

    /// The number of 1xx interim responses skipped.
    #[must_use]
    pub fn interim_responses(&self) -> usize {
        self.interim
    }

    /// How the body was delimited.
    #[must_use]
    pub fn framing(&self) -> BodyFraming {
        self.framing
    }

    /// Whether the connection may carry another request: HTTP/1.1 unless `Connection: close`,
    /// HTTP/1.0 only with `Connection: keep-alive`, never after a close-delimited body, a 101,
    /// or an HTTP/1.0 response with `Transfer-Encoding` (RFC 9112 §6.1). If the request said
    /// `Connection: close`, close it anyway.
    #[must_use]
    pub fn connection(&self) -> ConnectionMode {
        self.connection
    }

    /// Whether a `Content-Encoding` other than `identity` was declared: the body is then
    /// compressed or otherwise coded, and this codec does not decode it. We never ask for a
    /// coding, so callers treat this as a server error.
    #[must_use]
    pub fn has_content_coding(&self) -> bool {
        self.content_coded
    }

    /// The response, borrowing `buf` (the buffer that was parsed) and filling `headers` with
    /// its header fields (at least [`ParsedResponse::header_count`] slots), parsed with
    /// httparse.
    ///
    /// Header values are as received minus surrounding whitespace, with folded lines unfolded
    /// to spaces.
    pub fn response<'b>(
        &self,
        buf: &'b [u8],
        headers: &'b mut [Header<'b>],
    ) -> Result<HttpResponse<'b>, ParseError> {
        let head = buf.get(self.head.0..self.head.1);
        let body = buf.get(self.body.0..self.body.1);
        let (Some(head), Some(body)) = (head, body) else {
            return Err(ParseError::BufferChanged);
        };
        if headers.len() < self.header_count {
            return Err(ParseError::HeaderArrayTooSmall {
                needed: self.header_count,
            });
        }
        let mut config = httparse::ParserConfig::default();
        config.allow_spaces_after_header_name_in_responses(true);
        let mut parsed = httparse::Response::new(headers);
        match config.parse_response(&mut parsed, head) {
            Ok(httparse::Status::Complete(len))
                if len == head.len()
                    && parsed.code == Some(self.status)
                    && parsed.headers.len() == self.header_count => {}
            _ => return Err(ParseError::BufferChanged),
        }
        let headers: &'b [Header<'b>] = parsed.headers;
        Ok(HttpResponse::new(self.status, headers, body))
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum BodyState {
    Fixed { end: usize },
    Chunked(ChunkedDecoder),
    UntilEof,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Head(HeadScanner),
    Body { head: Head, body: BodyState },
    Done(ParsedResponse),
    Failed(ParseError),
}

/// The push parser for one HTTP/1.1 response (see the [module docs](self) for the states,
/// the calling order and what it rewrites in the buffer).
///
/// ```
/// use lucca_auth::codec::{ConnectionMode, Limits, ParseStatus, ResponseParser};
/// use lucca_auth::response::Header;
///
/// let wire: &[u8] = b"HTTP/1.1 100 Continue\r\n\r\n\
///     HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n\
///     4\r\n{\"a\"\r\n3;ext=1\r\n:1}\r\n0\r\n\r\n";
/// let mut buf = [0u8; 256];
/// let mut filled = 0;
/// let mut parser = ResponseParser::new(Limits::new());
/// let parsed = loop {
///     // Stands for a socket read of up to 10 bytes.
///     let n = (wire.len() - filled).min(10);
///     buf[filled..filled + n].copy_from_slice(&wire[filled..filled + n]);
///     filled += n;
///     match parser.handle_bytes(&mut buf[..filled])? {
///         ParseStatus::Partial { .. } => continue,
///         ParseStatus::Complete(parsed) => break parsed,
///     }
/// };
/// assert_eq!(parsed.consumed(), wire.len());
/// assert_eq!(parsed.connection(), ConnectionMode::KeepAlive);
/// let mut headers = [httparse::EMPTY_HEADER; 16];
/// let response = parsed.response(&buf[..filled], &mut headers)?;
/// assert_eq!(response.status(), 200);
/// assert_eq!(response.body(), b"{\"a\":1}");
/// # Ok::<(), lucca_auth::codec::ParseError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResponseParser {
    limits: Limits,
    head_request: bool,
    seen_len: usize,
    state: State,
}

impl ResponseParser {
    /// A parser for the response to a request other than `HEAD`.
    #[must_use]
    pub const fn new(limits: Limits) -> Self {
        ResponseParser {
            limits,
            head_request: false,
            seen_len: 0,
            state: State::Head(HeadScanner::new()),
        }
    }

    /// A parser for the response to a `HEAD` request, which never has a body whatever its
    /// header fields say.
    #[must_use]
    pub const fn for_head_request(limits: Limits) -> Self {
        let mut parser = ResponseParser::new(limits);
        parser.head_request = true;
        parser
    }

    /// The limits in force.
    #[must_use]
    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// Starts over for the next response (same limits, same request kind). The buffer passed
    /// next must start with that response's first byte.
    pub fn reset(&mut self) {
        *self = if self.head_request {
            ResponseParser::for_head_request(self.limits)
        } else {
            ResponseParser::new(self.limits)
        };
    }

    /// Parses what `buf` (every byte received so far, from the response's first byte) allows.
    ///
    /// Call again with a longer buffer after [`ParseStatus::Partial`]. Once complete, further
    /// calls return the same [`ParseStatus::Complete`]; after a peer error, the same error
    /// until [`ResponseParser::reset`].
    pub fn handle_bytes(&mut self, buf: &mut [u8]) -> Result<ParseStatus, ParseError> {
        if buf.len() < self.seen_len {
            return Err(ParseError::BufferShrunk);
        }
        self.seen_len = buf.len();
        let result = self.advance(buf);
        if let Err(error) = result {
            self.state = State::Failed(error);
        }
        result
    }

    /// Tells the parser the peer closed the connection after sending `buf` (which may hold
    /// bytes not yet passed to [`ResponseParser::handle_bytes`]). Completes a close-delimited
    /// body; anything else incomplete is [`ParseError::UnexpectedEof`], or
    /// [`ParseError::ClosedBeforeResponse`] if nothing but empty lines arrived.
    pub fn handle_eof(&mut self, buf: &mut [u8]) -> Result<ParseStatus, ParseError> {
        if let ParseStatus::Complete(parsed) = self.handle_bytes(buf)? {
            return Ok(ParseStatus::Complete(parsed));
        }
        let result = match self.state {
            State::Body {
                head,
                body: BodyState::UntilEof,
            } => {
                let parsed = finish(&head, buf.len(), buf.len(), BodyFraming::CloseDelimited);
                self.state = State::Done(parsed);
                return Ok(ParseStatus::Complete(parsed));
            }
            State::Head(scanner) if !scanner.started() => ParseError::ClosedBeforeResponse,
            _ => ParseError::UnexpectedEof,
        };
        self.state = State::Failed(result);
        Err(result)
    }

    fn advance(&mut self, buf: &mut [u8]) -> Result<ParseStatus, ParseError> {
        let limits = self.limits;
        loop {
            match &mut self.state {
                State::Failed(error) => return Err(*error),
                State::Done(parsed) => return Ok(ParseStatus::Complete(*parsed)),
                State::Head(scanner) => {
                    let Some(head) = scanner.advance(buf, &limits)? else {
                        return Ok(ParseStatus::Partial { min_len: None });
                    };
                    self.state = match body_state(&head, self.head_request, &limits)? {
                        Some(body) => State::Body { head, body },
                        None => State::Done(finish(&head, head.end, head.end, BodyFraming::None)),
                    };
                }
                State::Body { head, body } => {
                    let head = *head;
                    let (done, min_len) = match body {
                        BodyState::Fixed { end } => {
                            let end = *end;
                            let done = (buf.len() >= end)
                                .then(|| finish(&head, end, end, BodyFraming::ContentLength));
                            (done, Some(end))
                        }
                        BodyState::Chunked(decoder) => {
                            let done = decoder.advance(buf, &limits)?.map(
                                |Decoded { body_end, consumed }| {
                                    finish(&head, body_end, consumed, BodyFraming::Chunked)
                                },
                            );
                            (done, Some(decoder.min_len().max(buf.len() + 1)))
                        }
                        BodyState::UntilEof => {
                            let body_len = buf.len().saturating_sub(head.end);
                            if body_len > limits.max_body_len() {
                                return Err(ParseError::BodyTooLarge {
                                    limit: limits.max_body_len(),
                                });
                            }
                            (None, None)
                        }
                    };
                    let Some(parsed) = done else {
                        return Ok(ParseStatus::Partial { min_len });
                    };
                    self.state = State::Done(parsed);
                }
            }
        }
    }
}

/// How the body after `head` is delimited (RFC 9112 §6.3); `None` when there is none.
fn body_state(
    head: &Head,
    head_request: bool,
    limits: &Limits,
) -> Result<Option<BodyState>, ParseError> {
    let framing = &head.framing;
    if framing.transfer_encoding && framing.content_length.is_some() {
        return Err(ParseError::ContentLengthWithTransferEncoding);
    }
    if head_request || head.status < 200 || head.status == 204 || head.status == 304 {
        return Ok(None);
    }
    if framing.transfer_encoding {
        if framing.transfer_codings != 1 || framing.other_transfer_coding {
            return Err(ParseError::UnsupportedTransferEncoding);
        }
        return Ok(Some(BodyState::Chunked(ChunkedDecoder::new(head.end))));
    }
    match framing.content_length {
        Some(length) => {
            let max = limits.max_body_len();
            match usize::try_from(length) {
                Ok(length) if length <= max => Ok(Some(BodyState::Fixed {
                    end: head.end.saturating_add(length),
                })),
                _ => Err(ParseError::BodyTooLarge { limit: max }),
            }
        }
        None => Ok(Some(BodyState::UntilEof)),
    }
}

fn finish(head: &Head, body_end: usize, consumed: usize, framing: BodyFraming) -> ParsedResponse {
    let fields = &head.framing;
    let persistent = if head.minor_version >= 1 {
        !fields.close
    } else {
        fields.keep_alive && !fields.close && !fields.transfer_encoding
    };
    let reusable = persistent && framing != BodyFraming::CloseDelimited && head.status != 101;
    ParsedResponse {
        status: head.status,
        minor_version: head.minor_version,
        head: (head.start, head.end),
        body: (head.end, body_end),
        consumed,
        header_count: head.fields,
        interim: head.interim,
        framing,
        connection: if reusable {
            ConnectionMode::KeepAlive
        } else {
            ConnectionMode::Close
        },
        content_coded: fields.content_coded,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::String;
    use alloc::vec::Vec;

    /// What a test expects of a parse: status, header (name, value) pairs, body, consumed,
    /// connection.
    #[derive(Debug, PartialEq, Eq)]
    struct Outcome {
        status: u16,
        headers: Vec<(String, Vec<u8>)>,
        body: Vec<u8>,
        consumed: usize,
        connection: ConnectionMode,
        framing: BodyFraming,
    }

    /// Feeds `input` whole, then (if `eof`) signals EOF.
    fn parse_whole(
        parser: &mut ResponseParser,
        input: &[u8],
        eof: bool,
    ) -> Result<Outcome, ParseError> {
        let mut buf = input.to_vec();
        let status = if eof {
            parser.handle_eof(&mut buf)?
        } else {
            parser.handle_bytes(&mut buf)?
        };
        let ParseStatus::Complete(parsed) = status else {
            return Err(ParseError::UnexpectedEof);
        };
        outcome(&parsed, &buf)
    }

    /// Feeds `input` one byte at a time, then (if `eof`) signals EOF.
    fn parse_bytewise(limits: Limits, input: &[u8], eof: bool) -> Result<Outcome, ParseError> {
        let mut parser = ResponseParser::new(limits);
        let mut buf = Vec::new();
        for &byte in input {
            buf.push(byte);
            if let ParseStatus::Complete(parsed) = parser.handle_bytes(&mut buf)? {
                buf.extend_from_slice(&input[buf.len()..]);
                return outcome(&parsed, &buf);
            }
        }
        if eof && let ParseStatus::Complete(parsed) = parser.handle_eof(&mut buf)? {
            return outcome(&parsed, &buf);
        }
        Err(ParseError::UnexpectedEof)
    }

    fn outcome(parsed: &ParsedResponse, buf: &[u8]) -> Result<Outcome, ParseError> {
        let mut headers = [httparse::EMPTY_HEADER; 70];
        let response = parsed.response(buf, &mut headers)?;
        Ok(Outcome {
            status: response.status(),
            headers: response
                .headers()
                .iter()
                .map(|h| (String::from(h.name), h.value.to_vec()))
                .collect(),
            body: response.body().to_vec(),
            consumed: parsed.consumed(),
            connection: parsed.connection(),
            framing: parsed.framing(),
        })
    }

    fn expect(
        status: u16,
        headers: &[(&str, &[u8])],
        body: &[u8],
        consumed: usize,
        connection: ConnectionMode,
        framing: BodyFraming,
    ) -> Result<Outcome, ParseError> {
        Ok(Outcome {
            status,
            headers: headers
                .iter()
                .map(|(name, value)| (String::from(*name), value.to_vec()))
                .collect(),
            body: body.to_vec(),
            consumed,
            connection,
            framing,
        })
    }

    use BodyFraming::{Chunked, CloseDelimited, ContentLength};
    use ConnectionMode::{Close, KeepAlive};

    type Case = (
        &'static str,
        &'static [u8],
        bool,
        Result<Outcome, ParseError>,
    );

    fn cases() -> Vec<Case> {
        alloc::vec![
            (
                "content-length",
                b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",
                false,
                expect(200, &[("Content-Length", b"5")], b"hello", 43, KeepAlive, ContentLength),
            ),
            (
                "next response bytes are not consumed",
                b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhiHTTP/1.1 204 No Content\r\n\r\n",
                false,
                expect(200, &[("Content-Length", b"2")], b"hi", 40, KeepAlive, ContentLength),
            ),
            (
                "100 continue and 103 early hints are skipped",
                b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </s.css>; rel=preload\r\n\r\n\
                  HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n",
                false,
                expect(201, &[("Content-Length", b"0")], b"", 125, KeepAlive, ContentLength),
            ),
            (
                "chunked with extensions and trailers",
                b"HTTP/1.1 200 OK\r\nTransfer-Encoding: Chunked\r\n\r\n\
                  5;name=\"va;lue\"\r\nhello\r\nA \r\n, world!!!\r\n0;last\r\nDigest: x\r\nY: z\r\n\r\n",
                false,
                expect(
                    200,
                    &[("Transfer-Encoding", b"Chunked")],
                    b"hello, world!!!",
                    114,
                    KeepAlive,
                    Chunked,
                ),
            ),
            (
                "close-delimited body ends at eof",
                b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nall of it",
                true,
                expect(200, &[("Content-Type", b"text/plain")], b"all of it", 54, Close, CloseDelimited),
            ),
            (
                "close-delimited body needs eof",
                b"HTTP/1.1 200 OK\r\n\r\nmore to come",
                false,
                Err(ParseError::UnexpectedEof),
            ),
            (
                "204 and 304 have no body",
                b"HTTP/1.1 204 No Content\r\nContent-Length: 10\r\n\r\n",
                false,
                expect(204, &[("Content-Length", b"10")], b"", 47, KeepAlive, BodyFraming::None),
            ),
            (
                "304",
                b"HTTP/1.1 304 Not Modified\r\nTransfer-Encoding: chunked\r\n\r\n",
                false,
                expect(304, &[("Transfer-Encoding", b"chunked")], b"", 57, KeepAlive, BodyFraming::None),
            ),
            (
                "101 is final, bodiless, and ends HTTP on the connection",
                b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n",
                false,
                expect(101, &[("Upgrade", b"websocket")], b"", 56, Close, BodyFraming::None),
            ),
            (
                "connection close",
                b"HTTP/1.1 200 OK\r\nConnection: Upgrade, CLOSE\r\nContent-Length: 0\r\n\r\n",
                false,
                expect(
                    200,
                    &[("Connection", b"Upgrade, CLOSE"), ("Content-Length", b"0")],
                    b"",
                    66,
                    Close,
                    ContentLength,
                ),
            ),
            (
                "http/1.0 closes by default",
                b"HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n",
                false,
                expect(200, &[("Content-Length", b"0")], b"", 38, Close, ContentLength),
            ),
            (
                "http/1.0 keep-alive",
                b"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n",
                false,
                expect(
                    200,
                    &[("Connection", b"keep-alive"), ("Content-Length", b"0")],
                    b"",
                    62,
                    KeepAlive,
                    ContentLength,
                ),
            ),
            (
                "http/1.0 with transfer-encoding is framed by it but closes",
                b"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nx\r\n0\r\n\r\n",
                false,
                expect(
                    200,
                    &[("Connection", b"keep-alive"), ("Transfer-Encoding", b"chunked")],
                    b"x",
                    82,
                    Close,
                    Chunked,
                ),
            ),
            (
                "obs-fold is unfolded; space before colon tolerated; bare LF lines; leading CRLF",
                b"\r\nHTTP/1.1 401 Unauthorized\nWWW-Authenticate: Basic realm=\"a\",\r\n \tBearer\r\nX-Name : v \r\nContent-Length:0\n\n",
                false,
                expect(
                    401,
                    &[
                        ("WWW-Authenticate", b"Basic realm=\"a\",   \tBearer"),
                        ("X-Name", b"v"),
                        ("Content-Length", b"0"),
                    ],
                    b"",
                    105,
                    KeepAlive,
                    ContentLength,
                ),
            ),
            (
                "identical content-length values are one",
                b"HTTP/1.1 200 OK\r\nContent-Length: 1, 1\r\ncontent-length: 01\r\n\r\nx",
                false,
                expect(
                    200,
                    &[("Content-Length", b"1, 1"), ("content-length", b"01")],
                    b"x",
                    62,
                    KeepAlive,
                    ContentLength,
                ),
            ),
            (
                "conflicting content-length",
                b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nxx",
                false,
                Err(ParseError::ConflictingContentLength),
            ),
            (
                "conflicting content-length list",
                b"HTTP/1.1 200 OK\r\nContent-Length: 1,2\r\n\r\nxx",
                false,
                Err(ParseError::ConflictingContentLength),
            ),
            ("bad content-length", b"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", false, Err(ParseError::InvalidContentLength)),
            ("empty content-length", b"HTTP/1.1 200 OK\r\nContent-Length:\r\n\r\n", false, Err(ParseError::InvalidContentLength)),
            (
                "folded content-length",
                b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n 2\r\n\r\nxx",
                false,
                Err(ParseError::InvalidContentLength),
            ),
            (
                "content-length with transfer-encoding",
                b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
                false,
                Err(ParseError::ContentLengthWithTransferEncoding),
            ),
            (
                "gzip transfer coding",
                b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n",
                false,
                Err(ParseError::UnsupportedTransferEncoding),
            ),
            (
                "chunked twice",
                b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
                false,
                Err(ParseError::UnsupportedTransferEncoding),
            ),
            (
                "chunk size overflow",
                b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10000000000000000\r\n",
                false,
                Err(ParseError::ChunkSizeOverflow),
            ),
            (
                "huge chunk is over the body limit",
                b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFFF\r\n",
                false,
                Err(ParseError::BodyTooLarge { limit: 1024 * 1024 }),
            ),
            (
                "chunked truncated by eof",
                b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel",
                true,
                Err(ParseError::UnexpectedEof),
            ),
            ("head truncated by eof", b"HTTP/1.1 200 OK\r\nContent-Le", true, Err(ParseError::UnexpectedEof)),
            (
                "content-length body truncated by eof",
                b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhel",
                true,
                Err(ParseError::UnexpectedEof),
            ),
            ("eof before any byte", b"", true, Err(ParseError::ClosedBeforeResponse)),
            ("eof after empty lines", b"\r\n\r\n", true, Err(ParseError::ClosedBeforeResponse)),
            ("not http", b"\x15\x03\x03\x00\x02\x02\x46", false, Err(ParseError::InvalidStatusLine)),
            ("http/2 preface answer", b"HTTP/2 200\r\n\r\n", false, Err(ParseError::InvalidStatusLine)),
            ("fold after status line", b"HTTP/1.1 200 OK\r\n X: y\r\n\r\n", false, Err(ParseError::InvalidHeader)),
            ("stray CR in value", b"HTTP/1.1 200 OK\r\nX: a\rb\r\n\r\n", false, Err(ParseError::InvalidHeader)),
            ("NUL in value", b"HTTP/1.1 200 OK\r\nX: a\0b\r\n\r\n", false, Err(ParseError::InvalidHeader)),
            ("no colon", b"HTTP/1.1 200 OK\r\nX y\r\n\r\n", false, Err(ParseError::InvalidHeader)),
            ("CR CR LF ends nothing", b"HTTP/1.1 200 OK\r\n\r\r\n", false, Err(ParseError::InvalidHeader)),
        ]
    }

    #[test]
    fn table() {
        for (name, input, eof, expected) in cases() {
            let mut parser = ResponseParser::new(Limits::new());
            assert_eq!(
                parse_whole(&mut parser, input, eof),
                expected,
                "{name} (whole)"
            );
            assert_eq!(
                parse_bytewise(Limits::new(), input, eof),
                expected,
                "{name} (bytewise)"
            );
        }
    }

    #[test]
    fn head_request_has_no_body() {
        let input = b"HTTP/1.1 200 OK\r\nContent-Length: 73\r\n\r\n";
        let mut parser = ResponseParser::for_head_request(Limits::new());
        assert_eq!(
            parse_whole(&mut parser, input, false),
            expect(
                200,
                &[("Content-Length", b"73")],
                b"",
                39,
                KeepAlive,
                BodyFraming::None
            )
        );
        parser.reset();
        assert_eq!(
            parse_whole(&mut parser, input, false),
            expect(
                200,
                &[("Content-Length", b"73")],
                b"",
                39,
                KeepAlive,
                BodyFraming::None
            )
        );
    }

    #[test]
    fn content_coding_is_reported() {
        let cases: [(&[u8], bool); 4] = [
            (b"Content-Encoding: gzip\r\n", true),
            (b"Content-Encoding: identity\r\n", false),
            (b"Content-Encoding: Identity, br\r\n", true),
            (b"", false),
        ];
        for (field, coded) in cases {
            let mut input = b"HTTP/1.1 200 OK\r\n".to_vec();
            input.extend_from_slice(field);
            input.extend_from_slice(b"Content-Length: 0\r\n\r\n");
            let mut parser = ResponseParser::new(Limits::new());
            let Ok(ParseStatus::Complete(parsed)) = parser.handle_bytes(&mut input) else {
                panic!("incomplete");
            };
            assert_eq!(parsed.has_content_coding(), coded);
        }
    }

    #[test]
    fn limits_exactly_and_one_over() {
        let input = b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nA: 1\r\nB: 2\r\nContent-Length: 4\r\n\r\nbody";
        let head_len = input.len() - 4;
        assert_eq!(head_len, 75);
        let ok = expect(
            200,
            &[("A", b"1"), ("B", b"2"), ("Content-Length", b"4")],
            b"body",
            79,
            KeepAlive,
            ContentLength,
        );
        let cases: [(Limits, Result<Outcome, ParseError>); 6] = [
            (Limits::new().with_max_headers(3), ok),
            (
                Limits::new().with_max_headers(2),
                Err(ParseError::TooManyHeaders { limit: 2 }),
            ),
            (
                Limits::new().with_max_head_len(75),
                expect(
                    200,
                    &[("A", b"1"), ("B", b"2"), ("Content-Length", b"4")],
                    b"body",
                    79,
                    KeepAlive,
                    ContentLength,
                ),
            ),
            (
                Limits::new().with_max_head_len(74),
                Err(ParseError::HeadTooLarge { limit: 74 }),
            ),
            (
                Limits::new().with_max_body_len(4),
                expect(
                    200,
                    &[("A", b"1"), ("B", b"2"), ("Content-Length", b"4")],
                    b"body",
                    79,
                    KeepAlive,
                    ContentLength,
                ),
            ),
            (
                Limits::new().with_max_body_len(3),
                Err(ParseError::BodyTooLarge { limit: 3 }),
            ),
        ];
        for (limits, expected) in cases {
            let mut parser = ResponseParser::new(limits);
            assert_eq!(
                parse_whole(&mut parser, input, false),
                expected,
                "{limits:?}"
            );
            assert_eq!(
                parse_bytewise(limits, input, false),
                expected,
                "{limits:?} bytewise"
            );
        }
        let close_delimited = b"HTTP/1.1 200 OK\r\n\r\nbody";
        for (max, expected) in [
            (4, expect(200, &[], b"body", 23, Close, CloseDelimited)),
            (3, Err(ParseError::BodyTooLarge { limit: 3 })),
        ] {
            let limits = Limits::new().with_max_body_len(max);
            let mut parser = ResponseParser::new(limits);
            assert_eq!(parse_whole(&mut parser, close_delimited, true), expected);
            assert_eq!(parse_bytewise(limits, close_delimited, true), expected);
        }
    }

    #[test]
    fn partial_hints() {
        let mut parser = ResponseParser::new(Limits::new());
        let mut buf = b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nab".to_vec();
        assert_eq!(
            parser.handle_bytes(&mut buf[..10]),
            Ok(ParseStatus::Partial { min_len: None })
        );
        assert_eq!(
            parser.handle_bytes(&mut buf),
            Ok(ParseStatus::Partial { min_len: Some(140) })
        );
        let mut parser = ResponseParser::new(Limits::new());
        let mut buf = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10\r\nab".to_vec();
        // 53 bytes in; 14 more of the chunk, its CRLF and at least "0\r\n\r\n".
        assert_eq!(
            parser.handle_bytes(&mut buf),
            Ok(ParseStatus::Partial { min_len: Some(74) })
        );
    }

    #[test]
    fn caller_misuse() {
        let mut parser = ResponseParser::new(Limits::new());
        let mut buf = b"HTTP/1.1 200 OK\r\nA: b\r\nContent-Length: 0\r\n\r\n".to_vec();
        assert_eq!(
            parser.handle_bytes(&mut buf[..20]),
            Ok(ParseStatus::Partial { min_len: None })
        );
        assert_eq!(
            parser.handle_bytes(&mut buf[..19]),
            Err(ParseError::BufferShrunk)
        );
        assert!(ParseError::BufferShrunk.is_caller_misuse());
        let Ok(ParseStatus::Complete(parsed)) = parser.handle_bytes(&mut buf) else {
            panic!("not complete");
        };
        assert_eq!(parsed.header_count(), 2);
        let mut one = [httparse::EMPTY_HEADER; 1];
        assert_eq!(
            parsed.response(&buf, &mut one).map(|r| r.status()),
            Err(ParseError::HeaderArrayTooSmall { needed: 2 })
        );
        let mut two = [httparse::EMPTY_HEADER; 2];
        assert_eq!(
            parsed.response(&buf[..10], &mut two).map(|r| r.status()),
            Err(ParseError::BufferChanged)
        );
        let mut changed = buf.clone();
        changed[17] = b'\0';
        let mut two = [httparse::EMPTY_HEADER; 2];
        assert_eq!(
            parsed.response(&changed, &mut two).map(|r| r.status()),
            Err(ParseError::BufferChanged)
        );
        // Complete is repeated, then reset starts over.
        assert_eq!(
            parser.handle_bytes(&mut buf),
            Ok(ParseStatus::Complete(parsed))
        );
        assert_eq!(
            parser.handle_eof(&mut buf),
            Ok(ParseStatus::Complete(parsed))
        );
        parser.reset();
        assert_eq!(
            parser.handle_bytes(&mut buf[..5]),
            Ok(ParseStatus::Partial { min_len: None })
        );
    }

    #[test]
    fn errors_are_sticky_until_reset() {
        let mut parser = ResponseParser::new(Limits::new());
        let mut bad = b"HTTP/1.1 200 OK\r\nX y\r\n\r\n".to_vec();
        assert_eq!(
            parser.handle_bytes(&mut bad),
            Err(ParseError::InvalidHeader)
        );
        let mut good = b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n".to_vec();
        assert_eq!(
            parser.handle_bytes(&mut good),
            Err(ParseError::InvalidHeader)
        );
        assert_eq!(parser.handle_eof(&mut good), Err(ParseError::InvalidHeader));
        parser.reset();
        assert!(matches!(
            parser.handle_bytes(&mut good),
            Ok(ParseStatus::Complete(_))
        ));
    }

    #[test]
    fn errors_display_without_response_bytes() {
        let errors = [
            (
                ParseError::InvalidStatusLine,
                "invalid HTTP/1.x status line",
            ),
            (
                ParseError::HeadTooLarge { limit: 10 },
                "response head larger than 10 bytes",
            ),
            (
                ParseError::TooManyHeaders { limit: 2 },
                "more than 2 header fields",
            ),
            (
                ParseError::BodyTooLarge { limit: 3 },
                "response body larger than 3 bytes",
            ),
            (
                ParseError::HeaderArrayTooSmall { needed: 4 },
                "header array too small: 4 fields",
            ),
            (
                ParseError::ChunkLineTooLong { limit: 4096 },
                "chunk-size line longer than 4096 bytes",
            ),
        ];
        for (error, text) in errors {
            assert_eq!(alloc::format!("{error}"), text);
        }
    }
}
