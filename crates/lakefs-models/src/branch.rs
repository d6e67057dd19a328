//! Branches and refs: `Ref`, its list, the creation and reset bodies, and the diff of a
//! branch's uncommitted changes.

use serde::{Deserialize, Serialize};

use crate::string_enum::string_enum;
use crate::{ObjectUserMetadata, Pagination, PathType};

/// A branch (or another named ref) and the commit it points at (schema `Ref`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Ref {
    /// The name.
    pub id: String,
    /// The commit it points at.
    pub commit_id: String,
}

impl Ref {
    /// The ref `id` at `commit_id`.
    #[must_use]
    pub fn new(id: impl Into<String>, commit_id: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            commit_id: commit_id.into(),
        }
    }
}

/// One page of `listBranches` (schema `RefList`), in byte order of the names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct RefList {
    /// Paging information.
    pub pagination: Pagination,
    /// The refs of this page.
    pub results: Vec<Ref>,
}

impl RefList {
    /// A page of `results`.
    #[must_use]
    pub fn new(pagination: Pagination, results: Vec<Ref>) -> Self {
        Self {
            pagination,
            results,
        }
    }
}

/// Request body of `createBranch` (schema `BranchCreation`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct BranchCreation {
    /// The new branch's name.
    pub name: String,
    /// Where it starts: any ref (a branch, a tag, a commit id); only its commit is used.
    pub source: String,
    /// Create even in a read-only repository.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub force: Option<bool>,
    /// Hide the branch from listings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hidden: Option<bool>,
}

impl BranchCreation {
    /// A branch `name` from `source`; the optional fields start unset.
    #[must_use]
    pub fn new(name: impl Into<String>, source: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            source: source.into(),
            force: None,
            hidden: None,
        }
    }
}

string_enum! {
    /// What `resetBranch` discards (the `type` enum of `ResetCreation`).
    pub enum ResetType {
        /// `"object"`: the uncommitted change of one path.
        Object = "object",
        /// `"common_prefix"`: the uncommitted changes under a prefix.
        CommonPrefix = "common_prefix",
        /// `"reset"`: every uncommitted change of the branch.
        Reset = "reset",
    }
}

/// Request body of `resetBranch` (schema `ResetCreation`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ResetCreation {
    /// What to discard.
    #[serde(rename = "type")]
    pub reset_type: ResetType,
    /// The path (`object`) or prefix (`common_prefix`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// Reset even in a read-only repository.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub force: Option<bool>,
}

impl ResetCreation {
    /// A reset of `reset_type` at `path`.
    #[must_use]
    pub fn new(reset_type: ResetType, path: Option<String>) -> Self {
        Self {
            reset_type,
            path,
            force: None,
        }
    }
}

string_enum! {
    /// How an entry differs (the `type` enum of `Diff`).
    pub enum DiffType {
        /// `"added"`: the path is new.
        Added = "added",
        /// `"removed"`: the path was deleted.
        Removed = "removed",
        /// `"changed"`: the path has other contents or metadata.
        Changed = "changed",
        /// `"conflict"`: both sides changed it (merges).
        Conflict = "conflict",
        /// `"prefix_changed"`: something under a common prefix changed (with a delimiter).
        PrefixChanged = "prefix_changed",
    }
}

/// The right side's stats of a diff entry (schema `DiffObjectStat`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct DiffObjectStat {
    /// The object's checksum.
    pub checksum: String,
    /// Modification time, Unix seconds.
    pub mtime: i64,
    /// Media type.
    pub content_type: String,
    /// User metadata.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<ObjectUserMetadata>,
}

/// One difference (schema `Diff`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Diff {
    /// How it differs.
    #[serde(rename = "type")]
    pub diff_type: DiffType,
    /// The path (ending with the delimiter for a common prefix).
    pub path: String,
    /// An object or a common prefix.
    pub path_type: PathType,
    /// The object's size (0 for a removed one); absent for a prefix.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size_bytes: Option<i64>,
    /// The right side's stats, when the server sends them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub right: Option<DiffObjectStat>,
}

impl Diff {
    /// A difference of `diff_type` at `path`.
    #[must_use]
    pub fn new(diff_type: DiffType, path: impl Into<String>, path_type: PathType) -> Self {
        Self {
            diff_type,
            path: path.into(),
            path_type,
            size_bytes: None,
            right: None,
        }
    }
}

/// One page of `diffBranch` (schema `DiffList`), in byte order of the paths.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct DiffList {
    /// Paging information.
    pub pagination: Pagination,
    /// The differences of this page.
    pub results: Vec<Diff>,
}

impl DiffList {
    /// A page of `results`.
    #[must_use]
    pub fn new(pagination: Pagination, results: Vec<Diff>) -> Self {
        Self {
            pagination,
            results,
        }
    }
}
