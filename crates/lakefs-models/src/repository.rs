//! Repositories: `Repository` and its list.

use serde::{Deserialize, Serialize};

use crate::Pagination;

/// A repository (schema `Repository`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Repository {
    /// The repository's name.
    pub id: String,
    /// When it was created, Unix seconds.
    pub creation_date: i64,
    /// Its default branch.
    pub default_branch: String,
    /// The storage the repository is on, on a server with several (else empty).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage_id: Option<String>,
    /// Where its objects are stored (`s3://bucket/prefix`, …).
    pub storage_namespace: String,
    /// Whether writes are refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read_only: Option<bool>,
}

impl Repository {
    /// A repository with the spec's required fields; the optional ones start unset.
    #[must_use]
    pub fn new(
        id: impl Into<String>,
        creation_date: i64,
        default_branch: impl Into<String>,
        storage_namespace: impl Into<String>,
    ) -> Self {
        Self {
            id: id.into(),
            creation_date,
            default_branch: default_branch.into(),
            storage_id: None,
            storage_namespace: storage_namespace.into(),
            read_only: None,
        }
    }
}

/// One page of `listRepositories` (schema `RepositoryList`), in byte order of the names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct RepositoryList {
    /// Paging information.
    pub pagination: Pagination,
    /// The repositories of this page.
    pub results: Vec<Repository>,
}

impl RepositoryList {
    /// A page of `results`.
    #[must_use]
    pub fn new(pagination: Pagination, results: Vec<Repository>) -> Self {
        Self {
            pagination,
            results,
        }
    }
}
