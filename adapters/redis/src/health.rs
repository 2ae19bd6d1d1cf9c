//! Whether Redis is reachable ([`Health`]): after a connection failure the fleet falls back
//! to in-process state and probes Redis again at most once per retry interval; the outage
//! and the recovery are each logged once.

use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

/// Reachability of Redis as this process last saw it.
#[derive(Debug)]
pub(crate) struct Health {
    state: Mutex<State>,
    retry_interval: Duration,
}

#[derive(Debug, Default)]
struct State {
    /// Since when Redis has been unreachable; `None` while it answers.
    down_since: Option<Instant>,
    /// While down: Redis is not asked again before this instant.
    next_probe: Option<Instant>,
}

impl Health {
    pub(crate) fn new(retry_interval: Duration) -> Self {
        Health {
            state: Mutex::new(State::default()),
            retry_interval,
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Whether Redis was reachable at the last attempt.
    pub(crate) fn is_up(&self) -> bool {
        self.lock().down_since.is_none()
    }

    /// Whether Redis may be asked now: it is up, or the next probe is due.
    pub(crate) fn may_try(&self) -> bool {
        let state = self.lock();
        state.down_since.is_none() || state.next_probe.is_none_or(|at| Instant::now() >= at)
    }

    /// Redis answered: ends an outage (logged once).
    pub(crate) fn succeeded(&self) {
        let mut state = self.lock();
        if let Some(since) = state.down_since.take() {
            state.next_probe = None;
            drop(state);
            tracing::info!(
                outage_ms = u64::try_from(since.elapsed().as_millis()).unwrap_or(u64::MAX),
                "Redis is reachable again: sharing tokens and the rate budget with the fleet again"
            );
        }
    }

    /// Redis could not be reached (`category` says how): starts an outage (logged once) or
    /// pushes the next probe back.
    pub(crate) fn failed(&self, category: &str) {
        let mut state = self.lock();
        let now = Instant::now();
        state.next_probe = Some(now + self.retry_interval);
        if state.down_since.is_none() {
            state.down_since = Some(now);
            drop(state);
            tracing::warn!(
                error = category,
                retry_interval_ms =
                    u64::try_from(self.retry_interval.as_millis()).unwrap_or(u64::MAX),
                "Redis is unreachable: this process falls back to its own token cache and rate \
                 pacer, and tries Redis again periodically"
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outage_then_recovery() {
        let health = Health::new(Duration::from_millis(50));
        assert!(health.is_up() && health.may_try());
        health.failed("I/O error");
        assert!(!health.is_up());
        assert!(!health.may_try());
        health.failed("I/O error");
        std::thread::sleep(Duration::from_millis(60));
        assert!(health.may_try());
        health.succeeded();
        assert!(health.is_up() && health.may_try());
    }
}
