//! [`ApiRequest`]: one request to the tenant's API, as the caller describes it.

use core::fmt;

use lucca_auth::api::ApiAttempt;

/// A request to the tenant's API: method, host-absolute path (with query), optional body.
///
/// The adapter adds the request line, `Host`, `Authorization: Bearer …`, `Api-Version`,
/// `Accept: application/json`, `User-Agent` and, with a body, `Content-Type` and
/// `Content-Length`.
///
/// The request also remembers whether it already had its one refresh after a 401 (see
/// [`Failure::ReconnectAndResend`](crate::Failure::ReconnectAndResend)); that is why
/// [`Client::send_api`](crate::Client::send_api) takes it by `&mut`. A call that returns a
/// response resets it.
///
/// ```
/// use lucca_auth::api::ApiAttempt;
/// use lucca_auth_embedded::ApiRequest;
///
/// let request = ApiRequest::get("/lucca-api/leaves?limit=10");
/// assert_eq!((request.method(), request.path()), ("GET", "/lucca-api/leaves?limit=10"));
/// assert_eq!(request.attempt(), ApiAttempt::First);
///
/// let body = br#"{"name":"x"}"#;
/// let post = ApiRequest::new("POST", "/lucca-api/things").with_body("application/json", body);
/// assert_eq!(post.body(), Some(&body[..]));
/// assert_eq!(post.content_type(), Some("application/json"));
/// ```
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct ApiRequest<'p> {
    method: &'p str,
    path: &'p str,
    body: Option<(&'p str, &'p [u8])>,
    pub(crate) attempt: ApiAttempt,
}

impl<'p> ApiRequest<'p> {
    /// A request with this method to this host-absolute path (`/lucca-api/…?…`), no body.
    #[must_use]
    pub fn new(method: &'p str, path: &'p str) -> Self {
        ApiRequest {
            method,
            path,
            body: None,
            attempt: ApiAttempt::First,
        }
    }

    /// `GET path`.
    #[must_use]
    pub fn get(path: &'p str) -> Self {
        ApiRequest::new("GET", path)
    }

    /// Sends `body` with this `Content-Type` (and its `Content-Length`).
    #[must_use]
    pub fn with_body(mut self, content_type: &'p str, body: &'p [u8]) -> Self {
        self.body = Some((content_type, body));
        self
    }

    /// The method.
    #[must_use]
    pub fn method(&self) -> &'p str {
        self.method
    }

    /// The path and query.
    #[must_use]
    pub fn path(&self) -> &'p str {
        self.path
    }

    /// The body, if any.
    #[must_use]
    pub fn body(&self) -> Option<&'p [u8]> {
        self.body.map(|(_, body)| body)
    }

    /// The body's `Content-Type`, if there is a body.
    #[must_use]
    pub fn content_type(&self) -> Option<&'p str> {
        self.body.map(|(content_type, _)| content_type)
    }

    /// Which try the next send is: [`ApiAttempt::RetryAfterRefresh`] after a 401 whose retry
    /// is still to be sent.
    #[must_use]
    pub fn attempt(&self) -> ApiAttempt {
        self.attempt
    }

    pub(crate) fn is_head(&self) -> bool {
        self.method.eq_ignore_ascii_case("HEAD")
    }
}

impl fmt::Debug for ApiRequest<'_> {
    /// Method, path, body length and attempt; never the body's bytes.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiRequest")
            .field("method", &self.method)
            .field("path", &self.path)
            .field("content_type", &self.content_type())
            .field("body_len", &self.body().map(<[u8]>::len))
            .field("attempt", &self.attempt)
            .finish()
    }
}
