//! Which bytes each part holds: a fixed plan for sources of known size, or part sizes
//! that grow with the upload for streams of unknown length.

use std::ops::Range;

use serde::{Deserialize, Serialize};

use crate::plan::{PartPlan, MAX_PARTS, MAX_PART_SIZE, MIN_PART_SIZE};

/// How many parts share one size in a growing schedule before the size doubles.
pub(crate) const GROWTH_GROUP: u32 = 900;

/// The parts of an upload.
///
/// * `Fixed`: parts of one size for a source whose size is known (or bounded) in advance.
/// * `Growing`: for a stream of unknown length. Part `n` holds
///   `min(5 GiB, base × 2^((n - 1) / 900))` bytes: a small stream uses parts of the
///   configured size, and 10,000 parts still reach past S3's 5 TiB object limit for any base
///   of at least 5 MiB (with 5 MiB: 900 × 5 MiB × (2^11 − 1) > 5 TiB before the size reaches
///   its 5 GiB cap). Memory stays within `concurrency × the current part size`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PartSchedule {
    /// A source of known size, cut into parts of one size (the last one shorter).
    Fixed {
        /// The source's size in bytes.
        total_size: u64,
        /// The size of every part but the last.
        part_size: u64,
    },
    /// A stream of unknown length, with part sizes that grow.
    Growing {
        /// The size of the first 900 parts.
        base_part_size: u64,
    },
}

impl From<PartPlan> for PartSchedule {
    fn from(plan: PartPlan) -> Self {
        Self::Fixed {
            total_size: plan.total_size(),
            part_size: plan.part_size(),
        }
    }
}

impl PartSchedule {
    /// A growing schedule starting at `base_part_size` (clamped to S3's 5 MiB … 5 GiB).
    #[must_use]
    pub fn growing(base_part_size: u64) -> Self {
        Self::Growing {
            base_part_size: base_part_size.clamp(MIN_PART_SIZE, MAX_PART_SIZE),
        }
    }

    /// The plan of a fixed schedule.
    pub(crate) fn plan(&self) -> Option<PartPlan> {
        match *self {
            Self::Fixed {
                total_size,
                part_size,
            } => PartPlan::new(total_size, part_size).ok(),
            Self::Growing { .. } => None,
        }
    }

    /// How many parts, when known in advance.
    #[must_use]
    pub fn part_count(&self) -> Option<u32> {
        self.plan().map(|plan| plan.part_count())
    }

    /// The most parts this schedule may use.
    #[must_use]
    pub fn max_parts(&self) -> u32 {
        self.part_count().unwrap_or(MAX_PARTS)
    }

    /// The source's size, when known.
    #[must_use]
    pub fn total_size(&self) -> Option<u64> {
        match *self {
            Self::Fixed { total_size, .. } => Some(total_size),
            Self::Growing { .. } => None,
        }
    }

    /// The size of every part but the last (for a growing schedule, of the first 900): the
    /// part size chosen, even when the source is smaller than one part.
    #[must_use]
    pub fn nominal_part_size(&self) -> u64 {
        match *self {
            Self::Fixed { .. } => self.plan().map_or(0, |plan| plan.part_size()),
            Self::Growing { base_part_size } => base_part_size,
        }
    }

    /// The size part `part_number` holds (the most it may hold, for a growing schedule).
    #[must_use]
    pub fn part_size(&self, part_number: u32) -> u64 {
        let range = self.range(part_number);
        range.end - range.start
    }

    /// The byte range of part `part_number` (1-based). For a growing schedule, the range the
    /// part covers if the stream is long enough.
    #[must_use]
    pub fn range(&self, part_number: u32) -> Range<u64> {
        match *self {
            Self::Fixed { .. } => self.plan().map_or(0..0, |plan| plan.range(part_number)),
            Self::Growing { base_part_size } => {
                let index = part_number.saturating_sub(1);
                let group = index / GROWTH_GROUP;
                let size = growing_size(base_part_size, group);
                let before_group: u64 = (0..group)
                    .map(|g| u64::from(GROWTH_GROUP) * growing_size(base_part_size, g))
                    .sum();
                let start = before_group + u64::from(index % GROWTH_GROUP) * size;
                start..start + size
            }
        }
    }

    /// Whether `part_number` is the last part the schedule allows (the last of a fixed plan,
    /// or part 10,000 of a growing one).
    #[must_use]
    pub fn is_last(&self, part_number: u32) -> bool {
        part_number >= self.max_parts()
    }
}

fn growing_size(base: u64, group: u32) -> u64 {
    base.checked_shl(group)
        .filter(|size| *size <= MAX_PART_SIZE && group < 64)
        .unwrap_or(MAX_PART_SIZE)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const MIB: u64 = 1024 * 1024;
    const FIVE_TIB: u64 = 5 * 1024 * 1024 * MIB;

    #[test]
    fn small_streams_use_the_base_size() {
        let schedule = PartSchedule::growing(8 * MIB);
        assert_eq!(schedule.range(1), 0..8 * MIB);
        assert_eq!(schedule.range(900), 899 * 8 * MIB..900 * 8 * MIB);
        assert_eq!(schedule.range(901), 900 * 8 * MIB..900 * 8 * MIB + 16 * MIB);
        assert_eq!(schedule.part_count(), None);
        assert!(schedule.is_last(10_000) && !schedule.is_last(9_999));
    }

    proptest! {
        #[test]
        fn growing_parts_tile_the_stream_and_reach_five_tib(base in MIN_PART_SIZE..=MAX_PART_SIZE) {
            let schedule = PartSchedule::growing(base);
            let mut end = 0;
            for n in 1..=MAX_PARTS {
                let range = schedule.range(n);
                prop_assert_eq!(range.start, end, "part {} starts where {} ended", n, n - 1);
                let size = range.end - range.start;
                prop_assert!((base..=MAX_PART_SIZE).contains(&size), "part {n}: {size}");
                prop_assert!(size >= MIN_PART_SIZE);
                end = range.end;
            }
            prop_assert!(end >= FIVE_TIB, "10,000 parts hold only {end} bytes");
        }

        #[test]
        fn fixed_schedule_is_the_plan(size in 0u64..(1 << 40), part in MIN_PART_SIZE..(64 * MIB)) {
            let plan = PartPlan::new(size, part).unwrap();
            let schedule = PartSchedule::from(plan);
            prop_assert_eq!(schedule.part_count(), Some(plan.part_count()));
            for n in [1, plan.part_count()] {
                prop_assert_eq!(schedule.range(n), plan.range(n));
            }
            prop_assert!(schedule.is_last(plan.part_count()));
        }
    }
}
