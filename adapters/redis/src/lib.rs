//! Fleet-wide access to the Lucca API over Redis: many processes share **one token** per
//! client application and scope set, take turns to fetch it, and spend **one rate budget**
//! per tenant.
//!
//! Lucca issues client-credentials tokens and allows 50 API requests per minute per tenant.
//! A fleet of workers that each fetch their own token and spend the budget without knowing
//! about the others gets 429 storms. With this crate:
//!
//! - **Shared token store.** A token fetched by one worker is stored in Redis, encrypted with
//!   a key derived from the client secret and bound to its Redis key ([`sealed`]); the others
//!   adopt it. Keys are per (token endpoint, client id, scope set) and never contain the
//!   secret ([`keys`]).
//! - **Single flight.** When the token is due, one worker takes a short lease
//!   (`SET lease <unique> NX PX <ttl>`), fetches and publishes; the others poll for the new
//!   token instead of fetching. The lease is released only by its holder (a Lua
//!   compare-and-delete), and expires by itself: a worker that dies holding it delays the
//!   others by at most its lifetime ([`FleetBuilder::lease_ttl`]).
//! - **Fleet-wide pacing.** Before each API request a worker takes a slot of the tenant's
//!   budget (default 50 per 60 s, per tenant host) in a Lua script that runs the sliding
//!   window of [`lucca_auth::pacer::RatePacer`] atomically on the server; a 429's
//!   `Retry-After` blocks the whole fleet.
//! - **Redis down.** Every operation has a timeout; on failure a worker falls back to its own
//!   token cache and an in-process pacer, logs the outage once (`tracing`, warn), probes
//!   Redis again periodically and logs the recovery once (info). No API call fails because
//!   Redis is down.
//!
//! # With `lucca-auth-ureq`
//!
//! ```no_run
//! use lucca_auth::config::{ClientCredentials, LuccaConfig};
//! use lucca_auth::endpoint::TenantHost;
//! use lucca_auth::secret::{ClientId, ClientSecret};
//! use lucca_auth_redis::RedisFleet;
//! use lucca_auth_ureq::LuccaClient;
//!
//! let config = LuccaConfig::new(
//!     ClientCredentials::new(
//!         ClientId::new("my-integration"),
//!         ClientSecret::new(std::env::var("LUCCA_CLIENT_SECRET")?),
//!     ),
//!     TenantHost::parse("https://acme.ilucca.net")?,
//! );
//! let fleet = RedisFleet::builder("redis://redis.internal:6379/").fleet_size(8).build()?;
//! let client = LuccaClient::builder(config)
//!     .shared_store(fleet.clone())
//!     .shared_pacer(fleet)
//!     .build();
//! let leaves = client.get("/lucca-api/leaves?limit=10").send()?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # With `lucca-auth-reqwest` (feature `reqwest`)
//!
//! [`AsyncRedisFleet`] offers the same operations on tokio, with the same keys and scripts
//! (blocking and async workers can share one fleet), and plugs into the async client:
//!
//! ```no_run
//! # async fn run(config: lucca_auth::config::LuccaConfig) -> Result<(), Box<dyn std::error::Error>> {
//! use lucca_auth_redis::AsyncRedisFleet;
//! use lucca_auth_reqwest::LuccaClient;
//!
//! let fleet = AsyncRedisFleet::builder("redis://redis.internal:6379/")
//!     .fleet_size(8)
//!     .build_async()?;
//! let client = LuccaClient::builder(config)
//!     .shared_store(fleet.clone())
//!     .shared_pacer(fleet)
//!     .build()?;
//! let leaves = client.get("/lucca-api/leaves?limit=10").send().await?;
//! # Ok(()) }
//! ```
//!
//! Only the thread or task that leads a refresh asks Redis; a call with a valid cached
//! token never does. A token the API refuses (401) is never adopted again by the client
//! that saw it, which drops it from Redis (a compare-and-delete of that value), so the
//! fleet fetches exactly one new token.
//!
//! # Timing
//!
//! A token's time left is not in the stored value: it is the Redis key's time to live
//! (`PX`), set by the writer from its own monotonic clock and read back with `PTTL`, minus
//! the read's round trip. Redis's clock is the only one that measures it, so the wall clocks
//! of the fleet's hosts never need to agree and no clock-skew margin is needed, unlike a
//! core [`TokenSnapshot`](lucca_auth::machine::TokenSnapshot), which crosses processes in
//! wall-clock seconds and is imported with a clock-skew margin subtracted from its time left
//! ([`TokenMachine::import`](lucca_auth::machine::TokenMachine::import)). The token is
//! imported to the millisecond, which matters for short-lived tokens.
//!
//! Pacing uses the Redis server's clock (`TIME`) for the same reason. Requests reach the API
//! after a network delay that varies, so the fleet paces against the budget's window plus a
//! margin ([`FleetBuilder::window_margin`], 1 s by default).
//!
//! # What is in Redis
//!
//! | key | value | lifetime |
//! |---|---|---|
//! | `<prefix>:token:{<sha256>}` | version ‖ nonce ‖ XChaCha20-Poly1305 ciphertext of the token and its scopes | the token's time left |
//! | `<prefix>:lease:{<sha256>}` | a random holder id | the lease TTL |
//! | `<prefix>:pace:{<sha256>}:log` | sorted set of random request ids scored by send time (µs) | the window + 1 s |
//! | `<prefix>:pace:{<sha256>}:block` | the end of a `Retry-After` block (µs) | the block + 1 s |
//!
//! Neither the secret nor the token appears in clear, and a reader of Redis without the
//! secret learns nothing usable.
//!
//! # Features
//!
//! - `ureq` (default): `lucca-auth-ureq`'s `SharedTokenStore` and `SharedRatePacer` for
//!   [`RedisFleet`].
//! - `reqwest`: `lucca-auth-reqwest`'s `SharedTokenStore` and `SharedRatePacer` for
//!   [`AsyncRedisFleet`].
#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod asynchronous;
mod blocking;
mod builder;
mod error;
mod fallback;
mod fleet;
mod health;
pub mod keys;
#[cfg(feature = "reqwest")]
mod reqwest;
mod scripts;
pub mod sealed;
#[cfg(test)]
mod test_server;
#[cfg(feature = "ureq")]
mod ureq;

pub use asynchronous::AsyncRedisFleet;
pub use blocking::RedisFleet;
pub use builder::{
    DEFAULT_LEASE_TTL, DEFAULT_POLL_INTERVAL, DEFAULT_RETRY_INTERVAL, DEFAULT_TIMEOUT,
    DEFAULT_WINDOW_MARGIN, FleetBuilder,
};
pub use error::StoreError;
pub use keys::{PaceKeys, TokenKeys};
pub use sealed::{FleetToken, SealError, TokenSealer};

/// The README's examples, compiled as doctests so that they stay true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

/// The workspace README's examples (blocking, async and fleet), compiled as doctests here,
/// where every adapter is a dependency, so that they stay true.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
struct WorkspaceReadmeDoctests;
