//! [`Progress`]: how much of a request body a transport has handed to the network, so that a
//! caller can tell a slow request from a stalled one.

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
pub struct Progress(Arc<AtomicU64>);

impl Progress {
    /// Nothing sent yet.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Counts `bytes` more as handed to the network.
    pub fn add(&self, bytes: u64) {
        self.0.fetch_add(bytes, Ordering::Relaxed);
    }

    /// Bytes handed to the network so far.
    #[must_use]
    pub fn bytes(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}
