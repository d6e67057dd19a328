//! The `repositories` tag: `getRepository`, `listRepositories`.

use lakefs_client::raw::{
    self, check_amount, decode, listing, request_builder, required, ApiRequest, HttpTransport,
};
use lakefs_models::{Repository, RepositoryList};

use crate::{Error, Operation};

request_builder! {
    /// `getRepository`: a repository's default branch, storage namespace and creation date.
    /// Built by [`RepositoriesApi::get_repository`](crate::RepositoriesApi::get_repository).
    /// A read, retried like one.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidArgument`](crate::ErrorKind::InvalidArgument) before sending for a
    /// missing or empty repository; [`ErrorKind::NotFound`](crate::ErrorKind::NotFound) for an
    /// unknown one.
    GetRepositoryRequest(GetRepositoryInput) => GetRepository {
        /// The repository (required).
        repository,
    }
}

impl<T: HttpTransport> GetRepositoryRequest<T> {
    /// Sends the request.
    ///
    /// # Errors
    /// See the type's documentation.
    pub async fn send(self) -> Result<Repository, Error> {
        let operation = Operation::GetRepository;
        let repository = required(operation, "repository", self.input.repository)?;
        let request = ApiRequest::new(operation, &["repositories"]).segment(&repository);
        decode(
            operation,
            &raw::send(&self.client, request, &self.options).await?,
        )
    }
}

request_builder! {
    /// `listRepositories`: the repositories the credentials may see, in byte order of their
    /// names; one page with [`send`](Self::send) or all of them with
    /// [`into_stream`](Self::into_stream). Built by
    /// [`RepositoriesApi::list_repositories`](crate::RepositoriesApi::list_repositories).
    ///
    /// # Errors
    /// [`ErrorKind::InvalidArgument`](crate::ErrorKind::InvalidArgument) before sending for an
    /// `amount` outside -1..=1000.
    ListRepositoriesRequest(ListRepositoriesInput) => ListRepositories {
        /// Only repositories whose name starts with this.
        prefix / set_prefix,
        /// Start after this name (exclusive; the previous page's `next_offset`).
        after / set_after,
        /// Page size, -1 to 1000. Unset: the server's default (100).
        amount / set_amount: i32,
    }
}

impl<T: HttpTransport> ListRepositoriesRequest<T> {
    /// Sends the request: one page.
    ///
    /// # Errors
    /// See the type's documentation.
    pub async fn send(self) -> Result<RepositoryList, Error> {
        let operation = Operation::ListRepositories;
        check_amount(operation, self.input.amount)?;
        let request = ApiRequest::new(operation, &["repositories"])
            .query_opt("prefix", self.input.prefix.filter(|p| !p.is_empty()))
            .query_opt("after", self.input.after.filter(|a| !a.is_empty()))
            .query_opt("amount", self.input.amount);
        decode(
            operation,
            &raw::send(&self.client, request, &self.options).await?,
        )
    }
}

listing!(ListRepositoriesRequest => Repository, ListRepositories, "repository");
