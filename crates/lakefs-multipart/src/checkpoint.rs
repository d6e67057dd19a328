//! Checkpoints: what a crashed upload needs to be resumed, written atomically as parts
//! finish (within about a second of each).

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use bytes::Bytes;
use md5::{Digest, Md5};
use serde::{Deserialize, Serialize};
use tokio::task::JoinHandle;

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
    /// [`UploadFailure::Checkpoint`] when it cannot be read or is not a checkpoint.
    pub fn load(path: impl AsRef<Path>) -> Result<Self, UploadFailure> {
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

/// Writes `bytes` to `path` atomically: a temporary file beside it (permissions 0600 from its
/// creation), flushed to disk, then renamed over `path`.
pub(crate) fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let name = path
        .file_name()
        .ok_or_else(|| std::io::Error::other("the checkpoint path has no file name"))?;
    let mut temporary_name = std::ffi::OsString::from(".");
    temporary_name.push(name);
    // Unique per write: two uploads of one process may write beside each other at once.
    static WRITES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let write = WRITES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    temporary_name.push(format!(".{}.{write}.tmp", std::process::id()));
    let temporary = path.with_file_name(temporary_name);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let written = (|| {
        let mut file = options.open(&temporary)?;
        file.write_all(bytes)?;
        file.sync_all()
    })();
    if let Err(error) = written {
        let _ = std::fs::remove_file(&temporary);
        return Err(error);
    }
    std::fs::rename(&temporary, path)
}

/// Which writer owns each checkpoint path in this process. A write of a writer that no longer
/// owns its path — an upload whose future was dropped with a write on the blocking pool, and
/// resumed since — does not land: it could put back a state older than the resume's.
static OWNERS: std::sync::Mutex<BTreeMap<PathBuf, u64>> = std::sync::Mutex::new(BTreeMap::new());

/// The next writer's number.
static NEXT_OWNER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

/// Writes `bytes` to `path` atomically if writer `owner` still owns it; a superseded write is
/// dropped, not an error.
fn write_owned(path: &Path, bytes: &[u8], owner: u64) -> std::io::Result<()> {
    let owners = OWNERS
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if owners.get(path) != Some(&owner) {
        return Ok(());
    }
    // Held across the write: a new owner takes the path only between two writes.
    write_atomically(path, bytes)
}

/// The least time between two checkpoint writes: a 10,000-part checkpoint is half a megabyte,
/// and writing it after every part of a fast upload would write gigabytes. Parts finished in
/// between are written with the next write; a crash loses at most this much of the record
/// (those parts are sent again on resume).
const MIN_WRITE_INTERVAL: std::time::Duration = std::time::Duration::from_secs(1);

/// Keeps a checkpoint file up to date while parts finish: at most one write in flight, at most
/// one started per [`MIN_WRITE_INTERVAL`], each holding every part finished before it started.
/// A part recorded while a write is in flight or too soon after the last one is written by a
/// write that [`next_write`](Self::next_write) starts as soon as it may: whatever the parts
/// do next, a finished part is on disk within about [`MIN_WRITE_INTERVAL`] plus one write.
pub(crate) struct CheckpointWriter {
    path: PathBuf,
    /// This writer's number in [`OWNERS`].
    owner: u64,
    checkpoint: Checkpoint,
    writing: Option<JoinHandle<std::io::Result<()>>>,
    dirty: bool,
    last_start: Option<tokio::time::Instant>,
}

impl CheckpointWriter {
    /// Writes `checkpoint` to `path` now, and keeps it up to date from then on.
    pub(crate) async fn create(
        path: PathBuf,
        checkpoint: Checkpoint,
    ) -> Result<Self, UploadFailure> {
        let owner = NEXT_OWNER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        OWNERS
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(path.clone(), owner);
        let mut writer = Self {
            owner,
            path,
            checkpoint,
            writing: None,
            dirty: true,
            last_start: None,
        };
        writer.flush().await?;
        Ok(writer)
    }

    /// The path written to.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// Removes the checkpoint file, its upload finished or gone: no write of this writer
    /// lands after it.
    pub(crate) fn remove(self) {
        let mut owners = OWNERS
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if owners.get(&self.path) == Some(&self.owner) {
            owners.remove(&self.path);
        }
        if let Err(error) = std::fs::remove_file(&self.path) {
            if error.kind() != std::io::ErrorKind::NotFound {
                tracing::warn!(path = %self.path.display(), %error, "cannot remove the checkpoint");
            }
        }
    }

    /// Records a stored part; a write starts unless one is in flight or one started less
    /// than [`MIN_WRITE_INTERVAL`] ago.
    pub(crate) fn record(&mut self, part: &StoredPart) {
        self.checkpoint.parts.insert(part.part_number, part.clone());
        self.dirty = true;
        let due = self
            .last_start
            .is_none_or(|at| at.elapsed() >= MIN_WRITE_INTERVAL);
        if self.writing.is_none() && due {
            self.start();
        }
    }

    fn encode(&self) -> Result<Vec<u8>, UploadFailure> {
        serde_json::to_vec(&self.checkpoint).map_err(|e| UploadFailure::Checkpoint {
            path: self.path.clone(),
            reason: e.to_string(),
        })
    }

    fn start(&mut self) {
        // Counted as a start even if encoding fails: the next try waits its interval.
        self.last_start = Some(tokio::time::Instant::now());
        let bytes = match self.encode() {
            Ok(bytes) => bytes,
            Err(error) => {
                tracing::warn!(%error, "cannot encode the checkpoint");
                return;
            }
        };
        self.dirty = false;
        let path = self.path.clone();
        let owner = self.owner;
        self.writing = Some(tokio::task::spawn_blocking(move || {
            write_owned(&path, &bytes, owner)
        }));
    }

    /// Moves the checkpoint towards the disk: waits for the write in flight, or — when parts
    /// were recorded since the last write started — waits until a write may start and starts
    /// it. Never resolves when everything recorded is written. A failed write is logged and
    /// tried again a [`MIN_WRITE_INTERVAL`] later: a disk that refuses every write is not
    /// hammered.
    pub(crate) async fn next_write(&mut self) {
        if let Some(writing) = self.writing.as_mut() {
            let result = writing.await;
            self.writing = None;
            if let Err(error) = flatten(result) {
                self.dirty = true;
                tracing::warn!(path = %self.path.display(), %error, "writing the checkpoint failed");
            }
            return;
        }
        if !self.dirty {
            return std::future::pending().await;
        }
        if let Some(last) = self.last_start {
            tokio::time::sleep_until(last + MIN_WRITE_INTERVAL).await;
        }
        self.start();
    }

    /// Waits until everything recorded is on disk.
    ///
    /// # Errors
    /// [`UploadFailure::Checkpoint`] when the write in flight or the last write fails.
    pub(crate) async fn flush(&mut self) -> Result<(), UploadFailure> {
        let failure = |e: std::io::Error| UploadFailure::Checkpoint {
            path: self.path.clone(),
            reason: e.to_string(),
        };
        if let Some(writing) = self.writing.take() {
            if flatten(writing.await).is_err() {
                // Written again below; that write's outcome is the answer.
                self.dirty = true;
            }
        }
        if !self.dirty {
            return Ok(());
        }
        let bytes = self.encode()?;
        let path = self.path.clone();
        let owner = self.owner;
        self.last_start = Some(tokio::time::Instant::now());
        flatten(tokio::task::spawn_blocking(move || write_owned(&path, &bytes, owner)).await)
            .map_err(failure)?;
        self.dirty = false;
        Ok(())
    }
}

/// A blocking write's outcome, a panic or cancellation of the task counted as an I/O error.
fn flatten(result: Result<std::io::Result<()>, tokio::task::JoinError>) -> std::io::Result<()> {
    result.map_err(std::io::Error::other).and_then(|r| r)
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
    fn checkpoints_written_at_once_in_one_process_do_not_collide() {
        let dir = std::env::temp_dir().join(format!("lakefs-cp-together-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("upload.json");
        std::thread::scope(|scope| {
            let writers: Vec<_> = (0..8)
                .map(|_| scope.spawn(|| (0..50).try_for_each(|_| write_atomically(&path, b"{}"))))
                .collect();
            for writer in writers {
                writer.join().unwrap().unwrap();
            }
        });
        assert_eq!(
            std::fs::read_dir(&dir).unwrap().count(),
            1,
            "no temporary file left"
        );
        std::fs::remove_dir_all(&dir).unwrap();
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

    #[test]
    fn a_write_of_a_writer_that_lost_its_path_does_not_land() {
        let dir = std::env::temp_dir().join(format!("lakefs-cp-owner-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("upload.json");
        let mut owners = OWNERS.lock().unwrap();
        owners.insert(path.clone(), u64::MAX - 1);
        owners.insert(path.clone(), u64::MAX);
        drop(owners);
        write_owned(&path, b"resumed", u64::MAX).unwrap();
        // The dropped upload's write, finishing late.
        write_owned(&path, b"stale", u64::MAX - 1).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"resumed");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn writes_are_atomic_and_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = std::env::temp_dir().join(format!("lakefs-cp-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("upload.json");
        write_atomically(&path, b"{\"a\":1}").unwrap();
        write_atomically(&path, b"{\"a\":2}").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"{\"a\":2}");
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let leftovers: Vec<_> = std::fs::read_dir(&dir).unwrap().collect();
        assert_eq!(leftovers.len(), 1, "no temporary file is left behind");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
