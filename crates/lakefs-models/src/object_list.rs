//! Bodies of the object operations beyond one object's stats: listings, bulk deletes, copies.

use serde::{Deserialize, Serialize};

use crate::{ObjectStats, Pagination};

/// One page of `listObjects` (schema `ObjectStatsList`): objects and, with a delimiter,
/// common prefixes ([`PathType::CommonPrefix`](crate::PathType::CommonPrefix) entries whose
/// path ends with the delimiter).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ObjectStatsList {
    /// Paging information.
    pub pagination: Pagination,
    /// The entries of this page, in byte order of their paths.
    pub results: Vec<ObjectStats>,
}

impl ObjectStatsList {
    /// A page of `results`.
    #[must_use]
    pub fn new(pagination: Pagination, results: Vec<ObjectStats>) -> Self {
        Self {
            pagination,
            results,
        }
    }
}

/// Request body of `deleteObjects` (schema `PathList`): the paths to delete, at most 1,000.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct PathList {
    /// Object paths in the branch.
    pub paths: Vec<String>,
}

impl PathList {
    /// The paths to delete.
    #[must_use]
    pub fn new(paths: Vec<String>) -> Self {
        Self { paths }
    }
}

/// One path `deleteObjects` could not delete (schema `ObjectError`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ObjectError {
    /// The HTTP status this path's delete would have answered.
    pub status_code: i32,
    /// What went wrong.
    pub message: String,
    /// The path, when the error concerns one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
}

impl ObjectError {
    /// An error of `status_code` with `message` for `path`.
    #[must_use]
    pub fn new(status_code: i32, message: impl Into<String>, path: Option<String>) -> Self {
        Self {
            status_code,
            message: message.into(),
            path,
        }
    }
}

/// The answer of `deleteObjects` (schema `ObjectErrorList`): the paths that were not deleted.
/// An empty list is a complete success (a path that did not exist counts as deleted).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ObjectErrorList {
    /// One entry per path that failed.
    pub errors: Vec<ObjectError>,
}

impl ObjectErrorList {
    /// A list of `errors`.
    #[must_use]
    pub fn new(errors: Vec<ObjectError>) -> Self {
        Self { errors }
    }
}

/// Request body of `copyObject` (schema `ObjectCopyCreation`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ObjectCopyCreation {
    /// The path of the object to copy.
    pub src_path: String,
    /// The ref to copy from (the server's default: the destination branch).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub src_ref: Option<String>,
    /// Write even to a read-only repository.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub force: Option<bool>,
    /// Deprecated by lakeFS (ignored).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shallow: Option<bool>,
}

impl ObjectCopyCreation {
    /// A copy of `src_path`; the optional fields start unset.
    #[must_use]
    pub fn new(src_path: impl Into<String>) -> Self {
        Self {
            src_path: src_path.into(),
            src_ref: None,
            force: None,
            shallow: None,
        }
    }
}
