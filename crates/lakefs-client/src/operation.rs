//! The operations, by name, with what makes each safe or unsafe to repeat.

use std::fmt;

use http::Method;

/// A lakeFS v1.84.0 operation this SDK implements: the 18 the spec tags `experimental`
/// ([`Operation::EXPERIMENTAL`]) and the 19 stable ones ([`Operation::STABLE`]). Errors carry it
/// so that a failure says which call failed; retries consult [`Operation::is_idempotent`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Operation {
    /// `createPresignMultipartUpload`: POST `/repositories/{repository}/branches/{branch}/staging/pmpu`.
    CreatePresignMultipartUpload,
    /// `completePresignMultipartUpload`: PUT `…/staging/pmpu/{uploadId}`.
    CompletePresignMultipartUpload,
    /// `abortPresignMultipartUpload`: DELETE `…/staging/pmpu/{uploadId}`.
    AbortPresignMultipartUpload,
    /// `uploadPart`: PUT `…/staging/pmpu/{uploadId}/parts/{partNumber}` (a fresh part URL).
    UploadPart,
    /// `uploadPartCopy`: PUT `…/staging/pmpu/{uploadId}/parts/{partNumber}/copy`.
    UploadPartCopy,
    /// `createUserExternalPrincipal`: POST `/auth/users/{userId}/external/principals`.
    CreateUserExternalPrincipal,
    /// `deleteUserExternalPrincipal`: DELETE `/auth/users/{userId}/external/principals`.
    DeleteUserExternalPrincipal,
    /// `getExternalPrincipal`: GET `/auth/external/principals`.
    GetExternalPrincipal,
    /// `listUserExternalPrincipals`: GET `/auth/users/{userId}/external/principals/ls`.
    ListUserExternalPrincipals,
    /// `externalPrincipalLogin`: POST `/auth/external/principal/login` (sent without
    /// credentials).
    ExternalPrincipalLogin,
    /// `hardResetBranch`: PUT `/repositories/{repository}/branches/{branch}/hard_reset`.
    HardResetBranch,
    /// `updateObjectUserMetadata`: PUT
    /// `/repositories/{repository}/branches/{branch}/objects/stat/user_metadata`.
    UpdateObjectUserMetadata,
    /// `stsLogin`: POST `/sts/login` (sent without credentials).
    StsLogin,
    /// `listPullRequests`: GET `/repositories/{repository}/pulls`.
    ListPullRequests,
    /// `createPullRequest`: POST `/repositories/{repository}/pulls`.
    CreatePullRequest,
    /// `getPullRequest`: GET `/repositories/{repository}/pulls/{pull_request}`.
    GetPullRequest,
    /// `updatePullRequest`: PATCH `/repositories/{repository}/pulls/{pull_request}`.
    UpdatePullRequest,
    /// `mergePullRequest`: PUT `/repositories/{repository}/pulls/{pull_request}/merge`.
    MergePullRequest,
    /// `statObject`: GET `/repositories/{repository}/refs/{ref}/objects/stat`.
    StatObject,
    /// `listObjects`: GET `/repositories/{repository}/refs/{ref}/objects/ls`.
    ListObjects,
    /// `getObject`: GET `/repositories/{repository}/refs/{ref}/objects`.
    GetObject,
    /// `headObject`: HEAD `/repositories/{repository}/refs/{ref}/objects`.
    HeadObject,
    /// `deleteObject`: DELETE `/repositories/{repository}/branches/{branch}/objects`.
    DeleteObject,
    /// `deleteObjects`: POST `/repositories/{repository}/branches/{branch}/objects/delete`.
    DeleteObjects,
    /// `copyObject`: POST `/repositories/{repository}/branches/{branch}/objects/copy`.
    CopyObject,
    /// `uploadObject`: POST `/repositories/{repository}/branches/{branch}/objects` (the bytes
    /// in the body, through lakeFS).
    UploadObject,
    /// `commit`: POST `/repositories/{repository}/branches/{branch}/commits`.
    Commit,
    /// `getCommit`: GET `/repositories/{repository}/commits/{commitId}`.
    GetCommit,
    /// `logCommits`: GET `/repositories/{repository}/refs/{ref}/commits`.
    LogCommits,
    /// `createBranch`: POST `/repositories/{repository}/branches`.
    CreateBranch,
    /// `listBranches`: GET `/repositories/{repository}/branches`.
    ListBranches,
    /// `getBranch`: GET `/repositories/{repository}/branches/{branch}`.
    GetBranch,
    /// `deleteBranch`: DELETE `/repositories/{repository}/branches/{branch}`.
    DeleteBranch,
    /// `diffBranch`: GET `/repositories/{repository}/branches/{branch}/diff`.
    DiffBranch,
    /// `resetBranch`: PUT `/repositories/{repository}/branches/{branch}`.
    ResetBranch,
    /// `getRepository`: GET `/repositories/{repository}`.
    GetRepository,
    /// `listRepositories`: GET `/repositories`.
    ListRepositories,
}

impl Operation {
    /// The 18 the spec tags `experimental`: the nine the SDK began with (multipart,
    /// principals, STS, hard reset) first.
    pub const EXPERIMENTAL: [Self; 18] = [
        Self::CreatePresignMultipartUpload,
        Self::CompletePresignMultipartUpload,
        Self::AbortPresignMultipartUpload,
        Self::CreateUserExternalPrincipal,
        Self::DeleteUserExternalPrincipal,
        Self::GetExternalPrincipal,
        Self::ListUserExternalPrincipals,
        Self::HardResetBranch,
        Self::StsLogin,
        Self::ExternalPrincipalLogin,
        Self::UploadPart,
        Self::UploadPartCopy,
        Self::UpdateObjectUserMetadata,
        Self::ListPullRequests,
        Self::CreatePullRequest,
        Self::GetPullRequest,
        Self::UpdatePullRequest,
        Self::MergePullRequest,
    ];

    /// The 19 stable operations of the objects, commits, branches, refs and repositories
    /// tags that a data workflow needs.
    pub const STABLE: [Self; 19] = [
        Self::StatObject,
        Self::ListObjects,
        Self::GetObject,
        Self::HeadObject,
        Self::DeleteObject,
        Self::DeleteObjects,
        Self::CopyObject,
        Self::UploadObject,
        Self::Commit,
        Self::GetCommit,
        Self::LogCommits,
        Self::CreateBranch,
        Self::ListBranches,
        Self::GetBranch,
        Self::DeleteBranch,
        Self::DiffBranch,
        Self::ResetBranch,
        Self::GetRepository,
        Self::ListRepositories,
    ];

    /// The spec's `operationId`.
    #[must_use]
    pub const fn id(self) -> &'static str {
        match self {
            Self::CreatePresignMultipartUpload => "createPresignMultipartUpload",
            Self::CompletePresignMultipartUpload => "completePresignMultipartUpload",
            Self::AbortPresignMultipartUpload => "abortPresignMultipartUpload",
            Self::UploadPart => "uploadPart",
            Self::UploadPartCopy => "uploadPartCopy",
            Self::CreateUserExternalPrincipal => "createUserExternalPrincipal",
            Self::DeleteUserExternalPrincipal => "deleteUserExternalPrincipal",
            Self::GetExternalPrincipal => "getExternalPrincipal",
            Self::ListUserExternalPrincipals => "listUserExternalPrincipals",
            Self::ExternalPrincipalLogin => "externalPrincipalLogin",
            Self::HardResetBranch => "hardResetBranch",
            Self::UpdateObjectUserMetadata => "updateObjectUserMetadata",
            Self::StsLogin => "stsLogin",
            Self::ListPullRequests => "listPullRequests",
            Self::CreatePullRequest => "createPullRequest",
            Self::GetPullRequest => "getPullRequest",
            Self::UpdatePullRequest => "updatePullRequest",
            Self::MergePullRequest => "mergePullRequest",
            Self::StatObject => "statObject",
            Self::ListObjects => "listObjects",
            Self::GetObject => "getObject",
            Self::HeadObject => "headObject",
            Self::DeleteObject => "deleteObject",
            Self::DeleteObjects => "deleteObjects",
            Self::CopyObject => "copyObject",
            Self::UploadObject => "uploadObject",
            Self::Commit => "commit",
            Self::GetCommit => "getCommit",
            Self::LogCommits => "logCommits",
            Self::CreateBranch => "createBranch",
            Self::ListBranches => "listBranches",
            Self::GetBranch => "getBranch",
            Self::DeleteBranch => "deleteBranch",
            Self::DiffBranch => "diffBranch",
            Self::ResetBranch => "resetBranch",
            Self::GetRepository => "getRepository",
            Self::ListRepositories => "listRepositories",
        }
    }

    /// The HTTP method the spec declares.
    #[must_use]
    pub fn method(self) -> Method {
        match self {
            Self::CreatePresignMultipartUpload
            | Self::CreateUserExternalPrincipal
            | Self::ExternalPrincipalLogin
            | Self::StsLogin
            | Self::CreatePullRequest
            | Self::DeleteObjects
            | Self::CopyObject
            | Self::UploadObject
            | Self::Commit
            | Self::CreateBranch => Method::POST,
            Self::CompletePresignMultipartUpload
            | Self::UploadPart
            | Self::UploadPartCopy
            | Self::HardResetBranch
            | Self::UpdateObjectUserMetadata
            | Self::MergePullRequest
            | Self::ResetBranch => Method::PUT,
            Self::AbortPresignMultipartUpload
            | Self::DeleteUserExternalPrincipal
            | Self::DeleteObject
            | Self::DeleteBranch => Method::DELETE,
            Self::HeadObject => Method::HEAD,
            Self::GetExternalPrincipal
            | Self::ListUserExternalPrincipals
            | Self::ListPullRequests
            | Self::GetPullRequest
            | Self::StatObject
            | Self::ListObjects
            | Self::GetObject
            | Self::GetCommit
            | Self::LogCommits
            | Self::ListBranches
            | Self::GetBranch
            | Self::DiffBranch
            | Self::GetRepository
            | Self::ListRepositories => Method::GET,
            Self::UpdatePullRequest => Method::PATCH,
        }
    }

    /// Whether sending the request twice has the same effect, and the same answer, as sending
    /// it once. Only such operations are retried after a failure that leaves it unknown
    /// whether the server acted (a reset mid-request, a timeout, a 502 or 504 from a proxy):
    ///
    /// | operation | idempotent | why |
    /// |---|---|---|
    /// | get / list external principals, list / get pull requests; stat, list, get, head object; get commit, log commits; get, list, diff branch; get, list repositories | yes | reads |
    /// | delete object | yes | deleting a path that is not there answers 204 like the first delete |
    /// | delete objects | yes | the same: paths already gone are not errors |
    /// | copy object | yes | a repeat writes the same bytes and metadata to the same path again (a new physical address) |
    /// | reset branch | yes | discarding the same uncommitted changes twice ends in the same state (nothing to reset is 204) |
    /// | upload part | yes | it only signs a URL; each call returns a fresh one and changes nothing on the server |
    /// | upload part copy | yes | S3's UploadPartCopy replaces the part with the same bytes and the same ETag |
    /// | hard reset branch | yes | resetting to the same ref twice ends in the same state |
    /// | update object user metadata | yes | it replaces the whole metadata with the same map |
    /// | update pull request | yes | it sets the same title, description and status again (only a close's `closed_date` moves) |
    /// | external principal login | yes | the server keeps no state per login; a repeat issues another, equally valid token |
    /// | upload object | no | with `If-None-Match: *` a repeat answers 412 although the first call wrote the object |
    /// | create presign multipart upload | no | a repeat starts a second upload and orphans the first |
    /// | complete / abort presign multipart upload | no | lakeFS before v1.22 accepts the upload's address only once: a repeat answers 400 although the first call succeeded |
    /// | create / delete external principal | no | a repeat answers 409 / 404 although the first call succeeded |
    /// | sts login | no | the identity provider's authorization code is single-use |
    /// | create pull request | no | the server allows duplicates: a repeat opens a second pull request |
    /// | merge pull request | no | a repeat answers 400 `bad pull request status` because the first merged it |
    /// | commit | no | a repeat answers 400 `commit: no changes`, or commits what others staged meanwhile as a second commit |
    /// | create branch | no | a repeat answers 409 although the first created it |
    /// | delete branch | no | a repeat answers 404 although the first deleted it |
    ///
    /// Every operation is retried when the failure proves the server did not act: the
    /// connection was never made, or the server refused with 420/429 (too many requests).
    /// A 503 does not prove it (see [`Error::proves_not_applied`](crate::Error::proves_not_applied)).
    /// The server behaviour behind each row, with its sources, is in
    /// `lakefs_experimental::server_notes` (section "Retries").
    #[must_use]
    pub const fn is_idempotent(self) -> bool {
        matches!(
            self,
            Self::GetExternalPrincipal
                | Self::ListUserExternalPrincipals
                | Self::ListPullRequests
                | Self::GetPullRequest
                | Self::UploadPart
                | Self::UploadPartCopy
                | Self::HardResetBranch
                | Self::UpdateObjectUserMetadata
                | Self::UpdatePullRequest
                | Self::ExternalPrincipalLogin
                | Self::StatObject
                | Self::ListObjects
                | Self::GetObject
                | Self::HeadObject
                | Self::DeleteObject
                | Self::DeleteObjects
                | Self::CopyObject
                | Self::GetCommit
                | Self::LogCommits
                | Self::ListBranches
                | Self::GetBranch
                | Self::DiffBranch
                | Self::ResetBranch
                | Self::GetRepository
                | Self::ListRepositories
        )
    }

    /// Whether the operation sends credentials (all but `stsLogin` and
    /// `externalPrincipalLogin`, whose spec says `security: []`).
    #[must_use]
    pub const fn is_authenticated(self) -> bool {
        !matches!(self, Self::StsLogin | Self::ExternalPrincipalLogin)
    }
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}
