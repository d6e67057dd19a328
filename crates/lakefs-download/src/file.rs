//! The destination on disk: a temporary file beside it, written at offsets, made durable and
//! renamed into place only when every byte is there and proven — a killed download never
//! leaves a file that looks complete.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use md5::{Digest, Md5};
use tokio::sync::RwLock;

use crate::Error;

/// The bytes a part writer gathers before one positional write: a part is never held
/// whole, only `concurrency` of these.
pub(crate) const WRITE_BUFFER: usize = 1024 * 1024;

/// The temporary file of a download, sized to the object.
#[derive(Clone)]
pub(crate) struct PartFile {
    path: PathBuf,
    file: Arc<std::fs::File>,
    /// Held (read) by every write on the blocking pool, which goes on even when the future
    /// that started it is dropped; taken (write) before the file is flushed, renamed or
    /// removed, so that no write lands after a checkpoint says what the file holds.
    writes: Arc<RwLock<()>>,
    /// Write buffers given back by finished parts, for the next ones (no mapping and
    /// unmapping of a fresh buffer per part).
    buffers: Arc<std::sync::Mutex<Vec<Vec<u8>>>>,
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
        Ok(Self::of(path, file))
    }

    fn of(path: PathBuf, file: std::fs::File) -> Self {
        Self {
            path,
            file: Arc::new(file),
            writes: Arc::default(),
            buffers: Arc::default(),
        }
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
        Some(Self::of(path, file))
    }

    /// A writer of the part at `range`, hashing each `slice`-byte piece of it (from its
    /// start) when `slice` is given.
    pub(crate) fn part_writer(
        &self,
        range: std::ops::Range<u64>,
        slice: Option<u64>,
        stop: tokio::sync::watch::Receiver<bool>,
    ) -> PartWriter {
        PartWriter {
            file: self.clone(),
            range,
            at: 0,
            buffer: Vec::new(),
            slice,
            hashes: None,
            stop,
            receiving: Arc::default(),
        }
    }

    /// Waits for every write started on the blocking pool to end.
    async fn quiesce(&self) -> tokio::sync::RwLockWriteGuard<'_, ()> {
        self.writes.write().await
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
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

    /// Flushes written bytes to disk (before a checkpoint says they are there), once every
    /// write in progress has ended.
    pub(crate) async fn sync(&self) -> Result<(), Error> {
        let _quiet = self.quiesce().await;
        let file = Arc::clone(&self.file);
        blocking(move || file.sync_data())
            .await
            .map_err(|e| Error::io("cannot flush the temporary file", &self.path, e))
    }

    /// Flushes, then renames the temporary file to `destination` and flushes the directory.
    pub(crate) async fn persist(self, destination: &Path) -> Result<(), Error> {
        drop(self.quiesce().await);
        let Self { path, file, .. } = self;
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
        drop(self.quiesce().await);
        let path = self.path;
        let _ = blocking(move || std::fs::remove_file(path)).await;
    }
}

/// Writes one part at its offset as its bytes arrive, through a reused buffer of
/// [`WRITE_BUFFER`] bytes, hashing them as they are written (on the blocking pool, so parts
/// are hashed in parallel).
pub(crate) struct PartWriter {
    file: PartFile,
    range: std::ops::Range<u64>,
    /// Bytes of the part written to the file so far.
    at: u64,
    buffer: Vec<u8>,
    slice: Option<u64>,
    hashes: Option<SliceHashes>,
    /// Set when the download stops: the body being received is given up the next time it
    /// has no byte ready (never between a chunk that arrived and its write).
    stop: tokio::sync::watch::Receiver<bool>,
    /// Whether an answer's body is being received (then a stop is left to the receiver).
    receiving: Arc<std::sync::atomic::AtomicBool>,
}

impl PartWriter {
    /// Resolves when the download stops.
    pub(crate) async fn stopped(&self) {
        let mut stop = self.stop.clone();
        let _ = stop.wait_for(|stop| *stop).await;
    }

    /// The flag telling whether a body is being received.
    pub(crate) fn receiving(&self) -> Arc<std::sync::atomic::AtomicBool> {
        Arc::clone(&self.receiving)
    }

    /// Starts the part over from its first byte (a new attempt).
    pub(crate) fn restart(&mut self) {
        self.at = 0;
        self.buffer.clear();
        self.hashes = self.slice.map(SliceHashes::new);
    }

    /// Takes the next bytes of the part, writing whenever the buffer is full. The caller
    /// keeps within the part's length.
    pub(crate) async fn push(&mut self, mut bytes: &[u8]) -> Result<(), Error> {
        if self.buffer.capacity() == 0 {
            self.buffer = self.file.take_buffer();
        }
        while !bytes.is_empty() {
            let room = WRITE_BUFFER - self.buffer.len();
            let (head, rest) = bytes.split_at(room.min(bytes.len()));
            self.buffer.extend_from_slice(head);
            bytes = rest;
            if self.buffer.len() == WRITE_BUFFER {
                self.flush().await?;
            }
        }
        Ok(())
    }

    async fn flush(&mut self) -> Result<(), Error> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        let buffer = std::mem::take(&mut self.buffer);
        let mut hashes = self.hashes.take();
        let file = Arc::clone(&self.file.file);
        let offset = self.range.start + self.at;
        let guard = Arc::clone(&self.file.writes).read_owned().await;
        let (mut buffer, hashes) = blocking(move || {
            let _guard = guard;
            if let Some(hashes) = hashes.as_mut() {
                hashes.update(&buffer);
            }
            write_all_at(&file, &buffer, offset)?;
            Ok((buffer, hashes))
        })
        .await
        .map_err(|e| Error::io("cannot write the temporary file", &self.file.path, e))?;
        self.at += buffer.len() as u64;
        buffer.clear();
        self.buffer = buffer;
        self.hashes = hashes;
        Ok(())
    }

    /// Writes what is buffered; the MD5s of the part's slices, when hashing.
    pub(crate) async fn finish(&mut self) -> Result<Option<Vec<[u8; 16]>>, Error> {
        self.flush().await?;
        Ok(self.hashes.take().map(SliceHashes::finish))
    }
}

impl Drop for PartWriter {
    fn drop(&mut self) {
        let buffer = std::mem::take(&mut self.buffer);
        if buffer.capacity() == WRITE_BUFFER {
            self.file.put_buffer(buffer);
        }
    }
}

impl PartFile {
    fn take_buffer(&self) -> Vec<u8> {
        self.buffers
            .lock()
            .ok()
            .and_then(|mut buffers| buffers.pop())
            .unwrap_or_else(|| Vec::with_capacity(WRITE_BUFFER))
    }

    fn put_buffer(&self, mut buffer: Vec<u8>) {
        buffer.clear();
        if let Ok(mut buffers) = self.buffers.lock() {
            buffers.push(buffer);
        }
    }
}

/// The MD5 of each `slice`-byte piece of bytes fed in order (the last may be shorter).
struct SliceHashes {
    slice: u64,
    current: Md5,
    filled: u64,
    done: Vec<[u8; 16]>,
}

impl SliceHashes {
    fn new(slice: u64) -> Self {
        Self {
            slice: slice.max(1),
            current: Md5::new(),
            filled: 0,
            done: Vec::new(),
        }
    }

    fn update(&mut self, mut bytes: &[u8]) {
        while !bytes.is_empty() {
            let room = usize::try_from(self.slice - self.filled).unwrap_or(usize::MAX);
            let (head, rest) = bytes.split_at(room.min(bytes.len()));
            self.current.update(head);
            self.filled += head.len() as u64;
            bytes = rest;
            if self.filled == self.slice {
                self.done
                    .push(std::mem::take(&mut self.current).finalize().into());
                self.filled = 0;
            }
        }
    }

    fn finish(mut self) -> Vec<[u8; 16]> {
        if self.filled > 0 || self.done.is_empty() {
            self.done.push(self.current.finalize().into());
        }
        self.done
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
