//! What an upload reads from, as Python gives it: a path, bytes in memory, a binary file
//! object, or an iterable of bytes.
//!
//! `bytes` are zero-copy: the parts are slices of the Python object, kept alive while they
//! are sent. A `bytearray` or a `memoryview` can change while parts are in flight, so it is
//! copied once. A file object or an iterable has no known length: it is streamed, read on
//! the calling thread (Python code stays on the thread that called) in chunks of [`CHUNK`],
//! at most [`AHEAD`] chunks ahead of the engine.

use std::io;
use std::path::PathBuf;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use bytes::{Buf as _, Bytes};
use pyo3::exceptions::{PyFileNotFoundError, PyIsADirectoryError, PyOSError, PyTypeError};
use pyo3::prelude::*;
use pyo3::pybacked::PyBackedBytes;
use pyo3::types::{PyByteArray, PyBytes, PyIterator, PyMemoryView, PyString};
use tokio::io::{AsyncRead, ReadBuf};
use tokio::sync::mpsc;

/// Bytes asked of a file object's `read(n)` at a time.
const CHUNK: usize = 1024 * 1024;
/// Chunks read ahead of the engine, at most.
const AHEAD: usize = 4;

/// An upload's source.
pub(crate) enum Source {
    /// A file, read positionally (each part by the task that sends it).
    File(PathBuf),
    /// Bytes in memory.
    Bytes(Bytes),
    /// A stream of unknown length, fed by the calling thread.
    Stream(Feeder, ChannelReader),
}

impl Source {
    /// What `source` is; a clear `TypeError` for anything else.
    pub(crate) fn from_py(source: &Bound<'_, PyAny>) -> PyResult<Self> {
        if let Some(bytes) = data(source)? {
            return Ok(Self::Bytes(bytes));
        }
        if let Some(path) = path(source)? {
            return Ok(Self::File(path));
        }
        if let Ok(read) = source.getattr("read") {
            if read.is_callable() {
                let (feeder, reader) = Feeder::new(Next::Read(read.unbind()));
                return Ok(Self::Stream(feeder, reader));
            }
        }
        if let Ok(iterator) = source.try_iter() {
            let (feeder, reader) = Feeder::new(Next::Iter(iterator.unbind()));
            return Ok(Self::Stream(feeder, reader));
        }
        Err(PyTypeError::new_err(format!(
            "source must be a path (str or os.PathLike), bytes, bytearray, memoryview, a binary \
             file object with .read(n), or an iterable of bytes; not {}",
            source.get_type().name()?
        )))
    }

    /// Whether the source can be read again at any offset (what a checkpoint needs).
    pub(crate) fn is_positional(&self) -> bool {
        !matches!(self, Self::Stream(..))
    }
}

/// `value`'s bytes if it is bytes, a bytearray or a memoryview (zero-copy for bytes).
pub(crate) fn data(value: &Bound<'_, PyAny>) -> PyResult<Option<Bytes>> {
    if value.is_instance_of::<PyBytes>() || value.is_instance_of::<PyByteArray>() {
        let backed: PyBackedBytes = value.extract()?;
        return Ok(Some(Bytes::from_owner(backed)));
    }
    if value.is_instance_of::<PyMemoryView>() {
        let copy = value.call_method0("tobytes")?;
        let backed: PyBackedBytes = copy.extract()?;
        return Ok(Some(Bytes::from_owner(backed)));
    }
    Ok(None)
}

/// `value` as the path of a file if it is a str or an `os.PathLike` (whose `__fspath__`
/// gives a str); `FileNotFoundError` or `IsADirectoryError` naming it if it is not a file.
pub(crate) fn path(value: &Bound<'_, PyAny>) -> PyResult<Option<PathBuf>> {
    if !value.is_instance_of::<PyString>() && !value.hasattr("__fspath__")? {
        return Ok(None);
    }
    let path = value.extract::<PathBuf>()?;
    match std::fs::metadata(&path) {
        Ok(metadata) if metadata.is_dir() => Err(PyIsADirectoryError::new_err(format!(
            "the source {} is a directory: upload its files one by one",
            path.display()
        ))),
        Ok(_) => Ok(Some(path)),
        Err(error) if error.kind() == io::ErrorKind::NotFound => Err(PyFileNotFoundError::new_err(
            format!("the source file {} does not exist", path.display()),
        )),
        Err(error) => Err(PyOSError::new_err(format!(
            "the source file {} cannot be read: {error}",
            path.display()
        ))),
    }
}

/// How the next chunk is had from Python.
enum Next {
    /// A file object's bound `read` method.
    Read(Py<PyAny>),
    /// An iterator of bytes.
    Iter(Py<PyIterator>),
}

/// Reads a Python stream on the calling thread and hands its chunks to the engine.
pub(crate) struct Feeder {
    next: Next,
    /// `None` once the stream ended (or failed): the engine's reader then sees the end.
    sender: Option<mpsc::Sender<io::Result<Bytes>>>,
    /// Bytes handed on so far.
    fed: u64,
}

impl Feeder {
    fn new(next: Next) -> (Self, ChannelReader) {
        let (sender, receiver) = mpsc::channel(AHEAD);
        let feeder = Self {
            next,
            sender: Some(sender),
            fed: 0,
        };
        let reader = ChannelReader {
            receiver,
            chunk: Bytes::new(),
        };
        (feeder, reader)
    }

    /// The channel to wait for room in, while the stream has more.
    pub(crate) fn sender(&self) -> Option<mpsc::Sender<io::Result<Bytes>>> {
        self.sender.clone()
    }

    /// Reads one chunk into the room `permit` holds; `None` when the engine stopped reading.
    /// An exception from the stream ends it with an error (the upload fails) and is returned.
    pub(crate) fn fill(
        &mut self,
        py: Python<'_>,
        permit: Option<mpsc::OwnedPermit<io::Result<Bytes>>>,
    ) -> PyResult<()> {
        let Some(permit) = permit else {
            self.sender = None;
            return Ok(());
        };
        match self.next_chunk(py) {
            Ok(Some(chunk)) => {
                self.fed += chunk.len() as u64;
                permit.send(Ok(chunk));
                Ok(())
            }
            Ok(None) => {
                self.sender = None;
                Ok(())
            }
            Err(error) => {
                permit.send(Err(io::Error::other(format!(
                    "the Python source raised an exception after {} bytes",
                    self.fed
                ))));
                self.sender = None;
                Err(error)
            }
        }
    }

    /// The next non-empty chunk, or `None` at the end.
    fn next_chunk(&self, py: Python<'_>) -> PyResult<Option<Bytes>> {
        match &self.next {
            Next::Read(read) => {
                let chunk = read.call1(py, (CHUNK,))?.into_bound(py);
                let bytes =
                    data(&chunk)?.ok_or_else(|| not_bytes("the file object's read(n)", &chunk))?;
                Ok((!bytes.is_empty()).then_some(bytes))
            }
            Next::Iter(iterator) => {
                let mut iterator = iterator.bind(py).clone();
                for item in &mut iterator {
                    let item = item?;
                    let bytes = data(&item)?.ok_or_else(|| not_bytes("the iterable", &item))?;
                    if !bytes.is_empty() {
                        return Ok(Some(bytes));
                    }
                }
                Ok(None)
            }
        }
    }
}

/// The `TypeError` for a stream that gave something other than bytes.
fn not_bytes(what: &str, value: &Bound<'_, PyAny>) -> PyErr {
    let kind = value
        .get_type()
        .name()
        .map_or_else(|_| "?".to_owned(), |name| name.to_string());
    let hint = if value.is_instance_of::<PyString>() {
        " (open files in binary mode, 'rb', or encode the text)"
    } else {
        ""
    };
    PyTypeError::new_err(format!(
        "{what} gave {kind} where bytes were expected{hint}"
    ))
}

/// The engine's side of a [`Feeder`]: an `AsyncRead` over the chunks it sends.
pub(crate) struct ChannelReader {
    receiver: mpsc::Receiver<io::Result<Bytes>>,
    chunk: Bytes,
}

impl AsyncRead for ChannelReader {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        while self.chunk.is_empty() {
            match ready!(self.receiver.poll_recv(cx)) {
                Some(Ok(chunk)) => self.chunk = chunk,
                Some(Err(error)) => return Poll::Ready(Err(error)),
                None => return Poll::Ready(Ok(())),
            }
        }
        let n = buf.remaining().min(self.chunk.len());
        buf.put_slice(&self.chunk[..n]);
        self.chunk.advance(n);
        Poll::Ready(Ok(()))
    }
}
