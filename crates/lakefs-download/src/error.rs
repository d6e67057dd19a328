//! [`Error`]: what went wrong with a download, with its kind, the object, the part and the
//! cause.

use std::fmt;
use std::path::PathBuf;

use http::StatusCode;

/// What kind of failure an [`Error`] is: the value callers match on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// An argument or a setting is invalid; nothing was sent.
    InvalidArgument,
    /// lakeFS refused or failed a call (`statObject`, `getObject`): the
    /// [`source`](std::error::Error::source) is the client's [`lakefs_client::Error`]
    /// ([`Error::lakefs_error`]), whose kind says which (`NotFound` for an unknown object).
    Api,
    /// The object at the path is no longer the one the download started with: replaced or
    /// deleted since (or since the checkpoint of a resumed download). No file that mixes two
    /// versions is ever written.
    ObjectChanged,
    /// The bytes do not match the object's checksum: a wrong byte somewhere. The partial
    /// file and the checkpoint are removed.
    ChecksumMismatch,
    /// The object store refused a part with an answer no retry mends (a 403 that is not an
    /// expired URL, a 404, another 4xx), or retries ran out on 5xx / throttling answers.
    Store,
    /// The store's answer breaks HTTP's contract for a ranged GET (a wrong `Content-Range`, a
    /// body of another length, a range ignored).
    Protocol,
    /// The network failed, and retries ran out.
    Transport,
    /// No byte of a part arrived for the stall timeout, and retries ran out.
    Stalled,
    /// Reading or writing a local file failed (the destination, its temporary file).
    Io,
    /// A checkpoint could not be read or written, or belongs to another download.
    Checkpoint,
    /// The download was cancelled ([`DownloadFile::cancel_on`](crate::DownloadFile::cancel_on)).
    /// What it had written is kept for a resume: [`Error::kept_bytes`] says how much.
    Cancelled,
}

/// A failed download: its [`kind`](Self::kind), the object, the part and byte range when one
/// part failed, the store's status and error code, and the cause as
/// [`source`](std::error::Error::source).
///
/// Never holds a presigned URL's query (its signature), a credential or a response body: an
/// object store's error is reduced to its `Code` and `Message`.
pub struct Error {
    inner: Box<Inner>,
}

struct Inner {
    kind: ErrorKind,
    object: Option<String>,
    part: Option<PartContext>,
    status: Option<StatusCode>,
    message: String,
    local_path: Option<PathBuf>,
    /// For [`ErrorKind::Cancelled`]: the bytes the checkpoint on disk holds.
    kept_bytes: Option<u64>,
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

/// Which part failed, and its bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct PartContext {
    number: u32,
    first: u64,
    last: u64,
}

impl Error {
    pub(crate) fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            inner: Box::new(Inner {
                kind,
                object: None,
                part: None,
                status: None,
                message: message.into(),
                local_path: None,
                kept_bytes: None,
                source: None,
            }),
        }
    }

    /// A cancelled download that kept `kept` bytes for a resume (`None`: it did not get as far
    /// as writing its checkpoint, or could not).
    pub(crate) fn cancelled(kept: Option<u64>, message: impl Into<String>) -> Self {
        let mut built = Self::new(ErrorKind::Cancelled, message);
        built.inner.kept_bytes = kept;
        built
    }

    pub(crate) fn invalid_argument(argument: &str, problem: impl fmt::Display) -> Self {
        Self::new(ErrorKind::InvalidArgument, format!("{argument} {problem}"))
    }

    /// A failed lakeFS call.
    pub(crate) fn api(error: lakefs_client::Error) -> Self {
        let status = error.status();
        Self::new(ErrorKind::Api, "lakeFS refused the call")
            .with_status_opt(status)
            .with_source(error)
    }

    pub(crate) fn io(
        what: impl Into<String>,
        path: &std::path::Path,
        error: std::io::Error,
    ) -> Self {
        let mut built = Self::new(ErrorKind::Io, what).with_source(error);
        built.inner.local_path = Some(path.to_path_buf());
        built
    }

    pub(crate) fn with_object(mut self, object: impl Into<String>) -> Self {
        if self.inner.object.is_none() {
            self.inner.object = Some(object.into());
        }
        self
    }

    pub(crate) fn with_part(mut self, number: u32, range: &std::ops::Range<u64>) -> Self {
        self.inner.part = Some(PartContext {
            number,
            first: range.start,
            last: range.end.saturating_sub(1),
        });
        self
    }

    pub(crate) fn with_status(self, status: StatusCode) -> Self {
        self.with_status_opt(Some(status))
    }

    fn with_status_opt(mut self, status: Option<StatusCode>) -> Self {
        self.inner.status = status;
        self
    }

    pub(crate) fn with_source(
        mut self,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Self {
        self.inner.source = Some(source.into());
        self
    }

    /// What kind of failure this is.
    #[must_use]
    pub fn kind(&self) -> ErrorKind {
        self.inner.kind
    }

    /// The object, as `lakefs://repository/ref/path`.
    #[must_use]
    pub fn object(&self) -> Option<&str> {
        self.inner.object.as_deref()
    }

    /// The 1-based number of the part that failed.
    #[must_use]
    pub fn part_number(&self) -> Option<u32> {
        self.inner.part.map(|p| p.number)
    }

    /// The bytes of the part that failed (first and last, inclusive).
    #[must_use]
    pub fn part_range(&self) -> Option<(u64, u64)> {
        self.inner.part.map(|p| (p.first, p.last))
    }

    /// The HTTP status the store or lakeFS answered, when one did.
    #[must_use]
    pub fn status(&self) -> Option<StatusCode> {
        self.inner.status
    }

    /// The local file involved, for [`ErrorKind::Io`] and [`ErrorKind::Checkpoint`].
    #[must_use]
    pub fn local_path(&self) -> Option<&std::path::Path> {
        self.inner.local_path.as_deref()
    }

    /// For [`ErrorKind::Cancelled`]: the bytes a resume keeps — those of every part written
    /// before the cancellation, all recorded in the checkpoint beside the destination before
    /// the error was returned (`Some(0)`: none, and the temporary file was removed). `None`
    /// when the download was cancelled before it fetched a part (an earlier run's checkpoint,
    /// if any, is left as it was), or when the checkpoint could not be written (the
    /// [`source`](std::error::Error::source) says why).
    #[must_use]
    pub fn kept_bytes(&self) -> Option<u64> {
        self.inner.kept_bytes
    }

    pub(crate) fn with_local_path(mut self, path: &std::path::Path) -> Self {
        self.inner.local_path = Some(path.to_path_buf());
        self
    }

    /// The lakeFS client's error, for [`ErrorKind::Api`].
    #[must_use]
    pub fn lakefs_error(&self) -> Option<&lakefs_client::Error> {
        self.inner
            .source
            .as_deref()
            .and_then(|e| e.downcast_ref::<lakefs_client::Error>())
    }

    /// Whether a later run may succeed where this one failed, resuming from the checkpoint:
    /// the network, a stall, the store's 5xx or throttling, the local disk. Not for a changed
    /// object, a checksum mismatch, a refusal or a cancellation (which a later run resumes
    /// all the same).
    #[must_use]
    pub fn is_transient(&self) -> bool {
        match self.inner.kind {
            ErrorKind::Transport | ErrorKind::Stalled | ErrorKind::Io => true,
            ErrorKind::Store => self
                .inner
                .status
                .is_some_and(|s| s.is_server_error() || s == StatusCode::TOO_MANY_REQUESTS),
            ErrorKind::Api => self
                .lakefs_error()
                .is_some_and(lakefs_client::Error::is_retryable),
            _ => false,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = &self.inner;
        match &inner.object {
            Some(object) => write!(f, "download of {object}")?,
            None => f.write_str("download")?,
        }
        if let Some(part) = inner.part {
            write!(
                f,
                ", part {} (bytes {}-{})",
                part.number, part.first, part.last
            )?;
        }
        write!(f, ": {}", inner.message)?;
        if let Some(path) = &inner.local_path {
            write!(f, " ({})", path.display())?;
        }
        Ok(())
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = &self.inner;
        let mut debug = f.debug_struct("Error");
        debug.field("kind", &inner.kind);
        if let Some(object) = &inner.object {
            debug.field("object", object);
        }
        if let Some(part) = &inner.part {
            debug.field("part", part);
        }
        if let Some(status) = inner.status {
            debug.field("status", &status.as_u16());
        }
        debug.field("message", &inner.message);
        if let Some(path) = &inner.local_path {
            debug.field("local_path", path);
        }
        if let Some(kept) = inner.kept_bytes {
            debug.field("kept_bytes", &kept);
        }
        if let Some(source) = &inner.source {
            debug.field("source", &format_args!("{source}"));
        }
        debug.finish()
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.inner
            .source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}
