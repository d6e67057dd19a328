//! Byte ranges of object reads, as lakeFS parses the `Range` header
//! (`pkg/httputil/range.go:30-105`): one range, inclusive.

/// Why a range cannot be served.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum RangeError {
    /// Malformed, several ranges, or start after end: 416 without `Content-Range`.
    Bad,
    /// Starts at or after the end (or `bytes=-0`): 416 with `Content-Range: bytes */SIZE`.
    Unsatisfiable,
}

/// lakeFS's `httputil.ParseRange`: one range of an object of `length` bytes, inclusive;
/// `bytes=S-E` (E clamped to the end), `bytes=S-`, `bytes=-N` (the last N bytes, all of them
/// when N ≥ length).
pub(crate) fn parse_range(spec: &str, length: i64) -> Result<(i64, i64), RangeError> {
    let spec = spec.strip_prefix("bytes=").ok_or(RangeError::Bad)?;
    if spec.contains(',') {
        return Err(RangeError::Bad);
    }
    let (from, to) = spec.split_once('-').ok_or(RangeError::Bad)?;
    let (from, to) = (from.trim(), to.trim());
    let number = |text: &str| text.parse::<i64>().map_err(|_| RangeError::Bad);
    match (from.is_empty(), to.is_empty()) {
        (true, true) => Err(RangeError::Bad),
        (true, false) => match number(to)? {
            0 => Err(RangeError::Unsatisfiable),
            suffix if suffix < 0 => Err(RangeError::Bad),
            suffix => Ok(((length - suffix).max(0), length - 1)),
        },
        (false, true) => match number(from)? {
            start if start < 0 => Err(RangeError::Bad),
            start if start > length - 1 => Err(RangeError::Unsatisfiable),
            start => Ok((start, length - 1)),
        },
        (false, false) => {
            let (start, end) = (number(from)?, number(to)?);
            if start < 0 || end < 0 || start > end {
                return Err(RangeError::Bad);
            }
            if start > length - 1 {
                return Err(RangeError::Unsatisfiable);
            }
            Ok((start, end.min(length - 1)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_as_lakefs_parses_them() {
        assert_eq!(parse_range("bytes=0-9", 37), Ok((0, 9)));
        assert_eq!(parse_range("bytes=0-200", 37), Ok((0, 36)));
        assert_eq!(parse_range("bytes=30-", 37), Ok((30, 36)));
        assert_eq!(parse_range("bytes=-5", 37), Ok((32, 36)));
        assert_eq!(parse_range("bytes=-50", 37), Ok((0, 36)));
        assert_eq!(
            parse_range("bytes=380-390", 37),
            Err(RangeError::Unsatisfiable)
        );
        assert_eq!(parse_range("bytes=-0", 37), Err(RangeError::Unsatisfiable));
        assert_eq!(parse_range("bytes=0-", 0), Err(RangeError::Unsatisfiable));
        assert_eq!(parse_range("bytes=5-3", 37), Err(RangeError::Bad));
        assert_eq!(parse_range("bytes=0-1,3-4", 37), Err(RangeError::Bad));
        assert_eq!(parse_range("bytes=-", 37), Err(RangeError::Bad));
    }
}
