//! [`Progress`]: how much of a request body a transport has handed to the network, and
//! [`ReceiveProgress`]: how much of a response body it has received, so that a caller can
//! tell a slow request from a stalled one.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// Bytes of a request's body handed to the network so far, shared between the caller and the
/// transport.
///
/// A caller that wants to tell a slow request (still moving) from a stalled one (nothing
/// moved for a while) puts a `Progress` into the request's
/// [extensions](http::Request::extensions_mut); a transport whose
/// [`reports_progress`](crate::HttpTransport::reports_progress) is true adds to it as the body
/// goes out. The upload engine uses it to retry a stalled part PUT within seconds while never
/// killing a slow one.
///
/// ```
/// use lakefs_transport::Progress;
///
/// let progress = Progress::new();
/// let seen_by_transport = progress.clone();
/// seen_by_transport.add(256 * 1024);
/// assert_eq!(progress.bytes(), 256 * 1024);
/// ```
#[derive(Debug, Clone, Default)]
pub struct Progress {
    bytes: Arc<AtomicU64>,
    /// A second count shared by many requests (a run's bytes on the wire).
    total: Option<Arc<AtomicU64>>,
}

impl Progress {
    /// Nothing sent yet.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Also counts every byte in `total`, which other requests may share: the adaptive
    /// concurrency controller measures a run's goodput this way.
    ///
    /// ```
    /// use lakefs_transport::Progress;
    ///
    /// let run = Progress::new();
    /// let part = Progress::new().with_total(&run);
    /// part.add(1024);
    /// assert_eq!((part.bytes(), run.bytes()), (1024, 1024));
    /// ```
    #[must_use]
    pub fn with_total(mut self, total: &Progress) -> Self {
        self.total = Some(Arc::clone(&total.bytes));
        self
    }

    /// Counts `bytes` more as handed to the network (and in the total, if any).
    pub fn add(&self, bytes: u64) {
        self.bytes.fetch_add(bytes, Ordering::Relaxed);
        if let Some(total) = &self.total {
            total.fetch_add(bytes, Ordering::Relaxed);
        }
    }

    /// Bytes handed to the network so far (this request's, not the total).
    #[must_use]
    pub fn bytes(&self) -> u64 {
        self.bytes.load(Ordering::Relaxed)
    }
}

/// Bytes of a response's body received so far, shared between the caller and the transport;
/// optionally also counted in a second, [`Progress`] total shared by many requests.
///
/// A caller that wants to tell a slow download (still moving) from a stalled one (nothing
/// arrived for a while), or to show bytes as they arrive, puts a `ReceiveProgress` into the
/// request's [extensions](http::Request::extensions_mut); a transport whose
/// [`reports_receive_progress`](crate::HttpTransport::reports_receive_progress) is true adds
/// to it as the response body arrives, frame by frame, before [`send`](crate::HttpTransport::send)
/// resolves. [`bytes`](Self::bytes) counts this request only (a retried ranged GET starts a
/// fresh one); the total given to [`with_total`](Self::with_total) sums every request that
/// shares it, for a progress bar over a whole file.
///
/// ```
/// use lakefs_transport::{Progress, ReceiveProgress};
///
/// let file = Progress::new();
/// let first = ReceiveProgress::new().with_total(file.clone());
/// let second = ReceiveProgress::new().with_total(file.clone());
///
/// // What a transport does as the two bodies arrive:
/// first.add(64 * 1024);
/// second.add(16 * 1024);
/// first.add(64 * 1024);
///
/// assert_eq!(first.bytes(), 128 * 1024);
/// assert_eq!(second.bytes(), 16 * 1024);
/// assert_eq!(file.bytes(), 144 * 1024);
/// ```
#[derive(Debug, Clone, Default)]
pub struct ReceiveProgress {
    request: Progress,
    total: Option<Progress>,
}

impl ReceiveProgress {
    /// Nothing received yet, and no shared total.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Also counts every byte received in `total`, which other requests may share.
    #[must_use]
    pub fn with_total(mut self, total: Progress) -> Self {
        self.total = Some(total);
        self
    }

    /// Counts `bytes` more as received, in this request's count and in the total (if any).
    pub fn add(&self, bytes: u64) {
        self.request.add(bytes);
        if let Some(total) = &self.total {
            total.add(bytes);
        }
    }

    /// Bytes of this request's response body received so far (not the shared total).
    #[must_use]
    pub fn bytes(&self) -> u64 {
        self.request.bytes()
    }
}
