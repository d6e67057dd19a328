//! The `commits` tag (`commit`, `getCommit`) and the `refs` tag's `logCommits`.

use std::collections::BTreeMap;

use lakefs_client::raw::{
    self, check_amount, decode, listing, present, request_builder, required, ApiRequest,
    HttpTransport,
};
use lakefs_models::{Commit, CommitCreation, CommitList};

use crate::{Error, Operation};

request_builder! {
    /// `commit`: records a branch's uncommitted changes as a commit, and empties its staging
    /// area. Built by [`CommitsApi::commit`](crate::CommitsApi::commit).
    ///
    /// A branch without uncommitted changes is refused unless [`allow_empty`](Self::allow_empty).
    /// **Not retried after an ambiguous failure**: a repeat would answer `commit: no changes`
    /// although the first one committed, or commit what others staged meanwhile. After a lost
    /// answer, look at the branch's head ([`BranchesApi::get_branch`](crate::BranchesApi::get_branch))
    /// before committing again.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidArgument`](crate::ErrorKind::InvalidArgument) before sending for a
    /// missing or empty repository or branch, or no message;
    /// [`ErrorKind::BadRequest`](crate::ErrorKind::BadRequest) `commit: no changes` for a
    /// clean branch; [`ErrorKind::NotFound`](crate::ErrorKind::NotFound) for an unknown
    /// repository or branch; [`ErrorKind::Forbidden`](crate::ErrorKind::Forbidden) for a
    /// protected branch; [`ErrorKind::ClientError`](crate::ErrorKind::ClientError) 412 when a
    /// pre-commit hook refused it.
    CommitRequest(CommitInput) => Commit {
        /// The repository (required).
        repository,
        /// The branch (required).
        branch,
        /// The commit message (required; lakeFS accepts an empty one).
        message,
        /// Key-value metadata of the commit.
        metadata / set_metadata: BTreeMap<String, String>,
        /// Commit even when the branch has no uncommitted changes.
        allow_empty / set_allow_empty: bool,
        /// The commit's date, Unix seconds, instead of now.
        date / set_date: i64,
        /// Commit even to a read-only repository.
        force / set_force: bool,
    }
}

impl<T: HttpTransport> CommitRequest<T> {
    /// Adds one metadata entry (keeps the others).
    pub fn meta(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.input
            .metadata
            .get_or_insert_with(BTreeMap::new)
            .insert(key.into(), value.into());
        self
    }

    /// Sends the request.
    ///
    /// # Errors
    /// See the type's documentation.
    pub async fn send(self) -> Result<Commit, Error> {
        let operation = Operation::Commit;
        let repository = required(operation, "repository", self.input.repository)?;
        let branch = required(operation, "branch", self.input.branch)?;
        let message = present(operation, "message", self.input.message)?;
        let mut body = CommitCreation::new(message);
        body.metadata = self.input.metadata;
        body.allow_empty = self.input.allow_empty;
        body.date = self.input.date;
        body.force = self.input.force;
        let request = ApiRequest::new(operation, &["repositories"])
            .segment(&repository)
            .literal("branches")
            .segment(&branch)
            .literal("commits")
            .json(&body)?;
        decode(
            operation,
            &raw::send(&self.client, request, &self.options).await?,
        )
    }
}

request_builder! {
    /// `getCommit`: one commit, by id or by any ref expression (`main`, `main~2`). Built by
    /// [`CommitsApi::get_commit`](crate::CommitsApi::get_commit). A read, retried like one.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidArgument`](crate::ErrorKind::InvalidArgument) before sending for a
    /// missing or empty argument; [`ErrorKind::NotFound`](crate::ErrorKind::NotFound) for an
    /// unknown repository or commit.
    GetCommitRequest(GetCommitInput) => GetCommit {
        /// The repository (required).
        repository,
        /// The commit id or ref, the spec's `commitId` (required).
        commit_id,
    }
}

impl<T: HttpTransport> GetCommitRequest<T> {
    /// Sends the request.
    ///
    /// # Errors
    /// See the type's documentation.
    pub async fn send(self) -> Result<Commit, Error> {
        let operation = Operation::GetCommit;
        let repository = required(operation, "repository", self.input.repository)?;
        let commit_id = required(operation, "commitId", self.input.commit_id)?;
        let request = ApiRequest::new(operation, &["repositories"])
            .segment(&repository)
            .literal("commits")
            .segment(&commit_id);
        decode(
            operation,
            &raw::send(&self.client, request, &self.options).await?,
        )
    }
}

request_builder! {
    /// `logCommits`: the commits reachable from a ref, newest first; one page with
    /// [`send`](Self::send) or all of them with [`into_stream`](Self::into_stream). Built by
    /// [`RefsApi::log_commits`](crate::RefsApi::log_commits).
    ///
    /// # Errors
    /// [`ErrorKind::InvalidArgument`](crate::ErrorKind::InvalidArgument) before sending for a
    /// missing or empty repository or ref, or an `amount` outside -1..=1000;
    /// [`ErrorKind::NotFound`](crate::ErrorKind::NotFound) for an unknown repository or ref.
    LogCommitsRequest(LogCommitsInput) => LogCommits {
        /// The repository (required).
        repository,
        /// The ref to start from, the spec's `ref` (required).
        reference,
        /// Start after this commit id (the previous page's `next_offset`).
        after / set_after,
        /// Page size, -1 to 1000. Unset: the server's default (100).
        amount / set_amount: i32,
        /// Only commits that changed one of these objects.
        objects / set_objects: Vec<String>,
        /// Only commits that changed something under one of these prefixes.
        prefixes / set_prefixes: Vec<String>,
        /// With `objects` or `prefixes`: stop at the first page of matches.
        limit / set_limit: bool,
        /// Follow only the first parent of merges.
        first_parent / set_first_parent: bool,
        /// Only commits since this date-time (RFC 3339).
        since / set_since,
        /// Stop at this commit (included).
        stop_at / set_stop_at,
    }
}

impl<T: HttpTransport> LogCommitsRequest<T> {
    /// Sends the request: one page.
    ///
    /// # Errors
    /// See the type's documentation.
    pub async fn send(self) -> Result<CommitList, Error> {
        let operation = Operation::LogCommits;
        let repository = required(operation, "repository", self.input.repository)?;
        let reference = required(operation, "ref", self.input.reference)?;
        check_amount(operation, self.input.amount)?;
        let mut request = ApiRequest::new(operation, &["repositories"])
            .segment(&repository)
            .literal("refs")
            .segment(&reference)
            .literal("commits")
            .query_opt("after", self.input.after.filter(|a| !a.is_empty()))
            .query_opt("amount", self.input.amount);
        for object in self.input.objects.unwrap_or_default() {
            request = request.query("objects", object);
        }
        for prefix in self.input.prefixes.unwrap_or_default() {
            request = request.query("prefixes", prefix);
        }
        let request = request
            .query_opt("limit", self.input.limit)
            .query_opt("first_parent", self.input.first_parent)
            .query_opt("since", self.input.since.filter(|s| !s.is_empty()))
            .query_opt("stop_at", self.input.stop_at.filter(|s| !s.is_empty()));
        decode(
            operation,
            &raw::send(&self.client, request, &self.options).await?,
        )
    }
}

listing!(LogCommitsRequest => Commit, LogCommits, "commit");
