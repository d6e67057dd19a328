//! Aborting an upload whose future is dropped mid-way.

use std::time::Duration;

use lakefs_experimental::operations::AbortPresignMultipartUploadRequest;
use lakefs_transport::HttpTransport;

/// How long a background abort may take before it is given up.
const BACKGROUND_ABORT_TIMEOUT: Duration = Duration::from_secs(60);

/// Sends the abort from a background task if the upload future is dropped before the upload
/// ended. Without a runtime to send it on (the process is exiting), it logs the upload id at
/// warn level, so that nothing is left behind silently.
pub(crate) struct AbortOnDrop<T: HttpTransport + 'static> {
    /// The abort to send, owning its arguments; `None` once disarmed (or when the upload is
    /// kept resumable by a checkpoint).
    abort: Option<AbortPresignMultipartUploadRequest<T>>,
    /// The upload, for the log.
    upload_id: String,
    /// Complete has been sent: dropping the upload now must not abort (the object may be
    /// staged), only say that the outcome is unknown.
    completing: bool,
}

impl<T: HttpTransport + 'static> AbortOnDrop<T> {
    pub(crate) fn new(
        abort: Option<AbortPresignMultipartUploadRequest<T>>,
        upload_id: &str,
    ) -> Self {
        Self {
            abort,
            upload_id: upload_id.to_owned(),
            completing: false,
        }
    }

    /// The upload ended (completed, failed with its abort sent, or kept): nothing to do on
    /// drop.
    pub(crate) fn disarm(&mut self) {
        self.abort = None;
        self.completing = false;
    }

    /// Complete is about to be sent: from now on a drop only warns.
    pub(crate) fn complete_in_flight(&mut self) {
        self.abort = None;
        self.completing = true;
    }
}

impl<T: HttpTransport + 'static> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        if std::mem::take(&mut self.completing) {
            tracing::warn!(
                upload_id = %self.upload_id,
                "an upload was dropped while its complete was in flight: whether the object was staged is unknown, and it is not aborted"
            );
            return;
        }
        let Some(abort) = self.abort.take() else {
            return;
        };
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => {
                runtime.spawn(async move {
                    let _ = tokio::time::timeout(BACKGROUND_ABORT_TIMEOUT, abort.send()).await;
                });
            }
            Err(_) => tracing::warn!(
                upload_id = %self.upload_id,
                "an upload was dropped without a runtime to abort it on: its parts stay on the object store until a lifecycle rule removes them"
            ),
        }
    }
}
