//! Wall-clock time and calendar days, without a date-time dependency.
//!
//! PrivacyKit needs only milliseconds since the Unix epoch (ledger and history rows), the
//! local calendar day (the access report's buckets) and `YYYY-MM-DD` dates (policy fields).

use std::time::{SystemTime, UNIX_EPOCH};

pub(crate) const MS_PER_DAY: i64 = 86_400_000;

/// The furthest any time zone is from UTC (UTC+14 and UTC-12 are in use; 14 hours either way
/// is accepted).
pub(crate) const MAX_UTC_OFFSET_MINUTES: i32 = 14 * 60;

/// Where PrivacyKit reads the time. The system clock in apps; a fixed or stepping clock in
/// tests, benchmarks and replays (`PrivacyKit::open_with_clock`). Rust code calls it `Clock`;
/// the bindings call it `PrivacyKitClock`, since Swift's standard library has a `Clock`
/// protocol of its own (and UniFFI cannot rename a foreign trait for one language).
///
/// PrivacyKit reads it while it holds its locks: an implementation returns at once and never
/// calls back into PrivacyKit.
#[uniffi::export(foreign)]
pub trait PrivacyKitClock: Send + Sync {
    /// Milliseconds since 1970-01-01T00:00:00Z.
    fn now_ms(&self) -> i64;
}

pub use self::PrivacyKitClock as Clock;

pub(crate) struct SystemClock;

impl Clock for SystemClock {
    fn now_ms(&self) -> i64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
            .unwrap_or(0)
    }
}

/// Days since 1970-01-01 in the time zone `utc_offset_minutes` east of UTC.
pub(crate) fn local_day(now_ms: i64, utc_offset_minutes: i32) -> i64 {
    (now_ms + i64::from(utc_offset_minutes) * 60_000).div_euclid(MS_PER_DAY)
}

/// `YYYY-MM-DD` for a day number (proleptic Gregorian calendar).
pub(crate) fn format_day(day: i64) -> String {
    let (y, m, d) = civil_from_days(day);
    format!("{y:04}-{m:02}-{d:02}")
}

/// The day number of a `YYYY-MM-DD` date, or `None` when it is not a real date.
pub(crate) fn parse_day(text: &str) -> Option<i64> {
    let bytes = text.as_bytes();
    if bytes.len() != 10 || bytes[4] != b'-' || bytes[7] != b'-' {
        return None;
    }
    let number = |range: std::ops::Range<usize>| -> Option<i64> {
        let part = &text[range];
        part.bytes()
            .all(|b| b.is_ascii_digit())
            .then(|| part.parse().ok())
            .flatten()
    };
    let (y, m, d) = (number(0..4)?, number(5..7)?, number(8..10)?);
    if !(1..=12).contains(&m) || d < 1 || d > days_in_month(y, m) {
        return None;
    }
    Some(days_from_civil(y, m, d))
}

/// The day a person born on `birth_day` turns `years` old. Someone born on 29 February
/// turns a year older on 1 March in years without one (the later of the two customs, so an
/// age threshold is never reached early).
pub(crate) fn anniversary(birth_day: i64, years: u32) -> i64 {
    let (y, m, d) = civil_from_days(birth_day);
    let y = y + i64::from(years);
    if m == 2 && d == 29 && days_in_month(y, 2) == 28 {
        days_from_civil(y, 3, 1)
    } else {
        days_from_civil(y, m, d)
    }
}

/// Completed years of age on `day` for someone born on `birth_day` (0 before the first
/// birthday, and for a birth day in the future).
pub(crate) fn age_on(birth_day: i64, day: i64) -> u32 {
    let (by, _, _) = civil_from_days(birth_day);
    let (y, _, _) = civil_from_days(day);
    let mut years = (y - by).clamp(0, i64::from(u32::MAX)) as u32;
    while years > 0 && anniversary(birth_day, years) > day {
        years -= 1;
    }
    years
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

// Howard Hinnant's civil-date algorithms (public domain), shifted so March is month 0.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_round_trip() {
        for day in [-719_528, -1, 0, 1, 11_016, 19_782, 20_000, 2_932_896] {
            assert_eq!(parse_day(&format_day(day)), Some(day), "day {day}");
        }
        assert_eq!(parse_day("1970-01-01"), Some(0));
        assert_eq!(parse_day("2024-02-29"), Some(19_782));
        assert_eq!(format_day(19_782), "2024-02-29");
    }

    #[test]
    fn impossible_dates_are_rejected() {
        for text in [
            "2023-02-29",
            "2024-13-01",
            "2024-00-10",
            "2024-04-31",
            "24-01-01",
            "2024/01/01",
            "2024-1-01",
            "+024-01-01",
            "",
        ] {
            assert_eq!(parse_day(text), None, "{text}");
        }
    }

    #[test]
    fn ages_turn_on_the_birthday() {
        let born = parse_day("2010-06-15").unwrap();
        assert_eq!(age_on(born, parse_day("2026-06-14").unwrap()), 15);
        assert_eq!(age_on(born, parse_day("2026-06-15").unwrap()), 16);
        assert_eq!(anniversary(born, 16), parse_day("2026-06-15").unwrap());
        assert_eq!(age_on(born, born - 1), 0);
        let leap = parse_day("2008-02-29").unwrap();
        assert_eq!(anniversary(leap, 13), parse_day("2021-03-01").unwrap());
        assert_eq!(age_on(leap, parse_day("2021-02-28").unwrap()), 12);
        assert_eq!(age_on(leap, parse_day("2024-02-29").unwrap()), 16);
    }

    #[test]
    fn local_day_follows_the_offset() {
        let just_before_midnight_utc = MS_PER_DAY - 1;
        assert_eq!(local_day(just_before_midnight_utc, 0), 0);
        assert_eq!(local_day(just_before_midnight_utc, 180), 1); // Moscow is already on day 1
        assert_eq!(local_day(0, -300), -1); // New York is still on 1969-12-31
    }
}
