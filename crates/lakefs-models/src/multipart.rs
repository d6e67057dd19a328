use std::fmt;

use serde::{Deserialize, Serialize};

use crate::object::ObjectUserMetadata;
use crate::redact::RedactedUrl;

/// Answer of `createPresignMultipartUpload` (schema `PresignMultipartUpload`).
///
/// `Debug` redacts the query strings of the presigned URLs: they carry the signatures.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PresignMultipartUpload {
    /// Id of the storage multipart upload; goes into the `{uploadId}` path segment.
    pub upload_id: String,
    /// Where the object will live; send it back verbatim to complete or abort.
    pub physical_address: String,
    /// One presigned PUT URL per part: element `i` is part `i + 1`. Absent when no parts were
    /// asked for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub presigned_urls: Option<Vec<String>>,
}

impl fmt::Debug for PresignMultipartUpload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let urls = self
            .presigned_urls
            .as_ref()
            .map(|urls| urls.iter().map(|url| RedactedUrl(url)).collect::<Vec<_>>());
        f.debug_struct("PresignMultipartUpload")
            .field("upload_id", &self.upload_id)
            .field("physical_address", &self.physical_address)
            .field("presigned_urls", &urls)
            .finish()
    }
}

/// One uploaded part, as listed when completing (schema `UploadPart`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadPart {
    /// 1-based part number.
    pub part_number: u32,
    /// The ETag the storage returned for the part's PUT.
    pub etag: String,
}

impl UploadPart {
    /// A part with its number and ETag.
    #[must_use]
    pub fn new(part_number: u32, etag: impl Into<String>) -> Self {
        Self {
            part_number,
            etag: etag.into(),
        }
    }
}

/// Request body of `completePresignMultipartUpload` (schema `CompletePresignMultipartUpload`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompletePresignMultipartUpload {
    /// The `physical_address` that create returned.
    pub physical_address: String,
    /// All uploaded parts, in ascending part number order.
    pub parts: Vec<UploadPart>,
    /// User metadata to store on the object.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_metadata: Option<ObjectUserMetadata>,
    /// Media type to record for the object.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
}

impl CompletePresignMultipartUpload {
    /// A completion request without metadata or content type.
    #[must_use]
    pub fn new(physical_address: impl Into<String>, parts: Vec<UploadPart>) -> Self {
        Self {
            physical_address: physical_address.into(),
            parts,
            user_metadata: None,
            content_type: None,
        }
    }
}

/// Request body of `abortPresignMultipartUpload` (schema `AbortPresignMultipartUpload`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AbortPresignMultipartUpload {
    /// The `physical_address` that create returned.
    pub physical_address: String,
}

impl AbortPresignMultipartUpload {
    /// An abort request for the given address.
    #[must_use]
    pub fn new(physical_address: impl Into<String>) -> Self {
        Self {
            physical_address: physical_address.into(),
        }
    }
}

/// Location for staging an object (schema `StagingLocation`). The spec declares it as the
/// body of complete's 409 answer; the real server sends an `Error` body there instead.
///
/// `Debug` redacts the query string of `presigned_url`.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StagingLocation {
    /// Storage address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub physical_address: Option<String>,
    /// Presigned PUT URL, when presigning was asked for (the only nullable field of the
    /// nine operations' schemas: `null` and absent both decode to `None`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub presigned_url: Option<String>,
    /// If present and nonzero, when `presigned_url` expires, in Unix seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub presigned_url_expiry: Option<i64>,
}

impl fmt::Debug for StagingLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StagingLocation")
            .field("physical_address", &self.physical_address)
            .field(
                "presigned_url",
                &self.presigned_url.as_deref().map(RedactedUrl),
            )
            .field("presigned_url_expiry", &self.presigned_url_expiry)
            .finish()
    }
}
