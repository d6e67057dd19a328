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
}

impl<T: HttpTransport + 'static> AbortOnDrop<T> {
    pub(crate) fn new(abort: Option<AbortPresignMultipartUploadRequest<T>>) -> Self {
        Self { abort }
    }

    /// The upload ended (completed, or its abort has an answer): nothing to do on drop.
    pub(crate) fn disarm(&mut self) {
        self.abort = None;
    }
}

impl<T: HttpTransport + 'static> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
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
                request = ?abort,
                "an upload was dropped without a runtime to abort it on: its parts stay on the object store until a lifecycle rule removes them"
            ),
        }
    }
}
