//! Sharing tokens and the rate budget with other processes: the [`SharedTokenStore`] through
//! which a fleet of workers fetches one token per scope set, and the [`SharedRatePacer`] that
//! spends one tenant's API budget for all of them.
//!
//! Both are options of the [builder](crate::LuccaClientBuilder) and off by default;
//! `lucca-auth-redis` implements them over Redis. Without them a client fetches its own
//! tokens and does not pace its calls, as before.
//!
//! # How a client uses a shared store
//!
//! Only when its own token cache decides to fetch (no token, or a refresh is due), the one
//! thread chosen to fetch does, without holding the cache's lock:
//!
//! ```text
//!   load ── a token other than ours that lives longer ──► adopt it (no token request)
//!     │ none
//!   try_lease ── Acquired ─► load again (adopt if one just arrived) or fetch, then
//!     │                      publish (releases the lease) or, on failure, release
//!     ├── Busy ───────► wait (a notification or a short poll), then load again
//!     └── Unavailable ► fetch alone, as without a store
//! ```
//!
//! A token the API refused (401) is never adopted again by the client that saw the 401,
//! even while the store still holds it, and that client asks the store to
//! [`discard`](SharedTokenStore::discard) it, so that the fleet fetches one new token.
//!
//! Meanwhile the other threads of the process keep using the current token while it is
//! valid, or wait for this one. A store that cannot be reached must answer `None` and
//! [`LeaseAttempt::Unavailable`]: the client then works alone, and an API call never fails
//! because of the store.

use std::fmt;
use std::thread;
use std::time::Duration;

use lucca_auth::endpoint::TenantHost;
use lucca_auth::machine::{CachedToken, TokenClient, TokenGeneration, TokenMachine, TokenSnapshot};
use lucca_auth::scope::Scopes;
use lucca_auth::secret::AccessToken;
use lucca_auth::time::{Instant, UnixTime};

/// A token as a shared store hands it over: the token, its scopes, and how long it may still
/// be handed out, measured when it was read (or, for [`SharedTokenStore::publish`], when it
/// is written).
///
/// `Debug` redacts the token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SharedToken {
    access_token: AccessToken,
    granted: Scopes,
    remaining: Duration,
}

impl SharedToken {
    /// A token that may be handed out for `remaining` more.
    #[must_use]
    pub fn new(access_token: AccessToken, granted: Scopes, remaining: Duration) -> Self {
        SharedToken {
            access_token,
            granted,
            remaining,
        }
    }

    /// The token of `cached`, with its time left at `now`.
    pub(crate) fn from_cached(cached: &CachedToken, now: Instant) -> Self {
        SharedToken::new(
            cached.access_token().clone(),
            cached.granted().clone(),
            cached.usable_until() - now,
        )
    }

    /// The access token. Read it with [`AccessToken::secret`] only to store it where the
    /// fleet keeps it (encrypted).
    #[must_use]
    pub fn access_token(&self) -> &AccessToken {
        &self.access_token
    }

    /// The scopes it carries.
    #[must_use]
    pub fn granted(&self) -> &Scopes {
        &self.granted
    }

    /// How long it may still be handed out (the margin before its expiry already taken).
    #[must_use]
    pub fn remaining(&self) -> Duration {
        self.remaining
    }
}

/// The right to fetch the fleet's next token, held by one worker at a time: an opaque value
/// the store chose, released only by its holder.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lease(String);

impl Lease {
    /// A lease with this unique value.
    #[must_use]
    pub fn new(value: impl Into<String>) -> Self {
        Lease(value.into())
    }

    /// The unique value.
    #[must_use]
    pub fn value(&self) -> &str {
        &self.0
    }
}

/// The answer to [`SharedTokenStore::try_lease`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum LeaseAttempt {
    /// This worker holds the lease: fetch, then publish or release.
    Acquired(Lease),
    /// Another worker holds it: wait for its token.
    Busy,
    /// The store cannot be reached: fetch alone.
    Unavailable,
}

/// Where a fleet of workers shares the tokens of one client application, per scope set
/// (`client.scopes`), and takes turns fetching them. Implemented by `lucca-auth-redis`.
///
/// No method may fail an API call: a store that cannot answer returns `None` or
/// [`LeaseAttempt::Unavailable`] (and logs it, once). Every method may block for a network
/// round trip; none is called with the client's token cache locked.
pub trait SharedTokenStore: Send + Sync + fmt::Debug {
    /// The token the fleet shares for `client`, if there is one with time left.
    fn load(&self, client: &TokenClient) -> Option<SharedToken>;

    /// Tries to become the one worker that fetches `client`'s next token. A lease expires by
    /// itself after a short time, so a worker that dies holding it delays the others by at
    /// most that long.
    fn try_lease(&self, client: &TokenClient) -> LeaseAttempt;

    /// Shares a token just fetched under `lease` and releases the lease.
    fn publish(&self, client: &TokenClient, token: &SharedToken, lease: Lease);

    /// Releases `lease` without a token (the fetch failed), if this worker still holds it.
    fn release(&self, client: &TokenClient, lease: Lease);

    /// Blocks until `client`'s token may have changed: a notification, or a short poll
    /// interval of the store's choosing (never longer than its lease's lifetime).
    fn wait(&self, client: &TokenClient);

    /// The API refused `refused` (a 401): drop it from the store if it is still the token
    /// stored for `client` (compare-and-delete; a newer one is left alone), so that no
    /// worker adopts it again. This client never adopts it again either way. The default
    /// does nothing (the token then leaves the store when it expires).
    fn discard(&self, client: &TokenClient, refused: &AccessToken) {
        let _ = (client, refused);
    }
}

/// A tenant's API rate budget shared by a fleet: asked before every API request, told about
/// every 429. Implemented by `lucca-auth-redis` (a sliding window run atomically on the Redis
/// server, the same algorithm as [`lucca_auth::pacer::RatePacer`]).
pub trait SharedRatePacer: Send + Sync + fmt::Debug {
    /// Takes one slot of `tenant`'s budget now (`Ok`), or says how long to wait before asking
    /// again (`Err`). A pacer that cannot reach its shared state paces with a local one.
    ///
    /// # Errors
    ///
    /// The wait, when no request may be sent now.
    fn poll_send(&self, tenant: &TenantHost) -> Result<(), Duration>;

    /// A 429 from `tenant` asked to wait `delay` (`Retry-After`): nobody sharing the budget
    /// sends before then.
    fn handle_retry_after(&self, tenant: &TenantHost, delay: Duration);
}

/// Blocks until `pacer` lets one request to `tenant` go.
pub(crate) fn pace(pacer: &dyn SharedRatePacer, tenant: &TenantHost) {
    while let Err(wait) = pacer.poll_send(tenant) {
        thread::sleep(wait.max(Duration::from_millis(1)));
    }
}

/// Imports `token` into `machine` at `now`, unless it is the token the machine holds already
/// or lives no longer than it. Returns the new generation when it was taken.
///
/// [`TokenMachine::import`] takes the expiry as whole wall-clock seconds and subtracts its
/// `clock_skew` argument from the time left. A shared store measures the time left itself,
/// to the millisecond, on one clock (Redis's), so no skew between the hosts' wall clocks
/// applies: the time left is passed as whole seconds from an arbitrary origin (rounded up),
/// and the rounding is handed to `clock_skew`, which takes it off again.
pub(crate) fn adopt(
    machine: &mut TokenMachine,
    now: Instant,
    token: SharedToken,
) -> Option<TokenGeneration> {
    if machine
        .current()
        .is_some_and(|current| current.access_token() == token.access_token())
    {
        return None;
    }
    let whole_secs = token
        .remaining
        .as_secs()
        .saturating_add(u64::from(token.remaining.subsec_nanos() > 0));
    let rounding = Duration::from_secs(whole_secs).saturating_sub(token.remaining);
    machine.import(
        now,
        UnixTime::EPOCH,
        rounding,
        TokenSnapshot {
            access_token: token.access_token,
            granted: token.granted,
            usable_until: UnixTime::from_secs(whole_secs),
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use lucca_auth::config::{ClientCredentials, LuccaConfig};
    use lucca_auth::machine::TokenAction;
    use lucca_auth::secret::{ClientId, ClientSecret};

    fn machine() -> TokenMachine {
        let config = LuccaConfig::new(
            ClientCredentials::new(ClientId::new("id"), ClientSecret::new("s")),
            TenantHost::parse("https://acme.ilucca.net").expect("tenant"),
        );
        config.token_machine(Scopes::default())
    }

    fn shared(token: &str, remaining_ms: u64) -> SharedToken {
        SharedToken::new(
            AccessToken::new(token),
            Scopes::default(),
            Duration::from_millis(remaining_ms),
        )
    }

    #[test]
    fn adopt_keeps_the_millisecond() {
        // (time left in ms, expected usable_until in ms after importing at 1000)
        let cases: &[(u64, u64)] = &[(2_650, 3_650), (3_000, 4_000), (1, 1_001), (999, 1_999)];
        for &(remaining, expected) in cases {
            let mut machine = machine();
            let now = Instant::from_millis(1_000);
            assert!(adopt(&mut machine, now, shared("T1", remaining)).is_some());
            let current = machine.current().expect("imported");
            assert_eq!(current.usable_until(), Instant::from_millis(expected));
            assert!(matches!(machine.poll(now), TokenAction::Use(_)));
        }
    }

    #[test]
    fn adopt_refuses_the_same_token_a_shorter_one_and_nothing_left() {
        let mut machine = machine();
        let now = Instant::from_millis(0);
        assert!(adopt(&mut machine, now, shared("T1", 2_000)).is_some());
        assert_eq!(adopt(&mut machine, now, shared("T1", 5_000)), None);
        assert_eq!(adopt(&mut machine, now, shared("T2", 1_000)), None);
        assert!(adopt(&mut machine, now, shared("T2", 2_500)).is_some());
        assert_eq!(adopt(&mut machine, now, shared("T3", 0)), None);
    }

    #[test]
    fn shared_token_from_a_cached_one_and_debug_redacts() {
        let mut machine = machine();
        assert!(
            adopt(
                &mut machine,
                Instant::from_millis(0),
                shared("sentinel-token", 2_000)
            )
            .is_some()
        );
        let cached = machine.current().expect("imported");
        let again = SharedToken::from_cached(cached, Instant::from_millis(500));
        assert_eq!(again.remaining(), Duration::from_millis(1_500));
        assert_eq!(again.access_token().secret(), "sentinel-token");
        assert!(!format!("{again:?}").contains("sentinel-token"));
    }
}
