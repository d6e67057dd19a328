//! The 18 operations, as request builders returned by methods of
//! [`ExperimentalClient`](crate::ExperimentalClient), one module per topic.

mod branches;
mod external_principals;
mod objects;
mod parts;
mod presign_multipart;
mod pull_requests;
mod sts;

pub use branches::HardResetBranchRequest;
pub use external_principals::{
    CreateUserExternalPrincipalRequest, DeleteUserExternalPrincipalRequest,
    ExternalPrincipalLoginRequest, GetExternalPrincipalRequest, ListUserExternalPrincipalsRequest,
};
pub use objects::UpdateObjectUserMetadataRequest;
pub use parts::{UploadPartCopyRequest, UploadPartRequest};
pub use presign_multipart::{
    AbortPresignMultipartUploadRequest, CompletePresignMultipartUploadRequest,
    CreatePresignMultipartUploadRequest, MAX_PARTS,
};
pub use pull_requests::{
    CreatePullRequestRequest, GetPullRequestRequest, ListPullRequestsRequest,
    MergePullRequestRequest, PullRequestFilter, UpdatePullRequestRequest,
};
pub use sts::StsLoginRequest;
