//! The platform clocks, converted to the core's time values: a process-wide monotonic origin
//! for [`Instant`], and the system clock for [`UnixTime`].

use std::sync::OnceLock;
use std::time::{Duration, SystemTime};

use lucca_auth::time::{Instant, UnixTime};

/// The moment the core's millisecond clock reads zero: the first time any client in the
/// process reads it.
fn origin() -> std::time::Instant {
    static ORIGIN: OnceLock<std::time::Instant> = OnceLock::new();
    *ORIGIN.get_or_init(std::time::Instant::now)
}

/// Now, on the core's monotonic millisecond clock (rounded down).
pub(crate) fn now() -> Instant {
    Instant::from_millis(u64::try_from(origin().elapsed().as_millis()).unwrap_or(u64::MAX))
}

/// A core instant as a `std::time::Instant`.
pub(crate) fn to_std(instant: Instant) -> std::time::Instant {
    let origin = origin();
    origin
        .checked_add(Duration::from_millis(instant.as_millis()))
        .unwrap_or(origin)
}

/// Now, on the system's wall clock, in whole seconds (the epoch if the clock is before it).
pub(crate) fn wall_now() -> UnixTime {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(UnixTime::EPOCH, |since| {
            UnixTime::from_secs(since.as_secs())
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_core_clock_follows_the_monotonic_clock() {
        let before = now();
        std::thread::sleep(Duration::from_millis(20));
        let after = now();
        assert!(after - before >= Duration::from_millis(20));
        let std_after = to_std(after);
        assert!(std_after <= std::time::Instant::now());
        assert_eq!(to_std(Instant::ZERO), origin());
        assert!(wall_now().as_secs() > 1_700_000_000);
    }
}
