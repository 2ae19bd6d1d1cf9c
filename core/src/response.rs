//! [`HttpResponse`]: the borrowed view of an HTTP response that every classifier in the core
//! reads (status, header fields, body, and optionally the wall-clock time it arrived).
//!
//! Adapters build one from whatever their HTTP stack gives them; the core's own HTTP/1.1
//! codec produces one directly from raw bytes.

use core::fmt;

use crate::time::UnixTime;

pub use httparse::Header;

/// A received HTTP response, borrowed: status code, header fields in wire order, and the
/// complete (de-chunked) body.
///
/// ```
/// use lucca_auth::response::{Header, HttpResponse};
///
/// let headers = [Header { name: "Retry-After", value: b"30" }];
/// let response = HttpResponse::new(429, &headers, b"");
/// assert_eq!(response.header("retry-after"), Some(&b"30"[..]));
/// ```
///
/// Its `Debug` output shows the status, the header fields (the values of credential-bearing
/// fields such as `Authorization` and `Set-Cookie` as `[redacted]`) and the body's length,
/// never the body: a token answer's body is the token.
#[derive(Clone, Copy)]
pub struct HttpResponse<'a> {
    status: u16,
    headers: &'a [Header<'a>],
    body: &'a [u8],
    wall_clock: Option<UnixTime>,
}

impl<'a> HttpResponse<'a> {
    /// A response with this status, these header fields and this complete body.
    #[must_use]
    pub fn new(status: u16, headers: &'a [Header<'a>], body: &'a [u8]) -> Self {
        HttpResponse {
            status,
            headers,
            body,
            wall_clock: None,
        }
    }

    /// Records the caller's wall-clock time when the response arrived. It is used to turn a
    /// `Retry-After` HTTP-date into a delay when the response carries no `Date` header.
    #[must_use]
    pub fn with_wall_clock(mut self, received_at: UnixTime) -> Self {
        self.wall_clock = Some(received_at);
        self
    }

    /// The status code.
    #[must_use]
    pub fn status(&self) -> u16 {
        self.status
    }

    /// All header fields, in the order received.
    #[must_use]
    pub fn headers(&self) -> &'a [Header<'a>] {
        self.headers
    }

    /// The complete body.
    #[must_use]
    pub fn body(&self) -> &'a [u8] {
        self.body
    }

    /// The caller's wall-clock time at reception, if given.
    #[must_use]
    pub fn wall_clock(&self) -> Option<UnixTime> {
        self.wall_clock
    }

    /// The value of the first header field with this name (ASCII case-insensitive).
    #[must_use]
    pub fn header(&self, name: &str) -> Option<&'a [u8]> {
        self.headers_named(name).next()
    }

    /// The values of every header field with this name (ASCII case-insensitive), in order.
    pub fn headers_named<'n>(&self, name: &'n str) -> impl Iterator<Item = &'a [u8]> + 'n
    where
        'a: 'n,
    {
        self.headers
            .iter()
            .filter(move |h| h.name.eq_ignore_ascii_case(name))
            .map(|h| h.value)
    }
}

impl fmt::Debug for HttpResponse<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpResponse")
            .field("status", &self.status)
            .field("headers", &HeaderFieldsDebug(self.headers))
            .field("body_len", &self.body.len())
            .field("wall_clock", &self.wall_clock)
            .finish()
    }
}

/// Header fields whose values are credentials, shown as `[redacted]` by [`HeaderFieldsDebug`].
const CREDENTIAL_FIELDS: [&str; 4] = [
    "authorization",
    "proxy-authorization",
    "cookie",
    "set-cookie",
];

/// `Debug` for header fields: `name: value` pairs, values as text where they are UTF-8 (else
/// their length), and the values of credential-bearing fields ([`CREDENTIAL_FIELDS`]) as
/// `[redacted]`. Used by [`HttpResponse`] and the codec's request head.
pub(crate) struct HeaderFieldsDebug<'h, 'a>(pub(crate) &'h [Header<'a>]);

impl fmt::Debug for HeaderFieldsDebug<'_, '_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        /// One value, as `Debug` shows it.
        struct Value<'v>(&'v str, &'v [u8]);
        impl fmt::Debug for Value<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                let Value(name, value) = *self;
                if CREDENTIAL_FIELDS
                    .iter()
                    .any(|field| field.eq_ignore_ascii_case(name))
                {
                    f.write_str("[redacted]")
                } else {
                    match core::str::from_utf8(value) {
                        Ok(text) => fmt::Debug::fmt(text, f),
                        Err(_) => write!(f, "[{} bytes]", value.len()),
                    }
                }
            }
        }
        f.debug_map()
            .entries(self.0.iter().map(|h| (h.name, Value(h.name, h.value))))
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_shows_no_body_and_no_credential_field() {
        let headers = [
            Header {
                name: "Content-Type",
                value: b"application/json",
            },
            Header {
                name: "set-cookie",
                value: b"session=abc",
            },
            Header {
                name: "X-Bytes",
                value: b"\xff\xfe",
            },
        ];
        let response = HttpResponse::new(200, &headers, br#"{"access_token":"AT-1"}"#);
        assert_eq!(
            alloc::format!("{response:?}"),
            r#"HttpResponse { status: 200, headers: {"Content-Type": "application/json", "set-cookie": [redacted], "X-Bytes": [2 bytes]}, body_len: 23, wall_clock: None }"#
        );
    }

    #[test]
    fn header_lookup_is_case_insensitive_and_ordered() {
        let headers = [
            Header {
                name: "WWW-Authenticate",
                value: b"Basic realm=\"x\"",
            },
            Header {
                name: "Content-Type",
                value: b"text/plain",
            },
            Header {
                name: "www-authenticate",
                value: b"Bearer",
            },
        ];
        let response = HttpResponse::new(401, &headers, b"body");
        assert_eq!(response.status(), 401);
        assert_eq!(response.body(), b"body");
        assert_eq!(response.header("content-type"), Some(&b"text/plain"[..]));
        assert_eq!(response.header("Location"), None);
        let all: alloc::vec::Vec<&[u8]> = response.headers_named("WWW-AUTHENTICATE").collect();
        assert_eq!(all, [&b"Basic realm=\"x\""[..], &b"Bearer"[..]]);
        assert_eq!(response.wall_clock(), None);
        assert_eq!(
            response
                .with_wall_clock(UnixTime::from_secs(7))
                .wall_clock(),
            Some(UnixTime::from_secs(7))
        );
    }
}
