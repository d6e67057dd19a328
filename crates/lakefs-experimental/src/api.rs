//! [`ExperimentalApi`]: the 18 operations as methods of the [`Client`], each returning its
//! request builder.

use lakefs_client::Client;
use lakefs_transport::HttpTransport;

use crate::operations::{
    AbortPresignMultipartUploadRequest, CompletePresignMultipartUploadRequest,
    CreatePresignMultipartUploadRequest, CreatePullRequestRequest,
    CreateUserExternalPrincipalRequest, DeleteUserExternalPrincipalRequest,
    ExternalPrincipalLoginRequest, GetExternalPrincipalRequest, GetPullRequestRequest,
    HardResetBranchRequest, ListPullRequestsRequest, ListUserExternalPrincipalsRequest,
    MergePullRequestRequest, StsLoginRequest, UpdateObjectUserMetadataRequest,
    UpdatePullRequestRequest, UploadPartCopyRequest, UploadPartRequest,
};

/// The 18 operations lakeFS's spec tags `experimental`, as methods of the [`Client`] (named
/// after the Python SDK's `ExperimentalApi`). Bring it into scope — `use
/// lakefs_experimental::ExperimentalApi;` — and each method returns the operation's request
/// builder: name the arguments, then `send()` it.
pub trait ExperimentalApi<T> {
    /// `hardResetBranch`: points a branch at another ref.
    ///
    /// ```no_run
    /// # use lakefs_experimental::ExperimentalApi;
    /// # async fn run(client: lakefs_experimental::ExperimentalClient<lakefs_transport::fake::FakeTransport>) -> Result<(), lakefs_experimental::Error> {
    /// client
    ///     .hard_reset_branch()
    ///     .repository("my-repo")
    ///     .branch("feature/x")
    ///     .reference("main~1")
    ///     .send()
    ///     .await?;
    /// # Ok(()) }
    /// ```
    fn hard_reset_branch(&self) -> HardResetBranchRequest<T>;

    /// `createUserExternalPrincipal`: attaches an external principal to a user.
    ///
    /// ```no_run
    /// # use lakefs_experimental::ExperimentalApi;
    /// # async fn run(client: lakefs_experimental::ExperimentalClient<lakefs_transport::fake::FakeTransport>) -> Result<(), lakefs_experimental::Error> {
    /// client
    ///     .create_user_external_principal()
    ///     .user_id("alice")
    ///     .principal_id("arn:aws:sts::123456789012:assumed-role/data-eng")
    ///     .send()
    ///     .await?;
    /// # Ok(()) }
    /// ```
    fn create_user_external_principal(&self) -> CreateUserExternalPrincipalRequest<T>;

    /// `deleteUserExternalPrincipal`: detaches an external principal from a user.
    fn delete_user_external_principal(&self) -> DeleteUserExternalPrincipalRequest<T>;

    /// `getExternalPrincipal`: an external principal and its user.
    fn get_external_principal(&self) -> GetExternalPrincipalRequest<T>;

    /// `listUserExternalPrincipals`: a user's external principals, a page or a stream.
    ///
    /// ```no_run
    /// # use lakefs_experimental::ExperimentalApi;
    /// use futures_util::TryStreamExt;
    /// # async fn run(client: lakefs_experimental::ExperimentalClient<lakefs_transport::fake::FakeTransport>) -> Result<(), lakefs_experimental::Error> {
    /// let all: Vec<_> = client
    ///     .list_user_external_principals()
    ///     .user_id("alice")
    ///     .into_stream()
    ///     .try_collect()
    ///     .await?;
    /// # Ok(()) }
    /// ```
    fn list_user_external_principals(&self) -> ListUserExternalPrincipalsRequest<T>;

    /// `externalPrincipalLogin`: a lakeFS token for an external identity.
    fn external_principal_login(&self) -> ExternalPrincipalLoginRequest<T>;

    /// `updateObjectUserMetadata`: replaces an object's user metadata.
    ///
    /// ```no_run
    /// # use lakefs_experimental::ExperimentalApi;
    /// # async fn run(client: lakefs_experimental::ExperimentalClient<lakefs_transport::fake::FakeTransport>) -> Result<(), lakefs_experimental::Error> {
    /// client
    ///     .update_object_user_metadata()
    ///     .repository("my-repo")
    ///     .branch("main")
    ///     .path("data/big.parquet")
    ///     .entry("owner", "data-eng")
    ///     .send()
    ///     .await?;
    /// # Ok(()) }
    /// ```
    fn update_object_user_metadata(&self) -> UpdateObjectUserMetadataRequest<T>;

    /// `uploadPart`: a fresh presigned URL for one part.
    ///
    /// ```no_run
    /// # use lakefs_experimental::ExperimentalApi;
    /// # async fn run(client: lakefs_experimental::ExperimentalClient<lakefs_transport::fake::FakeTransport>) -> Result<(), lakefs_experimental::Error> {
    /// let url = client
    ///     .upload_part()
    ///     .repository("my-repo")
    ///     .branch("main")
    ///     .upload_id("the-upload-id")
    ///     .part_number(7)
    ///     .path("data/big.parquet")
    ///     .physical_address("s3://bucket/ns/data/g1/o1,sig")
    ///     .send()
    ///     .await?
    ///     .presigned_url;
    /// # Ok(()) }
    /// ```
    fn upload_part(&self) -> UploadPartRequest<T>;

    /// `uploadPartCopy`: a part copied from an object already in lakeFS.
    fn upload_part_copy(&self) -> UploadPartCopyRequest<T>;

    /// `createPresignMultipartUpload`: starts a multipart upload and presigns part URLs.
    ///
    /// ```no_run
    /// # use lakefs_experimental::ExperimentalApi;
    /// # async fn run(client: lakefs_experimental::ExperimentalClient<lakefs_transport::fake::FakeTransport>) -> Result<(), lakefs_experimental::Error> {
    /// let upload = client
    ///     .create_presign_multipart_upload()
    ///     .repository("my-repo")
    ///     .branch("main")
    ///     .path("data/big.parquet")
    ///     .parts(3)
    ///     .send()
    ///     .await?;
    /// # Ok(()) }
    /// ```
    fn create_presign_multipart_upload(&self) -> CreatePresignMultipartUploadRequest<T>;

    /// `completePresignMultipartUpload`: assembles the parts into the object.
    fn complete_presign_multipart_upload(&self) -> CompletePresignMultipartUploadRequest<T>;

    /// `abortPresignMultipartUpload`: discards the upload and its parts.
    fn abort_presign_multipart_upload(&self) -> AbortPresignMultipartUploadRequest<T>;

    /// `listPullRequests`: a repository's pull requests, a page or a stream.
    fn list_pull_requests(&self) -> ListPullRequestsRequest<T>;

    /// `createPullRequest`: opens a pull request.
    ///
    /// ```no_run
    /// # use lakefs_experimental::ExperimentalApi;
    /// # async fn run(client: lakefs_experimental::ExperimentalClient<lakefs_transport::fake::FakeTransport>) -> Result<(), lakefs_experimental::Error> {
    /// let created = client
    ///     .create_pull_request()
    ///     .repository("my-repo")
    ///     .title("Add October's data")
    ///     .source_branch("ingest-2026-10")
    ///     .destination_branch("main")
    ///     .send()
    ///     .await?;
    /// let merged = client
    ///     .merge_pull_request()
    ///     .repository("my-repo")
    ///     .pull_request(&created.id)
    ///     .send()
    ///     .await?;
    /// # Ok(()) }
    /// ```
    fn create_pull_request(&self) -> CreatePullRequestRequest<T>;

    /// `getPullRequest`: one pull request.
    fn get_pull_request(&self) -> GetPullRequestRequest<T>;

    /// `updatePullRequest`: changes a pull request's title, description or status.
    fn update_pull_request(&self) -> UpdatePullRequestRequest<T>;

    /// `mergePullRequest`: merges a pull request.
    fn merge_pull_request(&self) -> MergePullRequestRequest<T>;

    /// `stsLogin`: an identity provider's authorization code for a lakeFS token.
    ///
    /// ```no_run
    /// # use lakefs_experimental::ExperimentalApi;
    /// # async fn run(client: lakefs_experimental::ExperimentalClient<lakefs_transport::fake::FakeTransport>) -> Result<(), lakefs_experimental::Error> {
    /// let logged_in = client
    ///     .sts_login()
    ///     .code("code-from-the-idp")
    ///     .state("state-from-the-idp")
    ///     .redirect_uri("https://app.example/callback")
    ///     .ttl_seconds(900)
    ///     .send_and_use()
    ///     .await?;
    /// # Ok(()) }
    /// ```
    fn sts_login(&self) -> StsLoginRequest<T>;
}

impl<T: HttpTransport> ExperimentalApi<T> for Client<T> {
    fn hard_reset_branch(&self) -> HardResetBranchRequest<T> {
        HardResetBranchRequest::new(self.clone())
    }

    fn create_user_external_principal(&self) -> CreateUserExternalPrincipalRequest<T> {
        CreateUserExternalPrincipalRequest::new(self.clone())
    }

    fn delete_user_external_principal(&self) -> DeleteUserExternalPrincipalRequest<T> {
        DeleteUserExternalPrincipalRequest::new(self.clone())
    }

    fn get_external_principal(&self) -> GetExternalPrincipalRequest<T> {
        GetExternalPrincipalRequest::new(self.clone())
    }

    fn list_user_external_principals(&self) -> ListUserExternalPrincipalsRequest<T> {
        ListUserExternalPrincipalsRequest::new(self.clone())
    }

    fn external_principal_login(&self) -> ExternalPrincipalLoginRequest<T> {
        ExternalPrincipalLoginRequest::new(self.clone())
    }

    fn update_object_user_metadata(&self) -> UpdateObjectUserMetadataRequest<T> {
        UpdateObjectUserMetadataRequest::new(self.clone())
    }

    fn upload_part(&self) -> UploadPartRequest<T> {
        UploadPartRequest::new(self.clone())
    }

    fn upload_part_copy(&self) -> UploadPartCopyRequest<T> {
        UploadPartCopyRequest::new(self.clone())
    }

    fn create_presign_multipart_upload(&self) -> CreatePresignMultipartUploadRequest<T> {
        CreatePresignMultipartUploadRequest::new(self.clone())
    }

    fn complete_presign_multipart_upload(&self) -> CompletePresignMultipartUploadRequest<T> {
        CompletePresignMultipartUploadRequest::new(self.clone())
    }

    fn abort_presign_multipart_upload(&self) -> AbortPresignMultipartUploadRequest<T> {
        AbortPresignMultipartUploadRequest::new(self.clone())
    }

    fn list_pull_requests(&self) -> ListPullRequestsRequest<T> {
        ListPullRequestsRequest::new(self.clone())
    }

    fn create_pull_request(&self) -> CreatePullRequestRequest<T> {
        CreatePullRequestRequest::new(self.clone())
    }

    fn get_pull_request(&self) -> GetPullRequestRequest<T> {
        GetPullRequestRequest::new(self.clone())
    }

    fn update_pull_request(&self) -> UpdatePullRequestRequest<T> {
        UpdatePullRequestRequest::new(self.clone())
    }

    fn merge_pull_request(&self) -> MergePullRequestRequest<T> {
        MergePullRequestRequest::new(self.clone())
    }

    fn sts_login(&self) -> StsLoginRequest<T> {
        StsLoginRequest::new(self.clone())
    }
}
