//! [`HttpResponse`]: the borrowed view of an HTTP response that every classifier in the core
//! reads (status, header fields, body, and optionally the wall-clock time it arrived).
//!
//! Adapters build one from whatever their HTTP stack gives them; the core's own HTTP/1.1
//! codec produces one directly from raw bytes.

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
#[derive(Clone, Copy, Debug)]
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

#[cfg(test)]
mod tests {
    use super::*;

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
