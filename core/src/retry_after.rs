//! The `Retry-After` header field (RFC 9110 §10.2.3): its two forms, [`RetryAfter`], and the
//! delay a response asks for, [`retry_after_delay`].

use core::time::Duration;

use crate::http_date::parse_http_date;
use crate::response::HttpResponse;
use crate::time::UnixTime;

/// The longest delay [`retry_after_delay`] returns: one day.
///
/// A server that asks a client to wait longer is either misconfigured or sent garbage that
/// happens to be digits; waiting a day and asking again is the safer reading.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(24 * 60 * 60);

/// A parsed `Retry-After` value: a delay in seconds, or an HTTP-date.
///
/// ```
/// use core::time::Duration;
/// use lucca_auth::retry_after::RetryAfter;
/// use lucca_auth::time::UnixTime;
///
/// assert_eq!(RetryAfter::parse(b"30"), Some(RetryAfter::Delay(Duration::from_secs(30))));
/// assert_eq!(
///     RetryAfter::parse(b"Tue, 03 Mar 2026 10:00:30 GMT"),
///     Some(RetryAfter::At(UnixTime::from_secs(1_772_532_030)))
/// );
/// assert_eq!(RetryAfter::parse(b"-5"), None);
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum RetryAfter {
    /// `delay-seconds`: wait this long after the response was received. Not capped here; a
    /// number too large for a `u64` saturates.
    Delay(Duration),
    /// `HTTP-date`: wait until this wall-clock time.
    At(UnixTime),
}

impl RetryAfter {
    /// Parses a `Retry-After` field value: `1*DIGIT` or an HTTP-date (any of the three forms
    /// of [`parse_http_date`]). Surrounding spaces and tabs are ignored; anything else
    /// (a sign, a fraction, a list, an empty value) is `None`.
    #[must_use]
    pub fn parse(value: &[u8]) -> Option<RetryAfter> {
        let trimmed = value.trim_ascii();
        if !trimmed.is_empty() && trimmed.iter().all(u8::is_ascii_digit) {
            let secs = trimmed.iter().fold(0u64, |acc, &b| {
                acc.saturating_mul(10).saturating_add(u64::from(b - b'0'))
            });
            return Some(RetryAfter::Delay(Duration::from_secs(secs)));
        }
        parse_http_date(value).map(RetryAfter::At)
    }

    /// The delay from `now` (the server's or the caller's wall clock at reception) until the
    /// retry is allowed: the delay itself, or `at - now`, zero when `at` is already past.
    /// Not capped; see [`retry_after_delay`] for the capped policy.
    #[must_use]
    pub fn delay_from(self, now: UnixTime) -> Duration {
        match self {
            RetryAfter::Delay(delay) => delay,
            RetryAfter::At(at) => at.saturating_duration_since(now),
        }
    }
}

/// How long `response` asks the client to wait before retrying, from its first `Retry-After`
/// header field, capped at [`MAX_RETRY_AFTER`].
///
/// - delay-seconds: that delay;
/// - HTTP-date: that date minus the response's `Date` header field (both on the server's
///   clock, so the caller's clock skew does not matter), or, when `Date` is absent or not a
///   valid HTTP-date, minus [`HttpResponse::wall_clock`]; a date already past is zero;
/// - no usable reference time, no `Retry-After`, or an invalid one: `None`.
///
/// ```
/// use core::time::Duration;
/// use lucca_auth::response::{Header, HttpResponse};
/// use lucca_auth::retry_after::retry_after_delay;
/// use lucca_auth::time::UnixTime;
///
/// let headers = [
///     Header { name: "Date", value: b"Tue, 03 Mar 2026 10:00:00 GMT" },
///     Header { name: "Retry-After", value: b"Tue, 03 Mar 2026 10:00:30 GMT" },
/// ];
/// let response = HttpResponse::new(503, &headers, b"");
/// assert_eq!(retry_after_delay(&response), Some(Duration::from_secs(30)));
///
/// // Without `Date`, the caller's wall clock at reception is the reference.
/// let headers = [Header { name: "Retry-After", value: b"Tue, 03 Mar 2026 10:00:30 GMT" }];
/// let response = HttpResponse::new(503, &headers, b"")
///     .with_wall_clock(UnixTime::from_secs(1_772_532_020));
/// assert_eq!(retry_after_delay(&response), Some(Duration::from_secs(10)));
/// ```
#[must_use]
pub fn retry_after_delay(response: &HttpResponse<'_>) -> Option<Duration> {
    let retry_after = RetryAfter::parse(response.header("Retry-After")?)?;
    let delay = match retry_after {
        RetryAfter::Delay(delay) => delay,
        RetryAfter::At(_) => {
            let now = response
                .header("Date")
                .and_then(parse_http_date)
                .or_else(|| response.wall_clock())?;
            retry_after.delay_from(now)
        }
    };
    Some(delay.min(MAX_RETRY_AFTER))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::response::Header;
    use proptest::prelude::*;

    const T0: u64 = 1_772_532_000; // Tue, 03 Mar 2026 10:00:00 GMT

    #[test]
    fn parses_both_forms() {
        let cases: &[(&[u8], Option<RetryAfter>)] = &[
            (b"0", Some(RetryAfter::Delay(Duration::ZERO))),
            (b"30", Some(RetryAfter::Delay(Duration::from_secs(30)))),
            (b" 120 ", Some(RetryAfter::Delay(Duration::from_secs(120)))),
            (b"007", Some(RetryAfter::Delay(Duration::from_secs(7)))),
            (
                b"99999999999999999999999",
                Some(RetryAfter::Delay(Duration::from_secs(u64::MAX))),
            ),
            (
                b"Tue, 03 Mar 2026 10:00:30 GMT",
                Some(RetryAfter::At(UnixTime::from_secs(T0 + 30))),
            ),
            (
                b"Tuesday, 03-Mar-26 10:00:30 GMT",
                Some(RetryAfter::At(UnixTime::from_secs(T0 + 30))),
            ),
            (
                b"Tue Mar  3 10:00:30 2026",
                Some(RetryAfter::At(UnixTime::from_secs(T0 + 30))),
            ),
            (b"", None),
            (b"  ", None),
            (b"-5", None),
            (b"+5", None),
            (b"1.5", None),
            (b"30s", None),
            (b"30, 40", None),
            (b"3 0", None),
            (b"soon", None),
            (b"\xff", None),
        ];
        for &(input, expected) in cases {
            assert_eq!(RetryAfter::parse(input), expected, "{input:?}");
        }
    }

    #[test]
    fn delay_from_reference_time() {
        let at = RetryAfter::At(UnixTime::from_secs(T0 + 30));
        assert_eq!(
            at.delay_from(UnixTime::from_secs(T0)),
            Duration::from_secs(30)
        );
        assert_eq!(at.delay_from(UnixTime::from_secs(T0 + 30)), Duration::ZERO);
        assert_eq!(at.delay_from(UnixTime::from_secs(T0 + 31)), Duration::ZERO);
        let delay = RetryAfter::Delay(Duration::from_secs(5));
        assert_eq!(
            delay.delay_from(UnixTime::from_secs(T0)),
            Duration::from_secs(5)
        );
    }

    #[test]
    fn delay_of_a_response() {
        const DATE: &[u8] = b"Tue, 03 Mar 2026 10:00:00 GMT";
        /// Retry-After, Date, wall clock, expected delay in seconds.
        type Case = (
            Option<&'static [u8]>,
            Option<&'static [u8]>,
            Option<u64>,
            Option<u64>,
        );
        let cases: &[Case] = &[
            (Some(b"30"), Some(DATE), None, Some(30)),
            (Some(b"30"), None, None, Some(30)),
            (Some(b"0"), None, None, Some(0)),
            (Some(b"86400"), None, None, Some(86_400)),
            (Some(b"86401"), None, None, Some(86_400)),
            (Some(b"99999999999999999999999"), None, None, Some(86_400)),
            (
                Some(b"Tue, 03 Mar 2026 10:00:30 GMT"),
                Some(DATE),
                None,
                Some(30),
            ),
            // `Date` wins over the caller's (skewed) wall clock.
            (
                Some(b"Tue, 03 Mar 2026 10:00:30 GMT"),
                Some(DATE),
                Some(T0 + 1_000),
                Some(30),
            ),
            (
                Some(b"Tue, 03 Mar 2026 10:00:30 GMT"),
                None,
                Some(T0 + 20),
                Some(10),
            ),
            // An invalid `Date` falls back to the wall clock.
            (
                Some(b"Tue, 03 Mar 2026 10:00:30 GMT"),
                Some(b"now"),
                Some(T0 + 25),
                Some(5),
            ),
            (Some(b"Tue, 03 Mar 2026 10:00:30 GMT"), None, None, None),
            (
                Some(b"Tue, 03 Mar 2026 10:00:30 GMT"),
                Some(b"now"),
                None,
                None,
            ),
            // In the past: retry now.
            (
                Some(b"Tue, 03 Mar 2026 09:00:00 GMT"),
                Some(DATE),
                None,
                Some(0),
            ),
            (
                Some(b"Thu, 01 Jan 1970 00:00:00 GMT"),
                None,
                Some(T0),
                Some(0),
            ),
            // Far in the future: capped.
            (
                Some(b"Fri, 31 Dec 9999 23:59:59 GMT"),
                Some(DATE),
                None,
                Some(86_400),
            ),
            (Some(b"later"), Some(DATE), Some(T0), None),
            (None, Some(DATE), Some(T0), None),
        ];
        for &(retry_after, date, wall_clock, expected) in cases {
            let mut headers = alloc::vec::Vec::new();
            if let Some(value) = date {
                headers.push(Header {
                    name: "date",
                    value,
                });
            }
            if let Some(value) = retry_after {
                headers.push(Header {
                    name: "retry-after",
                    value,
                });
            }
            let mut response = HttpResponse::new(503, &headers, b"");
            if let Some(secs) = wall_clock {
                response = response.with_wall_clock(UnixTime::from_secs(secs));
            }
            assert_eq!(
                retry_after_delay(&response),
                expected.map(Duration::from_secs),
                "{retry_after:?} {date:?} {wall_clock:?}"
            );
        }
    }

    #[test]
    fn first_retry_after_field_counts() {
        let headers = [
            Header {
                name: "Retry-After",
                value: b"10",
            },
            Header {
                name: "Retry-After",
                value: b"20",
            },
        ];
        let response = HttpResponse::new(429, &headers, b"");
        assert_eq!(retry_after_delay(&response), Some(Duration::from_secs(10)));
    }

    proptest! {
        #[test]
        fn never_panics_and_never_exceeds_the_cap(
            retry_after in proptest::collection::vec(any::<u8>(), 0..40),
            date in proptest::collection::vec(any::<u8>(), 0..40),
            wall_clock in proptest::option::of(any::<u64>()),
        ) {
            let _ = RetryAfter::parse(&retry_after);
            let headers = [
                Header { name: "Date", value: &date },
                Header { name: "Retry-After", value: &retry_after },
            ];
            let mut response = HttpResponse::new(429, &headers, b"");
            if let Some(secs) = wall_clock {
                response = response.with_wall_clock(UnixTime::from_secs(secs));
            }
            if let Some(delay) = retry_after_delay(&response) {
                prop_assert!(delay <= MAX_RETRY_AFTER);
            }
        }

        #[test]
        fn delay_seconds_round_trip(secs in 0u64..=86_400) {
            let text = alloc::format!("{secs}");
            prop_assert_eq!(RetryAfter::parse(text.as_bytes()), Some(RetryAfter::Delay(Duration::from_secs(secs))));
        }
    }
}
