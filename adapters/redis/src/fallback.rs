//! The in-process pacers a process falls back to while Redis is unreachable
//! ([`LocalPacers`]): one [`RatePacer`] per tenant on this process's monotonic clock.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use lucca_auth::endpoint::TenantHost;
use lucca_auth::pacer::{RateBudget, RatePacer};
use lucca_auth::time::Instant;

/// One pacer per tenant origin, and the clock they run on.
#[derive(Debug)]
pub(crate) struct LocalPacers {
    origin: std::time::Instant,
    pacers: Mutex<HashMap<String, RatePacer>>,
}

impl LocalPacers {
    pub(crate) fn new() -> Self {
        LocalPacers {
            origin: std::time::Instant::now(),
            pacers: Mutex::new(HashMap::new()),
        }
    }

    fn now(&self) -> Instant {
        Instant::from_millis(u64::try_from(self.origin.elapsed().as_millis()).unwrap_or(u64::MAX))
    }

    fn with<R>(
        &self,
        tenant: &TenantHost,
        budget: RateBudget,
        f: impl FnOnce(&mut RatePacer, Instant) -> R,
    ) -> R {
        let now = self.now();
        let mut pacers = self.pacers.lock().unwrap_or_else(PoisonError::into_inner);
        let pacer = pacers
            .entry(tenant.origin().to_owned())
            .or_insert_with(|| RatePacer::new(budget));
        if pacer.budget() != budget {
            pacer.set_budget(budget);
        }
        f(pacer, now)
    }

    /// Takes a slot of `tenant`'s local budget, or says how long to wait.
    pub(crate) fn poll_send(
        &self,
        tenant: &TenantHost,
        budget: RateBudget,
    ) -> Result<(), Duration> {
        self.with(tenant, budget, |pacer, now| {
            pacer.poll_send(now).map_err(|earliest| earliest - now)
        })
    }

    /// Records a `Retry-After` for `tenant`.
    pub(crate) fn handle_retry_after(
        &self,
        tenant: &TenantHost,
        budget: RateBudget,
        delay: Duration,
    ) {
        self.with(tenant, budget, |pacer, now| {
            pacer.handle_retry_after(now, delay)
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paces_per_tenant() {
        let local = LocalPacers::new();
        let acme = TenantHost::parse("https://acme.ilucca.net").expect("tenant");
        let other = TenantHost::parse("https://other.ilucca.net").expect("tenant");
        let budget = RateBudget::new(2, Duration::from_secs(60));
        assert_eq!(local.poll_send(&acme, budget), Ok(()));
        assert_eq!(local.poll_send(&acme, budget), Ok(()));
        let wait = local.poll_send(&acme, budget).expect_err("full");
        assert!(
            wait > Duration::from_secs(59) && wait <= Duration::from_secs(60),
            "{wait:?}"
        );
        assert_eq!(local.poll_send(&other, budget), Ok(()));
        local.handle_retry_after(&other, budget, Duration::from_secs(30));
        let wait = local.poll_send(&other, budget).expect_err("blocked");
        assert!(wait > Duration::from_secs(29), "{wait:?}");
    }
}
