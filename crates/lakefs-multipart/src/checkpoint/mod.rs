//! Checkpoints: what a crashed upload needs to be resumed — the format, reading it, and what
//! identifies a source. Writing it as parts finish is in [`writer`].

mod writer;

pub(crate) use writer::CheckpointWriter;

use std::collections::BTreeMap;
use std::path::Path;
use std::time::UNIX_EPOCH;

use bytes::Bytes;
use md5::{Digest, Md5};
use serde::{Deserialize, Serialize};

use crate::error::UploadFailure;
use crate::etag::hex;
use crate::parts::StoredPart;
use crate::session::UploadSession;

/// The checkpoint format's version: 2 records each part's size and MD5; 1 (read, never
/// written) recorded only ETags.
const VERSION: u32 = 2;

/// A resumable upload's state: the upload session, what identifies the source, the options
/// to complete with, and the parts already stored — each with its ETag, size and the MD5 of
/// the bytes sent, which a resume compares the source with. Never a presigned URL.
///
/// The file is JSON, written atomically (a temporary file in the same directory, then a
/// rename) with permissions 0600, as parts finish: at most once a second, and within about a
/// second of any part finishing, each write holding every part finished before it started.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Checkpoint {
    /// The format's version.
    pub version: u32,
    /// The upload on lakeFS.
    pub session: UploadSession,
    /// What identifies the source.
    pub source: SourceFingerprint,
    /// The media type to complete with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    /// The user metadata to complete with.
    #[serde(default)]
    pub user_metadata: BTreeMap<String, String>,
    /// The stored parts, by part number.
    #[serde(default)]
    pub parts: BTreeMap<u32, StoredPart>,
}

impl Checkpoint {
    /// Reads a checkpoint file.
    ///
    /// # Errors
    /// [`ErrorKind::Checkpoint`](crate::ErrorKind::Checkpoint) when it cannot be read or is
    /// not a checkpoint.
    pub fn load(path: impl AsRef<Path>) -> Result<Self, crate::Error> {
        Ok(Self::read(path)?)
    }

    /// [`load`](Self::load), with the engine's own failure.
    pub(crate) fn read(path: impl AsRef<Path>) -> Result<Self, UploadFailure> {
        let path = path.as_ref();
        let failure = |reason: String| UploadFailure::Checkpoint {
            path: path.to_owned(),
            reason,
        };
        let text = std::fs::read_to_string(path).map_err(|e| failure(e.to_string()))?;
        let mut value: serde_json::Value =
            serde_json::from_str(&text).map_err(|e| failure(format!("not a checkpoint: {e}")))?;
        match value.get("version").and_then(serde_json::Value::as_u64) {
            Some(2) => {}
            Some(1) => upgrade_v1(&mut value),
            version => {
                return Err(failure(format!(
                    "format version {} is not one this version reads (1 or {VERSION})",
                    version.map_or_else(|| "(none)".to_owned(), |v| v.to_string())
                )))
            }
        }
        serde_json::from_value(value).map_err(|e| failure(format!("not a checkpoint: {e}")))
    }

    pub(crate) fn new(
        session: UploadSession,
        source: SourceFingerprint,
        content_type: Option<String>,
        user_metadata: BTreeMap<String, String>,
    ) -> Self {
        Self {
            version: VERSION,
            session,
            source,
            content_type,
            user_metadata,
            parts: BTreeMap::new(),
        }
    }
}

/// Turns a version 1 checkpoint (parts as number → ETag) into version 2: each part gets its
/// planned size and no MD5, so that a resume proves it against its ETag where that is an MD5
/// and sends it again otherwise.
fn upgrade_v1(value: &mut serde_json::Value) {
    let schedule = value
        .get("session")
        .and_then(|session| session.get("schedule"))
        .cloned()
        .and_then(|schedule| serde_json::from_value::<crate::PartSchedule>(schedule).ok());
    if let Some(parts) = value.get_mut("parts").and_then(|p| p.as_object_mut()) {
        for (number, part) in parts.iter_mut() {
            let (Ok(part_number), Some(etag)) = (number.parse::<u32>(), part.as_str()) else {
                continue;
            };
            let size = schedule.map_or(0, |s| s.part_size(part_number));
            *part = serde_json::json!({ "part_number": part_number, "etag": etag, "size": size });
        }
    }
    value["version"] = serde_json::json!(VERSION);
}

/// What identifies a source, to refuse resuming from one that changed: its size, its
/// modification time (files), and the MD5 of a sample of its bytes (the first and last
/// 64 KiB, and 16 blocks of 4 KiB spread between them).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SourceFingerprint {
    /// Size in bytes.
    pub size: u64,
    /// Modification time, nanoseconds since the Unix epoch, for a file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modified_nanos: Option<u128>,
    /// MD5 of the sampled bytes, hex.
    pub sample_md5: String,
}

const EDGE: u64 = 64 * 1024;
const BLOCK: u64 = 4 * 1024;
const BLOCKS: u64 = 16;

/// The byte ranges the fingerprint samples from a source of `size` bytes.
fn sample_ranges(size: u64) -> Vec<std::ops::Range<u64>> {
    if size <= 2 * EDGE + BLOCKS * BLOCK {
        return std::iter::once(0..size).collect();
    }
    let mut ranges: Vec<_> = std::iter::once(0..EDGE).collect();
    let inner = size - 2 * EDGE - BLOCK;
    for i in 0..BLOCKS {
        let start = EDGE + inner * i / (BLOCKS - 1);
        ranges.push(start..start + BLOCK);
    }
    ranges.push(size - EDGE..size);
    ranges
}

impl SourceFingerprint {
    /// The fingerprint of bytes in memory.
    pub(crate) fn of_bytes(bytes: &Bytes) -> Self {
        let mut md5 = Md5::new();
        for range in sample_ranges(bytes.len() as u64) {
            md5.update(&bytes[range.start as usize..range.end as usize]);
        }
        Self {
            size: bytes.len() as u64,
            modified_nanos: None,
            sample_md5: hex(&md5.finalize()),
        }
    }

    /// The fingerprint of an open file (reads about 200 KiB).
    pub(crate) fn of_file(file: &std::fs::File) -> std::io::Result<Self> {
        let metadata = file.metadata()?;
        let size = metadata.len();
        let modified_nanos = metadata
            .modified()
            .ok()
            .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
            .map(|d| d.as_nanos());
        let mut md5 = Md5::new();
        let mut buffer = Vec::new();
        for range in sample_ranges(size) {
            buffer.resize((range.end - range.start) as usize, 0);
            read_exact_at(file, &mut buffer, range.start)?;
            md5.update(&buffer);
        }
        Ok(Self {
            size,
            modified_nanos,
            sample_md5: hex(&md5.finalize()),
        })
    }

    /// Why `self` (the source now) is not the source `recorded` describes, if it is not.
    pub(crate) fn differs_from(&self, recorded: &Self) -> Option<String> {
        if self.size != recorded.size {
            return Some(format!(
                "its size is {} bytes, the checkpoint recorded {}",
                self.size, recorded.size
            ));
        }
        if let (Some(now), Some(then)) = (self.modified_nanos, recorded.modified_nanos) {
            if now != then {
                return Some("its modification time changed".into());
            }
        }
        (self.sample_md5 != recorded.sample_md5)
            .then(|| "its content changed (the sampled bytes differ)".into())
    }
}

#[cfg(unix)]
fn read_exact_at(file: &std::fs::File, buffer: &mut [u8], offset: u64) -> std::io::Result<()> {
    use std::os::unix::fs::FileExt;
    file.read_exact_at(buffer, offset)
}

#[cfg(windows)]
fn read_exact_at(file: &std::fs::File, buffer: &mut [u8], offset: u64) -> std::io::Result<()> {
    use std::os::windows::fs::FileExt;
    let mut done = 0;
    while done < buffer.len() {
        match file.seek_read(&mut buffer[done..], offset + done as u64)? {
            0 => return Err(std::io::ErrorKind::UnexpectedEof.into()),
            n => done += n,
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_cover_small_sources_whole_and_large_ones_sparsely() {
        assert_eq!(sample_ranges(10).first(), Some(&(0..10)));
        assert_eq!(sample_ranges(10).len(), 1);
        let size = 10 * 1024 * 1024;
        let ranges = sample_ranges(size);
        assert_eq!(ranges.len(), 18);
        assert_eq!(ranges[0], 0..EDGE);
        assert_eq!(ranges[17], size - EDGE..size);
        assert!(ranges.iter().all(|r| r.end <= size));
    }

    #[test]
    fn a_changed_byte_in_a_sample_is_noticed() {
        let mut data = vec![7u8; 1024 * 1024];
        let before = SourceFingerprint::of_bytes(&Bytes::from(data.clone()));
        data[100] = 8;
        let after = SourceFingerprint::of_bytes(&Bytes::from(data.clone()));
        assert!(after.differs_from(&before).unwrap().contains("content"));
        data.push(0);
        let longer = SourceFingerprint::of_bytes(&Bytes::from(data));
        assert!(longer.differs_from(&before).unwrap().contains("size"));
    }

    #[test]
    fn a_version_1_checkpoint_is_read_with_its_parts_sized_by_the_plan() {
        let dir = std::env::temp_dir().join(format!("lakefs-cp-v1-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("v1.json");
        std::fs::write(
            &path,
            r#"{"version":1,"session":{"repository":"r","branch":"b","path":"p",
            "upload_id":"u","physical_address":"s3://b/data/x",
            "schedule":{"kind":"fixed","total_size":6000000,"part_size":5242880},"created_at":1},
            "source":{"size":6000000,"sample_md5":"x"},"parts":{"2":"abc"}}"#,
        )
        .unwrap();
        let checkpoint = Checkpoint::load(&path).unwrap();
        assert_eq!(checkpoint.version, VERSION);
        let part = &checkpoint.parts[&2];
        assert_eq!(
            (part.etag.as_str(), part.size, part.md5.as_deref()),
            ("abc", 757_120, None)
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
