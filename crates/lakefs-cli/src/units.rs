//! Sizes on the command line (`8MiB`, `16M`, `5242880`) and in output; times in output.

/// Parses a byte count with an optional binary suffix: K, KB, KiB (1024), M, MB, MiB, G, GB,
/// GiB, case-insensitive.
pub(crate) fn parse_size(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (digits, suffix) = text.split_at(split);
    let number: u64 = digits
        .parse()
        .map_err(|_| format!("{text:?} is not a size such as 8MiB, 512KiB or 1048576"))?;
    let unit: u64 = match suffix.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        "t" | "tb" | "tib" => 1 << 40,
        other => return Err(format!("unknown size unit {other:?} (use KiB, MiB, GiB)")),
    };
    number
        .checked_mul(unit)
        .ok_or_else(|| format!("{text:?} is too large"))
}

/// `1.5 MiB`, `64 KiB`, `12 B`.
pub(crate) fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else if value.fract() == 0.0 {
        format!("{value:.0} {}", UNITS[unit])
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

/// A rate of bytes per second: `2.0 MiB/s`, in the units of [`human_size`].
pub(crate) fn human_rate(bytes_per_second: f64) -> String {
    format!("{}/s", human_size(bytes_per_second.max(0.0).round() as u64))
}

/// A duration to the second: `0 s`, `42 s`, `3 min 05 s`, `2 h 07 min`, `3 d 04 h`.
pub(crate) fn human_duration(duration: std::time::Duration) -> String {
    let seconds = duration.as_secs_f64().round() as u64;
    match seconds {
        0..=59 => format!("{seconds} s"),
        60..=3599 => format!("{} min {:02} s", seconds / 60, seconds % 60),
        3600..=86_399 => format!("{} h {:02} min", seconds / 3600, seconds % 3600 / 60),
        _ => format!("{} d {:02} h", seconds / 86_400, seconds % 86_400 / 3600),
    }
}

/// The time now, in Unix seconds.
pub(crate) fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// A Unix time as a person reads it: `2026-12-03 04:58:02 UTC (3 min 05 s ago)`, or
/// `(in 59 min 58 s)` for one to come.
pub(crate) fn human_time(unix_seconds: i64) -> String {
    format!(
        "{} ({})",
        utc_time(unix_seconds),
        relative_time(unix_seconds, unix_now())
    )
}

/// `3 min 05 s ago`, `in 2 h 07 min`, `now`: `then` seen from `now` (Unix seconds).
pub(crate) fn relative_time(then: i64, now: i64) -> String {
    let apart = std::time::Duration::from_secs(then.abs_diff(now));
    match then.cmp(&now) {
        std::cmp::Ordering::Equal => "now".to_owned(),
        std::cmp::Ordering::Less => format!("{} ago", human_duration(apart)),
        std::cmp::Ordering::Greater => format!("in {}", human_duration(apart)),
    }
}

/// A Unix time (seconds) as `2026-05-03 14:07:09 UTC`.
pub(crate) fn utc_time(unix_seconds: i64) -> String {
    let days = unix_seconds.div_euclid(86_400);
    let of_day = unix_seconds.rem_euclid(86_400);
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02} UTC",
        of_day / 3600,
        of_day % 3600 / 60,
        of_day % 60
    )
}

/// The proleptic Gregorian date of a day counted from 1970-01-01 (Howard Hinnant's
/// `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// Megabytes (10^6 bytes) per second: for `bench`, whose tables compare with other tools'
/// figures in MB/s; everything else shows [`human_rate`].
pub(crate) fn megabytes_per_second(bytes: u64, seconds: f64) -> f64 {
    if seconds <= 0.0 {
        return 0.0;
    }
    bytes as f64 / 1e6 / seconds
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("5242880").unwrap(), 5 * 1024 * 1024);
        assert_eq!(parse_size("8MiB").unwrap(), 8 << 20);
        assert_eq!(parse_size("8m").unwrap(), 8 << 20);
        assert_eq!(parse_size("64KiB").unwrap(), 64 << 10);
        assert_eq!(parse_size("1 GiB").unwrap(), 1 << 30);
        assert!(parse_size("MiB").is_err());
        assert!(parse_size("8 parsecs").is_err());
        assert_eq!(human_size(64 << 10), "64 KiB");
        assert_eq!(human_size(1536 << 10), "1.5 MiB");
        assert_eq!(human_size(12), "12 B");
        assert_eq!(human_rate(2.0 * 1024.0 * 1024.0), "2 MiB/s");
        assert_eq!(human_rate(1536.0 * 1024.0), "1.5 MiB/s");
        use std::time::Duration;
        assert_eq!(human_duration(Duration::from_millis(400)), "0 s");
        assert_eq!(human_duration(Duration::from_secs(42)), "42 s");
        assert_eq!(human_duration(Duration::from_secs(185)), "3 min 05 s");
        assert_eq!(human_duration(Duration::from_secs(7620)), "2 h 07 min");
        assert_eq!(
            human_duration(Duration::from_secs(3 * 86_400 + 4 * 3600)),
            "3 d 04 h"
        );
        assert_eq!(relative_time(1000, 1185), "3 min 05 s ago");
        assert_eq!(relative_time(1185, 1000), "in 3 min 05 s");
        assert_eq!(relative_time(1000, 1000), "now");
    }

    #[test]
    fn times() {
        assert_eq!(utc_time(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(utc_time(951_782_400), "2000-02-29 00:00:00 UTC");
        assert_eq!(utc_time(1_777_817_229), "2026-05-03 14:07:09 UTC");
        assert_eq!(utc_time(4_107_542_399), "2100-02-28 23:59:59 UTC");
        assert_eq!(utc_time(-1), "1969-12-31 23:59:59 UTC");
    }
}
