//! Part planning: pure arithmetic, property-tested.

use std::ops::Range;

/// S3's smallest part (every part but the last): 5 MiB.
pub const MIN_PART_SIZE: u64 = 5 * 1024 * 1024;
/// S3's largest part: 5 GiB.
pub const MAX_PART_SIZE: u64 = 5 * 1024 * 1024 * 1024;

/// S3's (and lakeFS's) most parts in one upload.
pub const MAX_PARTS: u32 = 10_000;
/// The largest object a multipart upload can hold: 10,000 parts of 5 GiB.
pub const MAX_OBJECT_SIZE: u64 = MAX_PARTS as u64 * MAX_PART_SIZE;

const MIB: u64 = 1024 * 1024;

/// How a source of a given size is cut into parts.
///
/// Parts cover the source exactly once, in order; every part but the last is `part_size`
/// bytes (≥ 5 MiB); there are at most 10,000. An empty source is one empty part, since
/// completing an upload needs at least one. For example 20 MiB + 1 byte in parts of 8 MiB is
/// three parts, the last one 4 MiB + 1 byte (`a_plan_in_three_parts` below).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PartPlan {
    total_size: u64,
    part_size: u64,
    part_count: u32,
}

/// Why a source cannot be planned.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub(crate) enum PlanError {
    /// The source is larger than 10,000 parts of 5 GiB.
    #[error("the source is {size} bytes; a multipart upload holds at most {MAX_OBJECT_SIZE} bytes (10,000 parts of 5 GiB)")]
    TooLarge {
        /// The source's size.
        size: u64,
    },
    /// The requested part size is outside S3's 5 MiB … 5 GiB.
    #[error("part size {part_size} bytes is outside S3's limits of {MIN_PART_SIZE} (5 MiB) to {MAX_PART_SIZE} (5 GiB)")]
    PartSize {
        /// The requested part size.
        part_size: u64,
    },
}

impl PartPlan {
    /// Plans `total_size` bytes in parts of `preferred_part_size`, growing the part size (to
    /// a whole number of MiB) when 10,000 parts would not be enough.
    ///
    /// # Errors
    /// [`PlanError::PartSize`] for a preferred size outside 5 MiB … 5 GiB;
    /// [`PlanError::TooLarge`] when even 5 GiB parts cannot hold the source.
    pub(crate) fn new(total_size: u64, preferred_part_size: u64) -> Result<Self, PlanError> {
        if !(MIN_PART_SIZE..=MAX_PART_SIZE).contains(&preferred_part_size) {
            return Err(PlanError::PartSize {
                part_size: preferred_part_size,
            });
        }
        if total_size > MAX_OBJECT_SIZE {
            return Err(PlanError::TooLarge { size: total_size });
        }
        let mut part_size = preferred_part_size;
        if total_size.div_ceil(part_size) > u64::from(MAX_PARTS) {
            // The smallest whole-MiB size that fits in 10,000 parts.
            part_size = total_size
                .div_ceil(u64::from(MAX_PARTS))
                .div_ceil(MIB)
                .saturating_mul(MIB)
                .min(MAX_PART_SIZE);
        }
        let part_count = total_size.div_ceil(part_size).max(1);
        Ok(Self {
            total_size,
            part_size,
            part_count: u32::try_from(part_count)
                .map_err(|_| PlanError::TooLarge { size: total_size })?,
        })
    }

    /// The source's size in bytes.
    #[must_use]
    pub(crate) fn total_size(&self) -> u64 {
        self.total_size
    }

    /// The size of every part but the last.
    #[must_use]
    pub(crate) fn part_size(&self) -> u64 {
        self.part_size
    }

    /// How many parts (at least 1).
    #[must_use]
    pub(crate) fn part_count(&self) -> u32 {
        self.part_count
    }

    /// The byte range of part `part_number` (1-based). Empty for the one part of an empty
    /// source; empty as well for a number past the last part.
    #[must_use]
    pub(crate) fn range(&self, part_number: u32) -> Range<u64> {
        let index = u64::from(part_number.saturating_sub(1));
        let start = index.saturating_mul(self.part_size).min(self.total_size);
        let end = start.saturating_add(self.part_size).min(self.total_size);
        start..end
    }

    #[cfg(test)]
    /// All parts as (part number, byte range), in order.
    pub(crate) fn parts(&self) -> impl Iterator<Item = (u32, Range<u64>)> + '_ {
        (1..=self.part_count).map(|n| (n, self.range(n)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plan_in_three_parts() {
        let plan = PartPlan::new(20 * MIB + 1, 8 * MIB).unwrap();
        assert_eq!(plan.part_count(), 3);
        assert_eq!(plan.range(3), 16 * MIB..20 * MIB + 1);
    }
    use proptest::prelude::*;

    #[test]
    fn edge_sizes() {
        let plan = PartPlan::new(0, MIN_PART_SIZE).unwrap();
        assert_eq!((plan.part_count(), plan.range(1)), (1, 0..0));
        let plan = PartPlan::new(1, MIN_PART_SIZE).unwrap();
        assert_eq!((plan.part_count(), plan.range(1)), (1, 0..1));
        let plan = PartPlan::new(MIN_PART_SIZE - 1, MIN_PART_SIZE).unwrap();
        assert_eq!(plan.part_count(), 1);
        let plan = PartPlan::new(MIN_PART_SIZE, MIN_PART_SIZE).unwrap();
        assert_eq!(plan.part_count(), 1);
        let plan = PartPlan::new(MIN_PART_SIZE + 1, MIN_PART_SIZE).unwrap();
        assert_eq!(plan.part_count(), 2);
        assert_eq!(plan.range(2), MIN_PART_SIZE..MIN_PART_SIZE + 1);
    }

    #[test]
    fn grows_the_part_size_for_huge_sources() {
        // 1 TiB in 5 MiB parts would be 209,716 parts.
        let plan = PartPlan::new(1 << 40, MIN_PART_SIZE).unwrap();
        assert!(plan.part_count() <= MAX_PARTS);
        assert_eq!(plan.part_size() % MIB, 0);
        assert_eq!(plan.part_size(), 105 * MIB);
        let max = PartPlan::new(MAX_OBJECT_SIZE, MIN_PART_SIZE).unwrap();
        assert_eq!(
            (max.part_count(), max.part_size()),
            (MAX_PARTS, MAX_PART_SIZE)
        );
    }

    #[test]
    fn refuses_what_cannot_be_uploaded() {
        assert_eq!(
            PartPlan::new(MAX_OBJECT_SIZE + 1, MIN_PART_SIZE),
            Err(PlanError::TooLarge {
                size: MAX_OBJECT_SIZE + 1
            })
        );
        assert_eq!(
            PartPlan::new(10, MIB),
            Err(PlanError::PartSize { part_size: MIB })
        );
        assert!(PartPlan::new(10, MAX_PART_SIZE + 1).is_err());
        assert!(PlanError::TooLarge { size: 1 }
            .to_string()
            .contains("10,000 parts of 5 GiB"));
    }

    proptest! {
        #[test]
        fn parts_cover_the_source_exactly_once_in_order(
            total in prop_oneof![0u64..64 * MIB, 0u64..=MAX_OBJECT_SIZE],
            preferred in MIN_PART_SIZE..=MAX_PART_SIZE,
        ) {
            let plan = PartPlan::new(total, preferred).unwrap();
            prop_assert!(plan.part_count() >= 1 && plan.part_count() <= MAX_PARTS);
            prop_assert!(plan.part_size() >= preferred.min(MAX_PART_SIZE));
            prop_assert!(plan.part_size() <= MAX_PART_SIZE);
            let mut next = 0;
            let count = plan.part_count();
            // Check the first few and last few parts plus the arithmetic for the middle.
            for (number, range) in plan.parts().filter(|(n, _)| *n <= 3 || *n + 3 > count) {
                if number <= 3 {
                    prop_assert_eq!(range.start, next);
                }
                if number < count {
                    prop_assert_eq!(range.end - range.start, plan.part_size(), "part {} is short", number);
                    prop_assert!(range.end - range.start >= MIN_PART_SIZE);
                } else {
                    prop_assert_eq!(range.end, total, "the last part ends the source");
                    prop_assert!(range.end - range.start <= plan.part_size());
                    prop_assert!(total == 0 || range.end > range.start, "no empty last part");
                }
                next = range.end;
            }
            prop_assert_eq!(u64::from(count - 1) * plan.part_size() + (plan.range(count).end - plan.range(count).start), total);
        }

        #[test]
        fn small_sources_are_walked_part_by_part(total in 0u64..200 * MIB, preferred in MIN_PART_SIZE..16 * MIB) {
            let plan = PartPlan::new(total, preferred).unwrap();
            let mut next = 0;
            for (number, range) in plan.parts() {
                prop_assert_eq!(range.start, next, "part {} does not start where {} ended", number, number - 1);
                next = range.end;
            }
            prop_assert_eq!(next, total);
        }
    }
}
