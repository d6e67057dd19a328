//! How a download cuts the object: the part size (aligned with the object's upload parts
//! where that can be known, so each part's MD5 is one term of its multipart ETag), and what
//! the checksum lets the engine prove.

use crate::config::{
    DownloadConfig, DEFAULT_PART_SIZE, MAX_AUTO_PART_SIZE, MAX_AUTO_STREAMED_PART_SIZE,
    STREAMED_PART_SIZE,
};
use crate::verify::{candidate_part_sizes, Expected};
use crate::Error;

/// The smallest upload part size the engine aligns its parts with.
const MIN_ALIGNED_PART_SIZE: u64 = 1024 * 1024;

/// The parts of one download.
#[derive(Debug, Clone)]
pub(crate) struct Plan {
    pub(crate) size: u64,
    pub(crate) part_size: u64,
    pub(crate) parts: u32,
    pub(crate) expected: Expected,
    /// The download's parts are the object's upload parts (or its single part), or — when
    /// parts are written as they arrive — whole multiples of them: the MD5s of their
    /// [`hash_slice`](Self::hash_slice)-byte slices, computed as they arrive, recompute the
    /// checksum.
    pub(crate) aligned: bool,
    /// The bytes each MD5 of a part covers (from the part's start; the last slice may be
    /// shorter): the upload part size when aligned, else the whole part.
    pub(crate) hash_slice: u64,
    /// The caller stated the upload part size: a checksum that does not match it is a
    /// mismatch, not a layout that could not be found.
    pub(crate) asserted_layout: Option<u64>,
    /// Where the first part starts in the object: 0, or the start of a range
    /// ([`restrict`](Self::restrict)).
    pub(crate) offset: u64,
    /// Only a range of the object: nothing to prove against its checksum.
    pub(crate) partial: bool,
}

impl Plan {
    pub(crate) fn new(
        size: u64,
        checksum: &str,
        config: &DownloadConfig,
        upload_part_size: Option<u64>,
        streamed: bool,
    ) -> Result<Self, Error> {
        let expected = Expected::parse(checksum, size);
        if let (Some(stated), Expected::Multipart { parts, .. }) = (upload_part_size, &expected) {
            let gives = size.div_ceil(stated.max(1));
            if stated == 0 || gives != u64::from(*parts) {
                return Err(Error::invalid_argument(
                    "upload_part_size",
                    format!(
                        "is {stated} bytes, which cuts this {size}-byte object into {gives} parts; its checksum says it was uploaded in {parts}"
                    ),
                ));
            }
        }
        // A layout the checksum itself fixes (one part, or a part count only one uniform
        // part size gives) is as good as stated: a mismatch with it is one.
        let forced = match &expected {
            Expected::Multipart { parts, .. } => forced_layout(size, *parts),
            _ => None,
        };
        let upload_part_size = upload_part_size.or(forced);
        let layout = match &expected {
            Expected::Multipart { parts, .. } => {
                upload_part_size.or_else(|| candidate_part_sizes(size, *parts).first().copied())
            }
            Expected::Md5(_) => Some(size.max(1)),
            Expected::Unknown { .. } => None,
        };
        // Parts written as they arrive are not held in memory: larger ones (fewer requests)
        // cost nothing more. Whole multiples of the upload part size, and at least
        // `concurrency` parts when the object allows.
        let (target, max_auto) = if streamed {
            (STREAMED_PART_SIZE, MAX_AUTO_STREAMED_PART_SIZE)
        } else {
            (DEFAULT_PART_SIZE, MAX_AUTO_PART_SIZE)
        };
        let multiple = |unit: u64| {
            if !streamed {
                return unit;
            }
            let by_target = target / unit;
            let by_spread = size / (unit.saturating_mul(config.concurrency().max(1) as u64));
            unit * by_target.min(by_spread).max(1)
        };
        let part_size = match config.part_size {
            Some(asked) => asked,
            None => match layout {
                Some(layout)
                    if matches!(expected, Expected::Multipart { .. })
                        && (MIN_ALIGNED_PART_SIZE..=max_auto).contains(&layout) =>
                {
                    multiple(layout)
                }
                _ if size > 10_000 * target => max_auto,
                _ => multiple(DEFAULT_PART_SIZE),
            },
        };
        let parts = u32::try_from(size.div_ceil(part_size)).map_err(|_| {
            Error::invalid_argument(
                "part_size",
                format!("of {part_size} bytes cuts the object into more than 2^32 parts"),
            )
        })?;
        let (aligned, hash_slice) = match (&expected, layout) {
            (Expected::Multipart { .. }, Some(layout)) if layout == part_size => (true, part_size),
            (Expected::Multipart { .. }, Some(layout)) if streamed && part_size % layout == 0 => {
                (true, layout)
            }
            (Expected::Md5(_), _) => (parts <= 1, part_size),
            _ => (false, part_size),
        };
        Ok(Self {
            size,
            part_size,
            parts,
            expected,
            aligned,
            hash_slice,
            asserted_layout: upload_part_size,
            offset: 0,
            partial: false,
        })
    }

    /// The plan of the bytes `range` of the object only, cut into parts of the same size from
    /// its start (the whole object's plan when `range` is all of it).
    pub(crate) fn restrict(self, range: std::ops::Range<u64>) -> Result<Self, Error> {
        if range.start > range.end || range.end > self.size {
            return Err(Error::invalid_argument(
                "range",
                format!(
                    "{}..{} is not within the object's {} bytes",
                    range.start, range.end, self.size
                ),
            ));
        }
        if range.start == 0 && range.end == self.size {
            return Ok(self);
        }
        let size = range.end - range.start;
        let parts = u32::try_from(size.div_ceil(self.part_size)).map_err(|_| {
            Error::invalid_argument(
                "part_size",
                format!(
                    "of {} bytes cuts the range into more than 2^32 parts",
                    self.part_size
                ),
            )
        })?;
        Ok(Self {
            size,
            parts,
            aligned: false,
            asserted_layout: None,
            offset: range.start,
            partial: true,
            ..self
        })
    }

    /// The bytes of part `number` (1-based), as offsets in the object.
    pub(crate) fn range(&self, number: u32) -> std::ops::Range<u64> {
        let start = u64::from(number - 1) * self.part_size;
        self.offset + start..self.offset + (start + self.part_size).min(self.size)
    }
}

/// The one uniform part size that cuts `size` bytes into `parts` parts, when only one does:
/// for one part, the whole object; for more, sizes from `ceil(size / parts)` to
/// `floor((size - 1) / (parts - 1))` all do, which is one size only for some small objects.
fn forced_layout(size: u64, parts: u32) -> Option<u64> {
    let parts = u64::from(parts);
    match parts {
        0 => None,
        1 => Some(size.max(1)),
        _ => {
            let smallest = size.div_ceil(parts);
            let largest = size.checked_sub(1)? / (parts - 1);
            (smallest == largest).then_some(smallest)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layouts_the_checksum_fixes() {
        assert_eq!(forced_layout(10, 1), Some(10));
        assert_eq!(forced_layout(0, 1), Some(1));
        // 30 bytes in 3 parts: any part size from 10 to 14.
        assert_eq!(forced_layout(30, 3), None);
        // 2 parts of an 11-byte object: 6..=10 all give two parts.
        assert_eq!(forced_layout(11, 2), None);
        // 3 parts of 5 bytes: 2 only (2+2+1); 1 gives 5 parts, 3 gives 2.
        assert_eq!(forced_layout(5, 3), Some(2));
        assert_eq!(forced_layout(64 * 1024 * 1024, 8), None);
    }

    #[test]
    fn a_range_is_cut_from_its_start() {
        let config = DownloadConfig {
            part_size: Some(10),
            ..DownloadConfig::default()
        };
        let whole = Plan::new(
            100,
            "0123456789abcdef0123456789abcdef",
            &config,
            None,
            false,
        );
        let Ok(whole) = whole else {
            unreachable!("a valid plan")
        };
        assert!(!whole.partial);
        let Ok(range) = whole.clone().restrict(25..48) else {
            unreachable!("a valid range")
        };
        assert!(range.partial && !range.aligned);
        assert_eq!((range.size, range.parts), (23, 3));
        assert_eq!(
            (1..=3).map(|n| range.range(n)).collect::<Vec<_>>(),
            [25..35, 35..45, 45..48]
        );
        let Ok(same) = whole.clone().restrict(0..100) else {
            unreachable!("the whole object")
        };
        assert!(!same.partial && same.parts == whole.parts);
        assert!(whole.clone().restrict(90..101).is_err());
        let Ok(empty) = whole.restrict(40..40) else {
            unreachable!("an empty range")
        };
        assert_eq!(empty.parts, 0);
    }
}
