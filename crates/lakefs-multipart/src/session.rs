//! [`UploadSession`]: an upload that exists on lakeFS, as data that can be saved, sent to
//! other processes, and used to upload parts, complete or abort from anywhere.

use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::schedule::PartSchedule;

/// A presigned multipart upload created on lakeFS, with everything needed to upload its
/// parts, complete it or abort it — from this process or any other.
///
/// It holds no presigned URL (they expire, and they are secrets): part URLs are signed when a
/// part starts (`uploadPart`, lakeFS ≥ v1.55). Its JSON form is stable; send it to worker
/// processes, which call [`Uploader::upload_parts`](crate::Uploader::upload_parts) for
/// disjoint part ranges and hand back the parts; one process then calls
/// [`Uploader::complete`](crate::Uploader::complete).
///
/// The `physical_address` is a link address that lakeFS signed for this repository, branch
/// and path, valid 24 hours from create (6 hours before lakeFS v1.80): after that the upload
/// can be neither completed nor aborted through lakeFS.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct UploadSession {
    /// The repository.
    pub repository: String,
    /// The branch.
    pub branch: String,
    /// The object's path in the branch.
    pub path: String,
    /// The storage's multipart upload id.
    pub upload_id: String,
    /// The address create returned (the full URI), sent back to sign parts, complete and
    /// abort.
    pub physical_address: String,
    /// Which bytes each part holds.
    pub schedule: PartSchedule,
    /// When the upload was created, Unix seconds.
    pub created_at: u64,
}

impl UploadSession {
    pub(crate) fn new(
        repository: &str,
        branch: &str,
        path: &str,
        upload_id: String,
        physical_address: String,
        schedule: PartSchedule,
    ) -> Self {
        Self {
            repository: repository.to_owned(),
            branch: branch.to_owned(),
            path: path.to_owned(),
            upload_id,
            physical_address,
            schedule,
            created_at: SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_secs()),
        }
    }

    /// The session as JSON.
    #[must_use]
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// A session from its JSON form.
    ///
    /// # Errors
    /// The JSON error, naming what is missing or malformed.
    pub fn from_json(json: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(json)
    }
}
