//! Pull requests: `PullRequest`, its list, creation, update and merge bodies.

use serde::{Deserialize, Serialize};

use crate::principal::Pagination;
use crate::string_enum::string_enum;

string_enum! {
    /// The status of a pull request (the `status` enum).
    pub enum PullRequestStatus {
        /// `"open"`: waiting to be merged or closed.
        Open = "open",
        /// `"closed"`: closed without merging; it can be reopened.
        Closed = "closed",
        /// `"merged"`: its source branch was merged into its destination (final).
        Merged = "merged",
    }
}

/// A pull request (schema `PullRequest`: `PullRequestBasic` with `status`, `title` and
/// `description` required, and the fields below).
///
/// Dates are RFC 3339 strings exactly as the server sent them (`format: date-time`), so this
/// crate needs no date library; parse them with the one your application uses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct PullRequest {
    /// The pull request's id.
    pub id: String,
    /// Open, closed or merged.
    pub status: PullRequestStatus,
    /// Title.
    pub title: String,
    /// Description (may be empty). The spec requires it, but lakeFS v1.84.0 leaves it out of
    /// `listPullRequests` items (`pkg/api/controller.go`, `ListPullRequests`), so it decodes
    /// as empty when absent.
    #[serde(default)]
    pub description: String,
    /// When it was created (RFC 3339).
    pub creation_date: String,
    /// The id of the user who created it.
    pub author: String,
    /// The branch whose changes it proposes.
    pub source_branch: String,
    /// The branch the changes are merged into.
    pub destination_branch: String,
    /// The merge commit, once merged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merged_commit_id: Option<String>,
    /// When it was closed or merged (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed_date: Option<String>,
}

impl PullRequest {
    /// An open pull request with an empty description and no merge or close date.
    #[must_use]
    pub fn new(
        id: impl Into<String>,
        title: impl Into<String>,
        author: impl Into<String>,
        source_branch: impl Into<String>,
        destination_branch: impl Into<String>,
        creation_date: impl Into<String>,
    ) -> Self {
        Self {
            id: id.into(),
            status: PullRequestStatus::Open,
            title: title.into(),
            description: String::new(),
            creation_date: creation_date.into(),
            author: author.into(),
            source_branch: source_branch.into(),
            destination_branch: destination_branch.into(),
            merged_commit_id: None,
            closed_date: None,
        }
    }
}

/// One page of pull requests (schema `PullRequestsList`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct PullRequestsList {
    /// Paging information.
    pub pagination: Pagination,
    /// The pull requests of this page.
    pub results: Vec<PullRequest>,
}

impl PullRequestsList {
    /// A page of `results`.
    #[must_use]
    pub fn new(pagination: Pagination, results: Vec<PullRequest>) -> Self {
        Self {
            pagination,
            results,
        }
    }
}

/// Request body of `createPullRequest` (schema `PullRequestCreation`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct PullRequestCreation {
    /// Title.
    pub title: String,
    /// Description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The branch whose changes are proposed.
    pub source_branch: String,
    /// The branch to merge them into.
    pub destination_branch: String,
}

impl PullRequestCreation {
    /// A pull request from `source_branch` into `destination_branch`, without description.
    #[must_use]
    pub fn new(
        title: impl Into<String>,
        source_branch: impl Into<String>,
        destination_branch: impl Into<String>,
    ) -> Self {
        Self {
            title: title.into(),
            description: None,
            source_branch: source_branch.into(),
            destination_branch: destination_branch.into(),
        }
    }

    /// Adds a description.
    #[must_use]
    pub fn with_description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }
}

/// Answer of `createPullRequest` (schema `PullRequestCreationResponse`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct PullRequestCreationResponse {
    /// The new pull request's id.
    pub id: String,
}

impl PullRequestCreationResponse {
    /// An answer naming the pull request `id`.
    #[must_use]
    pub fn new(id: impl Into<String>) -> Self {
        Self { id: id.into() }
    }
}

/// Request body of `updatePullRequest` (schema `PullRequestBasic`): only the fields that are
/// set are changed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct PullRequestBasic {
    /// New status (open or closed; a pull request becomes merged only by merging it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<PullRequestStatus>,
    /// New title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// New description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

impl PullRequestBasic {
    /// An update that changes nothing yet.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the status.
    #[must_use]
    pub fn with_status(mut self, status: PullRequestStatus) -> Self {
        self.status = Some(status);
        self
    }

    /// Sets the title.
    #[must_use]
    pub fn with_title(mut self, title: impl Into<String>) -> Self {
        self.title = Some(title.into());
        self
    }

    /// Sets the description.
    #[must_use]
    pub fn with_description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }
}

/// Answer of `mergePullRequest` (schema `MergeResult`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct MergeResult {
    /// The merge commit's id.
    pub reference: String,
}

impl MergeResult {
    /// A result naming the merge commit `reference`.
    #[must_use]
    pub fn new(reference: impl Into<String>) -> Self {
        Self {
            reference: reference.into(),
        }
    }
}
