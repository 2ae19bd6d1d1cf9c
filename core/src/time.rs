//! Time as a value: the caller's monotonic clock ([`Instant`]) and wall clock ([`UnixTime`]).
//!
//! The core never reads a clock. Every call that depends on time takes `now` as an argument,
//! so tests run on a virtual clock and embedded callers use whatever timer they have.

use core::ops::{Add, Sub};
use core::time::Duration;

/// A point on the caller's monotonic clock, in milliseconds since an origin the caller chooses
/// (boot, process start, …). Only differences between two `Instant`s of the same clock mean
/// anything.
///
/// ```
/// use core::time::Duration;
/// use lucca_auth::time::Instant;
///
/// let sent = Instant::from_millis(1_000);
/// assert_eq!((sent + Duration::from_secs(2)).as_millis(), 3_000);
/// assert_eq!(Instant::from_millis(3_000) - sent, Duration::from_secs(2));
/// ```
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Default)]
pub struct Instant(u64);

impl Instant {
    /// The clock's origin.
    pub const ZERO: Instant = Instant(0);

    /// The instant `millis` milliseconds after the clock's origin.
    #[must_use]
    pub const fn from_millis(millis: u64) -> Self {
        Instant(millis)
    }

    /// Milliseconds since the clock's origin.
    #[must_use]
    pub const fn as_millis(self) -> u64 {
        self.0
    }

    /// `self + duration`, saturating at the end of time instead of overflowing.
    #[must_use]
    pub fn saturating_add(self, duration: Duration) -> Self {
        Instant(self.0.saturating_add(duration_millis(duration)))
    }

    /// `self - duration`, saturating at the clock's origin.
    #[must_use]
    pub fn saturating_sub(self, duration: Duration) -> Self {
        Instant(self.0.saturating_sub(duration_millis(duration)))
    }

    /// The time elapsed from `earlier` to `self`, or zero when `earlier` is later.
    #[must_use]
    pub fn saturating_duration_since(self, earlier: Instant) -> Duration {
        Duration::from_millis(self.0.saturating_sub(earlier.0))
    }
}

impl Add<Duration> for Instant {
    type Output = Instant;

    /// Saturating: an instant never overflows.
    fn add(self, rhs: Duration) -> Instant {
        self.saturating_add(rhs)
    }
}

impl Sub<Duration> for Instant {
    type Output = Instant;

    /// Saturating at the clock's origin.
    fn sub(self, rhs: Duration) -> Instant {
        self.saturating_sub(rhs)
    }
}

impl Sub<Instant> for Instant {
    type Output = Duration;

    /// Saturating at zero.
    fn sub(self, rhs: Instant) -> Duration {
        self.saturating_duration_since(rhs)
    }
}

/// A wall-clock time in whole seconds since the UNIX epoch (1970-01-01T00:00:00Z).
///
/// Used only where the protocol speaks wall time: `Date` and `Retry-After` HTTP-dates, and
/// token snapshots shared between processes.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Default)]
pub struct UnixTime(u64);

impl UnixTime {
    /// The UNIX epoch.
    pub const EPOCH: UnixTime = UnixTime(0);

    /// `secs` seconds after the UNIX epoch.
    #[must_use]
    pub const fn from_secs(secs: u64) -> Self {
        UnixTime(secs)
    }

    /// Seconds since the UNIX epoch.
    #[must_use]
    pub const fn as_secs(self) -> u64 {
        self.0
    }

    /// The time from `earlier` to `self`, or zero when `earlier` is later.
    #[must_use]
    pub fn saturating_duration_since(self, earlier: UnixTime) -> Duration {
        Duration::from_secs(self.0.saturating_sub(earlier.0))
    }
}

/// Milliseconds in `duration`, saturating at `u64::MAX`.
pub(crate) fn duration_millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instant_arithmetic_saturates() {
        let t = Instant::from_millis(u64::MAX - 1);
        assert_eq!(t + Duration::from_millis(5), Instant::from_millis(u64::MAX));
        assert_eq!(
            Instant::from_millis(3) - Duration::from_millis(5),
            Instant::ZERO
        );
        assert_eq!(
            Instant::from_millis(3) - Instant::from_millis(5),
            Duration::ZERO
        );
        assert_eq!(
            Instant::from_millis(5) - Instant::from_millis(3),
            Duration::from_millis(2)
        );
        assert_eq!(
            Instant::ZERO + Duration::from_secs(u64::MAX),
            Instant::from_millis(u64::MAX)
        );
    }

    #[test]
    fn unix_time_difference_saturates() {
        assert_eq!(
            UnixTime::from_secs(10).saturating_duration_since(UnixTime::from_secs(4)),
            Duration::from_secs(6)
        );
        assert_eq!(
            UnixTime::from_secs(4).saturating_duration_since(UnixTime::from_secs(10)),
            Duration::ZERO
        );
    }
}
