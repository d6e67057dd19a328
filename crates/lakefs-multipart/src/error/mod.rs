//! The engine's error type: one [`Error`] with an [`ErrorKind`] to match on, its context
//! (the part, the attempts, the upload id, what became of the upload) once, and its causes
//! through [`source()`](std::error::Error::source).

use std::fmt;
use std::time::Duration;

use http::StatusCode;

mod failure;
mod kind;

pub(crate) use failure::{s3_error_detail, ConfigError, PartFailure, UploadFailure};
pub use kind::ErrorKind;

/// Why an upload failed, with what became of the upload on lakeFS.
///
/// `Display` is the failure's own text and what became of the upload, like `part 7 failed
/// after 1 attempt; upload abc aborted`; the failure's causes follow through
/// [`source()`](std::error::Error::source), each printed once by error reports (anyhow, eyre:
/// `caused by: storage answered 403 Forbidden (AccessDenied: Request has expired)`). Nothing in
/// it holds a presigned URL's query string or a credential.
///
/// Match on [`kind()`](Self::kind); [`reason()`](Self::reason) is the failure's text without
/// what became of the upload, for callers that report [`abort()`](Self::abort) themselves.
#[derive(Debug)]
pub struct Error {
    /// Boxed: the failure is large, and errors travel in every `Result` of the engine.
    failure: Box<UploadFailure>,
    upload_id: Option<String>,
    abort: AbortOutcome,
    /// Why an upload with a checkpoint was aborted instead of kept resumable.
    not_kept: Option<&'static str>,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.failure, AbortNote(self))
    }
}

impl std::error::Error for Error {
    /// The failure's cause: the failure itself is already this error's text.
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        std::error::Error::source(&self.failure)
    }
}

struct AbortNote<'a>(&'a Error);

impl fmt::Display for AbortNote<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let id = self.0.upload_id.as_deref().unwrap_or("?");
        match &self.0.abort {
            AbortOutcome::NotNeeded => Ok(()),
            AbortOutcome::Aborted => match self.0.not_kept {
                Some(why) => write!(f, "; upload {id} aborted, not kept resumable: {why}"),
                None => write!(f, "; upload {id} aborted"),
            },
            AbortOutcome::Failed(error) if self.0.not_kept.is_some() => write!(
                f,
                "; upload {id} could not be kept resumable ({}) and aborting it failed too: {error}",
                self.0.not_kept.unwrap_or_default()
            ),
            AbortOutcome::Failed(error) => write!(f, "; aborting upload {id} failed too: {error}"),
            AbortOutcome::Resumable(path) => write!(
                f,
                "; upload {id} was kept: resume it from the checkpoint {}",
                path.display()
            ),
        }
    }
}

impl Error {
    pub(crate) fn new(
        failure: UploadFailure,
        upload_id: Option<String>,
        abort: AbortOutcome,
    ) -> Self {
        Self {
            failure: Box::new(failure),
            upload_id,
            abort,
            not_kept: None,
        }
    }

    /// The same error, saying why the upload was aborted although a checkpoint was kept.
    pub(crate) fn not_kept_because(mut self, why: &'static str) -> Self {
        self.not_kept = Some(why);
        self
    }

    pub(crate) fn before_create(failure: UploadFailure) -> Self {
        Self::new(failure, None, AbortOutcome::NotNeeded)
    }

    /// What kind of failure this is.
    #[must_use]
    pub fn kind(&self) -> ErrorKind {
        self.failure.kind()
    }

    /// What went wrong, without what became of the upload (`part 7 failed after 5
    /// attempts`): `Display` is this and the [`abort()`](Self::abort) outcome.
    pub fn reason(&self) -> impl fmt::Display + '_ {
        &self.failure
    }

    /// How many PUTs of the failed part were made, when a part failed.
    #[must_use]
    pub fn attempts(&self) -> Option<u32> {
        match &*self.failure {
            UploadFailure::Part { attempts, .. } => Some(*attempts),
            _ => None,
        }
    }

    /// The HTTP status behind the failure: the storage's answer to a part's PUT, or lakeFS's
    /// answer to an API call.
    #[must_use]
    pub fn status(&self) -> Option<StatusCode> {
        match &*self.failure {
            UploadFailure::Part {
                cause: PartFailure::Status { status, .. } | PartFailure::MissingEtag(status),
                ..
            } => Some(*status),
            _ => self
                .api_error()
                .and_then(lakefs_experimental::Error::status),
        }
    }

    /// The storage's requested delay before another attempt, when a part failed with one.
    #[must_use]
    pub fn retry_after(&self) -> Option<Duration> {
        match &*self.failure {
            UploadFailure::Part { cause, .. } => cause.retry_after(),
            _ => None,
        }
    }

    /// The lakeFS API call's error, when one caused the failure.
    #[must_use]
    pub fn api_error(&self) -> Option<&lakefs_experimental::Error> {
        match &*self.failure {
            UploadFailure::Create(error)
            | UploadFailure::Conflict(error)
            | UploadFailure::Complete(error)
            | UploadFailure::CreateOutcomeUnknown(error)
            | UploadFailure::OutcomeUnknown { source: error, .. }
            | UploadFailure::PartUrl { source: error, .. } => Some(error),
            _ => None,
        }
    }

    /// The failed part's number, when a part failed.
    #[must_use]
    pub fn part_number(&self) -> Option<u32> {
        match &*self.failure {
            UploadFailure::Part { part_number, .. } | UploadFailure::Source { part_number, .. } => {
                Some(*part_number)
            }
            _ => None,
        }
    }

    /// What became of the upload on lakeFS.
    #[must_use]
    pub fn abort(&self) -> &AbortOutcome {
        &self.abort
    }

    /// The lakeFS upload id, when the upload had been created.
    #[must_use]
    pub fn upload_id(&self) -> Option<&str> {
        self.upload_id.as_deref()
    }

    /// Whether starting the upload again may succeed: a network failure, a timeout, a server
    /// error or throttling. Not for invalid input, a refused request, a changed source, a
    /// conflict, a cancellation — nor for an upload whose outcome is unknown: find out first.
    #[must_use]
    pub fn is_retryable(&self) -> bool {
        self.failure.is_retryable()
    }
}

/// Whether the upload was aborted after a failure.
#[derive(Debug)]
#[non_exhaustive]
pub enum AbortOutcome {
    /// Nothing to abort: the failure came before the upload was created.
    NotNeeded,
    /// lakeFS confirmed the abort; no parts are left behind.
    Aborted,
    /// The abort failed too: parts may linger until a bucket lifecycle rule removes them.
    Failed(lakefs_experimental::Error),
    /// Not aborted, on purpose: a checkpoint (at this path) records the upload, which
    /// [`Uploader::resume`](crate::Uploader::resume) continues.
    Resumable(std::path::PathBuf),
}

impl AbortOutcome {
    /// Whether lakeFS confirmed the abort.
    #[must_use]
    pub fn is_aborted(&self) -> bool {
        matches!(self, Self::Aborted)
    }
}

impl From<UploadFailure> for Error {
    /// A failure before any upload existed on lakeFS.
    fn from(failure: UploadFailure) -> Self {
        Self::before_create(failure)
    }
}
