//! The opt-in [`RetryPolicy`] for idempotent API requests.

use std::time::Duration;

use ureq::http::Method;

/// When to resend an idempotent API request (`GET`, `HEAD`, `PUT`, `DELETE`) that failed in a
/// way that may pass: a 429, a 408 or 5xx, or a connection, timeout or I/O failure. `POST`
/// and `PATCH` are never resent.
///
/// Retry `n` (1 for the first) waits `initial_backoff × 2^(n−1)`, at most `max_backoff`, and
/// never less than the server's `Retry-After`. A request is resent at most `max_retries`
/// times, and never when that would make the waits of this call add up to more than
/// `max_total_wait`: the error is returned instead (with its `retry_after`).
///
/// Off by default: set it with
/// [`LuccaClientBuilder::retry_policy`](crate::LuccaClientBuilder::retry_policy).
///
/// ```
/// use std::time::Duration;
/// use lucca_auth_ureq::RetryPolicy;
///
/// let policy = RetryPolicy::new()
///     .with_max_retries(4)
///     .with_initial_backoff(Duration::from_millis(200))
///     .with_max_backoff(Duration::from_secs(2))
///     .with_max_total_wait(Duration::from_secs(10));
/// assert_eq!(policy.delay(1, None), Duration::from_millis(200));
/// assert_eq!(policy.delay(3, None), Duration::from_millis(800));
/// assert_eq!(policy.delay(5, None), Duration::from_secs(2));
/// assert_eq!(policy.delay(1, Some(Duration::from_secs(5))), Duration::from_secs(5));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct RetryPolicy {
    max_retries: u32,
    initial_backoff: Duration,
    max_backoff: Duration,
    max_total_wait: Duration,
}

impl Default for RetryPolicy {
    /// 3 retries, backoff from 500 ms doubling up to 10 s, at most 30 s of waiting per call.
    fn default() -> Self {
        RetryPolicy {
            max_retries: 3,
            initial_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(10),
            max_total_wait: Duration::from_secs(30),
        }
    }
}

impl RetryPolicy {
    /// The default policy (see [`Default`]).
    #[must_use]
    pub fn new() -> Self {
        RetryPolicy::default()
    }

    /// Resends at most `max_retries` times per call.
    #[must_use]
    pub fn with_max_retries(mut self, max_retries: u32) -> Self {
        self.max_retries = max_retries;
        self
    }

    /// The wait before the first retry.
    #[must_use]
    pub fn with_initial_backoff(mut self, backoff: Duration) -> Self {
        self.initial_backoff = backoff;
        self
    }

    /// The longest backoff (a `Retry-After` may still ask for longer).
    #[must_use]
    pub fn with_max_backoff(mut self, backoff: Duration) -> Self {
        self.max_backoff = backoff;
        self
    }

    /// The most a call may wait in total between its attempts.
    #[must_use]
    pub fn with_max_total_wait(mut self, wait: Duration) -> Self {
        self.max_total_wait = wait;
        self
    }

    /// The most retries per call.
    #[must_use]
    pub fn max_retries(&self) -> u32 {
        self.max_retries
    }

    /// The wait before the first retry.
    #[must_use]
    pub fn initial_backoff(&self) -> Duration {
        self.initial_backoff
    }

    /// The longest backoff.
    #[must_use]
    pub fn max_backoff(&self) -> Duration {
        self.max_backoff
    }

    /// The most a call may wait in total.
    #[must_use]
    pub fn max_total_wait(&self) -> Duration {
        self.max_total_wait
    }

    /// The wait before retry number `retry` (1 for the first), given the server's
    /// `Retry-After`.
    #[must_use]
    pub fn delay(&self, retry: u32, retry_after: Option<Duration>) -> Duration {
        let exponent = retry.saturating_sub(1).min(31);
        let backoff = self
            .initial_backoff
            .saturating_mul(1 << exponent)
            .min(self.max_backoff);
        retry_after.map_or(backoff, |asked| asked.max(backoff))
    }
}

/// The retries one call has made so far under a policy.
#[derive(Debug)]
pub(crate) struct RetryBudget<'p> {
    policy: Option<&'p RetryPolicy>,
    retries: u32,
    waited: Duration,
}

impl<'p> RetryBudget<'p> {
    /// A budget for one call; `None` (no policy, or a request that is not idempotent) never
    /// retries.
    pub(crate) fn new(policy: Option<&'p RetryPolicy>) -> Self {
        RetryBudget {
            policy,
            retries: 0,
            waited: Duration::ZERO,
        }
    }

    /// The wait before the next retry, or `None` when the call must give up. Counts the
    /// retry.
    pub(crate) fn next_delay(&mut self, retry_after: Option<Duration>) -> Option<Duration> {
        let policy = self.policy?;
        if self.retries >= policy.max_retries {
            return None;
        }
        let delay = policy.delay(self.retries + 1, retry_after);
        let waited = self.waited.checked_add(delay)?;
        if waited > policy.max_total_wait {
            return None;
        }
        self.retries += 1;
        self.waited = waited;
        Some(delay)
    }
}

/// Whether `method` may be resent: under a [`RetryPolicy`], and once more on a new connection
/// when its kept-alive one was closed before any answer.
pub(crate) fn is_idempotent(method: &Method) -> bool {
    matches!(
        *method,
        Method::GET | Method::HEAD | Method::PUT | Method::DELETE
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_table() {
        let policy = RetryPolicy::new();
        let cases: &[(u32, Option<u64>, u64)] = &[
            (1, None, 500),
            (2, None, 1000),
            (3, None, 2000),
            (5, None, 8000),
            (6, None, 10_000),
            (40, None, 10_000),
            (u32::MAX, None, 10_000),
            (1, Some(3000), 3000),
            (6, Some(3000), 10_000),
            (1, Some(60_000), 60_000),
            (0, None, 500),
        ];
        for &(retry, retry_after, expected) in cases {
            assert_eq!(
                policy.delay(retry, retry_after.map(Duration::from_millis)),
                Duration::from_millis(expected),
                "retry {retry}, retry-after {retry_after:?}"
            );
        }
    }

    #[test]
    fn budget_bounds_attempts_and_total_wait() {
        let policy = RetryPolicy::new()
            .with_max_retries(3)
            .with_initial_backoff(Duration::from_secs(1))
            .with_max_total_wait(Duration::from_secs(5));
        let mut budget = RetryBudget::new(Some(&policy));
        assert_eq!(budget.next_delay(None), Some(Duration::from_secs(1)));
        assert_eq!(budget.next_delay(None), Some(Duration::from_secs(2)));
        // 1 + 2 + 4 > 5: give up rather than exceed the total.
        assert_eq!(budget.next_delay(None), None);

        let mut budget = RetryBudget::new(Some(&policy));
        assert_eq!(budget.next_delay(Some(Duration::from_secs(6))), None);
        assert_eq!(
            budget.next_delay(Some(Duration::from_secs(4))),
            Some(Duration::from_secs(4))
        );

        let generous = policy.clone().with_max_total_wait(Duration::from_secs(60));
        let mut budget = RetryBudget::new(Some(&generous));
        assert!(budget.next_delay(None).is_some());
        assert!(budget.next_delay(None).is_some());
        assert!(budget.next_delay(None).is_some());
        assert_eq!(budget.next_delay(None), None);

        let mut none = RetryBudget::new(None);
        assert_eq!(none.next_delay(None), None);
    }
}
