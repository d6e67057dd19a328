//! What becomes of an upload that ends: the checkpoint removed on success; on failure the
//! upload aborted exactly once, or kept resumable — when a resume could finish it.

use lakefs_experimental::models::ObjectStats;
use lakefs_transport::HttpTransport;

use crate::checkpoint::CheckpointWriter;
use crate::create::abort_request;
use crate::error::{AbortOutcome, Error, UploadFailure};
use crate::guard::AbortOnDrop;
use crate::session::UploadSession;
use crate::uploader::Uploader;
use crate::urls::{PartUrls, Resign};
use crate::ProgressEvent;

impl<T: HttpTransport + 'static, D: HttpTransport + 'static> Uploader<T, D> {
    /// Aborts `session` exactly once: the abort runs as its own task, so that dropping the
    /// upload's future while it is in flight neither cancels it nor sends a second one.
    pub(crate) async fn abort_after_failure(&self, session: &UploadSession) -> AbortOutcome {
        let abort = abort_request(&self.client, session);
        let result = match tokio::spawn(abort.send()).await {
            Ok(result) => result,
            Err(error) => {
                tracing::warn!(upload_id = %session.upload_id, %error, "the abort task failed");
                return AbortOutcome::NotNeeded;
            }
        };
        match &result {
            Ok(()) => tracing::debug!(upload_id = %session.upload_id, "aborted the upload"),
            Err(error) => tracing::warn!(
                upload_id = %session.upload_id,
                %error,
                "aborting the upload failed: its parts stay on the object store until a lifecycle rule removes them"
            ),
        }
        self.config.emit(ProgressEvent::Aborted {
            confirmed: result.is_ok(),
        });
        match result {
            Ok(()) => AbortOutcome::Aborted,
            Err(error) => AbortOutcome::Failed(error),
        }
    }

    /// Turns the outcome of an upload into its result: on success the checkpoint is removed;
    /// on failure the upload is aborted, or — with a checkpoint — left to be resumed.
    pub(crate) async fn finish(
        &self,
        outcome: Result<ObjectStats, UploadFailure>,
        urls: &PartUrls<T>,
        writer: Option<CheckpointWriter>,
        guard: &mut AbortOnDrop<T>,
    ) -> Result<ObjectStats, Error> {
        let session = urls.session();
        let failure = match outcome {
            Ok(stats) => {
                guard.disarm();
                if let Some(writer) = writer {
                    writer.remove();
                }
                return Ok(stats);
            }
            Err(failure) => failure,
        };
        let upload_id = Some(session.upload_id.clone());
        if let UploadFailure::OutcomeUnknown { .. } | UploadFailure::StagedMismatch { .. } = failure
        {
            // Never abort after an ambiguous complete (the object may be staged), nor after
            // one that staged the wrong object (the upload is consumed; it is staged).
            guard.disarm();
            return Err(Error::new(failure, upload_id, AbortOutcome::NotNeeded));
        }
        let failure = gone_if_so(failure, session);
        if let UploadFailure::UploadGone { .. } = failure {
            guard.disarm();
            return Err(Error::new(failure, upload_id, AbortOutcome::NotNeeded));
        }
        let Some(mut writer) = writer else {
            // The abort runs as its own task: dropping this future while it is in flight does
            // not stop it, and the guard must not send a second.
            guard.disarm();
            let abort = self.abort_after_failure(session).await;
            return Err(Error::new(failure, upload_id, abort));
        };
        if let Err(why) = self.can_be_resumed(urls).await {
            // Kept, it would stay open for ever: every resume would fail the same way.
            guard.disarm();
            let abort = self.abort_after_failure(session).await;
            writer.remove();
            return Err(Error::new(failure, upload_id, abort).not_kept_because(why));
        }
        let _ = writer.flush().await;
        guard.disarm();
        Err(Error::new(
            failure,
            upload_id,
            AbortOutcome::Resumable(writer.path().to_owned()),
        ))
    }

    /// Whether a resume could finish this upload: it signs fresh URLs for the parts it sends,
    /// which needs `uploadPart` (lakeFS ≥ v1.55). Asked once (no retry, 10 s at most) when not
    /// known yet; when lakeFS cannot be asked now (it is unreachable), the upload is kept — a
    /// resume will tell.
    pub(crate) async fn can_be_resumed(&self, urls: &PartUrls<T>) -> Result<(), &'static str> {
        const CANNOT: &str = "this lakeFS cannot sign part URLs after create (uploadPart needs lakeFS v1.55 or later), so a resume could not send the remaining parts";
        if urls.resign() == Resign::Unknown {
            let part_number = urls.session().schedule.part_count().unwrap_or(1);
            if let Err(error) = urls.fresh_quickly(part_number).await {
                tracing::debug!(%error, "cannot tell whether this lakeFS signs part URLs after create");
            }
        }
        match urls.resign() {
            Resign::Unsupported => Err(CANNOT),
            Resign::Supported | Resign::Unknown => Ok(()),
        }
    }
}

/// Explains failures that mean the upload is gone from the object store.
fn gone_if_so(failure: UploadFailure, session: &UploadSession) -> UploadFailure {
    let gone = match &failure {
        UploadFailure::Part {
            cause: crate::error::PartFailure::Status { status, detail, .. },
            ..
        } => {
            status.as_u16() == 404
                && detail
                    .as_deref()
                    .is_some_and(|d| d.contains("NoSuchUpload"))
        }
        UploadFailure::PartUrl { source, .. } => source
            .server_message()
            .is_some_and(|m| m.contains("link address expired")),
        // The emulator answers 404; lakeFS passes S3's NoSuchUpload on as a 500.
        UploadFailure::Complete(source) => {
            (source.status().is_some_and(|s| s.as_u16() == 404)
                && source
                    .server_message()
                    .is_some_and(|m| m.to_ascii_lowercase().contains("upload")))
                || source
                    .server_message()
                    .is_some_and(|m| m.contains("NoSuchUpload"))
        }
        _ => false,
    };
    if gone {
        UploadFailure::UploadGone {
            upload_id: session.upload_id.clone(),
            reason: format!("{failure} (the upload was aborted, completed, or is past lakeFS's 24 h link-address lifetime)"),
        }
    } else {
        failure
    }
}
