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
pub use lucca_auth::fleet::{Lease, LeaseAttempt, SharedToken};
use lucca_auth::machine::TokenClient;
use lucca_auth::secret::AccessToken;

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
