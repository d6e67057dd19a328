//! Commits: `Commit`, its list and its creation body.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::Pagination;

/// A commit (schema `Commit`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Commit {
    /// The commit id (64 hex digits).
    pub id: String,
    /// The parents' ids: none for a repository's first commit, two for a merge.
    pub parents: Vec<String>,
    /// Who committed: the user's email, or else the user name.
    pub committer: String,
    /// The commit message (may be empty).
    pub message: String,
    /// When, Unix seconds.
    pub creation_date: i64,
    /// The id of the commit's metarange.
    pub meta_range_id: String,
    /// Key-value metadata.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<BTreeMap<String, String>>,
    /// The commit's generation: its first parent's plus one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generation: Option<i64>,
    /// The commit format version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<i32>,
}

impl Commit {
    /// A commit with the spec's required fields; the optional ones start unset.
    #[must_use]
    pub fn new(
        id: impl Into<String>,
        parents: Vec<String>,
        committer: impl Into<String>,
        message: impl Into<String>,
        creation_date: i64,
        meta_range_id: impl Into<String>,
    ) -> Self {
        Self {
            id: id.into(),
            parents,
            committer: committer.into(),
            message: message.into(),
            creation_date,
            meta_range_id: meta_range_id.into(),
            metadata: None,
            generation: None,
            version: None,
        }
    }
}

/// One page of `logCommits` (schema `CommitList`), newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CommitList {
    /// Paging information.
    pub pagination: Pagination,
    /// The commits of this page.
    pub results: Vec<Commit>,
}

impl CommitList {
    /// A page of `results`.
    #[must_use]
    pub fn new(pagination: Pagination, results: Vec<Commit>) -> Self {
        Self {
            pagination,
            results,
        }
    }
}

/// Request body of `commit` (schema `CommitCreation`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CommitCreation {
    /// The commit message.
    pub message: String,
    /// Key-value metadata.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<BTreeMap<String, String>>,
    /// Set the commit's date (Unix seconds) instead of now.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<i64>,
    /// Commit even when the branch has no uncommitted changes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allow_empty: Option<bool>,
    /// Commit even to a read-only repository.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub force: Option<bool>,
}

impl CommitCreation {
    /// A commit with `message`; the optional fields start unset.
    #[must_use]
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            metadata: None,
            date: None,
            allow_empty: None,
            force: None,
        }
    }
}
