//! Reading sizes, rates and durations as people write them (`25MiB`, `20ms`).

use std::time::Duration;

/// Bytes from `1234`, `64KiB`, `25MiB`, `1GiB`, `10MB` (decimal), `4k`/`4K` (binary); a rate
/// may end in `/s`.
pub fn parse_bytes(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let t = t.strip_suffix("/s").unwrap_or(t);
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let value: f64 = number
        .parse()
        .map_err(|_| format!("{number:?} is not a number"))?;
    let multiplier: u64 = match unit.trim() {
        "" | "B" | "b" => 1,
        "k" | "K" | "KiB" | "kiB" => 1 << 10,
        "m" | "M" | "MiB" => 1 << 20,
        "g" | "G" | "GiB" => 1 << 30,
        "KB" | "kB" => 1_000,
        "MB" => 1_000_000,
        "GB" => 1_000_000_000,
        other => {
            return Err(format!(
                "unknown unit {other:?} (use B, KiB, MiB, GiB, KB, MB or GB)"
            ))
        }
    };
    let bytes = value * multiplier as f64;
    if !bytes.is_finite() || bytes < 0.0 || bytes > u64::MAX as f64 {
        return Err("out of range".into());
    }
    Ok(bytes.round() as u64)
}

/// A duration from `20ms`, `1.5s`, `500us`, `0`.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let value: f64 = number
        .parse()
        .map_err(|_| format!("{number:?} is not a number"))?;
    let seconds = match unit.trim() {
        "s" => value,
        "ms" => value / 1e3,
        "us" | "µs" => value / 1e6,
        "ns" => value / 1e9,
        "" if value == 0.0 => 0.0,
        "" => return Err("no unit (use s, ms or us)".into()),
        other => return Err(format!("unknown unit {other:?} (use s, ms or us)")),
    };
    Duration::try_from_secs_f64(seconds).map_err(|e| e.to_string())
}

/// `25.0 MiB/s`-style figures for bytes per second.
pub fn format_rate(bytes_per_second: f64) -> String {
    format!("{:.1} MiB/s", bytes_per_second / (1u64 << 20) as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_rates() {
        assert_eq!(parse_bytes("1234").unwrap(), 1234);
        assert_eq!(parse_bytes("25MiB").unwrap(), 25 << 20);
        assert_eq!(parse_bytes("25MiB/s").unwrap(), 25 << 20);
        assert_eq!(parse_bytes("1.5GiB").unwrap(), 3 << 29);
        assert_eq!(parse_bytes("10MB").unwrap(), 10_000_000);
        assert_eq!(parse_bytes("64k").unwrap(), 65536);
        assert!(parse_bytes("25Mb").unwrap_err().contains("\"Mb\""));
        assert!(parse_bytes("fast").unwrap_err().contains("not a number"));
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("20ms").unwrap(), Duration::from_millis(20));
        assert_eq!(parse_duration("1.5s").unwrap(), Duration::from_millis(1500));
        assert_eq!(parse_duration("250us").unwrap(), Duration::from_micros(250));
        assert_eq!(parse_duration("0").unwrap(), Duration::ZERO);
        assert!(parse_duration("20").unwrap_err().contains("no unit"));
        assert!(parse_duration("20min").unwrap_err().contains("\"min\""));
    }
}
