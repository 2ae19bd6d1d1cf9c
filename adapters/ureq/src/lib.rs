//! A blocking client for the Lucca HR API on [`ureq`]: OAuth 2.0 client-credentials tokens
//! cached per scope set and refreshed ahead of expiry, API calls with one retry after a
//! 401, typed errors, and Lucca's cursor pagination.
//!
//! All protocol decisions are made by the sans-IO core, [`lucca_auth`]; this crate is the
//! short driver loop around it: read the clock, feed the core, do the HTTP exchange it asks
//! for.
//!
//! ```no_run
//! use lucca_auth::config::{ClientCredentials, LuccaConfig};
//! use lucca_auth::endpoint::TenantHost;
//! use lucca_auth::scope::Scopes;
//! use lucca_auth::secret::{ClientId, ClientSecret};
//! use lucca_auth_ureq::LuccaClient;
//!
//! let secret = std::env::var("LUCCA_CLIENT_SECRET")?;
//! let config = LuccaConfig::new(
//!     ClientCredentials::new(ClientId::new("my-integration"), ClientSecret::new(secret)),
//!     TenantHost::parse("https://acme.ilucca.net")?,
//! )
//! .with_scopes(Scopes::parse_space_separated("leaves.readonly")?);
//! let client = LuccaClient::new(config);
//!
//! let leaves: serde_json::Value = client.get("/lucca-api/leaves").query("limit", "10").send()?.json()?;
//! for item in client.pages("/lucca-api/leaves?limit=100") {
//!     println!("{}", item?["id"]);
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! The same against the local sandbox (a real HTTP server on loopback), as a test would:
//!
//! ```
//! use lucca_auth::config::{ClientCredentials, LuccaConfig};
//! use lucca_auth::endpoint::{TenantHost, TokenEndpoint};
//! use lucca_auth::scope::Scopes;
//! use lucca_auth::secret::{ClientId, ClientSecret};
//! use lucca_auth_sandbox::{Sandbox, SandboxConfig, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET};
//! use lucca_auth_ureq::{Error, LuccaClient};
//!
//! let sandbox = Sandbox::start(SandboxConfig::default())?;
//! let config = LuccaConfig::new(
//!     ClientCredentials::new(ClientId::new(DEMO_CLIENT_ID), ClientSecret::new(DEMO_CLIENT_SECRET)),
//!     TenantHost::parse(sandbox.api_base())?,
//! )
//! .with_token_endpoint(TokenEndpoint::parse(sandbox.token_url())?)
//! .with_scopes(Scopes::parse_space_separated("leaves.readonly")?);
//! let client = LuccaClient::new(config);
//!
//! let page = client.get("/lucca-api/leaves?limit=2").send()?;
//! assert_eq!(page.status(), 200);
//! assert_eq!(client.pages("/lucca-api/leaves?limit=10").count(), 25);
//!
//! // The demo application was not granted employees.readonly: a typed 403.
//! let refused = client.get("/lucca-api/employees").send().unwrap_err();
//! assert_eq!(
//!     refused,
//!     Error::MissingScope { required: vec!["employees.readonly".into()], description: None }
//! );
//! assert_eq!(sandbox.token_requests_served(), 1);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # How it behaves
//! - **One token cache per scope set**, shared by every clone of a client and every
//!   [`scoped`](LuccaClient::scoped) handle for the same set (`{a b}` and `{b a}` are one
//!   set). At most one token request per set is in flight: the thread that is told to send
//!   it does so without holding the cache's lock; the others wait for its result, or keep
//!   using the current token while it is still valid (a refresh ahead of expiry).
//! - **API calls** ([`get`](LuccaClient::get), …): a 401 drops the token that was refused,
//!   fetches a new one and resends once; a second 401 is [`Error::Unauthorized`]. A 403 is
//!   [`Error::MissingScope`], never a refresh. 429, 408 and 5xx are typed errors, or resent
//!   with an opt-in [`RetryPolicy`] for idempotent requests.
//! - **Redirects are never followed and statuses are never errors in ureq**: every request
//!   is configured with `max_redirects(0)` and `http_status_as_error(false)` at request
//!   level, which also holds for an agent you build yourself; a 3xx is
//!   [`Error::Redirect`]. Every request carries `Accept-Encoding: identity`.
//! - **A connection closed before any answer** (a kept-alive connection the server closed
//!   just as it was reused) is replaced: the request is sent once more on a new connection
//!   when that is harmless — token requests, and GET, HEAD, PUT and DELETE. A POST
//!   or PATCH is not resent (the server may have acted on it): its failure is
//!   [`Error::Transport`].
//! - **Waiting**: by default a call makes one token attempt and returns its failure; with
//!   [`wait_max`](LuccaClientBuilder::wait_max) it waits out a token endpoint's backoff or
//!   `Retry-After` that ends within that time.
//! - **Secrets** never appear in errors or `Debug` output; the token is read only through
//!   [`TokenInfo::access_token`]. The `Authorization` values are marked sensitive for the
//!   `http` crate; copies made inside ureq's buffers are not zeroized.
#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod clock;
mod error;
mod pager;
mod request;
mod retry;
pub mod shared;
mod token;
mod transport;

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use lucca_auth::config::LuccaConfig;
use lucca_auth::scope::Scopes;
use ureq::Agent;
use ureq::http::{HeaderName, HeaderValue, Method};

pub use error::{BodyError, Error, RequestError};
pub use lucca_auth;
pub use pager::Pager;
pub use request::{ApiResponse, RequestBuilder};
pub use retry::RetryPolicy;
pub use shared::{SharedRatePacer, SharedTokenStore};
pub use token::TokenInfo;
pub use ureq;

use token::TokenSlot;
use transport::{Timeouts, Transport};

/// The connection timeout of the default agent: 10 s.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// The whole-exchange timeout of the default agent: 30 s.
pub const DEFAULT_GLOBAL_TIMEOUT: Duration = Duration::from_secs(30);

/// The default limit on API response bodies: 16 MiB.
pub const DEFAULT_MAX_RESPONSE_BODY: usize = 16 * 1024 * 1024;

/// What every handle of one client shares: configuration, agent, and the token caches.
struct Shared {
    config: LuccaConfig,
    transport: Transport,
    retry_policy: Option<RetryPolicy>,
    wait_max: Duration,
    max_response_body: usize,
    /// `Api-Version`, `Accept`, `User-Agent` of every API call.
    api_headers: Vec<(HeaderName, HeaderValue)>,
    /// One token cache per scope set (set equality: order does not matter).
    slots: Mutex<HashMap<Scopes, Arc<TokenSlot>>>,
    /// The fleet's token store, if any.
    store: Option<Arc<dyn SharedTokenStore>>,
    /// The fleet's rate pacer, if any.
    pacer: Option<Arc<dyn SharedRatePacer>>,
}

impl Shared {
    /// The token cache of `scopes`, created on first use.
    fn slot(&self, scopes: &Scopes) -> Arc<TokenSlot> {
        let mut slots = self.slots.lock().unwrap_or_else(PoisonError::into_inner);
        Arc::clone(slots.entry(scopes.clone()).or_insert_with(|| {
            Arc::new(TokenSlot::new(
                self.config.token_machine(scopes.clone()),
                self.store.clone(),
            ))
        }))
    }
}

/// A Lucca API client for one client application and tenant, with a token cache for its
/// scope set. Cheap to clone; clones share the agent (and its connections) and the token
/// caches. `Send + Sync`: share it between threads.
///
/// Build it with [`LuccaClient::new`] or [`LuccaClient::builder`]; see the
/// [crate documentation](crate) for an example.
#[derive(Clone)]
pub struct LuccaClient {
    shared: Arc<Shared>,
    scopes: Scopes,
    slot: Arc<TokenSlot>,
}

impl fmt::Debug for LuccaClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let config = &self.shared.config;
        f.debug_struct("LuccaClient")
            .field("client_id", config.credentials.id())
            .field("token_endpoint", &config.token_endpoint.as_str())
            .field("tenant", &config.tenant.origin())
            .field("scopes", &self.scopes)
            .finish_non_exhaustive()
    }
}

impl LuccaClient {
    /// A client with the default agent (connect timeout 10 s, whole exchange 30 s), no retry
    /// policy and no waiting on the token endpoint's backoff.
    ///
    /// ```
    /// use lucca_auth::config::{ClientCredentials, LuccaConfig};
    /// use lucca_auth::endpoint::TenantHost;
    /// use lucca_auth::secret::{ClientId, ClientSecret};
    /// use lucca_auth_ureq::LuccaClient;
    ///
    /// let config = LuccaConfig::new(
    ///     ClientCredentials::new(ClientId::new("my-integration"), ClientSecret::new("s3cr3t")),
    ///     TenantHost::parse("https://acme.ilucca.net")?,
    /// );
    /// let client = LuccaClient::new(config);
    /// assert!(!format!("{client:?}").contains("s3cr3t"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn new(config: LuccaConfig) -> LuccaClient {
        LuccaClient::builder(config).build()
    }

    /// A builder to set the agent, timeouts, retry policy and waiting.
    pub fn builder(config: LuccaConfig) -> LuccaClientBuilder {
        LuccaClientBuilder {
            config,
            agent: None,
            timeouts: None,
            retry_policy: None,
            wait_max: Duration::ZERO,
            max_response_body: DEFAULT_MAX_RESPONSE_BODY,
            store: None,
            pacer: None,
        }
    }

    /// A handle for another scope set: it shares the credentials, the agent and the settings,
    /// and has the token cache of `scopes` (shared with every other handle for the same set,
    /// in any order).
    ///
    /// Lucca recommends one scope set per integration flow.
    ///
    /// ```
    /// # use lucca_auth::config::{ClientCredentials, LuccaConfig};
    /// # use lucca_auth::endpoint::{TenantHost, TokenEndpoint};
    /// # use lucca_auth::secret::{ClientId, ClientSecret};
    /// # use lucca_auth_sandbox::{Sandbox, SandboxConfig, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET};
    /// use lucca_auth::scope::Scopes;
    /// use lucca_auth_ureq::LuccaClient;
    /// # let sandbox = Sandbox::start(SandboxConfig::default())?;
    /// # let config = LuccaConfig::new(
    /// #     ClientCredentials::new(ClientId::new(DEMO_CLIENT_ID), ClientSecret::new(DEMO_CLIENT_SECRET)),
    /// #     TenantHost::parse(sandbox.api_base())?,
    /// # ).with_token_endpoint(TokenEndpoint::parse(sandbox.token_url())?);
    ///
    /// let client = LuccaClient::new(config);
    /// let both = client.scoped(Scopes::parse_space_separated("leaves.readonly leave-requests.readonly")?);
    /// let same = client.scoped(Scopes::parse_space_separated("leave-requests.readonly leaves.readonly")?);
    /// assert_eq!(both.token()?.generation(), same.token()?.generation());
    /// assert_eq!(sandbox.token_requests_served(), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn scoped(&self, scopes: Scopes) -> LuccaClient {
        LuccaClient {
            slot: self.shared.slot(&scopes),
            shared: Arc::clone(&self.shared),
            scopes,
        }
    }

    /// The scope set this handle requests tokens for.
    #[must_use]
    pub fn scopes(&self) -> &Scopes {
        &self.scopes
    }

    /// The configuration the client was built from.
    #[must_use]
    pub fn config(&self) -> &LuccaConfig {
        &self.shared.config
    }

    /// A usable access token for this handle's scope set: the cached one while it is valid,
    /// else a new one (fetched by this thread, or by another one this thread waits for).
    ///
    /// # Errors
    ///
    /// [`Error::Token`] when the token endpoint refuses the client (this stops further token
    /// requests for this scope set: the same request would get the same answer), answers
    /// badly or cannot be reached, or is backing off after a failure for longer than
    /// [`wait_max`](LuccaClientBuilder::wait_max).
    pub fn token(&self) -> Result<TokenInfo, Error> {
        self.slot
            .with_token(&self.shared.transport, self.shared.wait_max, TokenInfo::new)
    }

    /// A `GET` of `path`, a host-absolute path (with optional query) on the tenant, such as
    /// `/lucca-api/leaves?limit=10`.
    #[must_use]
    pub fn get(&self, path: &str) -> RequestBuilder {
        RequestBuilder::new(self.clone(), Method::GET, path)
    }

    /// A `HEAD` of `path`.
    #[must_use]
    pub fn head(&self, path: &str) -> RequestBuilder {
        RequestBuilder::new(self.clone(), Method::HEAD, path)
    }

    /// A `POST` to `path`.
    #[must_use]
    pub fn post(&self, path: &str) -> RequestBuilder {
        RequestBuilder::new(self.clone(), Method::POST, path)
    }

    /// A `PUT` to `path`.
    #[must_use]
    pub fn put(&self, path: &str) -> RequestBuilder {
        RequestBuilder::new(self.clone(), Method::PUT, path)
    }

    /// A `PATCH` of `path`.
    #[must_use]
    pub fn patch(&self, path: &str) -> RequestBuilder {
        RequestBuilder::new(self.clone(), Method::PATCH, path)
    }

    /// A `DELETE` of `path`.
    #[must_use]
    pub fn delete(&self, path: &str) -> RequestBuilder {
        RequestBuilder::new(self.clone(), Method::DELETE, path)
    }

    /// Every item of the list at `path`, following Lucca's cursor pagination (see
    /// [`Pager`]). Put `limit` in the path's query to choose the page size.
    ///
    /// ```
    /// # use lucca_auth::config::{ClientCredentials, LuccaConfig};
    /// # use lucca_auth::endpoint::{TenantHost, TokenEndpoint};
    /// # use lucca_auth::secret::{ClientId, ClientSecret};
    /// # use lucca_auth_sandbox::{Sandbox, SandboxConfig, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET};
    /// # use lucca_auth_ureq::LuccaClient;
    /// # let sandbox = Sandbox::start(SandboxConfig::default())?;
    /// # let config = LuccaConfig::new(
    /// #     ClientCredentials::new(ClientId::new(DEMO_CLIENT_ID), ClientSecret::new(DEMO_CLIENT_SECRET)),
    /// #     TenantHost::parse(sandbox.api_base())?,
    /// # ).with_token_endpoint(TokenEndpoint::parse(sandbox.token_url())?);
    /// # let client = LuccaClient::new(config);
    /// let ids = client
    ///     .pages("/lucca-api/leave-requests?limit=5")
    ///     .map(|item| item.map(|item| item["id"].as_u64()))
    ///     .collect::<Result<Vec<_>, _>>()?;
    /// assert_eq!(ids.len(), 12);
    /// assert_eq!(sandbox.api_requests("/lucca-api/leave-requests"), 3);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn pages(&self, path: &str) -> Pager {
        Pager::new(self.clone(), path)
    }
}

/// Builds a [`LuccaClient`]; from [`LuccaClient::builder`].
///
/// ```
/// use std::time::Duration;
/// # use lucca_auth::config::{ClientCredentials, LuccaConfig};
/// # use lucca_auth::endpoint::TenantHost;
/// # use lucca_auth::secret::{ClientId, ClientSecret};
/// use lucca_auth_ureq::{LuccaClient, RetryPolicy};
/// # let config = LuccaConfig::new(
/// #     ClientCredentials::new(ClientId::new("my-integration"), ClientSecret::new("s3cr3t")),
/// #     TenantHost::parse("https://acme.ilucca.net")?,
/// # );
///
/// // A caller-built agent (proxy, custom roots, …): redirects stay off all the same.
/// let agent = ureq::Agent::config_builder()
///     .proxy(ureq::Proxy::new("http://proxy.internal:3128").ok())
///     .build()
///     .new_agent();
/// let client = LuccaClient::builder(config)
///     .agent(agent)
///     .timeouts(Duration::from_secs(5), Duration::from_secs(20))
///     .retry_policy(RetryPolicy::new())
///     .wait_max(Duration::from_secs(60))
///     .build();
/// # drop(client);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[must_use]
pub struct LuccaClientBuilder {
    config: LuccaConfig,
    agent: Option<Agent>,
    timeouts: Option<Timeouts>,
    retry_policy: Option<RetryPolicy>,
    wait_max: Duration,
    max_response_body: usize,
    store: Option<Arc<dyn SharedTokenStore>>,
    pacer: Option<Arc<dyn SharedRatePacer>>,
}

impl fmt::Debug for LuccaClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LuccaClientBuilder")
            .field("config", &self.config)
            .field("custom_agent", &self.agent.is_some())
            .field("timeouts", &self.timeouts)
            .field("retry_policy", &self.retry_policy)
            .field("wait_max", &self.wait_max)
            .field("max_response_body", &self.max_response_body)
            .field("shared_store", &self.store)
            .field("shared_pacer", &self.pacer)
            .finish()
    }
}

impl LuccaClientBuilder {
    /// Sends through `agent` (built by the caller for proxies, custom root certificates, …)
    /// instead of the default one.
    ///
    /// Whatever the agent's configuration, each request this client sends overrides it with
    /// `max_redirects(0)` (a 3xx is returned, never followed), `http_status_as_error(false)`
    /// and `Accept-Encoding: identity`. The agent's timeouts apply unless
    /// [`timeouts`](Self::timeouts) is also called.
    pub fn agent(mut self, agent: Agent) -> Self {
        self.agent = Some(agent);
        self
    }

    /// The connection timeout (including TLS) and the whole-exchange timeout of every
    /// request (token and API). Default: 10 s and 30 s with the default agent, the agent's
    /// own with a caller-built one.
    pub fn timeouts(mut self, connect: Duration, global: Duration) -> Self {
        self.timeouts = Some(Timeouts { connect, global });
        self
    }

    /// Resends idempotent API requests after transient failures (see [`RetryPolicy`]).
    /// Default: no retries.
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry_policy = Some(policy);
        self
    }

    /// How long a call may block waiting for the token endpoint's backoff or `Retry-After`
    /// to end before returning the failure that caused it ([`Error::Token`]). Default: zero,
    /// one attempt and no waiting.
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

    /// Shares tokens with other processes through `store` (see [`shared`]): when a token is
    /// due, the client adopts the fleet's newer one, or fetches it under the fleet's lease
    /// while the others wait. Default: none, the client fetches its own tokens.
    pub fn shared_store(mut self, store: impl SharedTokenStore + 'static) -> Self {
        self.store = Some(Arc::new(store));
        self
    }

    /// Paces API requests with `pacer` (see [`shared`]): every attempt waits for a slot of
    /// the tenant's budget, and a 429's `Retry-After` holds back everyone sharing it.
    /// Default: none, requests are not paced.
    pub fn shared_pacer(mut self, pacer: impl SharedRatePacer + 'static) -> Self {
        self.pacer = Some(Arc::new(pacer));
        self
    }

    /// The client, with a token cache for the configuration's default scopes.
    #[must_use]
    pub fn build(self) -> LuccaClient {
        let (agent, timeouts) = match self.agent {
            Some(agent) => (agent, self.timeouts),
            None => {
                let timeouts = self.timeouts.unwrap_or(Timeouts {
                    connect: DEFAULT_CONNECT_TIMEOUT,
                    global: DEFAULT_GLOBAL_TIMEOUT,
                });
                let agent = Agent::config_builder()
                    .max_redirects(0)
                    .http_status_as_error(false)
                    .accept_encoding("identity")
                    .user_agent(self.config.user_agent.as_str())
                    .timeout_connect(Some(timeouts.connect))
                    .timeout_global(Some(timeouts.global))
                    .build()
                    .new_agent();
                (agent, Some(timeouts))
            }
        };
        let api_headers = self
            .config
            .api_request_headers()
            .fields()
            .iter()
            .filter_map(|field| {
                Some((
                    HeaderName::from_bytes(field.name.as_bytes()).ok()?,
                    HeaderValue::from_bytes(field.value).ok()?,
                ))
            })
            .collect();
        let scopes = self.config.scopes.clone();
        let shared = Arc::new(Shared {
            transport: Transport::new(agent, timeouts),
            retry_policy: self.retry_policy,
            wait_max: self.wait_max,
            max_response_body: self.max_response_body,
            api_headers,
            slots: Mutex::new(HashMap::new()),
            store: self.store,
            pacer: self.pacer,
            config: self.config,
        });
        LuccaClient {
            slot: shared.slot(&scopes),
            shared,
            scopes,
        }
    }
}

/// The README's examples, compiled as doctests so that they stay true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send_sync<T: Send + Sync + Clone>() {}

    #[test]
    fn the_client_is_clone_send_and_sync() {
        assert_send_sync::<LuccaClient>();
        fn assert_send<T: Send>() {}
        assert_send::<Pager>();
        assert_send::<RequestBuilder>();
        assert_send::<ApiResponse>();
        assert_send::<TokenInfo>();
        assert_send::<Error>();
    }
}
