//! `hardResetBranch`.
//!
//! What the server does for it, with its sources:
//! [`server_notes`](crate::server_notes#hardresetbranch).

use lakefs_transport::HttpTransport;

use lakefs_client::raw::{self, request_builder, required, ApiRequest};

use crate::{Error, Operation};

request_builder! {
    /// `hardResetBranch`: points `branch` at `reference` (any ref expression, e.g. a commit
    /// id or `main~1`), dropping the commits the branch had since. Built by
    /// [`ExperimentalApi::hard_reset_branch`](crate::ExperimentalApi::hard_reset_branch).
    ///
    /// Only the branch's commit moves: its uncommitted (staged) objects are kept and are read
    /// on top of the new commit ([server notes](crate::server_notes#hardresetbranch)).
    /// Commit them, or discard them with lakeFS's `resetBranch` (not in the experimental
    /// API). While they remain, a merge into the branch (e.g.
    /// [`merge_pull_request`](crate::ExperimentalApi::merge_pull_request)) fails with
    /// [`ErrorKind::BadRequest`](crate::ErrorKind::BadRequest) (`uncommitted changes (dirty branch)`).
    ///
    /// Resetting to the same ref twice ends in the same state, so it is retried like a read.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidArgument`](crate::ErrorKind::InvalidArgument) before sending for a missing or empty argument;
    /// [`ErrorKind::Forbidden`](crate::ErrorKind::Forbidden) for a protected branch or a read-only repository;
    /// [`ErrorKind::NotFound`](crate::ErrorKind::NotFound) for an unknown ref; [`ErrorKind::BadRequest`](crate::ErrorKind::BadRequest) while the branch has
    /// sealed changes, i.e. a commit or merge on it is in flight or was interrupted
    /// (`<branch>: uncommitted changes (dirty branch)`). Ordinary uncommitted objects do not
    /// refuse the reset.
    HardResetBranchRequest(HardResetBranchInput) => HardResetBranch {
        /// The repository (required).
        repository,
        /// The branch to reset (required).
        branch,
        /// The ref to reset to, the spec's `ref` (required).
        reference,
        /// Bypasses a read-only repository (and nothing else). Unset: not sent.
        force / set_force: bool,
    }
}

impl<T: HttpTransport> HardResetBranchRequest<T> {
    /// Sends the request.
    ///
    /// # Errors
    /// See the type's documentation.
    pub async fn send(self) -> Result<(), Error> {
        let operation = Operation::HardResetBranch;
        let repository = required(operation, "repository", self.input.repository)?;
        let branch = required(operation, "branch", self.input.branch)?;
        let reference = required(operation, "ref", self.input.reference)?;
        let request = ApiRequest::new(operation, &["repositories"])
            .segment(&repository)
            .literal("branches")
            .segment(&branch)
            .literal("hard_reset")
            .query("ref", &reference)
            .query_opt("force", self.input.force);
        raw::send(&self.client, request, &self.options)
            .await
            .map(drop)
    }
}
