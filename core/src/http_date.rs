//! HTTP-date parsing (RFC 9110 §5.6.7): the three forms a `Date` or `Retry-After` header
//! field may carry, turned into a [`UnixTime`] without any clock, table or allocation.
//!
//! | form | example |
//! | --- | --- |
//! | IMF-fixdate (preferred) | `Sun, 06 Nov 1994 08:49:37 GMT` |
//! | obsolete RFC 850 | `Sunday, 06-Nov-94 08:49:37 GMT` |
//! | obsolete asctime | `Sun Nov  6 08:49:37 1994` |
//!
//! The grammar is followed exactly (fixed field widths, single spaces, `GMT`), with three
//! documented leniencies: names (day, month, `GMT`) match in any ASCII case, optional
//! whitespace around the whole value is ignored, and the day name is checked for syntax
//! only — a weekday that disagrees with the date is not an error (as in Go's `net/http`).
//! Calendar dates must exist (`31 Apr` and `29 Feb 2025` are rejected); hours run 00–23,
//! minutes 00–59, seconds 00–60 (a leap second counts as the next minute's first second,
//! since UNIX time has no leap seconds). Dates before 1970 are rejected: [`UnixTime`] cannot
//! hold them and no server means them.
//!
//! RFC 850 dates have a two-digit year. RFC 9110 resolves it against the current time, which
//! this clock-free parser does not have; it uses a fixed window instead: `70`–`99` are
//! 1970–1999 and `00`–`69` are 2000–2069.

use crate::time::UnixTime;

/// Parses an HTTP-date in any of the three forms of RFC 9110 §5.6.7.
///
/// Returns `None` for anything else; never panics.
///
/// ```
/// use lucca_auth::http_date::parse_http_date;
/// use lucca_auth::time::UnixTime;
///
/// let t = UnixTime::from_secs(784_111_777);
/// assert_eq!(parse_http_date(b"Sun, 06 Nov 1994 08:49:37 GMT"), Some(t));
/// assert_eq!(parse_http_date(b"Sunday, 06-Nov-94 08:49:37 GMT"), Some(t));
/// assert_eq!(parse_http_date(b"Sun Nov  6 08:49:37 1994"), Some(t));
/// assert_eq!(parse_http_date(b"yesterday"), None);
/// ```
#[must_use]
pub fn parse_http_date(value: &[u8]) -> Option<UnixTime> {
    let mut cursor = Cursor::new(trim_ows(value));
    let day_name = cursor.letters();
    let fields = match (cursor.next()?, day_name.len()) {
        (b',', 3) if is_short_day_name(day_name) => imf_fixdate(&mut cursor)?,
        (b',', _) if is_long_day_name(day_name) => rfc850_date(&mut cursor)?,
        (b' ', 3) if is_short_day_name(day_name) => asctime_date(&mut cursor)?,
        _ => return None,
    };
    if !cursor.is_empty() {
        return None;
    }
    fields.to_unix_time()
}

/// The fields of a date, before validation.
struct DateFields {
    year: u64,
    month: u64,
    day: u64,
    hour: u64,
    minute: u64,
    second: u64,
}

impl DateFields {
    fn to_unix_time(&self) -> Option<UnixTime> {
        if self.year < 1970
            || self.day == 0
            || self.day > days_in_month(self.year, self.month)?
            || self.hour > 23
            || self.minute > 59
            || self.second > 60
        {
            return None;
        }
        let days = days_from_civil(self.year, self.month, self.day);
        let secs = days * 86_400 + self.hour * 3_600 + self.minute * 60 + self.second;
        Some(UnixTime::from_secs(secs))
    }
}

/// `SP date1 SP time-of-day SP GMT` after `day-name ","`; date1 = `DD SP Mon SP YYYY`.
fn imf_fixdate(cursor: &mut Cursor<'_>) -> Option<DateFields> {
    cursor.literal(b" ")?;
    let day = cursor.digits(2)?;
    cursor.literal(b" ")?;
    let month = cursor.month()?;
    cursor.literal(b" ")?;
    let year = cursor.digits(4)?;
    cursor.literal(b" ")?;
    let (hour, minute, second) = cursor.time_of_day()?;
    cursor.literal(b" GMT")?;
    Some(DateFields {
        year,
        month,
        day,
        hour,
        minute,
        second,
    })
}

/// `SP date2 SP time-of-day SP GMT` after `day-name-l ","`; date2 = `DD-Mon-YY`.
fn rfc850_date(cursor: &mut Cursor<'_>) -> Option<DateFields> {
    cursor.literal(b" ")?;
    let day = cursor.digits(2)?;
    cursor.literal(b"-")?;
    let month = cursor.month()?;
    cursor.literal(b"-")?;
    let two_digit_year = cursor.digits(2)?;
    let year = if two_digit_year >= 70 {
        1900 + two_digit_year
    } else {
        2000 + two_digit_year
    };
    cursor.literal(b" ")?;
    let (hour, minute, second) = cursor.time_of_day()?;
    cursor.literal(b" GMT")?;
    Some(DateFields {
        year,
        month,
        day,
        hour,
        minute,
        second,
    })
}

/// `date3 SP time-of-day SP year` after `day-name SP`; date3 = `Mon SP (DD / SP D)`.
fn asctime_date(cursor: &mut Cursor<'_>) -> Option<DateFields> {
    let month = cursor.month()?;
    cursor.literal(b" ")?;
    let day = if cursor.literal(b" ").is_some() {
        cursor.digits(1)?
    } else {
        cursor.digits(2)?
    };
    cursor.literal(b" ")?;
    let (hour, minute, second) = cursor.time_of_day()?;
    cursor.literal(b" ")?;
    let year = cursor.digits(4)?;
    Some(DateFields {
        year,
        month,
        day,
        hour,
        minute,
        second,
    })
}

/// A forward-only reader over the bytes of a date; every method consumes only on success.
struct Cursor<'a> {
    rest: &'a [u8],
}

impl<'a> Cursor<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        Cursor { rest: bytes }
    }

    fn is_empty(&self) -> bool {
        self.rest.is_empty()
    }

    fn next(&mut self) -> Option<u8> {
        let (&first, rest) = self.rest.split_first()?;
        self.rest = rest;
        Some(first)
    }

    /// The longest run of ASCII letters (possibly empty).
    fn letters(&mut self) -> &'a [u8] {
        let len = self
            .rest
            .iter()
            .take_while(|b| b.is_ascii_alphabetic())
            .count();
        let (letters, rest) = self.rest.split_at(len);
        self.rest = rest;
        letters
    }

    /// `expected`, compared ASCII case-insensitively.
    fn literal(&mut self, expected: &[u8]) -> Option<()> {
        let (head, rest) = self.rest.split_at_checked(expected.len())?;
        if !head.eq_ignore_ascii_case(expected) {
            return None;
        }
        self.rest = rest;
        Some(())
    }

    /// Exactly `count` ASCII digits (`count` ≤ 4, so the value fits easily).
    fn digits(&mut self, count: usize) -> Option<u64> {
        let (head, rest) = self.rest.split_at_checked(count)?;
        let mut value = 0;
        for &b in head {
            if !b.is_ascii_digit() {
                return None;
            }
            value = value * 10 + u64::from(b - b'0');
        }
        self.rest = rest;
        Some(value)
    }

    /// A three-letter month name, as its number 1–12.
    fn month(&mut self) -> Option<u64> {
        let (head, rest) = self.rest.split_at_checked(3)?;
        let index = MONTHS.iter().position(|m| head.eq_ignore_ascii_case(m))?;
        self.rest = rest;
        u64::try_from(index).ok().map(|i| i + 1)
    }

    /// `HH:MM:SS`, ranges checked later.
    fn time_of_day(&mut self) -> Option<(u64, u64, u64)> {
        let hour = self.digits(2)?;
        self.literal(b":")?;
        let minute = self.digits(2)?;
        self.literal(b":")?;
        let second = self.digits(2)?;
        Some((hour, minute, second))
    }
}

const MONTHS: [&[u8]; 12] = [
    b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov", b"Dec",
];

const SHORT_DAYS: [&[u8]; 7] = [b"Mon", b"Tue", b"Wed", b"Thu", b"Fri", b"Sat", b"Sun"];

const LONG_DAYS: [&[u8]; 7] = [
    b"Monday",
    b"Tuesday",
    b"Wednesday",
    b"Thursday",
    b"Friday",
    b"Saturday",
    b"Sunday",
];

fn is_short_day_name(name: &[u8]) -> bool {
    SHORT_DAYS.iter().any(|d| name.eq_ignore_ascii_case(d))
}

fn is_long_day_name(name: &[u8]) -> bool {
    LONG_DAYS.iter().any(|d| name.eq_ignore_ascii_case(d))
}

/// Strips optional whitespace (SP / HTAB) from both ends.
fn trim_ows(value: &[u8]) -> &[u8] {
    let is_ows = |b: &u8| *b == b' ' || *b == b'\t';
    let start = value.iter().position(|b| !is_ows(b)).unwrap_or(value.len());
    let end = value
        .iter()
        .rposition(|b| !is_ows(b))
        .map_or(start, |i| i + 1);
    value.get(start..end).unwrap_or_default()
}

fn is_leap_year(year: u64) -> bool {
    year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400))
}

/// Days in `month` (1–12) of `year`; `None` for a month out of range.
fn days_in_month(year: u64, month: u64) -> Option<u64> {
    Some(match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap_year(year) => 29,
        2 => 28,
        _ => return None,
    })
}

/// Days from 1970-01-01 to a valid proleptic Gregorian date in 1970 or later (Howard
/// Hinnant's `days_from_civil`, restricted to non-negative years so it stays unsigned).
fn days_from_civil(year: u64, month: u64, day: u64) -> u64 {
    // Years start in March, so the leap day is the last day of the year.
    let year = if month <= 2 { year - 1 } else { year };
    let era = year / 400;
    let year_of_era = year % 400; // [0, 399]
    let month_from_march = (month + 9) % 12; // [0, 11]
    let day_of_year = (153 * month_from_march + 2) / 5 + day - 1; // [0, 365]
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    // 719_468 days from 0000-03-01 to 1970-01-01.
    era * 146_097 + day_of_era - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn days_from_civil_matches_known_dates() {
        let cases: &[(u64, u64, u64, u64)] = &[
            (1970, 1, 1, 0),
            (1970, 1, 2, 1),
            (1970, 3, 1, 59),
            (1972, 2, 29, 789),
            (1972, 3, 1, 790),
            (2000, 1, 1, 10_957),
            (2000, 2, 29, 11_016),
            (2000, 3, 1, 11_017),
            (2026, 3, 3, 20_515),
            (2100, 3, 1, 47_541),
            (9999, 12, 31, 2_932_896),
        ];
        for &(y, m, d, days) in cases {
            assert_eq!(days_from_civil(y, m, d), days, "{y}-{m}-{d}");
        }
    }

    #[test]
    fn parses_every_form() {
        let cases: &[(&str, u64)] = &[
            // RFC 9110 §5.6.7 examples.
            ("Sun, 06 Nov 1994 08:49:37 GMT", 784_111_777),
            ("Sunday, 06-Nov-94 08:49:37 GMT", 784_111_777),
            ("Sun Nov  6 08:49:37 1994", 784_111_777),
            // The shared cases' Date header.
            ("Tue, 03 Mar 2026 10:00:00 GMT", 1_772_532_000),
            ("Tue, 03 Mar 2026 10:00:30 GMT", 1_772_532_030),
            ("Thu, 01 Jan 1970 00:00:00 GMT", 0),
            ("Thursday, 01-Jan-70 00:00:00 GMT", 0),
            ("Thu Jan  1 00:00:00 1970", 0),
            ("Tue, 29 Feb 2000 12:00:00 GMT", 951_825_600),
            ("Thu, 29 Feb 2024 23:59:59 GMT", 1_709_251_199),
            ("Fri, 31 Dec 9999 23:59:59 GMT", 253_402_300_799),
            ("Tuesday, 03-Mar-26 10:00:00 GMT", 1_772_532_000),
            ("Wednesday, 31-Dec-69 23:59:59 GMT", 3_155_759_999),
            ("Tue Mar 03 10:00:00 2026", 1_772_532_000),
            ("Tue Mar  3 10:00:00 2026", 1_772_532_000),
            ("Sat Dec 31 23:59:59 2016", 1_483_228_799),
            // A leap second is the next minute's first second.
            ("Sat, 31 Dec 2016 23:59:60 GMT", 1_483_228_800),
            // Leniencies: any case for names, surrounding whitespace.
            ("sun, 06 nov 1994 08:49:37 gmt", 784_111_777),
            ("SUNDAY, 06-NOV-94 08:49:37 GMT", 784_111_777),
            ("  Sun, 06 Nov 1994 08:49:37 GMT\t", 784_111_777),
            // The weekday is not checked against the date.
            ("Mon, 06 Nov 1994 08:49:37 GMT", 784_111_777),
        ];
        for &(input, secs) in cases {
            assert_eq!(
                parse_http_date(input.as_bytes()),
                Some(UnixTime::from_secs(secs)),
                "{input:?}"
            );
        }
    }

    #[test]
    fn rejects_garbage_and_impossible_dates() {
        let cases: &[&str] = &[
            "",
            " ",
            "0",
            "30",
            "yesterday",
            "Sun,",
            "Sun, 06 Nov 1994 08:49:37",
            "Sun, 06 Nov 1994 08:49:37 UTC",
            "Sun, 06 Nov 1994 08:49:37 GMT+1",
            "Sun, 06 Nov 1994 08:49:37 GMTX",
            "Sun, 6 Nov 1994 08:49:37 GMT",
            "Sun, 06 Nov 94 08:49:37 GMT",
            "Sun,  06 Nov 1994 08:49:37 GMT",
            "Sun 06 Nov 1994 08:49:37 GMT",
            "Sun, 06-Nov-1994 08:49:37 GMT",
            "Sun, 06 November 1994 08:49:37 GMT",
            "Sun, 06 Nov 1994 8:49:37 GMT",
            "Sun, 06 Nov 1994 08:49 GMT",
            "Sun, 06 Nov 1994 08.49.37 GMT",
            "Sun, 06 Nov 1994 24:00:00 GMT",
            "Sun, 06 Nov 1994 23:60:00 GMT",
            "Sun, 06 Nov 1994 23:59:61 GMT",
            "Sun, 00 Nov 1994 08:49:37 GMT",
            "Sun, 31 Nov 1994 08:49:37 GMT",
            "Sat, 29 Feb 2025 00:00:00 GMT",
            "Fri, 29 Feb 2100 00:00:00 GMT",
            "Sun, 06 Foo 1994 08:49:37 GMT",
            "Xyz, 06 Nov 1994 08:49:37 GMT",
            "Sunday, 06 Nov 1994 08:49:37 GMT",
            "Sun, 06-Nov-94 08:49:37 GMT",
            "Sunday, 06-Nov-94 08:49:37",
            "Sunday, 6-Nov-94 08:49:37 GMT",
            "Sunday 06-Nov-94 08:49:37 GMT",
            "Sun Nov 6 08:49:37 1994",
            "Sun Nov   6 08:49:37 1994",
            "Sun Nov  6 08:49:37 94",
            "Sun Nov  6 08:49:37 1994 GMT",
            "Sunday Nov  6 08:49:37 1994",
            "Wed Dec 31 23:59:59 1969",
            "Wed, 31 Dec 1969 23:59:59 GMT",
            "Sun, 06 Nov 1994 08:49:37 GMT, Sun, 06 Nov 1994 08:49:37 GMT",
            "Sun, 06 Nov 1994 08:49:37 GMT\r\n",
            "Sun, 06 Nov +994 08:49:37 GMT",
            "Sun, 06 Nov １９94 08:49:37 GMT",
            "1994-11-06T08:49:37Z",
        ];
        for &input in cases {
            assert_eq!(parse_http_date(input.as_bytes()), None, "{input:?}");
        }
        assert_eq!(parse_http_date(b"Sun, 06 Nov 1994 08:49:37 GMT\xff"), None);
    }

    proptest! {
        #[test]
        fn never_panics_on_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
            let _ = parse_http_date(&bytes);
        }

        #[test]
        fn imf_fixdate_round_trips(
            year in 1970u64..=9999,
            month in 1u64..=12,
            day in 1u64..=28,
            hour in 0u64..24,
            minute in 0u64..60,
            second in 0u64..60,
        ) {
            let month_name = core::str::from_utf8(MONTHS[usize::try_from(month - 1).unwrap_or(0)]).unwrap_or("");
            let text = alloc::format!("Mon, {day:02} {month_name} {year:04} {hour:02}:{minute:02}:{second:02} GMT");
            let parsed = parse_http_date(text.as_bytes());
            let expected = days_from_civil(year, month, day) * 86_400 + hour * 3_600 + minute * 60 + second;
            prop_assert_eq!(parsed, Some(UnixTime::from_secs(expected)));
            // Consecutive days are exactly one day apart.
            prop_assert_eq!(days_from_civil(year, month, day) + 1, days_from_civil(year, month, day + 1));
        }
    }
}
