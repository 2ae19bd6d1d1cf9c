//! API calls: the [`RequestBuilder`] returned by [`LuccaClient::get`] and friends, the loop
//! that sends one (token, send, classify, act), and the [`ApiResponse`] it returns.

use std::fmt;
use std::time::Duration;

use bytes::Bytes;
use lucca_auth::api::{ApiAttempt, ApiResponseClass};
use lucca_auth::form;
use lucca_auth::problem::MAX_PROBLEM_BODY;
use lucca_auth::time::UnixTime;
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue};
use reqwest::{Method, Url};
use serde::Serialize;
use serde::de::DeserializeOwned;
use zeroize::Zeroizing;

use crate::LuccaClient;
use crate::error::{BodyError, Error, RequestError};
use crate::retry::{RetryBudget, is_idempotent};
use crate::trace::event;
use crate::transport::{core_headers, core_response, read_body, read_capped, transport_error};

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
/// a bad path, header or body is reported there, as [`Error::InvalidRequest`].
///
/// What sending does:
/// 1. gets a token for the handle's scope set — from the cache, with no lock held across an
///    `.await` and no allocation for the `Authorization` value, while it is valid; else
///    through the single-flight refresh — and sends the request with `Authorization`,
///    `Api-Version`, `Accept: application/json`, `Accept-Encoding: identity`, `User-Agent`
///    and your own headers;
/// 2. on **2xx**, reads the body (up to the client's
///    [`max_response_body`](crate::LuccaClientBuilder::max_response_body)) and returns the
///    [`ApiResponse`];
/// 3. on **401**, drops the token it used (not a newer one another task already fetched),
///    gets a fresh one and resends once; a second 401 is [`Error::Unauthorized`]. A request
///    whose body is a stream ([`body_stream`](Self::body_stream)) cannot be resent: its 401
///    is [`Error::UnauthorizedNotReplayable`] (the token is still dropped, so the next call
///    gets a fresh one);
/// 4. on **403**, [`Error::MissingScope`] naming the scope, without fetching a token;
/// 5. on **429**, [`Error::RateLimited`] with the wait, on **408/5xx** [`Error::Transient`],
///    unless the client's [`RetryPolicy`](crate::RetryPolicy) resends idempotent requests;
/// 6. a **3xx** is never followed: [`Error::Redirect`]; any other status is [`Error::Api`]
///    with the problem+json body.
///
/// ```
/// # use lucca_auth_reqwest::{LuccaClient, Error, RequestError};
/// # use lucca_auth::{config::{ClientCredentials, LuccaConfig}, endpoint::TenantHost, secret::{ClientId, ClientSecret}};
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let config = LuccaConfig::new(ClientCredentials::new(ClientId::new("id"), ClientSecret::new("s")), TenantHost::parse("https://acme.ilucca.net")?);
/// let client = LuccaClient::new(config)?;
/// let refused = client
///     .get("/lucca-api/leaves")
///     .header("Authorization", "Bearer something-else")
///     .send()
///     .await;
/// assert_eq!(refused.unwrap_err(), Error::InvalidRequest(RequestError::AuthorizationHeader));
/// # Ok(()) }
/// ```
#[must_use = "a request does nothing until it is sent"]
pub struct RequestBuilder {
    client: LuccaClient,
    method: Method,
    url: Option<Url>,
    headers: HeaderMap,
    body: Option<Body>,
    timeout: Option<Duration>,
    error: Option<RequestError>,
}

/// A request body.
enum Body {
    /// Can be sent any number of times.
    Bytes(Bytes),
    /// Can be sent once.
    Stream(Option<reqwest::Body>),
}

impl fmt::Debug for RequestBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequestBuilder")
            .field("method", &self.method)
            .field("headers", &self.headers.len())
            .field(
                "body",
                &self.body.as_ref().map(|body| match body {
                    Body::Bytes(bytes) => Some(bytes.len()),
                    Body::Stream(_) => None,
                }),
            )
            .finish_non_exhaustive()
    }
}

impl RequestBuilder {
    pub(crate) fn new(client: LuccaClient, method: Method, path: &str) -> Self {
        let (url, error) = match api_url(&client, path) {
            Ok(url) => (Some(url), None),
            Err(error) => (None, Some(error)),
        };
        RequestBuilder {
            client,
            method,
            url,
            headers: HeaderMap::new(),
            body: None,
            timeout: None,
            error,
        }
    }

    fn fail(mut self, error: RequestError) -> Self {
        self.error.get_or_insert(error);
        self
    }

    /// Appends the query parameter `name=value`, both form-encoded (every byte outside
    /// `A-Z a-z 0-9 - . _ ~` as `%XX`), after any query already in the path.
    pub fn query(mut self, name: &str, value: &str) -> Self {
        if let Some(url) = &mut self.url {
            let mut query = String::from(url.query().unwrap_or_default());
            if !query.is_empty() && !query.ends_with('&') {
                query.push('&');
            }
            form::encode_to_string(name.as_bytes(), &mut query);
            query.push('=');
            form::encode_to_string(value.as_bytes(), &mut query);
            url.set_query(Some(&query));
        }
        self
    }

    /// Sets a header field, replacing the client's default of the same name (`Api-Version`,
    /// `Accept`, `User-Agent`) and any earlier value set here.
    ///
    /// `Authorization` is refused ([`RequestError::AuthorizationHeader`]): the client sends
    /// its bearer token itself. So are `Host`, `Content-Length`, `Transfer-Encoding`,
    /// `Connection`, `Accept-Encoding` and `Content-Type` ([`RequestError::ReservedHeader`];
    /// the content type comes with [`body`](Self::body) or [`json`](Self::json)).
    pub fn header(mut self, name: &str, value: &str) -> Self {
        let Ok(name) = HeaderName::from_bytes(name.as_bytes()) else {
            return self.fail(RequestError::InvalidHeaderName);
        };
        if name == AUTHORIZATION {
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
        self.headers.insert(name, value);
        self
    }

    /// Sends `value` serialized as JSON, with `Content-Type: application/json`. It can be
    /// resent after a 401.
    pub fn json<T: Serialize + ?Sized>(self, value: &T) -> Self {
        match serde_json::to_vec(value) {
            Ok(body) => self.body(body, "application/json"),
            Err(_) => self.fail(RequestError::JsonSerialization),
        }
    }

    /// Sends `body` with this `Content-Type`. It can be resent after a 401.
    pub fn body(self, body: impl Into<Bytes>, content_type: &str) -> Self {
        let body = Body::Bytes(body.into());
        self.with_body(body, content_type)
    }

    /// Sends a body that may be a stream (a `reqwest::Body` built from one), with this
    /// `Content-Type`. A stream can be sent only once, so this request is never resent: not
    /// after a 401 ([`Error::UnauthorizedNotReplayable`]), not under the retry policy. A
    /// body made of bytes is treated like [`body`](Self::body).
    pub fn body_stream(self, body: impl Into<reqwest::Body>, content_type: &str) -> Self {
        let body = body.into();
        let body = match body.as_bytes() {
            Some(bytes) => Body::Bytes(Bytes::copy_from_slice(bytes)),
            None => Body::Stream(Some(body)),
        };
        self.with_body(body, content_type)
    }

    fn with_body(mut self, body: Body, content_type: &str) -> Self {
        let Ok(content_type) = HeaderValue::from_str(content_type) else {
            return self.fail(RequestError::InvalidContentType);
        };
        self.headers.insert(CONTENT_TYPE, content_type);
        self.body = Some(body);
        self
    }

    /// The timeout of each try of this request, instead of the client's whole-exchange
    /// timeout.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Sends the request and returns the 2xx response (see the type's documentation).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidRequest`] before anything is sent; [`Error::Token`] when no token can
    /// be had; [`Error::Unauthorized`], [`Error::UnauthorizedNotReplayable`],
    /// [`Error::MissingScope`], [`Error::RateLimited`], [`Error::Transient`],
    /// [`Error::Redirect`], [`Error::Api`] for the API's refusals; [`Error::Transport`] and
    /// [`Error::ResponseTooLarge`].
    pub async fn send(self) -> Result<ApiResponse, Error> {
        #[cfg(feature = "tracing")]
        {
            let span = tracing::debug_span!(
                "lucca_auth.api_request",
                method = %self.method,
                path = self.url.as_ref().map_or("", Url::path),
            );
            tracing::Instrument::instrument(self.run(), span).await
        }
        #[cfg(not(feature = "tracing"))]
        {
            self.run().await
        }
    }

    async fn run(self) -> Result<ApiResponse, Error> {
        let RequestBuilder {
            client,
            method,
            url,
            headers,
            mut body,
            timeout,
            error,
        } = self;
        if let Some(error) = error {
            return Err(Error::InvalidRequest(error));
        }
        let shared = &client.shared;
        let timeout = timeout.or(shared.request_timeout);
        let replayable = !matches!(body, Some(Body::Stream(_)));
        let retry_policy = shared
            .retry_policy
            .as_ref()
            .filter(|_| replayable && is_idempotent(&method));
        let mut budget = RetryBudget::new(retry_policy);
        let mut url = url;
        let mut attempt = ApiAttempt::First;
        loop {
            if let Some(pacer) = &shared.pacer {
                crate::shared::pace(pacer.as_ref(), &shared.config.tenant).await;
            }
            let authorization = client
                .cache
                .authorization(&shared.token_http, shared.wait_max)
                .await?;
            let Some(this_url) = url.take() else {
                // Every way back to the top of the loop puts the URL back.
                return Err(Error::InvalidRequest(RequestError::Path(
                    lucca_auth::endpoint::EndpointError::NotHostAbsolute,
                )));
            };
            let mut request = reqwest::Request::new(method.clone(), this_url);
            let request_headers = request.headers_mut();
            for (name, value) in &shared.api_headers {
                if !headers.contains_key(name) {
                    request_headers.insert(name.clone(), value.clone());
                }
            }
            for (name, value) in &headers {
                request_headers.insert(name.clone(), value.clone());
            }
            request_headers.insert(AUTHORIZATION, authorization.value.clone());
            match &mut body {
                None => {}
                Some(Body::Bytes(bytes)) => {
                    *request.body_mut() = Some(reqwest::Body::from(bytes.clone()));
                }
                Some(Body::Stream(stream)) => *request.body_mut() = stream.take(),
            }
            if timeout.is_some() {
                *request.timeout_mut() = timeout;
            }

            let mut response = match shared.http.execute(request).await {
                Ok(response) => response,
                Err(error) => {
                    let failure = transport_error(&error);
                    if failure.kind().is_retryable()
                        && let Some(failed_url) = error.url()
                        && let Some(delay) = budget.next_delay(None)
                    {
                        event!(debug, kind = %failure.kind(), wait_ms = delay.as_millis(), "API request failed; resending after a wait");
                        url = Some(failed_url.clone());
                        tokio::time::sleep(delay).await;
                        continue;
                    }
                    return Err(Error::Transport(failure));
                }
            };
            let status = response.status().as_u16();
            if (200..300).contains(&status) {
                let body = match read_body(&mut response, shared.max_response_body).await {
                    Ok(Ok(body)) => body,
                    Ok(Err(_)) => {
                        return Err(Error::ResponseTooLarge {
                            limit: shared.max_response_body,
                        });
                    }
                    Err(error) => return Err(Error::Transport(transport_error(&error))),
                };
                return Ok(ApiResponse {
                    status,
                    headers: std::mem::take(response.headers_mut()),
                    body,
                });
            }

            // An error answer: the class comes from the status; the body only adds detail,
            // so a failure to read it is no error of its own.
            let mut error_body = Zeroizing::new(Vec::new());
            let _ = read_capped(&mut response, MAX_PROBLEM_BODY, &mut error_body).await;
            let class = {
                let fields = core_headers(response.headers());
                let answer = core_response(status, &fields, &error_body);
                let mut class = ApiResponseClass::classify(&answer, attempt);
                // A server may echo the request's Authorization in its error texts.
                if let Ok(sent) = authorization.value.to_str() {
                    class.redact_authorization(sent);
                }
                class
            };
            match class {
                ApiResponseClass::Success => {
                    return Err(Error::Api {
                        status,
                        problem: None,
                    });
                }
                ApiResponseClass::RefreshAndRetry => {
                    client.cache.invalidate(authorization.generation).await;
                    if !replayable {
                        return Err(Error::UnauthorizedNotReplayable);
                    }
                    match attempt.next_after_refresh() {
                        Some(next) => attempt = next,
                        None => return Err(Error::Unauthorized),
                    }
                    event!(
                        info,
                        generation = authorization.generation.get(),
                        "API refused the token (401); resending once with a fresh token"
                    );
                    url = Some(response.url().clone());
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
                        pacer.handle_retry_after(&shared.config.tenant, delay).await;
                    }
                    let Some(delay) = budget.next_delay(retry_after) else {
                        return Err(Error::RateLimited { retry_after });
                    };
                    event!(
                        info,
                        wait_ms = delay.as_millis(),
                        "API rate limited (429); resending after a wait"
                    );
                    url = Some(response.url().clone());
                    drop(response);
                    tokio::time::sleep(delay).await;
                }
                ApiResponseClass::Transient {
                    status,
                    retry_after,
                } => {
                    let Some(delay) = budget.next_delay(retry_after) else {
                        return Err(Error::Transient {
                            status,
                            retry_after,
                        });
                    };
                    event!(
                        info,
                        status,
                        wait_ms = delay.as_millis(),
                        "API answered a transient error; resending after a wait"
                    );
                    url = Some(response.url().clone());
                    drop(response);
                    tokio::time::sleep(delay).await;
                }
                ApiResponseClass::Redirect { status } => return Err(Error::Redirect { status }),
                ApiResponseClass::Fatal { status, problem } => {
                    return Err(Error::Api {
                        status,
                        problem: problem.map(Box::new),
                    });
                }
                _ => {
                    return Err(Error::Api {
                        status,
                        problem: None,
                    });
                }
            }
        }
    }
}

/// The URL of a host-absolute `path` on the client's tenant, checked by the core first, then
/// joined to the tenant's parsed origin (which allocates less than parsing the whole URL
/// text, as reqwest does for a URL given as a string).
fn api_url(client: &LuccaClient, path: &str) -> Result<Url, RequestError> {
    let shared = &client.shared;
    let path = shared
        .config
        .tenant
        .request_target(path)
        .map_err(RequestError::Path)?;
    shared
        .base
        .join(path)
        .map_err(|_| RequestError::Path(lucca_auth::endpoint::EndpointError::NotHostAbsolute))
}

/// A successful (2xx) API response, its body read.
///
/// `Debug` shows the status and the sizes, not the body (it may hold personal data).
pub struct ApiResponse {
    status: u16,
    headers: HeaderMap,
    body: Bytes,
}

impl ApiResponse {
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

    /// The body, owned (shared, not copied).
    #[must_use]
    pub fn into_body(self) -> Bytes {
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

    /// The body parsed as JSON into `T`: the typed JSON helper.
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
        self.trimmed_header("deprecation")
    }

    /// When the API was or will be deprecated, from `Deprecation` (`@<seconds>` or an
    /// HTTP-date).
    #[must_use]
    pub fn deprecation_time(&self) -> Option<UnixTime> {
        self.with_view(lucca_auth::api::deprecation_time)
    }

    /// The `Sunset` header (RFC 8594) as received, trimmed.
    #[must_use]
    pub fn sunset(&self) -> Option<&str> {
        self.trimmed_header("sunset")
    }

    /// When the API will stop answering, from `Sunset`.
    #[must_use]
    pub fn sunset_time(&self) -> Option<UnixTime> {
        self.with_view(lucca_auth::api::sunset_time)
    }

    fn trimmed_header(&self, name: &str) -> Option<&str> {
        let value = std::str::from_utf8(self.headers.get(name)?.as_bytes())
            .ok()?
            .trim();
        (!value.is_empty()).then_some(value)
    }

    fn with_view<R>(&self, f: impl FnOnce(&lucca_auth::response::HttpResponse<'_>) -> R) -> R {
        let fields = core_headers(&self.headers);
        f(&lucca_auth::response::HttpResponse::new(
            self.status,
            &fields,
            &self.body,
        ))
    }
}

impl fmt::Debug for ApiResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiResponse")
            .field("status", &self.status)
            .field("headers", &self.headers.len())
            .field("body_len", &self.body.len())
            .finish()
    }
}
