//! Writing a checkpoint as parts finish: atomically (a temporary file, then a rename), at most
//! once a second and within about a second of any part finishing, never after a newer writer
//! of the same path took over.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use tokio::task::JoinHandle;

use super::Checkpoint;
use crate::error::UploadFailure;
use crate::parts::StoredPart;

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
    /// [`ErrorKind::Checkpoint`](crate::ErrorKind::Checkpoint) when the write in flight or the last write fails.
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
