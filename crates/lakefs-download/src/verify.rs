//! Proving the bytes of a download against the object's checksum.
//!
//! lakeFS's checksum is the object store's ETag without quotes: the hex MD5 of the bytes
//! for an object stored with one PUT, or `hex(md5(md5(part 1) ‖ … ‖ md5(part N)))-N` for a
//! multipart upload, whose part layout is recorded nowhere. Uploaders almost always cut
//! uniform parts (all the same size but a shorter or equal last one), so a multipart ETag is
//! checked by recomputing it for a few likely part sizes; when none reproduces it the result
//! says so ([`Verification::NotVerifiable`]) rather than claiming a mismatch.

use std::fmt;
use std::io::Read;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

use md5::{Digest, Md5};
use serde::{Deserialize, Serialize};

#[cfg(test)]
mod tests;

const MIB: u64 = 1024 * 1024;
const GIB: u64 = 1024 * MIB;
const MB: u64 = 1_000_000;
/// S3's (and lakeFS's) most parts in one upload.
const MAX_PARTS: u64 = 10_000;
/// S3's largest part.
const MAX_PART_SIZE: u64 = 5 * GIB;
/// The most candidate layouts [`candidate_part_sizes`] returns (and a check hashes at once).
pub(crate) const MAX_CANDIDATES: usize = 8;
/// The read buffer of [`check_file`].
const READ_BUFFER: usize = MIB as usize;

/// The part layout a multipart ETag was checked with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartLayout {
    /// The size of every part but the last (which is shorter or equal).
    pub part_size: u64,
    /// How many parts.
    pub parts: u32,
}

/// What checking a download's bytes against the object's checksum proved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Verification {
    /// The bytes' MD5 equals the object's checksum.
    Md5,
    /// The object's multipart ETag, recomputed from the bytes cut in `layout`, is equal.
    MultipartEtag {
        /// The layout that reproduced the ETag.
        layout: PartLayout,
    },
    /// No check could be made: the checksum is not MD5-shaped, or no part layout tried
    /// reproduced a multipart ETag. The bytes were not shown wrong either.
    NotVerifiable {
        /// Why, including the layouts tried for a multipart ETag.
        reason: String,
    },
    /// The caller turned verification off.
    Skipped,
}

impl Verification {
    /// Whether the bytes were proven equal to the object's checksum.
    #[must_use]
    pub fn is_verified(&self) -> bool {
        matches!(self, Self::Md5 | Self::MultipartEtag { .. })
    }
}

impl fmt::Display for Verification {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Md5 => f.write_str("MD5 verified"),
            Self::MultipartEtag { layout } if layout.parts == 1 => {
                f.write_str("multipart ETag verified (1 part)")
            }
            Self::MultipartEtag { layout } => write!(
                f,
                "multipart ETag verified ({} parts of {})",
                layout.parts,
                human_size(layout.part_size)
            ),
            Self::NotVerifiable { reason } => write!(f, "not verifiable: {reason}"),
            Self::Skipped => f.write_str("not checked"),
        }
    }
}

/// A definite difference between the bytes and the object: its MD5, its size, or (only when
/// the caller asserted the part layout) its multipart ETag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Mismatch {
    /// What the object's metadata says (a hex MD5, an ETag, or "N bytes").
    pub(crate) expected: String,
    /// What the bytes gave.
    pub(crate) actual: String,
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "expected {}, got {}", self.expected, self.actual)
    }
}

/// What an object's checksum lets a download check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Expected {
    /// The MD5 of the whole object.
    Md5([u8; 16]),
    /// A multipart ETag: the MD5 of the parts' MD5s, and the part count.
    Multipart {
        /// `md5(md5(part 1) ‖ … ‖ md5(part N))`.
        digest: [u8; 16],
        /// N.
        parts: u32,
    },
    /// Nothing checkable, and why.
    Unknown {
        /// Why the checksum cannot be checked.
        reason: String,
    },
}

impl Expected {
    /// The checksum as lakeFS shows it: a hex MD5, or `hex-N` for a multipart ETag.
    pub(crate) fn display(&self) -> String {
        match self {
            Self::Md5(digest) => hex(digest),
            Self::Multipart { digest, parts } => format!("{}-{parts}", hex(digest)),
            Self::Unknown { reason } => format!("(unknown: {reason})"),
        }
    }

    /// Reads an object's checksum (an ETag, quotes optional, hex in any case) for an object
    /// of `size` bytes.
    pub(crate) fn parse(checksum: &str, size: u64) -> Self {
        let text = checksum.trim().trim_matches('"');
        let unknown = |reason: String| Self::Unknown { reason };
        if text.is_empty() {
            return unknown("the object has no checksum".into());
        }
        let (digest, count) = match text.split_once('-') {
            Some((digest, count)) => (digest, Some(count)),
            None => (text, None),
        };
        let Some(digest) = md5_from_hex(digest) else {
            return unknown(format!(
                "the checksum {} is neither an MD5 nor a multipart ETag",
                shorten(text)
            ));
        };
        let Some(count) = count else {
            return Self::Md5(digest);
        };
        let parts = match count.parse::<u32>() {
            Ok(parts) if count.bytes().all(|b| b.is_ascii_digit()) => parts,
            _ => {
                return unknown(format!(
                    "the checksum {} is neither an MD5 nor a multipart ETag",
                    shorten(text)
                ))
            }
        };
        if parts == 0 {
            return unknown(format!(
                "the multipart ETag {} names no parts",
                shorten(text)
            ));
        }
        // Every part holds at least one byte, except the one part of an empty object.
        if u64::from(parts) > size.max(1) {
            return unknown(format!(
                "the multipart ETag {} names {parts} parts, more than the object's {size} bytes allow",
                shorten(text)
            ));
        }
        Self::Multipart { digest, parts }
    }
}

/// The 16 bytes of a hex MD5 (32 digits, any case).
pub(crate) fn md5_from_hex(text: &str) -> Option<[u8; 16]> {
    let text = text.as_bytes();
    if text.len() != 32 {
        return None;
    }
    let mut digest = [0u8; 16];
    for (byte, pair) in digest.iter_mut().zip(text.chunks_exact(2)) {
        let high = char::from(pair[0]).to_digit(16)?;
        let low = char::from(pair[1]).to_digit(16)?;
        *byte = u8::try_from(high * 16 + low).ok()?;
    }
    Some(digest)
}

/// `text`, cut to a length fit for a message.
fn shorten(text: &str) -> String {
    if text.chars().count() <= 80 {
        format!("\"{text}\"")
    } else {
        format!("\"{}…\"", text.chars().take(80).collect::<String>())
    }
}

/// Lowercase hex of `bytes`.
pub(crate) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        out.push(char::from(DIGITS[usize::from(byte >> 4)]));
        out.push(char::from(DIGITS[usize::from(byte & 0xf)]));
    }
    out
}

/// Lowercase hex MD5 of `bytes`.
#[cfg(test)]
pub(crate) fn md5_hex(bytes: &[u8]) -> String {
    hex(&Md5::digest(bytes))
}

/// A byte count in a human unit, exact: "8 MiB", "5.1 MB", "4194305 bytes (~4.0 MiB)".
pub(crate) fn human_size(bytes: u64) -> String {
    if bytes >= GIB && bytes % GIB == 0 {
        format!("{} GiB", bytes / GIB)
    } else if bytes >= MIB && bytes % MIB == 0 {
        format!("{} MiB", bytes / MIB)
    } else if bytes >= MB && bytes % 1000 == 0 {
        let fraction = format!("{:03}", (bytes % MB) / 1000);
        let fraction = fraction.trim_end_matches('0');
        if fraction.is_empty() {
            format!("{} MB", bytes / MB)
        } else {
            format!("{}.{fraction} MB", bytes / MB)
        }
    } else if bytes >= MIB {
        // Display only: the exact count is printed too.
        #[allow(clippy::cast_precision_loss)]
        let mib = bytes as f64 / MIB as f64;
        format!("{bytes} bytes (~{mib:.1} MiB)")
    } else if bytes >= 1024 && bytes % 1024 == 0 {
        format!("{} KiB", bytes / 1024)
    } else if bytes == 1 {
        "1 byte".into()
    } else {
        format!("{bytes} bytes")
    }
}

/// The part size this SDK's upload engine plans for `size` bytes (lakefs-multipart's
/// `PartPlan::new(size, 8 MiB)`): 8 MiB, or the smallest whole MiB that fits 10,000 parts.
fn sdk_part_size(size: u64) -> u64 {
    let preferred = 8 * MIB;
    if size.div_ceil(preferred) > MAX_PARTS {
        size.div_ceil(MAX_PARTS)
            .div_ceil(MIB)
            .saturating_mul(MIB)
            .min(MAX_PART_SIZE)
    } else {
        preferred
    }
}

/// Uniform part sizes that cut `size` bytes into exactly `parts` parts, most likely first, at
/// most [`MAX_CANDIDATES`]: this SDK's plan, 8, 5, 16 and 64 MiB, other powers of two MiB,
/// whole MiB and whole MB from the smallest that fits, and the even split `⌈size/parts⌉`
/// (always kept when it fits). Empty when no uniform layout has `parts` parts.
pub(crate) fn candidate_part_sizes(size: u64, parts: u32) -> Vec<u64> {
    if parts <= 1 {
        return if parts == 1 {
            vec![size.max(1)]
        } else {
            Vec::new()
        };
    }
    let parts = u64::from(parts);
    if size < parts {
        return Vec::new();
    }
    // ⌈size/p⌉ = parts  ⇔  (parts-1)·p < size ≤ parts·p.
    let low = size.div_ceil(parts);
    let high = (size - 1) / (parts - 1);
    if low > high {
        return Vec::new();
    }
    let fits = |p: u64| (low..=high).contains(&p);
    let mut ordered: Vec<u64> = vec![sdk_part_size(size), 8 * MIB, 5 * MIB, 16 * MIB, 64 * MIB];
    ordered.extend((0..=20).map(|k| MIB << k).filter(|&p| fits(p)));
    for unit in [MIB, MB] {
        let first = low.div_ceil(unit).saturating_mul(unit);
        ordered.extend(
            (0..MAX_CANDIDATES as u64)
                .map(|i| first.saturating_add(i.saturating_mul(unit)))
                .take_while(|&p| fits(p)),
        );
    }
    let mut out = Vec::with_capacity(MAX_CANDIDATES);
    for p in ordered {
        if out.len() == MAX_CANDIDATES - 1 {
            break;
        }
        if fits(p) && !out.contains(&p) {
            out.push(p);
        }
    }
    // The even split: always a valid layout here (`low` fits).
    if !out.contains(&low) {
        out.push(low);
    }
    out
}

/// The multipart ETag of parts with these MD5s: `hex(md5(concat))-N`.
pub(crate) fn etag_of_part_md5s(digests: &[[u8; 16]]) -> String {
    let mut outer = Md5::new();
    for digest in digests {
        outer.update(digest);
    }
    format!("{}-{}", hex(&outer.finalize()), digests.len())
}

/// The fast path where each downloaded part was one upload part of `layout_part_size` bytes
/// and its MD5 was computed as it arrived: `Some(MultipartEtag)` or `Some(Md5)` (one part
/// covering the object) when the digests reproduce the checksum, `Some(NotVerifiable)` for a
/// checksum nothing can check, `None` otherwise — then only a sequential re-read with other
/// layouts can tell (a whole-object MD5 that differs is found there as a [`Mismatch`]).
pub(crate) fn check_part_md5s(
    expected: &Expected,
    layout_part_size: u64,
    size: u64,
    digests: &[[u8; 16]],
) -> Option<Verification> {
    match expected {
        Expected::Unknown { reason } => Some(Verification::NotVerifiable {
            reason: reason.clone(),
        }),
        Expected::Md5(md5) => match digests {
            [only] if layout_part_size >= size && only == md5 => Some(Verification::Md5),
            _ => None,
        },
        Expected::Multipart { digest, parts } => {
            let count = u64::from(*parts);
            let layout_fits = layout_part_size > 0
                && (size.div_ceil(layout_part_size).max(1) == count
                    || (count == 1 && layout_part_size >= size));
            if !layout_fits || digests.len() as u64 != count {
                return None;
            }
            let mut outer = Md5::new();
            for part in digests {
                outer.update(part);
            }
            (outer.finalize().as_slice() == digest).then_some(Verification::MultipartEtag {
                layout: PartLayout {
                    part_size: layout_part_size,
                    parts: *parts,
                },
            })
        }
    }
}

/// The multipart ETag of one uniform layout, over bytes fed in order in any chunk sizes.
#[derive(Debug, Clone)]
pub(crate) struct LayoutDigests {
    part_size: u64,
    current: Md5,
    filled: u64,
    outer: Md5,
    parts: u64,
}

impl LayoutDigests {
    /// A layout of `part_size`-byte parts (at least 1).
    pub(crate) fn new(part_size: u64) -> Self {
        Self {
            part_size: part_size.max(1),
            current: Md5::new(),
            filled: 0,
            outer: Md5::new(),
            parts: 0,
        }
    }

    /// The part size.
    pub(crate) fn part_size(&self) -> u64 {
        self.part_size
    }

    /// Feeds the next bytes.
    pub(crate) fn update(&mut self, mut bytes: &[u8]) {
        while !bytes.is_empty() {
            let room = self.part_size - self.filled;
            let take = usize::try_from(room).map_or(bytes.len(), |room| room.min(bytes.len()));
            let (head, rest) = bytes.split_at(take);
            self.current.update(head);
            self.filled += take as u64;
            bytes = rest;
            if self.filled == self.part_size {
                self.close_part();
            }
        }
    }

    fn close_part(&mut self) {
        let digest = std::mem::take(&mut self.current).finalize();
        self.outer.update(digest);
        self.filled = 0;
        self.parts += 1;
    }

    /// The MD5 of the parts' MD5s and the part count (an empty input is one empty part).
    pub(crate) fn finish_digest(mut self) -> ([u8; 16], u64) {
        if self.filled > 0 || self.parts == 0 {
            self.close_part();
        }
        (self.outer.finalize().into(), self.parts)
    }

    /// The ETag, `hex(md5(md5(part 1) ‖ …))-N`, lowercase.
    #[cfg(test)]
    pub(crate) fn finish(self) -> String {
        let (digest, parts) = self.finish_digest();
        format!("{}-{parts}", hex(&digest))
    }
}

#[derive(Debug)]
enum Mode {
    Whole { hasher: Md5, expected: [u8; 16] },
    Layouts(Layouts),
    Nothing { reason: String },
}

#[derive(Debug)]
struct Layouts {
    digest: [u8; 16],
    parts: u32,
    candidates: Vec<LayoutDigests>,
    /// Every layout tried, including one tried before this check (for the reason).
    tried: Vec<u64>,
    /// The caller asserted the layout: a difference is a mismatch.
    asserted: bool,
    /// Whether any uniform layout gives the ETag's part count.
    any_uniform: bool,
}

/// Checks one in-order byte stream against an [`Expected`]: the whole-object MD5, or up to a
/// few candidate layouts of a multipart ETag hashed at once.
#[derive(Debug)]
pub(crate) struct SequentialCheck {
    mode: Mode,
    size: u64,
    fed: u64,
}

impl SequentialCheck {
    /// A check of `size` bytes trying at most `max_candidates` layouts for a multipart ETag.
    pub(crate) fn new(expected: &Expected, size: u64, max_candidates: usize) -> Self {
        Self::excluding(expected, size, max_candidates, None)
    }

    /// Like [`new`](Self::new), without the layout of `skip` bytes (already tried by the
    /// caller; still named among the layouts tried).
    pub(crate) fn excluding(
        expected: &Expected,
        size: u64,
        max_candidates: usize,
        skip: Option<u64>,
    ) -> Self {
        let all = match expected {
            Expected::Multipart { parts, .. } => candidate_part_sizes(size, *parts),
            _ => Vec::new(),
        };
        let sizes = all
            .iter()
            .copied()
            .filter(|&p| Some(p) != skip)
            .take(max_candidates)
            .collect();
        let mut check = Self::with_sizes(expected, size, sizes, false);
        if let Mode::Layouts(layouts) = &mut check.mode {
            layouts.any_uniform = !all.is_empty();
            if let Some(skip) = skip {
                layouts.tried.insert(0, skip);
            }
        }
        check
    }

    /// A check of `size` bytes where the caller asserts the upload's part size: for a
    /// multipart ETag, a difference is then a [`Mismatch`].
    pub(crate) fn with_layout(expected: &Expected, size: u64, part_size: u64) -> Self {
        Self::with_sizes(expected, size, vec![part_size], true)
    }

    fn with_sizes(expected: &Expected, size: u64, sizes: Vec<u64>, asserted: bool) -> Self {
        let mode = match expected {
            Expected::Md5(md5) => Mode::Whole {
                hasher: Md5::new(),
                expected: *md5,
            },
            Expected::Multipart { digest, parts } => Mode::Layouts(Layouts {
                digest: *digest,
                parts: *parts,
                tried: sizes.clone(),
                candidates: sizes.into_iter().map(LayoutDigests::new).collect(),
                asserted,
                any_uniform: true,
            }),
            Expected::Unknown { reason } => Mode::Nothing {
                reason: reason.clone(),
            },
        };
        Self { mode, size, fed: 0 }
    }

    /// Feeds the next bytes.
    pub(crate) fn update(&mut self, bytes: &[u8]) {
        self.fed += bytes.len() as u64;
        match &mut self.mode {
            Mode::Whole { hasher, .. } => hasher.update(bytes),
            Mode::Layouts(layouts) => {
                for candidate in &mut layouts.candidates {
                    candidate.update(bytes);
                }
            }
            Mode::Nothing { .. } => {}
        }
    }

    /// What the bytes proved. A [`Mismatch`] only for a definite difference: a byte count
    /// other than the size, a whole-object MD5, or a multipart ETag of an asserted layout.
    pub(crate) fn finish(self) -> Result<Verification, Mismatch> {
        if self.fed != self.size {
            return Err(Mismatch {
                expected: format!("{} bytes", self.size),
                actual: format!("{} bytes", self.fed),
            });
        }
        match self.mode {
            Mode::Nothing { reason } => Ok(Verification::NotVerifiable { reason }),
            Mode::Whole { hasher, expected } => {
                let actual: [u8; 16] = hasher.finalize().into();
                if actual == expected {
                    Ok(Verification::Md5)
                } else {
                    Err(Mismatch {
                        expected: hex(&expected),
                        actual: hex(&actual),
                    })
                }
            }
            Mode::Layouts(layouts) => layouts.finish(self.size),
        }
    }
}

impl Layouts {
    fn finish(self, size: u64) -> Result<Verification, Mismatch> {
        let etag = format!("{}-{}", hex(&self.digest), self.parts);
        let mut last = None;
        for candidate in self.candidates {
            let part_size = candidate.part_size();
            let (digest, parts) = candidate.finish_digest();
            if digest == self.digest && parts == u64::from(self.parts) {
                return Ok(Verification::MultipartEtag {
                    layout: PartLayout {
                        part_size,
                        parts: self.parts,
                    },
                });
            }
            last = Some(format!("{}-{parts}", hex(&digest)));
        }
        if let (true, Some(actual)) = (self.asserted, last) {
            return Err(Mismatch {
                expected: etag,
                actual,
            });
        }
        let reason = if !self.any_uniform {
            format!(
                "the multipart ETag {etag} has no uniform part layout of {} in {} parts to try",
                human_size(size),
                self.parts
            )
        } else if self.tried.is_empty() {
            format!("the multipart ETag {etag} was not checked: no part layout was tried")
        } else {
            let tried: Vec<String> = self.tried.iter().map(|&p| human_size(p)).collect();
            format!(
                "the multipart ETag {etag} matches none of the uniform part layouts tried ({})",
                tried.join(", ")
            )
        };
        Ok(Verification::NotVerifiable { reason })
    }
}

/// Reads the file at `path` sequentially (blocking) and checks it against `expected`, trying
/// the likely layouts of a multipart ETag but `skip_part_size` (already tried). `cancel` is
/// looked at between reads: once set, the answer is an [`std::io::ErrorKind::Interrupted`]
/// error.
pub(crate) fn check_file(
    path: &Path,
    expected: &Expected,
    size: u64,
    skip_part_size: Option<u64>,
    cancel: &AtomicBool,
) -> std::io::Result<Result<Verification, Mismatch>> {
    let file = std::fs::File::open(path)?;
    if let Expected::Unknown { reason } = expected {
        // Nothing to hash: only the size can be checked.
        let actual = file.metadata()?.len();
        return Ok(if actual == size {
            Ok(Verification::NotVerifiable {
                reason: reason.clone(),
            })
        } else {
            Err(Mismatch {
                expected: format!("{size} bytes"),
                actual: format!("{actual} bytes"),
            })
        });
    }
    let check = SequentialCheck::excluding(expected, size, MAX_CANDIDATES, skip_part_size);
    feed(file, check, cancel)
}

/// Reads the file at `path` sequentially (blocking) and checks it against a multipart ETag
/// with the stated part size only: a mismatch is one.
pub(crate) fn check_file_with_layout(
    path: &Path,
    expected: &Expected,
    size: u64,
    part_size: u64,
    cancel: &AtomicBool,
) -> std::io::Result<Result<Verification, Mismatch>> {
    let file = std::fs::File::open(path)?;
    feed(
        file,
        SequentialCheck::with_layout(expected, size, part_size),
        cancel,
    )
}

/// Feeds `file` from its start to its end into `check`, stopping when `cancel` is set.
fn feed(
    mut file: std::fs::File,
    mut check: SequentialCheck,
    cancel: &AtomicBool,
) -> std::io::Result<Result<Verification, Mismatch>> {
    let mut buffer = vec![0u8; READ_BUFFER];
    loop {
        if cancel.load(Ordering::Relaxed) {
            return Err(std::io::Error::new(
                std::io::ErrorKind::Interrupted,
                "the check was cancelled",
            ));
        }
        let read = match file.read(&mut buffer) {
            Ok(0) => break,
            Ok(read) => read,
            Err(error) if error.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(error) => return Err(error),
        };
        check.update(&buffer[..read]);
    }
    Ok(check.finish())
}
