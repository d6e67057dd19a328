//! The extension traits that add the stable operations to the [`Client`], one per lakeFS
//! API tag, named as the Python SDK names its API classes.

use lakefs_client::raw::HttpTransport;
use lakefs_client::Client;

use crate::branches::{
    CreateBranchRequest, DeleteBranchRequest, DiffBranchRequest, GetBranchRequest,
    ListBranchesRequest, ResetBranchRequest,
};
use crate::commits::{CommitRequest, GetCommitRequest, LogCommitsRequest};
use crate::object_io::{GetObjectRequest, HeadObjectRequest};
use crate::object_upload::UploadObjectRequest;
use crate::objects::{
    CopyObjectRequest, DeleteObjectRequest, DeleteObjectsRequest, ListObjectsRequest,
    StatObjectRequest,
};
use crate::repositories::{GetRepositoryRequest, ListRepositoriesRequest};

/// Writes an extension trait and its implementation for [`Client`]: each method returns its
/// operation's request builder.
macro_rules! extension {
    (
        $(#[$doc:meta])*
        $trait:ident {
            $($(#[$method_doc:meta])* $method:ident => $builder:ident,)*
        }
    ) => {
        $(#[$doc])*
        pub trait $trait<T> {
            $($(#[$method_doc])* fn $method(&self) -> $builder<T>;)*
        }

        impl<T: HttpTransport> $trait<T> for Client<T> {
            $(fn $method(&self) -> $builder<T> {
                $builder::new(self.clone())
            })*
        }
    };
}

extension! {
    /// The `objects` operations (lakeFS's `ObjectsApi`): read, list, delete and copy objects.
    ///
    /// ```no_run
    /// # async fn run(client: lakefs_client::Client<lakefs_transport::fake::FakeTransport>) -> Result<(), lakefs_api::Error> {
    /// use futures_util::TryStreamExt;
    /// use lakefs_api::ObjectsApi;
    ///
    /// let objects: Vec<_> = client
    ///     .list_objects()
    ///     .repository("my-repo")
    ///     .reference("main")
    ///     .prefix("data/")
    ///     .into_stream()
    ///     .try_collect()
    ///     .await?;
    /// let head = client
    ///     .get_object()
    ///     .repository("my-repo")
    ///     .reference("main")
    ///     .path("data/part-0.parquet")
    ///     .range(0..=1023)
    ///     .send()
    ///     .await?;
    /// # Ok(()) }
    /// ```
    ObjectsApi {
        /// `statObject`: an object's metadata at a ref.
        stat_object => StatObjectRequest,
        /// `listObjects`: the objects at a ref, a page or a `Stream`.
        list_objects => ListObjectsRequest,
        /// `getObject`: an object's bytes, or a range of them.
        get_object => GetObjectRequest,
        /// `headObject`: an object's headers.
        head_object => HeadObjectRequest,
        /// `deleteObject`: deletes an object from a branch.
        delete_object => DeleteObjectRequest,
        /// `deleteObjects`: deletes up to 1,000 objects from a branch.
        delete_objects => DeleteObjectsRequest,
        /// `copyObject`: copies an object to a path on a branch.
        copy_object => CopyObjectRequest,
        /// `uploadObject`: writes an object's bytes through lakeFS.
        upload_object => UploadObjectRequest,
    }
}

extension! {
    /// The `commits` operations (lakeFS's `CommitsApi`).
    ///
    /// ```no_run
    /// # async fn run(client: lakefs_client::Client<lakefs_transport::fake::FakeTransport>) -> Result<(), lakefs_api::Error> {
    /// use lakefs_api::CommitsApi;
    ///
    /// let commit = client
    ///     .commit()
    ///     .repository("my-repo")
    ///     .branch("ingest")
    ///     .message("October's data")
    ///     .meta("source", "etl")
    ///     .send()
    ///     .await?;
    /// # Ok(()) }
    /// ```
    CommitsApi {
        /// `commit`: commits a branch's uncommitted changes.
        commit => CommitRequest,
        /// `getCommit`: one commit.
        get_commit => GetCommitRequest,
    }
}

extension! {
    /// The `refs` operation this crate implements (lakeFS's `RefsApi`): the commit log.
    RefsApi {
        /// `logCommits`: the commits reachable from a ref, newest first.
        log_commits => LogCommitsRequest,
    }
}

extension! {
    /// The `branches` operations (lakeFS's `BranchesApi`).
    BranchesApi {
        /// `createBranch`: a new branch from any ref.
        create_branch => CreateBranchRequest,
        /// `listBranches`: a repository's branches, a page or a `Stream`.
        list_branches => ListBranchesRequest,
        /// `getBranch`: a branch and its commit.
        get_branch => GetBranchRequest,
        /// `deleteBranch`: deletes a branch.
        delete_branch => DeleteBranchRequest,
        /// `diffBranch`: a branch's uncommitted changes, a page or a `Stream`.
        diff_branch => DiffBranchRequest,
        /// `resetBranch`: discards uncommitted changes.
        reset_branch => ResetBranchRequest,
    }
}

extension! {
    /// The `repositories` operations this crate implements (lakeFS's `RepositoriesApi`).
    RepositoriesApi {
        /// `getRepository`: one repository.
        get_repository => GetRepositoryRequest,
        /// `listRepositories`: the repositories, a page or a `Stream`.
        list_repositories => ListRepositoriesRequest,
    }
}
