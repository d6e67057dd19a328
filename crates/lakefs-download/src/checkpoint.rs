//! The record of a download's finished parts, beside the destination: written atomically
//! (a temporary file, flushed, renamed), only after the parts it names are flushed to disk,
//! and holding no URL — a resume asks lakeFS again and proves the object unchanged.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::file::blocking;
use crate::target::ObjectIdentity;
use crate::Error;
use crate::ErrorKind;

/// The checkpoint format's version.
const VERSION: u32 = 1;

/// What a checkpoint file holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct DownloadCheckpoint {
    pub(crate) version: u32,
    /// `lakefs://repository/ref/path`.
    pub(crate) object: String,
    pub(crate) identity: ObjectIdentity,
    pub(crate) part_size: u64,
    /// Finished parts (1-based) and the hex MD5 of their bytes as they were written: one
    /// MD5, or — for a part that is a whole multiple of the upload part size — the MD5 of
    /// each upload-part-sized slice, in order, their hex digits joined (a part of one slice
    /// reads as before). Empty when not hashed.
    pub(crate) parts: BTreeMap<u32, String>,
}

impl DownloadCheckpoint {
    pub(crate) fn new(object: String, identity: ObjectIdentity, part_size: u64) -> Self {
        Self {
            version: VERSION,
            object,
            identity,
            part_size,
            parts: BTreeMap::new(),
        }
    }

    /// The checkpoint at `path`: `Ok(None)` when there is none.
    pub(crate) async fn load(path: &Path) -> Result<Option<Self>, Error> {
        let at = path.to_path_buf();
        let bytes = match blocking(move || std::fs::read(at)).await {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(Error::io("cannot read the checkpoint", path, e)),
        };
        let checkpoint: Self = serde_json::from_slice(&bytes).map_err(|e| {
            Error::new(ErrorKind::Checkpoint, "the checkpoint cannot be read")
                .with_local_path(path)
                .with_source(e)
        })?;
        if checkpoint.version != VERSION {
            return Err(Error::new(
                ErrorKind::Checkpoint,
                format!(
                    "the checkpoint has format version {}, not {VERSION}",
                    checkpoint.version
                ),
            )
            .with_local_path(path));
        }
        Ok(Some(checkpoint))
    }

    /// Writes it to `path`, atomically.
    pub(crate) async fn store(&self, path: &Path) -> Result<(), Error> {
        let bytes = serde_json::to_vec(self).map_err(|e| {
            Error::new(ErrorKind::Checkpoint, "the checkpoint cannot be encoded").with_source(e)
        })?;
        let at = path.to_path_buf();
        blocking(move || write_atomically(&at, &bytes))
            .await
            .map_err(|e| Error::io("cannot write the checkpoint", path, e))
    }
}

/// Removes a checkpoint (a finished or abandoned download's).
pub(crate) async fn remove(path: PathBuf) {
    let _ = blocking(move || std::fs::remove_file(path)).await;
}

/// Writes `bytes` to `path` atomically: a temporary file beside it (0600), flushed, renamed.
fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    static WRITES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let write = WRITES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let mut name = path
        .file_name()
        .ok_or_else(|| std::io::Error::other("the checkpoint path has no file name"))?
        .to_os_string();
    name.push(format!(".{}.{write}.tmp", std::process::id()));
    let temporary = path.with_file_name(name);
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
