//! The token endpoint's answer: [`parse_token_response`] turns an [`HttpResponse`] into a
//! [`TokenResponse`] or a [`TokenError`] that says whose fault it is and whether retrying
//! can help.
//!
//! # What is accepted
//!
//! - **Status.** 2xx is a token answer; 3xx is [`TokenError::Redirect`] (never followed);
//!   anything else is an error answer. An OAuth error body (RFC 6749 §5.2, a JSON object
//!   with a string `error` member) is recognised whatever the status, even 200: the `error`
//!   member decides, not the status.
//! - **Media type.** `application/json` and any `application/*+json`, with any parameters
//!   and in any case; `text/plain` and `text/json` (servers that mislabel JSON); a missing
//!   `Content-Type`. Any other media type is not read as JSON. A leading UTF-8 BOM and JSON
//!   whitespace are tolerated; trailing garbage after the object is not.
//! - **Content coding.** Only `identity` (or no `Content-Encoding`): the core does not
//!   decompress. Adapters must not ask for compressed token responses.
//! - **Size.** A body longer than [`TokenResponseOptions::max_body_len`] is not parsed.
//! - **`token_type`.** `bearer` in any case; missing, `null` or empty is taken as Bearer and
//!   flagged in [`TokenResponse::token_type_missing`] (as Go's and Python's clients do); any
//!   other type is [`TokenError::UnsupportedTokenType`]. Requests always use the scheme
//!   `Bearer`.
//! - **`expires_in`.** A JSON number (integer, decimal or exponent form) or a string holding
//!   one (`"1800"`, `"1.8E3"`), rounded down to whole seconds; negative is an invalid
//!   response; more than [`TokenResponseOptions::max_lifetime`] is clamped to it; missing
//!   or `null` means [`TokenResponseOptions::default_lifetime`]; `0` means expired on
//!   arrival, never "does not expire".
//! - **`access_token`.** A non-empty string of visible ASCII (`%x21-7E`), so it can go into
//!   an `Authorization` header as is.
//! - **`scope`.** Kept as sent (a JSON array of strings, which some servers send, is joined
//!   with single spaces) and parsed leniently into [`TokenResponse::granted_scopes`]: an
//!   unparsable scope string never fails the token.
//! - Unknown members are ignored, whatever their type. A repeated member that this parser
//!   reads makes the answer invalid (which of the two would be meant is unknowable).
//!
//! # Secrets
//!
//! No error and no `Debug` output carries the token or a 2xx body. Error answers carry a
//! short sanitized excerpt (control characters removed, at most [`EXCERPT_MAX_CHARS`]
//! characters, cut before anything that looks like an echoed credential). The token is
//! moved into a zeroizing [`AccessToken`] as soon as it is read; the response body itself
//! belongs to the caller, who should zeroize it. (A token containing JSON escapes passes
//! through `serde_json`'s scratch buffer, which is not zeroized.)

use alloc::borrow::Cow;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;
use core::time::Duration;

use serde::de::{self, Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use crate::config::ClientCredentials;
use crate::redaction::Redactor;
use crate::response::HttpResponse;
use crate::retry_after::retry_after_delay;
use crate::scope::Scopes;
use crate::secret::AccessToken;

/// The lifetime of a token whose answer has no `expires_in`: 1800 s, Lucca's documented
/// token lifetime.
pub const DEFAULT_LIFETIME: Duration = Duration::from_secs(1800);

/// The longest lifetime believed: 365 days. Longer `expires_in` values are clamped.
pub const MAX_LIFETIME: Duration = Duration::from_secs(365 * 24 * 60 * 60);

/// The largest token endpoint body parsed by default: 64 KiB.
pub const MAX_BODY_LEN: usize = 64 * 1024;

/// The longest body excerpt an error carries, in characters, not counting the `…` that
/// marks a cut. (Every length limit in this module counts the same way.)
pub const EXCERPT_MAX_CHARS: usize = 120;

const DESCRIPTION_MAX_CHARS: usize = 200;
const URI_MAX_CHARS: usize = 200;
const CODE_MAX_CHARS: usize = 64;
const TOKEN_TYPE_MAX_CHARS: usize = 32;
const ENCODING_MAX_CHARS: usize = 32;
const TRANSPORT_DETAIL_MAX_CHARS: usize = 120;

/// Policy for [`parse_token_response`].
///
/// ```
/// use core::time::Duration;
/// use lucca_auth::token_response::TokenResponseOptions;
///
/// let mut options = TokenResponseOptions::default();
/// assert_eq!(options.default_lifetime, Duration::from_secs(1800));
/// options.max_body_len = 16 * 1024;
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct TokenResponseOptions {
    /// The lifetime assumed when the answer has no `expires_in` ([`DEFAULT_LIFETIME`]).
    pub default_lifetime: Duration,
    /// The longest lifetime believed; longer `expires_in` values are clamped
    /// ([`MAX_LIFETIME`]).
    pub max_lifetime: Duration,
    /// The largest body parsed, in bytes ([`MAX_BODY_LEN`]).
    pub max_body_len: usize,
}

impl Default for TokenResponseOptions {
    fn default() -> Self {
        TokenResponseOptions {
            default_lifetime: DEFAULT_LIFETIME,
            max_lifetime: MAX_LIFETIME,
            max_body_len: MAX_BODY_LEN,
        }
    }
}

/// A successful token answer.
///
/// Its `Debug` output never shows the token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenResponse {
    access_token: AccessToken,
    token_type_missing: bool,
    expires_in: Option<Duration>,
    lifetime: Duration,
    scope: Option<String>,
    granted_scopes: Option<Scopes>,
}

impl TokenResponse {
    /// A Bearer token with this lifetime and no `expires_in`, `scope` or flags: for tests
    /// and for tokens restored from a snapshot.
    #[must_use]
    pub fn new(access_token: AccessToken, lifetime: Duration) -> Self {
        TokenResponse {
            access_token,
            token_type_missing: false,
            expires_in: None,
            lifetime,
            scope: None,
            granted_scopes: None,
        }
    }

    /// The access token, to be sent as `Authorization: Bearer <token>`.
    #[must_use]
    pub fn access_token(&self) -> &AccessToken {
        &self.access_token
    }

    /// Takes the access token out of the answer, without copying it.
    #[must_use]
    pub fn into_access_token(self) -> AccessToken {
        self.access_token
    }

    /// The answer had no `token_type` (or `null`, or empty); it is used as a Bearer token.
    #[must_use]
    pub fn token_type_missing(&self) -> bool {
        self.token_type_missing
    }

    /// `expires_in` as sent, rounded down to whole seconds and clamped to
    /// [`TokenResponseOptions::max_lifetime`]; `None` when absent or `null`.
    #[must_use]
    pub fn expires_in(&self) -> Option<Duration> {
        self.expires_in
    }

    /// The lifetime to use: [`expires_in`](Self::expires_in), or
    /// [`TokenResponseOptions::default_lifetime`] when absent. Counted from when the request
    /// was sent. Zero means expired on arrival.
    #[must_use]
    pub fn lifetime(&self) -> Duration {
        self.lifetime
    }

    /// The granted scope string as sent (`None` when absent, or neither a string nor an
    /// array of strings, which is joined with single spaces). Never validated: a server's
    /// odd scope string never fails an otherwise good token.
    #[must_use]
    pub fn scope(&self) -> Option<&str> {
        self.scope.as_deref()
    }

    /// [`scope`](Self::scope) parsed as RFC 6749 §3.3 scopes.
    ///
    /// `None` when the server sent no scope (RFC 6749 §5.1: the requested scopes were
    /// granted), and also when its scope string is empty, blank or unparsable (a character
    /// outside §3.3, or longer than [`MAX_SCOPES_LEN`](crate::scope::MAX_SCOPES_LEN)):
    /// such a string tells nothing reliable, so it is treated like an absent one and the
    /// requested scopes are assumed; an API 403 then names what is really missing. The raw
    /// string stays in [`scope`](Self::scope) for diagnostics.
    #[must_use]
    pub fn granted_scopes(&self) -> Option<&Scopes> {
        self.granted_scopes.as_ref()
    }

    /// The scopes this token carries: the granted ones, or `requested` when the server did
    /// not say (see [`granted_scopes`](Self::granted_scopes)).
    #[must_use]
    pub fn effective_scopes<'s>(&'s self, requested: &'s Scopes) -> &'s Scopes {
        self.granted_scopes.as_ref().unwrap_or(requested)
    }

    /// The requested scopes the server did not grant, in request order; empty when it
    /// granted them all or did not say.
    ///
    /// ```
    /// use core::time::Duration;
    /// use lucca_auth::response::{Header, HttpResponse};
    /// use lucca_auth::scope::Scopes;
    /// use lucca_auth::token_response::{parse_token_response, TokenResponseOptions};
    ///
    /// let body = br#"{"access_token":"AT","token_type":"Bearer","scope":"a c"}"#;
    /// let response = HttpResponse::new(200, &[], body);
    /// let token = parse_token_response(&response, &TokenResponseOptions::default())?;
    /// let requested = Scopes::parse_space_separated("a b")?;
    /// assert_eq!(token.not_granted(&requested).to_space_separated(), "b");
    /// assert!(token.granted_differs(&requested));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn not_granted(&self, requested: &Scopes) -> Scopes {
        match &self.granted_scopes {
            Some(granted) => requested.difference(granted),
            None => Scopes::new(),
        }
    }

    /// Whether the server granted a different set than `requested` (fewer, more, or
    /// others); false when it did not say.
    #[must_use]
    pub fn granted_differs(&self, requested: &Scopes) -> bool {
        self.granted_scopes
            .as_ref()
            .is_some_and(|granted| granted != requested)
    }
}

/// Why a token request failed.
///
/// Split by whose fault it is: the server said no ([`OAuth`](Self::OAuth)), the server or
/// something in between misbehaved ([`UnexpectedStatus`](Self::UnexpectedStatus),
/// [`Redirect`](Self::Redirect), [`InvalidResponse`](Self::InvalidResponse),
/// [`UnsupportedTokenType`](Self::UnsupportedTokenType),
/// [`ResponseTooLarge`](Self::ResponseTooLarge)), the adapter misbehaved
/// ([`UnsupportedContentEncoding`](Self::UnsupportedContentEncoding)), or the network failed
/// ([`Transport`](Self::Transport)). Nothing in it is secret: no token, no 2xx body.
///
/// What to do about it: [`is_retryable`](Self::is_retryable) (retry after a backoff no
/// shorter than [`retry_after`](Self::retry_after)), [`is_fatal_for_client`](Self::is_fatal_for_client)
/// (stop asking until the configuration changes), or neither (report it; a later request
/// may succeed).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TokenError {
    /// The server answered with an OAuth error (RFC 6749 §5.2), whatever the status.
    OAuth(OAuthError),
    /// A non-2xx, non-3xx answer without an OAuth error body (proxy HTML page, empty body,
    /// some other JSON), classified by its status.
    UnexpectedStatus {
        /// The status code.
        status: u16,
        /// The start of the body, sanitized, at most [`EXCERPT_MAX_CHARS`] characters;
        /// empty when the body is empty or encoded.
        excerpt: String,
        /// The delay the server asked for with `Retry-After`.
        retry_after: Option<Duration>,
    },
    /// A 3xx answer. Token requests are never redirected: the endpoint URL is wrong.
    Redirect {
        /// The status code.
        status: u16,
    },
    /// A 2xx answer that is not a usable token answer.
    InvalidResponse(InvalidResponseReason),
    /// A 2xx answer with a `token_type` other than Bearer.
    UnsupportedTokenType {
        /// The type the server named, sanitized, at most 32 characters.
        token_type: String,
    },
    /// A 2xx body longer than [`TokenResponseOptions::max_body_len`].
    ResponseTooLarge {
        /// The limit that was exceeded, in bytes.
        limit: usize,
    },
    /// A 2xx body with a `Content-Encoding` other than `identity`: the adapter asked for or
    /// accepted a compressed answer, which the core does not decode.
    UnsupportedContentEncoding {
        /// The first content coding that is not `identity`, sanitized, at most 32
        /// characters.
        encoding: String,
    },
    /// The request did not complete, as reported by an adapter.
    Transport(TransportError),
}

impl TokenError {
    /// Removes the client secret from every text this error carries (body excerpt, OAuth
    /// description, URI and non-standard `error` code, transport detail): literally,
    /// percent-encoded (`%20` and `+` forms, either hex case), JSON-escaped (including
    /// `\uXXXX` and `\/` escapes), with its whitespace runs collapsed, inside an echoed HTTP
    /// Basic credential (the base64 of `id:secret`, encoded or not), and a trailing fragment
    /// where a text was cut in the middle of one of those. An echo that cannot be cut out
    /// exactly replaces the whole text with `[redacted]`. A server or proxy that echoes the
    /// request can otherwise put the secret into an error message. The token machine does
    /// this for every failure it reports.
    ///
    /// A secret shorter than [`MIN_SECRET_LEN`](crate::redaction::MIN_SECRET_LEN) bytes is
    /// not searched for (only the HTTP Basic forms are): see [`redaction`](crate::redaction).
    ///
    /// ```
    /// use lucca_auth::config::ClientCredentials;
    /// use lucca_auth::secret::{ClientId, ClientSecret};
    /// use lucca_auth::token_response::TokenError;
    ///
    /// let credentials = ClientCredentials::new(ClientId::new("app"), ClientSecret::new("Pa55/W0rd+Secret"));
    /// let mut error = TokenError::UnexpectedStatus {
    ///     status: 400,
    ///     excerpt: "bad client_id=app secret: Pa55%2FW0rd%2BSecret".into(),
    ///     retry_after: None,
    /// };
    /// error.redact(&credentials);
    /// let TokenError::UnexpectedStatus { excerpt, .. } = &error else { unreachable!() };
    /// assert_eq!(excerpt, "bad client_id=app secret: [redacted]");
    ///
    /// // Lower-case hex escapes around the secret's own letters: not an exact form, so the
    /// // whole text goes.
    /// let mut error = TokenError::UnexpectedStatus {
    ///     status: 400,
    ///     excerpt: "bad secret Pa55%2fW0rd%2bSecret".into(),
    ///     retry_after: None,
    /// };
    /// error.redact(&credentials);
    /// let TokenError::UnexpectedStatus { excerpt, .. } = &error else { unreachable!() };
    /// assert_eq!(excerpt, "[redacted]");
    /// ```
    pub fn redact(&mut self, credentials: &ClientCredentials) {
        let texts: [Option<&mut String>; 3] = match self {
            TokenError::OAuth(error) => {
                let code = match &mut error.code {
                    OAuthErrorCode::Other(code) => Some(code),
                    _ => None,
                };
                [error.description.as_mut(), error.uri.as_mut(), code]
            }
            TokenError::UnexpectedStatus { excerpt, .. } => [Some(excerpt), None, None],
            TokenError::Transport(error) => [error.detail.as_mut(), None, None],
            TokenError::UnsupportedTokenType { token_type: text }
            | TokenError::UnsupportedContentEncoding { encoding: text } => [Some(text), None, None],
            TokenError::Redirect { .. }
            | TokenError::InvalidResponse(_)
            | TokenError::ResponseTooLarge { .. } => [None, None, None],
        };
        let mut texts = texts
            .into_iter()
            .flatten()
            .filter(|text| !text.is_empty())
            .peekable();
        if texts.peek().is_none() {
            return;
        }
        let redactor = Redactor::for_client_secret(credentials);
        for text in texts {
            redactor.redact(text);
        }
    }

    /// Whether retrying the same request later may succeed: HTTP 408, 429 and 5xx (whatever
    /// the body), the OAuth codes `server_error` and `temporarily_unavailable`, and
    /// connection, timeout and I/O failures.
    #[must_use]
    pub fn is_retryable(&self) -> bool {
        match self {
            TokenError::OAuth(error) => {
                is_retryable_status(error.status) || error.code.is_transient()
            }
            TokenError::UnexpectedStatus { status, .. } => is_retryable_status(*status),
            TokenError::Transport(error) => error.kind.is_retryable(),
            TokenError::Redirect { .. }
            | TokenError::InvalidResponse(_)
            | TokenError::UnsupportedTokenType { .. }
            | TokenError::ResponseTooLarge { .. }
            | TokenError::UnsupportedContentEncoding { .. } => false,
        }
    }

    /// Whether this error will come back on every retry until the client's configuration
    /// (credentials, scopes, endpoint, adapter) changes, so token requests should stop until
    /// the caller resets.
    ///
    /// True for the OAuth codes `invalid_client`, `unauthorized_client`, `invalid_scope`,
    /// `unsupported_grant_type` and `invalid_grant` (with client credentials the grant *is*
    /// the client's credentials: the same request gets the same answer), for a 401 without a
    /// transient OAuth code, for redirects, unsupported token types and content codings.
    /// Never true together with [`is_retryable`](Self::is_retryable): a 5xx, 408 or 429
    /// status means the server itself is unwell, so even a fatal-looking code is retried.
    ///
    /// `invalid_request` and unknown codes are not fatal: they are reported, and the caller's
    /// backoff decides when to ask again.
    #[must_use]
    pub fn is_fatal_for_client(&self) -> bool {
        if self.is_retryable() {
            return false;
        }
        match self {
            TokenError::OAuth(error) => error.code.is_fatal_for_client() || error.status == 401,
            TokenError::UnexpectedStatus { status, .. } => *status == 401,
            TokenError::Redirect { .. }
            | TokenError::UnsupportedTokenType { .. }
            | TokenError::UnsupportedContentEncoding { .. } => true,
            TokenError::InvalidResponse(_)
            | TokenError::ResponseTooLarge { .. }
            | TokenError::Transport(_) => false,
        }
    }

    /// Whether the server said it is rate limiting (HTTP 429).
    #[must_use]
    pub fn is_rate_limited(&self) -> bool {
        self.status() == Some(429)
    }

    /// The delay the server asked for with `Retry-After` (see
    /// [`retry_after_delay`]).
    #[must_use]
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            TokenError::OAuth(error) => error.retry_after,
            TokenError::UnexpectedStatus { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// The status code of an error answer; `None` for 2xx body problems and transport
    /// failures.
    #[must_use]
    pub fn status(&self) -> Option<u16> {
        match self {
            TokenError::OAuth(error) => Some(error.status),
            TokenError::UnexpectedStatus { status, .. } | TokenError::Redirect { status } => {
                Some(*status)
            }
            _ => None,
        }
    }
}

impl fmt::Display for TokenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TokenError::OAuth(error) => fmt::Display::fmt(error, f),
            TokenError::UnexpectedStatus {
                status,
                excerpt,
                retry_after,
            } => {
                write!(
                    f,
                    "token endpoint answered HTTP {status} without an OAuth error"
                )?;
                if excerpt.is_empty() {
                    f.write_str(" (empty body)")?;
                } else {
                    write!(f, " (body starts: \"{excerpt}\")")?;
                }
                write_retry_after(f, *retry_after)
            }
            TokenError::Redirect { status } => write!(
                f,
                "token endpoint answered with redirect HTTP {status}, which is not followed; \
                 check the endpoint URL"
            ),
            TokenError::InvalidResponse(reason) => {
                write!(f, "invalid token response: {reason}")
            }
            TokenError::UnsupportedTokenType { token_type } => write!(
                f,
                "token endpoint issued a token of type \"{token_type}\"; only Bearer is supported"
            ),
            TokenError::ResponseTooLarge { limit } => {
                write!(f, "token response body exceeds the {limit}-byte limit")
            }
            TokenError::UnsupportedContentEncoding { encoding } => write!(
                f,
                "token response has content coding \"{encoding}\"; only identity is supported"
            ),
            TokenError::Transport(error) => fmt::Display::fmt(error, f),
        }
    }
}

impl core::error::Error for TokenError {}

impl From<TransportError> for TokenError {
    fn from(error: TransportError) -> Self {
        TokenError::Transport(error)
    }
}

/// An OAuth error answer (RFC 6749 §5.2).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct OAuthError {
    /// The `error` code.
    pub code: OAuthErrorCode,
    /// `error_description`, sanitized, at most 200 characters.
    pub description: Option<String>,
    /// `error_uri`, sanitized, at most 200 characters. Not validated as a URI.
    pub uri: Option<String>,
    /// The HTTP status it came with.
    pub status: u16,
    /// The delay the server asked for with `Retry-After`.
    pub retry_after: Option<Duration>,
}

impl fmt::Display for OAuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "token endpoint refused: {} (HTTP {})",
            self.code.as_str(),
            self.status
        )?;
        if let Some(description) = &self.description {
            write!(f, ": {description}")?;
        }
        if let Some(uri) = &self.uri {
            write!(f, " <{uri}>")?;
        }
        write_retry_after(f, self.retry_after)
    }
}

impl core::error::Error for OAuthError {}

/// The `error` code of an OAuth error answer (RFC 6749 §5.2, and §4.1.2.1 for the two
/// transient codes some servers also send from the token endpoint). Matched ASCII
/// case-insensitively.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum OAuthErrorCode {
    /// `invalid_request`: the request is malformed.
    InvalidRequest,
    /// `invalid_client`: client authentication failed (unknown client, wrong secret).
    InvalidClient,
    /// `invalid_grant`: the grant is invalid, expired or revoked.
    InvalidGrant,
    /// `unauthorized_client`: this client may not use the client-credentials grant.
    UnauthorizedClient,
    /// `unsupported_grant_type`: the server does not support this grant.
    UnsupportedGrantType,
    /// `invalid_scope`: a requested scope is invalid, unknown or not allowed.
    InvalidScope,
    /// `server_error`: the server failed (transient).
    ServerError,
    /// `temporarily_unavailable`: the server is overloaded or in maintenance (transient).
    TemporarilyUnavailable,
    /// Any other code, sanitized, at most 64 characters.
    Other(String),
}

impl OAuthErrorCode {
    /// The code for an `error` value.
    ///
    /// ```
    /// use lucca_auth::token_response::OAuthErrorCode;
    ///
    /// assert_eq!(OAuthErrorCode::from_wire("invalid_client"), OAuthErrorCode::InvalidClient);
    /// assert_eq!(OAuthErrorCode::from_wire("INVALID_SCOPE").as_str(), "invalid_scope");
    /// assert_eq!(OAuthErrorCode::from_wire("slow_down").as_str(), "slow_down");
    /// ```
    #[must_use]
    pub fn from_wire(code: &str) -> OAuthErrorCode {
        const KNOWN: [(&str, OAuthErrorCode); 8] = [
            ("invalid_request", OAuthErrorCode::InvalidRequest),
            ("invalid_client", OAuthErrorCode::InvalidClient),
            ("invalid_grant", OAuthErrorCode::InvalidGrant),
            ("unauthorized_client", OAuthErrorCode::UnauthorizedClient),
            (
                "unsupported_grant_type",
                OAuthErrorCode::UnsupportedGrantType,
            ),
            ("invalid_scope", OAuthErrorCode::InvalidScope),
            ("server_error", OAuthErrorCode::ServerError),
            (
                "temporarily_unavailable",
                OAuthErrorCode::TemporarilyUnavailable,
            ),
        ];
        KNOWN
            .into_iter()
            .find(|(wire, _)| wire.eq_ignore_ascii_case(code))
            .map_or_else(
                || OAuthErrorCode::Other(sanitize(code, CODE_MAX_CHARS)),
                |(_, known)| known,
            )
    }

    /// The code as sent on the wire (lower case for known codes).
    #[must_use]
    pub fn as_str(&self) -> &str {
        match self {
            OAuthErrorCode::InvalidRequest => "invalid_request",
            OAuthErrorCode::InvalidClient => "invalid_client",
            OAuthErrorCode::InvalidGrant => "invalid_grant",
            OAuthErrorCode::UnauthorizedClient => "unauthorized_client",
            OAuthErrorCode::UnsupportedGrantType => "unsupported_grant_type",
            OAuthErrorCode::InvalidScope => "invalid_scope",
            OAuthErrorCode::ServerError => "server_error",
            OAuthErrorCode::TemporarilyUnavailable => "temporarily_unavailable",
            OAuthErrorCode::Other(code) => code,
        }
    }

    /// `server_error` or `temporarily_unavailable`.
    #[must_use]
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            OAuthErrorCode::ServerError | OAuthErrorCode::TemporarilyUnavailable
        )
    }

    /// The codes a retry of the same client-credentials request cannot fix: see
    /// [`TokenError::is_fatal_for_client`].
    #[must_use]
    pub fn is_fatal_for_client(&self) -> bool {
        matches!(
            self,
            OAuthErrorCode::InvalidClient
                | OAuthErrorCode::InvalidGrant
                | OAuthErrorCode::UnauthorizedClient
                | OAuthErrorCode::UnsupportedGrantType
                | OAuthErrorCode::InvalidScope
        )
    }
}

impl fmt::Display for OAuthErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a 2xx answer is not a usable token answer. Never a JSON parser message: those can
/// quote the body.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum InvalidResponseReason {
    /// The `Content-Type` is not JSON (nor `text/plain`).
    UnexpectedMediaType,
    /// The body is not a single JSON object (empty, HTML, truncated, not UTF-8, …).
    NotJsonObject,
    /// A member this parser reads appears twice.
    DuplicateMember,
    /// No `access_token` member.
    MissingAccessToken,
    /// `access_token` is not a non-empty string of visible ASCII characters.
    InvalidAccessToken,
    /// `token_type` is neither a string nor `null`.
    InvalidTokenType,
    /// `expires_in` is neither a number, a string holding one, nor `null`.
    InvalidExpiresIn,
    /// `expires_in` is negative.
    NegativeExpiresIn,
    /// The token's lifetime leaves no usable time once the safety margin and the time the
    /// answer took are subtracted (`expires_in` of 0, for example). Reported by the token
    /// state machine, not by [`parse_token_response`].
    ExpiredOnArrival,
}

impl fmt::Display for InvalidResponseReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            InvalidResponseReason::UnexpectedMediaType => "content type is not JSON",
            InvalidResponseReason::NotJsonObject => "body is not a JSON object",
            InvalidResponseReason::DuplicateMember => "a member appears twice",
            InvalidResponseReason::MissingAccessToken => "no access_token",
            InvalidResponseReason::InvalidAccessToken => {
                "access_token is not a non-empty string of visible ASCII"
            }
            InvalidResponseReason::InvalidTokenType => "token_type is not a string",
            InvalidResponseReason::InvalidExpiresIn => "expires_in is not a number",
            InvalidResponseReason::NegativeExpiresIn => "expires_in is negative",
            InvalidResponseReason::ExpiredOnArrival => "the token expired on arrival",
        })
    }
}

/// A transport failure reported by an adapter: what kind, and at most a short sanitized
/// detail (never the foreign stack's full message, which may quote URLs or bodies).
///
/// ```
/// use lucca_auth::token_response::{TokenError, TransportError, TransportErrorKind};
///
/// let error = TokenError::from(TransportError::new(TransportErrorKind::Timeout));
/// assert!(error.is_retryable());
/// assert_eq!(error.to_string(), "token request failed: timed out");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TransportError {
    kind: TransportErrorKind,
    detail: Option<String>,
}

impl TransportError {
    /// A failure of this kind, without detail.
    #[must_use]
    pub fn new(kind: TransportErrorKind) -> Self {
        TransportError { kind, detail: None }
    }

    /// Adds a short detail, sanitized and cut to 120 characters. Pass a fixed description
    /// or an error kind name, not a foreign error's whole message.
    #[must_use]
    pub fn with_detail(mut self, detail: &str) -> Self {
        let detail = sanitize(detail, TRANSPORT_DETAIL_MAX_CHARS);
        self.detail = (!detail.is_empty()).then_some(detail);
        self
    }

    /// The kind of failure.
    #[must_use]
    pub fn kind(&self) -> TransportErrorKind {
        self.kind
    }

    /// The sanitized detail, if any.
    #[must_use]
    pub fn detail(&self) -> Option<&str> {
        self.detail.as_deref()
    }
}

impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "token request failed: {}", self.kind)?;
        if let Some(detail) = &self.detail {
            write!(f, " ({detail})")?;
        }
        Ok(())
    }
}

impl core::error::Error for TransportError {}

/// The kind of a [`TransportError`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TransportErrorKind {
    /// Name resolution or connection establishment failed. Retryable.
    Connect,
    /// The request or response timed out. Retryable.
    Timeout,
    /// Reading or writing failed mid-exchange (reset, closed early, malformed HTTP).
    /// Retryable.
    Io,
    /// TLS failed (certificate, handshake). Not retryable: usually configuration.
    Tls,
    /// Anything else. Not retryable.
    Other,
}

impl TransportErrorKind {
    /// `Connect`, `Timeout` and `Io`.
    #[must_use]
    pub fn is_retryable(self) -> bool {
        matches!(
            self,
            TransportErrorKind::Connect | TransportErrorKind::Timeout | TransportErrorKind::Io
        )
    }
}

impl fmt::Display for TransportErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TransportErrorKind::Connect => "could not connect",
            TransportErrorKind::Timeout => "timed out",
            TransportErrorKind::Io => "I/O error",
            TransportErrorKind::Tls => "TLS error",
            TransportErrorKind::Other => "transport error",
        })
    }
}

/// Parses the token endpoint's answer.
///
/// ```
/// use core::time::Duration;
/// use lucca_auth::response::{Header, HttpResponse};
/// use lucca_auth::token_response::{
///     parse_token_response, OAuthErrorCode, TokenError, TokenResponseOptions,
/// };
///
/// let options = TokenResponseOptions::default();
/// let headers = [Header { name: "Content-Type", value: b"application/json" }];
///
/// let body = br#"{"access_token":"AT-1","token_type":"bearer","expires_in":"1800"}"#;
/// let token = parse_token_response(&HttpResponse::new(200, &headers, body), &options)?;
/// assert_eq!(token.access_token().secret(), "AT-1");
/// assert_eq!(token.lifetime(), Duration::from_secs(1800));
///
/// let body = br#"{"error":"invalid_client"}"#;
/// let error = parse_token_response(&HttpResponse::new(401, &headers, body), &options)
///     .unwrap_err();
/// assert!(matches!(&error, TokenError::OAuth(e) if e.code == OAuthErrorCode::InvalidClient));
/// assert!(error.is_fatal_for_client() && !error.is_retryable());
/// # Ok::<(), TokenError>(())
/// ```
///
/// # Errors
///
/// Every [`TokenError`] variant except [`TokenError::Transport`]; see the module docs for
/// the rules.
pub fn parse_token_response(
    response: &HttpResponse<'_>,
    options: &TokenResponseOptions,
) -> Result<TokenResponse, TokenError> {
    let status = response.status();
    if (300..400).contains(&status) {
        return Err(TokenError::Redirect { status });
    }
    let encoding = unsupported_content_encoding(response);
    let body = response.body();
    let readable_json = encoding.is_none()
        && body.len() <= options.max_body_len
        && media_type(response) != MediaType::Other;

    if !(200..300).contains(&status) {
        let retry_after = retry_after_delay(response);
        if readable_json
            && let Ok(members) = Members::parse(body)
            && let Some(code) = &members.error
            && !members.duplicate
        {
            return Err(TokenError::OAuth(members.oauth_error(
                code,
                status,
                retry_after,
            )));
        }
        let excerpt = if encoding.is_none() {
            excerpt(body)
        } else {
            String::new()
        };
        return Err(TokenError::UnexpectedStatus {
            status,
            excerpt,
            retry_after,
        });
    }

    if let Some(encoding) = encoding {
        return Err(TokenError::UnsupportedContentEncoding { encoding });
    }
    if body.len() > options.max_body_len {
        return Err(TokenError::ResponseTooLarge {
            limit: options.max_body_len,
        });
    }
    if media_type(response) == MediaType::Other {
        return Err(invalid(InvalidResponseReason::UnexpectedMediaType));
    }
    let members =
        Members::parse(body).map_err(|()| invalid(InvalidResponseReason::NotJsonObject))?;
    if members.duplicate {
        return Err(invalid(InvalidResponseReason::DuplicateMember));
    }
    if let Some(code) = &members.error {
        let retry_after = retry_after_delay(response);
        return Err(TokenError::OAuth(members.oauth_error(
            code,
            status,
            retry_after,
        )));
    }
    members.into_token(options)
}

fn invalid(reason: InvalidResponseReason) -> TokenError {
    TokenError::InvalidResponse(reason)
}

fn is_retryable_status(status: u16) -> bool {
    status == 408 || status == 429 || (500..600).contains(&status)
}

fn write_retry_after(f: &mut fmt::Formatter<'_>, retry_after: Option<Duration>) -> fmt::Result {
    match retry_after {
        Some(delay) => write!(f, "; retry after {} s", delay.as_secs()),
        None => Ok(()),
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum MediaType {
    /// JSON or something that may well hold it (`text/plain`, no `Content-Type`).
    JsonLike,
    Other,
}

/// Classifies the first `Content-Type` field by its type/subtype, ignoring parameters.
fn media_type(response: &HttpResponse<'_>) -> MediaType {
    let Some(value) = response.header("Content-Type") else {
        return MediaType::JsonLike;
    };
    let essence = value
        .split(|&b| b == b';')
        .next()
        .unwrap_or_default()
        .trim_ascii();
    if essence.is_empty() {
        return MediaType::JsonLike;
    }
    let Some(slash) = essence.iter().position(|&b| b == b'/') else {
        return MediaType::Other;
    };
    let (kind, subtype) = (
        essence.get(..slash).unwrap_or_default(),
        essence.get(slash + 1..).unwrap_or_default(),
    );
    let json_like = if kind.eq_ignore_ascii_case(b"application") {
        subtype.eq_ignore_ascii_case(b"json")
            || (subtype.len() > 5
                && subtype
                    .get(subtype.len() - 5..)
                    .is_some_and(|suffix| suffix.eq_ignore_ascii_case(b"+json")))
    } else if kind.eq_ignore_ascii_case(b"text") {
        subtype.eq_ignore_ascii_case(b"plain") || subtype.eq_ignore_ascii_case(b"json")
    } else {
        false
    };
    if json_like {
        MediaType::JsonLike
    } else {
        MediaType::Other
    }
}

/// The first content coding other than `identity` in any `Content-Encoding` field,
/// sanitized.
fn unsupported_content_encoding(response: &HttpResponse<'_>) -> Option<String> {
    response
        .headers_named("Content-Encoding")
        .flat_map(|value| value.split(|&b| b == b','))
        .map(<[u8]>::trim_ascii)
        .find(|coding| !coding.is_empty() && !coding.eq_ignore_ascii_case(b"identity"))
        .map(|coding| sanitize(&String::from_utf8_lossy(coding), ENCODING_MAX_CHARS))
}

/// Removes control and bidirectional-formatting characters, collapses whitespace runs to
/// one space, trims, and cuts to `max_chars` characters (plus `…` when cut).
pub(crate) fn sanitize(text: &str, max_chars: usize) -> String {
    let mut out = String::new();
    let mut chars = 0;
    let mut pending_space = false;
    for c in text.chars() {
        if c.is_whitespace() || c.is_control() {
            pending_space = !out.is_empty();
            continue;
        }
        if is_bidi_control(c) {
            continue;
        }
        let needed = usize::from(pending_space) + 1;
        if chars + needed > max_chars {
            out.push('…');
            return out;
        }
        if pending_space {
            out.push(' ');
            pending_space = false;
        }
        out.push(c);
        chars += needed;
    }
    out
}

pub(crate) fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Words that start an echoed credential; an excerpt is cut before the first one.
const CREDENTIAL_MARKERS: [&str; 5] = [
    "client_secret",
    "access_token",
    "refresh_token",
    "authorization",
    "password",
];

/// A short sanitized excerpt of an error body, cut before anything that looks like an
/// echoed credential.
pub(crate) fn excerpt(body: &[u8]) -> String {
    let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
    // Four bytes per character is enough input for EXCERPT_MAX_CHARS characters.
    let head = body.get(..EXCERPT_MAX_CHARS * 4).unwrap_or(body);
    let mut text = sanitize(&String::from_utf8_lossy(head), EXCERPT_MAX_CHARS);
    let lower = text.to_ascii_lowercase();
    if let Some(cut) = CREDENTIAL_MARKERS
        .iter()
        .filter_map(|marker| lower.find(marker))
        .min()
    {
        text.truncate(cut);
        text.push_str("[redacted]");
    }
    text
}

/// The members of a token endpoint body this parser reads, each already checked for type.
#[derive(Default)]
struct Members {
    access_token: Option<Result<AccessToken, InvalidResponseReason>>,
    token_type: Option<TokenTypeMember>,
    expires_in: Option<Value>,
    scope: Option<Value>,
    /// A non-empty string `error` member.
    error: Option<String>,
    error_description: Option<Value>,
    error_uri: Option<Value>,
    duplicate: bool,
}

impl Members {
    /// One JSON object (after an optional UTF-8 BOM), nothing after it but whitespace.
    fn parse(body: &[u8]) -> Result<Members, ()> {
        let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
        let mut deserializer = serde_json::Deserializer::from_slice(body);
        let members = MembersObject::deserialize(&mut deserializer).map_err(|_| ())?;
        deserializer.end().map_err(|_| ())?;
        members.0.ok_or(())
    }

    fn oauth_error(&self, code: &str, status: u16, retry_after: Option<Duration>) -> OAuthError {
        let text = |value: &Option<Value>, max_chars| match value {
            Some(Value::Str(s)) => Some(sanitize(s, max_chars)).filter(|s| !s.is_empty()),
            _ => None,
        };
        OAuthError {
            code: OAuthErrorCode::from_wire(code),
            description: text(&self.error_description, DESCRIPTION_MAX_CHARS),
            uri: text(&self.error_uri, URI_MAX_CHARS),
            status,
            retry_after,
        }
    }

    fn into_token(self, options: &TokenResponseOptions) -> Result<TokenResponse, TokenError> {
        let access_token = self
            .access_token
            .ok_or(invalid(InvalidResponseReason::MissingAccessToken))?
            .map_err(invalid)?;
        let token_type_missing = match self.token_type {
            None | Some(TokenTypeMember::Missing) => true,
            Some(TokenTypeMember::Bearer) => false,
            Some(TokenTypeMember::Unsupported(token_type)) => {
                return Err(TokenError::UnsupportedTokenType { token_type });
            }
            Some(TokenTypeMember::NotString) => {
                return Err(invalid(InvalidResponseReason::InvalidTokenType));
            }
        };
        let expires_in = match self.expires_in {
            None | Some(Value::Null) => None,
            Some(value) => Some(expires_in(&value)?.min(options.max_lifetime)),
        };
        let scope = match self.scope {
            Some(Value::Str(s)) => Some(s),
            Some(Value::Strings(list)) => Some(list.join(" ")),
            _ => None,
        };
        let granted_scopes = scope
            .as_deref()
            .and_then(|s| Scopes::parse_space_separated(s).ok())
            .filter(|scopes| !scopes.is_empty());
        Ok(TokenResponse {
            access_token,
            token_type_missing,
            expires_in,
            lifetime: expires_in.unwrap_or(options.default_lifetime),
            scope,
            granted_scopes,
        })
    }
}

/// Whole seconds in an `expires_in` value, rounded down, saturating.
fn expires_in(value: &Value) -> Result<Duration, TokenError> {
    let secs = match value {
        Value::Unsigned(secs) => *secs,
        Value::Negative => return Err(invalid(InvalidResponseReason::NegativeExpiresIn)),
        Value::Float(f) if *f < 0.0 => {
            return Err(invalid(InvalidResponseReason::NegativeExpiresIn));
        }
        // Float-to-int `as` rounds toward zero and saturates, which is what we want.
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        Value::Float(f) => *f as u64,
        Value::Str(s) => decimal_floor(s)?,
        _ => return Err(invalid(InvalidResponseReason::InvalidExpiresIn)),
    };
    Ok(Duration::from_secs(secs))
}

/// Rounds a decimal number in JSON number syntax (leading zeros also allowed, as this is a
/// string) down to a whole number, exactly and saturating: `"1800"`, `"1800.9"`,
/// `"1.8E3"`, `"18e-1"`.
fn decimal_floor(text: &str) -> Result<u64, TokenError> {
    let bad = || invalid(InvalidResponseReason::InvalidExpiresIn);
    let (negative, rest) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (mantissa, exponent) = match rest.find(['e', 'E']) {
        Some(at) => (
            rest.get(..at).unwrap_or_default(),
            rest.get(at + 1..).unwrap_or_default(),
        ),
        None => (rest, ""),
    };
    let (integer, fraction) = match mantissa.split_once('.') {
        Some((integer, fraction)) if !fraction.is_empty() => (integer, fraction),
        Some(_) => return Err(bad()),
        None => (mantissa, ""),
    };
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if integer.is_empty() || !all_digits(integer) || !all_digits(fraction) {
        return Err(bad());
    }
    let exponent: i64 = if rest.len() == mantissa.len() {
        0
    } else {
        let digits = exponent.strip_prefix(['+', '-']).unwrap_or(exponent);
        if digits.is_empty() || !all_digits(digits) {
            return Err(bad());
        }
        // Saturate absurd exponents; a few thousand is already far past any u64.
        let magnitude = digits
            .bytes()
            .fold(0i64, |acc, b| (acc * 10 + i64::from(b - b'0')).min(100_000));
        if exponent.starts_with('-') {
            -magnitude
        } else {
            magnitude
        }
    };
    let digits = integer.bytes().chain(fraction.bytes());
    let all_zero = integer.bytes().chain(fraction.bytes()).all(|b| b == b'0');
    if negative && !all_zero {
        return Err(invalid(InvalidResponseReason::NegativeExpiresIn));
    }
    // The number is 0.DIGITS × 10^point, with DIGITS = integer ++ fraction.
    let point = i64::try_from(integer.len())
        .unwrap_or(i64::MAX)
        .saturating_add(exponent);
    let mut value: u64 = 0;
    for (position, b) in (0i64..).zip(digits.chain(core::iter::repeat(b'0'))) {
        if position >= point {
            break;
        }
        value = value.saturating_mul(10).saturating_add(u64::from(b - b'0'));
        if value == u64::MAX {
            break;
        }
    }
    Ok(value)
}

/// A member value, with only the distinctions the parser needs.
#[derive(Debug, PartialEq)]
enum Value {
    Str(String),
    Unsigned(u64),
    Negative,
    Float(f64),
    Null,
    /// An array of strings.
    Strings(Vec<String>),
    /// A boolean, an object, or an array holding something other than strings.
    Other,
}

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ValueVisitor)
    }
}

struct ValueVisitor;

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Value, E> {
        Ok(Value::Other)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Unsigned(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Value, E> {
        Ok(u64::try_from(v).map_or(Value::Negative, Value::Unsigned))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        Ok(Value::Float(v))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Value, E> {
        Ok(Value::Str(String::from(v)))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Value, E> {
        Ok(Value::Str(v))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut strings = Some(Vec::new());
        while let Some(element) = seq.next_element::<Value>()? {
            match (element, &mut strings) {
                (Value::Str(s), Some(list)) => list.push(s),
                _ => strings = None,
            }
        }
        Ok(strings.map_or(Value::Other, Value::Strings))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Value::Other)
    }
}

/// The names of the members the parser reads.
enum Key {
    AccessToken,
    TokenType,
    ExpiresIn,
    Scope,
    Error,
    ErrorDescription,
    ErrorUri,
    Unknown,
}

impl<'de> Deserialize<'de> for Key {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl Visitor<'_> for KeyVisitor {
            type Value = Key;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a member name")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Key, E> {
                Ok(match v {
                    "access_token" => Key::AccessToken,
                    "token_type" => Key::TokenType,
                    "expires_in" => Key::ExpiresIn,
                    "scope" => Key::Scope,
                    "error" => Key::Error,
                    "error_description" => Key::ErrorDescription,
                    "error_uri" => Key::ErrorUri,
                    _ => Key::Unknown,
                })
            }
        }
        deserializer.deserialize_identifier(KeyVisitor)
    }
}

/// The `token_type` member, classified as it is read so that the usual `"Bearer"` is never
/// copied (one allocation less per token answer).
enum TokenTypeMember {
    /// `bearer` in any case.
    Bearer,
    /// `null` or the empty string: taken as Bearer, flagged as missing.
    Missing,
    /// Any other type, sanitized for the error that reports it.
    Unsupported(String),
    /// Not a string.
    NotString,
}

impl<'de> Deserialize<'de> for TokenTypeMember {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct TokenTypeVisitor;
        impl<'de> Visitor<'de> for TokenTypeVisitor {
            type Value = TokenTypeMember;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a token type")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<TokenTypeMember, E> {
                Ok(if v.is_empty() {
                    TokenTypeMember::Missing
                } else if v.eq_ignore_ascii_case("bearer") {
                    TokenTypeMember::Bearer
                } else {
                    TokenTypeMember::Unsupported(sanitize(v, TOKEN_TYPE_MAX_CHARS))
                })
            }
            fn visit_unit<E: de::Error>(self) -> Result<TokenTypeMember, E> {
                Ok(TokenTypeMember::Missing)
            }
            fn visit_none<E: de::Error>(self) -> Result<TokenTypeMember, E> {
                Ok(TokenTypeMember::Missing)
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<TokenTypeMember, E> {
                Ok(TokenTypeMember::NotString)
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<TokenTypeMember, E> {
                Ok(TokenTypeMember::NotString)
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<TokenTypeMember, E> {
                Ok(TokenTypeMember::NotString)
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<TokenTypeMember, E> {
                Ok(TokenTypeMember::NotString)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<TokenTypeMember, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(TokenTypeMember::NotString)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<TokenTypeMember, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(TokenTypeMember::NotString)
            }
        }
        deserializer.deserialize_any(TokenTypeVisitor)
    }
}

/// The `access_token` member, moved into a zeroizing [`AccessToken`] as soon as it is read.
struct TokenMember(Result<AccessToken, InvalidResponseReason>);

impl<'de> Deserialize<'de> for TokenMember {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct TokenVisitor;
        impl<'de> Visitor<'de> for TokenVisitor {
            type Value = TokenMember;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an access token")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<TokenMember, E> {
                Ok(TokenMember(access_token(Cow::Borrowed(v))))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<TokenMember, E> {
                Ok(TokenMember(access_token(Cow::Owned(v))))
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<TokenMember, E> {
                Ok(TokenMember(Err(InvalidResponseReason::InvalidAccessToken)))
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<TokenMember, E> {
                Ok(TokenMember(Err(InvalidResponseReason::InvalidAccessToken)))
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<TokenMember, E> {
                Ok(TokenMember(Err(InvalidResponseReason::InvalidAccessToken)))
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<TokenMember, E> {
                Ok(TokenMember(Err(InvalidResponseReason::InvalidAccessToken)))
            }
            fn visit_unit<E: de::Error>(self) -> Result<TokenMember, E> {
                Ok(TokenMember(Err(InvalidResponseReason::InvalidAccessToken)))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<TokenMember, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(TokenMember(Err(InvalidResponseReason::InvalidAccessToken)))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<TokenMember, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(TokenMember(Err(InvalidResponseReason::InvalidAccessToken)))
            }
        }
        deserializer.deserialize_any(TokenVisitor)
    }
}

/// Checks a token for `1*%x21-7E` and moves it into an [`AccessToken`].
fn access_token(value: Cow<'_, str>) -> Result<AccessToken, InvalidResponseReason> {
    // A fold rather than `all`: without the early exit the check vectorizes (long tokens).
    if value.is_empty()
        || !value
            .bytes()
            .fold(true, |ok, b| ok & (0x21..=0x7E).contains(&b))
    {
        if let Cow::Owned(owned) = value {
            // Zeroize the rejected value too: it may still be a credential.
            drop(AccessToken::new(owned));
        }
        return Err(InvalidResponseReason::InvalidAccessToken);
    }
    Ok(AccessToken::new(value.into_owned()))
}

/// The whole body: `Some` for a JSON object, `None` for any other JSON value.
///
/// Like every visitor in this module it accepts every JSON type, so that serde_json never
/// builds an "invalid type" error: formatting one (float printing, `Debug` escaping) is a
/// good part of the code size of a JSON parser on a microcontroller.
struct MembersObject(Option<Members>);

impl<'de> Deserialize<'de> for MembersObject {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct MembersVisitor;
        impl<'de> Visitor<'de> for MembersVisitor {
            type Value = MembersObject;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<MembersObject, E> {
                Ok(MembersObject(None))
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<MembersObject, E> {
                Ok(MembersObject(None))
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<MembersObject, E> {
                Ok(MembersObject(None))
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<MembersObject, E> {
                Ok(MembersObject(None))
            }
            fn visit_str<E: de::Error>(self, _: &str) -> Result<MembersObject, E> {
                Ok(MembersObject(None))
            }
            fn visit_unit<E: de::Error>(self) -> Result<MembersObject, E> {
                Ok(MembersObject(None))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, _: A) -> Result<MembersObject, A::Error> {
                Ok(MembersObject(None))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<MembersObject, A::Error> {
                let mut members = Members::default();
                let mut error: Option<Value> = None;
                while let Some(key) = map.next_key::<Key>()? {
                    let seen = match key {
                        Key::AccessToken => {
                            let token = map.next_value::<TokenMember>()?.0;
                            members.access_token.replace(token).is_some()
                        }
                        Key::TokenType => members.token_type.replace(map.next_value()?).is_some(),
                        Key::ExpiresIn => members.expires_in.replace(map.next_value()?).is_some(),
                        Key::Scope => members.scope.replace(map.next_value()?).is_some(),
                        Key::Error => error.replace(map.next_value()?).is_some(),
                        Key::ErrorDescription => members
                            .error_description
                            .replace(map.next_value()?)
                            .is_some(),
                        Key::ErrorUri => members.error_uri.replace(map.next_value()?).is_some(),
                        Key::Unknown => {
                            map.next_value::<IgnoredAny>()?;
                            false
                        }
                    };
                    members.duplicate |= seen;
                }
                members.error = match error {
                    Some(Value::Str(code)) if !code.is_empty() => Some(code),
                    _ => None,
                };
                Ok(MembersObject(Some(members)))
            }
        }
        deserializer.deserialize_any(MembersVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::response::Header;
    use crate::time::UnixTime;
    use alloc::string::ToString;
    use alloc::{format, vec};
    use proptest::prelude::*;

    const JSON: &[u8] = b"application/json";

    fn options() -> TokenResponseOptions {
        TokenResponseOptions::default()
    }

    fn parse(
        status: u16,
        headers: &[Header<'_>],
        body: &[u8],
    ) -> Result<TokenResponse, TokenError> {
        parse_token_response(&HttpResponse::new(status, headers, body), &options())
    }

    fn json(body: &str) -> Result<TokenResponse, TokenError> {
        parse(
            200,
            &[Header {
                name: "Content-Type",
                value: JSON,
            }],
            body.as_bytes(),
        )
    }

    fn secs(s: u64) -> Duration {
        Duration::from_secs(s)
    }

    /// A shared case's status, header fields and body; a chunked body is de-chunked here by
    /// hand (the codec has its own tests for that).
    fn case(raw: &'static [u8]) -> (u16, Vec<Header<'static>>, Vec<u8>) {
        let mut headers = [httparse::EMPTY_HEADER; 16];
        let mut response = httparse::Response::new(&mut headers);
        let Ok(httparse::Status::Complete(head_len)) = response.parse(raw) else {
            panic!("case head does not parse");
        };
        let status = response.code.unwrap_or_default();
        let headers: Vec<Header<'static>> = response.headers.to_vec();
        let rest = raw.get(head_len..).unwrap_or_default();
        let chunked = headers.iter().any(|h| {
            h.name.eq_ignore_ascii_case("Transfer-Encoding")
                && h.value.eq_ignore_ascii_case(b"chunked")
        });
        let body = if chunked {
            dechunk(rest)
        } else {
            let length = headers
                .iter()
                .find(|h| h.name.eq_ignore_ascii_case("Content-Length"))
                .and_then(|h| core::str::from_utf8(h.value).ok()?.parse::<usize>().ok());
            assert_eq!(
                length,
                Some(rest.len()),
                "Content-Length matches the case body"
            );
            rest.to_vec()
        };
        (status, headers, body)
    }

    /// Concatenated chunk data of a chunked body without extensions or trailers.
    fn dechunk(mut rest: &[u8]) -> Vec<u8> {
        let mut body = Vec::new();
        loop {
            let line_end = rest
                .windows(2)
                .position(|w| w == b"\r\n")
                .expect("chunk-size line");
            let size_text = core::str::from_utf8(&rest[..line_end]).expect("ASCII size");
            let size = usize::from_str_radix(size_text, 16).expect("hex size");
            rest = &rest[line_end + 2..];
            if size == 0 {
                assert_eq!(rest, b"\r\n", "no trailers");
                return body;
            }
            body.extend_from_slice(&rest[..size]);
            assert_eq!(&rest[size..size + 2], b"\r\n");
            rest = &rest[size + 2..];
        }
    }

    fn parse_case(raw: &'static [u8]) -> Result<TokenResponse, TokenError> {
        let (status, headers, body) = case(raw);
        parse(status, &headers, &body)
    }

    /// (access token, token_type missing, expires_in, lifetime, scope)
    type Expected<'a> = (&'a str, bool, Option<u64>, u64, Option<&'a str>);

    fn assert_token(result: Result<TokenResponse, TokenError>, expected: Expected<'_>, what: &str) {
        let token = match result {
            Ok(token) => token,
            Err(error) => panic!("{what}: {error}"),
        };
        let (access_token, missing, expires_in, lifetime, scope) = expected;
        assert_eq!(token.access_token().secret(), access_token, "{what}");
        assert_eq!(token.token_type_missing(), missing, "{what}");
        assert_eq!(token.expires_in(), expires_in.map(secs), "{what}");
        assert_eq!(token.lifetime(), secs(lifetime), "{what}");
        assert_eq!(token.scope(), scope, "{what}");
    }

    #[test]
    fn shared_token_cases() {
        #[rustfmt::skip]
        let cases: &[(&str, &'static [u8], Expected<'_>)] = &[
            // B01: expires_in as a digit string.
            ("B01", include_bytes!("../tests/data/B01.http"), ("AT-demo-0001", false, Some(1800), 1800, None)),
            // B03: no expires_in → default lifetime, expires_in reported absent.
            ("B03", include_bytes!("../tests/data/B03.http"), ("AT-demo-0003", false, None, 1800, None)),
            ("B05", include_bytes!("../tests/data/B05.http"), ("AT-demo-0005", false, Some(1800), 1800, None)),
            // B07: unknown members (numbers, nested objects and arrays) ignored.
            ("B07", include_bytes!("../tests/data/B07.http"), ("AT-demo-0007", false, Some(1800), 1800, None)),
            ("B08", include_bytes!("../tests/data/B08.http"), ("AT-demo-0008", false, Some(1800), 1800, Some("leaves.readwrite"))),
            // B21: chunked; the body is the 71 bytes of concatenated chunk data.
            ("B21", include_bytes!("../tests/data/B21.http"), ("AT-demo-0021", false, Some(1800), 1800, None)),
            ("B24", include_bytes!("../tests/data/B24.http"), ("AT-demo-0024", false, Some(1800), 1800, None)),
        ];
        for &(name, raw, expected) in cases {
            assert_token(parse_case(raw), expected, name);
        }
    }

    #[test]
    fn b05_lower_case_bearer_is_sent_as_bearer() {
        // token_type "bearer" (any case) is the Bearer scheme, always written `Bearer`.
        let token = parse_case(include_bytes!("../tests/data/B05.http")).expect("B05 token");
        let header = crate::api::BearerAuthorization::new(token.access_token()).expect("header");
        assert_eq!(
            alloc::format!("Authorization: {}", header.secret()),
            "Authorization: Bearer AT-demo-0005"
        );
        let mut buf = [0u8; 64];
        let len =
            crate::api::write_bearer_authorization(token.access_token(), &mut buf).expect("fits");
        assert_eq!(&buf[..len], b"Bearer AT-demo-0005");
    }

    #[test]
    fn b21_chunked_body_is_the_concatenated_chunk_data() {
        let (status, _, body) = case(include_bytes!("../tests/data/B21.http"));
        assert_eq!(status, 200);
        assert_eq!(body.len(), 71);
        assert_eq!(
            body,
            br#"{"token_type":"bearer","access_token":"AT-demo-0021","expires_in":1800}"#
        );
    }

    #[test]
    fn b08_granted_scopes_differ_from_requested() {
        let token = parse_case(include_bytes!("../tests/data/B08.http")).expect("B08 token");
        let requested = Scopes::parse_space_separated("leaves.readwrite leave-requests.readonly")
            .expect("scopes");
        assert_eq!(
            token
                .granted_scopes
                .as_ref()
                .map(Scopes::to_space_separated)
                .as_deref(),
            Some("leaves.readwrite")
        );
        assert!(token.granted_differs(&requested));
        assert_eq!(
            token.not_granted(&requested).to_space_separated(),
            "leave-requests.readonly"
        );
        assert_eq!(
            token.effective_scopes(&requested).to_space_separated(),
            "leaves.readwrite"
        );
    }

    #[test]
    fn b24_token_is_bearer_with_1800_s_lifetime() {
        let token = parse_case(include_bytes!("../tests/data/B24.http")).expect("B24 token");
        assert_eq!(token.lifetime(), secs(1800));
        assert!(!token.token_type_missing());
    }

    #[test]
    fn b11_invalid_scope_in_text_plain_body() {
        let error = parse_case(include_bytes!("../tests/data/B11.http")).expect_err("an error");
        assert_eq!(
            error,
            TokenError::OAuth(OAuthError {
                code: OAuthErrorCode::InvalidScope,
                description: Some("unknown scope requested".into()),
                uri: None,
                status: 400,
                retry_after: None,
            })
        );
        assert_eq!(error.status(), Some(400));
        assert!(!error.is_retryable());
        assert!(error.is_fatal_for_client());
    }

    #[test]
    fn b12_proxy_html_labelled_json_is_a_transient_unexpected_status() {
        let error = parse_case(include_bytes!("../tests/data/B12.http")).expect_err("an error");
        let excerpt = concat!(
            "<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body>",
            "<h1>Bad Gateway</h1><p>The upstream identity servi…",
        );
        assert_eq!(excerpt.chars().count(), EXCERPT_MAX_CHARS + 1);
        assert_eq!(
            error,
            TokenError::UnexpectedStatus {
                status: 502,
                excerpt: excerpt.into(),
                retry_after: None
            }
        );
        assert_eq!(error.status(), Some(502));
        assert!(error.is_retryable());
        assert!(!error.is_fatal_for_client());
        let text = error.to_string();
        assert!(!text.to_ascii_lowercase().contains("json"), "{text}");
        assert!(!text.contains("line") && !text.contains("column"), "{text}");
    }

    #[test]
    fn b14_invalid_client_401_is_fatal() {
        let error = parse_case(include_bytes!("../tests/data/B14.http")).expect_err("an error");
        assert_eq!(
            error,
            TokenError::OAuth(OAuthError {
                code: OAuthErrorCode::InvalidClient,
                description: None,
                uri: None,
                status: 401,
                retry_after: None,
            })
        );
        assert!(!error.is_retryable());
        assert!(error.is_fatal_for_client());
    }

    #[test]
    fn b15_rate_limited_with_retry_after_seconds() {
        let error = parse_case(include_bytes!("../tests/data/B15.http")).expect_err("an error");
        assert_eq!(
            error,
            TokenError::UnexpectedStatus {
                status: 429,
                excerpt: String::new(),
                retry_after: Some(secs(30))
            }
        );
        assert!(error.is_rate_limited());
        assert!(error.is_retryable());
        assert!(!error.is_fatal_for_client());
        assert_eq!(error.retry_after(), Some(secs(30)));
    }

    #[test]
    fn token_siblings() {
        #[rustfmt::skip]
        let cases: &[(&str, Expected<'_>)] = &[
            // expires_in forms, rounded down.
            (r#"{"access_token":"a","token_type":"bearer","expires_in":1800}"#, ("a", false, Some(1800), 1800, None)),
            (r#"{"access_token":"a","token_type":"bearer","expires_in":1800.9}"#, ("a", false, Some(1800), 1800, None)),
            (r#"{"access_token":"a","token_type":"bearer","expires_in":1.8e3}"#, ("a", false, Some(1800), 1800, None)),
            (r#"{"access_token":"a","token_type":"bearer","expires_in":1.8E+3}"#, ("a", false, Some(1800), 1800, None)),
            (r#"{"access_token":"a","token_type":"bearer","expires_in":"1.8E3"}"#, ("a", false, Some(1800), 1800, None)),
            (r#"{"access_token":"a","token_type":"bearer","expires_in":"1800.9"}"#, ("a", false, Some(1800), 1800, None)),
            (r#"{"access_token":"a","token_type":"bearer","expires_in":"0"}"#, ("a", false, Some(0), 0, None)),
            (r#"{"access_token":"a","token_type":"bearer","expires_in":0}"#, ("a", false, Some(0), 0, None)),
            (r#"{"access_token":"a","token_type":"bearer","expires_in":0.5}"#, ("a", false, Some(0), 0, None)),
            (r#"{"access_token":"a","token_type":"bearer","expires_in":-0}"#, ("a", false, Some(0), 0, None)),
            (r#"{"access_token":"a","token_type":"bearer","expires_in":null}"#, ("a", false, None, 1800, None)),
            // Over a year: clamped to 365 days.
            (r#"{"access_token":"a","token_type":"bearer","expires_in":31536001}"#, ("a", false, Some(31_536_000), 31_536_000, None)),
            (r#"{"access_token":"a","token_type":"bearer","expires_in":18446744073709551616}"#, ("a", false, Some(31_536_000), 31_536_000, None)),
            (r#"{"access_token":"a","token_type":"bearer","expires_in":"1e999999"}"#, ("a", false, Some(31_536_000), 31_536_000, None)),
            (r#"{"access_token":"a","token_type":"bearer","expires_in":31536000}"#, ("a", false, Some(31_536_000), 31_536_000, None)),
            // token_type in any case; missing, null or empty → Bearer, flagged.
            (r#"{"access_token":"a","token_type":"Bearer"}"#, ("a", false, None, 1800, None)),
            (r#"{"access_token":"a","token_type":"BEARER"}"#, ("a", false, None, 1800, None)),
            (r#"{"access_token":"a"}"#, ("a", true, None, 1800, None)),
            (r#"{"access_token":"a","token_type":null}"#, ("a", true, None, 1800, None)),
            (r#"{"access_token":"a","token_type":""}"#, ("a", true, None, 1800, None)),
            // scope as sent; an array of strings is joined.
            (r#"{"access_token":"a","scope":"x y"}"#, ("a", true, None, 1800, Some("x y"))),
            (r#"{"access_token":"a","scope":["x","y"]}"#, ("a", true, None, 1800, Some("x y"))),
            (r#"{"access_token":"a","scope":7}"#, ("a", true, None, 1800, None)),
            // An empty `error` is no error; unknown members of any type are ignored.
            (r#"{"access_token":"a","error":"","x":{"access_token":1},"y":[{}],"z":true}"#, ("a", true, None, 1800, None)),
            // Token characters: visible ASCII, JSON escapes decoded.
            (r#"{"access_token":"eyJ.a-b_c~d+e/f==","token_type":"bearer"}"#, ("eyJ.a-b_c~d+e/f==", false, None, 1800, None)),
            (r#"{"access_token":"a\/b","token_type":"bearer"}"#, ("a/b", false, None, 1800, None)),
            // Whitespace around the object.
            ("\r\n { \"access_token\" : \"a\" } \n", ("a", true, None, 1800, None)),
        ];
        for &(body, expected) in cases {
            assert_token(json(body), expected, body);
        }
    }

    #[test]
    fn granted_scopes_are_lenient() {
        #[rustfmt::skip]
        let cases: &[(&str, Option<&str>)] = &[
            (r#"{"access_token":"a"}"#, None),
            (r#"{"access_token":"a","scope":"b a b"}"#, Some("b a")),
            (r#"{"access_token":"a","scope":["x","y"]}"#, Some("x y")),
            (r#"{"access_token":"a","scope":""}"#, None),
            (r#"{"access_token":"a","scope":"   "}"#, None),
            (r#"{"access_token":"a","scope":"ok bad\"quote"}"#, None),
            (r#"{"access_token":"a","scope":"caf\u00e9"}"#, None),
        ];
        for &(body, expected) in cases {
            let token = json(body).expect(body);
            assert_eq!(
                token
                    .granted_scopes
                    .as_ref()
                    .map(Scopes::to_space_separated)
                    .as_deref(),
                expected,
                "{body}"
            );
        }
        let long = format!(r#"{{"access_token":"a","scope":"{}"}}"#, "s".repeat(4001));
        let token = json(&long).expect("token despite a too-long scope");
        assert_eq!(token.granted_scopes(), None);
        assert_eq!(token.scope().map(str::len), Some(4001));

        let requested = Scopes::parse_space_separated("a b").expect("scopes");
        let token = json(r#"{"access_token":"a"}"#).expect("token");
        assert!(!token.granted_differs(&requested));
        assert!(token.not_granted(&requested).is_empty());
        assert_eq!(token.effective_scopes(&requested), &requested);
        let token = json(r#"{"access_token":"a","scope":"b a x"}"#).expect("token");
        assert!(token.granted_differs(&requested));
        assert!(token.not_granted(&requested).is_empty());
    }

    #[test]
    fn media_types_and_bom() {
        let body = br#"{"access_token":"a","token_type":"bearer","expires_in":60}"#;
        let accepted: &[Option<&[u8]>] = &[
            Some(b"application/json"),
            Some(b"application/json; charset=UTF-8"),
            Some(b"application/json;charset=utf-8"),
            Some(b"APPLICATION/JSON"),
            Some(b"Application/Json ; Charset=\"utf-8\""),
            Some(b"application/vnd.lucca+json"),
            Some(b"application/jwt+JSON; v=1"),
            Some(b"text/plain; charset=utf-8"),
            Some(b"TEXT/PLAIN"),
            Some(b"text/json"),
            Some(b""),
            None,
        ];
        for content_type in accepted {
            let headers: Vec<Header<'_>> = content_type
                .iter()
                .map(|&value| Header {
                    name: "content-type",
                    value,
                })
                .collect();
            assert_token(
                parse(200, &headers, body),
                ("a", false, Some(60), 60, None),
                &format!("{content_type:?}"),
            );
            let with_bom = [b"\xEF\xBB\xBF".as_slice(), body].concat();
            assert_token(
                parse(200, &headers, &with_bom),
                ("a", false, Some(60), 60, None),
                "BOM",
            );
        }
        let refused: &[&[u8]] = &[
            b"text/html",
            b"text/html; charset=utf-8",
            b"application/x-www-form-urlencoded",
            b"application/octet-stream",
            b"application/json5",
            b"application/+json",
            b"json",
            b"application",
        ];
        for &value in refused {
            let headers = [Header {
                name: "Content-Type",
                value,
            }];
            assert_eq!(
                parse(200, &headers, body).expect_err("an error"),
                TokenError::InvalidResponse(InvalidResponseReason::UnexpectedMediaType),
                "{value:?}"
            );
        }
    }

    #[test]
    fn invalid_2xx_answers() {
        use InvalidResponseReason as R;
        #[rustfmt::skip]
        let cases: &[(&[u8], TokenError)] = &[
            (b"", invalid(R::NotJsonObject)),
            (b"   ", invalid(R::NotJsonObject)),
            (b"\xEF\xBB\xBF", invalid(R::NotJsonObject)),
            (b"<html>secret-ish</html>", invalid(R::NotJsonObject)),
            (br#"{"access_token":"a""#, invalid(R::NotJsonObject)),
            (br#"{"access_token":"a"} x"#, invalid(R::NotJsonObject)),
            (br#"{"access_token":"a"}{}"#, invalid(R::NotJsonObject)),
            (br#"["access_token"]"#, invalid(R::NotJsonObject)),
            (br#""access_token""#, invalid(R::NotJsonObject)),
            (b"null", invalid(R::NotJsonObject)),
            (b"{\"access_token\":\"\xff\"}", invalid(R::NotJsonObject)),
            (br#"{"access_token":"a","expires_in":1e400}"#, invalid(R::NotJsonObject)),
            (br#"{"access_token":"a","access_token":"b"}"#, invalid(R::DuplicateMember)),
            (br#"{"access_token":"a","expires_in":1,"expires_in":2}"#, invalid(R::DuplicateMember)),
            (br#"{}"#, invalid(R::MissingAccessToken)),
            (br#"{"token_type":"bearer","expires_in":1800}"#, invalid(R::MissingAccessToken)),
            (br#"{"access_token":""}"#, invalid(R::InvalidAccessToken)),
            (br#"{"access_token":null}"#, invalid(R::InvalidAccessToken)),
            (br#"{"access_token":42}"#, invalid(R::InvalidAccessToken)),
            (br#"{"access_token":true}"#, invalid(R::InvalidAccessToken)),
            (br#"{"access_token":["a"]}"#, invalid(R::InvalidAccessToken)),
            (br#"{"access_token":{"v":"a"}}"#, invalid(R::InvalidAccessToken)),
            (br#"{"access_token":"a b"}"#, invalid(R::InvalidAccessToken)),
            (br#"{"access_token":"a\r\nX-Injected: 1"}"#, invalid(R::InvalidAccessToken)),
            (br#"{"access_token":"caf\u00e9"}"#, invalid(R::InvalidAccessToken)),
            (br#"{"access_token":"a","token_type":1}"#, invalid(R::InvalidTokenType)),
            (br#"{"access_token":"a","token_type":["bearer"]}"#, invalid(R::InvalidTokenType)),
            (br#"{"access_token":"a","expires_in":-1}"#, invalid(R::NegativeExpiresIn)),
            (br#"{"access_token":"a","expires_in":-0.5}"#, invalid(R::NegativeExpiresIn)),
            (br#"{"access_token":"a","expires_in":"-1800"}"#, invalid(R::NegativeExpiresIn)),
            (br#"{"access_token":"a","expires_in":"soon"}"#, invalid(R::InvalidExpiresIn)),
            (br#"{"access_token":"a","expires_in":""}"#, invalid(R::InvalidExpiresIn)),
            (br#"{"access_token":"a","expires_in":" 1800"}"#, invalid(R::InvalidExpiresIn)),
            (br#"{"access_token":"a","expires_in":true}"#, invalid(R::InvalidExpiresIn)),
            (br#"{"access_token":"a","expires_in":[1800]}"#, invalid(R::InvalidExpiresIn)),
            (br#"{"access_token":"a","expires_in":{}}"#, invalid(R::InvalidExpiresIn)),
            (br#"{"access_token":"a","token_type":"mac"}"#, TokenError::UnsupportedTokenType { token_type: "mac".into() }),
            (br#"{"access_token":"a","token_type":"DPoP"}"#, TokenError::UnsupportedTokenType { token_type: "DPoP".into() }),
            (br#"{"access_token":"a","token_type":"bearer\n "}"#, TokenError::UnsupportedTokenType { token_type: "bearer".into() }),
            (br#"{"access_token":"a","token_type":"N_A-very-long-token-type-name-beyond-limit"}"#, TokenError::UnsupportedTokenType { token_type: "N_A-very-long-token-type-name-be…".into() }),
        ];
        for (body, expected) in cases {
            let headers = [Header {
                name: "Content-Type",
                value: JSON,
            }];
            let error = parse(200, &headers, body).expect_err("an error");
            assert_eq!(&error, expected, "{:?}", String::from_utf8_lossy(body));
            assert_eq!(error.status(), None);
            assert!(!error.is_retryable());
        }
    }

    #[test]
    fn error_answers() {
        let oauth = |code: OAuthErrorCode,
                     status: u16,
                     description: Option<&str>,
                     retry_after: Option<u64>| {
            TokenError::OAuth(OAuthError {
                code,
                description: description.map(String::from),
                uri: None,
                status,
                retry_after: retry_after.map(secs),
            })
        };
        let unexpected =
            |status: u16, excerpt: &str, retry_after: Option<u64>| TokenError::UnexpectedStatus {
                status,
                excerpt: excerpt.into(),
                retry_after: retry_after.map(secs),
            };
        let html = b"text/html".as_slice();
        let text = b"text/plain".as_slice();
        #[rustfmt::skip]
        let cases: &[(u16, &[u8], &[u8], TokenError)] = &[
            // OAuth errors whatever the status — even 200, where `error` wins over a token.
            (200, JSON, br#"{"error":"invalid_client"}"#, oauth(OAuthErrorCode::InvalidClient, 200, None, None)),
            (200, JSON, br#"{"access_token":"a","error":"invalid_client"}"#, oauth(OAuthErrorCode::InvalidClient, 200, None, None)),
            (400, JSON, br#"{"error":"invalid_client","error_description":"bad secret"}"#, oauth(OAuthErrorCode::InvalidClient, 400, Some("bad secret"), None)),
            (401, JSON, br#"{"error":"invalid_client"}"#, oauth(OAuthErrorCode::InvalidClient, 401, None, None)),
            (400, JSON, br#"{"error":"INVALID_GRANT"}"#, oauth(OAuthErrorCode::InvalidGrant, 400, None, None)),
            (400, JSON, br#"{"error":"invalid_request"}"#, oauth(OAuthErrorCode::InvalidRequest, 400, None, None)),
            (400, JSON, br#"{"error":"unauthorized_client"}"#, oauth(OAuthErrorCode::UnauthorizedClient, 400, None, None)),
            (400, JSON, br#"{"error":"unsupported_grant_type"}"#, oauth(OAuthErrorCode::UnsupportedGrantType, 400, None, None)),
            (400, text, br#"{"error":"invalid_scope"}"#, oauth(OAuthErrorCode::InvalidScope, 400, None, None)),
            (503, JSON, br#"{"error":"temporarily_unavailable"}"#, oauth(OAuthErrorCode::TemporarilyUnavailable, 503, None, None)),
            (500, JSON, br#"{"error":"server_error","error_description":"line1\r\nline2\u0000\u202e"}"#, oauth(OAuthErrorCode::ServerError, 500, Some("line1 line2"), None)),
            (400, JSON, br#"{"error":"slow_down"}"#, oauth(OAuthErrorCode::Other("slow_down".into()), 400, None, None)),
            (400, JSON, "\u{feff}{\"error\":\"invalid_client\"}".as_bytes(), oauth(OAuthErrorCode::InvalidClient, 400, None, None)),
            (400, JSON, br#"{"error":"invalid_client","error_description":7}"#, oauth(OAuthErrorCode::InvalidClient, 400, None, None)),
            (400, JSON, br#"{"error":"invalid_client","error_description":"  "}"#, oauth(OAuthErrorCode::InvalidClient, 400, None, None)),
            // Not OAuth errors: classified by status with an excerpt.
            (503, html, b"<html><body>Service Unavailable</body></html>", unexpected(503, "<html><body>Service Unavailable</body></html>", None)),
            (500, JSON, b"", unexpected(500, "", None)),
            (400, JSON, br#"{"error":{"code":"x"}}"#, unexpected(400, r#"{"error":{"code":"x"}}"#, None)),
            (400, JSON, br#"{"error":""}"#, unexpected(400, r#"{"error":""}"#, None)),
            (400, JSON, br#"{"error":"a","error":"b"}"#, unexpected(400, r#"{"error":"a","error":"b"}"#, None)),
            (404, b"application/problem+json", br#"{"title":"Not Found","status":404}"#, unexpected(404, r#"{"title":"Not Found","status":404}"#, None)),
            // An OAuth-looking body in a non-JSON media type is not read as JSON.
            (400, html, br#"{"error":"invalid_client"}"#, unexpected(400, r#"{"error":"invalid_client"}"#, None)),
            (403, text, b"Forbidden\r\n\x1b[31mred\x1b[0m", unexpected(403, "Forbidden [31mred [0m", None)),
            (400, text, b"bad request: client_secret=hunter2", unexpected(400, "bad request: [redacted]", None)),
            (400, text, b"Authorization: Basic YTpi", unexpected(400, "[redacted]", None)),
            (502, text, b"\xff\xfebroken", unexpected(502, "\u{fffd}\u{fffd}broken", None)),
            (102, text, b"", unexpected(102, "", None)),
            (600, text, b"", unexpected(600, "", None)),
            // 3xx: never followed.
            (301, JSON, br#"{"access_token":"a"}"#, TokenError::Redirect { status: 301 }),
            (307, JSON, b"", TokenError::Redirect { status: 307 }),
        ];
        for (status, content_type, body, expected) in cases {
            let headers = [Header {
                name: "Content-Type",
                value: content_type,
            }];
            let error = parse(*status, &headers, body).expect_err("an error");
            assert_eq!(
                &error,
                expected,
                "{status} {:?}",
                String::from_utf8_lossy(body)
            );
            assert_eq!(error.status(), Some(*status));
        }
    }

    #[test]
    fn retry_after_on_error_answers() {
        const DATE: &[u8] = b"Tue, 03 Mar 2026 10:00:00 GMT";
        const LATER: &[u8] = b"Tue, 03 Mar 2026 10:02:00 GMT";
        let t0 = UnixTime::from_secs(1_772_532_000);
        // (status, Retry-After, Date, wall clock, body, expected delay)
        type Case<'a> = (
            u16,
            &'a [u8],
            Option<&'a [u8]>,
            Option<UnixTime>,
            &'a [u8],
            Option<u64>,
        );
        #[rustfmt::skip]
        let cases: &[Case<'_>] = &[
            (429, b"30", Some(DATE), None, b"", Some(30)),
            (429, LATER, Some(DATE), None, b"", Some(120)),
            (503, LATER, None, Some(t0), b"<html></html>", Some(120)),
            (503, LATER, None, Some(UnixTime::from_secs(1_772_532_100)), b"", Some(20)),
            (503, LATER, None, None, b"", None),
            (503, b"Tue, 03 Mar 2026 09:00:00 GMT", Some(DATE), None, b"", Some(0)),
            (503, b"999999", Some(DATE), None, b"", Some(86_400)),
            (503, b"30", Some(DATE), None, br#"{"error":"temporarily_unavailable"}"#, Some(30)),
        ];
        for &(status, retry_after, date, wall_clock, body, expected) in cases {
            let mut headers = vec![Header {
                name: "Retry-After",
                value: retry_after,
            }];
            if let Some(value) = date {
                headers.push(Header {
                    name: "Date",
                    value,
                });
            }
            let mut response = HttpResponse::new(status, &headers, body);
            if let Some(now) = wall_clock {
                response = response.with_wall_clock(now);
            }
            let error = parse_token_response(&response, &options()).expect_err("an error");
            assert_eq!(
                error.retry_after(),
                expected.map(secs),
                "{retry_after:?} {date:?}"
            );
            assert!(error.is_retryable());
        }
    }

    #[test]
    fn content_coding_and_size_limits() {
        let token = br#"{"access_token":"a","token_type":"bearer"}"#;
        #[rustfmt::skip]
        let cases: &[(u16, &[u8], Result<(), TokenError>)] = &[
            (200, b"identity", Ok(())),
            (200, b" Identity ", Ok(())),
            (200, b"", Ok(())),
            (200, b"gzip", Err(TokenError::UnsupportedContentEncoding { encoding: "gzip".into() })),
            (200, b"identity, br", Err(TokenError::UnsupportedContentEncoding { encoding: "br".into() })),
            (200, b"x-\x01evil", Err(TokenError::UnsupportedContentEncoding { encoding: "x- evil".into() })),
            // An encoded error body is not read, but the status still classifies it.
            (503, b"gzip", Err(TokenError::UnexpectedStatus { status: 503, excerpt: String::new(), retry_after: None })),
        ];
        for (status, coding, expected) in cases {
            let headers = [Header {
                name: "Content-Encoding",
                value: coding,
            }];
            let result = parse(*status, &headers, token).map(|_| ());
            assert_eq!(&result, expected, "{coding:?}");
        }

        let mut padded = token.to_vec();
        padded.resize(MAX_BODY_LEN, b' ');
        assert_token(
            parse(200, &[], &padded),
            ("a", false, None, 1800, None),
            "64 KiB exactly",
        );
        padded.push(b' ');
        assert_eq!(
            parse(200, &[], &padded).expect_err("an error"),
            TokenError::ResponseTooLarge { limit: 65_536 }
        );
        // An oversized error body is not parsed, only excerpted.
        let mut error_body = br#"{"error":"invalid_client"}"#.to_vec();
        error_body.resize(MAX_BODY_LEN + 1, b' ');
        assert_eq!(
            parse(401, &[], &error_body).expect_err("an error"),
            TokenError::UnexpectedStatus {
                status: 401,
                excerpt: r#"{"error":"invalid_client"}"#.into(),
                retry_after: None
            }
        );

        let mut small = options();
        small.max_body_len = 10;
        small.default_lifetime = secs(60);
        small.max_lifetime = secs(120);
        let response = HttpResponse::new(200, &[], token);
        assert_eq!(
            parse_token_response(&response, &small).expect_err("an error"),
            TokenError::ResponseTooLarge { limit: 10 }
        );
        small.max_body_len = 100;
        let token = parse_token_response(&response, &small).expect("token");
        assert_eq!(token.lifetime(), secs(60));
        let response = HttpResponse::new(200, &[], br#"{"access_token":"a","expires_in":3600}"#);
        let token = parse_token_response(&response, &small).expect("token");
        assert_eq!(
            (token.expires_in(), token.lifetime()),
            (Some(secs(120)), secs(120))
        );
    }

    #[test]
    fn decimal_floor_is_exact() {
        #[rustfmt::skip]
        let cases: &[(&str, Option<u64>)] = &[
            ("0", Some(0)),
            ("1800", Some(1800)),
            ("01800", Some(1800)),
            ("1800.9", Some(1800)),
            ("1800.999999999999999999999", Some(1800)),
            ("1.8e3", Some(1800)),
            ("1.8E3", Some(1800)),
            ("1.8E+3", Some(1800)),
            ("18000e-1", Some(1800)),
            ("18009e-1", Some(1800)),
            ("1e-5", Some(0)),
            ("0.99", Some(0)),
            ("-0", Some(0)),
            ("-0.0e5", Some(0)),
            ("18446744073709551615", Some(u64::MAX)),
            ("18446744073709551616", Some(u64::MAX)),
            ("1e20", Some(u64::MAX)),
            ("1e99999999999999999999", Some(u64::MAX)),
            ("1e-99999999999999999999", Some(0)),
            ("", None),
            ("-", None),
            (".5", None),
            ("5.", None),
            ("1e", None),
            ("1e+", None),
            ("1.2.3", None),
            ("+1", None),
            ("0x10", None),
            ("1_000", None),
            ("١٢", None),
            ("NaN", None),
            ("inf", None),
        ];
        for &(text, expected) in cases {
            assert_eq!(decimal_floor(text).ok(), expected, "{text:?}");
        }
        assert_eq!(
            decimal_floor("-1e-9"),
            Err(invalid(InvalidResponseReason::NegativeExpiresIn))
        );
    }

    #[test]
    fn sanitize_and_excerpt() {
        #[rustfmt::skip]
        let cases: &[(&str, usize, &str)] = &[
            ("plain", 10, "plain"),
            ("  a \r\n\t b  ", 10, "a b"),
            ("a\u{0}b\u{7f}c\u{85}d", 10, "a b c d"),
            ("a\u{202e}b\u{2066}c", 10, "abc"),
            ("abcdefghij", 10, "abcdefghij"),
            ("abcdefghijk", 10, "abcdefghij…"),
            ("ééééééééééé", 10, "éééééééééé…"),
            ("a b c d e f", 5, "a b c…"),
            ("", 5, ""),
        ];
        for &(text, max, expected) in cases {
            assert_eq!(sanitize(text, max), expected, "{text:?}");
        }
        assert_eq!(excerpt(b"ok"), "ok");
        assert_eq!(excerpt("\u{feff}ok".as_bytes()), "ok");
        assert_eq!(excerpt(b"x access_token=abc"), "x [redacted]");
        assert_eq!(excerpt(b"PASSWORD=abc"), "[redacted]");
        // A multi-byte character cut at the byte limit never splits: lossy decoding.
        let long = "€".repeat(200);
        let cut = excerpt(long.as_bytes());
        assert_eq!(cut, format!("{}…", "€".repeat(EXCERPT_MAX_CHARS)));
    }

    #[test]
    fn classification_of_every_variant() {
        let oauth = |code: OAuthErrorCode, status: u16| {
            TokenError::OAuth(OAuthError {
                code,
                description: None,
                uri: None,
                status,
                retry_after: None,
            })
        };
        let unexpected = |status: u16| TokenError::UnexpectedStatus {
            status,
            excerpt: String::new(),
            retry_after: None,
        };
        let transport = |kind| TokenError::Transport(TransportError::new(kind));
        // (error, retryable, fatal, status, rate limited)
        #[rustfmt::skip]
        let cases: &[(TokenError, bool, bool, Option<u16>, bool)] = &[
            (oauth(OAuthErrorCode::InvalidClient, 401), false, true, Some(401), false),
            (oauth(OAuthErrorCode::InvalidClient, 400), false, true, Some(400), false),
            (oauth(OAuthErrorCode::InvalidClient, 200), false, true, Some(200), false),
            (oauth(OAuthErrorCode::InvalidScope, 400), false, true, Some(400), false),
            (oauth(OAuthErrorCode::UnauthorizedClient, 400), false, true, Some(400), false),
            (oauth(OAuthErrorCode::UnsupportedGrantType, 400), false, true, Some(400), false),
            (oauth(OAuthErrorCode::InvalidGrant, 400), false, true, Some(400), false),
            (oauth(OAuthErrorCode::InvalidRequest, 400), false, false, Some(400), false),
            (oauth(OAuthErrorCode::InvalidRequest, 401), false, true, Some(401), false),
            (oauth(OAuthErrorCode::Other("x".into()), 400), false, false, Some(400), false),
            (oauth(OAuthErrorCode::ServerError, 400), true, false, Some(400), false),
            (oauth(OAuthErrorCode::TemporarilyUnavailable, 503), true, false, Some(503), false),
            (oauth(OAuthErrorCode::TemporarilyUnavailable, 401), true, false, Some(401), false),
            (oauth(OAuthErrorCode::InvalidClient, 503), true, false, Some(503), false),
            (oauth(OAuthErrorCode::InvalidRequest, 429), true, false, Some(429), true),
            (unexpected(408), true, false, Some(408), false),
            (unexpected(429), true, false, Some(429), true),
            (unexpected(500), true, false, Some(500), false),
            (unexpected(599), true, false, Some(599), false),
            (unexpected(400), false, false, Some(400), false),
            (unexpected(401), false, true, Some(401), false),
            (unexpected(403), false, false, Some(403), false),
            (unexpected(404), false, false, Some(404), false),
            (TokenError::Redirect { status: 302 }, false, true, Some(302), false),
            (invalid(InvalidResponseReason::MissingAccessToken), false, false, None, false),
            (TokenError::UnsupportedTokenType { token_type: "mac".into() }, false, true, None, false),
            (TokenError::ResponseTooLarge { limit: 1 }, false, false, None, false),
            (TokenError::UnsupportedContentEncoding { encoding: "gzip".into() }, false, true, None, false),
            (transport(TransportErrorKind::Connect), true, false, None, false),
            (transport(TransportErrorKind::Timeout), true, false, None, false),
            (transport(TransportErrorKind::Io), true, false, None, false),
            (transport(TransportErrorKind::Tls), false, false, None, false),
            (transport(TransportErrorKind::Other), false, false, None, false),
        ];
        for (error, retryable, fatal, status, rate_limited) in cases {
            assert_eq!(error.is_retryable(), *retryable, "{error:?}");
            assert_eq!(error.is_fatal_for_client(), *fatal, "{error:?}");
            assert_eq!(error.status(), *status, "{error:?}");
            assert_eq!(error.is_rate_limited(), *rate_limited, "{error:?}");
            assert_eq!(error.retry_after(), None, "{error:?}");
        }
    }

    #[test]
    fn oauth_error_codes_round_trip() {
        #[rustfmt::skip]
        let cases: &[(&str, OAuthErrorCode, &str)] = &[
            ("invalid_request", OAuthErrorCode::InvalidRequest, "invalid_request"),
            ("invalid_client", OAuthErrorCode::InvalidClient, "invalid_client"),
            ("Invalid_Client", OAuthErrorCode::InvalidClient, "invalid_client"),
            ("invalid_grant", OAuthErrorCode::InvalidGrant, "invalid_grant"),
            ("unauthorized_client", OAuthErrorCode::UnauthorizedClient, "unauthorized_client"),
            ("unsupported_grant_type", OAuthErrorCode::UnsupportedGrantType, "unsupported_grant_type"),
            ("invalid_scope", OAuthErrorCode::InvalidScope, "invalid_scope"),
            ("server_error", OAuthErrorCode::ServerError, "server_error"),
            ("temporarily_unavailable", OAuthErrorCode::TemporarilyUnavailable, "temporarily_unavailable"),
            ("access_denied", OAuthErrorCode::Other("access_denied".into()), "access_denied"),
            ("a\nb", OAuthErrorCode::Other("a b".into()), "a b"),
        ];
        for (wire, code, as_str) in cases {
            assert_eq!(&OAuthErrorCode::from_wire(wire), code, "{wire:?}");
            assert_eq!(code.as_str(), *as_str);
            assert_eq!(code.to_string(), *as_str);
        }
        let long = "x".repeat(100);
        assert_eq!(
            OAuthErrorCode::from_wire(&long).as_str().chars().count(),
            CODE_MAX_CHARS + 1
        );
    }

    #[test]
    fn display_texts() {
        #[rustfmt::skip]
        let cases: &[(TokenError, &str)] = &[
            (TokenError::OAuth(OAuthError { code: OAuthErrorCode::InvalidScope, description: Some("unknown scope requested".into()), uri: Some("https://example.com/e".into()), status: 400, retry_after: None }), "token endpoint refused: invalid_scope (HTTP 400): unknown scope requested <https://example.com/e>"),
            (TokenError::OAuth(OAuthError { code: OAuthErrorCode::TemporarilyUnavailable, description: None, uri: None, status: 503, retry_after: Some(secs(30)) }), "token endpoint refused: temporarily_unavailable (HTTP 503); retry after 30 s"),
            (TokenError::UnexpectedStatus { status: 502, excerpt: "<html>".into(), retry_after: None }, "token endpoint answered HTTP 502 without an OAuth error (body starts: \"<html>\")"),
            (TokenError::UnexpectedStatus { status: 429, excerpt: String::new(), retry_after: Some(secs(30)) }, "token endpoint answered HTTP 429 without an OAuth error (empty body); retry after 30 s"),
            (TokenError::Redirect { status: 302 }, "token endpoint answered with redirect HTTP 302, which is not followed; check the endpoint URL"),
            (invalid(InvalidResponseReason::NotJsonObject), "invalid token response: body is not a JSON object"),
            (invalid(InvalidResponseReason::NegativeExpiresIn), "invalid token response: expires_in is negative"),
            (TokenError::UnsupportedTokenType { token_type: "mac".into() }, "token endpoint issued a token of type \"mac\"; only Bearer is supported"),
            (TokenError::ResponseTooLarge { limit: 65_536 }, "token response body exceeds the 65536-byte limit"),
            (TokenError::UnsupportedContentEncoding { encoding: "gzip".into() }, "token response has content coding \"gzip\"; only identity is supported"),
            (TokenError::Transport(TransportError::new(TransportErrorKind::Connect).with_detail("dns\nfailure")), "token request failed: could not connect (dns failure)"),
            (TokenError::Transport(TransportError::new(TransportErrorKind::Tls).with_detail(" \r\n")), "token request failed: TLS error"),
        ];
        for (error, text) in cases {
            assert_eq!(error.to_string(), *text);
        }
        let detail = "d".repeat(500);
        let error = TransportError::new(TransportErrorKind::Io).with_detail(&detail);
        assert_eq!(error.kind(), TransportErrorKind::Io);
        assert_eq!(
            error.detail().map(|d| d.chars().count()),
            Some(TRANSPORT_DETAIL_MAX_CHARS + 1)
        );
    }

    #[test]
    fn debug_never_shows_the_token() {
        let token = json(r#"{"access_token":"SENTINEL-TOKEN","token_type":"bearer","expires_in":60,"scope":"a"}"#)
            .expect("token");
        let debug = format!("{token:?}");
        assert!(!debug.contains("SENTINEL"), "{debug}");
        assert_eq!(
            debug,
            "TokenResponse { access_token: AccessToken([redacted]), token_type_missing: false, \
             expires_in: Some(60s), lifetime: 60s, scope: Some(\"a\"), granted_scopes: Some(Scopes([\"a\"])) }"
        );
        let fresh = TokenResponse::new(AccessToken::new("SENTINEL"), secs(5));
        assert_eq!(fresh.lifetime(), secs(5));
        assert!(!format!("{fresh:?}").contains("SENTINEL"));
    }

    proptest! {
        #[test]
        fn never_panics(
            status in any::<u16>(),
            body in proptest::collection::vec(any::<u8>(), 0..256),
            content_type in proptest::option::of(proptest::collection::vec(any::<u8>(), 0..24)),
            encoding in proptest::option::of(prop_oneof![Just(b"gzip".to_vec()), Just(b"identity".to_vec())]),
        ) {
            let mut headers = Vec::new();
            if let Some(value) = &content_type {
                headers.push(Header { name: "Content-Type", value });
            }
            if let Some(value) = &encoding {
                headers.push(Header { name: "Content-Encoding", value });
            }
            let response = HttpResponse::new(status, &headers, &body);
            if let Err(error) = parse_token_response(&response, &options()) {
                let _ = format!("{error} {error:?}");
                prop_assert!(!(error.is_retryable() && error.is_fatal_for_client()));
            }
        }

        #[test]
        fn never_panics_on_json_shaped_bodies(
            status in prop_oneof![Just(200u16), Just(400), Just(401), Just(503), any::<u16>()],
            members in proptest::collection::vec(
                (
                    prop_oneof![
                        Just("access_token"), Just("token_type"), Just("expires_in"), Just("scope"),
                        Just("error"), Just("error_description"), Just("error_uri"), Just("other"),
                    ],
                    prop_oneof![
                        "\"[ -~]{0,12}\"",
                        "-?[0-9]{1,25}(\\.[0-9]{1,5})?([eE][-+]?[0-9]{1,4})?",
                        "\"-?[0-9]{1,25}(\\.[0-9]{1,5})?([eE][-+]?[0-9]{1,6})?\"",
                        Just("null".into()), Just("true".into()), Just("[\"a\",1]".into()), Just("{}".into()),
                    ],
                ),
                0..6,
            ),
        ) {
            let inner: Vec<String> = members.iter().map(|(k, v)| format!("\"{k}\":{v}")).collect();
            let body = format!("{{{}}}", inner.join(","));
            let response = HttpResponse::new(status, &[], body.as_bytes());
            match parse_token_response(&response, &options()) {
                Ok(token) => {
                    prop_assert!((200..300).contains(&status));
                    prop_assert!(token.lifetime() <= MAX_LIFETIME);
                    prop_assert_eq!(token.expires_in().unwrap_or(DEFAULT_LIFETIME), token.lifetime());
                }
                Err(error) => {
                    prop_assert!(!(error.is_retryable() && error.is_fatal_for_client()));
                }
            }
        }

        #[test]
        fn errors_never_carry_a_2xx_token(
            status in 200u16..300,
            token in "[A-Za-z0-9]{12,24}",
            token_type in prop_oneof![Just("mac"), Just("bearer"), Just("x\n")],
            expires_in in prop_oneof![Just("-1"), Just("\"x\""), Just("60"), Just("true")],
            junk in prop_oneof![Just(""), Just("}"), Just(",\"access_token\":1")],
        ) {
            let body = format!(
                "{{\"access_token\":\"SENTINEL{token}\",\"token_type\":\"{}\",\"expires_in\":{expires_in}{junk}}}",
                token_type.escape_default(),
            );
            let response = HttpResponse::new(status, &[], body.as_bytes());
            match parse_token_response(&response, &options()) {
                Ok(parsed) => {
                    let shown = format!("{parsed:?}");
                    prop_assert!(!shown.contains("SENTINEL"));
                }
                Err(error) => {
                    let shown = format!("{error} {error:?}");
                    prop_assert!(!shown.contains("SENTINEL"), "{}", shown);
                }
            }
        }
    }
}

#[cfg(test)]
mod redact_tests {
    use super::*;
    use alloc::format;
    use alloc::string::ToString;

    fn credentials(secret: &str) -> ClientCredentials {
        ClientCredentials::new(
            crate::secret::ClientId::new("app id"),
            crate::secret::ClientSecret::new(secret),
        )
    }

    #[test]
    fn redact_removes_an_echoed_basic_credential_whole_or_cut() {
        // base64("app%20id:p4ss%20w0rd") and base64("app id:p4ss w0rd").
        let encoded = "YXBwJTIwaWQ6cDRzcyUyMHcwcmQ=";
        let plain = "YXBwIGlkOnA0c3MgdzByZA==";
        let cases = [
            (
                format!("Authorization: Basic {encoded} refused"),
                "Authorization: Basic [redacted] refused",
            ),
            (format!("got Basic {plain}"), "got Basic [redacted]"),
            (
                format!("cut: Basic {}…", &encoded[..12]),
                "cut: Basic [redacted]",
            ),
        ];
        for (excerpt, expected) in cases {
            let mut error = unexpected(&excerpt);
            error.redact(&credentials("p4ss w0rd"));
            assert_eq!(error, unexpected(expected), "{excerpt}");
        }
    }

    fn unexpected(excerpt: &str) -> TokenError {
        TokenError::UnexpectedStatus {
            status: 502,
            excerpt: excerpt.to_string(),
            retry_after: None,
        }
    }

    #[test]
    fn redact_removes_every_echoed_form_of_the_secret() {
        let cases: &[(&str, &str)] = &[
            ("echo p4ss w0rd/é end", "echo [redacted] end"),
            ("echo p4ss%20w0rd%2F%C3%A9 end", "echo [redacted] end"),
            ("echo p4ss+w0rd%2f%c3%a9 end", "echo [redacted] end"),
            ("cut at p4ss w0…", "cut at [redacted]"),
            ("cut at p4s…", "cut at p4s…"),
            ("nothing here", "nothing here"),
        ];
        for (excerpt, expected) in cases {
            let mut error = unexpected(excerpt);
            error.redact(&credentials("p4ss w0rd/é"));
            assert_eq!(error, unexpected(expected), "{excerpt}");
        }
    }

    #[test]
    fn redact_covers_oauth_description_uri_and_transport_detail() {
        let mut error = TokenError::OAuth(OAuthError {
            code: OAuthErrorCode::InvalidClient,
            description: Some("secret \\\"quoted\\\" refused".to_string()),
            uri: Some("https://x/?s=%22quoted%22".to_string()),
            status: 401,
            retry_after: None,
        });
        // At least MIN_SECRET_LEN bytes: shorter secrets are not searched for.
        error.redact(&credentials("\"quoted\""));
        let TokenError::OAuth(oauth) = &error else {
            panic!("still OAuth");
        };
        assert_eq!(
            oauth.description.as_deref(),
            Some("secret [redacted] refused")
        );
        assert_eq!(oauth.uri.as_deref(), Some("https://x/?s=[redacted]"));
        let mut transport = TokenError::Transport(
            TransportError::new(TransportErrorKind::Io).with_detail("sent hunter22"),
        );
        transport.redact(&credentials("hunter22"));
        assert!(!transport.to_string().contains("hunter22"));
    }

    #[test]
    fn redact_covers_a_non_standard_error_code() {
        let oauth = |code: &str| {
            TokenError::OAuth(OAuthError {
                code: OAuthErrorCode::from_wire(code),
                description: None,
                uri: None,
                status: 400,
                retry_after: None,
            })
        };
        let mut error = oauth("bad_secret_S3cr3t-in-code");
        error.redact(&credentials("S3cr3t-in-code"));
        assert_eq!(error, oauth("bad_secret_[redacted]"));
        let mut known = oauth("invalid_client");
        known.redact(&credentials("S3cr3t-in-code"));
        assert_eq!(known, oauth("invalid_client"));
    }

    #[test]
    fn redact_leaves_texts_alone_for_a_short_secret_but_not_its_basic_form() {
        // A one-letter secret would cut `connection refu[redacted]ed` and show where it is.
        let refused = TokenError::Transport(
            TransportError::new(TransportErrorKind::Connect).with_detail("connection refused"),
        );
        let mut transport = refused.clone();
        transport.redact(&credentials("s"));
        assert_eq!(transport, refused);
        // base64("app%20id:s")
        let mut error = unexpected("echo Basic YXBwJTIwaWQ6cw== s");
        error.redact(&credentials("s"));
        assert_eq!(error, unexpected("echo Basic [redacted] s"));
    }
}
