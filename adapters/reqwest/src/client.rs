//! [`LuccaClient`] and its [`LuccaClientBuilder`]: the configuration, the reqwest client and
//! one token cache per scope set, shared by every clone.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use lucca_auth::api::{ACCEPT_JSON, API_VERSION};
use lucca_auth::config::LuccaConfig;
use lucca_auth::endpoint::TenantHost;
use lucca_auth::scope::Scopes;
use reqwest::header::{ACCEPT, ACCEPT_ENCODING, HeaderName, HeaderValue, USER_AGENT};
use reqwest::{Method, Url};

use crate::Error;
use crate::pager::Pager;
use crate::request::RequestBuilder;
use crate::retry::RetryPolicy;
use crate::shared::{SharedRatePacer, SharedTokenStore};
use crate::token_cache::{TokenCache, TokenHttp, TokenInfo};
use crate::transport::Clock;

/// The connection timeout (TCP and TLS) of the default HTTP client: 10 s.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// The whole-exchange timeout of every request, token and API, from sending to the last
/// byte of the body: 30 s.
pub const DEFAULT_GLOBAL_TIMEOUT: Duration = Duration::from_secs(30);

/// The default limit on API response bodies: 16 MiB.
pub const DEFAULT_MAX_RESPONSE_BODY: usize = 16 * 1024 * 1024;

/// An async client for the Lucca API: it fetches, caches and refreshes the access token and
/// sends API requests with it.
///
/// `Clone + Send + Sync`; clones are cheap and share everything: the HTTP connections and one
/// token cache per scope set. Make one per client application and clone it into your tasks.
///
/// - [`get`](Self::get), [`post`](Self::post), [`put`](Self::put), [`patch`](Self::patch),
///   [`delete`](Self::delete) and [`request`](Self::request) start a request to a
///   host-absolute path on the tenant; see [`RequestBuilder`] for what happens on 401, 403 and
///   429.
/// - [`pages`](Self::pages) streams every item of a paginated list.
/// - [`scoped`](Self::scoped) gives a handle with its own scope set (its own token).
/// - [`token`](Self::token) gives the current token, for calls made some other way.
///
/// The token cache is single-flight: however many tasks need a token at once, one token
/// request is in flight and the others wait for its outcome. See the crate documentation for
/// the whole behaviour.
#[derive(Clone)]
pub struct LuccaClient {
    pub(crate) shared: Arc<Shared>,
    pub(crate) cache: Arc<TokenCache>,
    /// Shared, so that cloning a handle (every request does) allocates nothing.
    scopes: Arc<Scopes>,
}

/// What every clone and scoped handle shares.
pub(crate) struct Shared {
    pub(crate) config: LuccaConfig,
    pub(crate) http: reqwest::Client,
    pub(crate) token_http: TokenHttp,
    /// The tenant origin as a URL, the base of every request URL.
    pub(crate) base: Url,
    /// `Api-Version`, `Accept`, `Accept-Encoding`, `User-Agent`, ready to send.
    pub(crate) api_headers: [(HeaderName, HeaderValue); 4],
    /// The whole-exchange timeout to set on each request, when the reqwest client does not
    /// apply it itself. Setting one costs reqwest an allocation (it lives in the request's
    /// extensions), so the client this crate builds carries it instead.
    pub(crate) request_timeout: Option<Duration>,
    pub(crate) retry_policy: Option<RetryPolicy>,
    pub(crate) wait_max: Duration,
    pub(crate) max_response_body: usize,
    caches: Mutex<HashMap<Scopes, Arc<TokenCache>>>,
    clock: Clock,
    jitter: bool,
    /// The fleet's token store, if any.
    store: Option<Arc<dyn SharedTokenStore>>,
    /// The fleet's rate pacer, if any.
    pub(crate) pacer: Option<Arc<dyn SharedRatePacer>>,
}

impl Shared {
    /// The cache of `scopes` (`{a b}` and `{b a}` are the same set), made on first use.
    fn cache(&self, scopes: &Scopes) -> Arc<TokenCache> {
        let mut caches = self.caches.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(cache) = caches.get(scopes) {
            return Arc::clone(cache);
        }
        let mut machine = self.config.token_machine(scopes.clone());
        if self.jitter {
            machine.set_refresh_jitter(random_u32());
        }
        let cache = Arc::new(TokenCache::new(machine, self.clock, self.store.clone()));
        caches.insert(scopes.clone(), Arc::clone(&cache));
        cache
    }
}

/// Randomness for the refresh jitter, from the standard library's randomly keyed hasher (no
/// cryptographic quality needed: it only spreads refreshes in time).
fn random_u32() -> u32 {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u64(0x5eed);
    // Truncation intended: any 32 bits of the hash will do.
    #[allow(clippy::cast_possible_truncation)]
    let value = hasher.finish() as u32;
    value
}

impl LuccaClient {
    /// A client for `config` with an HTTP client of this crate's making (rustls with the
    /// platform's certificate verifier, redirects off, no compression), connect timeout 10 s,
    /// whole exchange 30 s, no retry policy and no waiting on the token endpoint's backoff.
    ///
    /// # Errors
    ///
    /// [`BuildError`] when the TLS configuration or the HTTP client cannot be set up.
    pub fn new(config: LuccaConfig) -> Result<LuccaClient, BuildError> {
        LuccaClient::builder(config).build()
    }

    /// A builder to set timeouts, a retry policy or your own `reqwest::Client`.
    pub fn builder(config: LuccaConfig) -> LuccaClientBuilder {
        LuccaClientBuilder {
            config,
            http: None,
            timeouts: None,
            retry_policy: None,
            wait_max: Duration::ZERO,
            max_response_body: DEFAULT_MAX_RESPONSE_BODY,
            jitter: false,
            store: None,
            pacer: None,
        }
    }

    /// A handle for another scope set: same credentials, connections and settings, its own
    /// token (Lucca recommends one scope set per integration flow). Handles for the same set,
    /// in any order, share one token cache: `{a b}` and `{b a}` are one entry.
    #[must_use]
    pub fn scoped(&self, scopes: Scopes) -> LuccaClient {
        LuccaClient {
            cache: self.shared.cache(&scopes),
            shared: Arc::clone(&self.shared),
            scopes: Arc::new(scopes),
        }
    }

    /// The scope set this handle requests tokens for.
    #[must_use]
    pub fn scopes(&self) -> &Scopes {
        &self.scopes
    }

    /// The configuration.
    #[must_use]
    pub fn config(&self) -> &LuccaConfig {
        &self.shared.config
    }

    /// The tenant the API requests go to.
    #[must_use]
    pub fn tenant(&self) -> &TenantHost {
        &self.shared.config.tenant
    }

    /// The reqwest client underneath.
    #[must_use]
    pub fn http_client(&self) -> &reqwest::Client {
        &self.shared.http
    }

    /// A usable access token for this handle's scope set: the cached one while it is valid,
    /// else a new one (fetched by this task, or by another one this task waits for).
    ///
    /// # Errors
    ///
    /// [`Error::Token`] when the token endpoint refuses the client (this stops further token
    /// requests for this scope set: the same request would get the same answer), answers
    /// badly or cannot be reached, or is backing off after a failure for longer than
    /// [`wait_max`](LuccaClientBuilder::wait_max).
    pub async fn token(&self) -> Result<TokenInfo, Error> {
        self.cache
            .token_info(&self.shared.token_http, self.shared.wait_max)
            .await
    }

    /// A request with `method` to `path`, a host-absolute path with optional query on the
    /// tenant (`/lucca-api/leaves?limit=10`). An invalid path is reported by
    /// [`RequestBuilder::send`] as [`Error::InvalidRequest`].
    pub fn request(&self, method: Method, path: &str) -> RequestBuilder {
        RequestBuilder::new(self.clone(), method, path)
    }

    /// A `GET` of `path`, a host-absolute path (with optional query) on the tenant, such as
    /// `/lucca-api/leaves?limit=10`.
    pub fn get(&self, path: &str) -> RequestBuilder {
        self.request(Method::GET, path)
    }

    /// A `HEAD` of `path`.
    pub fn head(&self, path: &str) -> RequestBuilder {
        self.request(Method::HEAD, path)
    }

    /// A `POST` to `path`.
    pub fn post(&self, path: &str) -> RequestBuilder {
        self.request(Method::POST, path)
    }

    /// A `PUT` to `path`.
    pub fn put(&self, path: &str) -> RequestBuilder {
        self.request(Method::PUT, path)
    }

    /// A `PATCH` to `path`.
    pub fn patch(&self, path: &str) -> RequestBuilder {
        self.request(Method::PATCH, path)
    }

    /// A `DELETE` of `path`.
    pub fn delete(&self, path: &str) -> RequestBuilder {
        self.request(Method::DELETE, path)
    }

    /// Every item of the list at `path`, following Lucca's cursor pagination, as a
    /// [`Stream`](futures::Stream) (see [`Pager`]). Put `limit` in the path's query to choose
    /// the page size.
    pub fn pages(&self, path: &str) -> Pager {
        Pager::new(self.clone(), path)
    }

    /// A [`reqwest_middleware::Middleware`] that adds this handle's token to requests for the
    /// tenant origin, and to no other: see [`LuccaAuthMiddleware`](crate::LuccaAuthMiddleware).
    #[cfg(feature = "middleware")]
    #[must_use]
    pub fn middleware(&self) -> crate::LuccaAuthMiddleware {
        crate::LuccaAuthMiddleware::new(self.clone())
    }

    /// Whether two handles use the same token cache (same client, same scope set).
    #[must_use]
    pub fn shares_token_cache_with(&self, other: &LuccaClient) -> bool {
        Arc::ptr_eq(&self.cache, &other.cache)
    }
}

impl fmt::Debug for LuccaClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LuccaClient")
            .field("tenant", &self.shared.config.tenant)
            .field("token_endpoint", &self.shared.config.token_endpoint)
            .field("client_id", self.shared.config.credentials.id())
            .field("scopes", &self.scopes)
            .finish_non_exhaustive()
    }
}

/// Builds a [`LuccaClient`]; from [`LuccaClient::builder`].
///
/// ```
/// use std::time::Duration;
/// use lucca_auth::config::{ClientCredentials, LuccaConfig};
/// use lucca_auth::endpoint::TenantHost;
/// use lucca_auth::secret::{ClientId, ClientSecret};
/// use lucca_auth_reqwest::{LuccaClient, RetryPolicy};
///
/// let config = LuccaConfig::new(
///     ClientCredentials::new(ClientId::new("my-integration"), ClientSecret::new("s3cr3t")),
///     TenantHost::parse("https://acme.ilucca.net")?,
/// );
/// // A caller-built client (proxy, custom roots, …), from this crate's TLS setup with
/// // redirects off.
/// let http = lucca_auth_reqwest::http_client_builder()?
///     .proxy(reqwest::Proxy::https("http://proxy.internal:3128")?)
///     .build()?;
/// let client = LuccaClient::builder(config)
///     .http_client(http)
///     .timeouts(Duration::from_secs(5), Duration::from_secs(20))
///     .retry_policy(RetryPolicy::new())
///     .wait_max(Duration::from_secs(60))
///     .build()?;
/// assert!(!format!("{client:?}").contains("s3cr3t"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[must_use]
pub struct LuccaClientBuilder {
    config: LuccaConfig,
    http: Option<reqwest::Client>,
    timeouts: Option<(Duration, Duration)>,
    retry_policy: Option<RetryPolicy>,
    wait_max: Duration,
    max_response_body: usize,
    jitter: bool,
    store: Option<Arc<dyn SharedTokenStore>>,
    pacer: Option<Arc<dyn SharedRatePacer>>,
}

impl LuccaClientBuilder {
    /// Sends through `client` (built by the caller for proxies, custom root certificates, …)
    /// instead of the default one, for token and API requests.
    ///
    /// Start from [`http_client_builder`], or build it with
    /// `redirect(reqwest::redirect::Policy::none())`: this crate never follows a redirect (a
    /// 3xx is [`Error::Redirect`]), and a client that follows them would resend requests
    /// elsewhere. Leave reqwest's compression features off: token answers with a
    /// `Content-Encoding` are refused by the core (every request asks for `identity`). The
    /// client's own timeouts apply unless [`timeouts`](Self::timeouts) is also called.
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http = Some(client);
        self
    }

    /// The connection timeout (including TLS) and the whole-exchange timeout of every
    /// request (token and API). Default: 10 s and 30 s with the default client. With a
    /// caller-built one only the whole-exchange timeout can be applied: it is set on each
    /// request (which costs reqwest one allocation per request; a timeout configured on the
    /// caller's client costs none).
    pub fn timeouts(mut self, connect: Duration, global: Duration) -> Self {
        self.timeouts = Some((connect, global));
        self
    }

    /// Resends idempotent API requests after transient failures (see [`RetryPolicy`]).
    /// Default: no retries.
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry_policy = Some(policy);
        self
    }

    /// How long a call may wait for the token endpoint's backoff or `Retry-After` to end
    /// before returning the failure that caused it ([`Error::Token`]). Default: zero, one
    /// attempt and no waiting. The wait is an async sleep: no lock is held.
    pub fn wait_max(mut self, wait_max: Duration) -> Self {
        self.wait_max = wait_max;
        self
    }

    /// The longest API response body accepted (default [`DEFAULT_MAX_RESPONSE_BODY`]);
    /// longer is [`Error::ResponseTooLarge`]. Token responses have the core's own limit
    /// (`TokenPolicy::response`).
    pub fn max_response_body(mut self, bytes: usize) -> Self {
        self.max_response_body = bytes;
        self
    }

    /// Makes each scope set's refreshes due up to half the safety margin earlier, by a random
    /// amount, so that many processes started together do not refresh together (default
    /// off: refreshes are due exactly `lifetime − 2 × margin` after the request was sent).
    pub fn refresh_jitter(mut self, on: bool) -> Self {
        self.jitter = on;
        self
    }

    /// Shares tokens with other processes through `store` (see [`shared`](crate::shared)):
    /// when a token is due, the task that leads the refresh adopts the fleet's token or
    /// fetches under the fleet's lease. Default: none, each client fetches its own.
    pub fn shared_store(mut self, store: impl SharedTokenStore + 'static) -> Self {
        self.store = Some(Arc::new(store));
        self
    }

    /// Paces API requests with `pacer` (see [`shared`](crate::shared)): every attempt waits
    /// for a slot of the tenant's budget, and every 429's `Retry-After` is shared. Default:
    /// none, no pacing.
    pub fn shared_pacer(mut self, pacer: impl SharedRatePacer + 'static) -> Self {
        self.pacer = Some(Arc::new(pacer));
        self
    }

    /// The client, with a token cache for the configuration's default scopes.
    ///
    /// # Errors
    ///
    /// [`BuildError`] when the TLS configuration or the default HTTP client cannot be set
    /// up, or a configured header value is refused by the `http` crate.
    pub fn build(self) -> Result<LuccaClient, BuildError> {
        let (http, request_timeout) = match self.http {
            Some(http) => (http, self.timeouts.map(|(_, global)| global)),
            None => {
                let (connect, global) = self
                    .timeouts
                    .unwrap_or((DEFAULT_CONNECT_TIMEOUT, DEFAULT_GLOBAL_TIMEOUT));
                (default_http_client(connect, global)?, None)
            }
        };
        let config = self.config;
        let base = Url::parse(config.tenant.origin()).map_err(|_| BuildError::Tenant)?;
        let api_headers = [
            (
                HeaderName::from_static("api-version"),
                HeaderValue::from_str(config.api_version.as_str())
                    .map_err(|_| BuildError::Header(API_VERSION))?,
            ),
            (ACCEPT, HeaderValue::from_static(ACCEPT_JSON)),
            (ACCEPT_ENCODING, HeaderValue::from_static("identity")),
            (
                USER_AGENT,
                HeaderValue::from_str(config.user_agent.as_str())
                    .map_err(|_| BuildError::Header("User-Agent"))?,
            ),
        ];
        let scopes = config.scopes.clone();
        let shared = Arc::new(Shared {
            token_http: TokenHttp {
                client: http.clone(),
                timeout: request_timeout,
            },
            http,
            base,
            api_headers,
            request_timeout,
            retry_policy: self.retry_policy,
            wait_max: self.wait_max,
            max_response_body: self.max_response_body,
            caches: Mutex::new(HashMap::new()),
            clock: Clock::new(),
            jitter: self.jitter,
            store: self.store,
            pacer: self.pacer,
            config,
        });
        Ok(LuccaClient {
            cache: shared.cache(&scopes),
            shared,
            scopes: Arc::new(scopes),
        })
    }
}

impl fmt::Debug for LuccaClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LuccaClientBuilder")
            .field("config", &self.config)
            .field("custom_http_client", &self.http.is_some())
            .field("timeouts", &self.timeouts)
            .field("retry_policy", &self.retry_policy)
            .field("wait_max", &self.wait_max)
            .field("max_response_body", &self.max_response_body)
            .field("refresh_jitter", &self.jitter)
            .field("shared_store", &self.store)
            .field("shared_pacer", &self.pacer)
            .finish()
    }
}

/// The HTTP client this crate builds: [`http_client_builder`] with a connect timeout and a
/// whole-exchange timeout.
pub(crate) fn default_http_client(
    connect_timeout: Duration,
    timeout: Duration,
) -> Result<reqwest::Client, BuildError> {
    http_client_builder()?
        .connect_timeout(connect_timeout)
        .timeout(timeout)
        .build()
        .map_err(|_| BuildError::Http)
}

/// A `reqwest::ClientBuilder` set up as this crate sets up its own client: rustls with the
/// `ring` crypto provider and the platform's certificate verifier (the system's trust store),
/// HTTP/2 by ALPN, redirects off, no compression (none of reqwest's compression features is
/// enabled by this crate). Add your proxy or other settings, build it and pass it to
/// [`LuccaClientBuilder::http_client`].
///
/// This crate enables reqwest's `rustls-no-provider` feature (so that no cmake-built crypto
/// library is needed) and hands rustls its provider explicitly, without installing a
/// process-wide default. If nothing else in your program enables a reqwest TLS feature,
/// `reqwest::Client::new()` has no crypto provider and panics: start from this builder
/// instead, or enable reqwest's `rustls` feature yourself.
///
/// ```
/// let http = lucca_auth_reqwest::http_client_builder()?
///     .pool_max_idle_per_host(4)
///     .build()?;
/// # let _ = http;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
///
/// [`BuildError::Tls`] when the TLS configuration cannot be set up.
pub fn http_client_builder() -> Result<reqwest::ClientBuilder, BuildError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let verifier = rustls_platform_verifier::Verifier::new(Arc::clone(&provider))
        .map_err(|_| BuildError::Tls)?;
    let mut tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|_| BuildError::Tls)?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth();
    tls.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(reqwest::Client::builder()
        .tls_backend_preconfigured(tls)
        .redirect(reqwest::redirect::Policy::none()))
}

/// Why a [`LuccaClient`] could not be built.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum BuildError {
    /// The TLS configuration could not be set up (no usable platform certificate store).
    Tls,
    /// reqwest refused its configuration.
    Http,
    /// The tenant origin is not a URL reqwest accepts.
    Tenant,
    /// A configured header value is not accepted by the `http` crate.
    Header(&'static str),
}

impl fmt::Display for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BuildError::Tls => f.write_str("the TLS configuration could not be set up"),
            BuildError::Http => f.write_str("the HTTP client could not be built"),
            BuildError::Tenant => f.write_str("the tenant origin is not a usable URL"),
            BuildError::Header(name) => write!(f, "the configured {name} header is not usable"),
        }
    }
}

impl std::error::Error for BuildError {}
