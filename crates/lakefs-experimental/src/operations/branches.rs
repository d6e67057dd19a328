//! `hardResetBranch`.

use lakefs_transport::HttpTransport;

use crate::request::{require, ApiRequest};
use crate::{Error, ExperimentalClient, Operation};

impl<T: HttpTransport> ExperimentalClient<T> {
    /// `hardResetBranch`: points `branch` at `reference` (any ref expression, e.g. a commit
    /// id or `main~1`), discarding what the branch had since.
    ///
    /// `force` (omitted when `None`) only bypasses a read-only repository; it overrides
    /// neither branch protection (403) nor uncommitted changes (400).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] before sending for an empty name; [`Error::Forbidden`] for
    /// a protected branch or a read-only repository; [`Error::NotFound`] for an unknown ref;
    /// [`Error::BadRequest`] while the branch has uncommitted changes.
    pub async fn hard_reset_branch(
        &self,
        repository: &str,
        branch: &str,
        reference: &str,
        force: Option<bool>,
    ) -> Result<(), Error> {
        let operation = Operation::HardResetBranch;
        require(operation, "repository", repository)?;
        require(operation, "branch", branch)?;
        require(operation, "ref", reference)?;
        let request = ApiRequest::new(operation, &["repositories"])
            .segment(repository)
            .literal("branches")
            .segment(branch)
            .literal("hard_reset")
            .query("ref", reference)
            .query_opt("force", force);
        self.execute(request).await.map(drop)
    }
}
