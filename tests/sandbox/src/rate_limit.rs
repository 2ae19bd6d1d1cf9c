//! The API's sliding-window rate limiter (see [`RateLimit`]).

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use crate::RateLimit;

/// The admission times of the requests still inside the window.
#[derive(Debug)]
pub(crate) struct SlidingWindow {
    limit: RateLimit,
    admitted: VecDeque<Instant>,
}

impl SlidingWindow {
    pub(crate) fn new(limit: RateLimit) -> Self {
        Self {
            limit,
            admitted: VecDeque::new(),
        }
    }

    /// Changes the limit; requests already admitted still count against the new one.
    pub(crate) fn set_limit(&mut self, limit: RateLimit) {
        self.limit = limit;
    }

    /// Admits a request arriving at `now`, or says how long until it would be admitted.
    pub(crate) fn admit(&mut self, now: Instant) -> Result<(), Duration> {
        let window = self.limit.window;
        if window.is_zero() {
            self.admitted.clear();
            return Ok(());
        }
        while let Some(&oldest) = self.admitted.front() {
            if now.saturating_duration_since(oldest) >= window {
                self.admitted.pop_front();
            } else {
                break;
            }
        }
        let max = usize::try_from(self.limit.max_requests).unwrap_or(usize::MAX);
        if self.admitted.len() < max {
            self.admitted.push_back(now);
            return Ok(());
        }
        // len - max + 1 admitted requests must leave; the last of them to leave is the one at
        // index len - max (the oldest one when len == max). With max == 0 nothing ever gets
        // in: answer with the whole window.
        let leaving = self
            .admitted
            .len()
            .checked_sub(max)
            .and_then(|index| self.admitted.get(index));
        Err(leaving
            .and_then(|at| at.checked_add(window))
            .map_or(window, |leaves| leaves.saturating_duration_since(now)))
    }
}

/// A wait as `Retry-After` seconds: rounded up, at least 1.
pub(crate) fn retry_after_secs(wait: Duration) -> u64 {
    let whole = wait.as_secs();
    let rounded = if wait.subsec_nanos() > 0 {
        whole.saturating_add(1)
    } else {
        whole
    };
    rounded.max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    /// Replays (arrival in ms, expected outcome: Ok or Err(wait in ms)).
    fn replay(limit: RateLimit, steps: &[(u64, Result<(), u64>)]) {
        let start = Instant::now();
        let mut window = SlidingWindow::new(limit);
        for &(at, expected) in steps {
            let got = window.admit(start + ms(at));
            assert_eq!(got, expected.map_err(ms), "request at {at} ms");
        }
    }

    #[test]
    fn three_per_two_seconds() {
        replay(
            RateLimit::new(3, Duration::from_secs(2)),
            &[
                (0, Ok(())),
                (100, Ok(())),
                (200, Ok(())),
                (300, Err(1700)),
                (1999, Err(1)),
                (2000, Ok(())),
                (2001, Err(99)),
                (2100, Ok(())),
                (2200, Ok(())),
                (2300, Err(1700)),
            ],
        );
    }

    #[test]
    fn sliding_not_fixed() {
        // A fixed 2 s window would reset at 2000 and admit three more.
        replay(
            RateLimit::new(3, Duration::from_secs(2)),
            &[
                (0, Ok(())),
                (1500, Ok(())),
                (1600, Ok(())),
                (2000, Ok(())),
                (2100, Err(1400)),
                (3500, Ok(())),
            ],
        );
    }

    #[test]
    fn zero_and_unlimited() {
        replay(
            RateLimit::new(0, Duration::from_secs(5)),
            &[(0, Err(5000)), (10_000, Err(5000))],
        );
        let steps: Vec<(u64, Result<(), u64>)> = (0..1000).map(|i| (i, Ok(()))).collect();
        replay(RateLimit::unlimited(), &steps);
    }

    #[test]
    fn lowered_limit_counts_past_requests() {
        let start = Instant::now();
        let mut window = SlidingWindow::new(RateLimit::new(5, Duration::from_secs(10)));
        for at in [0, 1000, 2000, 3000] {
            assert_eq!(window.admit(start + ms(at)), Ok(()));
        }
        window.set_limit(RateLimit::new(2, Duration::from_secs(10)));
        // Four admitted, limit two: three must leave, the third (at 2000) leaves at 12000.
        assert_eq!(window.admit(start + ms(4000)), Err(ms(8000)));
        assert_eq!(window.admit(start + ms(12_000)), Ok(()));
    }

    #[test]
    fn retry_after_rounds_up() {
        let cases: &[(Duration, u64)] = &[
            (ms(1), 1),
            (ms(999), 1),
            (ms(1000), 1),
            (ms(1001), 2),
            (ms(1700), 2),
            (Duration::from_secs(60), 60),
            (Duration::ZERO, 1),
        ];
        for &(wait, expected) in cases {
            assert_eq!(retry_after_secs(wait), expected, "{wait:?}");
        }
    }
}
