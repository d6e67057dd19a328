//! The destination on disk: a temporary file beside it, written at offsets, made durable and
//! renamed into place only when every byte is there and proven — a killed download never
//! leaves a file that looks complete.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use bytes::Bytes;

use crate::Error;

/// The temporary file of a download, sized to the object.
#[derive(Clone)]
pub(crate) struct PartFile {
    path: PathBuf,
    file: Arc<std::fs::File>,
}

/// The temporary file and the checkpoint beside `destination`:
/// `.{name}.lakefs-download` and `.{name}.lakefs-download.json`.
pub(crate) fn sidecar_paths(destination: &Path) -> Result<(PathBuf, PathBuf), Error> {
    let name = destination.file_name().ok_or_else(|| {
        Error::invalid_argument(
            "destination",
            format!("{} names no file", destination.display()),
        )
    })?;
    let mut partial = OsString::from(".");
    partial.push(name);
    partial.push(".lakefs-download");
    let mut checkpoint = partial.clone();
    checkpoint.push(".json");
    Ok((
        destination.with_file_name(partial),
        destination.with_file_name(checkpoint),
    ))
}

impl PartFile {
    /// A new temporary file of `size` bytes (replacing any earlier one).
    pub(crate) async fn create(path: PathBuf, size: u64) -> Result<Self, Error> {
        let opened = path.clone();
        let file = blocking(move || {
            let mut options = std::fs::OpenOptions::new();
            options.read(true).write(true).create(true).truncate(true);
            #[cfg(unix)]
            {
                use std::os::unix::fs::OpenOptionsExt;
                options.mode(0o600);
            }
            let file = options.open(&opened)?;
            file.set_len(size)?;
            Ok(file)
        })
        .await
        .map_err(|e| Error::io("cannot create the temporary file", &path, e))?;
        Ok(Self {
            path,
            file: Arc::new(file),
        })
    }

    /// The temporary file of an earlier run, if it is there with `size` bytes.
    pub(crate) async fn reopen(path: PathBuf, size: u64) -> Option<Self> {
        let opened = path.clone();
        let file = blocking(move || {
            let file = std::fs::OpenOptions::new()
                .read(true)
                .write(true)
                .open(&opened)?;
            if file.metadata()?.len() != size {
                return Err(std::io::Error::other("size differs"));
            }
            Ok(file)
        })
        .await
        .ok()?;
        Some(Self {
            path,
            file: Arc::new(file),
        })
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// Writes `bytes` at `offset`, and returns their MD5 when asked (computed on the same
    /// blocking thread, so parts are hashed in parallel).
    pub(crate) async fn write_at(
        &self,
        bytes: Bytes,
        offset: u64,
        digest: bool,
    ) -> Result<Option<[u8; 16]>, Error> {
        let file = Arc::clone(&self.file);
        blocking(move || {
            let md5 = digest.then(|| md5_of(&bytes));
            write_all_at(&file, &bytes, offset)?;
            Ok(md5)
        })
        .await
        .map_err(|e| Error::io("cannot write the temporary file", &self.path, e))
    }

    /// The MD5 of the bytes at `range`, read back from disk.
    pub(crate) async fn md5_of_range(
        &self,
        range: std::ops::Range<u64>,
    ) -> Result<[u8; 16], Error> {
        let file = Arc::clone(&self.file);
        blocking(move || {
            use md5::{Digest, Md5};
            let mut md5 = Md5::new();
            let mut buffer = vec![0u8; 1024 * 1024];
            let mut at = range.start;
            while at < range.end {
                let want = usize::try_from((range.end - at).min(buffer.len() as u64))
                    .unwrap_or(buffer.len());
                let read = read_at(&file, &mut buffer[..want], at)?;
                if read == 0 {
                    return Err(std::io::Error::from(std::io::ErrorKind::UnexpectedEof));
                }
                md5.update(&buffer[..read]);
                at += read as u64;
            }
            Ok(md5.finalize().into())
        })
        .await
        .map_err(|e| Error::io("cannot read the temporary file back", &self.path, e))
    }

    /// Flushes written bytes to disk (before a checkpoint says they are there).
    pub(crate) async fn sync(&self) -> Result<(), Error> {
        let file = Arc::clone(&self.file);
        blocking(move || file.sync_data())
            .await
            .map_err(|e| Error::io("cannot flush the temporary file", &self.path, e))
    }

    /// Flushes, then renames the temporary file to `destination` and flushes the directory.
    pub(crate) async fn persist(self, destination: &Path) -> Result<(), Error> {
        let Self { path, file } = self;
        let to = destination.to_path_buf();
        let from = path.clone();
        blocking(move || {
            file.sync_all()?;
            drop(file);
            std::fs::rename(&from, &to)?;
            sync_directory(&to);
            Ok(())
        })
        .await
        .map_err(|e| Error::io("cannot move the finished file into place", destination, e))
    }

    /// Removes the temporary file.
    pub(crate) async fn discard(self) {
        let path = self.path;
        let _ = blocking(move || std::fs::remove_file(path)).await;
    }
}

/// Flushes the directory holding `path`, so that a rename survives a crash (best effort:
/// not every platform or filesystem can).
fn sync_directory(path: &Path) {
    #[cfg(unix)]
    if let Some(directory) = path.parent() {
        let directory = if directory.as_os_str().is_empty() {
            Path::new(".")
        } else {
            directory
        };
        if let Ok(handle) = std::fs::File::open(directory) {
            let _ = handle.sync_all();
        }
    }
}

pub(crate) fn md5_of(bytes: &[u8]) -> [u8; 16] {
    use md5::{Digest, Md5};
    Md5::digest(bytes).into()
}

/// Runs `work` on the blocking pool.
pub(crate) async fn blocking<R: Send + 'static>(
    work: impl FnOnce() -> std::io::Result<R> + Send + 'static,
) -> std::io::Result<R> {
    tokio::task::spawn_blocking(work)
        .await
        .unwrap_or_else(|e| Err(std::io::Error::other(e)))
}

#[cfg(unix)]
fn write_all_at(file: &std::fs::File, bytes: &[u8], offset: u64) -> std::io::Result<()> {
    std::os::unix::fs::FileExt::write_all_at(file, bytes, offset)
}

#[cfg(unix)]
fn read_at(file: &std::fs::File, buffer: &mut [u8], offset: u64) -> std::io::Result<usize> {
    std::os::unix::fs::FileExt::read_at(file, buffer, offset)
}

#[cfg(windows)]
fn write_all_at(file: &std::fs::File, mut bytes: &[u8], mut offset: u64) -> std::io::Result<()> {
    while !bytes.is_empty() {
        let written = std::os::windows::fs::FileExt::seek_write(file, bytes, offset)?;
        bytes = &bytes[written..];
        offset += written as u64;
    }
    Ok(())
}

#[cfg(windows)]
fn read_at(file: &std::fs::File, buffer: &mut [u8], offset: u64) -> std::io::Result<usize> {
    std::os::windows::fs::FileExt::seek_read(file, buffer, offset)
}
