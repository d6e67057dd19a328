use std::collections::BTreeMap;
use std::fmt;

use crate::redact::RedactedUrl;
use serde::{Deserialize, Serialize};

use crate::string_enum::string_enum;

/// User metadata of an object (schema `ObjectUserMetadata`): string keys and string values.
pub type ObjectUserMetadata = BTreeMap<String, String>;

string_enum! {
    /// Whether an entry is an object or a common prefix (the `path_type` enum).
    pub enum PathType {
        /// `"object"`: a stored object.
        Object = "object",
        /// `"common_prefix"`: a prefix shared by several objects.
        CommonPrefix = "common_prefix",
    }
}

/// Metadata of a stored object (schema `ObjectStats`), the answer of
/// `completePresignMultipartUpload`.
///
/// `Debug` redacts the query string of `physical_address`, which is a presigned URL when the
/// object was stat'ed with `presign=true`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ObjectStats {
    /// Object path in the branch.
    pub path: String,
    /// Always [`PathType::Object`] for an uploaded object.
    pub path_type: PathType,
    /// Location on the underlying object store: a URI, or, for presigned multipart uploads,
    /// the address relative to the repository's storage namespace.
    pub physical_address: String,
    /// If present and nonzero, `physical_address` is a presigned URL expiring at this Unix time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub physical_address_expiry: Option<i64>,
    /// Object checksum (for a multipart upload, the storage ETag without quotes).
    pub checksum: String,
    /// Size in bytes; the server always fills it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size_bytes: Option<i64>,
    /// Modification time, Unix seconds.
    pub mtime: i64,
    /// User metadata.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<ObjectUserMetadata>,
    /// Media type of the object.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
}

impl ObjectStats {
    /// Stats of an object with the spec's required fields; the optional ones start unset.
    #[must_use]
    pub fn new(
        path: impl Into<String>,
        physical_address: impl Into<String>,
        checksum: impl Into<String>,
        mtime: i64,
    ) -> Self {
        Self {
            path: path.into(),
            path_type: PathType::Object,
            physical_address: physical_address.into(),
            physical_address_expiry: None,
            checksum: checksum.into(),
            size_bytes: None,
            mtime,
            metadata: None,
            content_type: None,
        }
    }
}

/// Request body of `updateObjectUserMetadata` (schema `UpdateObjectUserMetadata`): the user
/// metadata that replaces the object's whole user metadata.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct UpdateObjectUserMetadata {
    /// The new user metadata (an empty map clears it).
    pub set: ObjectUserMetadata,
}

impl UpdateObjectUserMetadata {
    /// Replaces the object's user metadata with `set`.
    #[must_use]
    pub fn new(set: ObjectUserMetadata) -> Self {
        Self { set }
    }
}

impl fmt::Debug for ObjectStats {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ObjectStats")
            .field("path", &self.path)
            .field("path_type", &self.path_type)
            .field("physical_address", &RedactedUrl(&self.physical_address))
            .field("physical_address_expiry", &self.physical_address_expiry)
            .field("checksum", &self.checksum)
            .field("size_bytes", &self.size_bytes)
            .field("mtime", &self.mtime)
            .field("metadata", &self.metadata)
            .field("content_type", &self.content_type)
            .finish()
    }
}
