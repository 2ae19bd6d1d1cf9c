//! The API side: the header fields of an API call ([`ApiRequestHeaders`], with the
//! `Authorization: Bearer` value from [`write_bearer_authorization`] or
//! [`BearerAuthorization`]), and what an API response means for the caller
//! ([`ApiResponseClass`]), including the one retry after a 401.
//!
//! The core decides what a response means; the adapter decides what to do. A driver loop for
//! one API call looks like this:
//!
//! ```text
//!   attempt = ApiAttempt::First
//!   loop:
//!     send the request with the current token
//!     match ApiResponseClass::classify(&response, attempt):
//!       Success                  -> done
//!       RefreshAndRetry          -> machine.invalidate(now, generation of that token);
//!                                   attempt = attempt.next_after_refresh()  (always Some here)
//!       RateLimited / Transient  -> wait (at least retry_after), then resend, same attempt
//!       anything else            -> give up: Unauthorized, MissingScope, Redirect, Fatal
//! ```
//!
//! A 401 is answered with a refresh exactly once per request: on
//! [`ApiAttempt::RetryAfterRefresh`] a second 401 is [`ApiResponseClass::Unauthorized`]. A 403
//! is never a reason to refresh: a new token carries the same scopes.
//!
//! ```
//! use lucca_auth::api::{ApiAttempt, ApiResponseClass};
//! use lucca_auth::response::{Header, HttpResponse};
//!
//! let headers = [Header {
//!     name: "WWW-Authenticate",
//!     value: br#"Bearer error="invalid_token", error_description="token revoked""#,
//! }];
//! let response = HttpResponse::new(401, &headers, b"");
//! assert_eq!(
//!     ApiResponseClass::classify(&response, ApiAttempt::First),
//!     ApiResponseClass::RefreshAndRetry
//! );
//! let retry = ApiAttempt::First.next_after_refresh().unwrap();
//! assert_eq!(
//!     ApiResponseClass::classify(&response, retry),
//!     ApiResponseClass::Unauthorized
//! );
//! assert_eq!(retry.next_after_refresh(), None);
//! ```

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;
use core::time::Duration;

use zeroize::Zeroizing;

use crate::config::{ApiVersion, UserAgent};
#[cfg(doc)]
use crate::endpoint::TenantHost;
use crate::form::BufferTooSmall;
use crate::http_date::parse_http_date;
use crate::problem::Problem;
use crate::redaction::Redactor;
use crate::response::{Header, HttpResponse};
use crate::retry_after::retry_after_delay;
use crate::secret::AccessToken;
use crate::time::UnixTime;
use crate::www_authenticate::bearer_challenge;

/// The authentication scheme the client always sends, whatever case the token endpoint used
/// for `token_type`.
pub const BEARER_SCHEME: &str = "Bearer";

/// The `Authorization` header field name.
pub const AUTHORIZATION: &str = "Authorization";

/// The `Api-Version` header field name.
pub const API_VERSION: &str = "Api-Version";

/// The `Accept` header field name.
pub const ACCEPT: &str = "Accept";

/// The `Accept` value of every API call.
pub const ACCEPT_JSON: &str = "application/json";

/// The `User-Agent` header field name.
pub const USER_AGENT: &str = "User-Agent";

/// Which try of one API request a response answers.
///
/// Every request starts at [`First`](ApiAttempt::First). After
/// [`ApiResponseClass::RefreshAndRetry`] the caller resends with
/// [`next_after_refresh`](ApiAttempt::next_after_refresh), which exists only once: a request
/// is never refreshed and retried twice.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum ApiAttempt {
    /// The first try with the token the caller had.
    #[default]
    First,
    /// The retry with a newly fetched token after a 401.
    RetryAfterRefresh,
}

impl ApiAttempt {
    /// The attempt that follows a refresh: [`RetryAfterRefresh`](ApiAttempt::RetryAfterRefresh)
    /// after the first try, `None` after the retry.
    #[must_use]
    pub const fn next_after_refresh(self) -> Option<ApiAttempt> {
        match self {
            ApiAttempt::First => Some(ApiAttempt::RetryAfterRefresh),
            ApiAttempt::RetryAfterRefresh => None,
        }
    }

    /// Whether this is the retry after a refresh.
    #[must_use]
    pub const fn is_retry(self) -> bool {
        matches!(self, ApiAttempt::RetryAfterRefresh)
    }
}

/// What an API response means for the request that got it. Decided from the status code
/// (never from a `title` or message text); the headers and body only add detail.
///
/// | status | class |
/// | --- | --- |
/// | 2xx | [`Success`](ApiResponseClass::Success) |
/// | 3xx | [`Redirect`](ApiResponseClass::Redirect), never followed |
/// | 401, first try | [`RefreshAndRetry`](ApiResponseClass::RefreshAndRetry) |
/// | 401, retry | [`Unauthorized`](ApiResponseClass::Unauthorized) |
/// | 403 | [`MissingScope`](ApiResponseClass::MissingScope) |
/// | 429 | [`RateLimited`](ApiResponseClass::RateLimited) |
/// | 408, 5xx | [`Transient`](ApiResponseClass::Transient) |
/// | other 4xx, other statuses | [`Fatal`](ApiResponseClass::Fatal) |
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ApiResponseClass {
    /// 2xx: the response is the answer.
    Success,
    /// 401 on the first try: the token was refused (expired early, revoked). Invalidate the
    /// token generation this request used, fetch a new token and resend once with
    /// [`ApiAttempt::next_after_refresh`].
    RefreshAndRetry,
    /// 401 on the retry with a fresh token: the credentials are not accepted for this API.
    /// Fatal for this request; no further refresh.
    Unauthorized,
    /// 403: the token lacks a scope. Never a refresh: a new token carries the same scopes.
    MissingScope {
        /// The scopes named by the `Bearer` challenge's `scope` parameter, in order; empty
        /// when the server sent no challenge or no `scope`.
        required: Vec<String>,
        /// The challenge's `error_description`, unescaped.
        description: Option<String>,
    },
    /// 429: too many requests. Resend no earlier than `retry_after` after reception.
    RateLimited {
        /// The delay `Retry-After` asks for (see [`retry_after_delay`]).
        retry_after: Option<Duration>,
    },
    /// 408 or 5xx: the request may succeed if resent later.
    Transient {
        /// The status code.
        status: u16,
        /// The delay `Retry-After` asks for, if any.
        retry_after: Option<Duration>,
    },
    /// 3xx: the API answered with a redirection, which is not followed.
    Redirect {
        /// The status code.
        status: u16,
    },
    /// Any other 4xx (and any status outside 200–599): resending the same request cannot
    /// succeed.
    Fatal {
        /// The status code.
        status: u16,
        /// The `application/problem+json` body, if the body is one (with the default feature
        /// `problem-details`; always `None` without it).
        problem: Option<Problem>,
    },
}

/// The problem details of a fatal answer's body (feature `problem-details`).
#[cfg(feature = "problem-details")]
fn fatal_problem(body: &[u8]) -> Option<Problem> {
    Problem::parse(body)
}

/// Without the feature `problem-details`, fatal answers are not decoded.
#[cfg(not(feature = "problem-details"))]
fn fatal_problem(_body: &[u8]) -> Option<Problem> {
    None
}

impl ApiResponseClass {
    /// Classifies `response`, the answer to `attempt` of a request.
    ///
    /// ```
    /// use core::time::Duration;
    /// use lucca_auth::api::{ApiAttempt, ApiResponseClass};
    /// use lucca_auth::response::{Header, HttpResponse};
    ///
    /// let headers = [Header { name: "Retry-After", value: b"30" }];
    /// let response = HttpResponse::new(429, &headers, b"");
    /// assert_eq!(
    ///     ApiResponseClass::classify(&response, ApiAttempt::First),
    ///     ApiResponseClass::RateLimited { retry_after: Some(Duration::from_secs(30)) }
    /// );
    /// ```
    #[must_use]
    pub fn classify(response: &HttpResponse<'_>, attempt: ApiAttempt) -> ApiResponseClass {
        let status = response.status();
        match status {
            200..=299 => ApiResponseClass::Success,
            300..=399 => ApiResponseClass::Redirect { status },
            401 if attempt.is_retry() => ApiResponseClass::Unauthorized,
            401 => ApiResponseClass::RefreshAndRetry,
            403 => {
                let challenge = bearer_challenge(response).unwrap_or_default();
                ApiResponseClass::MissingScope {
                    required: challenge.scope,
                    description: challenge.error_description,
                }
            }
            429 => ApiResponseClass::RateLimited {
                retry_after: retry_after_delay(response),
            },
            408 | 500..=599 => ApiResponseClass::Transient {
                status,
                retry_after: retry_after_delay(response),
            },
            _ => ApiResponseClass::Fatal {
                status,
                problem: fatal_problem(response.body()),
            },
        }
    }

    /// Removes `token`, the access token sent with the request, from every text this class
    /// carries: the 403 challenge's `error_description` and scopes, and every text of a
    /// fatal answer's [`Problem`] (`type`, `title`, `detail`, `instance`, `errors`, trace
    /// id). An API, proxy or firewall that echoes the request's `Authorization` header would
    /// otherwise put the token into an error message. Every form of it is removed (literal,
    /// so `Bearer <token>` too, percent-encoded, JSON-escaped, cut off at the end of a text),
    /// and a text that still holds it after normalization becomes `[redacted]` as a whole;
    /// see [`redaction`](crate::redaction). Drivers call this on every class they report.
    ///
    /// ```
    /// use lucca_auth::api::{ApiAttempt, ApiResponseClass};
    /// use lucca_auth::response::{Header, HttpResponse};
    /// use lucca_auth::secret::AccessToken;
    ///
    /// let token = AccessToken::new("AT-0123456789abcdef");
    /// let headers = [Header {
    ///     name: "WWW-Authenticate",
    ///     value: br#"Bearer error="insufficient_scope", scope="x", error_description="Bearer AT-0123456789abcdef lacks x""#,
    /// }];
    /// let mut class = ApiResponseClass::classify(&HttpResponse::new(403, &headers, b""), ApiAttempt::First);
    /// class.redact(&token);
    /// assert_eq!(
    ///     class,
    ///     ApiResponseClass::MissingScope {
    ///         required: vec!["x".into()],
    ///         description: Some("Bearer [redacted] lacks x".into()),
    ///     }
    /// );
    /// ```
    pub fn redact(&mut self, token: &AccessToken) {
        self.redact_token_text(token.secret());
    }

    /// [`redact`](Self::redact) with the `Authorization` value that was sent (`Bearer
    /// <token>`), for drivers that keep the header value rather than the token. A value
    /// without the `Bearer ` scheme is taken as the token itself.
    ///
    /// ```
    /// use lucca_auth::api::{ApiAttempt, ApiResponseClass};
    /// use lucca_auth::response::{Header, HttpResponse};
    ///
    /// let headers = [Header {
    ///     name: "WWW-Authenticate",
    ///     value: br#"Bearer error="insufficient_scope", scope="x", error_description="AT-0123456789abcdef lacks x""#,
    /// }];
    /// let mut class = ApiResponseClass::classify(&HttpResponse::new(403, &headers, b""), ApiAttempt::First);
    /// class.redact_authorization("Bearer AT-0123456789abcdef");
    /// assert_eq!(
    ///     class,
    ///     ApiResponseClass::MissingScope {
    ///         required: vec!["x".into()],
    ///         description: Some("[redacted] lacks x".into()),
    ///     }
    /// );
    /// ```
    pub fn redact_authorization(&mut self, authorization: &str) {
        let token = authorization
            .strip_prefix(BEARER_SCHEME)
            .and_then(|rest| rest.strip_prefix(' '))
            .unwrap_or(authorization);
        self.redact_token_text(token);
    }

    /// Removes `token` from every text this class carries (see [`redact`](Self::redact)).
    fn redact_token_text(&mut self, token: &str) {
        let mut texts: Vec<&mut String> = Vec::new();
        match self {
            ApiResponseClass::MissingScope {
                required,
                description,
            } => texts.extend(required.iter_mut().chain(description.as_mut())),
            ApiResponseClass::Fatal {
                problem: Some(problem),
                ..
            } => {
                // Every field named, so that a new text field cannot be forgotten here.
                let Problem {
                    problem_type,
                    title,
                    status: _,
                    detail,
                    instance,
                    errors,
                    trace_id,
                } = problem;
                texts.extend(
                    [problem_type, title, detail, instance, trace_id]
                        .into_iter()
                        .filter_map(Option::as_mut),
                );
                for (field, messages) in errors {
                    texts.push(field);
                    texts.extend(messages.iter_mut());
                }
            }
            _ => {}
        }
        texts.retain(|text| !text.is_empty());
        if texts.is_empty() {
            return;
        }
        let redactor = Redactor::for_access_token(token);
        for text in texts {
            redactor.redact(text);
        }
    }

    /// Whether resending can succeed: after a refresh ([`RefreshAndRetry`]), or after a delay
    /// ([`RateLimited`], [`Transient`]).
    ///
    /// [`RefreshAndRetry`]: ApiResponseClass::RefreshAndRetry
    /// [`RateLimited`]: ApiResponseClass::RateLimited
    /// [`Transient`]: ApiResponseClass::Transient
    #[must_use]
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            ApiResponseClass::RefreshAndRetry
                | ApiResponseClass::RateLimited { .. }
                | ApiResponseClass::Transient { .. }
        )
    }
}

/// The `Deprecation` header field (RFC 9745), trimmed, as received: `@1688169599` (the RFC's
/// form), or an HTTP-date or `true` from earlier drafts. `None` when absent, empty or not
/// UTF-8.
///
/// ```
/// use lucca_auth::api::{deprecation, deprecation_time, sunset, sunset_time};
/// use lucca_auth::response::{Header, HttpResponse};
/// use lucca_auth::time::UnixTime;
///
/// let headers = [
///     Header { name: "Deprecation", value: b"@1772532000" },
///     Header { name: "Sunset", value: b"Wed, 30 Sep 2026 23:59:59 GMT" },
/// ];
/// let response = HttpResponse::new(200, &headers, b"");
/// assert_eq!(deprecation(&response), Some("@1772532000"));
/// assert_eq!(deprecation_time(&response), Some(UnixTime::from_secs(1_772_532_000)));
/// assert_eq!(sunset(&response), Some("Wed, 30 Sep 2026 23:59:59 GMT"));
/// assert_eq!(sunset_time(&response), Some(UnixTime::from_secs(1_790_812_799)));
/// ```
#[must_use]
pub fn deprecation<'a>(response: &HttpResponse<'a>) -> Option<&'a str> {
    header_text(response, "Deprecation")
}

/// When the API was or will be deprecated, from `Deprecation`: `@<seconds since the epoch>`
/// (RFC 9745) or an HTTP-date (earlier drafts). `None` for `true`, a negative or fractional
/// value, or anything else.
#[must_use]
pub fn deprecation_time(response: &HttpResponse<'_>) -> Option<UnixTime> {
    let value = deprecation(response)?;
    match value.strip_prefix('@') {
        Some(digits) if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) => {
            digits.parse().ok().map(UnixTime::from_secs)
        }
        Some(_) => None,
        None => parse_http_date(value.as_bytes()),
    }
}

/// The `Sunset` header field (RFC 8594), trimmed, as received. `None` when absent, empty or
/// not UTF-8.
#[must_use]
pub fn sunset<'a>(response: &HttpResponse<'a>) -> Option<&'a str> {
    header_text(response, "Sunset")
}

/// When the API will stop answering, from `Sunset` parsed as an HTTP-date.
#[must_use]
pub fn sunset_time(response: &HttpResponse<'_>) -> Option<UnixTime> {
    parse_http_date(sunset(response)?.as_bytes())
}

/// The first field named `name`, trimmed, if it is non-empty UTF-8.
fn header_text<'a>(response: &HttpResponse<'a>, name: &str) -> Option<&'a str> {
    let value = core::str::from_utf8(response.header(name)?).ok()?.trim();
    (!value.is_empty()).then_some(value)
}

/// Why a `Bearer` authorization value could not be written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AuthorizationError {
    /// The token is empty or holds a byte outside visible ASCII (`!` to `~`): sending it
    /// could break or inject header fields. The token endpoint misbehaved.
    TokenNotHeaderSafe,
    /// The caller's buffer is too short; nothing was written.
    BufferTooSmall(BufferTooSmall),
}

impl fmt::Display for AuthorizationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AuthorizationError::TokenNotHeaderSafe => {
                f.write_str("access token is empty or not safe to send in a header field")
            }
            AuthorizationError::BufferTooSmall(short) => short.fmt(f),
        }
    }
}

impl core::error::Error for AuthorizationError {}

/// The token's bytes, if they can follow `Bearer ` in a header field.
fn header_safe_token(token: &AccessToken) -> Result<&str, AuthorizationError> {
    let token = token.secret();
    // A fold rather than `all`: without the early exit the check vectorizes, which matters
    // for 1,000-character tokens on the hot path.
    if token.is_empty()
        || !token
            .bytes()
            .fold(true, |ok, b| ok & (0x21..=0x7e).contains(&b))
    {
        return Err(AuthorizationError::TokenNotHeaderSafe);
    }
    Ok(token)
}

/// The length in bytes of `Bearer <token>`.
#[must_use]
pub fn bearer_authorization_len(token: &AccessToken) -> usize {
    (BEARER_SCHEME.len() + 1).saturating_add(token.secret().len())
}

/// Writes the `Authorization` field value `Bearer <token>` into `out` without allocating, and
/// returns its length. All or nothing: on an error `out` is untouched.
///
/// # Security warning
///
/// `out` then holds the token. Zeroize it when done (for example with `zeroize::Zeroize`) and
/// never log it.
///
/// ```
/// use lucca_auth::api::{write_bearer_authorization, AuthorizationError};
/// use lucca_auth::form::BufferTooSmall;
/// use lucca_auth::secret::AccessToken;
///
/// let token = AccessToken::new("eyJ0.eXAi-_~+/=");
/// let mut buf = [0u8; 64];
/// let n = write_bearer_authorization(&token, &mut buf).unwrap();
/// assert_eq!(&buf[..n], b"Bearer eyJ0.eXAi-_~+/=");
///
/// let mut short = [0u8; 8];
/// assert_eq!(
///     write_bearer_authorization(&token, &mut short),
///     Err(AuthorizationError::BufferTooSmall(BufferTooSmall { needed: 22, available: 8 }))
/// );
/// ```
pub fn write_bearer_authorization(
    token: &AccessToken,
    out: &mut [u8],
) -> Result<usize, AuthorizationError> {
    let needed = bearer_authorization_len(token);
    let token = header_safe_token(token)?;
    let available = out.len();
    let Some((scheme, rest)) = out
        .get_mut(..needed)
        .and_then(|dest| dest.split_at_mut_checked(BEARER_SCHEME.len() + 1))
    else {
        return Err(AuthorizationError::BufferTooSmall(BufferTooSmall {
            needed,
            available,
        }));
    };
    for (dest, src) in scheme.iter_mut().zip(BEARER_SCHEME.bytes().chain([b' '])) {
        *dest = src;
    }
    rest.copy_from_slice(token.as_bytes());
    Ok(needed)
}

/// The `Authorization` field value `Bearer <token>`, validated once and kept ready to send,
/// for adapters that cache it next to the token. Zeroized on drop; its `Debug` is redacted
/// and it has no `Display`.
///
/// ```
/// use lucca_auth::api::{AuthorizationError, BearerAuthorization};
/// use lucca_auth::secret::AccessToken;
///
/// let value = BearerAuthorization::new(&AccessToken::new("abc"))?;
/// assert_eq!(value.secret(), "Bearer abc");
/// assert_eq!(format!("{value:?}"), "BearerAuthorization([redacted])");
/// assert_eq!(
///     BearerAuthorization::new(&AccessToken::new("a\r\nX-Injected: 1")),
///     Err(AuthorizationError::TokenNotHeaderSafe)
/// );
/// # Ok::<(), AuthorizationError>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct BearerAuthorization(Zeroizing<String>);

impl BearerAuthorization {
    /// `Bearer <token>`, or an error when the token is not safe in a header field.
    pub fn new(token: &AccessToken) -> Result<Self, AuthorizationError> {
        let capacity = bearer_authorization_len(token);
        let token = header_safe_token(token)?;
        // Exact capacity: the string never reallocates, so no unzeroized copy is left behind.
        let mut value = Zeroizing::new(String::with_capacity(capacity));
        value.push_str(BEARER_SCHEME);
        value.push(' ');
        value.push_str(token);
        Ok(BearerAuthorization(value))
    }

    /// The field value, `Bearer <token>`.
    ///
    /// # Security warning
    ///
    /// This holds the access token: whoever has it can call the API as your integration until
    /// it expires. Send it only in the `Authorization` field to the tenant host; never log it
    /// or copy it anywhere that is not zeroized.
    #[must_use]
    pub fn secret(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for BearerAuthorization {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("BearerAuthorization([redacted])")
    }
}

/// The header fields of every API call apart from the request line and `Host`:
/// `Authorization: Bearer <token>`, `Api-Version`, `Accept: application/json` and
/// `User-Agent`, in that order.
///
/// Built once from the configuration; the `Authorization` value comes per call from
/// [`write_bearer_authorization`] (no allocation) or a cached [`BearerAuthorization`]. The
/// request target and `Host` come from [`TenantHost::request_target`] and
/// [`TenantHost::host_header`], or the whole URL from [`TenantHost::url_for`].
///
/// ```
/// use lucca_auth::api::{write_bearer_authorization, ApiRequestHeaders};
/// use lucca_auth::config::ApiVersion;
/// use lucca_auth::endpoint::TenantHost;
/// use lucca_auth::secret::AccessToken;
///
/// let tenant = TenantHost::parse("https://acme.ilucca.net/lucca-api")?;
/// let headers = ApiRequestHeaders::new().with_api_version(ApiVersion::new("2025-06-01")?);
///
/// let token = AccessToken::new("eyJ0eXAi");
/// let mut buf = [0u8; 64];
/// let n = write_bearer_authorization(&token, &mut buf)?;
/// let fields = headers.fields_with_authorization(&buf[..n]);
///
/// assert_eq!(tenant.url_for("/lucca-api/leaves?limit=10")?, "https://acme.ilucca.net/lucca-api/leaves?limit=10");
/// assert_eq!(fields[0].name, "Authorization");
/// assert_eq!(fields[0].value, b"Bearer eyJ0eXAi");
/// assert_eq!((fields[1].name, fields[1].value), ("Api-Version", &b"2025-06-01"[..]));
/// assert_eq!((fields[2].name, fields[2].value), ("Accept", &b"application/json"[..]));
/// assert_eq!(fields[3].name, "User-Agent");
/// assert!(fields[3].value.starts_with(b"lucca-auth/"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct ApiRequestHeaders {
    api_version: ApiVersion,
    user_agent: UserAgent,
}

impl ApiRequestHeaders {
    /// The default headers: `Api-Version:` [`ApiVersion::DEFAULT`] and `User-Agent:`
    /// [`UserAgent::DEFAULT`].
    #[must_use]
    pub fn new() -> Self {
        ApiRequestHeaders::default()
    }

    /// Sends this `Api-Version` instead.
    #[must_use]
    pub fn with_api_version(mut self, api_version: ApiVersion) -> Self {
        self.api_version = api_version;
        self
    }

    /// Sends this `User-Agent` instead.
    #[must_use]
    pub fn with_user_agent(mut self, user_agent: UserAgent) -> Self {
        self.user_agent = user_agent;
        self
    }

    /// The `Api-Version` sent.
    #[must_use]
    pub fn api_version(&self) -> &ApiVersion {
        &self.api_version
    }

    /// The `User-Agent` sent.
    #[must_use]
    pub fn user_agent(&self) -> &UserAgent {
        &self.user_agent
    }

    /// The fields that hold no secret, in order: `Api-Version`, `Accept`, `User-Agent`.
    #[must_use]
    pub fn fields(&self) -> [Header<'_>; 3] {
        [
            Header {
                name: API_VERSION,
                value: self.api_version.as_str().as_bytes(),
            },
            Header {
                name: ACCEPT,
                value: ACCEPT_JSON.as_bytes(),
            },
            Header {
                name: USER_AGENT,
                value: self.user_agent.as_str().as_bytes(),
            },
        ]
    }

    /// Every field, `Authorization` first with `authorization` as its value: the bytes
    /// written by [`write_bearer_authorization`] or those of [`BearerAuthorization::secret`].
    #[must_use]
    pub fn fields_with_authorization<'s>(&'s self, authorization: &'s [u8]) -> [Header<'s>; 4] {
        let [api_version, accept, user_agent] = self.fields();
        [
            Header {
                name: AUTHORIZATION,
                value: authorization,
            },
            api_version,
            accept,
            user_agent,
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::response::Header;
    use alloc::string::ToString;
    use alloc::vec;

    const B17: &[u8] = include_bytes!("../tests/data/B17.http");
    const B18: &[u8] = include_bytes!("../tests/data/B18.http");
    const B19: &[u8] = include_bytes!("../tests/data/B19.http");

    /// Parses a raw HTTP/1.1 response with `httparse` (head) and takes the rest as the body,
    /// then runs `f` on it.
    fn with_raw<R>(raw: &[u8], f: impl FnOnce(&HttpResponse<'_>) -> R) -> R {
        let mut headers = [httparse::EMPTY_HEADER; 16];
        let mut parsed = httparse::Response::new(&mut headers);
        let Ok(httparse::Status::Complete(head_len)) = parsed.parse(raw) else {
            panic!(
                "not a complete response head: {:?}",
                String::from_utf8_lossy(raw)
            );
        };
        let Some(status) = parsed.code else {
            panic!("no status code");
        };
        let body = raw.get(head_len..).unwrap_or_default();
        f(&HttpResponse::new(status, parsed.headers, body))
    }

    /// A raw response from lines joined with CRLF, then an empty line, then `body`.
    fn raw(lines: &[&str], body: &str) -> Vec<u8> {
        let mut out = Vec::new();
        for line in lines {
            out.extend_from_slice(line.as_bytes());
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(body.as_bytes());
        out
    }

    fn classify(raw: &[u8], attempt: ApiAttempt) -> ApiResponseClass {
        with_raw(raw, |response| {
            ApiResponseClass::classify(response, attempt)
        })
    }

    fn missing(required: &[&str], description: Option<&str>) -> ApiResponseClass {
        ApiResponseClass::MissingScope {
            required: required.iter().map(ToString::to_string).collect(),
            description: description.map(ToString::to_string),
        }
    }

    #[test]
    fn case_files_are_the_shared_bytes() {
        // Guards against an editor normalising line endings in the copied cases.
        for case in [B17, B18, B19] {
            assert!(case.windows(2).any(|w| w == b"\r\n"));
            assert!(!case.windows(2).any(|w| w[1] == b'\n' && w[0] != b'\r'));
        }
    }

    #[test]
    fn b17_missing_scope() {
        // api class=missing_scope status=403 error=insufficient_scope
        // required_scope="leaves.readwrite" retryable=false; token_refresh=false
        let class = classify(B17, ApiAttempt::First);
        assert_eq!(class, missing(&["leaves.readwrite"], None));
        assert!(!class.is_retryable());
        assert_ne!(class, ApiResponseClass::RefreshAndRetry);
        with_raw(B17, |response| {
            assert_eq!(response.status(), 403);
            let bearer = bearer_challenge(response);
            assert_eq!(
                bearer.and_then(|b| b.error),
                Some(crate::www_authenticate::BearerError::InsufficientScope)
            );
        });
    }

    #[test]
    fn b18_refresh_once_then_fatal() {
        // api class=refresh_and_retry status=401 error=invalid_token; on the retry: fatal.
        let first = classify(B18, ApiAttempt::First);
        assert_eq!(first, ApiResponseClass::RefreshAndRetry);
        assert!(first.is_retryable());
        let retry = ApiAttempt::First.next_after_refresh();
        assert_eq!(retry, Some(ApiAttempt::RetryAfterRefresh));
        let second = classify(B18, ApiAttempt::RetryAfterRefresh);
        assert_eq!(second, ApiResponseClass::Unauthorized);
        assert!(!second.is_retryable());
        assert_eq!(ApiAttempt::RetryAfterRefresh.next_after_refresh(), None);
        with_raw(B18, |response| {
            assert_eq!(response.status(), 401);
            let bearer = bearer_challenge(response).unwrap_or_default();
            assert_eq!(
                bearer.error,
                Some(crate::www_authenticate::BearerError::InvalidToken)
            );
            assert_eq!(bearer.error_description.as_deref(), Some("token revoked"));
        });
    }

    #[test]
    fn b19_missing_scope_behind_a_basic_challenge() {
        let class = classify(B19, ApiAttempt::First);
        assert_eq!(
            class,
            missing(
                &["leaves.readonly", "leave-requests.readonly"],
                Some(r#"requires "leaves.readonly", granted: none"#),
            )
        );
        assert!(!class.is_retryable());
        with_raw(B19, |response| {
            assert_eq!(response.status(), 403);
            let bearer = bearer_challenge(response).unwrap_or_default();
            assert_eq!(
                bearer.error,
                Some(crate::www_authenticate::BearerError::InsufficientScope)
            );
            assert_eq!(bearer.realm.as_deref(), Some("api"));
        });
    }

    #[test]
    fn classifies_every_kind() {
        use ApiAttempt::{First, RetryAfterRefresh as Retry};
        const DATE: &str = "Date: Tue, 03 Mar 2026 10:00:00 GMT";
        let not_found = Problem {
            problem_type: Some("https://tools.ietf.org/html/rfc9110#section-15.5.5".into()),
            title: Some("Not Found".into()),
            status: Some(404),
            detail: Some("Leave 42 does not exist.".into()),
            trace_id: Some("00-ab-01".into()),
            ..Problem::default()
        };
        let cases: Vec<(&str, Vec<u8>, ApiAttempt, ApiResponseClass)> = vec![
            (
                "200",
                raw(&["HTTP/1.1 200 OK", "Content-Length: 2"], "[]"),
                First,
                ApiResponseClass::Success,
            ),
            (
                "204 on the retry",
                raw(&["HTTP/1.1 204 No Content"], ""),
                Retry,
                ApiResponseClass::Success,
            ),
            (
                "401 without any challenge",
                raw(&["HTTP/1.1 401 Unauthorized", "Content-Length: 0"], ""),
                First,
                ApiResponseClass::RefreshAndRetry,
            ),
            (
                "401 lower-case bearer on the retry",
                raw(
                    &[
                        "HTTP/1.1 401 Unauthorized",
                        r#"WWW-Authenticate: bearer error="invalid_token""#,
                    ],
                    "",
                ),
                Retry,
                ApiResponseClass::Unauthorized,
            ),
            (
                "403 lower-case bearer",
                raw(
                    &[
                        "HTTP/1.1 403 Forbidden",
                        r#"www-authenticate: bearer error="insufficient_scope", scope="users.readonly""#,
                    ],
                    "",
                ),
                First,
                missing(&["users.readonly"], None),
            ),
            (
                "403 scope param first, description with a comma",
                raw(
                    &[
                        "HTTP/1.1 403 Forbidden",
                        r#"WWW-Authenticate: Bearer scope="leaves.readwrite  users.readonly", error="insufficient_scope", error_description="needs both, sorry""#,
                    ],
                    "",
                ),
                First,
                missing(
                    &["leaves.readwrite", "users.readonly"],
                    Some("needs both, sorry"),
                ),
            ),
            (
                "403 challenge split across two header lines",
                raw(
                    &[
                        "HTTP/1.1 403 Forbidden",
                        r#"WWW-Authenticate: Bearer realm="api""#,
                        r#"WWW-Authenticate: error="insufficient_scope", scope="leaves.readwrite""#,
                    ],
                    "",
                ),
                First,
                missing(&["leaves.readwrite"], None),
            ),
            (
                "403 Basic then Bearer on separate header lines",
                raw(
                    &[
                        "HTTP/1.1 403 Forbidden",
                        r#"WWW-Authenticate: Basic realm="legacy""#,
                        r#"WWW-Authenticate: Bearer error="insufficient_scope", scope="a.b""#,
                    ],
                    "",
                ),
                First,
                missing(&["a.b"], None),
            ),
            (
                "403 with no challenge",
                raw(
                    &[
                        "HTTP/1.1 403 Forbidden",
                        "Content-Type: application/problem+json",
                    ],
                    r#"{"title":"Forbidden","status":403}"#,
                ),
                First,
                missing(&[], None),
            ),
            (
                "403 with only a Basic challenge, on the retry",
                raw(
                    &[
                        "HTTP/1.1 403 Forbidden",
                        r#"WWW-Authenticate: Basic realm="x""#,
                    ],
                    "",
                ),
                Retry,
                missing(&[], None),
            ),
            (
                "429 with an HTTP-date Retry-After",
                raw(
                    &[
                        "HTTP/1.1 429 Too Many Requests",
                        DATE,
                        "Retry-After: Tue, 03 Mar 2026 10:01:30 GMT",
                    ],
                    "",
                ),
                First,
                ApiResponseClass::RateLimited {
                    retry_after: Some(Duration::from_secs(90)),
                },
            ),
            (
                "429 with seconds",
                raw(&["HTTP/1.1 429 Too Many Requests", "Retry-After: 120"], ""),
                Retry,
                ApiResponseClass::RateLimited {
                    retry_after: Some(Duration::from_secs(120)),
                },
            ),
            (
                "429 without Retry-After",
                raw(&["HTTP/1.1 429 Too Many Requests"], ""),
                First,
                ApiResponseClass::RateLimited { retry_after: None },
            ),
            (
                "503 with Retry-After",
                raw(
                    &[
                        "HTTP/1.1 503 Service Unavailable",
                        "Retry-After: 5",
                        "Content-Type: text/html",
                    ],
                    "<html>down</html>",
                ),
                First,
                ApiResponseClass::Transient {
                    status: 503,
                    retry_after: Some(Duration::from_secs(5)),
                },
            ),
            (
                "500",
                raw(&["HTTP/1.1 500 Internal Server Error"], "oops"),
                First,
                ApiResponseClass::Transient {
                    status: 500,
                    retry_after: None,
                },
            ),
            (
                "408",
                raw(&["HTTP/1.1 408 Request Timeout"], ""),
                First,
                ApiResponseClass::Transient {
                    status: 408,
                    retry_after: None,
                },
            ),
            (
                "301 is not followed",
                raw(
                    &[
                        "HTTP/1.1 301 Moved Permanently",
                        "Location: https://elsewhere.example/",
                    ],
                    "",
                ),
                First,
                ApiResponseClass::Redirect { status: 301 },
            ),
            (
                "304",
                raw(&["HTTP/1.1 304 Not Modified"], ""),
                First,
                ApiResponseClass::Redirect { status: 304 },
            ),
            (
                "404 problem+json",
                raw(
                    &[
                        "HTTP/1.1 404 Not Found",
                        "Content-Type: application/problem+json; charset=utf-8",
                    ],
                    r#"{"type":"https://tools.ietf.org/html/rfc9110#section-15.5.5","title":"Not Found","status":404,"detail":"Leave 42 does not exist.","traceId":"00-ab-01"}"#,
                ),
                First,
                ApiResponseClass::Fatal {
                    status: 404,
                    problem: Some(not_found),
                },
            ),
            (
                "400 with an HTML body",
                raw(&["HTTP/1.1 400 Bad Request"], "<html>bad</html>"),
                First,
                ApiResponseClass::Fatal {
                    status: 400,
                    problem: None,
                },
            ),
            (
                "422 validation problem",
                raw(
                    &["HTTP/1.1 422 Unprocessable Entity"],
                    r#"{"title":"Invalid","errors":{"endsOn":["Must be after startsOn."]}}"#,
                ),
                First,
                ApiResponseClass::Fatal {
                    status: 422,
                    problem: Some(Problem {
                        title: Some("Invalid".into()),
                        errors: vec![("endsOn".into(), vec!["Must be after startsOn.".into()])],
                        ..Problem::default()
                    }),
                },
            ),
        ];
        for (name, bytes, attempt, expected) in cases {
            // Without the feature `problem-details`, a fatal answer's body is not decoded.
            let expected = match expected {
                ApiResponseClass::Fatal { status, .. } if !cfg!(feature = "problem-details") => {
                    ApiResponseClass::Fatal {
                        status,
                        problem: None,
                    }
                }
                other => other,
            };
            assert_eq!(classify(&bytes, attempt), expected, "{name}");
        }
    }

    #[test]
    fn classifies_statuses_outside_the_usual_classes() {
        let cases = [
            (
                100,
                ApiResponseClass::Fatal {
                    status: 100,
                    problem: None,
                },
            ),
            (
                199,
                ApiResponseClass::Fatal {
                    status: 199,
                    problem: None,
                },
            ),
            (299, ApiResponseClass::Success),
            (399, ApiResponseClass::Redirect { status: 399 }),
            (
                402,
                ApiResponseClass::Fatal {
                    status: 402,
                    problem: None,
                },
            ),
            (
                599,
                ApiResponseClass::Transient {
                    status: 599,
                    retry_after: None,
                },
            ),
            (
                600,
                ApiResponseClass::Fatal {
                    status: 600,
                    problem: None,
                },
            ),
            (
                0,
                ApiResponseClass::Fatal {
                    status: 0,
                    problem: None,
                },
            ),
        ];
        for (status, expected) in cases {
            let response = HttpResponse::new(status, &[], b"");
            assert_eq!(
                ApiResponseClass::classify(&response, ApiAttempt::First),
                expected,
                "{status}"
            );
        }
    }

    #[test]
    fn retryable_kinds() {
        let cases = [
            (ApiResponseClass::Success, false),
            (ApiResponseClass::RefreshAndRetry, true),
            (ApiResponseClass::Unauthorized, false),
            (missing(&["a"], None), false),
            (ApiResponseClass::RateLimited { retry_after: None }, true),
            (
                ApiResponseClass::Transient {
                    status: 502,
                    retry_after: None,
                },
                true,
            ),
            (ApiResponseClass::Redirect { status: 302 }, false),
            (
                ApiResponseClass::Fatal {
                    status: 404,
                    problem: None,
                },
                false,
            ),
        ];
        for (class, retryable) in cases {
            assert_eq!(class.is_retryable(), retryable, "{class:?}");
        }
    }

    #[test]
    fn attempts() {
        assert_eq!(ApiAttempt::default(), ApiAttempt::First);
        assert!(!ApiAttempt::First.is_retry());
        assert!(ApiAttempt::RetryAfterRefresh.is_retry());
        assert_eq!(
            ApiAttempt::First.next_after_refresh(),
            Some(ApiAttempt::RetryAfterRefresh)
        );
        assert_eq!(ApiAttempt::RetryAfterRefresh.next_after_refresh(), None);
    }

    #[test]
    fn deprecation_and_sunset() {
        type Case<'a> = (
            &'a [(&'a str, &'a [u8])],
            Option<&'a str>,
            Option<u64>,
            Option<&'a str>,
            Option<u64>,
        );
        let cases: &[Case<'_>] = &[
            (&[], None, None, None, None),
            (
                &[
                    ("deprecation", b" @1772532000 "),
                    ("SUNSET", b"Tue, 03 Mar 2026 10:00:00 GMT"),
                ],
                Some("@1772532000"),
                Some(1_772_532_000),
                Some("Tue, 03 Mar 2026 10:00:00 GMT"),
                Some(1_772_532_000),
            ),
            (
                &[("Deprecation", b"true"), ("Sunset", b"soon")],
                Some("true"),
                None,
                Some("soon"),
                None,
            ),
            (
                &[("Deprecation", b"Sun, 06 Nov 1994 08:49:37 GMT")],
                Some("Sun, 06 Nov 1994 08:49:37 GMT"),
                Some(784_111_777),
                None,
                None,
            ),
            (&[("Deprecation", b"@-1")], Some("@-1"), None, None, None),
            (&[("Deprecation", b"@")], Some("@"), None, None, None),
            (&[("Deprecation", b"@1.5")], Some("@1.5"), None, None, None),
            (
                &[("Deprecation", b"@99999999999999999999999")],
                Some("@99999999999999999999999"),
                None,
                None,
                None,
            ),
            (
                &[("Deprecation", b"  "), ("Sunset", b"\xff")],
                None,
                None,
                None,
                None,
            ),
        ];
        for (fields, dep, dep_time, sun, sun_time) in cases {
            let headers: Vec<Header<'_>> = fields
                .iter()
                .map(|(name, value)| Header { name, value })
                .collect();
            let response = HttpResponse::new(200, &headers, b"");
            assert_eq!(deprecation(&response), *dep, "{fields:?}");
            assert_eq!(
                deprecation_time(&response),
                dep_time.map(UnixTime::from_secs),
                "{fields:?}"
            );
            assert_eq!(sunset(&response), *sun, "{fields:?}");
            assert_eq!(
                sunset_time(&response),
                sun_time.map(UnixTime::from_secs),
                "{fields:?}"
            );
        }
    }

    #[test]
    fn bearer_authorization_values() {
        let cases: &[(&str, Result<&str, AuthorizationError>)] = &[
            ("abc", Ok("Bearer abc")),
            ("eyJ0.eXAi-_~+/=", Ok("Bearer eyJ0.eXAi-_~+/=")),
            (
                "!\"#$%&'()*,:;<>?@[\\]^`{|}",
                Ok("Bearer !\"#$%&'()*,:;<>?@[\\]^`{|}"),
            ),
            ("", Err(AuthorizationError::TokenNotHeaderSafe)),
            ("a b", Err(AuthorizationError::TokenNotHeaderSafe)),
            ("a\tb", Err(AuthorizationError::TokenNotHeaderSafe)),
            ("a\r\nX: 1", Err(AuthorizationError::TokenNotHeaderSafe)),
            ("a\u{7f}", Err(AuthorizationError::TokenNotHeaderSafe)),
            ("caf\u{e9}", Err(AuthorizationError::TokenNotHeaderSafe)),
        ];
        for (token, expected) in cases {
            let token = AccessToken::new(*token);
            let got = BearerAuthorization::new(&token);
            assert_eq!(
                got.as_ref()
                    .map(BearerAuthorization::secret)
                    .map_err(|e| *e),
                *expected,
                "{token:?}"
            );
            let mut buf = [0xAAu8; 64];
            let written = write_bearer_authorization(&token, &mut buf);
            match expected {
                Ok(value) => {
                    assert_eq!(written, Ok(value.len()));
                    assert_eq!(buf.get(..value.len()), Some(value.as_bytes()));
                    assert_eq!(bearer_authorization_len(&token), value.len());
                }
                Err(error) => {
                    assert_eq!(written, Err(*error));
                    assert_eq!(buf, [0xAAu8; 64]);
                }
            }
        }
    }

    #[test]
    fn bearer_authorization_buffer_sizes() {
        let token = AccessToken::new("tok");
        // "Bearer tok" is 10 bytes.
        for size in 0..14 {
            let mut buf = vec![0u8; size];
            let result = write_bearer_authorization(&token, &mut buf);
            if size >= 10 {
                assert_eq!(result, Ok(10));
                assert_eq!(buf.get(..10), Some(&b"Bearer tok"[..]));
                assert!(buf.get(10..).unwrap_or_default().iter().all(|&b| b == 0));
            } else {
                assert_eq!(
                    result,
                    Err(AuthorizationError::BufferTooSmall(BufferTooSmall {
                        needed: 10,
                        available: size,
                    }))
                );
                assert!(buf.iter().all(|&b| b == 0));
            }
        }
    }

    #[test]
    fn errors_never_show_the_token() {
        let token = AccessToken::new("s3cr3t tok");
        let Err(error) = BearerAuthorization::new(&token) else {
            panic!("a token with a space must be refused");
        };
        let shown = alloc::format!("{error} {error:?}");
        assert!(!shown.contains("s3cr3t"), "{shown}");
        assert_eq!(
            alloc::format!(
                "{}",
                AuthorizationError::BufferTooSmall(BufferTooSmall {
                    needed: 10,
                    available: 2
                })
            ),
            "output buffer too small: 10 bytes needed, 2 available"
        );
    }

    #[test]
    fn authorization_value_is_redacted() {
        let Ok(value) = BearerAuthorization::new(&AccessToken::new("s3cr3t")) else {
            panic!("valid token refused");
        };
        assert_eq!(value.secret(), "Bearer s3cr3t");
        assert_eq!(
            alloc::format!("{value:?}"),
            "BearerAuthorization([redacted])"
        );
        let headers = ApiRequestHeaders::new();
        let fields = headers.fields_with_authorization(value.secret().as_bytes());
        assert!(!alloc::format!("{headers:?}").contains("s3cr3t"));
        assert_eq!(fields[0].value, b"Bearer s3cr3t");
    }

    #[test]
    fn request_header_fields() {
        use crate::config::{ApiVersion, UserAgent};
        let Ok(version) = ApiVersion::new("2025-06-01") else {
            panic!("valid version refused");
        };
        let Ok(agent) = UserAgent::new("payroll-sync/2.1") else {
            panic!("valid user agent refused");
        };
        type Fields<'a> = [(&'a str, &'a [u8]); 3];
        let default_agent = UserAgent::DEFAULT.as_bytes();
        let cases: [(ApiRequestHeaders, Fields<'_>); 3] = [
            (
                ApiRequestHeaders::new(),
                [
                    ("Api-Version", b"2024-11-01"),
                    ("Accept", b"application/json"),
                    ("User-Agent", default_agent),
                ],
            ),
            (
                ApiRequestHeaders::new().with_api_version(version.clone()),
                [
                    ("Api-Version", b"2025-06-01"),
                    ("Accept", b"application/json"),
                    ("User-Agent", default_agent),
                ],
            ),
            (
                ApiRequestHeaders::new()
                    .with_user_agent(agent.clone())
                    .with_api_version(version),
                [
                    ("Api-Version", b"2025-06-01"),
                    ("Accept", b"application/json"),
                    ("User-Agent", b"payroll-sync/2.1"),
                ],
            ),
        ];
        for (headers, expected) in &cases {
            let fields: Vec<(&str, &[u8])> =
                headers.fields().iter().map(|h| (h.name, h.value)).collect();
            assert_eq!(fields, expected.to_vec());
            let mut buf = [0u8; 32];
            let Ok(n) = write_bearer_authorization(&AccessToken::new("t0k"), &mut buf) else {
                panic!("buffer too small");
            };
            let with: Vec<(&str, &[u8])> = headers
                .fields_with_authorization(buf.get(..n).unwrap_or_default())
                .iter()
                .map(|h| (h.name, h.value))
                .collect();
            let mut want = vec![("Authorization", &b"Bearer t0k"[..])];
            want.extend_from_slice(expected);
            assert_eq!(with, want);
        }
        assert_eq!(cases[2].0.user_agent(), &agent);
        assert_eq!(cases[2].0.api_version().as_str(), "2025-06-01");
        assert_eq!(
            UserAgent::DEFAULT,
            concat!("lucca-auth/", env!("CARGO_PKG_VERSION"))
        );
    }

    #[test]
    fn redact_removes_the_echoed_token_from_every_text() {
        const TOKEN: &str = "AT-echo/0123+abc";
        let token = AccessToken::new(TOKEN);
        let echoed = |prefix: &str| alloc::format!("{prefix} Bearer {TOKEN}");
        let fatal = |text: &str| ApiResponseClass::Fatal {
            status: 400,
            problem: Some(Problem {
                problem_type: Some(text.into()),
                title: Some(text.into()),
                status: Some(400),
                detail: Some(text.into()),
                instance: Some(text.into()),
                errors: vec![(text.into(), vec![text.into(), "kept".into()])],
                trace_id: Some(text.into()),
            }),
        };
        let cases: Vec<(ApiResponseClass, ApiResponseClass)> = vec![
            (fatal(&echoed("got")), fatal("got Bearer [redacted]")),
            (fatal(r"got AT-echo\/0123\u002Babc"), fatal("[redacted]")),
            (fatal("got AT-echo%2F0123%2Babc"), fatal("got [redacted]")),
            (fatal("got AT-echo%2f0123%2babc"), fatal("[redacted]")),
            (fatal("cut at AT-echo/01…"), fatal("cut at [redacted]")),
            (fatal("nothing to see"), fatal("nothing to see")),
            (
                missing(&[TOKEN, "x"], Some(&echoed("lacks x:"))),
                missing(&["[redacted]", "x"], Some("lacks x: Bearer [redacted]")),
            ),
            (missing(&["x"], None), missing(&["x"], None)),
            (
                ApiResponseClass::Fatal {
                    status: 404,
                    problem: None,
                },
                ApiResponseClass::Fatal {
                    status: 404,
                    problem: None,
                },
            ),
            (
                ApiResponseClass::Unauthorized,
                ApiResponseClass::Unauthorized,
            ),
        ];
        for (mut class, expected) in cases {
            let before = alloc::format!("{class:?}");
            class.redact(&token);
            assert_eq!(class, expected, "{before}");
            assert!(!alloc::format!("{class:?}").contains("0123"), "{before}");
        }
        // A token shorter than MIN_SECRET_LEN is not searched for.
        let mut class = fatal("connection refused");
        class.redact(&AccessToken::new("s"));
        assert_eq!(class, fatal("connection refused"));
    }
}
