//! What can go wrong: [`Error`] for every client call, with [`RequestError`] for requests
//! refused before anything is sent and [`BodyError`] for response bodies that cannot be read
//! as asked. The same shape as the blocking adapter's (`lucca-auth-ureq`), plus
//! [`Error::UnauthorizedNotReplayable`] for streamed bodies, which only an async client has.
//!
//! No error holds the client secret, an access token, a request body or the body of a
//! token response: they carry status codes, OAuth error codes, short sanitized excerpts of
//! error answers and the parsed problem details of API errors. reqwest's own error messages
//! (which quote URLs) are never kept.

use std::fmt;
use std::time::Duration;

use lucca_auth::endpoint::EndpointError;
use lucca_auth::pagination::PageError;
use lucca_auth::problem::Problem;
use lucca_auth::token_response::{TokenError, TransportError};

/// Why a call failed.
///
/// Decide with [`is_retryable`](Error::is_retryable), [`retry_after`](Error::retry_after) and
/// [`status`](Error::status), or match the variant.
///
/// ```
/// use std::time::Duration;
/// use lucca_auth_reqwest::Error;
///
/// let error = Error::RateLimited { retry_after: Some(Duration::from_secs(30)) };
/// assert!(error.is_retryable());
/// assert_eq!(error.status(), Some(429));
/// assert_eq!(error.retry_after(), Some(Duration::from_secs(30)));
/// assert_eq!(error.to_string(), "the API is rate limiting this client (HTTP 429); retry after 30 s");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// No access token could be obtained: the token endpoint refused the client, answered
    /// badly, could not be reached, or is backing off after a failure (for longer than the
    /// client's [`wait_max`](crate::LuccaClientBuilder::wait_max)). While it backs off, every
    /// caller gets this at once: no retry storm.
    Token(TokenError),
    /// The API answered 401 to a freshly issued token too (after the one retry that follows
    /// a 401): the credentials are not accepted for this API.
    Unauthorized,
    /// The API answered 401 and the request was not resent because its body is a stream,
    /// which can be sent only once ([`RequestBuilder::body_stream`]). The refused token was
    /// dropped: calling again (with a new stream) uses a fresh one.
    ///
    /// [`RequestBuilder::body_stream`]: crate::RequestBuilder::body_stream
    UnauthorizedNotReplayable,
    /// The API answered 403: the token lacks a scope. No token refresh is attempted (a new
    /// token would carry the same scopes).
    MissingScope {
        /// The scopes the server named in its `WWW-Authenticate: Bearer` challenge; empty
        /// when it named none.
        required: Vec<String>,
        /// The challenge's `error_description`, if any.
        description: Option<String>,
    },
    /// The API answered 429.
    RateLimited {
        /// How long the server asked to wait (`Retry-After`).
        retry_after: Option<Duration>,
    },
    /// The API answered 408 or 5xx: the same request may succeed later.
    Transient {
        /// The status code.
        status: u16,
        /// How long the server asked to wait (`Retry-After`), if it did.
        retry_after: Option<Duration>,
    },
    /// The API answered with a redirection (3xx), which is never followed.
    Redirect {
        /// The status code.
        status: u16,
    },
    /// The API answered with another 4xx (or an unexpected status): resending the same
    /// request cannot succeed.
    Api {
        /// The status code.
        status: u16,
        /// The `application/problem+json` body, if the body is one (boxed: it is large, and
        /// errors travel by value).
        problem: Option<Box<Problem>>,
    },
    /// An API request could not be sent or its answer not received (connection refused,
    /// timeout, TLS, I/O).
    Transport(TransportError),
    /// A pager could not read a list page or refused to follow its `next` link.
    Pagination(PageError),
    /// The request was refused before anything was sent (bad path, header or body).
    InvalidRequest(RequestError),
    /// An API response body was longer than the client's limit.
    ResponseTooLarge {
        /// The limit, in bytes.
        limit: usize,
    },
    /// A response body could not be read as asked ([`ApiResponse::json`] or
    /// [`ApiResponse::text`]).
    ///
    /// [`ApiResponse::json`]: crate::ApiResponse::json
    /// [`ApiResponse::text`]: crate::ApiResponse::text
    InvalidBody(BodyError),
}

impl Error {
    /// Whether the same call may succeed later: a retryable token failure (network, 408,
    /// 429, 5xx, transient OAuth codes), an API 429, 408 or 5xx, an API transport failure
    /// (connect, timeout, I/O), or a 401 that was not retried because of a streamed body.
    #[must_use]
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Token(error) => error.is_retryable(),
            Error::RateLimited { .. }
            | Error::Transient { .. }
            | Error::UnauthorizedNotReplayable => true,
            Error::Transport(error) => error.kind().is_retryable(),
            _ => false,
        }
    }

    /// How long the server asked to wait before trying again, if it said.
    #[must_use]
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Error::Token(error) => error.retry_after(),
            Error::RateLimited { retry_after } | Error::Transient { retry_after, .. } => {
                *retry_after
            }
            _ => None,
        }
    }

    /// The HTTP status of the answer behind the error, if there was one.
    #[must_use]
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Token(error) => error.status(),
            Error::Unauthorized | Error::UnauthorizedNotReplayable => Some(401),
            Error::MissingScope { .. } => Some(403),
            Error::RateLimited { .. } => Some(429),
            Error::Transient { status, .. }
            | Error::Redirect { status }
            | Error::Api { status, .. } => Some(*status),
            _ => None,
        }
    }
}

/// Writes `; retry after N s` when there is a delay.
fn write_retry_after(f: &mut fmt::Formatter<'_>, retry_after: Option<Duration>) -> fmt::Result {
    match retry_after {
        Some(delay) => write!(f, "; retry after {} s", delay.as_secs()),
        None => Ok(()),
    }
}

/// Server text shown in a message: control characters dropped, at most `max` characters.
fn shown(text: &str, max: usize) -> String {
    let mut out: String = text.chars().filter(|c| !c.is_control()).take(max).collect();
    if text.chars().filter(|c| !c.is_control()).nth(max).is_some() {
        out.push('…');
    }
    out
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Token(error) => write!(f, "could not get an access token: {error}"),
            Error::Unauthorized => f.write_str(
                "the API refused a freshly issued access token (HTTP 401): \
                 the credentials are not accepted for this API",
            ),
            Error::UnauthorizedNotReplayable => f.write_str(
                "the API refused the access token (HTTP 401) and the streamed request body \
                 cannot be sent again; the token was dropped, call again to use a fresh one",
            ),
            Error::MissingScope {
                required,
                description,
            } => {
                f.write_str("the access token lacks a scope for this request (HTTP 403)")?;
                if required.is_empty() {
                    f.write_str("; the server named none")?;
                } else {
                    write!(f, "; required: {}", shown(&required.join(" "), 200))?;
                }
                if let Some(description) = description {
                    write!(f, " ({})", shown(description, 200))?;
                }
                Ok(())
            }
            Error::RateLimited { retry_after } => {
                f.write_str("the API is rate limiting this client (HTTP 429)")?;
                write_retry_after(f, *retry_after)
            }
            Error::Transient {
                status,
                retry_after,
            } => {
                write!(
                    f,
                    "the API answered HTTP {status}; the request may succeed later"
                )?;
                write_retry_after(f, *retry_after)
            }
            Error::Redirect { status } => write!(
                f,
                "the API answered with redirect HTTP {status}, which is not followed"
            ),
            Error::Api { status, problem } => {
                write!(f, "the API refused the request (HTTP {status})")?;
                if let Some(problem) = problem {
                    if let Some(title) = &problem.title {
                        write!(f, ": {}", shown(title, 200))?;
                    }
                    if let Some(detail) = &problem.detail {
                        write!(f, " — {}", shown(detail, 200))?;
                    }
                }
                Ok(())
            }
            Error::Transport(error) => {
                write!(f, "API request failed: {}", error.kind())?;
                if let Some(detail) = error.detail() {
                    write!(f, " ({detail})")?;
                }
                Ok(())
            }
            Error::Pagination(error) => write!(f, "pagination stopped: {error}"),
            Error::InvalidRequest(error) => write!(f, "invalid request: {error}"),
            Error::ResponseTooLarge { limit } => {
                write!(f, "API response body exceeds the {limit}-byte limit")
            }
            Error::InvalidBody(error) => write!(f, "API response body: {error}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Token(error) => Some(error),
            Error::Transport(error) => Some(error),
            Error::Pagination(error) => Some(error),
            Error::InvalidRequest(error) => Some(error),
            Error::InvalidBody(error) => Some(error),
            _ => None,
        }
    }
}

impl From<TokenError> for Error {
    fn from(error: TokenError) -> Self {
        Error::Token(error)
    }
}

impl From<RequestError> for Error {
    fn from(error: RequestError) -> Self {
        Error::InvalidRequest(error)
    }
}

impl From<PageError> for Error {
    fn from(error: PageError) -> Self {
        Error::Pagination(error)
    }
}

/// Why a request was refused before anything was sent. Header values and paths are never
/// repeated (they may hold credentials); header names are.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum RequestError {
    /// The path is not a host-absolute path (with optional query) on the tenant.
    Path(EndpointError),
    /// The caller tried to set `Authorization`: the client sends the bearer token itself.
    AuthorizationHeader,
    /// The caller tried to set a header the HTTP layer or the client controls: `Host`,
    /// `Content-Length`, `Transfer-Encoding`, `Connection`, `Accept-Encoding` (responses are
    /// never compressed) or `Content-Type` (set it with the body).
    ReservedHeader {
        /// The header name, lowercase.
        name: String,
    },
    /// A header name that is not an HTTP token.
    InvalidHeaderName,
    /// A header value with characters a header field cannot hold (CR, LF, other controls).
    InvalidHeaderValue {
        /// The header name, lowercase.
        name: String,
    },
    /// The body's content type is not a valid header value.
    InvalidContentType,
    /// The value given to `json` could not be serialized.
    JsonSerialization,
}

impl fmt::Display for RequestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RequestError::Path(error) => write!(f, "the path is not usable on the tenant: {error}"),
            RequestError::AuthorizationHeader => f.write_str(
                "the Authorization header is set by the client and cannot be overridden",
            ),
            RequestError::ReservedHeader { name } => {
                write!(
                    f,
                    "the header \"{name}\" is set by the client or the HTTP layer"
                )
            }
            RequestError::InvalidHeaderName => f.write_str("a header name is not a valid token"),
            RequestError::InvalidHeaderValue { name } => {
                write!(
                    f,
                    "the value of header \"{name}\" is not a valid header value"
                )
            }
            RequestError::InvalidContentType => {
                f.write_str("the content type is not a valid header value")
            }
            RequestError::JsonSerialization => {
                f.write_str("the request body could not be serialized to JSON")
            }
        }
    }
}

impl std::error::Error for RequestError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            RequestError::Path(error) => Some(error),
            _ => None,
        }
    }
}

/// Why a response body could not be read as asked. Never quotes the body.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum BodyError {
    /// The body is not UTF-8.
    NotUtf8 {
        /// Length of the valid UTF-8 prefix, in bytes.
        valid_up_to: usize,
    },
    /// The body is not JSON, or not JSON of the expected shape.
    Json {
        /// The line of the problem (1-based).
        line: usize,
        /// The column of the problem (1-based).
        column: usize,
    },
}

impl fmt::Display for BodyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BodyError::NotUtf8 { valid_up_to } => {
                write!(f, "not UTF-8 (valid up to byte {valid_up_to})")
            }
            BodyError::Json { line, column } => {
                write!(f, "not the expected JSON (at line {line}, column {column})")
            }
        }
    }
}

impl std::error::Error for BodyError {}

#[cfg(test)]
mod tests {
    use super::*;
    use lucca_auth::token_response::TransportErrorKind;

    /// An error, its text, status, whether it is retryable and its `retry_after` in seconds.
    type Case = (Error, &'static str, Option<u16>, bool, Option<u64>);

    #[test]
    fn display_status_and_retry_table() {
        let problem = Problem::parse(
            br#"{"title":"Not Found","detail":"There is no resource at /lucca-api/x.","status":404}"#,
        )
        .map(Box::new);
        let cases: Vec<Case> = vec![
            (
                Error::Unauthorized,
                "the API refused a freshly issued access token (HTTP 401): the credentials \
                 are not accepted for this API",
                Some(401),
                false,
                None,
            ),
            (
                Error::UnauthorizedNotReplayable,
                "the API refused the access token (HTTP 401) and the streamed request body \
                 cannot be sent again; the token was dropped, call again to use a fresh one",
                Some(401),
                true,
                None,
            ),
            (
                Error::MissingScope {
                    required: vec!["leaves.readwrite".into(), "x".into()],
                    description: Some("needs\r\n write".into()),
                },
                "the access token lacks a scope for this request (HTTP 403); required: \
                 leaves.readwrite x (needs write)",
                Some(403),
                false,
                None,
            ),
            (
                Error::MissingScope {
                    required: vec![],
                    description: None,
                },
                "the access token lacks a scope for this request (HTTP 403); the server named none",
                Some(403),
                false,
                None,
            ),
            (
                Error::RateLimited { retry_after: None },
                "the API is rate limiting this client (HTTP 429)",
                Some(429),
                true,
                None,
            ),
            (
                Error::Transient {
                    status: 503,
                    retry_after: Some(Duration::from_secs(7)),
                },
                "the API answered HTTP 503; the request may succeed later; retry after 7 s",
                Some(503),
                true,
                Some(7),
            ),
            (
                Error::Redirect { status: 302 },
                "the API answered with redirect HTTP 302, which is not followed",
                Some(302),
                false,
                None,
            ),
            (
                Error::Api {
                    status: 404,
                    problem,
                },
                "the API refused the request (HTTP 404): Not Found — There is no resource at \
                 /lucca-api/x.",
                Some(404),
                false,
                None,
            ),
            (
                Error::Transport(
                    TransportError::new(TransportErrorKind::Connect)
                        .with_detail("connecting failed"),
                ),
                "API request failed: could not connect (connecting failed)",
                None,
                true,
                None,
            ),
            (
                Error::Transport(TransportError::new(TransportErrorKind::Tls)),
                "API request failed: TLS error",
                None,
                false,
                None,
            ),
            (
                Error::Token(TokenError::Transport(TransportError::new(
                    TransportErrorKind::Timeout,
                ))),
                "could not get an access token: token request failed: timed out",
                None,
                true,
                None,
            ),
            (
                Error::Pagination(PageError::ForeignNext),
                "pagination stopped: list page \"links.next\" points to another origin than \
                 the tenant's; not followed",
                None,
                false,
                None,
            ),
            (
                Error::InvalidRequest(RequestError::AuthorizationHeader),
                "invalid request: the Authorization header is set by the client and cannot \
                 be overridden",
                None,
                false,
                None,
            ),
            (
                Error::ResponseTooLarge { limit: 10 },
                "API response body exceeds the 10-byte limit",
                None,
                false,
                None,
            ),
            (
                Error::InvalidBody(BodyError::Json { line: 1, column: 2 }),
                "API response body: not the expected JSON (at line 1, column 2)",
                None,
                false,
                None,
            ),
        ];
        for (error, display, status, retryable, retry_after) in cases {
            assert_eq!(error.to_string(), display);
            assert_eq!(error.status(), status, "{error:?}");
            assert_eq!(error.is_retryable(), retryable, "{error:?}");
            assert_eq!(
                error.retry_after(),
                retry_after.map(Duration::from_secs),
                "{error:?}"
            );
        }
    }

    #[test]
    fn shown_drops_controls_and_cuts() {
        assert_eq!(shown("a\r\nb", 10), "ab");
        assert_eq!(shown("abcdef", 3), "abc…");
        assert_eq!(shown("abc", 3), "abc");
    }
}
