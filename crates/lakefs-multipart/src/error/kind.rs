//! [`ErrorKind`]: what callers match on.

#[cfg(doc)]
use super::Error;

/// What kind of failure an [`Error`] is: the value callers match on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The request cannot be carried out as asked: a configuration value out of range, a
    /// source too large for 10,000 parts, an invalid option. Nothing was sent.
    InvalidInput,
    /// The source could not be opened, measured or read, or its length is not what was
    /// declared.
    Source,
    /// The source is not the one the checkpoint describes, or it changed during the upload.
    SourceChanged,
    /// Creating the upload on lakeFS failed ([`Error::api_error`] says how).
    Create,
    /// Creating the upload was sent and its answer was lost or unreadable: lakeFS may have
    /// created an upload whose id never arrived, which nothing can abort through lakeFS. The
    /// object store's lifecycle rule for incomplete multipart uploads
    /// (`AbortIncompleteMultipartUpload`) is what removes it.
    CreateOutcomeUnknown,
    /// Presigned part URLs could not be had: another number than asked for, a URL that is
    /// not absolute http(s), `uploadPart` failing, or a part needing a URL this lakeFS
    /// cannot sign after create (`uploadPart` needs v1.55 or later with an S3 blockstore).
    PartUrl,
    /// The storage answered a part's PUT with an error status ([`Error::status`]).
    PartRefused,
    /// A part's PUT did not make it across the network.
    PartTransport,
    /// A part's PUT had no answer within the part timeout.
    PartTimeout,
    /// Nothing moved — no byte of the part sent, no answer — for the stall timeout.
    PartStalled,
    /// A part's presigned URL expired and could not be replaced.
    PartUrlExpired,
    /// The storage answered a part's PUT with success but without an ETag.
    PartMissingEtag,
    /// The storage's ETag for a part is an MD5 that differs from the part's own.
    PartChecksumMismatch,
    /// Completing the upload answered 409: a conflict with a commit.
    Conflict,
    /// Completing the upload failed: lakeFS answered that it did not complete it.
    Complete,
    /// Completing the upload was sent, its answer was lost, and whether lakeFS staged the
    /// object could not be told. The upload was NOT aborted — an abort could destroy an
    /// object that is being staged. Look at the object later; abort the upload
    /// ([`Error::upload_id`]) if it never appears.
    OutcomeUnknown,
    /// The upload was cancelled.
    Cancelled,
    /// The checkpoint file could not be read or written.
    Checkpoint,
    /// The upload no longer exists on lakeFS or its object store.
    UploadGone,
    /// The parts to complete with are not exactly the upload's plan (missing, repeated or
    /// stray part numbers, a part of another size than planned). Nothing was sent.
    PartsMismatch,
    /// lakeFS answered complete with an object that is not the parts sent: another size, or
    /// an ETag that the parts' ETags do not give. The object is staged: overwrite or delete
    /// it.
    StagedMismatch,
}
