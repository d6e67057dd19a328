//! `listPullRequests`, `createPullRequest`, `getPullRequest`, `updatePullRequest`,
//! `mergePullRequest`.

use std::fmt;

use lakefs_models::{
    MergeResult, PullRequest, PullRequestBasic, PullRequestCreation, PullRequestCreationResponse,
    PullRequestStatus, PullRequestsList,
};
use lakefs_transport::HttpTransport;

use lakefs_client::raw::{
    self, check_amount, decode, listing, request_builder, required, ApiRequest,
};

use crate::{Error, Operation};

/// Which pull requests `listPullRequests` returns (its `status` query parameter).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum PullRequestFilter {
    /// Open pull requests only.
    Open,
    /// Closed and merged pull requests.
    Closed,
    /// All of them (the server's default).
    #[default]
    All,
}

impl PullRequestFilter {
    /// The query value.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Closed => "closed",
            Self::All => "all",
        }
    }
}

impl fmt::Display for PullRequestFilter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

fn pulls(operation: Operation, repository: &str) -> ApiRequest {
    ApiRequest::new(operation, &["repositories"])
        .segment(repository)
        .literal("pulls")
}

request_builder! {
    /// `listPullRequests`: a repository's pull requests, a page at a time with
    /// [`send`](Self::send), or all of them with [`into_stream`](Self::into_stream). Built by
    /// [`ExperimentalApi::list_pull_requests`](crate::ExperimentalApi::list_pull_requests).
    ///
    /// The server lists the newest first, and its items carry neither `description` nor
    /// `merged_commit_id` ([`get_pull_request`](crate::ExperimentalApi::get_pull_request) has
    /// both). Needs lakeFS v1.35 or later
    /// ([server notes](crate::server_notes#listpullrequests)).
    ///
    /// # Errors
    /// [`ErrorKind::InvalidArgument`](crate::ErrorKind::InvalidArgument) before sending for a missing or empty repository or an
    /// `amount` outside -1..=1000; [`ErrorKind::NotFound`](crate::ErrorKind::NotFound) for an unknown repository.
    ListPullRequestsRequest(ListPullRequestsInput) => ListPullRequests {
        /// The repository (required).
        repository,
        /// Only pull requests whose id starts with this.
        prefix / set_prefix,
        /// Start after this id (the previous page's `next_offset`).
        after / set_after,
        /// Page size, -1 to 1000 (the server treats ≤ 0 as 100). Unset: the server's default.
        amount / set_amount: i32,
        /// Only open, only closed (merged ones included), or all pull requests. Unset: not
        /// sent (the server lists all).
        status / set_status: PullRequestFilter,
    }
}

impl<T: HttpTransport> ListPullRequestsRequest<T> {
    /// Sends the request: one page.
    ///
    /// # Errors
    /// See the type's documentation.
    pub async fn send(self) -> Result<PullRequestsList, Error> {
        let operation = Operation::ListPullRequests;
        let repository = required(operation, "repository", self.input.repository)?;
        check_amount(operation, self.input.amount)?;
        let request = pulls(operation, &repository)
            .query_opt("prefix", self.input.prefix.filter(|p| !p.is_empty()))
            .query_opt("after", self.input.after.filter(|a| !a.is_empty()))
            .query_opt("amount", self.input.amount)
            .query_opt("status", self.input.status);
        decode(
            operation,
            &raw::send(&self.client, request, &self.options).await?,
        )
    }
}

listing!(ListPullRequestsRequest => PullRequest, ListPullRequests, "pull request");

request_builder! {
    /// `createPullRequest`: proposes merging `source_branch` into `destination_branch`.
    /// Built by [`ExperimentalApi::create_pull_request`](crate::ExperimentalApi::create_pull_request).
    ///
    /// The server does **not** refuse a second pull request for the same pair of branches, so
    /// a blind repeat opens a duplicate: not retried after an ambiguous failure (list the pull
    /// requests to find out). Needs lakeFS v1.35 or later
    /// ([server notes](crate::server_notes#createpullrequest)).
    ///
    /// # Errors
    /// [`ErrorKind::InvalidArgument`](crate::ErrorKind::InvalidArgument) before sending for a missing or empty argument;
    /// [`ErrorKind::NotFound`](crate::ErrorKind::NotFound) for an unknown repository or branch; [`ErrorKind::BadRequest`](crate::ErrorKind::BadRequest) for the
    /// same source and destination or an invalid branch name.
    CreatePullRequestRequest(CreatePullRequestInput) => CreatePullRequest {
        /// The repository (required).
        repository,
        /// The title (required).
        title,
        /// A description.
        description / set_description,
        /// The branch whose changes are proposed (required).
        source_branch,
        /// The branch to merge them into (required).
        destination_branch,
    }
}

impl<T: HttpTransport> CreatePullRequestRequest<T> {
    /// Sends the request and returns the new pull request's id.
    ///
    /// # Errors
    /// See the type's documentation.
    pub async fn send(self) -> Result<PullRequestCreationResponse, Error> {
        let operation = Operation::CreatePullRequest;
        let repository = required(operation, "repository", self.input.repository)?;
        let title = required(operation, "title", self.input.title)?;
        let source = required(operation, "source_branch", self.input.source_branch)?;
        let destination = required(
            operation,
            "destination_branch",
            self.input.destination_branch,
        )?;
        let mut body = PullRequestCreation::new(title, source, destination);
        body.description = self.input.description;
        let request = pulls(operation, &repository).json(&body)?;
        decode(
            operation,
            &raw::send(&self.client, request, &self.options).await?,
        )
    }
}

request_builder! {
    /// `getPullRequest`: one pull request. Built by [`ExperimentalApi::get_pull_request`](crate::ExperimentalApi::get_pull_request).
    ///
    /// # Errors
    /// [`ErrorKind::InvalidArgument`](crate::ErrorKind::InvalidArgument) before sending for a missing or empty argument;
    /// [`ErrorKind::NotFound`](crate::ErrorKind::NotFound) for an unknown repository or pull request.
    GetPullRequestRequest(GetPullRequestInput) => GetPullRequest {
        /// The repository (required).
        repository,
        /// The pull request's id, the spec's `pull_request` (required).
        pull_request,
    }
}

impl<T: HttpTransport> GetPullRequestRequest<T> {
    /// Sends the request.
    ///
    /// # Errors
    /// See the type's documentation.
    pub async fn send(self) -> Result<PullRequest, Error> {
        let operation = Operation::GetPullRequest;
        let repository = required(operation, "repository", self.input.repository)?;
        let id = required(operation, "pull_request", self.input.pull_request)?;
        let request = pulls(operation, &repository).segment(&id);
        decode(
            operation,
            &raw::send(&self.client, request, &self.options).await?,
        )
    }
}

request_builder! {
    /// `updatePullRequest`: changes a pull request's title, description or status (only
    /// what is set is sent). Built by [`ExperimentalApi::update_pull_request`](crate::ExperimentalApi::update_pull_request).
    ///
    /// The server has no rules on status transitions: it reopens closed pull requests, and
    /// even accepts `merged`, which marks the pull request merged **without merging** (use
    /// [`merge_pull_request`](crate::ExperimentalApi::merge_pull_request) to merge). Setting the
    /// same values again ends in the same state (only `closed_date` moves to now), so it is
    /// retried like a read. Needs lakeFS v1.35 or later
    /// ([server notes](crate::server_notes#updatepullrequest)).
    ///
    /// # Errors
    /// [`ErrorKind::InvalidArgument`](crate::ErrorKind::InvalidArgument) before sending for a missing or empty argument;
    /// [`ErrorKind::NotFound`](crate::ErrorKind::NotFound) for an unknown pull request; [`ErrorKind::BadRequest`](crate::ErrorKind::BadRequest) for an id that
    /// is not a valid pull request id.
    UpdatePullRequestRequest(UpdatePullRequestInput) => UpdatePullRequest {
        /// The repository (required).
        repository,
        /// The pull request's id, the spec's `pull_request` (required).
        pull_request,
        /// A new title.
        title / set_title,
        /// A new description.
        description / set_description,
        /// A new status: [`PullRequestStatus::Closed`] closes it, [`PullRequestStatus::Open`]
        /// reopens it.
        status / set_status: PullRequestStatus,
    }
}

impl<T: HttpTransport> UpdatePullRequestRequest<T> {
    /// Sends the request.
    ///
    /// # Errors
    /// See the type's documentation.
    pub async fn send(self) -> Result<(), Error> {
        let operation = Operation::UpdatePullRequest;
        let repository = required(operation, "repository", self.input.repository)?;
        let id = required(operation, "pull_request", self.input.pull_request)?;
        let mut body = PullRequestBasic::new();
        body.title = self.input.title;
        body.description = self.input.description;
        body.status = self.input.status;
        let request = pulls(operation, &repository).segment(&id).json(&body)?;
        raw::send(&self.client, request, &self.options)
            .await
            .map(drop)
    }
}

request_builder! {
    /// `mergePullRequest`: merges the pull request's source branch into its destination and
    /// marks it merged. Built by [`ExperimentalApi::merge_pull_request`](crate::ExperimentalApi::merge_pull_request).
    ///
    /// The server merges the source branch's head commit with no conflict strategy. Not
    /// retried after an ambiguous failure: a repeat answers 400 because the first one merged
    /// it; [`get_pull_request`](crate::ExperimentalApi::get_pull_request) then tells whether it
    /// was merged (`status` and `merged_commit_id`). Needs lakeFS v1.36 or later
    /// ([server notes](crate::server_notes#mergepullrequest)).
    ///
    /// # Errors
    /// [`ErrorKind::InvalidArgument`](crate::ErrorKind::InvalidArgument) before sending for a missing or empty argument;
    /// [`ErrorKind::NotFound`](crate::ErrorKind::NotFound) for an unknown pull request or branch; [`ErrorKind::BadRequest`](crate::ErrorKind::BadRequest) for a
    /// pull request that is not open, nothing to merge, or uncommitted changes on the
    /// destination; [`ErrorKind::Conflict`](crate::ErrorKind::Conflict) for conflicting changes; [`ErrorKind::Forbidden`](crate::ErrorKind::Forbidden) for a
    /// read-only repository; [`ErrorKind::ClientError`](crate::ErrorKind::ClientError) 412 when a pre-merge hook fails.
    MergePullRequestRequest(MergePullRequestInput) => MergePullRequest {
        /// The repository (required).
        repository,
        /// The pull request's id, the spec's `pull_request` (required).
        pull_request,
    }
}

impl<T: HttpTransport> MergePullRequestRequest<T> {
    /// Sends the request and returns the merge commit.
    ///
    /// # Errors
    /// See the type's documentation.
    pub async fn send(self) -> Result<MergeResult, Error> {
        let operation = Operation::MergePullRequest;
        let repository = required(operation, "repository", self.input.repository)?;
        let id = required(operation, "pull_request", self.input.pull_request)?;
        let request = pulls(operation, &repository).segment(&id).literal("merge");
        decode(
            operation,
            &raw::send(&self.client, request, &self.options).await?,
        )
    }
}
