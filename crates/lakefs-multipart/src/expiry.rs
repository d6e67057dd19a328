//! When a presigned URL expires: SigV4's `X-Amz-Date` + `X-Amz-Expires` query parameters.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use http::Uri;

/// The wall-clock time at which a SigV4 presigned URL stops being accepted, from its
/// `X-Amz-Date` (`YYYYMMDDTHHMMSSZ`) and `X-Amz-Expires` (seconds) query parameters. `None`
/// when the URL lacks either or they cannot be read: such a URL is used as it is.
pub(crate) fn presigned_expiry(url: &Uri) -> Option<SystemTime> {
    let query = url.query()?;
    let mut date = None;
    let mut expires = None;
    for pair in query.split('&') {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        if name.eq_ignore_ascii_case("X-Amz-Date") {
            date = Some(value);
        } else if name.eq_ignore_ascii_case("X-Amz-Expires") {
            expires = Some(value);
        }
    }
    let signed_at = parse_amz_date(date?)?;
    let seconds: u64 = expires?.parse().ok()?;
    signed_at.checked_add(Duration::from_secs(seconds))
}

/// Parses SigV4's basic ISO 8601 timestamp, `20261123T101500Z`, as UTC.
fn parse_amz_date(text: &str) -> Option<SystemTime> {
    let bytes = text.as_bytes();
    if bytes.len() != 16 || bytes[8] != b'T' || bytes[15] != b'Z' {
        return None;
    }
    let number = |range: std::ops::Range<usize>| -> Option<u64> {
        let digits = text.get(range)?;
        digits
            .bytes()
            .all(|b| b.is_ascii_digit())
            .then(|| digits.parse().ok())
            .flatten()
    };
    let (year, month, day) = (number(0..4)?, number(4..6)?, number(6..8)?);
    let (hour, minute, second) = (number(9..11)?, number(11..13)?, number(13..15)?);
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 || minute > 59 {
        return None;
    }
    if second > 60 {
        return None;
    }
    let days = days_from_civil(year, month, day)?;
    let seconds = days
        .checked_mul(86_400)?
        .checked_add(hour * 3600 + minute * 60 + second)?;
    UNIX_EPOCH.checked_add(Duration::from_secs(seconds))
}

/// Days from 1970-01-01 to the given proleptic Gregorian date (H. Hinnant's algorithm), for
/// dates from 1970 on.
fn days_from_civil(year: u64, month: u64, day: u64) -> Option<u64> {
    let year = if month <= 2 {
        year.checked_sub(1)?
    } else {
        year
    };
    let era = year / 400;
    let year_of_era = year - era * 400;
    let month_index = (month + 9) % 12; // March = 0
    let day_of_year = (153 * month_index + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    (era * 146_097 + day_of_era).checked_sub(719_468)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn uri(query: &str) -> Uri {
        format!("https://bucket.s3.example/key?{query}")
            .parse()
            .unwrap()
    }

    #[test]
    fn reads_date_plus_expires() {
        let url = uri("partNumber=3&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date=20261123T101500Z&X-Amz-Expires=900&X-Amz-Signature=abc");
        let expiry = presigned_expiry(&url).unwrap();
        assert_eq!(
            httpdate::fmt_http_date(expiry),
            "Mon, 23 Nov 2026 10:30:00 GMT"
        );
    }

    #[test]
    fn urls_without_both_parameters_have_no_expiry() {
        for query in [
            "X-Amz-Date=20261123T101500Z",
            "X-Amz-Expires=900",
            "X-Amz-Date=2026-11-23T10:15:00Z&X-Amz-Expires=900",
            "X-Amz-Date=20261323T101500Z&X-Amz-Expires=900",
            "X-Amz-Date=20261123T101500Z&X-Amz-Expires=-5",
            "X-Amz-Date=20261123T101500Z&X-Amz-Expires=soon",
            "sig=x",
        ] {
            assert_eq!(presigned_expiry(&uri(query)), None, "{query}");
        }
        let plain: Uri = "https://host/key".parse().unwrap();
        assert_eq!(presigned_expiry(&plain), None);
    }

    proptest! {
        /// An independent oracle: httpdate formats the same instant as an IMF-fixdate, whose
        /// fields are rearranged into SigV4's form.
        #[test]
        fn agrees_with_http_dates(seconds in 0u64..4_102_444_800, expires in 0u64..604_800) {
            let signed = UNIX_EPOCH + Duration::from_secs(seconds);
            let text = httpdate::fmt_http_date(signed); // "Mon, 23 Nov 2026 10:15:00 GMT"
            let fields: Vec<&str> = text.split([' ', ':']).collect();
            let month = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
                .iter()
                .position(|m| *m == fields[2])
                .unwrap()
                + 1;
            let amz = format!(
                "{}{month:02}{}T{}{}{}Z",
                fields[3], fields[1], fields[4], fields[5], fields[6]
            );
            let url = uri(&format!("X-Amz-Date={amz}&X-Amz-Expires={expires}"));
            prop_assert_eq!(presigned_expiry(&url), Some(signed + Duration::from_secs(expires)));
        }
    }
}
