//! Progress events, enough to drive a progress bar and a throughput figure.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

/// Something that happened during an upload.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProgressEvent {
    /// The upload was created on lakeFS.
    Started {
        /// The source's size; `None` for a source of unknown size.
        total_bytes: Option<u64>,
        /// How many part URLs were asked for (for an unknown size, enough for its maximum).
        parts: u32,
        /// The size of every part but the last.
        part_size: u64,
    },
    /// A part's bytes were read and its first PUT began.
    PartStarted {
        /// 1-based part number.
        part_number: u32,
        /// Its size in bytes.
        size: u64,
    },
    /// Bytes of a part's body handed to the network so far, in its current attempt: sent
    /// while they move (at most every [`SENDING_EVERY`]), over a transport that reports
    /// them (`HyperTransport` does), so that a progress bar moves with the bytes rather than
    /// part by part. A part sent again ([`PartRetried`](Self::PartRetried)) counts from zero;
    /// [`PartFinished`](Self::PartFinished) follows once the storage has stored it.
    PartSending {
        /// 1-based part number.
        part_number: u32,
        /// Bytes of the part handed to the network so far, at most `size`.
        bytes_sent: u64,
        /// The part's size in bytes.
        size: u64,
    },
    /// A part's PUT failed transiently and will be sent again.
    PartRetried {
        /// 1-based part number.
        part_number: u32,
        /// The attempt that failed (1 = the first PUT).
        attempt: u32,
        /// How long the engine waits before the next attempt.
        wait: Duration,
        /// Why it failed (never holds a URL's query string).
        reason: String,
    },
    /// A part's presigned URL was replaced with a freshly signed one (`uploadPart`), because
    /// it was about to expire or the storage said it had.
    UrlRefreshed {
        /// 1-based part number.
        part_number: u32,
    },
    /// A resume read the parts its checkpoint records back from the source and compared
    /// each with the MD5 of the bytes that were sent: those that still match are kept, the
    /// others are sent again.
    PartsVerified {
        /// How many recorded parts still hold the source's bytes.
        kept: u32,
        /// How many differ (the source changed there) and are sent again.
        changed: u32,
        /// Bytes read from the source to prove them.
        bytes_read: u64,
    },
    /// A part recorded as stored by the checkpoint (and proven against the source) is not
    /// sent again.
    PartSkipped {
        /// 1-based part number.
        part_number: u32,
        /// Its size in bytes.
        size: u64,
    },
    /// A part is stored.
    PartFinished {
        /// 1-based part number.
        part_number: u32,
        /// Its size in bytes.
        size: u64,
        /// Bytes of all finished parts so far.
        bytes_done: u64,
    },
    /// All parts are stored; completing the upload.
    Completing {
        /// How many parts were sent.
        parts: u32,
    },
    /// The upload failed or was cancelled, and an abort was sent.
    Aborted {
        /// Whether lakeFS confirmed the abort.
        confirmed: bool,
    },
}

/// How often, at most, a part in flight reports [`ProgressEvent::PartSending`].
pub const SENDING_EVERY: Duration = Duration::from_millis(100);

/// A callback receiving [`ProgressEvent`]s. It runs on the upload's task: keep it quick.
#[derive(Clone)]
pub(crate) struct ProgressSink(Arc<dyn Fn(&ProgressEvent) + Send + Sync>);

impl ProgressSink {
    /// Wraps a callback.
    pub(crate) fn new(callback: impl Fn(&ProgressEvent) + Send + Sync + 'static) -> Self {
        Self(Arc::new(callback))
    }

    pub(crate) fn emit(&self, event: &ProgressEvent) {
        (self.0)(event);
    }
}

impl fmt::Debug for ProgressSink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ProgressSink")
    }
}
