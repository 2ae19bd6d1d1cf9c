//! The fleet's settings and how to build a [`RedisFleet`](crate::RedisFleet) or an
//! [`AsyncRedisFleet`](crate::AsyncRedisFleet): [`FleetBuilder`].

use std::collections::HashMap;
use std::fmt;
use std::time::Duration;

use lucca_auth::endpoint::TenantHost;
use lucca_auth::pacer::RateBudget;
use zeroize::Zeroizing;

use crate::error::StoreError;
use crate::keys::DEFAULT_KEY_PREFIX;
use crate::{AsyncRedisFleet, RedisFleet};

/// The default lifetime of the fetch lease: 10 s.
pub const DEFAULT_LEASE_TTL: Duration = Duration::from_secs(10);

/// The default interval at which a worker waiting for another one's token looks again: 50 ms.
pub const DEFAULT_POLL_INTERVAL: Duration = Duration::from_millis(50);

/// The default margin added to the budget's window: 1 s (see [`FleetBuilder::window_margin`]).
pub const DEFAULT_WINDOW_MARGIN: Duration = Duration::from_secs(1);

/// The default connection and reply timeouts: 500 ms each.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_millis(500);

/// The default interval between probes of an unreachable Redis: 1 s.
pub const DEFAULT_RETRY_INTERVAL: Duration = Duration::from_secs(1);

/// The settings of a fleet (see [`FleetBuilder`] for each one).
#[derive(Clone, Debug)]
pub(crate) struct Options {
    pub(crate) key_prefix: String,
    pub(crate) lease_ttl: Duration,
    pub(crate) poll_interval: Duration,
    pub(crate) default_budget: RateBudget,
    pub(crate) budgets: HashMap<String, RateBudget>,
    pub(crate) window_margin: Duration,
    pub(crate) fleet_size: u32,
    pub(crate) connect_timeout: Duration,
    pub(crate) io_timeout: Duration,
    pub(crate) retry_interval: Duration,
}

impl Options {
    /// The budget paced against on Redis for `tenant`: its budget, window widened by the margin.
    pub(crate) fn fleet_budget(&self, tenant: &TenantHost) -> RateBudget {
        let budget = self.budget(tenant);
        if budget.is_unlimited() {
            return budget;
        }
        RateBudget::new(budget.max_requests(), budget.window() + self.window_margin)
    }

    /// The budget one process paces alone against while Redis is unreachable: the fleet's
    /// divided by the fleet size (at least one request per window).
    pub(crate) fn fallback_budget(&self, tenant: &TenantHost) -> RateBudget {
        let budget = self.fleet_budget(tenant);
        RateBudget::new(
            (budget.max_requests() / self.fleet_size.max(1)).max(1),
            budget.window(),
        )
    }

    fn budget(&self, tenant: &TenantHost) -> RateBudget {
        self.budgets
            .get(tenant.origin())
            .copied()
            .unwrap_or(self.default_budget)
    }
}

/// Builds a [`RedisFleet`] (blocking) or an [`AsyncRedisFleet`] (tokio). Nothing connects
/// until the first operation: a fleet can be built while Redis is down.
///
/// ```
/// use std::time::Duration;
/// use lucca_auth::endpoint::TenantHost;
/// use lucca_auth::pacer::RateBudget;
/// use lucca_auth_redis::RedisFleet;
///
/// let fleet = RedisFleet::builder("redis://127.0.0.1:6379/")
///     .lease_ttl(Duration::from_secs(5))
///     .tenant_budget(&TenantHost::parse("https://acme.ilucca.net")?, RateBudget::new(40, Duration::from_secs(60)))
///     .fleet_size(8)
///     .build()?;
/// # drop(fleet);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[must_use]
pub struct FleetBuilder {
    url: Zeroizing<String>,
    options: Options,
}

impl fmt::Debug for FleetBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The URL may carry a password.
        f.debug_struct("FleetBuilder")
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

impl FleetBuilder {
    pub(crate) fn new(url: impl Into<String>) -> Self {
        FleetBuilder {
            url: Zeroizing::new(url.into()),
            options: Options {
                key_prefix: DEFAULT_KEY_PREFIX.to_owned(),
                lease_ttl: DEFAULT_LEASE_TTL,
                poll_interval: DEFAULT_POLL_INTERVAL,
                default_budget: RateBudget::LUCCA,
                budgets: HashMap::new(),
                window_margin: DEFAULT_WINDOW_MARGIN,
                fleet_size: 1,
                connect_timeout: DEFAULT_TIMEOUT,
                io_timeout: DEFAULT_TIMEOUT,
                retry_interval: DEFAULT_RETRY_INTERVAL,
            },
        }
    }

    /// The prefix of every key (default [`DEFAULT_KEY_PREFIX`]): fleets that must not share
    /// tokens or budgets on one Redis use different prefixes.
    pub fn key_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.options.key_prefix = prefix.into();
        self
    }

    /// How long the fetch lease lives (default [`DEFAULT_LEASE_TTL`]): the longest a worker
    /// that dies while fetching delays the others. Keep it longer than a token request
    /// normally takes (else two workers may fetch) and, for seamless refreshes, shorter than
    /// the refresh margin of your tokens (`min(60 s, lifetime / 10)`).
    pub fn lease_ttl(mut self, ttl: Duration) -> Self {
        self.options.lease_ttl = ttl.max(Duration::from_millis(1));
        self
    }

    /// How often a worker waiting for another one's token looks for it (default
    /// [`DEFAULT_POLL_INTERVAL`]).
    pub fn poll_interval(mut self, interval: Duration) -> Self {
        self.options.poll_interval = interval.max(Duration::from_millis(1));
        self
    }

    /// The budget of every tenant without its own (default [`RateBudget::LUCCA`], 50 per 60 s).
    pub fn default_budget(mut self, budget: RateBudget) -> Self {
        self.options.default_budget = budget;
        self
    }

    /// The budget of `tenant`.
    pub fn tenant_budget(mut self, tenant: &TenantHost, budget: RateBudget) -> Self {
        self.options
            .budgets
            .insert(tenant.origin().to_owned(), budget);
        self
    }

    /// Added to every budget's window (default [`DEFAULT_WINDOW_MARGIN`]). Requests reach
    /// the API after a network delay that varies; pacing against a slightly longer window
    /// than the server's keeps that jitter from squeezing `N + 1` requests into one of its
    /// windows. 1 s of 60 s spends 98 % of the budget.
    pub fn window_margin(mut self, margin: Duration) -> Self {
        self.options.window_margin = margin;
        self
    }

    /// How many processes share the budget (default 1). While Redis is unreachable, each
    /// process paces alone against `budget / fleet_size` (at least one request per window),
    /// so that the fleet stays within the budget during the outage.
    pub fn fleet_size(mut self, processes: u32) -> Self {
        self.options.fleet_size = processes.max(1);
        self
    }

    /// The connection timeout and the reply timeout of every Redis operation (default
    /// [`DEFAULT_TIMEOUT`] each): the most an unreachable Redis adds to a call before the
    /// fallback takes over.
    pub fn timeouts(mut self, connect: Duration, reply: Duration) -> Self {
        self.options.connect_timeout = connect.max(Duration::from_millis(1));
        self.options.io_timeout = reply.max(Duration::from_millis(1));
        self
    }

    /// How long after a failure Redis is tried again (default [`DEFAULT_RETRY_INTERVAL`]);
    /// meanwhile every operation falls back at once.
    pub fn retry_interval(mut self, interval: Duration) -> Self {
        self.options.retry_interval = interval;
        self
    }

    /// A blocking fleet client.
    ///
    /// # Errors
    ///
    /// [`StoreError::InvalidUrl`] when the URL is not a Redis URL.
    pub fn build(self) -> Result<RedisFleet, StoreError> {
        let client = redis::Client::open(self.url.as_str()).map_err(|_| StoreError::InvalidUrl)?;
        Ok(RedisFleet::new(client, self.options))
    }

    /// An async fleet client (tokio).
    ///
    /// # Errors
    ///
    /// [`StoreError::InvalidUrl`] when the URL is not a Redis URL.
    pub fn build_async(self) -> Result<AsyncRedisFleet, StoreError> {
        let client = redis::Client::open(self.url.as_str()).map_err(|_| StoreError::InvalidUrl)?;
        Ok(AsyncRedisFleet::new(client, self.options))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn budgets_per_tenant_with_margin_and_fallback_share() {
        let acme = TenantHost::parse("https://acme.ilucca.net").expect("tenant");
        let other = TenantHost::parse("https://other.ilucca.net").expect("tenant");
        let options = FleetBuilder::new("redis://127.0.0.1/")
            .tenant_budget(&acme, RateBudget::new(10, Duration::from_secs(6)))
            .window_margin(Duration::from_millis(200))
            .fleet_size(4)
            .options;
        let cases: &[(&TenantHost, RateBudget, RateBudget)] = &[
            (
                &acme,
                RateBudget::new(10, Duration::from_millis(6_200)),
                RateBudget::new(2, Duration::from_millis(6_200)),
            ),
            (
                &other,
                RateBudget::new(50, Duration::from_millis(60_200)),
                RateBudget::new(12, Duration::from_millis(60_200)),
            ),
        ];
        for (tenant, fleet, fallback) in cases {
            assert_eq!(options.fleet_budget(tenant), *fleet, "{}", tenant.origin());
            assert_eq!(
                options.fallback_budget(tenant),
                *fallback,
                "{}",
                tenant.origin()
            );
        }
        let unlimited = FleetBuilder::new("redis://127.0.0.1/")
            .default_budget(RateBudget::new(5, Duration::ZERO))
            .options;
        assert!(unlimited.fleet_budget(&acme).is_unlimited());
    }

    #[test]
    fn debug_hides_the_url() {
        let builder = FleetBuilder::new("redis://:hunter2@127.0.0.1/");
        assert!(!format!("{builder:?}").contains("hunter2"));
        assert!(matches!(
            FleetBuilder::new("not a url").build(),
            Err(StoreError::InvalidUrl)
        ));
    }
}
