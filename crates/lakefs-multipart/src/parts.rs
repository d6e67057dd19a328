//! [`StoredPart`]: a part the storage holds, and the check that a part list covers its plan
//! exactly — the last thing between a set of parts and an object staged on lakeFS.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use lakefs_experimental::models::UploadPart;
use serde::{Deserialize, Serialize};

use crate::error::UploadFailure;
use crate::schedule::PartSchedule;

/// A part stored on the object store: its number, the ETag the store answered, how many
/// bytes it holds, and — when the engine computed one — the MD5 of those bytes.
///
/// [`Uploader::upload_parts`](crate::Uploader::upload_parts) returns them and
/// [`Uploader::complete`](crate::Uploader::complete) takes them: complete refuses, before
/// any call, a list that does not cover the session's plan exactly, part by part and size by
/// size. Their JSON form is stable, to send them between processes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct StoredPart {
    /// The part number, 1-based.
    pub part_number: u32,
    /// The ETag the storage answered the part's PUT with.
    pub etag: String,
    /// The part's size in bytes.
    pub size: u64,
    /// The MD5 of the part's bytes, hex, when the engine computed it (with a checkpoint or the
    /// MD5 check): what a resume compares the source with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub md5: Option<String>,
}

impl StoredPart {
    /// A stored part without a digest of its bytes.
    #[must_use]
    pub fn new(part_number: u32, etag: impl Into<String>, size: u64) -> Self {
        Self {
            part_number,
            etag: etag.into(),
            size,
            md5: None,
        }
    }

    /// The same part with the MD5 of its bytes (hex).
    #[must_use]
    pub fn with_md5(mut self, md5: impl Into<String>) -> Self {
        self.md5 = Some(md5.into());
        self
    }
}

impl From<StoredPart> for UploadPart {
    fn from(part: StoredPart) -> Self {
        UploadPart::new(part.part_number, part.etag)
    }
}

/// The most part numbers an error lists before it says "and N more".
const LISTED: usize = 8;

/// Checks that `parts` (in any order) are exactly the parts of `schedule`: every part number
/// from 1 to the plan's count once and no other, each of the size the plan gives it.
///
/// For a source whose length was not known exactly (a stream of unknown length, or a reader
/// with only a declared maximum: `exact` false) the count is what the parts say: numbers 1 to
/// the highest, every part but the last full, the last not larger than its slot and not empty
/// unless it is the only one. Returns the parts sorted by number, or an
/// [`ErrorKind::PartsMismatch`](crate::ErrorKind::PartsMismatch) that names everything wrong.
pub(crate) fn check_parts(
    schedule: &PartSchedule,
    parts: Vec<StoredPart>,
) -> Result<Vec<StoredPart>, UploadFailure> {
    check_parts_of(schedule, parts, true)
}

/// [`check_parts`], for a source whose length was known exactly or not.
pub(crate) fn check_parts_of(
    schedule: &PartSchedule,
    mut parts: Vec<StoredPart>,
    exact: bool,
) -> Result<Vec<StoredPart>, UploadFailure> {
    parts.sort_unstable_by_key(|part| part.part_number);
    let highest = parts.last().map_or(0, |part| part.part_number);
    let count = match schedule.part_count() {
        Some(count) if exact => count,
        Some(count) => highest.clamp(1, count),
        None => highest.max(1),
    };
    let mut problems = Vec::new();
    let mut seen = BTreeSet::new();
    let mut duplicates = BTreeSet::new();
    let mut out_of_range = BTreeSet::new();
    let mut sizes = Vec::new();
    for part in &parts {
        if part.part_number == 0 || part.part_number > count {
            out_of_range.insert(part.part_number);
            continue;
        }
        if !seen.insert(part.part_number) {
            duplicates.insert(part.part_number);
            continue;
        }
        let planned = schedule.part_size(part.part_number);
        let last_of_stream =
            !(exact && schedule.part_count().is_some()) && part.part_number == count;
        let fits = if last_of_stream {
            part.size <= planned && (part.size > 0 || count == 1)
        } else {
            part.size == planned
        };
        if !fits {
            sizes.push(format!(
                "part {} holds {} bytes, the plan {}{}",
                part.part_number,
                part.size,
                if last_of_stream { "at most " } else { "" },
                planned
            ));
        }
    }
    let missing: Vec<u32> = (1..=count).filter(|n| !seen.contains(n)).collect();
    if !missing.is_empty() {
        problems.push(format!("missing {}", list(&missing)));
    }
    if !duplicates.is_empty() {
        problems.push(format!(
            "duplicate {}",
            list(&duplicates.into_iter().collect::<Vec<_>>())
        ));
    }
    if !out_of_range.is_empty() {
        problems.push(format!(
            "{} outside the plan's 1–{count}",
            list(&out_of_range.into_iter().collect::<Vec<_>>())
        ));
    }
    if sizes.len() > LISTED {
        let more = sizes.len() - LISTED;
        sizes.truncate(LISTED);
        sizes.push(format!("and {more} more of the wrong size"));
    }
    problems.extend(sizes);
    if problems.is_empty() {
        return Ok(parts);
    }
    Err(UploadFailure::PartsMismatch {
        planned: count,
        given: parts.len(),
        problems: problems.join("; "),
    })
}

/// Why the object lakeFS staged is not the one `parts` make, if it is not: its size is not
/// theirs, or its ETag — the storage's `md5(md5(part 1) ‖ … ‖ md5(part n))-n` — is not the one
/// their digests give. The ETag is checked only when every part's ETag is proven to be the MD5
/// of its bytes (the engine computed the MD5, with a checkpoint or the MD5 check, and the
/// store's ETag equals it): an encrypting store's ETags are not MD5s, and its object ETag is
/// no digest of the parts.
pub(crate) fn staged_mismatch(
    stats: &lakefs_experimental::models::ObjectStats,
    parts: &[StoredPart],
) -> Option<String> {
    let total: u64 = parts.iter().map(|part| part.size).sum();
    if let Some(size) = stats.size_bytes {
        if u64::try_from(size).ok() != Some(total) {
            return Some(format!(
                "lakeFS staged {size} bytes; the {} parts sent hold {total}",
                parts.len()
            ));
        }
    }
    let checksum = stats.checksum.trim_matches('"');
    let (_, count) = checksum.rsplit_once('-')?;
    let digests: Option<Vec<[u8; 16]>> = parts
        .iter()
        .map(|part| {
            let md5 = part.md5.as_deref()?;
            md5.eq_ignore_ascii_case(&part.etag)
                .then(|| crate::etag::md5_bytes(md5))
                .flatten()
        })
        .collect();
    let expected = crate::etag::multipart_etag(&digests?);
    (count.parse::<usize>().ok() != Some(parts.len()) || !checksum.eq_ignore_ascii_case(&expected))
        .then(|| {
            format!(
                "its ETag is {checksum}, and the {} parts sent give {expected}",
                parts.len()
            )
        })
}

/// "part 3", "parts 1, 4 and 7", "parts 2, 3, … and 40 more".
fn list(numbers: &[u32]) -> String {
    let mut text = String::from(if numbers.len() == 1 {
        "part "
    } else {
        "parts "
    });
    let shown = numbers.len().min(LISTED);
    for (index, number) in numbers[..shown].iter().enumerate() {
        if index > 0 {
            text.push_str(if index + 1 == shown && shown == numbers.len() {
                " and "
            } else {
                ", "
            });
        }
        let _ = write!(text, "{number}");
    }
    if numbers.len() > shown {
        let _ = write!(text, " and {} more", numbers.len() - shown);
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::PartPlan;
    use proptest::prelude::*;

    const MIB: u64 = 1024 * 1024;

    fn fixed(total: u64) -> PartSchedule {
        PartPlan::new(total, 5 * MIB).unwrap().into()
    }

    fn parts_of(schedule: &PartSchedule, numbers: &[u32]) -> Vec<StoredPart> {
        numbers
            .iter()
            .map(|&n| StoredPart::new(n, format!("e{n}"), schedule.part_size(n)))
            .collect()
    }

    #[test]
    fn names_missing_parts() {
        let schedule = fixed(15 * MIB + 1);
        let error = check_parts(&schedule, parts_of(&schedule, &[4, 1])).unwrap_err();
        assert_eq!(
            error.to_string(),
            "the parts do not cover the upload's plan of 4 parts (2 given): missing parts 2 and 3"
        );
    }

    #[test]
    fn names_duplicates_strays_and_wrong_sizes() {
        let schedule = fixed(10 * MIB);
        let mut parts = parts_of(&schedule, &[1, 2, 2, 3, 0]);
        parts[0].size = 7;
        let error = check_parts(&schedule, parts).unwrap_err().to_string();
        assert!(error.contains("duplicate part 2"), "{error}");
        assert!(
            error.contains("parts 0 and 3 outside the plan's 1–2"),
            "{error}"
        );
        assert!(
            error.contains("part 1 holds 7 bytes, the plan 5242880"),
            "{error}"
        );
    }

    #[test]
    fn a_stream_ends_with_a_short_part_but_never_an_empty_one() {
        let schedule = PartSchedule::growing(5 * MIB);
        let mut parts = parts_of(&schedule, &[1, 2, 3]);
        parts[2].size = 10;
        assert!(check_parts(&schedule, parts.clone()).is_ok());
        parts[2].size = 0;
        assert!(check_parts(&schedule, parts.clone()).is_err());
        parts[1].size = 10;
        parts[2].size = 10;
        assert!(
            check_parts(&schedule, parts).is_err(),
            "only the last may be short"
        );
        let empty = vec![StoredPart::new(1, "e", 0)];
        assert!(
            check_parts(&schedule, empty).is_ok(),
            "an empty stream is one empty part"
        );
    }

    proptest! {
        /// Exactly the plan's parts pass, in any order; removing, repeating or resizing any
        /// one of them is refused.
        #[test]
        fn only_the_exact_plan_passes(
            total in 0u64..200 * MIB,
            seed in any::<u64>(),
            change in 0u8..3,
        ) {
            let schedule = fixed(total);
            let count = schedule.part_count().unwrap();
            let mut numbers: Vec<u32> = (1..=count).collect();
            fastrand::Rng::with_seed(seed).shuffle(&mut numbers);
            let parts = parts_of(&schedule, &numbers);
            prop_assert!(check_parts(&schedule, parts.clone()).is_ok());
            let victim = usize::try_from(seed % u64::from(count)).unwrap();
            let mut broken = parts;
            match change {
                0 => { broken.remove(victim); }
                1 => { let copy = broken[victim].clone(); broken.push(copy); }
                _ => broken[victim].size += 1,
            }
            prop_assert!(check_parts(&schedule, broken).is_err());
        }
    }
}
