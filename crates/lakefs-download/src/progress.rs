//! [`DownloadEvent`]: what a download reports as it goes.

use std::time::Duration;

use crate::Verification;

/// How a download reaches the object's bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Route {
    /// Ranged GETs of a presigned URL, straight to the object store (no lakeFS credentials
    /// sent there).
    Presigned,
    /// Ranged `getObject` calls through lakeFS (a blockstore that cannot presign, or
    /// presigning turned off).
    LakeFs,
}

/// One step of a download, for progress bars and logs.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum DownloadEvent {
    /// The object was found and the parts planned.
    Started {
        /// `lakefs://repository/ref/path`.
        object: String,
        /// The object's size in bytes.
        size: u64,
        /// Bytes per ranged GET (the last part may be shorter).
        part_size: u64,
        /// Parts in all.
        parts: u32,
        /// How the bytes are read.
        route: Route,
        /// Bytes already on disk from an earlier run, proven and kept.
        resumed_bytes: u64,
    },
    /// Presigned reads are not available here: the bytes come through lakeFS. Reported
    /// once per [`Downloader`](crate::Downloader).
    ReadingThroughLakeFs {
        /// Why (lakeFS's answer, or the address it gave).
        reason: String,
    },
    /// A checkpoint was found but not used (the object changed since, or the partial file
    /// is gone): the download starts over.
    CheckpointDiscarded {
        /// Why.
        reason: String,
    },
    /// A part's bytes arrived, were checked and written.
    PartFinished {
        /// 1-based.
        part_number: u32,
        /// Its length.
        bytes: u64,
    },
    /// A part's attempt failed and will be made again.
    PartRetried {
        /// 1-based.
        part_number: u32,
        /// The attempt that failed.
        attempt: u32,
        /// The wait before the next one.
        wait: Duration,
        /// What failed.
        error: String,
    },
    /// A fresh presigned URL was asked for (it was about to expire, or the store said it had).
    UrlRefreshed,
    /// Every byte is there; the checksum is being checked.
    Verifying {
        /// The object's size.
        size: u64,
    },
    /// Done: the file is in place, or the stream ended.
    Finished {
        /// The object's size.
        size: u64,
        /// What the check proved.
        verification: Verification,
    },
}
