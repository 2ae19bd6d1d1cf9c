//! The token cache of one scope set: the core's [`TokenMachine`] under a `std::sync::Mutex`,
//! the ready `Authorization` header of the current token, and the single-flight refresh.
//!
//! # How callers share one token request
//!
//! Every caller locks the slot, asks the machine what to do, and unlocks before awaiting
//! anything (the lock is never held across an `.await`):
//!
//! ```text
//!   poll(now) ── Use(token) ───────► clone the ready header (no allocation), done
//!            ├─ Send(id) ──────────► this caller leads: sends the token request, feeds the
//!            │                       answer to the machine, wakes every waiter, polls again
//!            ├─ AwaitInFlight ─────► register a oneshot waiter, unlock, await it, poll again
//!            ├─ WaitUntil{until} ──► Error::Token at once (the backoff the core chose holds for
//!            │                       every caller: no retry storm), or, when `until` is within
//!            │                       the client's `wait_max`, sleep until then and poll again
//!            └─ Halted(error) ─────► Error::Token
//! ```
//!
//! The leader holds a guard: if its future is dropped mid-request (a timeout around the
//! caller, an aborted task), the guard abandons the request in the machine (no backoff, the
//! late answer is ignored) and wakes the waiters, one of which then polls `Send` and takes
//! over. While a refresh ahead of expiry runs, `poll` keeps answering `Use` with the current
//! token, so only the leader waits for it.
//!
//! With a [shared store](crate::shared) the leader asks it first (adopt the fleet's token,
//! or fetch under its lease), still without the lock; the hot path never touches it.

use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use futures::channel::oneshot;
use lucca_auth::api::{bearer_authorization_len, write_bearer_authorization};
use lucca_auth::machine::{
    CachedToken, TokenAction, TokenClient, TokenGeneration, TokenMachine, TokenOutcome,
    TokenRequestId,
};
use lucca_auth::scope::Scopes;
use lucca_auth::secret::AccessToken;
use lucca_auth::token_request::TokenRequest;
use lucca_auth::token_response::{
    InvalidResponseReason, TokenError, TransportError, TransportErrorKind,
};
use reqwest::header::{ACCEPT_ENCODING, AUTHORIZATION, HeaderName, HeaderValue};
use zeroize::Zeroizing;

use crate::Error;
use crate::shared::{Lease, LeaseAttempt, SharedToken, SharedTokenStore};
use crate::trace::{event, instrument};
use crate::transport::{
    Clock, core_headers, core_response, read_capped, secret_header_value, transport_error,
    zeroizing_bytes,
};

/// How token requests are sent: the HTTP client, and the timeout to set on each token
/// request when the client does not apply one itself.
#[derive(Clone, Debug)]
pub(crate) struct TokenHttp {
    pub(crate) client: reqwest::Client,
    pub(crate) timeout: Option<Duration>,
}

/// The `Authorization` header value of one token generation, ready to send.
///
/// The value is a [`HeaderValue`] marked sensitive (redacted in `Debug`, never indexed by
/// HTTP/2 header compression). Its bytes are shared by every clone and zeroized when the last
/// clone is dropped, which happens once the token is replaced and the requests that carry it
/// are done: it lives as long as the token. Copies hyper makes while writing a request are in
/// hyper's buffers, out of this crate's reach, and are not zeroized.
#[derive(Clone)]
pub(crate) struct Authorization {
    pub(crate) value: HeaderValue,
    pub(crate) generation: TokenGeneration,
}

impl fmt::Debug for Authorization {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Authorization")
            .field("value", &"[redacted]")
            .field("generation", &self.generation)
            .finish()
    }
}

/// What one scope set's callers share.
pub(crate) struct TokenCache {
    slot: Mutex<Slot>,
    clock: Clock,
    /// The scope set as a sorted, space-separated key, for diagnostics.
    #[cfg_attr(not(feature = "tracing"), allow(dead_code))]
    label: String,
    /// The fleet's token store, with the client it is asked about.
    shared: Option<(Arc<dyn SharedTokenStore>, TokenClient)>,
}

/// What the leader does, after asking the shared store.
enum Fetch {
    /// A token from the store was imported: no token request.
    Adopted,
    /// Send the token request, holding this lease if the store gave one.
    Send(Option<Lease>),
}

struct Slot {
    machine: TokenMachine,
    ready: Option<Authorization>,
    /// Callers waiting for the request in flight. Dropping the senders wakes them.
    waiters: Vec<oneshot::Sender<()>>,
}

/// What a caller does after looking at the slot.
enum Next {
    Wait(oneshot::Receiver<()>),
    Sleep(Duration),
    Lead(TokenRequestId, Box<reqwest::Request>, usize, bool),
}

fn lock(slot: &Mutex<Slot>) -> MutexGuard<'_, Slot> {
    // A panic while the slot was locked cannot leave the machine half-updated (each method
    // call is one step), so a poisoned lock is still usable.
    slot.lock().unwrap_or_else(PoisonError::into_inner)
}

impl TokenCache {
    pub(crate) fn new(
        machine: TokenMachine,
        clock: Clock,
        store: Option<Arc<dyn SharedTokenStore>>,
    ) -> Self {
        let label = machine.client().scopes.cache_key();
        TokenCache {
            shared: store.map(|store| (store, machine.client().clone())),
            slot: Mutex::new(Slot {
                machine,
                ready: None,
                waiters: Vec::new(),
            }),
            clock,
            label,
        }
    }

    /// The `Authorization` header of a usable token, fetching one if needed (single flight).
    #[cfg_attr(not(feature = "tracing"), allow(unused_variables))]
    pub(crate) async fn authorization(
        &self,
        http: &TokenHttp,
        wait_max: Duration,
    ) -> Result<Authorization, Error> {
        let deadline = self.clock.now() + wait_max;
        loop {
            let next = {
                let mut slot = lock(&self.slot);
                let now = self.clock.now();
                let Slot {
                    machine,
                    ready,
                    waiters,
                } = &mut *slot;
                let refreshing = machine.current().is_some_and(|t| t.is_usable(now));
                match machine.poll(now) {
                    TokenAction::Use(token) => return ready_header(ready, token),
                    TokenAction::Send(id) => {
                        let max_body = machine.policy().response.max_body_len;
                        match prepare(&machine.token_request()) {
                            Ok(request) => Next::Lead(id, Box::new(request), max_body, refreshing),
                            Err(error) => {
                                machine.handle_transport_error(now, id, error);
                                waiters.clear();
                                continue;
                            }
                        }
                    }
                    TokenAction::AwaitInFlight => {
                        let (sender, receiver) = oneshot::channel();
                        waiters.retain(|waiter| !waiter.is_canceled());
                        waiters.push(sender);
                        Next::Wait(receiver)
                    }
                    TokenAction::WaitUntil { until, last_error } => {
                        if until > deadline {
                            return Err(Error::Token(
                                last_error.cloned().unwrap_or_else(backing_off),
                            ));
                        }
                        Next::Sleep(until - now)
                    }
                    TokenAction::Halted(error) => return Err(Error::Token(error.clone())),
                    _ => return Err(Error::Token(backing_off())),
                }
            };
            match next {
                Next::Wait(receiver) => {
                    event!(trace, scopes = %self.label, "waiting for the token request in flight");
                    // Woken (or the sender dropped) when the request in flight ends or is
                    // abandoned: look at the machine again either way.
                    let _ = receiver.await;
                }
                Next::Sleep(wait) => {
                    event!(debug, scopes = %self.label, wait_ms = wait.as_millis(), "token endpoint backing off; waiting (within wait_max)");
                    tokio::time::sleep(wait).await;
                }
                Next::Lead(id, request, max_body, refreshing) => {
                    let lead = self.lead(http, id, *request, max_body);
                    instrument!(
                        lead,
                        debug_span,
                        "lucca_auth.token_request",
                        scopes = %self.label,
                        refresh = refreshing
                    )
                    .await;
                }
            }
        }
    }

    /// Sends the token request `id`, feeds the outcome to the machine and wakes the waiters.
    #[cfg_attr(not(feature = "tracing"), allow(unused_variables))]
    async fn lead(
        &self,
        http: &TokenHttp,
        id: TokenRequestId,
        request: reqwest::Request,
        max_body: usize,
    ) {
        let mut guard = LeaderGuard {
            cache: self,
            id: Some(id),
        };
        let lease = match self.ask_shared_store(id).await {
            Fetch::Adopted => {
                guard.id = None;
                event!(debug, "token adopted from the fleet's store");
                return;
            }
            Fetch::Send(lease) => lease,
        };
        event!(debug, "sending token request");
        let fetched = fetch(http, request, max_body).await;
        // The guard cannot fire once disarmed; the only awaits left are the store's publish
        // or release, after the machine has the answer.
        guard.id = None;
        let (outcome, fresh) = self.feed(id, &fetched);
        match &outcome {
            TokenOutcome::Issued(generation) => {
                event!(info, generation = generation.get(), "token issued");
            }
            TokenOutcome::Failed(error) => {
                event!(warn, error = %error, retryable = error.is_retryable(), "token request failed");
            }
            _ => event!(debug, "token answer ignored (stale)"),
        }
        if let (Some((store, client)), Some(lease)) = (&self.shared, lease) {
            match fresh {
                Some(token) => store.publish(client, &token, lease).await,
                None => store.release(client, lease).await,
            }
        }
    }

    /// Feeds the answer to request `id` to the machine and wakes the waiters. Returns the
    /// outcome, and the token just issued as the shared store takes it (with a store only).
    fn feed(
        &self,
        id: TokenRequestId,
        fetched: &Result<Fetched, TransportError>,
    ) -> (TokenOutcome, Option<SharedToken>) {
        let mut slot = lock(&self.slot);
        let now = self.clock.now();
        let outcome = match fetched {
            Ok(answer) => {
                let headers = core_headers(&answer.headers);
                let response = core_response(answer.status, &headers, &answer.body);
                slot.machine.handle_token_response(now, id, &response)
            }
            Err(error) => slot.machine.handle_transport_error(now, id, error.clone()),
        };
        if matches!(outcome, TokenOutcome::Issued(_)) {
            // The previous token's header goes once the requests still carrying it are done.
            slot.ready = None;
        }
        slot.waiters.clear();
        let fresh = match outcome {
            TokenOutcome::Issued(_) if self.shared.is_some() => slot
                .machine
                .current()
                .map(|token| SharedToken::from_cached(token, now)),
            _ => None,
        };
        (outcome, fresh)
    }

    /// With a shared store, asked by the leader of request `id` (the slot unlocked): adopt
    /// the fleet's token if it has a better one, else fetch under the fleet's lease (waiting
    /// while another worker holds it), or alone when the store is unavailable. See
    /// [`shared`](crate::shared) for the steps.
    async fn ask_shared_store(&self, id: TokenRequestId) -> Fetch {
        let Some((store, client)) = &self.shared else {
            return Fetch::Send(None);
        };
        loop {
            if self.adopt_from(store.as_ref(), client, id).await {
                return Fetch::Adopted;
            }
            match store.try_lease(client).await {
                LeaseAttempt::Acquired(lease) => {
                    // A token published between the load and the lease is adopted too.
                    if self.adopt_from(store.as_ref(), client, id).await {
                        store.release(client, lease).await;
                        return Fetch::Adopted;
                    }
                    return Fetch::Send(Some(lease));
                }
                LeaseAttempt::Busy => store.wait(client).await,
                _ => return Fetch::Send(None),
            }
        }
    }

    /// Loads the store's token and imports it if it beats the machine's; then request `id`
    /// is abandoned and the waiters are woken. Returns whether it was imported.
    async fn adopt_from(
        &self,
        store: &dyn SharedTokenStore,
        client: &TokenClient,
        id: TokenRequestId,
    ) -> bool {
        let Some(token) = store.load(client).await else {
            return false;
        };
        let mut slot = lock(&self.slot);
        let now = self.clock.now();
        if lucca_auth::fleet::adopt(&mut slot.machine, now, token).is_none() {
            return false;
        }
        slot.machine.abandon(id);
        // The previous token's header goes once the requests still carrying it are done.
        slot.ready = None;
        slot.waiters.clear();
        true
    }

    /// Drops the token of `generation` after the API refused it; a newer token is kept, and
    /// the refused one is never adopted again. With a shared store, asks it to drop the
    /// refused token for the fleet.
    pub(crate) async fn invalidate(&self, generation: TokenGeneration) {
        let refused = self.drop_generation(generation);
        if let (Some((store, client)), Some(refused)) = (&self.shared, refused) {
            store.discard(client, &refused).await;
        }
    }

    /// The synchronous part of [`invalidate`](Self::invalidate): drops the token of
    /// `generation` if it is current, and returns it when a shared store must hear of it.
    fn drop_generation(&self, generation: TokenGeneration) -> Option<AccessToken> {
        let mut slot = lock(&self.slot);
        let refused = self.shared.as_ref().and_then(|_| {
            slot.machine
                .current()
                .filter(|token| token.generation() == generation)
                .map(|token| token.access_token().clone())
        });
        if !slot.machine.invalidate(generation) {
            return None;
        }
        if slot
            .ready
            .as_ref()
            .is_some_and(|r| r.generation == generation)
        {
            slot.ready = None;
        }
        drop(slot);
        event!(info, scopes = %self.label, generation = generation.get(), "token refused by the API: invalidated");
        refused
    }

    /// A usable token and what is known about it, fetching one if needed.
    pub(crate) async fn token_info(
        &self,
        http: &TokenHttp,
        wait_max: Duration,
    ) -> Result<TokenInfo, Error> {
        loop {
            let authorization = self.authorization(http, wait_max).await?;
            let slot = lock(&self.slot);
            let now = self.clock.now();
            if let Some(token) = slot.machine.current().filter(|t| t.is_usable(now)) {
                return Ok(TokenInfo::new(
                    token,
                    &slot.machine.client().scopes,
                    self.clock,
                ));
            }
            drop(slot);
            // The token expired or was invalidated in between: fetch again.
            let _ = authorization;
        }
    }
}

/// Abandons the request in flight if the leader is dropped before it fed the answer.
struct LeaderGuard<'a> {
    cache: &'a TokenCache,
    id: Option<TokenRequestId>,
}

impl Drop for LeaderGuard<'_> {
    fn drop(&mut self) {
        if let Some(id) = self.id.take() {
            let mut slot = lock(&self.cache.slot);
            slot.machine.abandon(id);
            slot.waiters.clear();
            drop(slot);
            event!(debug, scopes = %self.cache.label, "token request abandoned by a cancelled caller; a waiter takes over");
        }
    }
}

/// The ready header of `token`, built once per generation.
fn ready_header(
    ready: &mut Option<Authorization>,
    token: &CachedToken,
) -> Result<Authorization, Error> {
    let generation = token.generation();
    if let Some(authorization) = ready.as_ref().filter(|r| r.generation == generation) {
        return Ok(authorization.clone());
    }
    let value = bearer_header(token.access_token()).ok_or(Error::Token(
        TokenError::InvalidResponse(InvalidResponseReason::InvalidAccessToken),
    ))?;
    let authorization = Authorization { value, generation };
    *ready = Some(authorization.clone());
    Ok(authorization)
}

/// `Bearer <token>` as a sensitive header value over zeroizing storage.
fn bearer_header(token: &AccessToken) -> Option<HeaderValue> {
    let mut buffer = Zeroizing::new(vec![0u8; bearer_authorization_len(token)]);
    let written = write_bearer_authorization(token, &mut buffer).ok()?;
    buffer.truncate(written);
    secret_header_value(buffer)
}

fn backing_off() -> TokenError {
    TokenError::Transport(
        TransportError::new(TransportErrorKind::Other)
            .with_detail("token requests are backing off"),
    )
}

/// The token request as a reqwest request: the secret parts (form body, Basic credentials)
/// in zeroizing storage.
fn prepare(request: &TokenRequest<'_>) -> Result<reqwest::Request, TransportError> {
    let invalid =
        || TransportError::new(TransportErrorKind::Other).with_detail("invalid token request");
    let url = reqwest::Url::parse(request.url()).map_err(|_| invalid())?;
    let mut http = reqwest::Request::new(reqwest::Method::POST, url);
    let headers = http.headers_mut();
    for field in request.header_fields() {
        let name = HeaderName::from_bytes(field.name.as_bytes()).map_err(|_| invalid())?;
        let value = HeaderValue::from_bytes(field.value).map_err(|_| invalid())?;
        headers.insert(name, value);
    }
    headers.insert(ACCEPT_ENCODING, HeaderValue::from_static("identity"));
    if let Some(basic) = request.basic_authorization() {
        let bytes = Zeroizing::new(basic.as_bytes().to_vec());
        headers.insert(
            AUTHORIZATION,
            secret_header_value(bytes).ok_or_else(invalid)?,
        );
    }
    let mut body = request.body();
    *http.body_mut() = Some(reqwest::Body::from(zeroizing_bytes(Zeroizing::new(
        std::mem::take(&mut *body),
    ))));
    Ok(http)
}

/// A token endpoint answer, read with the core's size cap.
struct Fetched {
    status: u16,
    headers: reqwest::header::HeaderMap,
    body: Zeroizing<Vec<u8>>,
}

async fn fetch(
    http: &TokenHttp,
    mut request: reqwest::Request,
    max_body: usize,
) -> Result<Fetched, TransportError> {
    if http.timeout.is_some() {
        *request.timeout_mut() = http.timeout;
    }
    let mut response = http
        .client
        .execute(request)
        .await
        .map_err(|error| transport_error(&error))?;
    let status = response.status().as_u16();
    let capacity = response
        .content_length()
        .and_then(|length| usize::try_from(length).ok())
        .unwrap_or(4096)
        .min(max_body.saturating_add(1));
    let mut body = Zeroizing::new(Vec::with_capacity(capacity));
    read_capped(&mut response, max_body, &mut body)
        .await
        .map_err(|error| transport_error(&error))?;
    Ok(Fetched {
        status,
        headers: response.headers().clone(),
        body,
    })
}

/// A usable access token and what the client knows about it, from
/// [`LuccaClient::token`](crate::LuccaClient::token).
///
/// `Debug` shows everything but the token itself.
#[derive(Clone)]
pub struct TokenInfo {
    access_token: AccessToken,
    generation: TokenGeneration,
    granted: Scopes,
    requested: Scopes,
    expires_in: Option<Duration>,
    usable_until: std::time::Instant,
    refresh_at: std::time::Instant,
    token_type_missing: bool,
}

impl TokenInfo {
    fn new(token: &CachedToken, requested: &Scopes, clock: Clock) -> Self {
        TokenInfo {
            access_token: token.access_token().clone(),
            generation: token.generation(),
            granted: token.granted().clone(),
            requested: requested.clone(),
            expires_in: (!token.expires_in_missing()).then(|| token.lifetime()),
            usable_until: clock.to_std(token.usable_until()),
            refresh_at: clock.to_std(token.refresh_at()),
            token_type_missing: token.token_type_missing(),
        }
    }

    /// The access token. Its `Debug` is redacted; read it with
    /// [`AccessToken::secret`], which whoever holds it can use to call the API as your
    /// integration until it expires.
    #[must_use]
    pub fn access_token(&self) -> &AccessToken {
        &self.access_token
    }

    /// Which token of this scope set this is (1 for the first, increasing with each token
    /// issued).
    #[must_use]
    pub fn generation(&self) -> TokenGeneration {
        self.generation
    }

    /// The scopes the token carries: the server's `scope` member, or the requested scopes
    /// when it sent none (RFC 6749 §5.1).
    #[must_use]
    pub fn granted(&self) -> &Scopes {
        &self.granted
    }

    /// The scopes requested for this scope set.
    #[must_use]
    pub fn requested(&self) -> &Scopes {
        &self.requested
    }

    /// The requested scopes the server did not grant (servers drop unknown scopes silently).
    #[must_use]
    pub fn not_granted(&self) -> Scopes {
        self.requested.difference(&self.granted)
    }

    /// The lifetime the server stated in `expires_in` (clamped to one year); `None` when it
    /// sent none (the configured default lifetime then applies).
    #[must_use]
    pub fn expires_in(&self) -> Option<Duration> {
        self.expires_in
    }

    /// The token is handed out only strictly before this instant: the server's lifetime,
    /// counted from when the request was sent, minus a safety margin.
    #[must_use]
    pub fn usable_until(&self) -> std::time::Instant {
        self.usable_until
    }

    /// From this instant the next caller refreshes the token ahead of expiry (the others
    /// keep using it until [`usable_until`](Self::usable_until)).
    #[must_use]
    pub fn refresh_at(&self) -> std::time::Instant {
        self.refresh_at
    }

    /// Whether the server omitted `token_type` (the token is used as a Bearer token).
    #[must_use]
    pub fn token_type_missing(&self) -> bool {
        self.token_type_missing
    }
}

impl fmt::Debug for TokenInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenInfo")
            .field("access_token", &self.access_token)
            .field("generation", &self.generation)
            .field("granted", &self.granted)
            .field("requested", &self.requested)
            .field("expires_in", &self.expires_in)
            .field("usable_until", &self.usable_until)
            .field("refresh_at", &self.refresh_at)
            .field("token_type_missing", &self.token_type_missing)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use futures::FutureExt as _;
    use lucca_auth::config::{ClientCredentials, LuccaConfig};
    use lucca_auth::endpoint::TenantHost;
    use lucca_auth::response::{Header, HttpResponse};
    use lucca_auth::secret::{ClientId, ClientSecret};

    use super::*;

    /// A cache whose machine holds the token `token`.
    fn cache_with(token: &str) -> TokenCache {
        let Ok(tenant) = TenantHost::parse("https://acme.ilucca.net") else {
            panic!("tenant");
        };
        let config = LuccaConfig::new(
            ClientCredentials::new(ClientId::new("app"), ClientSecret::new("s3cr3t")),
            tenant,
        );
        let cache = TokenCache::new(config.token_machine(Scopes::new()), Clock::new(), None);
        feed(&cache, token);
        cache
    }

    /// Replaces the cache's token with `token`, as a token answer would.
    fn feed(cache: &TokenCache, token: &str) {
        let mut slot = lock(&cache.slot);
        let now = cache.clock.now();
        if let Some(generation) = slot.machine.current().map(CachedToken::generation) {
            slot.machine.invalidate(generation);
        }
        let TokenAction::Send(id) = slot.machine.poll(now) else {
            panic!("the machine asks for a token");
        };
        let headers = [Header {
            name: "Content-Type",
            value: b"application/json",
        }];
        let body =
            format!(r#"{{"access_token":"{token}","token_type":"Bearer","expires_in":3600}}"#);
        let answer = HttpResponse::new(200, &headers, body.as_bytes());
        let outcome = slot.machine.handle_token_response(now, id, &answer);
        assert!(matches!(outcome, TokenOutcome::Issued(_)), "{outcome:?}");
    }

    fn http() -> TokenHttp {
        let Ok(client) =
            crate::client::default_http_client(Duration::from_secs(1), Duration::from_secs(5))
        else {
            panic!("HTTP client");
        };
        TokenHttp {
            client,
            timeout: None,
        }
    }

    /// The authorization of a cached token, which must be ready without awaiting anything.
    fn ready(cache: &TokenCache, http: &TokenHttp) -> Authorization {
        match cache.authorization(http, Duration::ZERO).now_or_never() {
            Some(Ok(authorization)) => authorization,
            other => panic!("a cached token is ready at once: {other:?}"),
        }
    }

    #[test]
    fn the_header_is_built_once_per_generation_and_sensitive() {
        let cache = cache_with("tok-1");
        let http = http();
        let first = ready(&cache, &http);
        assert_eq!(first.value.as_bytes(), b"Bearer tok-1");
        assert!(first.value.is_sensitive());
        assert_eq!(format!("{:?}", first.value), "Sensitive");
        assert_eq!(first.generation.get(), 1);
        let again = ready(&cache, &http);
        // The same bytes, shared: not a copy.
        assert_eq!(
            again.value.as_bytes().as_ptr(),
            first.value.as_bytes().as_ptr()
        );

        feed(&cache, "tok-2");
        let second = ready(&cache, &http);
        assert_eq!(second.value.as_bytes(), b"Bearer tok-2");
        assert_eq!(second.generation.get(), 2);
        // A header of the older generation still in use keeps its bytes.
        assert_eq!(first.value.as_bytes(), b"Bearer tok-1");
        assert!(!format!("{second:?}").contains("tok-2"));
    }

    #[test]
    fn the_hot_path_allocates_nothing() {
        let cache = cache_with("tok-1");
        let http = http();
        drop(ready(&cache, &http));
        let counted = allocation_counter::measure(|| {
            for _ in 0..100 {
                let authorization = ready(&cache, &http);
                assert_eq!(authorization.generation.get(), 1);
            }
        });
        assert_eq!(counted.count_total, 0, "{counted:?}");
    }

    #[test]
    fn invalidate_drops_only_the_refused_generation() {
        let cache = cache_with("tok-1");
        let http = http();
        let first = ready(&cache, &http);
        feed(&cache, "tok-2");
        // A late 401 for generation 1 leaves generation 2 alone.
        assert_eq!(cache.invalidate(first.generation).now_or_never(), Some(()));
        assert_eq!(ready(&cache, &http).value.as_bytes(), b"Bearer tok-2");
        let second = ready(&cache, &http).generation;
        assert_eq!(cache.invalidate(second).now_or_never(), Some(()));
        let slot = lock(&cache.slot);
        assert!(slot.machine.current().is_none());
        assert!(slot.ready.is_none());
    }

    /// A store that answers `load` from a script of tokens and records every call.
    #[derive(Debug, Default)]
    struct ScriptedStore {
        loads: Mutex<Vec<Option<&'static str>>>,
        calls: Mutex<Vec<String>>,
    }

    impl ScriptedStore {
        fn record(&self, call: String) {
            lock_calls(&self.calls).push(call);
        }
    }

    fn lock_calls<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
        mutex.lock().unwrap_or_else(PoisonError::into_inner)
    }

    impl SharedTokenStore for ScriptedStore {
        fn load<'a>(
            &'a self,
            _: &'a TokenClient,
        ) -> crate::shared::BoxFuture<'a, Option<SharedToken>> {
            let next = lock_calls(&self.loads).pop().flatten();
            self.record(format!("load {}", next.unwrap_or("-")));
            Box::pin(async move {
                next.map(|token| {
                    SharedToken::new(
                        AccessToken::new(token),
                        Scopes::new(),
                        Duration::from_secs(60),
                    )
                })
            })
        }

        fn try_lease<'a>(
            &'a self,
            _: &'a TokenClient,
        ) -> crate::shared::BoxFuture<'a, LeaseAttempt> {
            self.record("try_lease".to_owned());
            Box::pin(async { LeaseAttempt::Acquired(Lease::new("L1")) })
        }

        fn publish<'a>(
            &'a self,
            _: &'a TokenClient,
            _: &'a SharedToken,
            lease: Lease,
        ) -> crate::shared::BoxFuture<'a, ()> {
            self.record(format!("publish {}", lease.value()));
            Box::pin(async {})
        }

        fn release<'a>(
            &'a self,
            _: &'a TokenClient,
            lease: Lease,
        ) -> crate::shared::BoxFuture<'a, ()> {
            self.record(format!("release {}", lease.value()));
            Box::pin(async {})
        }

        fn wait<'a>(&'a self, _: &'a TokenClient) -> crate::shared::BoxFuture<'a, ()> {
            self.record("wait".to_owned());
            Box::pin(async {})
        }

        fn discard<'a>(
            &'a self,
            _: &'a TokenClient,
            refused: &'a AccessToken,
        ) -> crate::shared::BoxFuture<'a, ()> {
            self.record(format!("discard {}", refused.secret()));
            Box::pin(async {})
        }
    }

    #[test]
    fn the_leader_adopts_from_the_store_and_never_takes_a_refused_token_back() {
        let Ok(tenant) = TenantHost::parse("https://acme.ilucca.net") else {
            panic!("tenant");
        };
        let config = LuccaConfig::new(
            ClientCredentials::new(ClientId::new("app"), ClientSecret::new("s3cr3t")),
            tenant,
        );
        let store = Arc::new(ScriptedStore::default());
        // Popped from the end: the fleet's token, then (after the 401) the refused one
        // still stored, then a new one published between the load and the lease.
        *lock_calls(&store.loads) = vec![Some("fleet-2"), Some("fleet-1"), Some("fleet-1")];
        let shared: Arc<dyn SharedTokenStore> = store.clone();
        let cache = TokenCache::new(
            config.token_machine(Scopes::new()),
            Clock::new(),
            Some(shared),
        );
        let http = http();
        let first = ready(&cache, &http);
        assert_eq!(first.value.as_bytes(), b"Bearer fleet-1");
        // The hot path does not ask the store.
        assert_eq!(ready(&cache, &http).generation, first.generation);
        assert_eq!(cache.invalidate(first.generation).now_or_never(), Some(()));
        let second = ready(&cache, &http);
        assert_eq!(second.value.as_bytes(), b"Bearer fleet-2");
        assert_eq!(
            *lock_calls(&store.calls),
            [
                "load fleet-1",
                "discard fleet-1",
                "load fleet-1",
                "try_lease",
                "load fleet-2",
                "release L1",
            ]
        );
    }

    #[test]
    fn secret_bytes_round_trip() {
        let Some(value) = secret_header_value(Zeroizing::new(b"Basic abc".to_vec())) else {
            panic!("a valid header value");
        };
        assert_eq!(value.as_bytes(), b"Basic abc");
        assert!(value.is_sensitive());
        assert!(secret_header_value(Zeroizing::new(b"a\r\nb".to_vec())).is_none());
    }
}
