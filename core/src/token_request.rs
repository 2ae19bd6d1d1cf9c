//! [`TokenRequest`]: the client-credentials token request (RFC 6749 §4.4.2) — method, target,
//! header fields, form body and, with HTTP Basic, the `Authorization` value.
//!
//! The body is `grant_type=client_credentials&client_id=…&client_secret=…&scope=…`, in that
//! order, every value encoded by [`crate::form`]; `scope` is omitted when no scope is
//! requested. With [`ClientAuthMethod::HttpBasic`] the body is only
//! `grant_type=client_credentials[&scope=…]` and the credentials go in
//! `Authorization: Basic base64(enc(client_id) ":" enc(client_secret))` (RFC 6749 §2.3.1),
//! with the same encoder. Never both.
//!
//! ```
//! use lucca_auth::config::{ClientCredentials, UserAgent};
//! use lucca_auth::endpoint::TokenEndpoint;
//! use lucca_auth::scope::Scopes;
//! use lucca_auth::secret::{ClientId, ClientSecret};
//! use lucca_auth::token_request::TokenRequest;
//!
//! let endpoint = TokenEndpoint::default();
//! let credentials = ClientCredentials::new(ClientId::new("demo"), ClientSecret::new("a+b"));
//! let scopes = Scopes::parse_space_separated("users.readonly leaves.readwrite")?;
//! let user_agent = UserAgent::default();
//! let request = TokenRequest::new(&endpoint, &credentials, &scopes, &user_agent);
//!
//! assert_eq!(request.method(), "POST");
//! assert_eq!(request.url(), "https://accounts.world.luccasoftware.com/connect/token");
//! assert_eq!(
//!     &request.body()[..],
//!     b"grant_type=client_credentials&client_id=demo&client_secret=a%2Bb\
//!       &scope=users.readonly%20leaves.readwrite"
//! );
//! assert_eq!(request.body_len(), request.body().len());
//! assert!(request.basic_authorization().is_none());
//! # Ok::<(), lucca_auth::scope::ScopeError>(())
//! ```

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;
use zeroize::{Zeroize, Zeroizing};

use crate::config::{ClientAuthMethod, ClientCredentials, UserAgent};
use crate::endpoint::TokenEndpoint;
use crate::form::{self, BufferTooSmall, ByteCounter, ByteSink};
use crate::response::Header;
use crate::scope::Scopes;

/// A token request, borrowing everything it is built from. Cheap to build: nothing is encoded
/// until a body or header value is asked for.
///
/// The caller (or the crate's HTTP/1.1 codec) sends:
///
/// ```text
/// POST {endpoint.path()} HTTP/1.1
/// Host: {endpoint.host_header()}
/// {header_fields()}                       Content-Type, Accept, User-Agent
/// Authorization: {basic_authorization()}  only with ClientAuthMethod::HttpBasic
/// Content-Length: {body_len()}
///
/// {body()}
/// ```
///
/// `Debug` shows the URL, client id, authentication method, scopes and user agent — never the
/// secret, the body or the `Authorization` value.
#[derive(Clone, Copy)]
pub struct TokenRequest<'a> {
    endpoint: &'a TokenEndpoint,
    credentials: &'a ClientCredentials,
    scopes: &'a Scopes,
    user_agent: &'a UserAgent,
}

impl<'a> TokenRequest<'a> {
    /// The request method.
    pub const METHOD: &'static str = "POST";
    /// The `Content-Type` of the body.
    pub const CONTENT_TYPE: &'static str = "application/x-www-form-urlencoded";
    /// The `Accept` header value.
    pub const ACCEPT: &'static str = "application/json";

    /// A request for `scopes` (empty: no `scope` parameter) to `endpoint`, authenticated with
    /// `credentials` as their [`ClientCredentials::method`] says.
    #[must_use]
    pub fn new(
        endpoint: &'a TokenEndpoint,
        credentials: &'a ClientCredentials,
        scopes: &'a Scopes,
        user_agent: &'a UserAgent,
    ) -> Self {
        TokenRequest {
            endpoint,
            credentials,
            scopes,
            user_agent,
        }
    }

    /// `"POST"`.
    #[must_use]
    pub fn method(&self) -> &'static str {
        Self::METHOD
    }

    /// The token endpoint.
    #[must_use]
    pub fn endpoint(&self) -> &'a TokenEndpoint {
        self.endpoint
    }

    /// The absolute URL to send the request to.
    #[must_use]
    pub fn url(&self) -> &'a str {
        self.endpoint.as_str()
    }

    /// The requested scopes.
    #[must_use]
    pub fn scopes(&self) -> &'a Scopes {
        self.scopes
    }

    /// How the client authenticates.
    #[must_use]
    pub fn auth_method(&self) -> ClientAuthMethod {
        self.credentials.method()
    }

    /// The header fields that hold no secret, in this order: `Content-Type`, `Accept`,
    /// `User-Agent`. `Host` ([`TokenEndpoint::host_header`]) and `Content-Length`
    /// ([`body_len`](TokenRequest::body_len)) are left to the HTTP layer, which writes them
    /// itself; `Authorization` comes from [`basic_authorization`](TokenRequest::basic_authorization).
    #[must_use]
    pub fn header_fields(&self) -> [Header<'a>; 3] {
        [
            Header {
                name: "Content-Type",
                value: Self::CONTENT_TYPE.as_bytes(),
            },
            Header {
                name: "Accept",
                value: Self::ACCEPT.as_bytes(),
            },
            Header {
                name: "User-Agent",
                value: self.user_agent.as_str().as_bytes(),
            },
        ]
    }

    /// Writes the form body into `sink`. It writes exactly [`body_len`](TokenRequest::body_len)
    /// bytes.
    ///
    /// The body holds the client secret (with [`ClientAuthMethod::RequestBody`]). A `Vec`
    /// that grows while it is written leaves copies behind in freed memory: reserve
    /// `body_len()` first, or use [`body`](TokenRequest::body), which does.
    pub fn write_body<S: ByteSink + ?Sized>(&self, sink: &mut S) {
        sink.put(b"grant_type=client_credentials");
        match self.credentials.method() {
            ClientAuthMethod::RequestBody => {
                sink.put(b"&client_id=");
                form::encode(self.credentials.id().as_str().as_bytes(), sink);
                sink.put(b"&client_secret=");
                form::encode(self.credentials.secret().secret().as_bytes(), sink);
            }
            ClientAuthMethod::HttpBasic => {}
        }
        if !self.scopes.is_empty() {
            sink.put(b"&scope=");
            for (i, scope) in self.scopes.iter().enumerate() {
                if i > 0 {
                    sink.put(b"%20");
                }
                form::encode(scope.as_str().as_bytes(), sink);
            }
        }
    }

    /// The exact length of the body in bytes: the `Content-Length`.
    #[must_use]
    pub fn body_len(&self) -> usize {
        let mut counter = ByteCounter::new();
        self.write_body(&mut counter);
        counter.count()
    }

    /// Writes the body into the start of `out` and returns its length. When `out` is shorter
    /// than [`body_len`](TokenRequest::body_len), nothing is written.
    pub fn write_body_to_slice(&self, out: &mut [u8]) -> Result<usize, BufferTooSmall> {
        form::write_to_slice(out, |sink| self.write_body(sink))
    }

    /// The body, in a buffer allocated once at its exact size and zeroized when dropped.
    #[must_use]
    pub fn body(&self) -> Zeroizing<Vec<u8>> {
        let mut body = Zeroizing::new(Vec::with_capacity(self.body_len()));
        self.write_body(&mut *body);
        body
    }

    /// With [`ClientAuthMethod::HttpBasic`], the `Authorization` header value
    /// `Basic base64(enc(client_id) ":" enc(client_secret))`, where `enc` is the form encoder;
    /// otherwise `None`. Allocated once at its exact size and zeroized when dropped.
    ///
    /// # Security warning
    ///
    /// The value is the client secret, barely disguised. Do not log it or keep it longer
    /// than the request.
    ///
    /// ```
    /// use lucca_auth::config::{ClientAuthMethod, ClientCredentials, UserAgent};
    /// use lucca_auth::endpoint::TokenEndpoint;
    /// use lucca_auth::scope::Scopes;
    /// use lucca_auth::secret::{ClientId, ClientSecret};
    /// use lucca_auth::token_request::TokenRequest;
    ///
    /// let credentials = ClientCredentials::new(ClientId::new("a b"), ClientSecret::new("c+d"))
    ///     .with_method(ClientAuthMethod::HttpBasic);
    /// let (endpoint, scopes, ua) = (TokenEndpoint::default(), Scopes::new(), UserAgent::default());
    /// let request = TokenRequest::new(&endpoint, &credentials, &scopes, &ua);
    /// // base64("a%20b:c%2Bd")
    /// assert_eq!(request.basic_authorization().as_deref().map(String::as_str), Some("Basic YSUyMGI6YyUyQmQ="));
    /// assert_eq!(&request.body()[..], b"grant_type=client_credentials");
    /// ```
    ///
    /// To write the value into memory of your own instead, without allocating, see
    /// [`write_basic_authorization`](TokenRequest::write_basic_authorization).
    #[must_use]
    pub fn basic_authorization(&self) -> Option<Zeroizing<String>> {
        let len = self.basic_authorization_len()?;
        let mut value = AsciiString(Zeroizing::new(String::with_capacity(len)));
        self.write_basic_authorization(&mut value);
        Some(value.0)
    }

    /// With [`ClientAuthMethod::HttpBasic`], the exact length in bytes of the
    /// `Authorization` value that [`write_basic_authorization`](TokenRequest::write_basic_authorization)
    /// writes; otherwise `None`.
    #[must_use]
    pub fn basic_authorization_len(&self) -> Option<usize> {
        match self.credentials.method() {
            ClientAuthMethod::RequestBody => None,
            ClientAuthMethod::HttpBasic => {
                let mut counter = ByteCounter::new();
                self.write_basic_credentials(&mut Base64::new(&mut counter));
                Some(BASIC.len().saturating_add(counter.count()))
            }
        }
    }

    /// With [`ClientAuthMethod::HttpBasic`], writes the `Authorization` value
    /// `Basic base64(enc(client_id) ":" enc(client_secret))` into `sink` without allocating
    /// and returns its length, [`basic_authorization_len`](TokenRequest::basic_authorization_len)
    /// bytes; otherwise writes nothing and returns `None`. The value is ASCII.
    ///
    /// For a `&mut [u8]` of your own, write through a [`form::SliceWriter`] (all or nothing
    /// with [`form::write_to_slice`]).
    ///
    /// # Security warning
    ///
    /// The value is the client secret, barely disguised. Zeroize what `sink` wrote once the
    /// request is sent (for example with `zeroize::Zeroize`), and never log it. A `Vec` that
    /// grows while it is written leaves copies behind in freed memory: reserve
    /// `basic_authorization_len()` first.
    ///
    /// ```
    /// use lucca_auth::config::{ClientAuthMethod, ClientCredentials, UserAgent};
    /// use lucca_auth::endpoint::TokenEndpoint;
    /// use lucca_auth::form::SliceWriter;
    /// use lucca_auth::scope::Scopes;
    /// use lucca_auth::secret::{ClientId, ClientSecret};
    /// use lucca_auth::token_request::TokenRequest;
    ///
    /// let credentials = ClientCredentials::new(ClientId::new("a b"), ClientSecret::new("c+d"))
    ///     .with_method(ClientAuthMethod::HttpBasic);
    /// let (endpoint, scopes, ua) = (TokenEndpoint::default(), Scopes::new(), UserAgent::default());
    /// let request = TokenRequest::new(&endpoint, &credentials, &scopes, &ua);
    /// assert_eq!(request.basic_authorization_len(), Some(22));
    /// let mut buf = [0u8; 64];
    /// let mut out = SliceWriter::new(&mut buf);
    /// assert_eq!(request.write_basic_authorization(&mut out), Some(22));
    /// assert_eq!(out.written(), b"Basic YSUyMGI6YyUyQmQ=");
    /// ```
    pub fn write_basic_authorization<S: ByteSink + ?Sized>(&self, sink: &mut S) -> Option<usize> {
        match self.credentials.method() {
            ClientAuthMethod::RequestBody => None,
            ClientAuthMethod::HttpBasic => {
                let mut counted = Counted {
                    out: sink,
                    count: 0,
                };
                counted.put(BASIC.as_bytes());
                self.write_basic_credentials(&mut Base64::new(&mut counted));
                Some(counted.count)
            }
        }
    }

    /// Writes `enc(client_id) ":" enc(client_secret)` into the base64 encoder and finishes it.
    fn write_basic_credentials<S: ByteSink + ?Sized>(&self, base64: &mut Base64<'_, S>) {
        form::encode(self.credentials.id().as_str().as_bytes(), base64);
        base64.put(b":");
        form::encode(self.credentials.secret().secret().as_bytes(), base64);
        base64.finish();
    }
}

/// The token request as a body for the crate's HTTP/1.1 request writer.
#[cfg(feature = "codec")]
impl crate::codec::RequestBody for TokenRequest<'_> {
    fn body_len(&self) -> usize {
        TokenRequest::body_len(self)
    }

    fn write_body(&self, out: &mut crate::codec::SliceWriter<'_>) {
        TokenRequest::write_body(self, out);
    }
}

impl fmt::Debug for TokenRequest<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenRequest")
            .field("method", &Self::METHOD)
            .field("url", &self.endpoint.as_str())
            .field("client_id", self.credentials.id())
            .field("auth_method", &self.credentials.method())
            .field("scopes", self.scopes)
            .field("user_agent", self.user_agent)
            .finish_non_exhaustive()
    }
}

/// The `Basic ` prefix of the `Authorization` value.
const BASIC: &str = "Basic ";

/// A `String` that receives ASCII bytes through [`ByteSink`]. Only this module's encoders
/// write into it, and they write ASCII only; any other byte would be replaced by `?`.
struct AsciiString(Zeroizing<String>);

impl ByteSink for AsciiString {
    fn put(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0.push(if b.is_ascii() { char::from(b) } else { '?' });
        }
    }
}

/// A sink that passes bytes on to `out` and counts them.
struct Counted<'s, S: ByteSink + ?Sized> {
    out: &'s mut S,
    count: usize,
}

impl<S: ByteSink + ?Sized> ByteSink for Counted<'_, S> {
    fn put(&mut self, bytes: &[u8]) {
        self.count = self.count.saturating_add(bytes.len());
        self.out.put(bytes);
    }
}

/// `input` in standard base64 with padding, for the error redaction that looks for an echoed
/// Basic credential.
pub(crate) fn base64_string(input: &[u8]) -> String {
    let mut out = Vec::with_capacity(input.len().div_ceil(3) * 4);
    let mut encoder = Base64::new(&mut out);
    encoder.put(input);
    encoder.finish();
    drop(encoder);
    String::from_utf8_lossy(&out).into_owned()
}

/// The standard base64 alphabet (RFC 4648 §4).
const BASE64_ALPHABET: &[u8; 64] =
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// A streaming base64 encoder (standard alphabet, `=` padding) in front of another sink. It
/// holds at most two input bytes between `put`s and zeroizes them when finished or dropped.
struct Base64<'s, S: ByteSink + ?Sized> {
    out: &'s mut S,
    pending: [u8; 3],
    pending_len: usize,
}

impl<'s, S: ByteSink + ?Sized> Base64<'s, S> {
    fn new(out: &'s mut S) -> Self {
        Base64 {
            out,
            pending: [0; 3],
            pending_len: 0,
        }
    }

    fn emit(&mut self, group: [u8; 3], len: usize) {
        let [a, b, c] = group;
        let sextets = [
            a >> 2,
            (a & 0x03) << 4 | b >> 4,
            (b & 0x0F) << 2 | c >> 6,
            c & 0x3F,
        ];
        let mut chars = [b'='; 4];
        for (slot, sextet) in chars.iter_mut().zip(sextets).take(len + 1) {
            *slot = BASE64_ALPHABET
                .get(usize::from(sextet))
                .copied()
                .unwrap_or(b'=');
        }
        self.out.put(&chars);
        chars.zeroize();
    }

    /// Writes the last, padded group.
    fn finish(&mut self) {
        if self.pending_len > 0 {
            let mut group = [0u8; 3];
            for (slot, &b) in group.iter_mut().zip(&self.pending).take(self.pending_len) {
                *slot = b;
            }
            self.emit(group, self.pending_len);
            group.zeroize();
        }
        self.pending.zeroize();
        self.pending_len = 0;
    }
}

impl<S: ByteSink + ?Sized> ByteSink for Base64<'_, S> {
    fn put(&mut self, bytes: &[u8]) {
        for &b in bytes {
            if let Some(slot) = self.pending.get_mut(self.pending_len) {
                *slot = b;
                self.pending_len += 1;
            }
            if self.pending_len == 3 {
                self.emit(self.pending, 3);
                self.pending_len = 0;
            }
        }
    }
}

impl<S: ByteSink + ?Sized> Drop for Base64<'_, S> {
    fn drop(&mut self) {
        self.pending.zeroize();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::{ClientId, ClientSecret};
    use alloc::borrow::ToOwned;
    use alloc::format;
    use alloc::string::ToString;
    use alloc::vec;

    /// The shared case B09: the exact request a client must send.
    const B09: &[u8] = include_bytes!("../tests/data/B09.http");

    fn split_http(message: &[u8]) -> (&[u8], &[u8]) {
        let at = message
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .map_or(message.len(), |i| i + 4);
        message.split_at(at)
    }

    fn b09_inputs() -> (TokenEndpoint, ClientCredentials, Scopes) {
        let credentials = ClientCredentials::new(
            ClientId::new("demo-integration"),
            ClientSecret::new("Ab+1/c=d&e%f"),
        );
        let scopes = Scopes::try_from_iter(["leaves.readwrite", "leave-requests.readonly"])
            .unwrap_or_default();
        (TokenEndpoint::default(), credentials, scopes)
    }

    #[test]
    fn b09_body_and_content_length_match_the_shared_case_exactly() {
        let (head, expected_body) = split_http(B09);
        let head = core::str::from_utf8(head).unwrap_or_default();
        assert!(head.contains("\r\nContent-Length: 142\r\n"), "{head}");
        assert_eq!(expected_body.len(), 142);

        let (endpoint, credentials, scopes) = b09_inputs();
        assert_eq!(scopes.len(), 2);
        let ua = UserAgent::default();
        let request = TokenRequest::new(&endpoint, &credentials, &scopes, &ua);
        assert_eq!(&request.body()[..], expected_body);
        assert_eq!(request.body_len(), 142);
        assert!(head.starts_with(&format!(
            "POST {} HTTP/1.1\r\nHost: {}\r\n",
            endpoint.path(),
            endpoint.host_header()
        )));
        let mut buf = [0u8; 142];
        assert_eq!(request.write_body_to_slice(&mut buf), Ok(142));
        assert_eq!(&buf[..], expected_body);
    }

    /// B09 written whole by the crate's HTTP/1.1 writer: byte for byte the shared case (which
    /// has no `User-Agent`, so only the first two of our header fields are given).
    #[cfg(feature = "codec")]
    #[test]
    fn b09_whole_request_through_the_codec() {
        use crate::codec::RequestHead;
        let (endpoint, credentials, scopes) = b09_inputs();
        let ua = UserAgent::default();
        let request = TokenRequest::new(&endpoint, &credentials, &scopes, &ua);
        let fields = request.header_fields();
        let head = RequestHead::new(request.method(), endpoint.path(), endpoint.host_header())
            .with_headers(&fields[..2]);
        let mut buf = vec![0u8; 512];
        let len = head.write_with_body(&request, &mut buf);
        assert_eq!(len, Ok(B09.len()));
        assert_eq!(buf.get(..B09.len()), Some(B09));
    }

    #[test]
    fn body_table() {
        // (client id, secret, scopes, method, expected body, expected Authorization)
        type Case = (
            &'static str,
            &'static str,
            &'static [&'static str],
            ClientAuthMethod,
            &'static str,
            Option<&'static str>,
        );
        use ClientAuthMethod::{HttpBasic, RequestBody};
        #[rustfmt::skip]
        let cases: &[Case] = &[
            ("app", "s", &[], RequestBody,
                "grant_type=client_credentials&client_id=app&client_secret=s", None),
            ("", "", &[], RequestBody,
                "grant_type=client_credentials&client_id=&client_secret=", None),
            ("a b", "~*!'()", &["x:y"], RequestBody,
                "grant_type=client_credentials&client_id=a%20b&client_secret=~%2A%21%27%28%29&scope=x%3Ay",
                None),
            ("é", "€+&=%/:", &["b", "a"], RequestBody,
                "grant_type=client_credentials&client_id=%C3%A9&client_secret=%E2%82%AC%2B%26%3D%25%2F%3A&scope=b%20a",
                None),
            ("app", "s", &[], HttpBasic, "grant_type=client_credentials", Some("Basic YXBwOnM=")),
            ("", "", &[], HttpBasic, "grant_type=client_credentials", Some("Basic Og==")),
            ("ab", "", &[], HttpBasic, "grant_type=client_credentials", Some("Basic YWI6")),
            ("a", "bc", &["leaves.readwrite"], HttpBasic,
                "grant_type=client_credentials&scope=leaves.readwrite", Some("Basic YTpiYw==")),
            // enc("é") ":" enc("+ ") = "%C3%A9:%2B%20"
            ("é", "+ ", &[], HttpBasic, "grant_type=client_credentials", Some("Basic JUMzJUE5OiUyQiUyMA==")),
        ];
        for &(id, secret, scopes, method, body, authorization) in cases {
            let credentials = ClientCredentials::new(ClientId::new(id), ClientSecret::new(secret))
                .with_method(method);
            let scopes = Scopes::try_from_iter(scopes).unwrap_or_default();
            let (endpoint, ua) = (TokenEndpoint::default(), UserAgent::default());
            let request = TokenRequest::new(&endpoint, &credentials, &scopes, &ua);
            assert_eq!(
                core::str::from_utf8(&request.body()),
                Ok(body),
                "{id:?} {secret:?}"
            );
            assert_eq!(request.body_len(), body.len());
            let auth = request.basic_authorization();
            assert_eq!(
                auth.as_deref().map(String::as_str),
                authorization,
                "{id:?} {secret:?}"
            );
            if let (Some(auth), Some(expected)) = (&auth, authorization) {
                assert_eq!(auth.capacity(), expected.len(), "allocated at exact size");
            }
            assert_eq!(request.auth_method(), method);
        }
    }

    #[test]
    fn base64_rfc_4648_vectors() {
        let cases: &[(&str, &str)] = &[
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
            ("\u{ff}\u{fe}", "w7/Dvg=="),
        ];
        for &(input, expected) in cases {
            // Fed one byte at a time and all at once.
            for chunked in [false, true] {
                let mut out = Vec::new();
                let mut b64 = Base64::new(&mut out);
                if chunked {
                    for b in input.bytes() {
                        b64.put(&[b]);
                    }
                } else {
                    b64.put(input.as_bytes());
                }
                b64.finish();
                drop(b64);
                assert_eq!(core::str::from_utf8(&out), Ok(expected), "{input:?}");
            }
        }
    }

    #[test]
    fn headers_and_accessors() {
        let (endpoint, credentials, scopes) = b09_inputs();
        let ua = UserAgent::new("acme/1.0").unwrap_or_default();
        let request = TokenRequest::new(&endpoint, &credentials, &scopes, &ua);
        let fields: Vec<(&str, &[u8])> = request
            .header_fields()
            .iter()
            .map(|h| (h.name, h.value))
            .collect();
        assert_eq!(
            fields,
            vec![
                ("Content-Type", &b"application/x-www-form-urlencoded"[..]),
                ("Accept", &b"application/json"[..]),
                ("User-Agent", &b"acme/1.0"[..]),
            ]
        );
        assert_eq!(request.method(), "POST");
        assert_eq!(
            request.url(),
            "https://accounts.world.luccasoftware.com/connect/token"
        );
        assert_eq!(request.endpoint(), &endpoint);
        assert_eq!(request.scopes(), &scopes);
    }

    #[test]
    fn short_slice_is_untouched() {
        let (endpoint, credentials, scopes) = b09_inputs();
        let ua = UserAgent::default();
        let request = TokenRequest::new(&endpoint, &credentials, &scopes, &ua);
        let mut buf = [b'#'; 141];
        assert_eq!(
            request.write_body_to_slice(&mut buf),
            Err(BufferTooSmall {
                needed: 142,
                available: 141
            })
        );
        assert!(buf.iter().all(|&b| b == b'#'));
    }

    /// A sentinel full of characters that encode differently in every form.
    const SENTINEL: &str = "S3nt1nel+/=&% é\"'~*:@!";

    /// Every form in which the sentinel could leak.
    fn leak_forms(secret: &str, id: &str) -> Vec<String> {
        let mut encoded = String::new();
        form::encode_to_string(secret.as_bytes(), &mut encoded);
        let plus_form: String = encoded.replace("%20", "+");
        // The same escapes with lowercase hexadecimal digits.
        let mut lower = String::new();
        let mut after_percent = 0u8;
        for c in encoded.chars() {
            lower.push(if after_percent > 0 {
                c.to_ascii_lowercase()
            } else {
                c
            });
            after_percent = if c == '%' {
                2
            } else {
                after_percent.saturating_sub(1)
            };
        }
        let mut basic = String::new();
        {
            let mut sink = AsciiString(Zeroizing::new(String::new()));
            let mut b64 = Base64::new(&mut sink);
            form::encode(id.as_bytes(), &mut b64);
            b64.put(b":");
            form::encode(secret.as_bytes(), &mut b64);
            b64.finish();
            drop(b64);
            basic.push_str(&sink.0);
        }
        let bytes = format!("{:?}", secret.as_bytes());
        vec![
            secret.to_owned(),
            "S3nt1nel".to_string(),
            encoded,
            plus_form,
            lower,
            basic,
            bytes,
        ]
    }

    #[test]
    fn debug_never_leaks_the_secret() {
        let scopes = Scopes::try_from_iter(["a", "b"]).unwrap_or_default();
        let endpoint = TokenEndpoint::default();
        let ua = UserAgent::default();
        for method in [ClientAuthMethod::RequestBody, ClientAuthMethod::HttpBasic] {
            let credentials =
                ClientCredentials::new(ClientId::new("app"), ClientSecret::new(SENTINEL))
                    .with_method(method);
            let request = TokenRequest::new(&endpoint, &credentials, &scopes, &ua);
            let shown = format!("{request:?} {request:#?} {credentials:?} {credentials:#?}");
            for needle in leak_forms(SENTINEL, "app") {
                assert!(!shown.contains(&needle), "{needle:?} leaked in {shown}");
            }
            assert_eq!(
                format!("{request:?}"),
                format!(
                    "TokenRequest {{ method: \"POST\", url: \
                     \"https://accounts.world.luccasoftware.com/connect/token\", client_id: \
                     ClientId(\"app\"), auth_method: {method:?}, scopes: Scopes([\"a\", \"b\"]), \
                     user_agent: UserAgent({:?}), .. }}",
                    UserAgent::DEFAULT
                )
            );
        }
    }

    mod properties {
        use super::*;
        use base64::Engine as _;
        use proptest::prelude::*;

        fn scope() -> impl Strategy<Value = String> {
            "[\\x21\\x23-\\x5B\\x5D-\\x7E]{1,16}"
        }

        /// Decodes a form body into its pairs, with `form_urlencoded` (not our code).
        fn pairs(body: &[u8]) -> Vec<(String, String)> {
            form_urlencoded::parse(body)
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect()
        }

        proptest! {
            #[test]
            fn bodies_and_basic_header_decode_to_the_exact_inputs(
                id in any::<String>(),
                secret in any::<String>(),
                scope_list in proptest::collection::vec(scope(), 0..6),
                basic in any::<bool>(),
            ) {
                let method = if basic { ClientAuthMethod::HttpBasic } else { ClientAuthMethod::RequestBody };
                let credentials =
                    ClientCredentials::new(ClientId::new(id.clone()), ClientSecret::new(secret.clone()))
                        .with_method(method);
                let scopes = Scopes::try_from_iter(&scope_list);
                prop_assert!(scopes.is_ok());
                let scopes = scopes.unwrap_or_default();
                let (endpoint, ua) = (TokenEndpoint::default(), UserAgent::default());
                let request = TokenRequest::new(&endpoint, &credentials, &scopes, &ua);
                let body = request.body();
                prop_assert_eq!(body.len(), request.body_len());
                prop_assert!(body.iter().all(|&b| form::is_unreserved(b) || b"%&=".contains(&b)));

                let mut expected = vec![("grant_type".to_string(), "client_credentials".to_string())];
                if !basic {
                    expected.push(("client_id".to_string(), id.clone()));
                    expected.push(("client_secret".to_string(), secret.clone()));
                }
                if !scopes.is_empty() {
                    expected.push(("scope".to_string(), scopes.to_space_separated()));
                }
                prop_assert_eq!(pairs(&body), expected);

                let authorization = request.basic_authorization();
                prop_assert_eq!(authorization.is_some(), basic);
                let mut written = Vec::new();
                prop_assert_eq!(request.write_basic_authorization(&mut written), request.basic_authorization_len());
                prop_assert_eq!(request.basic_authorization_len(), basic.then_some(written.len()));
                prop_assert_eq!(authorization.as_deref().map(String::as_bytes), basic.then_some(&written[..]));
                if let Some(value) = authorization {
                    let encoded = value.strip_prefix("Basic ").unwrap_or_default();
                    let decoded = base64::engine::general_purpose::STANDARD.decode(encoded);
                    prop_assert!(decoded.is_ok());
                    let decoded = String::from_utf8(decoded.unwrap_or_default()).unwrap_or_default();
                    let (user, password) = decoded.split_once(':').unwrap_or_default();
                    // Each part is form-encoded, so it decodes as a lone key.
                    let user = pairs(user.as_bytes()).pop().map(|(k, _)| k).unwrap_or_default();
                    let password = pairs(password.as_bytes()).pop().map(|(k, _)| k).unwrap_or_default();
                    prop_assert_eq!(user, id);
                    prop_assert_eq!(password, secret);
                }
            }

            #[test]
            fn debug_never_shows_an_arbitrary_secret(secret in "[ -~]{12,32}", basic in any::<bool>()) {
                let method = if basic { ClientAuthMethod::HttpBasic } else { ClientAuthMethod::RequestBody };
                let credentials = ClientCredentials::new(ClientId::new("app"), ClientSecret::new(secret.clone()))
                    .with_method(method);
                let scopes = Scopes::new();
                let (endpoint, ua) = (TokenEndpoint::default(), UserAgent::default());
                let request = TokenRequest::new(&endpoint, &credentials, &scopes, &ua);
                let shown = format!("{request:?} {credentials:?}");
                for needle in leak_forms(&secret, "app") {
                    prop_assert!(!shown.contains(&needle));
                }
            }
        }
    }

    #[test]
    fn basic_authorization_written_into_caller_memory() {
        // (client id, secret, method, expected value)
        use ClientAuthMethod::{HttpBasic, RequestBody};
        #[rustfmt::skip]
        let cases: &[(&str, &str, ClientAuthMethod, Option<&str>)] = &[
            ("app", "s", RequestBody, None),
            ("app", "s", HttpBasic, Some("Basic YXBwOnM=")),
            ("", "", HttpBasic, Some("Basic Og==")),
            ("ab", "", HttpBasic, Some("Basic YWI6")),
            ("a", "bc", HttpBasic, Some("Basic YTpiYw==")),
            // enc("é") ":" enc("+ ") = "%C3%A9:%2B%20"
            ("é", "+ ", HttpBasic, Some("Basic JUMzJUE5OiUyQiUyMA==")),
            // B09's credentials: base64("demo-integration:Ab%2B1%2Fc%3Dd%26e%25f")
            ("demo-integration", "Ab+1/c=d&e%f", HttpBasic,
                Some("Basic ZGVtby1pbnRlZ3JhdGlvbjpBYiUyQjElMkZjJTNEZCUyNmUlMjVm")),
        ];
        for &(id, secret, method, expected) in cases {
            let credentials = ClientCredentials::new(ClientId::new(id), ClientSecret::new(secret))
                .with_method(method);
            let (endpoint, scopes, ua) = (
                TokenEndpoint::default(),
                Scopes::new(),
                UserAgent::default(),
            );
            let request = TokenRequest::new(&endpoint, &credentials, &scopes, &ua);
            let expected_len = expected.map(str::len);
            assert_eq!(request.basic_authorization_len(), expected_len, "{id:?}");

            // Into a Vec: the same bytes as the allocating convenience.
            let mut vec = Vec::new();
            assert_eq!(request.write_basic_authorization(&mut vec), expected_len);
            assert_eq!(
                core::str::from_utf8(&vec).ok(),
                Some(expected.unwrap_or(""))
            );
            assert_eq!(
                request.basic_authorization().as_deref().map(String::as_str),
                expected
            );

            // Into a slice of exactly that length, and one byte short (all or nothing).
            let len = expected_len.unwrap_or(0);
            let mut buf = vec![b'#'; len + 1];
            let mut out = form::SliceWriter::new(&mut buf[..len]);
            assert_eq!(request.write_basic_authorization(&mut out), expected_len);
            assert_eq!(out.finish(), Ok(len));
            assert_eq!(&buf[..len], expected.unwrap_or("").as_bytes());
            assert_eq!(buf[len], b'#');
            if let Some(short) = len.checked_sub(1) {
                let mut buf = vec![b'#'; short];
                let written = form::write_to_slice(&mut buf, |sink| {
                    request.write_basic_authorization(sink);
                });
                assert_eq!(
                    written,
                    Err(BufferTooSmall {
                        needed: len,
                        available: short
                    })
                );
                assert!(buf.iter().all(|&b| b == b'#'));
            }
        }
    }

    #[test]
    fn scope_order_on_the_wire_is_insertion_order() {
        let scopes = Scopes::try_from_iter(["z", "a", "m", "a"]).unwrap_or_default();
        assert_eq!(scopes.len(), 3);
        let credentials = ClientCredentials::new(ClientId::new("i"), ClientSecret::new("s"))
            .with_method(ClientAuthMethod::HttpBasic);
        let (endpoint, ua) = (TokenEndpoint::default(), UserAgent::default());
        let request = TokenRequest::new(&endpoint, &credentials, &scopes, &ua);
        assert_eq!(
            &request.body()[..],
            b"grant_type=client_credentials&scope=z%20a%20m"
        );
    }
}
