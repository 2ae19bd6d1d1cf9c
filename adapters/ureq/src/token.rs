//! The token cache of one scope set ([`TokenSlot`]): a [`TokenMachine`] behind a mutex, a
//! condition variable for the threads that wait on its one request in flight, and the loop
//! that drives the machine. And [`TokenInfo`], what a caller learns about the token it got.

use std::fmt;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use lucca_auth::machine::{
    CachedToken, TokenAction, TokenClient, TokenGeneration, TokenMachine, TokenOutcome,
    TokenRequestId,
};
use lucca_auth::scope::Scopes;
use lucca_auth::secret::AccessToken;
use lucca_auth::token_response::{TokenError, TransportError, TransportErrorKind};

use crate::clock;
use crate::error::Error;
use crate::shared::{self, LeaseAttempt, SharedToken, SharedTokenStore};
use crate::transport::{TokenHttpRequest, Transport};

/// The token cache entry of one scope set, shared by every client handle for that set.
pub(crate) struct TokenSlot {
    machine: Mutex<TokenMachine>,
    /// Notified whenever the machine's state changes (an answer was fed, a request
    /// abandoned), so that waiting threads poll it again.
    changed: Condvar,
    /// The scopes asked for, to tell what was not granted.
    requested: Scopes,
    /// The fleet's token store, with the client it is asked about.
    shared: Option<(Arc<dyn SharedTokenStore>, TokenClient)>,
}

/// What the thread chosen to fetch does, after asking the shared store.
enum Fetch {
    /// A token from the store was imported: no token request.
    Adopted,
    /// Send the token request, holding this lease if the store gave one.
    Send(Option<shared::Lease>),
}

impl fmt::Debug for TokenSlot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenSlot")
            .field("requested", &self.requested)
            .finish_non_exhaustive()
    }
}

/// Abandons the in-flight request if the sending thread unwinds before feeding its answer,
/// so that other threads do not wait for it forever.
struct InFlight<'s> {
    slot: &'s TokenSlot,
    id: Option<TokenRequestId>,
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        if let Some(id) = self.id.take() {
            self.slot.lock().abandon(id);
            self.slot.changed.notify_all();
        }
    }
}

impl TokenSlot {
    pub(crate) fn new(machine: TokenMachine, store: Option<Arc<dyn SharedTokenStore>>) -> Self {
        TokenSlot {
            requested: machine.client().scopes.clone(),
            shared: store.map(|store| (store, machine.client().clone())),
            machine: Mutex::new(machine),
            changed: Condvar::new(),
        }
    }

    /// The machine. A panic in another thread while it held the lock leaves the machine in
    /// a consistent state (every method of it is a single update), so poisoning is ignored.
    fn lock(&self) -> MutexGuard<'_, TokenMachine> {
        self.machine.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Drives the machine until it hands out a token, then runs `use_token` on it (under the
    /// lock: keep it short).
    ///
    /// At most one thread sends the token request, without holding the lock; the others
    /// wait on the condition variable, or use the current token while it is still valid. A
    /// backoff (after a failure, or a `Retry-After`) is waited out if it ends within
    /// `wait_max` of the call; otherwise the failure that caused it is returned.
    pub(crate) fn with_token<R>(
        &self,
        transport: &Transport,
        wait_max: Duration,
        use_token: impl FnOnce(&CachedToken, &Scopes) -> R,
    ) -> Result<R, Error> {
        let deadline = clock::now() + wait_max;
        let mut machine = self.lock();
        loop {
            let now = clock::now();
            let id = match machine.poll(now) {
                TokenAction::Use(token) => return Ok(use_token(token, &self.requested)),
                TokenAction::Send(id) => id,
                TokenAction::AwaitInFlight => {
                    machine = self
                        .changed
                        .wait(machine)
                        .unwrap_or_else(PoisonError::into_inner);
                    continue;
                }
                TokenAction::WaitUntil { until, last_error } => {
                    if until > deadline {
                        return Err(Error::Token(last_error.cloned().unwrap_or_else(|| {
                            TokenError::Transport(
                                TransportError::new(TransportErrorKind::Other)
                                    .with_detail("the token endpoint is backing off"),
                            )
                        })));
                    }
                    machine = self
                        .changed
                        .wait_timeout(machine, until - now)
                        .unwrap_or_else(PoisonError::into_inner)
                        .0;
                    continue;
                }
                TokenAction::Halted(error) => return Err(Error::Token(error.clone())),
                _ => {
                    return Err(Error::Token(TokenError::Transport(
                        TransportError::new(TransportErrorKind::Other)
                            .with_detail("unexpected token state"),
                    )));
                }
            };
            let request = TokenHttpRequest::new(
                &machine.token_request(),
                machine.policy().response.max_body_len,
            );
            drop(machine);
            let mut in_flight = InFlight {
                slot: self,
                id: Some(id),
            };
            let lease = match self.ask_shared_store(id) {
                Fetch::Adopted => {
                    in_flight.id = None;
                    machine = self.lock();
                    continue;
                }
                Fetch::Send(lease) => lease,
            };
            let answer = transport.token_exchange(&request);
            drop(request);
            machine = self.lock();
            in_flight.id = None;
            let now = clock::now();
            let outcome = match answer {
                Ok(response) => {
                    response.with_view(|view| machine.handle_token_response(now, id, view))
                }
                Err(error) => machine.handle_transport_error(now, id, error),
            };
            self.changed.notify_all();
            if let (Some((store, client)), Some(lease)) = (&self.shared, lease) {
                let fresh = match outcome {
                    TokenOutcome::Issued(_) => machine
                        .current()
                        .map(|token| SharedToken::from_cached(token, now)),
                    _ => None,
                };
                drop(machine);
                match fresh {
                    Some(token) => store.publish(client, &token, lease),
                    None => store.release(client, lease),
                }
                machine = self.lock();
            }
        }
    }

    /// With a shared store, asked by the thread that holds request `id` (the slot unlocked):
    /// adopt the fleet's token if it has a better one, else fetch under the fleet's lease
    /// (waiting while another worker holds it), or alone when the store is unavailable. See
    /// [`shared`](crate::shared) for the steps.
    fn ask_shared_store(&self, id: TokenRequestId) -> Fetch {
        let Some((store, client)) = &self.shared else {
            return Fetch::Send(None);
        };
        loop {
            if self.adopt_from(store.as_ref(), client, id) {
                return Fetch::Adopted;
            }
            match store.try_lease(client) {
                LeaseAttempt::Acquired(lease) => {
                    // A token published between the load and the lease is adopted too.
                    if self.adopt_from(store.as_ref(), client, id) {
                        store.release(client, lease);
                        return Fetch::Adopted;
                    }
                    return Fetch::Send(Some(lease));
                }
                LeaseAttempt::Busy => store.wait(client),
                _ => return Fetch::Send(None),
            }
        }
    }

    /// Loads the store's token and imports it if it beats the machine's; then request `id`
    /// is abandoned and the waiting threads are woken. Returns whether it was imported.
    fn adopt_from(
        &self,
        store: &dyn SharedTokenStore,
        client: &TokenClient,
        id: TokenRequestId,
    ) -> bool {
        let Some(token) = store.load(client) else {
            return false;
        };
        let mut machine = self.lock();
        if lucca_auth::fleet::adopt(&mut machine, clock::now(), token).is_none() {
            return false;
        }
        machine.abandon(id);
        self.changed.notify_all();
        true
    }

    /// Drops the token of `generation` after the API refused it (the machine keeps a newer
    /// one another thread may already have fetched, and never imports the refused one
    /// again), and asks the shared store, if any, to drop it for the fleet.
    pub(crate) fn invalidate(&self, generation: TokenGeneration) {
        let mut machine = self.lock();
        let refused = self.shared.as_ref().and_then(|_| {
            machine
                .current()
                .filter(|token| token.generation() == generation)
                .map(|token| token.access_token().clone())
        });
        if !machine.invalidate(generation) {
            return;
        }
        drop(machine);
        if let (Some((store, client)), Some(refused)) = (&self.shared, refused) {
            store.discard(client, &refused);
        }
    }
}

/// An access token handed out by [`LuccaClient::token`](crate::LuccaClient::token), with
/// what the server said about it.
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
    token_type_missing: bool,
    scope_missing: bool,
}

impl TokenInfo {
    pub(crate) fn new(token: &CachedToken, requested: &Scopes) -> Self {
        TokenInfo {
            access_token: token.access_token().clone(),
            generation: token.generation(),
            granted: token.granted().clone(),
            requested: requested.clone(),
            expires_in: (!token.expires_in_missing()).then(|| token.lifetime()),
            usable_until: clock::to_std(token.usable_until()),
            token_type_missing: token.token_type_missing(),
            scope_missing: token.scope_missing(),
        }
    }

    /// The access token. Its `Debug` is redacted; read it with
    /// [`AccessToken::secret`], which whoever holds it can use to call the API as your
    /// integration until it expires.
    #[must_use]
    pub fn access_token(&self) -> &AccessToken {
        &self.access_token
    }

    /// Which token of this client's scope set this is (1 for the first, increasing with each
    /// token issued).
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

    /// The scopes requested for this client's scope set.
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

    /// Whether the server omitted `token_type` (the token is used as a Bearer token).
    #[must_use]
    pub fn token_type_missing(&self) -> bool {
        self.token_type_missing
    }

    /// Whether the server named no granted scopes (no usable `scope` member), so that
    /// [`granted`](Self::granted) holds the requested scopes.
    #[must_use]
    pub fn scope_missing(&self) -> bool {
        self.scope_missing
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
            .field("token_type_missing", &self.token_type_missing)
            .finish()
    }
}
