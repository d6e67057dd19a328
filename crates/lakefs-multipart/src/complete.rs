//! Completing an upload, and finding out what happened when complete's answer was lost.

use lakefs_api::ObjectsApi;
use lakefs_experimental::ExperimentalApi;
use std::time::Duration;

use lakefs_experimental::models::{ObjectStats, UploadPart};
use lakefs_experimental::{Error as ApiError, ErrorKind};
use lakefs_transport::HttpTransport;

use crate::error::UploadFailure;
use crate::options::ObjectOptions;
use crate::parts::{staged_mismatch, StoredPart};
use crate::session::UploadSession;
use crate::uploader::Uploader;
use crate::ProgressEvent;

impl<T: HttpTransport + 'static, D: HttpTransport + 'static> Uploader<T, D> {
    /// Sends complete with `parts` (checked against the plan, in order).
    pub(crate) async fn send_complete(
        &self,
        session: &UploadSession,
        parts: Vec<StoredPart>,
        options: &ObjectOptions,
    ) -> Result<ObjectStats, UploadFailure> {
        let sent = parts.clone();
        let parts: Vec<UploadPart> = parts.into_iter().map(UploadPart::from).collect();
        self.config.emit(ProgressEvent::Completing {
            parts: u32::try_from(parts.len()).unwrap_or(u32::MAX),
        });
        // The client retries complete only when the server certainly did not act on it.
        let request = self
            .client
            .complete_presign_multipart_upload()
            .repository(&session.repository)
            .branch(&session.branch)
            .path(&session.path)
            .upload_id(&session.upload_id)
            .physical_address(&session.physical_address)
            .parts(parts)
            .set_user_metadata(
                (!options.user_metadata.is_empty()).then(|| options.user_metadata.clone()),
            )
            .set_content_type(options.content_type.clone())
            // Assembling thousands of parts can take S3 minutes: not the 60 s of an API call.
            .timeout(COMPLETE_TIMEOUT);
        let stats = match request.clone().send().await {
            Ok(stats) => stats,
            Err(error) if error.is_ambiguous() => {
                tracing::warn!(upload_id = %session.upload_id, %error, "the answer to complete was lost; finding out whether the object was staged");
                self.resolve_complete(session, request, error).await?
            }
            // A refusal may be for an upload already completed: the repeat of a task that a
            // task engine (Dask, Spark, Ray) ran again after its worker died, or a second
            // process. If the object this session stages is on the branch, that complete
            // succeeded: answer it (checked below like any other).
            Err(error) => match self.staged_by(session).await {
                Some(stats) => {
                    tracing::info!(upload_id = %session.upload_id, %error, "complete was refused, but the object this session stages is on the branch: an earlier complete of this session succeeded");
                    stats
                }
                None if error.kind() == ErrorKind::Conflict => {
                    return Err(UploadFailure::Conflict(error))
                }
                None => return Err(UploadFailure::Complete(error)),
            },
        };
        // "Done" only for the object the parts make: its size, and its ETag where the
        // storage's ETags are MD5s.
        match staged_mismatch(&stats, &sent) {
            Some(reason) => Err(UploadFailure::StagedMismatch { reason }),
            None => Ok(stats),
        }
    }

    /// After a complete whose answer was lost: asks lakeFS for the object (a few times, as a
    /// complete may still be running), then sends complete once more — repeatable since
    /// lakeFS v1.22, whose link address is stateless; older servers answer the repeat with
    /// 400 and the object tells — and asks again. Never aborts: when nothing can be told, the
    /// outcome is unknown and the upload is left as it is.
    pub(crate) async fn resolve_complete(
        &self,
        session: &UploadSession,
        request: lakefs_experimental::operations::CompletePresignMultipartUploadRequest<T>,
        lost: ApiError,
    ) -> Result<ObjectStats, UploadFailure> {
        for wait in RESOLVE_WAITS {
            tokio::time::sleep(wait).await;
            if let Some(stats) = self.staged_by(session).await {
                return Ok(stats);
            }
        }
        match request
            .retry_policy(lakefs_experimental::RetryPolicy::none())
            .send()
            .await
        {
            Ok(stats) => return Ok(stats),
            Err(error) => {
                tracing::debug!(upload_id = %session.upload_id, %error, "repeating complete failed");
            }
        }
        if let Some(stats) = self.staged_by(session).await {
            return Ok(stats);
        }
        Err(UploadFailure::OutcomeUnknown {
            upload_id: session.upload_id.clone(),
            source: lost,
        })
    }

    /// The object at the session's path, if it is the one this upload stages (same physical
    /// address).
    pub(crate) async fn staged_by(&self, session: &UploadSession) -> Option<ObjectStats> {
        let stats = self
            .client
            .stat_object()
            .repository(&session.repository)
            .reference(&session.branch)
            .path(&session.path)
            .send()
            .await
            .ok()?;
        (address_key(&stats.physical_address) == address_key(&session.physical_address))
            .then_some(stats)
    }
}

/// How long a complete may take: S3 assembles the parts while lakeFS waits, which for
/// thousands of large parts takes minutes.
const COMPLETE_TIMEOUT: Duration = Duration::from_secs(15 * 60);

/// How long to wait before each look for the object after a complete whose answer was lost.
const RESOLVE_WAITS: [Duration; 4] = [
    Duration::ZERO,
    Duration::from_secs(1),
    Duration::from_secs(3),
    Duration::from_secs(8),
];

/// What identifies an object's storage address whether it is written as the full URI
/// (`s3://bucket/namespace/data/<xid>/<xid>,<signature>`, as create returns it) or relative to
/// the storage namespace (`data/…`, as complete and stat return it): the `data/…` part.
fn address_key(address: &str) -> &str {
    address.rfind("data/").map_or(address, |at| &address[at..])
}
