//! API calls: the [`RequestBuilder`] returned by [`LuccaClient::get`] and friends, the loop
//! that sends one (token, send, classify, act), and the [`ApiResponse`] it returns.

use std::fmt;
use std::thread;

use lucca_auth::api::{ApiAttempt, ApiResponseClass, BearerAuthorization};
use lucca_auth::form;
use lucca_auth::time::UnixTime;
use lucca_auth::token_response::{InvalidResponseReason, TokenError};
use serde::Serialize;
use serde::de::DeserializeOwned;
use ureq::http::header::{CONTENT_TYPE, HeaderName, HeaderValue};
use ureq::http::{HeaderMap, Method};

use crate::LuccaClient;
use crate::error::{BodyError, Error, RequestError};
use crate::retry::{RetryBudget, is_idempotent};
use crate::transport::{ExchangeFailure, Received};

/// Header names the caller may not set: the client or the HTTP layer sets them.
const RESERVED: [&str; 6] = [
    "host",
    "content-length",
    "transfer-encoding",
    "connection",
    "accept-encoding",
    "content-type",
];

/// One API request being put together. Nothing is sent until [`send`](RequestBuilder::send);
/// a bad header or body is reported there, as [`Error::InvalidRequest`].
///
/// ```
/// # use lucca_auth_ureq::{LuccaClient, Error, RequestError};
/// # use lucca_auth::{config::{ClientCredentials, LuccaConfig}, endpoint::TenantHost, secret::{ClientId, ClientSecret}};
/// # let config = LuccaConfig::new(ClientCredentials::new(ClientId::new("id"), ClientSecret::new("s")), TenantHost::parse("https://acme.ilucca.net")?);
/// let client = LuccaClient::new(config);
/// let refused = client
///     .get("/lucca-api/leaves")
///     .header("Authorization", "Bearer something-else")
///     .send();
/// assert_eq!(refused.unwrap_err(), Error::InvalidRequest(RequestError::AuthorizationHeader));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct RequestBuilder {
    client: LuccaClient,
    method: Method,
    path: String,
    query: String,
    headers: Vec<(HeaderName, HeaderValue)>,
    body: Option<Vec<u8>>,
    error: Option<RequestError>,
}

impl fmt::Debug for RequestBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequestBuilder")
            .field("method", &self.method)
            .field("headers", &self.headers.len())
            .field("body", &self.body.as_ref().map(Vec::len))
            .finish_non_exhaustive()
    }
}

impl RequestBuilder {
    pub(crate) fn new(client: LuccaClient, method: Method, path: &str) -> Self {
        RequestBuilder {
            client,
            method,
            path: path.to_owned(),
            query: String::new(),
            headers: Vec::new(),
            body: None,
            error: None,
        }
    }

    fn fail(mut self, error: RequestError) -> Self {
        self.error.get_or_insert(error);
        self
    }

    /// Appends the query parameter `name=value`, both form-encoded (every byte outside
    /// `A-Z a-z 0-9 - . _ ~` as `%XX`), after any query already in the path.
    #[must_use]
    pub fn query(mut self, name: &str, value: &str) -> Self {
        if !self.query.is_empty() {
            self.query.push('&');
        }
        form::encode_to_string(name.as_bytes(), &mut self.query);
        self.query.push('=');
        form::encode_to_string(value.as_bytes(), &mut self.query);
        self
    }

    /// Sets a header field, replacing the client's default of the same name (`Api-Version`,
    /// `Accept`, `User-Agent`) and any earlier value set here.
    ///
    /// `Authorization` is refused ([`RequestError::AuthorizationHeader`]): the client sends
    /// its bearer token itself. So are `Host`, `Content-Length`, `Transfer-Encoding`,
    /// `Connection`, `Accept-Encoding` and `Content-Type` ([`RequestError::ReservedHeader`];
    /// the content type comes with [`body`](Self::body) or [`json`](Self::json)).
    #[must_use]
    pub fn header(mut self, name: &str, value: &str) -> Self {
        let Ok(name) = HeaderName::from_bytes(name.as_bytes()) else {
            return self.fail(RequestError::InvalidHeaderName);
        };
        if name == ureq::http::header::AUTHORIZATION {
            return self.fail(RequestError::AuthorizationHeader);
        }
        if RESERVED.contains(&name.as_str()) {
            let name = name.as_str().to_owned();
            return self.fail(RequestError::ReservedHeader { name });
        }
        let Ok(value) = HeaderValue::from_str(value) else {
            let name = name.as_str().to_owned();
            return self.fail(RequestError::InvalidHeaderValue { name });
        };
        self.headers.retain(|(existing, _)| *existing != name);
        self.headers.push((name, value));
        self
    }

    /// Sends `value` serialized as JSON, with `Content-Type: application/json`.
    #[must_use]
    pub fn json<T: Serialize + ?Sized>(self, value: &T) -> Self {
        match serde_json::to_vec(value) {
            Ok(body) => self.body(body, "application/json"),
            Err(_) => self.fail(RequestError::JsonSerialization),
        }
    }

    /// Sends `body` with this `Content-Type`.
    #[must_use]
    pub fn body(mut self, body: Vec<u8>, content_type: &str) -> Self {
        let Ok(content_type) = HeaderValue::from_str(content_type) else {
            return self.fail(RequestError::InvalidContentType);
        };
        self.headers.retain(|(name, _)| *name != CONTENT_TYPE);
        self.headers.push((CONTENT_TYPE, content_type));
        self.body = Some(body);
        self
    }

    /// The request target: the path, then the query parameters added with
    /// [`query`](Self::query).
    fn target(&self) -> String {
        if self.query.is_empty() {
            return self.path.clone();
        }
        let separator = match self.path.split_once('?') {
            None => "?",
            Some((_, "")) => "",
            Some((_, query)) if query.ends_with('&') => "",
            Some(_) => "&",
        };
        format!("{}{separator}{}", self.path, self.query)
    }

    /// Sends the request and returns the 2xx response.
    ///
    /// Gets a token for the client's scope set (see [`LuccaClient::token`]); on a 401 it
    /// drops that token, gets a new one and resends once; with a
    /// [`RetryPolicy`](crate::RetryPolicy), idempotent requests are resent after a 429,
    /// 408, 5xx or transport failure.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidRequest`] before anything is sent; [`Error::Token`] when no token can
    /// be had; [`Error::Unauthorized`], [`Error::MissingScope`], [`Error::RateLimited`],
    /// [`Error::Transient`], [`Error::Redirect`], [`Error::Api`] for the API's refusals;
    /// [`Error::Transport`] and [`Error::ResponseTooLarge`].
    pub fn send(self) -> Result<ApiResponse, Error> {
        if let Some(error) = self.error {
            return Err(Error::InvalidRequest(error));
        }
        let target = self.target();
        self.client
            .execute(&self.method, &target, &self.headers, self.body.as_deref())
    }
}

impl LuccaClient {
    /// The driver loop of one API call: token, send, classify, act.
    pub(crate) fn execute(
        &self,
        method: &Method,
        target: &str,
        caller_headers: &[(HeaderName, HeaderValue)],
        body: Option<&[u8]>,
    ) -> Result<ApiResponse, Error> {
        let shared = &self.shared;
        let url = shared
            .config
            .tenant
            .url_for(target)
            .map_err(|error| Error::InvalidRequest(RequestError::Path(error)))?;
        let mut headers: Vec<(HeaderName, HeaderValue)> = shared
            .api_headers
            .iter()
            .filter(|(name, _)| !caller_headers.iter().any(|(set, _)| set == name))
            .cloned()
            .collect();
        headers.extend(caller_headers.iter().cloned());
        let idempotent = is_idempotent(method);
        let mut budget = RetryBudget::new(shared.retry_policy.as_ref().filter(|_| idempotent));
        let mut attempt = ApiAttempt::First;
        loop {
            if let Some(pacer) = &shared.pacer {
                crate::shared::pace(pacer.as_ref(), &shared.config.tenant);
            }
            let (authorization, generation) =
                self.slot
                    .with_token(&shared.transport, shared.wait_max, |token, _| {
                        (
                            BearerAuthorization::new(token.access_token()),
                            token.generation(),
                        )
                    })?;
            let authorization = authorization.map_err(|_| {
                Error::Token(TokenError::InvalidResponse(
                    InvalidResponseReason::InvalidAccessToken,
                ))
            })?;
            let response = match shared.transport.api_exchange(
                method,
                &url,
                &headers,
                body,
                &authorization,
                shared.max_response_body,
            ) {
                Ok(response) => response,
                Err(ExchangeFailure::TooLarge) => {
                    return Err(Error::ResponseTooLarge {
                        limit: shared.max_response_body,
                    });
                }
                Err(ExchangeFailure::Transport(error)) => {
                    if error.kind().is_retryable()
                        && let Some(delay) = budget.next_delay(None)
                    {
                        thread::sleep(delay);
                        continue;
                    }
                    return Err(Error::Transport(error));
                }
            };
            let mut class = response.with_view(|view| ApiResponseClass::classify(view, attempt));
            // A server may echo the request's Authorization in its error texts.
            class.redact_authorization(authorization.secret());
            match class {
                ApiResponseClass::Success => return Ok(ApiResponse::new(response)),
                ApiResponseClass::RefreshAndRetry => {
                    self.slot.invalidate(generation);
                    match attempt.next_after_refresh() {
                        Some(next) => attempt = next,
                        None => return Err(Error::Unauthorized),
                    }
                }
                ApiResponseClass::Unauthorized => return Err(Error::Unauthorized),
                ApiResponseClass::MissingScope {
                    required,
                    description,
                } => {
                    return Err(Error::MissingScope {
                        required,
                        description,
                    });
                }
                ApiResponseClass::RateLimited { retry_after } => {
                    if let (Some(pacer), Some(delay)) = (&shared.pacer, retry_after) {
                        pacer.handle_retry_after(&shared.config.tenant, delay);
                    }
                    match budget.next_delay(retry_after) {
                        Some(delay) => thread::sleep(delay),
                        None => return Err(Error::RateLimited { retry_after }),
                    }
                }
                ApiResponseClass::Transient {
                    status,
                    retry_after,
                } => match budget.next_delay(retry_after) {
                    Some(delay) => thread::sleep(delay),
                    None => {
                        return Err(Error::Transient {
                            status,
                            retry_after,
                        });
                    }
                },
                ApiResponseClass::Redirect { status } => return Err(Error::Redirect { status }),
                ApiResponseClass::Fatal { status, problem } => {
                    return Err(Error::Api {
                        status,
                        problem: problem.map(Box::new),
                    });
                }
                _ => {
                    return Err(Error::Api {
                        status: response.status,
                        problem: None,
                    });
                }
            }
        }
    }
}

/// A successful (2xx) API response.
///
/// `Debug` shows the status and the sizes, not the body (it may hold personal data).
pub struct ApiResponse {
    status: u16,
    headers: HeaderMap,
    body: Vec<u8>,
    deprecation: Option<String>,
    deprecation_time: Option<UnixTime>,
    sunset: Option<String>,
    sunset_time: Option<UnixTime>,
}

impl ApiResponse {
    fn new(response: Received<Vec<u8>>) -> Self {
        let (deprecation, deprecation_time, sunset, sunset_time) = response.with_view(|view| {
            (
                lucca_auth::api::deprecation(view).map(str::to_owned),
                lucca_auth::api::deprecation_time(view),
                lucca_auth::api::sunset(view).map(str::to_owned),
                lucca_auth::api::sunset_time(view),
            )
        });
        ApiResponse {
            status: response.status,
            headers: response.headers,
            body: response.body,
            deprecation,
            deprecation_time,
            sunset,
            sunset_time,
        }
    }

    /// The status code (2xx).
    #[must_use]
    pub fn status(&self) -> u16 {
        self.status
    }

    /// The first value of the header field `name` (any case), if it is visible ASCII.
    #[must_use]
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name)?.to_str().ok()
    }

    /// Every header field as (lowercase name, value bytes), in the order received.
    pub fn headers(&self) -> impl Iterator<Item = (&str, &[u8])> + '_ {
        self.headers
            .iter()
            .map(|(name, value)| (name.as_str(), value.as_bytes()))
    }

    /// The body, as received (never decompressed: the client asks for `identity`).
    #[must_use]
    pub fn body(&self) -> &[u8] {
        &self.body
    }

    /// The body, owned.
    #[must_use]
    pub fn into_body(self) -> Vec<u8> {
        self.body
    }

    /// The body as UTF-8 text.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidBody`] with [`BodyError::NotUtf8`].
    pub fn text(&self) -> Result<&str, Error> {
        std::str::from_utf8(&self.body).map_err(|error| {
            Error::InvalidBody(BodyError::NotUtf8 {
                valid_up_to: error.valid_up_to(),
            })
        })
    }

    /// The body parsed as JSON into `T`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidBody`] with [`BodyError::Json`] (where, never what: the message of
    /// the JSON parser can quote the body).
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, Error> {
        serde_json::from_slice(&self.body).map_err(|error| {
            Error::InvalidBody(BodyError::Json {
                line: error.line(),
                column: error.column(),
            })
        })
    }

    /// The `Deprecation` header (RFC 9745) as received, trimmed.
    #[must_use]
    pub fn deprecation(&self) -> Option<&str> {
        self.deprecation.as_deref()
    }

    /// When the API was or will be deprecated, from `Deprecation` (`@<seconds>` or an
    /// HTTP-date).
    #[must_use]
    pub fn deprecation_time(&self) -> Option<UnixTime> {
        self.deprecation_time
    }

    /// The `Sunset` header (RFC 8594) as received, trimmed.
    #[must_use]
    pub fn sunset(&self) -> Option<&str> {
        self.sunset.as_deref()
    }

    /// When the API will stop answering, from `Sunset`.
    #[must_use]
    pub fn sunset_time(&self) -> Option<UnixTime> {
        self.sunset_time
    }
}

impl fmt::Debug for ApiResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiResponse")
            .field("status", &self.status)
            .field("headers", &self.headers.len())
            .field("body_len", &self.body.len())
            .field("deprecation", &self.deprecation)
            .field("sunset", &self.sunset)
            .finish()
    }
}
