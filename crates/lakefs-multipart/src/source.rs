//! What an upload reads from: bytes in memory, a file, or an async reader.

use std::fmt;
use std::future::Future;
use std::ops::Range;
use std::path::PathBuf;
use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use tokio::io::{AsyncRead, AsyncReadExt};

use crate::checkpoint::SourceFingerprint;
use crate::error::UploadFailure;
use crate::stamp::FileStamp;

type Reader = Box<dyn AsyncRead + Send + Unpin>;

/// The bytes to upload.
///
/// * [`UploadSource::bytes`]: parts are zero-copy slices of the buffer.
/// * [`UploadSource::file`]: parts are read positionally, one part ahead of a free upload
///   slot (so that the next part is ready when a slot frees), so memory stays at most
///   `(concurrency + 1) × part_size` whatever the file's size.
/// * [`UploadSource::reader`]: an `AsyncRead` of known length, read part by part in order.
/// * [`UploadSource::reader_with_max_size`]: an `AsyncRead` of unknown length with a declared
///   maximum; the part size is planned for `max_size` (it grows past 10,000 × the configured
///   size), and only the parts actually read are sent and completed.
/// * [`UploadSource::stream`]: an `AsyncRead` of unknown length and no declared maximum
///   (standard input, a pipe, a network stream). Part URLs are signed as data arrives, and part
///   sizes grow with the upload ([`PartSchedule::growing`](crate::PartSchedule::growing)), so a
///   small stream uses small parts while up to 5 TiB still fits in 10,000 parts. Needs lakeFS
///   v1.55 or later (`uploadPart`).
/// * [`UploadSource::blocking_stream`]: the same for a `std::io::Read` (`std::io::stdin()`),
///   read on the blocking pool straight into the part buffers — one copy less, as fast as a
///   file.
///
/// Uploads of bytes and files can keep a checkpoint and be resumed; streams cannot (their
/// bytes cannot be read again).
pub struct UploadSource(Kind);

enum Kind {
    Bytes(Bytes),
    File(PathBuf),
    Reader { reader: Reader, size: u64 },
    Unsized { reader: Reader, max_size: u64 },
    Stream { reader: Reader },
    Blocking { reader: BlockingReader },
}

type BlockingReader = Box<dyn std::io::Read + Send>;

impl UploadSource {
    /// Bytes in memory.
    pub fn bytes(bytes: impl Into<Bytes>) -> Self {
        Self(Kind::Bytes(bytes.into()))
    }

    /// A file, measured when the upload starts.
    pub fn file(path: impl Into<PathBuf>) -> Self {
        Self(Kind::File(path.into()))
    }

    /// A reader that yields exactly `size` bytes. Fewer, or more, fail the upload.
    pub fn reader(reader: impl AsyncRead + Send + Unpin + 'static, size: u64) -> Self {
        Self(Kind::Reader {
            reader: Box::new(reader),
            size,
        })
    }

    /// A reader of unknown length yielding at most `max_size` bytes. More fail the upload.
    pub fn reader_with_max_size(
        reader: impl AsyncRead + Send + Unpin + 'static,
        max_size: u64,
    ) -> Self {
        Self(Kind::Unsized {
            reader: Box::new(reader),
            max_size,
        })
    }

    /// A reader of unknown length and no declared maximum, such as standard input. Its parts
    /// grow with the upload (see the type's documentation).
    pub fn stream(reader: impl AsyncRead + Send + Unpin + 'static) -> Self {
        Self(Kind::Stream {
            reader: Box::new(reader),
        })
    }

    /// A blocking reader of unknown length and no declared maximum — standard input
    /// (`std::io::stdin()`), a pipe, a file read in order — read on the blocking pool straight
    /// into the part buffers: one copy of every byte less than an `AsyncRead`, which reads into
    /// a buffer of its own first. Otherwise as [`stream`](Self::stream).
    pub fn blocking_stream(reader: impl std::io::Read + Send + 'static) -> Self {
        Self(Kind::Blocking {
            reader: Box::new(reader),
        })
    }

    /// Whether its bytes can be read again at any offset (bytes and files), which resuming
    /// and uploading part ranges need.
    #[must_use]
    pub fn is_positional(&self) -> bool {
        matches!(self.0, Kind::Bytes(_) | Kind::File(_))
    }

    /// Opens the source: the size to plan for, whether it is exact, and the part reader.
    pub(crate) async fn open(self) -> Result<Opened, UploadFailure> {
        Ok(match self.0 {
            Kind::Bytes(bytes) => Opened {
                plan_size: bytes.len() as u64,
                exact: true,
                unbounded: false,
                stamp: None,
                reader: PartReader::Bytes(bytes),
            },
            Kind::Blocking { reader } => Opened {
                plan_size: 0,
                exact: false,
                unbounded: true,
                stamp: None,
                reader: PartReader::Blocking {
                    reader: Some(reader),
                    ended: false,
                },
            },
            Kind::Stream { reader } => Opened {
                plan_size: 0,
                exact: false,
                unbounded: true,
                stamp: None,
                reader: PartReader::Stream {
                    reader,
                    declared: None,
                    ended: false,
                },
            },
            Kind::File(path) => {
                let file = std::fs::File::open(&path).map_err(UploadFailure::Open)?;
                let metadata = file.metadata().map_err(UploadFailure::Open)?;
                if !metadata.is_file() {
                    return Err(UploadFailure::Open(std::io::Error::new(
                        std::io::ErrorKind::InvalidInput,
                        format!("{} is not a regular file", path.display()),
                    )));
                }
                let file = Arc::new(file);
                Opened {
                    plan_size: metadata.len(),
                    exact: true,
                    unbounded: false,
                    stamp: Some(FileStamp::of(&file, &metadata)),
                    reader: PartReader::File(file),
                }
            }
            Kind::Reader { reader, size } => Opened {
                plan_size: size,
                exact: true,
                unbounded: false,
                stamp: None,
                reader: PartReader::Stream {
                    reader,
                    declared: Some(size),
                    ended: false,
                },
            },
            Kind::Unsized { reader, max_size } => Opened {
                plan_size: max_size,
                exact: false,
                unbounded: false,
                stamp: None,
                reader: PartReader::Stream {
                    reader,
                    declared: None,
                    ended: false,
                },
            },
        })
    }
}

impl fmt::Debug for UploadSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Kind::Bytes(bytes) => write!(f, "UploadSource::Bytes({} bytes)", bytes.len()),
            Kind::File(path) => write!(f, "UploadSource::File({})", path.display()),
            Kind::Reader { size, .. } => write!(f, "UploadSource::Reader({size} bytes)"),
            Kind::Unsized { max_size, .. } => {
                write!(f, "UploadSource::Reader(at most {max_size} bytes)")
            }
            Kind::Stream { .. } => f.write_str("UploadSource::Stream(unknown length)"),
            Kind::Blocking { .. } => f.write_str("UploadSource::BlockingStream(unknown length)"),
        }
    }
}

impl From<Bytes> for UploadSource {
    fn from(bytes: Bytes) -> Self {
        Self::bytes(bytes)
    }
}

impl From<Vec<u8>> for UploadSource {
    fn from(bytes: Vec<u8>) -> Self {
        Self::bytes(bytes)
    }
}

pub(crate) struct Opened {
    /// A file's size and modification time when it was opened, to tell before completing
    /// whether it changed while it was read.
    pub(crate) stamp: Option<FileStamp>,
    /// The size to plan for: the exact size, or the declared maximum.
    pub(crate) plan_size: u64,
    /// Whether `plan_size` is exact.
    pub(crate) exact: bool,
    /// A stream with no declared maximum: its parts follow a growing schedule.
    pub(crate) unbounded: bool,
    pub(crate) reader: PartReader,
}

/// Produces one part's bytes at a time. Reading takes the reader by value and gives it back,
/// so the read can be held as a `'static` future beside the parts in flight.
pub(crate) enum PartReader {
    Bytes(Bytes),
    File(Arc<std::fs::File>),
    Stream {
        reader: Reader,
        /// The exact size for a known-length reader; `None` for an unknown length.
        declared: Option<u64>,
        ended: bool,
    },
    /// A blocking reader of unknown length; `None` only while a read has it on the blocking
    /// pool.
    Blocking {
        reader: Option<BlockingReader>,
        ended: bool,
    },
}

impl PartReader {
    /// How many parts to read ahead of a free slot, at `concurrency` parts in flight, so that
    /// the next part is ready when a slot frees rather than read while the slot waits: a
    /// quarter of the concurrency (at least one) for a reader, whose reads also wait on its
    /// producer; one for a file, whose positional reads from the page cache take a few
    /// milliseconds — on the wire's critical path without it (about 4% of the PUT phase at 4
    /// parts of 8 MiB in flight to s3s-fs); none for bytes in memory, whose parts are slices.
    pub(crate) fn read_ahead(&self, concurrency: usize) -> usize {
        match self {
            Self::Stream { .. } | Self::Blocking { .. } => (concurrency / 4).max(1),
            Self::File(_) => 1,
            Self::Bytes(_) => 0,
        }
    }

    /// Another reader of the same positional source (bytes or file), reading independently;
    /// `None` for a stream.
    pub(crate) fn positional_clone(&self) -> Option<Self> {
        match self {
            Self::Bytes(bytes) => Some(Self::Bytes(bytes.clone())),
            Self::File(file) => Some(Self::File(Arc::clone(file))),
            Self::Stream { .. } | Self::Blocking { .. } => None,
        }
    }

    /// What identifies a positional source, for a checkpoint, as a future that owns what it
    /// reads (so no borrow of the reader is held across it); `None` for a stream.
    pub(crate) fn fingerprint(
        &self,
    ) -> Option<impl Future<Output = std::io::Result<SourceFingerprint>> + Send + 'static> {
        let source = match self {
            Self::Bytes(bytes) => Ok(bytes.clone()),
            Self::File(file) => Err(Arc::clone(file)),
            Self::Stream { .. } | Self::Blocking { .. } => return None,
        };
        Some(async move {
            match source {
                Ok(bytes) => Ok(SourceFingerprint::of_bytes(&bytes)),
                Err(file) => tokio::task::spawn_blocking(move || SourceFingerprint::of_file(&file))
                    .await
                    .map_err(std::io::Error::other)
                    .and_then(|r| r),
            }
        })
    }

    /// Reads part `part_number` covering `range`; `is_last` is whether it is the plan's last
    /// part. `Ok(None)` means an unknown-length source ended before this part. `buffer` is a
    /// finished part's buffer to fill again, so that reading sources allocate only up to
    /// `concurrency` buffers for a whole upload.
    pub(crate) async fn read(
        mut self,
        part_number: u32,
        range: Range<u64>,
        is_last: bool,
        buffer: Option<BytesMut>,
    ) -> (Self, Result<Option<Bytes>, UploadFailure>) {
        let result = self.read_inner(part_number, range, is_last, buffer).await;
        (self, result)
    }

    async fn read_inner(
        &mut self,
        part_number: u32,
        range: Range<u64>,
        is_last: bool,
        buffer: Option<BytesMut>,
    ) -> Result<Option<Bytes>, UploadFailure> {
        let io_error = |source| UploadFailure::Source {
            part_number,
            source,
        };
        let len = usize::try_from(range.end - range.start)
            .map_err(|_| io_error(std::io::Error::other("part larger than memory")))?;
        match self {
            // Zero-copy: a slice shares the buffer.
            Self::Bytes(bytes) => Ok(Some(bytes.slice(range.start as usize..range.end as usize))),
            Self::File(file) => {
                let file = Arc::clone(file);
                let offset = range.start;
                let read = tokio::task::spawn_blocking(move || read_at(&file, offset, len, buffer))
                    .await
                    .map_err(|e| io_error(std::io::Error::other(e)))?;
                read.map(Some).map_err(|source| {
                    if source.kind() == std::io::ErrorKind::UnexpectedEof {
                        UploadFailure::SourceSize(format!(
                            "file became shorter during the upload: part {part_number} ends past its end"
                        ))
                    } else {
                        io_error(source)
                    }
                })
            }
            Self::Blocking { reader, ended } => {
                if *ended {
                    return Ok(None);
                }
                let taken = reader.take().ok_or_else(|| {
                    io_error(std::io::Error::other(
                        "the reader was lost by an earlier read",
                    ))
                })?;
                let probe_after = is_last;
                let (back, read) = tokio::task::spawn_blocking(move || {
                    let mut taken = taken;
                    let read = read_blocking(&mut taken, buffer, len, probe_after);
                    (taken, read)
                })
                .await
                .map_err(|e| io_error(std::io::Error::other(e)))?;
                *reader = Some(back);
                let (buffer, at_end, more_after_last) = read.map_err(io_error)?;
                *ended = at_end || is_last;
                if more_after_last {
                    return Err(UploadFailure::SourceSize(format!(
                        "reader yields more than the {} bytes 10,000 parts can hold",
                        range.end
                    )));
                }
                if buffer.is_empty() && part_number > 1 {
                    return Ok(None);
                }
                Ok(Some(buffer.freeze()))
            }
            Self::Stream {
                reader,
                declared,
                ended,
            } => {
                if *ended {
                    return Ok(None);
                }
                let mut buffer = match buffer {
                    Some(mut reused) => {
                        reused.clear();
                        reused.reserve(len);
                        reused
                    }
                    None => BytesMut::with_capacity(len),
                };
                while buffer.len() < len {
                    // `read_buf` may read past `len` into spare capacity: bound it.
                    let mut limited = (&mut *reader).take((len - buffer.len()) as u64);
                    if limited.read_buf(&mut buffer).await.map_err(io_error)? == 0 {
                        *ended = true;
                        break;
                    }
                }
                if let Some(size) = *declared {
                    if buffer.len() < len {
                        return Err(UploadFailure::SourceSize(format!(
                            "reader ended after {} bytes but was declared as {size} bytes",
                            range.start + buffer.len() as u64
                        )));
                    }
                }
                if is_last && !*ended {
                    // Nothing may follow the last planned part.
                    let mut probe = [0u8; 1];
                    if reader.read(&mut probe).await.map_err(io_error)? > 0 {
                        return Err(UploadFailure::SourceSize(match *declared {
                            Some(size) => {
                                format!("reader yields more than its declared {size} bytes")
                            }
                            None => format!(
                                "reader yields more than the {} bytes this upload was planned for (its declared maximum)",
                                range.end
                            ),
                        }));
                    }
                    *ended = true;
                }
                if buffer.is_empty() && part_number > 1 {
                    // An unknown-length source that ended exactly at a part boundary.
                    return Ok(None);
                }
                Ok(Some(buffer.freeze()))
            }
        }
    }
}

/// Reads up to `len` bytes from a blocking reader into a buffer (reusing `buffer`): the bytes,
/// whether the reader ended, and — with `probe` — whether anything follows a full part.
fn read_blocking(
    reader: &mut BlockingReader,
    buffer: Option<BytesMut>,
    len: usize,
    probe: bool,
) -> std::io::Result<(BytesMut, bool, bool)> {
    let mut buffer = sized(buffer, len);
    let mut filled = 0;
    let mut ended = false;
    while filled < len {
        match reader.read(&mut buffer[filled..]) {
            Ok(0) => {
                ended = true;
                break;
            }
            Ok(n) => filled += n,
            Err(error) if error.kind() == std::io::ErrorKind::Interrupted => {}
            Err(error) => return Err(error),
        }
    }
    buffer.truncate(filled);
    let mut more = false;
    if probe && !ended {
        let mut one = [0u8; 1];
        loop {
            match reader.read(&mut one) {
                Ok(n) => {
                    more = n > 0;
                    break;
                }
                Err(error) if error.kind() == std::io::ErrorKind::Interrupted => {}
                Err(error) => return Err(error),
            }
        }
    }
    Ok((buffer, ended, more))
}

/// A buffer of exactly `len` bytes, reusing `buffer` (whose old contents are overwritten).
fn sized(buffer: Option<BytesMut>, len: usize) -> BytesMut {
    let mut buffer = buffer.unwrap_or_default();
    // A reused buffer of the same length needs no zeroing: the read overwrites it all.
    buffer.resize(len, 0);
    buffer
}

#[cfg(unix)]
fn read_at(
    file: &std::fs::File,
    offset: u64,
    len: usize,
    buffer: Option<BytesMut>,
) -> std::io::Result<Bytes> {
    use std::os::unix::fs::FileExt;
    let mut buffer = sized(buffer, len);
    file.read_exact_at(&mut buffer, offset)?;
    Ok(buffer.freeze())
}

#[cfg(windows)]
fn read_at(
    file: &std::fs::File,
    offset: u64,
    len: usize,
    buffer: Option<BytesMut>,
) -> std::io::Result<Bytes> {
    use std::os::windows::fs::FileExt;
    let mut buffer = sized(buffer, len);
    let mut done = 0;
    while done < len {
        match file.seek_read(&mut buffer[done..], offset + done as u64)? {
            0 => return Err(std::io::ErrorKind::UnexpectedEof.into()),
            n => done += n,
        }
    }
    Ok(buffer.freeze())
}
