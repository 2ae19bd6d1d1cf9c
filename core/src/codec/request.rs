//! Writing an HTTP/1.1 request (head and body) as raw bytes into a caller-provided buffer.
//!
//! [`RequestHead`] describes the request line, the `Host` header and further header fields;
//! [`RequestHead::write`] and [`RequestHead::write_with_body`] validate everything and compute
//! the exact encoded length *before* touching the output, so a short buffer gives
//! [`WriteError::BufferTooSmall`] with the exact number of bytes needed and an untouched buffer.
//!
//! Bodies are produced by a [`RequestBody`], which declares its exact length up front and then
//! writes itself into a [`SliceWriter`] (a cursor over the reserved part of the buffer). The
//! token request body is percent-encoded on the fly this way, so it never exists as a separate
//! allocation.

use core::fmt;

use super::ConnectionMode;
use crate::form::BufferTooSmall;
pub use crate::form::SliceWriter;
use crate::response::{Header, HeaderFieldsDebug};

/// A request body that knows its exact length before it is written.
///
/// The writer reserves exactly [`RequestBody::body_len`] bytes, announces them in
/// `Content-Length`, and lets [`RequestBody::write_body`] fill them. Writing a different number
/// of bytes than declared is an error ([`WriteError::BodyLengthMismatch`]).
///
/// ```
/// use lucca_auth::codec::{RequestBody, SliceWriter};
///
/// struct Greeting<'a>(&'a str);
///
/// impl RequestBody for Greeting<'_> {
///     fn body_len(&self) -> usize {
///         "hello ".len() + self.0.len()
///     }
///     fn write_body(&self, out: &mut SliceWriter<'_>) {
///         out.put(b"hello ");
///         out.put(self.0.as_bytes());
///     }
/// }
///
/// let mut buf = [0u8; 16];
/// let mut out = SliceWriter::new(&mut buf);
/// Greeting("world").write_body(&mut out);
/// assert_eq!(out.written(), b"hello world");
/// ```
pub trait RequestBody {
    /// The exact number of bytes [`RequestBody::write_body`] writes.
    fn body_len(&self) -> usize;

    /// Writes the body; `out` has room for exactly [`RequestBody::body_len`] bytes.
    fn write_body(&self, out: &mut SliceWriter<'_>);
}

impl RequestBody for [u8] {
    fn body_len(&self) -> usize {
        self.len()
    }

    fn write_body(&self, out: &mut SliceWriter<'_>) {
        out.put(self);
    }
}

impl RequestBody for str {
    fn body_len(&self) -> usize {
        self.len()
    }

    fn write_body(&self, out: &mut SliceWriter<'_>) {
        out.put(self.as_bytes());
    }
}

impl<B: RequestBody + ?Sized> RequestBody for &B {
    fn body_len(&self) -> usize {
        (**self).body_len()
    }

    fn write_body(&self, out: &mut SliceWriter<'_>) {
        (**self).write_body(out);
    }
}

/// Why a request could not be written. Every variant except
/// [`WriteError::BufferTooSmall`] is caller misuse: the request itself is malformed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum WriteError {
    /// The output buffer is too short; it was left untouched.
    BufferTooSmall {
        /// The exact total number of bytes the request needs.
        needed: usize,
        /// The size of the buffer that was provided.
        available: usize,
    },
    /// The method is empty or not an HTTP token.
    InvalidMethod,
    /// The request target is empty or holds a byte outside visible ASCII (space, CR, LF, …).
    InvalidTarget,
    /// The host is empty or holds a byte outside visible ASCII.
    InvalidHost,
    /// A header field name is empty or not an HTTP token (`index` counts the given fields).
    InvalidHeaderName {
        /// Position of the field in the given list.
        index: usize,
    },
    /// A header field value holds CR, LF, NUL or another control byte (header injection).
    InvalidHeaderValue {
        /// Position of the field in the given list.
        index: usize,
    },
    /// A given field is one the writer owns: `Host`, `Transfer-Encoding`, `Connection`, or a
    /// `Content-Length` that does not match the body (or is given without a body).
    ReservedHeader {
        /// Position of the field in the given list.
        index: usize,
    },
    /// The body wrote a different number of bytes than it declared. The output then holds
    /// an unspecified prefix of the request and must not be sent.
    BodyLengthMismatch {
        /// What [`RequestBody::body_len`] declared.
        declared: usize,
        /// What [`RequestBody::write_body`] wrote.
        written: usize,
    },
}

impl fmt::Display for WriteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            WriteError::BufferTooSmall { needed, available } => write!(
                f,
                "output buffer too small: {needed} bytes needed, {available} available"
            ),
            WriteError::InvalidMethod => f.write_str("invalid request method"),
            WriteError::InvalidTarget => f.write_str("invalid request target"),
            WriteError::InvalidHost => f.write_str("invalid Host value"),
            WriteError::InvalidHeaderName { index } => {
                write!(f, "invalid name in header field #{index}")
            }
            WriteError::InvalidHeaderValue { index } => {
                write!(
                    f,
                    "invalid byte (control character) in value of header field #{index}"
                )
            }
            WriteError::ReservedHeader { index } => write!(
                f,
                "header field #{index} is written by the codec (Host, Content-Length, \
                 Transfer-Encoding, Connection)"
            ),
            WriteError::BodyLengthMismatch { declared, written } => write!(
                f,
                "request body wrote {written} bytes but declared {declared}"
            ),
        }
    }
}

impl core::error::Error for WriteError {}

impl From<BufferTooSmall> for WriteError {
    fn from(e: BufferTooSmall) -> Self {
        WriteError::BufferTooSmall {
            needed: e.needed,
            available: e.available,
        }
    }
}

/// The head of an HTTP/1.1 request: method, target, `Host`, further header fields and whether
/// to ask for the connection to be closed.
///
/// Written in this order: request line, `Host`, the given fields in order, `Content-Length`
/// (only with a body), `Connection: close` (only with [`ConnectionMode::Close`]), blank line,
/// body.
///
/// ```
/// use lucca_auth::codec::RequestHead;
/// use lucca_auth::response::Header;
///
/// let fields = [Header { name: "Accept", value: b"application/json" }];
/// let head = RequestHead::new("POST", "/connect/token", "accounts.example.com")
///     .with_headers(&fields);
/// let mut buf = [0u8; 256];
/// let len = head.write_with_body(&b"grant_type=client_credentials"[..], &mut buf)?;
/// assert_eq!(
///     &buf[..len],
///     &b"POST /connect/token HTTP/1.1\r\n\
///        Host: accounts.example.com\r\n\
///        Accept: application/json\r\n\
///        Content-Length: 29\r\n\
///        \r\n\
///        grant_type=client_credentials"[..]
/// );
/// # Ok::<(), lucca_auth::codec::WriteError>(())
/// ```
///
/// Its `Debug` output shows the values of credential-bearing header fields (`Authorization`,
/// `Cookie`, …) as `[redacted]`.
#[derive(Clone, Copy)]
pub struct RequestHead<'a> {
    method: &'a str,
    target: &'a str,
    host: &'a str,
    headers: &'a [Header<'a>],
    connection: ConnectionMode,
}

const CRLF: &[u8] = b"\r\n";
const VERSION: &[u8] = b" HTTP/1.1\r\n";
const HOST: &[u8] = b"Host: ";
const CONTENT_LENGTH: &[u8] = b"Content-Length: ";
const CONNECTION_CLOSE: &[u8] = b"Connection: close\r\n";
const COLON_SPACE: &[u8] = b": ";

impl fmt::Debug for RequestHead<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequestHead")
            .field("method", &self.method)
            .field("target", &self.target)
            .field("host", &self.host)
            .field("headers", &HeaderFieldsDebug(self.headers))
            .field("connection", &self.connection)
            .finish()
    }
}

impl<'a> RequestHead<'a> {
    /// A request `method target HTTP/1.1` to `host` (the `Host` header value: host, plus
    /// `:port` when not the scheme's default), with no further fields and a kept-alive
    /// connection.
    #[must_use]
    pub fn new(method: &'a str, target: &'a str, host: &'a str) -> Self {
        RequestHead {
            method,
            target,
            host,
            headers: &[],
            connection: ConnectionMode::KeepAlive,
        }
    }

    /// Header fields written after `Host`, in order.
    #[must_use]
    pub fn with_headers(mut self, headers: &'a [Header<'a>]) -> Self {
        self.headers = headers;
        self
    }

    /// [`ConnectionMode::Close`] adds `Connection: close`; [`ConnectionMode::KeepAlive`] (the
    /// default) writes nothing, as HTTP/1.1 connections are persistent by default.
    #[must_use]
    pub fn with_connection(mut self, connection: ConnectionMode) -> Self {
        self.connection = connection;
        self
    }

    /// The method.
    #[must_use]
    pub fn method(&self) -> &'a str {
        self.method
    }

    /// The request target.
    #[must_use]
    pub fn target(&self) -> &'a str {
        self.target
    }

    /// The `Host` value.
    #[must_use]
    pub fn host(&self) -> &'a str {
        self.host
    }

    /// The further header fields.
    #[must_use]
    pub fn headers(&self) -> &'a [Header<'a>] {
        self.headers
    }

    /// The connection mode asked for.
    #[must_use]
    pub fn connection(&self) -> ConnectionMode {
        self.connection
    }

    /// The exact number of bytes [`RequestHead::write`] (`body_len` = `None`) or
    /// [`RequestHead::write_with_body`] (`Some(len)`) needs, after validating the head.
    pub fn encoded_len(&self, body_len: Option<usize>) -> Result<usize, WriteError> {
        self.validate(body_len)?;
        Ok(self
            .head_len(body_len)
            .saturating_add(body_len.unwrap_or(0)))
    }

    /// Writes the head alone (no `Content-Length`, no body) and returns its length.
    /// On error `out` is untouched.
    pub fn write(&self, out: &mut [u8]) -> Result<usize, WriteError> {
        let needed = self.encoded_len(None)?;
        let available = out.len();
        let out = out
            .get_mut(..needed)
            .ok_or(WriteError::BufferTooSmall { needed, available })?;
        let mut writer = SliceWriter::new(out);
        self.put_head(&mut writer, None);
        Ok(writer.finish()?)
    }

    /// Writes the head with `Content-Length: body.body_len()` and then the body, and returns
    /// the total length. A short `out` gives [`WriteError::BufferTooSmall`] with the exact
    /// total and leaves `out` untouched.
    pub fn write_with_body<B: RequestBody + ?Sized>(
        &self,
        body: &B,
        out: &mut [u8],
    ) -> Result<usize, WriteError> {
        let declared = body.body_len();
        let needed = self.encoded_len(Some(declared))?;
        let available = out.len();
        let out = out
            .get_mut(..needed)
            .ok_or(WriteError::BufferTooSmall { needed, available })?;
        let head_len = needed.saturating_sub(declared);
        let (head_out, body_out) = out.split_at_mut(head_len);
        let mut writer = SliceWriter::new(head_out);
        self.put_head(&mut writer, Some(declared));
        writer.finish()?;
        let mut writer = SliceWriter::new(body_out);
        body.write_body(&mut writer);
        if writer.requested() != declared {
            return Err(WriteError::BodyLengthMismatch {
                declared,
                written: writer.requested(),
            });
        }
        Ok(needed)
    }

    fn validate(&self, body_len: Option<usize>) -> Result<(), WriteError> {
        if self.method.is_empty() || !self.method.bytes().all(is_token) {
            return Err(WriteError::InvalidMethod);
        }
        if self.target.is_empty() || !self.target.bytes().all(is_visible) {
            return Err(WriteError::InvalidTarget);
        }
        if self.host.is_empty() || !self.host.bytes().all(is_visible) {
            return Err(WriteError::InvalidHost);
        }
        for (index, field) in self.headers.iter().enumerate() {
            if field.name.is_empty() || !field.name.bytes().all(is_token) {
                return Err(WriteError::InvalidHeaderName { index });
            }
            if !field.value.iter().all(|&b| is_field_value_byte(b)) {
                return Err(WriteError::InvalidHeaderValue { index });
            }
            let reserved = if field.name.eq_ignore_ascii_case("content-length") {
                body_len.is_none_or(|len| parse_decimal(field.value) != Some(len))
            } else {
                ["host", "transfer-encoding", "connection"]
                    .iter()
                    .any(|name| field.name.eq_ignore_ascii_case(name))
            };
            if reserved {
                return Err(WriteError::ReservedHeader { index });
            }
        }
        Ok(())
    }

    fn has_content_length_field(&self) -> bool {
        self.headers
            .iter()
            .any(|field| field.name.eq_ignore_ascii_case("content-length"))
    }

    fn head_len(&self, body_len: Option<usize>) -> usize {
        let mut len = self.method.len() + 1 + self.target.len() + VERSION.len();
        len = len.saturating_add(HOST.len() + self.host.len() + CRLF.len());
        for field in self.headers {
            len = len.saturating_add(
                field.name.len() + COLON_SPACE.len() + field.value.len() + CRLF.len(),
            );
        }
        if let Some(body_len) = body_len
            && !self.has_content_length_field()
        {
            len = len.saturating_add(CONTENT_LENGTH.len() + decimal_len(body_len) + CRLF.len());
        }
        if self.connection == ConnectionMode::Close {
            len = len.saturating_add(CONNECTION_CLOSE.len());
        }
        len.saturating_add(CRLF.len())
    }

    fn put_head(&self, out: &mut SliceWriter<'_>, body_len: Option<usize>) {
        out.put(self.method.as_bytes());
        out.put(b" ");
        out.put(self.target.as_bytes());
        out.put(VERSION);
        out.put(HOST);
        out.put(self.host.as_bytes());
        out.put(CRLF);
        for field in self.headers {
            out.put(field.name.as_bytes());
            out.put(COLON_SPACE);
            out.put(field.value);
            out.put(CRLF);
        }
        if let Some(body_len) = body_len
            && !self.has_content_length_field()
        {
            out.put(CONTENT_LENGTH);
            put_decimal(out, body_len);
            out.put(CRLF);
        }
        if self.connection == ConnectionMode::Close {
            out.put(CONNECTION_CLOSE);
        }
        out.put(CRLF);
    }
}

/// RFC 9110 `tchar`.
pub(crate) fn is_token(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

fn is_visible(b: u8) -> bool {
    (0x21..=0x7e).contains(&b)
}

/// SP, HTAB, visible ASCII and obs-text: everything but control bytes (CR, LF, NUL, DEL, …).
pub(crate) fn is_field_value_byte(b: u8) -> bool {
    b == b'\t' || (b' '..=0x7e).contains(&b) || b >= 0x80
}

fn decimal_len(mut n: usize) -> usize {
    let mut len = 1;
    while n >= 10 {
        n /= 10;
        len += 1;
    }
    len
}

fn put_decimal(out: &mut SliceWriter<'_>, n: usize) {
    let mut digits = [0u8; 20];
    let len = decimal_len(n);
    let mut rest = n;
    for slot in digits.get_mut(..len).unwrap_or_default().iter_mut().rev() {
        // `rest % 10` is below 10, so the cast is lossless.
        *slot = b'0' + (rest % 10) as u8;
        rest /= 10;
    }
    out.put(digits.get(..len).unwrap_or_default());
}

/// A non-empty run of ASCII digits as a `usize`; `None` on anything else or overflow.
fn parse_decimal(bytes: &[u8]) -> Option<usize> {
    if bytes.is_empty() {
        return None;
    }
    bytes.iter().try_fold(0usize, |acc, &b| {
        if b.is_ascii_digit() {
            acc.checked_mul(10)?.checked_add(usize::from(b - b'0'))
        } else {
            None
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIELDS: [Header<'static>; 2] = [
        Header {
            name: "Content-Type",
            value: b"application/x-www-form-urlencoded",
        },
        Header {
            name: "Accept",
            value: b"application/json",
        },
    ];

    fn token_head() -> RequestHead<'static> {
        RequestHead::new("POST", "/connect/token", "accounts.example.com").with_headers(&FIELDS)
    }

    #[test]
    fn writes_exact_bytes() {
        type Case = (RequestHead<'static>, Option<&'static [u8]>, &'static [u8]);
        let cases: [Case; 4] = [
            (
                RequestHead::new("GET", "/lucca-api/leaves?limit=10", "acme.ilucca.net"),
                None,
                b"GET /lucca-api/leaves?limit=10 HTTP/1.1\r\nHost: acme.ilucca.net\r\n\r\n",
            ),
            (
                token_head(),
                Some(b"a=b"),
                b"POST /connect/token HTTP/1.1\r\nHost: accounts.example.com\r\n\
                  Content-Type: application/x-www-form-urlencoded\r\n\
                  Accept: application/json\r\nContent-Length: 3\r\n\r\na=b",
            ),
            (
                RequestHead::new("POST", "/t", "127.0.0.1:8080")
                    .with_connection(ConnectionMode::Close),
                Some(b""),
                b"POST /t HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nContent-Length: 0\r\n\
                  Connection: close\r\n\r\n",
            ),
            (
                RequestHead::new("POST", "/t", "h").with_headers(&[Header {
                    name: "content-length",
                    value: b"12",
                }]),
                Some(b"0123456789ab"),
                b"POST /t HTTP/1.1\r\nHost: h\r\ncontent-length: 12\r\n\r\n0123456789ab",
            ),
        ];
        for (head, body, expected) in cases {
            let mut buf = [0xAAu8; 512];
            let len = match body {
                Some(body) => head.write_with_body(body, &mut buf),
                None => head.write(&mut buf),
            };
            assert_eq!(len, Ok(expected.len()));
            assert_eq!(&buf[..expected.len()], expected);
            assert!(buf[expected.len()..].iter().all(|&b| b == 0xAA));
            assert_eq!(head.encoded_len(body.map(<[u8]>::len)), Ok(expected.len()));
        }
    }

    #[test]
    fn short_buffer_reports_exact_need_and_is_untouched() {
        let head = token_head();
        let body = b"grant_type=client_credentials";
        let total = head.encoded_len(Some(body.len())).expect("valid head");
        assert_eq!(total, 184);
        for len in [0, 1, 100, total - body.len(), total - 1] {
            let mut buf = [0x55u8; 184];
            assert_eq!(
                head.write_with_body(&body[..], &mut buf[..len]),
                Err(WriteError::BufferTooSmall {
                    needed: 184,
                    available: len
                })
            );
            assert!(buf.iter().all(|&b| b == 0x55), "touched with len {len}");
        }
        let mut buf = [0u8; 184];
        assert_eq!(head.write_with_body(&body[..], &mut buf), Ok(184));
        let mut small = [0u8; 4];
        assert_eq!(
            RequestHead::new("GET", "/", "h").write(&mut small),
            Err(WriteError::BufferTooSmall {
                needed: 27,
                available: 4
            })
        );
        assert_eq!(small, [0; 4]);
    }

    #[test]
    fn rejects_injection_and_reserved_fields() {
        let bad = |name: &'static str, value: &'static [u8]| [Header { name, value }];
        let cases: [([Header<'static>; 1], WriteError); 10] = [
            (
                bad("X-A", b"a\r\nEvil: 1"),
                WriteError::InvalidHeaderValue { index: 0 },
            ),
            (
                bad("X-A", b"a\nb"),
                WriteError::InvalidHeaderValue { index: 0 },
            ),
            (
                bad("X-A", b"a\rb"),
                WriteError::InvalidHeaderValue { index: 0 },
            ),
            (
                bad("X-A", b"a\0b"),
                WriteError::InvalidHeaderValue { index: 0 },
            ),
            (
                bad("X-A", b"a\x7fb"),
                WriteError::InvalidHeaderValue { index: 0 },
            ),
            (bad("X A", b"v"), WriteError::InvalidHeaderName { index: 0 }),
            (
                bad("X-A\r\n", b"v"),
                WriteError::InvalidHeaderName { index: 0 },
            ),
            (bad("", b"v"), WriteError::InvalidHeaderName { index: 0 }),
            (bad("HOST", b"x"), WriteError::ReservedHeader { index: 0 }),
            (
                bad("Content-Length", b"4"),
                WriteError::ReservedHeader { index: 0 },
            ),
        ];
        for (fields, expected) in &cases {
            let head = RequestHead::new("POST", "/", "h").with_headers(fields);
            let mut buf = [0u8; 128];
            assert_eq!(head.write_with_body(&b"abc"[..], &mut buf), Err(*expected));
            assert_eq!(buf, [0; 128]);
        }
        let ok_tab = [Header {
            name: "X-A",
            value: b"a\tb \x80",
        }];
        let mut buf = [0u8; 64];
        assert!(
            RequestHead::new("GET", "/", "h")
                .with_headers(&ok_tab)
                .write(&mut buf)
                .is_ok()
        );
        for (head, expected) in [
            (RequestHead::new("", "/", "h"), WriteError::InvalidMethod),
            (
                RequestHead::new("GE T", "/", "h"),
                WriteError::InvalidMethod,
            ),
            (
                RequestHead::new("GET", "/a b", "h"),
                WriteError::InvalidTarget,
            ),
            (
                RequestHead::new("GET", "/\r\nX: y", "h"),
                WriteError::InvalidTarget,
            ),
            (RequestHead::new("GET", "", "h"), WriteError::InvalidTarget),
            (
                RequestHead::new("GET", "/", "h\r\nX: y"),
                WriteError::InvalidHost,
            ),
            (RequestHead::new("GET", "/", ""), WriteError::InvalidHost),
        ] {
            assert_eq!(head.write(&mut buf), Err(expected));
        }
        let te = [Header {
            name: "transfer-encoding",
            value: b"chunked",
        }];
        assert_eq!(
            RequestHead::new("GET", "/", "h")
                .with_headers(&te)
                .write(&mut buf),
            Err(WriteError::ReservedHeader { index: 0 })
        );
        let cl = [Header {
            name: "Content-Length",
            value: b"0",
        }];
        assert_eq!(
            RequestHead::new("GET", "/", "h")
                .with_headers(&cl)
                .write(&mut buf),
            Err(WriteError::ReservedHeader { index: 0 })
        );
    }

    struct Liar(usize, &'static [u8]);

    impl RequestBody for Liar {
        fn body_len(&self) -> usize {
            self.0
        }
        fn write_body(&self, out: &mut SliceWriter<'_>) {
            out.put(self.1);
        }
    }

    #[test]
    fn body_length_mismatch_is_reported() {
        let head = RequestHead::new("POST", "/", "h");
        let mut buf = [0u8; 128];
        assert_eq!(
            head.write_with_body(&Liar(2, b"abc"), &mut buf),
            Err(WriteError::BodyLengthMismatch {
                declared: 2,
                written: 3
            })
        );
        assert_eq!(
            head.write_with_body(&Liar(4, b"abc"), &mut buf),
            Err(WriteError::BodyLengthMismatch {
                declared: 4,
                written: 3
            })
        );
    }

    #[test]
    fn slice_writer_is_all_or_nothing() {
        let mut buf = [0u8; 5];
        let mut out = SliceWriter::new(&mut buf);
        assert_eq!(out.capacity(), 5);
        out.put(b"ab");
        out.put(b"cdef");
        out.put(b"g");
        assert_eq!(out.written(), b"ab");
        assert_eq!(out.remaining(), 0);
        assert!(out.overflowed());
        assert_eq!(out.requested(), 7);
        assert_eq!(
            out.finish(),
            Err(BufferTooSmall {
                needed: 7,
                available: 5
            })
        );
        assert_eq!(buf, *b"ab\0\0\0");
        let mut buf = [0u8; 3];
        let mut out = SliceWriter::new(&mut buf);
        fmt::Write::write_fmt(&mut out, format_args!("{}", 123)).expect("fits");
        assert_eq!(out.finish(), Ok(3));
    }

    #[test]
    fn decimals() {
        for (n, text) in [
            (0usize, "0"),
            (9, "9"),
            (10, "10"),
            (4096, "4096"),
            (usize::MAX, ""),
        ] {
            let mut buf = [0u8; 20];
            let mut out = SliceWriter::new(&mut buf);
            put_decimal(&mut out, n);
            let written = out.finish().expect("20 digits fit");
            if !text.is_empty() {
                assert_eq!(&buf[..written], text.as_bytes());
            }
            assert_eq!(parse_decimal(&buf[..written]), Some(n));
        }
        assert_eq!(parse_decimal(b""), None);
        assert_eq!(parse_decimal(b"+1"), None);
        assert_eq!(parse_decimal(b"99999999999999999999999"), None);
    }
}
