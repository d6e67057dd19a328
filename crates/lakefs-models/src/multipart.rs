use std::fmt;

use serde::{Deserialize, Serialize};

use crate::object::ObjectUserMetadata;
use crate::redact::RedactedUrl;

/// Answer of `createPresignMultipartUpload` (schema `PresignMultipartUpload`).
///
/// `Debug` redacts the query strings of the presigned URLs: they carry the signatures.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
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

impl PresignMultipartUpload {
    /// An answer with the upload id, the physical address and, when parts were asked for, one
    /// presigned URL per part.
    #[must_use]
    pub fn new(
        upload_id: impl Into<String>,
        physical_address: impl Into<String>,
        presigned_urls: Option<Vec<String>>,
    ) -> Self {
        Self {
            upload_id: upload_id.into(),
            physical_address: physical_address.into(),
            presigned_urls,
        }
    }
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
#[non_exhaustive]
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
#[non_exhaustive]
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

    /// Stores this user metadata on the object.
    #[must_use]
    pub fn with_user_metadata(mut self, user_metadata: ObjectUserMetadata) -> Self {
        self.user_metadata = Some(user_metadata);
        self
    }

    /// Records this media type for the object.
    #[must_use]
    pub fn with_content_type(mut self, content_type: impl Into<String>) -> Self {
        self.content_type = Some(content_type.into());
        self
    }
}

/// Request body of `abortPresignMultipartUpload` (schema `AbortPresignMultipartUpload`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
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
#[non_exhaustive]
pub struct StagingLocation {
    /// Storage address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub physical_address: Option<String>,
    /// Presigned PUT URL, when presigning was asked for (the only nullable field of the
    /// first nine experimental operations' schemas: `null` and absent both decode to `None`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub presigned_url: Option<String>,
    /// If present and nonzero, when `presigned_url` expires, in Unix seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub presigned_url_expiry: Option<i64>,
}

impl StagingLocation {
    /// A location with all fields given.
    #[must_use]
    pub fn new(
        physical_address: Option<String>,
        presigned_url: Option<String>,
        presigned_url_expiry: Option<i64>,
    ) -> Self {
        Self {
            physical_address,
            presigned_url,
            presigned_url_expiry,
        }
    }
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

/// Request body of `uploadPart` (schema `UploadPartFrom`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct UploadPartFrom {
    /// The `physical_address` that create returned, for the whole object.
    pub physical_address: String,
}

impl UploadPartFrom {
    /// A request for a part of the upload at `physical_address`.
    #[must_use]
    pub fn new(physical_address: impl Into<String>) -> Self {
        Self {
            physical_address: physical_address.into(),
        }
    }
}

/// Answer of `uploadPart` (schema `UploadTo`): a freshly signed URL for one part.
///
/// `Debug` redacts the URL's query string, which carries the signature.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct UploadTo {
    /// The presigned PUT URL of the part.
    pub presigned_url: String,
}

impl UploadTo {
    /// An answer holding `presigned_url`.
    #[must_use]
    pub fn new(presigned_url: impl Into<String>) -> Self {
        Self {
            presigned_url: presigned_url.into(),
        }
    }
}

impl fmt::Debug for UploadTo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UploadTo")
            .field("presigned_url", &RedactedUrl(&self.presigned_url))
            .finish()
    }
}

/// The object a part is copied from (schema `CopyPartSource`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CopyPartSource {
    /// Repository of the source object.
    pub repository: String,
    /// Ref (branch, tag, commit id or expression) to read the source object at.
    #[serde(rename = "ref")]
    pub reference: String,
    /// Path of the source object.
    pub path: String,
    /// The byte range to copy, `bytes=first-last` (inclusive); the whole object when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub range: Option<String>,
}

impl CopyPartSource {
    /// The whole object `path` at `reference` in `repository`.
    #[must_use]
    pub fn new(
        repository: impl Into<String>,
        reference: impl Into<String>,
        path: impl Into<String>,
    ) -> Self {
        Self {
            repository: repository.into(),
            reference: reference.into(),
            path: path.into(),
            range: None,
        }
    }

    /// Copies only bytes `first..=last` of the source (S3's `bytes=first-last`).
    #[must_use]
    pub fn with_byte_range(mut self, first: u64, last: u64) -> Self {
        self.range = Some(format!("bytes={first}-{last}"));
        self
    }
}

/// Request body of `uploadPartCopy` (schema `UploadPartCopyFrom`: `UploadPartFrom` and a copy
/// source).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct UploadPartCopyFrom {
    /// The `physical_address` that create returned, for the whole object.
    pub physical_address: String,
    /// Where the part's bytes come from.
    pub copy_source: CopyPartSource,
}

impl UploadPartCopyFrom {
    /// A part of the upload at `physical_address`, copied from `copy_source`.
    #[must_use]
    pub fn new(physical_address: impl Into<String>, copy_source: CopyPartSource) -> Self {
        Self {
            physical_address: physical_address.into(),
            copy_source,
        }
    }
}
