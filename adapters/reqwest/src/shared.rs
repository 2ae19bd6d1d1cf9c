//! Sharing tokens and the rate budget with other processes: the [`SharedTokenStore`] through
//! which a fleet of workers fetches one token per scope set, and the [`SharedRatePacer`] that
//! spends one tenant's API budget for all of them. The async counterparts of
//! `lucca-auth-ureq`'s hooks, with the same semantics.
//!
//! Both are options of the [builder](crate::LuccaClientBuilder) and off by default;
//! `lucca-auth-redis` implements them over Redis (feature `reqwest`). Without them a client
//! fetches its own tokens and does not pace its calls, as before.
//!
//! Their methods return boxed futures ([`BoxFuture`], `Send`), so that a client holds them
//! as trait objects.
//!
//! # How a client uses a shared store
//!
//! Only the task that leads a token request of its own cache (the single flight: no token,
//! or a refresh is due) asks the store, without holding the cache's lock:
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
//! Meanwhile the other tasks of the process keep using the current token while it is valid
//! (the hot path never touches the store), or wait for the leader. A store that cannot be
//! reached must answer `None` and [`LeaseAttempt::Unavailable`]: the client then works
//! alone, and an API call never fails because of the store.
//!
//! A token the API refused (401) is never adopted again by the client that saw the 401,
//! even while the store still holds it, and that client asks the store to
//! [`discard`](SharedTokenStore::discard) it, so that the fleet fetches one new token.
//!
//! The pacer is asked before every API attempt of
//! [`RequestBuilder::send`](crate::RequestBuilder::send) (and of the middleware, with the
//! `middleware` feature), and told the `Retry-After` of every 429.

use std::fmt;
use std::time::Duration;

pub use futures::future::BoxFuture;
use lucca_auth::endpoint::TenantHost;
pub use lucca_auth::fleet::{Lease, LeaseAttempt, SharedToken};
use lucca_auth::machine::TokenClient;
use lucca_auth::secret::AccessToken;

/// Where a fleet of workers shares the tokens of one client application, per scope set
/// (`client.scopes`), and takes turns fetching them. Implemented by `lucca-auth-redis`.
///
/// No method may fail an API call: a store that cannot answer returns `None` or
/// [`LeaseAttempt::Unavailable`] (and logs it, once). Every future may take a network round
/// trip; none is awaited with the client's token cache locked, and only by the task that
/// leads a token request (or, for [`discard`](Self::discard), that saw the 401).
pub trait SharedTokenStore: Send + Sync + fmt::Debug {
    /// The token the fleet shares for `client`, if there is one with time left.
    fn load<'a>(&'a self, client: &'a TokenClient) -> BoxFuture<'a, Option<SharedToken>>;

    /// Tries to become the one worker that fetches `client`'s next token. A lease expires by
    /// itself after a short time, so a worker that dies holding it (or whose leading task is
    /// cancelled) delays the others by at most that long.
    fn try_lease<'a>(&'a self, client: &'a TokenClient) -> BoxFuture<'a, LeaseAttempt>;

    /// Shares a token just fetched under `lease` and releases the lease.
    fn publish<'a>(
        &'a self,
        client: &'a TokenClient,
        token: &'a SharedToken,
        lease: Lease,
    ) -> BoxFuture<'a, ()>;

    /// Releases `lease` without a token (the fetch failed), if this worker still holds it.
    fn release<'a>(&'a self, client: &'a TokenClient, lease: Lease) -> BoxFuture<'a, ()>;

    /// Resolves when `client`'s token may have changed: a notification, or a short poll
    /// interval of the store's choosing (never longer than its lease's lifetime).
    fn wait<'a>(&'a self, client: &'a TokenClient) -> BoxFuture<'a, ()>;

    /// The API refused `refused` (a 401): drop it from the store if it is still the token
    /// stored for `client` (compare-and-delete; a newer one is left alone), so that no
    /// worker adopts it again. This client never adopts it again either way. The default
    /// does nothing (the token then leaves the store when it expires).
    fn discard<'a>(
        &'a self,
        client: &'a TokenClient,
        refused: &'a AccessToken,
    ) -> BoxFuture<'a, ()> {
        let _ = (client, refused);
        Box::pin(async {})
    }
}

/// A tenant's API rate budget shared by a fleet: asked before every API request, told about
/// every 429. Implemented by `lucca-auth-redis` (a sliding window run atomically on the Redis
/// server, the same algorithm as [`lucca_auth::pacer::RatePacer`]).
pub trait SharedRatePacer: Send + Sync + fmt::Debug {
    /// Takes one slot of `tenant`'s budget now (`Ok`), or says how long to wait before asking
    /// again (`Err`). A pacer that cannot reach its shared state paces with a local one.
    fn poll_send<'a>(&'a self, tenant: &'a TenantHost) -> BoxFuture<'a, Result<(), Duration>>;

    /// A 429 from `tenant` asked to wait `delay` (`Retry-After`): nobody sharing the budget
    /// sends before then.
    fn handle_retry_after<'a>(
        &'a self,
        tenant: &'a TenantHost,
        delay: Duration,
    ) -> BoxFuture<'a, ()>;
}

/// Waits until `pacer` lets one request to `tenant` go.
pub(crate) async fn pace(pacer: &dyn SharedRatePacer, tenant: &TenantHost) {
    while let Err(wait) = pacer.poll_send(tenant).await {
        tokio::time::sleep(wait.max(Duration::from_millis(1))).await;
    }
}
