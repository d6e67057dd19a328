//! The `branches` tag: `createBranch`, `listBranches`, `getBranch`, `deleteBranch`,
//! `diffBranch` (uncommitted changes), `resetBranch` (discard them).

use lakefs_client::raw::{
    self, check_amount, decode, listing, present, request_builder, required, ApiRequest,
    HttpTransport,
};
use lakefs_models::{BranchCreation, Diff, DiffList, Ref, RefList, ResetCreation, ResetType};

use crate::{Error, Operation};

/// `/repositories/{repository}/branches`.
fn branches(operation: Operation, repository: &str) -> ApiRequest {
    ApiRequest::new(operation, &["repositories"])
        .segment(repository)
        .literal("branches")
}

request_builder! {
    /// `createBranch`: a new branch at the commit of `source` (any ref; uncommitted changes
    /// of a source branch are not carried over). Built by
    /// [`BranchesApi::create_branch`](crate::BranchesApi::create_branch). Answers the
    /// commit id the branch points at.
    ///
    /// Not retried after an ambiguous failure: a repeat answers 409 although the first call
    /// created the branch (compare [`get_branch`](crate::BranchesApi::get_branch)'s commit with
    /// the source's).
    ///
    /// # Errors
    /// [`ErrorKind::InvalidArgument`](crate::ErrorKind::InvalidArgument) before sending for a
    /// missing or empty argument; [`ErrorKind::Conflict`](crate::ErrorKind::Conflict) when the
    /// name is taken (by a branch, a tag or a commit id);
    /// [`ErrorKind::NotFound`](crate::ErrorKind::NotFound) for an unknown repository or source;
    /// [`ErrorKind::BadRequest`](crate::ErrorKind::BadRequest) for an invalid name.
    CreateBranchRequest(CreateBranchInput) => CreateBranch {
        /// The repository (required).
        repository,
        /// The new branch's name (required).
        name,
        /// The ref it starts from (required).
        source,
        /// Create even in a read-only repository.
        force / set_force: bool,
    }
}

impl<T: HttpTransport> CreateBranchRequest<T> {
    /// Sends the request; answers the new branch's commit id.
    ///
    /// # Errors
    /// See the type's documentation.
    pub async fn send(self) -> Result<String, Error> {
        let operation = Operation::CreateBranch;
        let repository = required(operation, "repository", self.input.repository)?;
        let mut body = BranchCreation::new(
            required(operation, "name", self.input.name)?,
            required(operation, "source", self.input.source)?,
        );
        body.force = self.input.force;
        let request = branches(operation, &repository).json(&body)?;
        let response = raw::send(&self.client, request, &self.options).await?;
        // lakeFS answers the commit id as bare text (the spec says text/html).
        let id = std::str::from_utf8(response.body())
            .map(str::trim)
            .map_err(|_| raw::protocol(operation, "the commit id is not UTF-8 text"))?;
        Ok(id.to_owned())
    }
}

request_builder! {
    /// `listBranches`: a repository's branches in byte order of their names; one page with
    /// [`send`](Self::send) or all of them with [`into_stream`](Self::into_stream). Built by
    /// [`BranchesApi::list_branches`](crate::BranchesApi::list_branches).
    ///
    /// # Errors
    /// [`ErrorKind::InvalidArgument`](crate::ErrorKind::InvalidArgument) before sending for a
    /// missing or empty repository or an `amount` outside -1..=1000;
    /// [`ErrorKind::NotFound`](crate::ErrorKind::NotFound) for an unknown repository.
    ListBranchesRequest(ListBranchesInput) => ListBranches {
        /// The repository (required).
        repository,
        /// Only branches whose name starts with this.
        prefix / set_prefix,
        /// Start after this name (exclusive; the previous page's `next_offset`).
        after / set_after,
        /// Page size, -1 to 1000. Unset: the server's default (100).
        amount / set_amount: i32,
    }
}

impl<T: HttpTransport> ListBranchesRequest<T> {
    /// Sends the request: one page.
    ///
    /// # Errors
    /// See the type's documentation.
    pub async fn send(self) -> Result<RefList, Error> {
        let operation = Operation::ListBranches;
        let repository = required(operation, "repository", self.input.repository)?;
        check_amount(operation, self.input.amount)?;
        let request = branches(operation, &repository)
            .query_opt("prefix", self.input.prefix.filter(|p| !p.is_empty()))
            .query_opt("after", self.input.after.filter(|a| !a.is_empty()))
            .query_opt("amount", self.input.amount);
        decode(
            operation,
            &raw::send(&self.client, request, &self.options).await?,
        )
    }
}

listing!(ListBranchesRequest => Ref, ListBranches, "branch");

request_builder! {
    /// `getBranch`: a branch and the commit it points at. Built by
    /// [`BranchesApi::get_branch`](crate::BranchesApi::get_branch). A read, retried like one.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidArgument`](crate::ErrorKind::InvalidArgument) before sending for a
    /// missing or empty argument; [`ErrorKind::NotFound`](crate::ErrorKind::NotFound) for an
    /// unknown repository or branch.
    GetBranchRequest(GetBranchInput) => GetBranch {
        /// The repository (required).
        repository,
        /// The branch (required).
        branch,
    }
}

impl<T: HttpTransport> GetBranchRequest<T> {
    /// Sends the request.
    ///
    /// # Errors
    /// See the type's documentation.
    pub async fn send(self) -> Result<Ref, Error> {
        let operation = Operation::GetBranch;
        let repository = required(operation, "repository", self.input.repository)?;
        let branch = required(operation, "branch", self.input.branch)?;
        let request = branches(operation, &repository).segment(&branch);
        decode(
            operation,
            &raw::send(&self.client, request, &self.options).await?,
        )
    }
}

request_builder! {
    /// `deleteBranch`: deletes a branch (its commits stay reachable from other refs; its
    /// uncommitted changes are lost). Built by
    /// [`BranchesApi::delete_branch`](crate::BranchesApi::delete_branch).
    ///
    /// Not retried after an ambiguous failure: a repeat answers 404 although the first call
    /// deleted the branch — which is what a 404 after a lost answer means.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidArgument`](crate::ErrorKind::InvalidArgument) before sending for a
    /// missing or empty argument; [`ErrorKind::Forbidden`](crate::ErrorKind::Forbidden) for the
    /// repository's default branch; [`ErrorKind::NotFound`](crate::ErrorKind::NotFound) for an
    /// unknown repository or branch.
    DeleteBranchRequest(DeleteBranchInput) => DeleteBranch {
        /// The repository (required).
        repository,
        /// The branch (required).
        branch,
        /// Delete even in a read-only repository.
        force / set_force: bool,
    }
}

impl<T: HttpTransport> DeleteBranchRequest<T> {
    /// Sends the request.
    ///
    /// # Errors
    /// See the type's documentation.
    pub async fn send(self) -> Result<(), Error> {
        let operation = Operation::DeleteBranch;
        let repository = required(operation, "repository", self.input.repository)?;
        let branch = required(operation, "branch", self.input.branch)?;
        let request = branches(operation, &repository)
            .segment(&branch)
            .query_opt("force", self.input.force);
        raw::send(&self.client, request, &self.options)
            .await
            .map(drop)
    }
}

request_builder! {
    /// `diffBranch`: a branch's uncommitted changes (against its head commit), in byte order
    /// of the paths; one page with [`send`](Self::send) or all of them with
    /// [`into_stream`](Self::into_stream). Built by
    /// [`BranchesApi::diff_branch`](crate::BranchesApi::diff_branch).
    ///
    /// # Errors
    /// [`ErrorKind::InvalidArgument`](crate::ErrorKind::InvalidArgument) before sending for a
    /// missing or empty repository or branch, or an `amount` outside -1..=1000;
    /// [`ErrorKind::NotFound`](crate::ErrorKind::NotFound) for an unknown repository or branch.
    DiffBranchRequest(DiffBranchInput) => DiffBranch {
        /// The repository (required).
        repository,
        /// The branch (required).
        branch,
        /// Only paths that start with this.
        prefix / set_prefix,
        /// Fold changes below this delimiter into `prefix_changed` entries.
        delimiter / set_delimiter,
        /// Start after this path (exclusive; the previous page's `next_offset`).
        after / set_after,
        /// Page size, -1 to 1000. Unset: the server's default (100).
        amount / set_amount: i32,
    }
}

impl<T: HttpTransport> DiffBranchRequest<T> {
    /// Sends the request: one page.
    ///
    /// # Errors
    /// See the type's documentation.
    pub async fn send(self) -> Result<DiffList, Error> {
        let operation = Operation::DiffBranch;
        let repository = required(operation, "repository", self.input.repository)?;
        let branch = required(operation, "branch", self.input.branch)?;
        check_amount(operation, self.input.amount)?;
        let request = branches(operation, &repository)
            .segment(&branch)
            .literal("diff")
            .query_opt("after", self.input.after.filter(|a| !a.is_empty()))
            .query_opt("amount", self.input.amount)
            .query_opt("prefix", self.input.prefix.filter(|p| !p.is_empty()))
            .query_opt("delimiter", self.input.delimiter.filter(|d| !d.is_empty()));
        decode(
            operation,
            &raw::send(&self.client, request, &self.options).await?,
        )
    }
}

listing!(DiffBranchRequest => Diff, DiffBranch, "uncommitted change");

request_builder! {
    /// `resetBranch`: discards uncommitted changes of a branch — of one path, of a prefix, or
    /// all of them. Built by [`BranchesApi::reset_branch`](crate::BranchesApi::reset_branch).
    ///
    /// Discarding the same changes twice ends in the same state (nothing left to discard is
    /// a success), so it is retried like a read.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidArgument`](crate::ErrorKind::InvalidArgument) before sending for a
    /// missing or empty argument, or a path missing for an `object` or `common_prefix`
    /// reset; [`ErrorKind::NotFound`](crate::ErrorKind::NotFound) for an unknown repository or
    /// branch; [`ErrorKind::Forbidden`](crate::ErrorKind::Forbidden) for a protected branch.
    ResetBranchRequest(ResetBranchInput) => ResetBranch {
        /// The repository (required).
        repository,
        /// The branch (required).
        branch,
        /// What to discard (required): one path, a prefix, or everything.
        reset_type: ResetType,
        /// The path (`Object`) or prefix (`CommonPrefix`).
        path / set_path,
        /// Reset even in a read-only repository.
        force / set_force: bool,
    }
}

impl<T: HttpTransport> ResetBranchRequest<T> {
    /// Discards every uncommitted change of the branch (`type: reset`).
    pub fn everything(self) -> Self {
        self.reset_type(ResetType::Reset)
    }

    /// Discards the uncommitted change of one path (`type: object`).
    pub fn object(self, path: impl Into<String>) -> Self {
        self.reset_type(ResetType::Object).path(path)
    }

    /// Discards the uncommitted changes under a prefix (`type: common_prefix`).
    pub fn prefix(self, prefix: impl Into<String>) -> Self {
        self.reset_type(ResetType::CommonPrefix).path(prefix)
    }

    /// Sends the request.
    ///
    /// # Errors
    /// See the type's documentation.
    pub async fn send(self) -> Result<(), Error> {
        let operation = Operation::ResetBranch;
        let repository = required(operation, "repository", self.input.repository)?;
        let branch = required(operation, "branch", self.input.branch)?;
        let reset_type = present(operation, "type", self.input.reset_type)?;
        let path = self.input.path.filter(|p| !p.is_empty());
        if reset_type != ResetType::Reset && path.is_none() {
            return Err(raw::invalid_argument(
                operation,
                "path",
                format!("is required for a reset of type {reset_type}"),
            ));
        }
        let mut body = ResetCreation::new(reset_type, path);
        body.force = self.input.force;
        let request = branches(operation, &repository)
            .segment(&branch)
            .json(&body)?;
        raw::send(&self.client, request, &self.options)
            .await
            .map(drop)
    }
}
