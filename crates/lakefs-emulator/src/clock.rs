//! Time as the emulator reads it, and the formats it writes times in.
//!
//! Every time the emulator reads (part URL dates and expiry, link-address age, STS and
//! external-login token expiry, object `mtime`, pull-request dates) is the system clock plus
//! an offset that [`Emulator::advance_clock`](crate::Emulator::advance_clock) moves forward,
//! so tests can make things expire without sleeping. Times are whole Unix seconds.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The system clock plus `offset`, in Unix seconds.
pub(crate) fn now_with(offset: Duration) -> i64 {
    SystemTime::now()
        .checked_add(offset)
        .unwrap_or_else(SystemTime::now)
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's `days_from_civil`).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month = i64::from(month);
    let day_of_year =
        (153 * (if month > 2 { month - 3 } else { month + 9 }) + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The date of a day count since 1970-01-01 (H. Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let days = days + 719_468;
    let era = days.div_euclid(146_097);
    let day_of_era = days - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (
        year,
        u32::try_from(month).unwrap_or(1),
        u32::try_from(day).unwrap_or(1),
    )
}

/// Year, month, day, hour, minute, second (UTC) of a Unix time.
fn civil(secs: i64) -> (i64, u32, u32, u32, u32, u32) {
    let (year, month, day) = civil_from_days(secs.div_euclid(86_400));
    let in_day = u32::try_from(secs.rem_euclid(86_400)).unwrap_or(0);
    (
        year,
        month,
        day,
        in_day / 3600,
        in_day / 60 % 60,
        in_day % 60,
    )
}

/// RFC 3339 in UTC, e.g. `2026-11-23T12:00:00Z` (the `date-time` format of the spec).
pub(crate) fn rfc3339(secs: i64) -> String {
    let (y, mo, d, h, mi, s) = civil(secs);
    format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z")
}

/// SigV4's `X-Amz-Date` format, e.g. `20261123T120000Z`.
pub(crate) fn amz_date(secs: i64) -> String {
    let (y, mo, d, h, mi, s) = civil(secs);
    format!("{y:04}{mo:02}{d:02}T{h:02}{mi:02}{s:02}Z")
}

/// HTTP's date format (RFC 7231 IMF-fixdate, as Go's `Mon, 02 Jan 2006 15:04:05 GMT`), e.g.
/// `Mon, 23 Nov 2026 12:00:00 GMT`: `Last-Modified`.
pub(crate) fn http_date(secs: i64) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let (y, mo, d, h, mi, s) = civil(secs);
    let weekday = DAYS[usize::try_from(secs.div_euclid(86_400).rem_euclid(7)).unwrap_or(0)];
    let month = MONTHS[usize::try_from(mo.saturating_sub(1)).unwrap_or(0).min(11)];
    format!("{weekday}, {d:02} {month} {y:04} {h:02}:{mi:02}:{s:02} GMT")
}

/// Parses an RFC 3339 date-time (`2026-11-23T12:00:00Z`, fractions and `±hh:mm` offsets
/// allowed) into Unix seconds, rounded up: a time `t` is before it exactly when `t` is less
/// than the result.
pub(crate) fn parse_rfc3339(text: &str) -> Option<i64> {
    let bytes = text.as_bytes();
    if bytes.len() < 20
        || bytes[4] != b'-'
        || bytes[7] != b'-'
        || !matches!(bytes[10], b'T' | b't' | b' ')
    {
        return None;
    }
    if bytes[13] != b':' || bytes[16] != b':' {
        return None;
    }
    let number = |range: std::ops::Range<usize>| -> Option<u32> {
        let part = text.get(range)?;
        part.bytes()
            .all(|b| b.is_ascii_digit())
            .then(|| part.parse().ok())?
    };
    let (year, month, day) = (number(0..4)?, number(5..7)?, number(8..10)?);
    let (hour, minute, second) = (number(11..13)?, number(14..16)?, number(17..19)?);
    if !is_calendar_time(month, day, hour, minute, second) {
        return None;
    }
    let mut rest = &text[19..];
    let mut fraction = false;
    if let Some(after_dot) = rest.strip_prefix('.') {
        let digits = after_dot.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return None;
        }
        fraction = after_dot[..digits].bytes().any(|b| b != b'0');
        rest = &after_dot[digits..];
    }
    let offset = match rest.as_bytes() {
        [b'Z' | b'z'] => 0,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            let digits = [*h1, *h2, *m1, *m2];
            if !digits.iter().all(u8::is_ascii_digit) {
                return None;
            }
            let value = |a: u8, b: u8| i64::from(a - b'0') * 10 + i64::from(b - b'0');
            let minutes = value(digits[0], digits[1]) * 60 + value(digits[2], digits[3]);
            if *sign == b'+' {
                minutes * 60
            } else {
                -minutes * 60
            }
        }
        _ => return None,
    };
    let secs = days_from_civil(i64::from(year), month, day) * 86_400
        + i64::from(hour * 3600 + minute * 60 + second)
        - offset;
    Some(secs + i64::from(fraction))
}

/// Parses SigV4's `X-Amz-Date` format.
pub(crate) fn parse_amz_date(text: &str) -> Option<i64> {
    let bytes = text.as_bytes();
    if bytes.len() != 16
        || bytes[8] != b'T'
        || bytes[15] != b'Z'
        || !bytes[..8]
            .iter()
            .chain(&bytes[9..15])
            .all(u8::is_ascii_digit)
    {
        return None;
    }
    let number = |range: std::ops::Range<usize>| text.get(range)?.parse::<u32>().ok();
    let (year, month, day) = (number(0..4)?, number(4..6)?, number(6..8)?);
    let (hour, minute, second) = (number(9..11)?, number(11..13)?, number(13..15)?);
    if !is_calendar_time(month, day, hour, minute, second) {
        return None;
    }
    Some(
        days_from_civil(i64::from(year), month, day) * 86_400
            + i64::from(hour * 3600 + minute * 60 + second),
    )
}

/// Whether the fields name a time of a calendar day (a leap second allowed).
fn is_calendar_time(month: u32, day: u32, hour: u32, minute: u32, second: u32) -> bool {
    (1..=12).contains(&month)
        && (1..=31).contains(&day)
        && hour <= 23
        && minute <= 59
        && second <= 60
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_and_parses() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(amz_date(1_795_435_200), "20261123T120000Z");
        assert_eq!(rfc3339(1_795_435_200 + 3_723), "2026-11-23T13:02:03Z");
        for t in [0, 951_782_400, 1_795_435_200, 4_102_444_799, 32_503_680_000] {
            assert_eq!(parse_amz_date(&amz_date(t)), Some(t), "{t}");
        }
        assert_eq!(parse_amz_date("20261323T080000Z"), None);
        assert_eq!(http_date(0), "Thu, 01 Jan 1970 00:00:00 GMT");
        assert_eq!(http_date(1_795_435_200), "Mon, 23 Nov 2026 12:00:00 GMT");
        assert_eq!(parse_rfc3339("2026-11-23T12:00:00Z"), Some(1_795_435_200));
        assert_eq!(
            parse_rfc3339("2026-11-23T14:00:00+02:00"),
            Some(1_795_435_200)
        );
        assert_eq!(
            parse_rfc3339("2026-11-23T12:00:00.000Z"),
            Some(1_795_435_200)
        );
        assert_eq!(parse_rfc3339("2026-11-23T12:00:00.5Z"), Some(1_795_435_201));
        assert_eq!(parse_rfc3339("2026-11-23"), None);
        assert_eq!(parse_rfc3339("2026-11-23T12:00:00"), None);
        assert_eq!(parse_amz_date("2026-11-23T08:00"), None);
    }
}
