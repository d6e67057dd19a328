//! The engine's own detail behind an [`ErrorKind`]: what went wrong in an upload
//! ([`UploadFailure`]) and in one PUT of a part ([`PartFailure`]).

use std::time::Duration;

use http::StatusCode;
use lakefs_transport::TransportError;

use super::ErrorKind;
use crate::plan::{PlanError, MAX_PART_SIZE, MIN_PART_SIZE};

/// What went wrong in an upload (the engine's own detail behind [`ErrorKind`]).
#[derive(Debug, thiserror::Error)]
pub(crate) enum UploadFailure {
    /// The source cannot be cut into parts.
    #[error(transparent)]
    Plan(#[from] PlanError),
    /// The engine's configuration is out of range.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The source could not be opened or measured.
    #[error("cannot open the source")]
    Open(#[source] std::io::Error),
    /// Reading a part from the source failed.
    #[error("reading part {part_number} from the source failed")]
    Source {
        /// The part being read.
        part_number: u32,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The source's length is not what was declared.
    #[error("the source {0}")]
    SourceSize(String),
    /// Creating the upload on lakeFS failed.
    #[error("creating the multipart upload failed")]
    Create(#[source] lakefs_experimental::Error),
    /// lakeFS returned another number of part URLs than asked for.
    #[error("asked lakeFS for {expected} presigned part URLs and got {got}")]
    UrlCount {
        /// How many were asked for.
        expected: u32,
        /// How many came.
        got: usize,
    },
    /// A presigned URL is not an absolute http(s) URL.
    #[error("presigned URL of part {part_number} is not an absolute http(s) URL")]
    BadUrl {
        /// The part.
        part_number: u32,
    },
    /// A part could not be stored.
    #[error("part {part_number} failed after {attempts} attempt{}", if *attempts == 1 { "" } else { "s" })]
    Part {
        /// The part.
        part_number: u32,
        /// The last failure.
        #[source]
        cause: PartFailure,
        /// How many PUTs were made.
        attempts: u32,
    },
    /// Completing the upload answered 409 (a conflict with a commit).
    #[error("completing the upload conflicted with a commit")]
    Conflict(#[source] lakefs_experimental::Error),
    /// Completing the upload failed: lakeFS answered that it did not complete it.
    #[error("completing the upload failed")]
    Complete(#[source] lakefs_experimental::Error),
    /// Completing the upload was sent, its answer was lost (a reset, a timeout, a 502, 503 or
    /// 504 from a proxy), and whether lakeFS staged the object could not be told: asking for
    /// the object found nothing yet, and sending complete again gave no answer either. The
    /// upload was NOT aborted — an abort could destroy an object that is being staged. Look at
    /// the object later; abort the upload (its id is in the error) if it never appears.
    #[error("the outcome of completing upload {upload_id} is unknown: its answer was lost and the object could not be found yet; the upload was not aborted")]
    OutcomeUnknown {
        /// The upload id.
        upload_id: String,
        /// The ambiguous failure of the complete call.
        #[source]
        source: lakefs_experimental::Error,
    },
    /// The upload was cancelled.
    #[error("the upload was cancelled")]
    Cancelled,
    /// A part URL could not be obtained from `uploadPart`.
    #[error("signing a URL for part {part_number} failed")]
    PartUrl {
        /// The part.
        part_number: u32,
        /// The API error.
        #[source]
        source: lakefs_experimental::Error,
    },
    /// A part needs a URL signed after create, and this lakeFS cannot sign one.
    #[error("part {part_number} needs a presigned URL signed after create, and this lakeFS cannot sign one (uploadPart needs lakeFS v1.55 or later with an S3 blockstore)")]
    ResignUnsupported {
        /// The part.
        part_number: u32,
    },
    /// The checkpoint file could not be read or written.
    #[error("checkpoint {}: {reason}", path.display())]
    Checkpoint {
        /// The checkpoint file.
        path: std::path::PathBuf,
        /// What went wrong.
        reason: String,
    },
    /// The source is not the one the checkpoint was written for.
    #[error("the source is not the one the checkpoint describes: {0}")]
    SourceChanged(String),
    /// The upload no longer exists on lakeFS or its object store.
    #[error("upload {upload_id} can no longer be resumed: {reason}")]
    UploadGone {
        /// The upload id.
        upload_id: String,
        /// Why.
        reason: String,
    },
    /// The request cannot be carried out as asked (checked before anything is sent).
    #[error("invalid upload request: {0}")]
    Invalid(String),
    /// The parts to complete with are not exactly the upload's plan (missing, repeated or
    /// stray part numbers, a part of another size than planned). Nothing was sent: completing
    /// with them would stage an object that is not the source.
    #[error(
        "the parts do not cover the upload's plan of {planned} parts ({given} given): {problems}"
    )]
    PartsMismatch {
        /// How many parts the plan has.
        planned: u32,
        /// How many parts were given.
        given: usize,
        /// Everything wrong, named part by part.
        problems: String,
    },
    /// lakeFS answered complete with an object that is not the parts sent: another size, or
    /// an ETag that the parts' ETags do not give. The upload is consumed and the object is
    /// staged: it was not aborted; overwrite or delete the object.
    #[error("lakeFS staged an object that is not the parts sent: {reason}")]
    StagedMismatch {
        /// What differs.
        reason: String,
    },
    /// Creating the upload was sent and its answer was lost or unreadable: lakeFS may have
    /// created an upload whose id never arrived, which nothing can abort through lakeFS. The
    /// object store's lifecycle rule for incomplete multipart uploads
    /// (`AbortIncompleteMultipartUpload`) is what removes it.
    #[error("the answer to creating the multipart upload was lost; an upload may exist on the object store that lakeFS cannot name, for its lifecycle rule to remove")]
    CreateOutcomeUnknown(#[source] lakefs_experimental::Error),
}

/// Why one PUT of a part failed.
#[derive(Debug, thiserror::Error)]
pub(crate) enum PartFailure {
    /// The storage answered an error status. `detail` holds only the `Code` and `Message` of
    /// an S3 error body (never the signature S3 echoes back).
    #[error("storage answered {status}{}", detail.as_deref().map(|d| format!(" ({d})")).unwrap_or_default())]
    Status {
        /// The status.
        status: StatusCode,
        /// `Code: Message` from an S3 XML error body, if there was one.
        detail: Option<String>,
        /// The storage's `Retry-After`, if it sent one (S3 may, with `503 SlowDown`).
        retry_after: Option<Duration>,
    },
    /// The PUT did not make it across the network (the cause is the
    /// [`source`](std::error::Error::source)).
    #[error("the PUT did not make it across the network")]
    Transport(#[source] TransportError),
    /// No answer within the part timeout.
    #[error("no answer within {0:?}")]
    Timeout(Duration),
    /// Nothing moved — no byte of the part sent, no answer — for this long.
    #[error("stalled: nothing moved for {0:?}")]
    Stalled(Duration),
    /// The storage answered success without an ETag.
    #[error("storage answered {0} without an ETag")]
    MissingEtag(StatusCode),
    /// The presigned URL had expired (the storage answered 403 after the URL's expiry, or
    /// said "Request has expired") and could not be replaced.
    #[error("presigned URL expired{}", if *cannot_resign { "; this lakeFS cannot re-sign part URLs (uploadPart needs lakeFS v1.55 or later)" } else { "" })]
    UrlExpired {
        /// Whether the server cannot sign a fresh URL.
        cannot_resign: bool,
    },
    /// The ETag is an MD5 that differs from the part's own.
    #[error("the part's MD5 is {computed} but the storage's ETag is {etag}")]
    ChecksumMismatch {
        /// MD5 of the bytes sent.
        computed: String,
        /// The storage's ETag.
        etag: String,
    },
}

impl PartFailure {
    /// Whether sending the part again may succeed: connection failures, timeouts, stalls,
    /// 5xx, 408, 429, S3's `400 RequestTimeout` (the upload of the body was too slow; AWS SDKs
    /// retry it) and `400 BadDigest` (the bytes were damaged on the way), and an MD5 mismatch.
    /// Other 4xx (a wrong signature, an unknown upload) fail fast.
    pub(crate) fn is_transient(&self) -> bool {
        match self {
            Self::Status { status, detail, .. } => {
                status.is_server_error()
                    || *status == StatusCode::REQUEST_TIMEOUT
                    || *status == StatusCode::TOO_MANY_REQUESTS
                    || (*status == StatusCode::BAD_REQUEST
                        && detail.as_deref().is_some_and(|d| {
                            d.starts_with("RequestTimeout") || d.starts_with("BadDigest")
                        }))
            }
            Self::Transport(error) => error.is_retryable(),
            Self::Timeout(_) | Self::Stalled(_) | Self::ChecksumMismatch { .. } => true,
            Self::MissingEtag(_) | Self::UrlExpired { .. } => false,
        }
    }

    /// The storage asks for fewer requests: `503` (S3's `SlowDown`) or `429`.
    pub(crate) fn is_throttling(&self) -> bool {
        matches!(self, Self::Status { status, .. }
            if *status == StatusCode::SERVICE_UNAVAILABLE || *status == StatusCode::TOO_MANY_REQUESTS)
    }

    /// The storage's requested delay before the next attempt.
    pub(crate) fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::Status { retry_after, .. } => *retry_after,
            _ => None,
        }
    }
}

impl UploadFailure {
    /// The kind callers match on.
    pub(crate) fn kind(&self) -> ErrorKind {
        use ErrorKind as K;
        match self {
            Self::Plan(_) | Self::Config(_) | Self::Invalid(_) => K::InvalidInput,
            Self::Open(_) | Self::Source { .. } | Self::SourceSize(_) => K::Source,
            Self::SourceChanged(_) => K::SourceChanged,
            Self::Create(_) => K::Create,
            Self::CreateOutcomeUnknown(_) => K::CreateOutcomeUnknown,
            Self::UrlCount { .. }
            | Self::BadUrl { .. }
            | Self::PartUrl { .. }
            | Self::ResignUnsupported { .. } => K::PartUrl,
            Self::Part { cause, .. } => match cause {
                PartFailure::Status { .. } => K::PartRefused,
                PartFailure::Transport(_) => K::PartTransport,
                PartFailure::Timeout(_) => K::PartTimeout,
                PartFailure::Stalled(_) => K::PartStalled,
                PartFailure::UrlExpired { .. } => K::PartUrlExpired,
                PartFailure::MissingEtag(_) => K::PartMissingEtag,
                PartFailure::ChecksumMismatch { .. } => K::PartChecksumMismatch,
            },
            Self::Conflict(_) => K::Conflict,
            Self::Complete(_) => K::Complete,
            Self::OutcomeUnknown { .. } => K::OutcomeUnknown,
            Self::Cancelled => K::Cancelled,
            Self::Checkpoint { .. } => K::Checkpoint,
            Self::UploadGone { .. } => K::UploadGone,
            Self::PartsMismatch { .. } => K::PartsMismatch,
            Self::StagedMismatch { .. } => K::StagedMismatch,
        }
    }

    /// Whether starting the upload again may succeed (see [`Error::is_retryable`]).
    pub(crate) fn is_retryable(&self) -> bool {
        match self {
            Self::Part { cause, .. } => cause.is_transient(),
            Self::Create(error) | Self::PartUrl { source: error, .. } => error.is_retryable(),
            Self::CreateOutcomeUnknown(_) => true,
            Self::Complete(error) => error.is_retryable() && !error.is_ambiguous(),
            Self::Source { .. } | Self::Checkpoint { .. } => true,
            _ => false,
        }
    }
}

/// `Code: Message` from an S3 XML error body, if it has them. Nothing else of the body is
/// kept: S3 echoes the request's signature in `SignatureDoesNotMatch` answers.
pub(crate) fn s3_error_detail(body: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(body).ok()?;
    let tag = |name: &str| {
        let open = format!("<{name}>");
        let close = format!("</{name}>");
        let start = text.find(&open)? + open.len();
        let end = start + text[start..].find(&close)?;
        let value: String = text[start..end].chars().take(200).collect();
        Some(value)
    };
    match (tag("Code"), tag("Message")) {
        (Some(code), Some(message)) => Some(format!("{code}: {message}")),
        (Some(code), None) => Some(code),
        _ => None,
    }
}

/// Why an [`UploadConfig`](crate::UploadConfig) cannot be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub(crate) enum ConfigError {
    /// The part size is outside 5 MiB … 5 GiB.
    #[error("part size {0} bytes is outside S3's limits of 5 MiB ({MIN_PART_SIZE}) to 5 GiB ({MAX_PART_SIZE})")]
    PartSize(u64),
    /// The concurrency is 0 or above 256, or auto's bounds are inconsistent.
    #[error("concurrency {0}")]
    Concurrency(String),
    /// Auto concurrency and shared slots both given.
    #[error("concurrency auto makes its own slots; for a run shared by many uploads, give adaptive shared slots (PartSlots::adaptive) instead")]
    AutoWithSharedSlots,
    /// The part or stall timeout is zero.
    #[error("the part and stall timeouts must be longer than zero")]
    ZeroTimeout,
    /// The presign window is 0 or above 10,000.
    #[error("presign window {0} must be between 1 and 10000 part URLs")]
    PresignWindow(u32),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s3_detail_keeps_only_code_and_message() {
        let body = b"<?xml version=\"1.0\"?><Error><Code>SignatureDoesNotMatch</Code><Message>The request signature we calculated does not match</Message><SignatureProvided>deadbeefcafe</SignatureProvided></Error>";
        let detail = s3_error_detail(body).unwrap();
        assert_eq!(
            detail,
            "SignatureDoesNotMatch: The request signature we calculated does not match"
        );
        assert!(!detail.contains("deadbeef"));
        assert_eq!(s3_error_detail(b"<html>oops</html>"), None);
        assert_eq!(s3_error_detail(b""), None);
    }

    #[test]
    fn transient_classification() {
        let status = |s: u16| PartFailure::Status {
            status: StatusCode::from_u16(s).unwrap(),
            detail: None,
            retry_after: None,
        };
        for s in [500, 502, 503, 504, 408, 429] {
            assert!(status(s).is_transient(), "{s}");
        }
        for s in [400, 403, 404, 411] {
            assert!(!status(s).is_transient(), "{s}");
        }
        assert!(!PartFailure::MissingEtag(StatusCode::OK).is_transient());
        let s3 = |code: &str| PartFailure::Status {
            status: StatusCode::BAD_REQUEST,
            detail: Some(format!("{code}: message")),
            retry_after: None,
        };
        assert!(s3("RequestTimeout").is_transient());
        assert!(s3("BadDigest").is_transient());
        assert!(!s3("InvalidArgument").is_transient());
    }
}
