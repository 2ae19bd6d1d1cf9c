//! Pacing API requests within a tenant's rate budget: [`RatePacer`], the sliding log of the
//! requests sent in the last window and the `Retry-After` block a 429 imposes, with its
//! serializable [`PacerState`].
//!
//! Lucca admits at most 50 API requests per minute per tenant ([`RateBudget::LUCCA`]) and
//! answers the next one 429. A pacer sends no more than that: it never admits more than `N`
//! requests in any rolling window of length `W`, and after a 429 it admits nothing until the
//! server's `Retry-After` has passed, whoever received it.
//!
//! # The algorithm
//!
//! A sliding log: the pacer remembers when each of the last `N` admitted requests was sent.
//! A request sent at `t` leaves the window at `t + W` (the window is half-open: a request at
//! exactly `t + W` no longer sees it). A new request is admitted when fewer than `N` remain.
//! When `N` are in the window, the earliest instant a request may be admitted is when the
//! oldest of them leaves:
//!
//! ```text
//!   N = 3, W = 2 s        admitted        refused until 2.0 s
//!   ────┬──────┬──────┬───────────────┬─────────┬──────────────►
//!       0     0.1    0.2             0.3       2.0 (0 leaves: admitted)
//!       └──────────── W ─────────────────────────┘
//! ```
//!
//! So for any two admitted requests `i` and `i + N`, `t[i+N] − t[i] ≥ W`: never more than `N`
//! in any window, and no window is wasted waiting for a fixed boundary. The sandbox's rate
//! limiter (`lucca-auth-sandbox`) counts the same way, and `lucca-auth-redis` runs this very
//! algorithm in a Lua script on the Redis server for a whole fleet of processes.
//!
//! # Calling order
//!
//! Before each API request, [`poll_send`](RatePacer::poll_send)`(now)`: `Ok(())` counts the
//! request as sent at `now` (send it), `Err(t)` means nothing may be sent before `t` (sleep
//! until then and poll again). After a 429, feed its `Retry-After` delay to
//! [`handle_retry_after`](RatePacer::handle_retry_after). A driver that wants to know when
//! to wake without taking a slot asks [`poll_timeout`](RatePacer::poll_timeout).
//!
//! ```
//! use core::time::Duration;
//! use lucca_auth::pacer::{RateBudget, RatePacer};
//! use lucca_auth::time::Instant;
//!
//! let mut pacer = RatePacer::new(RateBudget::new(2, Duration::from_secs(10)));
//! let at = Instant::from_millis;
//! assert_eq!(pacer.poll_send(at(0)), Ok(()));
//! assert_eq!(pacer.poll_send(at(1_000)), Ok(()));
//! // Two in the last 10 s: the next one waits until the first leaves the window.
//! assert_eq!(pacer.poll_send(at(2_000)), Err(at(10_000)));
//! assert_eq!(pacer.poll_send(at(10_000)), Ok(()));
//! // A 429 with `Retry-After: 30` blocks every request for 30 s.
//! pacer.handle_retry_after(at(10_500), Duration::from_secs(30));
//! assert_eq!(pacer.poll_send(at(20_000)), Err(at(40_500)));
//! assert_eq!(pacer.poll_send(at(40_500)), Ok(()));
//! ```
//!
//! # Time and state
//!
//! Time comes in as the caller's monotonic [`Instant`]. If `now` goes backwards, the pacer
//! counts the request at the latest instant it has seen, so its log stays ordered and the
//! bound holds on its own timeline.
//!
//! [`PacerState`] is the whole state as plain numbers (serde), for a restart of the same
//! process or a process on the same clock. Instants only mean something on the clock that
//! produced them: unlike a token snapshot, which crosses processes in wall-clock time and is
//! imported with a clock-skew margin subtracted from its remaining time
//! ([`TokenMachine::import`](crate::machine::TokenMachine::import)), a pacer state is not
//! converted between clocks. To share a budget between processes, run the window where one
//! clock decides for all of them, as `lucca-auth-redis` does with the Redis server's clock.
//! The requests still reach the API after a network delay that varies: a fleet leaves a small
//! margin by pacing against a slightly longer window than the server's.

use alloc::collections::VecDeque;
use alloc::vec::Vec;
use core::time::Duration;

use serde::{Deserialize, Serialize};

use crate::time::{Instant, duration_millis};

/// A rate budget: at most `max_requests` in any rolling `window`.
///
/// A zero `window` means no limit; zero `max_requests` with a non-zero window admits nothing.
///
/// ```
/// use core::time::Duration;
/// use lucca_auth::pacer::RateBudget;
///
/// assert_eq!(RateBudget::default(), RateBudget::LUCCA);
/// assert_eq!(RateBudget::LUCCA.max_requests(), 50);
/// assert_eq!(RateBudget::LUCCA.window(), Duration::from_secs(60));
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct RateBudget {
    max_requests: u32,
    window: Duration,
}

impl RateBudget {
    /// Lucca's documented budget: 50 API requests per 60 seconds per tenant.
    pub const LUCCA: RateBudget = RateBudget::new(50, Duration::from_secs(60));

    /// At most `max_requests` in any rolling `window`.
    #[must_use]
    pub const fn new(max_requests: u32, window: Duration) -> Self {
        RateBudget {
            max_requests,
            window,
        }
    }

    /// The most requests admitted in one window.
    #[must_use]
    pub const fn max_requests(self) -> u32 {
        self.max_requests
    }

    /// The length of the rolling window.
    #[must_use]
    pub const fn window(self) -> Duration {
        self.window
    }

    /// Whether the budget admits everything (a zero window).
    #[must_use]
    pub const fn is_unlimited(self) -> bool {
        self.window.is_zero()
    }
}

impl Default for RateBudget {
    /// [`RateBudget::LUCCA`].
    fn default() -> Self {
        RateBudget::LUCCA
    }
}

/// The sliding-window pacer of one tenant's budget. See the [module documentation](self) for
/// the algorithm and the calling order.
///
/// Serializes as its [`PacerState`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(into = "PacerState", from = "PacerState")]
pub struct RatePacer {
    budget: RateBudget,
    /// When each request still in the window was sent, oldest first.
    sent: VecDeque<Instant>,
    /// Nothing is admitted before this instant (a `Retry-After`).
    blocked_until: Option<Instant>,
}

impl RatePacer {
    /// A pacer with nothing sent yet.
    #[must_use]
    pub fn new(budget: RateBudget) -> Self {
        RatePacer {
            budget,
            sent: VecDeque::new(),
            blocked_until: None,
        }
    }

    /// The budget in force.
    #[must_use]
    pub fn budget(&self) -> RateBudget {
        self.budget
    }

    /// Changes the budget. Requests already sent count against the new one.
    pub fn set_budget(&mut self, budget: RateBudget) {
        self.budget = budget;
    }

    /// Asks to send one request at `now`. `Ok(())` counts it as sent at `now`: send it.
    /// `Err(t)`: nothing may be sent before `t` (the window is full, or a `Retry-After`
    /// blocks); nothing was counted, poll again at `t`.
    ///
    /// # Errors
    ///
    /// The earliest instant a request may be admitted, when it is not `now`.
    #[must_use = "Ok means the request was counted as sent; Err says when to try again"]
    pub fn poll_send(&mut self, now: Instant) -> Result<(), Instant> {
        let now = self.clamp(now);
        self.expire(now);
        if let Some(until) = self.earliest(now) {
            return Err(until);
        }
        self.blocked_until = None;
        if !self.budget.is_unlimited() {
            self.sent.push_back(now);
        }
        Ok(())
    }

    /// When [`poll_send`](Self::poll_send) would next admit a request, without counting one:
    /// `None` when it would admit one at `now`.
    #[must_use]
    pub fn poll_timeout(&self, now: Instant) -> Option<Instant> {
        let now = self.clamp(now);
        self.earliest(now)
    }

    /// Feeds the `Retry-After` delay of a 429 received at `now` (by this caller or anyone
    /// sharing the budget): nothing is admitted before `now + delay`. A shorter delay than
    /// one already in force changes nothing.
    pub fn handle_retry_after(&mut self, now: Instant, delay: Duration) {
        let until = now + delay;
        if self.blocked_until.is_none_or(|current| current < until) {
            self.blocked_until = Some(until);
        }
    }

    /// The end of the `Retry-After` block in force at `now`, if any.
    #[must_use]
    pub fn blocked_until(&self, now: Instant) -> Option<Instant> {
        self.blocked_until.filter(|&until| now < until)
    }

    /// How many requests sent before or at `now` are still in the window at `now`.
    #[must_use]
    pub fn sent_in_window(&self, now: Instant) -> usize {
        let window = self.budget.window;
        self.sent
            .iter()
            .filter(|&&sent| sent <= now && now - sent < window)
            .count()
    }

    /// The whole state, as plain numbers.
    #[must_use]
    pub fn state(&self) -> PacerState {
        PacerState {
            max_requests: self.budget.max_requests,
            window_millis: duration_millis(self.budget.window),
            sent_millis: self.sent.iter().map(|sent| sent.as_millis()).collect(),
            blocked_until_millis: self.blocked_until.map(Instant::as_millis),
        }
    }

    /// A pacer in `state` (sent instants are put in order if they are not).
    #[must_use]
    pub fn from_state(state: PacerState) -> Self {
        let mut sent = state.sent_millis;
        sent.sort_unstable();
        RatePacer {
            budget: RateBudget::new(
                state.max_requests,
                Duration::from_millis(state.window_millis),
            ),
            sent: sent.into_iter().map(Instant::from_millis).collect(),
            blocked_until: state.blocked_until_millis.map(Instant::from_millis),
        }
    }

    /// `now`, or the latest instant already counted if the clock went backwards.
    fn clamp(&self, now: Instant) -> Instant {
        self.sent.back().map_or(now, |&last| now.max(last))
    }

    /// Forgets the requests that left the window at `now`.
    fn expire(&mut self, now: Instant) {
        let window = self.budget.window;
        while let Some(&oldest) = self.sent.front() {
            if now - oldest >= window {
                self.sent.pop_front();
            } else {
                break;
            }
        }
    }

    /// The earliest instant a request may be admitted, when it is later than `now`.
    fn earliest(&self, now: Instant) -> Option<Instant> {
        let blocked = self.blocked_until(now);
        let full = if self.budget.is_unlimited() {
            None
        } else {
            let window = self.budget.window;
            // The log is in order: the requests still in the window are a suffix of it.
            let first = self
                .sent
                .iter()
                .position(|&sent| now - sent < window)
                .unwrap_or(self.sent.len());
            let in_window = self.sent.len() - first;
            let max = usize::try_from(self.budget.max_requests).unwrap_or(usize::MAX);
            // The request at `in_window - max` (counted from the first one in the window) is
            // the last of those that must leave before one more fits; with max == 0 nothing
            // ever fits and the answer is a window away.
            in_window.checked_sub(max).map(|index| {
                self.sent
                    .get(first + index)
                    .map_or(now + window, |&sent| sent + window)
            })
        };
        match (blocked, full) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        }
    }
}

/// The state of a [`RatePacer`] as plain numbers, in milliseconds of the caller's monotonic
/// clock (see the [module documentation](self) on moving it between clocks).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct PacerState {
    /// The budget's most requests per window.
    pub max_requests: u32,
    /// The budget's window, in milliseconds.
    pub window_millis: u64,
    /// When each request still in the window was sent, oldest first.
    pub sent_millis: Vec<u64>,
    /// The end of a `Retry-After` block, if one was received.
    pub blocked_until_millis: Option<u64>,
}

impl From<RatePacer> for PacerState {
    fn from(pacer: RatePacer) -> Self {
        pacer.state()
    }
}

impl From<PacerState> for RatePacer {
    fn from(state: PacerState) -> Self {
        RatePacer::from_state(state)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    fn at(millis: u64) -> Instant {
        Instant::from_millis(millis)
    }

    fn secs(n: u64) -> Duration {
        Duration::from_secs(n)
    }

    /// Replays (time in ms, expected outcome: Ok or Err(earliest in ms)).
    fn replay(budget: RateBudget, steps: &[(u64, Result<(), u64>)]) -> RatePacer {
        let mut pacer = RatePacer::new(budget);
        for &(now, expected) in steps {
            assert_eq!(
                pacer.poll_send(at(now)),
                expected.map_err(at),
                "request at {now} ms"
            );
        }
        pacer
    }

    #[test]
    fn three_per_two_seconds() {
        // The same arrivals as the sandbox's limiter test: refused exactly when it answers
        // 429, and the earliest instant is when it would admit again.
        replay(
            RateBudget::new(3, secs(2)),
            &[
                (0, Ok(())),
                (100, Ok(())),
                (200, Ok(())),
                (300, Err(2000)),
                (1999, Err(2000)),
                (2000, Ok(())),
                (2001, Err(2100)),
                (2100, Ok(())),
                (2200, Ok(())),
                (2300, Err(4000)),
            ],
        );
    }

    #[test]
    fn sliding_not_fixed() {
        // A fixed 2 s window would reset at 2000 and admit three more.
        replay(
            RateBudget::new(3, secs(2)),
            &[
                (0, Ok(())),
                (1500, Ok(())),
                (1600, Ok(())),
                (2000, Ok(())),
                (2100, Err(3500)),
                (3500, Ok(())),
            ],
        );
    }

    #[test]
    fn lucca_budget_fifty_per_minute() {
        let mut pacer = RatePacer::new(RateBudget::LUCCA);
        for i in 0..50 {
            assert_eq!(pacer.poll_send(at(i * 100)), Ok(()), "request {i}");
        }
        assert_eq!(pacer.sent_in_window(at(4_900)), 50);
        assert_eq!(pacer.poll_send(at(5_000)), Err(at(60_000)));
        assert_eq!(pacer.poll_timeout(at(5_000)), Some(at(60_000)));
        assert_eq!(pacer.poll_send(at(60_000)), Ok(()));
        assert_eq!(pacer.poll_send(at(60_050)), Err(at(60_100)));
        assert_eq!(pacer.sent_in_window(at(60_050)), 50);
    }

    #[test]
    fn zero_and_unlimited() {
        replay(
            RateBudget::new(0, secs(5)),
            &[(0, Err(5000)), (10_000, Err(15_000))],
        );
        let steps: Vec<(u64, Result<(), u64>)> = (0..1000).map(|i| (i, Ok(()))).collect();
        let pacer = replay(RateBudget::new(0, Duration::ZERO), &steps);
        assert_eq!(pacer.state().sent_millis, Vec::<u64>::new());
    }

    #[test]
    fn lowered_budget_counts_past_requests() {
        let mut pacer = RatePacer::new(RateBudget::new(5, secs(10)));
        for now in [0, 1000, 2000, 3000] {
            assert_eq!(pacer.poll_send(at(now)), Ok(()));
        }
        pacer.set_budget(RateBudget::new(2, secs(10)));
        // Four sent, budget two: three must leave, the third (at 2000) leaves at 12000.
        assert_eq!(pacer.poll_send(at(4000)), Err(at(12_000)));
        assert_eq!(pacer.poll_send(at(12_000)), Ok(()));
    }

    #[test]
    fn retry_after_blocks_everything_until_it_ends() {
        // (event, time in ms, expected for sends: Ok or Err(earliest))
        enum Step {
            Send(u64, Result<(), u64>),
            RetryAfter(u64, u64),
        }
        use Step::{RetryAfter, Send};
        let cases: &[(&str, &[Step])] = &[
            (
                "a block longer than the window wins",
                &[
                    Send(0, Ok(())),
                    RetryAfter(100, 5000),
                    Send(200, Err(5100)),
                    Send(5099, Err(5100)),
                    Send(5100, Ok(())),
                ],
            ),
            (
                "a full window that frees later than the block wins",
                &[
                    Send(0, Ok(())),
                    Send(1, Ok(())),
                    Send(2, Ok(())),
                    RetryAfter(3, 500),
                    Send(400, Err(2000)),
                    Send(2000, Ok(())),
                ],
            ),
            (
                "a shorter Retry-After does not shorten the block",
                &[
                    RetryAfter(0, 10_000),
                    RetryAfter(1000, 1000),
                    Send(3000, Err(10_000)),
                    Send(10_000, Ok(())),
                ],
            ),
            (
                "a longer one extends it",
                &[
                    RetryAfter(0, 1000),
                    RetryAfter(500, 2000),
                    Send(1000, Err(2500)),
                    Send(2500, Ok(())),
                ],
            ),
            (
                "zero delay blocks nothing",
                &[RetryAfter(0, 0), Send(0, Ok(()))],
            ),
        ];
        for (name, steps) in cases {
            let mut pacer = RatePacer::new(RateBudget::new(3, secs(2)));
            for step in *steps {
                match *step {
                    Send(now, expected) => {
                        assert_eq!(
                            pacer.poll_send(at(now)),
                            expected.map_err(at),
                            "{name}: {now}"
                        );
                    }
                    RetryAfter(now, delay) => {
                        pacer.handle_retry_after(at(now), Duration::from_millis(delay));
                    }
                }
            }
        }
    }

    #[test]
    fn unlimited_budget_still_honours_retry_after() {
        let mut pacer = RatePacer::new(RateBudget::new(1, Duration::ZERO));
        pacer.handle_retry_after(at(0), secs(1));
        assert_eq!(pacer.blocked_until(at(10)), Some(at(1000)));
        assert_eq!(pacer.poll_send(at(10)), Err(at(1000)));
        assert_eq!(pacer.poll_send(at(1000)), Ok(()));
        assert_eq!(pacer.blocked_until(at(1000)), None);
    }

    #[test]
    fn clock_going_backwards_counts_at_the_latest_instant() {
        let mut pacer = RatePacer::new(RateBudget::new(2, secs(1)));
        assert_eq!(pacer.poll_send(at(5000)), Ok(()));
        assert_eq!(pacer.poll_send(at(100)), Ok(()));
        assert_eq!(pacer.state().sent_millis, vec![5000, 5000]);
        assert_eq!(pacer.poll_send(at(200)), Err(at(6000)));
        assert_eq!(pacer.poll_send(at(6000)), Ok(()));
    }

    #[test]
    fn poll_timeout_takes_no_slot() {
        let mut pacer = RatePacer::new(RateBudget::new(1, secs(1)));
        assert_eq!(pacer.poll_timeout(at(0)), None);
        assert_eq!(pacer.poll_timeout(at(0)), None);
        assert_eq!(pacer.poll_send(at(0)), Ok(()));
        assert_eq!(pacer.poll_timeout(at(10)), Some(at(1000)));
        assert_eq!(pacer.poll_timeout(at(1000)), None);
    }

    #[test]
    fn state_round_trip() {
        let mut pacer = RatePacer::new(RateBudget::new(3, secs(2)));
        assert_eq!(pacer.poll_send(at(10)), Ok(()));
        assert_eq!(pacer.poll_send(at(20)), Ok(()));
        pacer.handle_retry_after(at(30), secs(1));
        let state = pacer.state();
        assert_eq!(
            state,
            PacerState {
                max_requests: 3,
                window_millis: 2000,
                sent_millis: vec![10, 20],
                blocked_until_millis: Some(1030),
            }
        );
        let json = serde_json::to_string(&pacer).expect("serializes");
        assert_eq!(
            json,
            r#"{"max_requests":3,"window_millis":2000,"sent_millis":[10,20],"blocked_until_millis":1030}"#
        );
        let back: RatePacer = serde_json::from_str(&json).expect("deserializes");
        assert_eq!(back, pacer);
        // Out-of-order instants are put in order.
        let unordered = RatePacer::from_state(PacerState {
            sent_millis: vec![20, 10],
            ..state
        });
        assert_eq!(unordered, pacer);
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        #[derive(Clone, Debug)]
        enum Op {
            /// Advance the clock by this many ms, then try to send.
            Send(u64),
            /// Advance the clock, then a 429 asks for this many ms.
            RetryAfter(u64, u64),
            /// Save and restore the state (through JSON).
            RoundTrip,
        }

        fn op() -> impl Strategy<Value = Op> {
            prop_oneof![
                8 => (0u64..400).prop_map(Op::Send),
                1 => ((0u64..400), (0u64..3000)).prop_map(|(a, d)| Op::RetryAfter(a, d)),
                1 => Just(Op::RoundTrip),
            ]
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(512))]

            /// Never more than N admitted in any window, and never a refusal that the rule
            /// does not require (the window is full or a Retry-After blocks); the earliest
            /// instant given is exactly when the next send is admitted.
            #[test]
            fn never_more_than_n_in_any_window(
                max in 1u32..8,
                window_ms in 1u64..3000,
                ops in proptest::collection::vec(op(), 1..200),
            ) {
                let window = Duration::from_millis(window_ms);
                let mut pacer = RatePacer::new(RateBudget::new(max, window));
                let mut now = 0u64;
                let mut admitted: Vec<u64> = Vec::new();
                let mut blocked_until = 0u64;
                for op in ops {
                    match op {
                        Op::Send(advance) => {
                            now += advance;
                            let in_window = admitted
                                .iter()
                                .filter(|&&t| now - t < window_ms)
                                .count();
                            let must_refuse = now < blocked_until || in_window >= max as usize;
                            match pacer.poll_send(at(now)) {
                                Ok(()) => {
                                    prop_assert!(!must_refuse, "admitted at {now}");
                                    admitted.push(now);
                                }
                                Err(earliest) => {
                                    prop_assert!(must_refuse, "refused at {now}");
                                    prop_assert!(earliest > at(now));
                                    // Exactly then, and not a millisecond before.
                                    let mut probe = pacer.clone();
                                    prop_assert!(probe
                                        .poll_send(earliest - Duration::from_millis(1))
                                        .is_err());
                                    prop_assert_eq!(probe.poll_send(earliest), Ok(()));
                                }
                            }
                        }
                        Op::RetryAfter(advance, delay) => {
                            now += advance;
                            pacer.handle_retry_after(at(now), Duration::from_millis(delay));
                            blocked_until = blocked_until.max(now + delay);
                        }
                        Op::RoundTrip => {
                            let json = serde_json::to_vec(&pacer).expect("serializes");
                            let back: Result<RatePacer, _> = serde_json::from_slice(&json);
                            prop_assert_eq!(back.as_ref().ok(), Some(&pacer));
                            if let Ok(back) = back {
                                pacer = back;
                            }
                        }
                    }
                }
                for (i, &t) in admitted.iter().enumerate() {
                    if let Some(&later) = admitted.get(i + max as usize) {
                        prop_assert!(later - t >= window_ms, "{} sends within {} ms", max + 1, later - t);
                    }
                }
            }
        }
    }
}
