//! Which operation a request is for.

use bytes::Bytes;
use http::{Method, Request};

use super::stable::Stable;
use crate::operation::EmulatedOperation;
use crate::signing::STORAGE_PREFIX;

/// The API's base path.
const BASE: &str = "/api/v1";

/// Which operation a request is for, with its decoded path parameters.
#[derive(Debug)]
pub(crate) enum Route {
    Create {
        repo: String,
        branch: String,
    },
    Complete {
        repo: String,
        branch: String,
        id: String,
    },
    Abort {
        repo: String,
        branch: String,
        id: String,
    },
    /// `uploadPart`; the part number as sent (the handler validates it).
    UploadPart {
        repo: String,
        branch: String,
        id: String,
        part: String,
    },
    UploadPartCopy {
        repo: String,
        branch: String,
        id: String,
        part: String,
    },
    HardReset {
        repo: String,
        branch: String,
    },
    UpdateMetadata {
        repo: String,
        branch: String,
    },
    /// `statObject` (not an experimental operation; the upload engine asks it after a complete
    /// whose answer was lost).
    StatObject {
        repo: String,
        reference: String,
    },
    Attach {
        user: String,
    },
    Detach {
        user: String,
    },
    List {
        user: String,
    },
    Get,
    ExternalLogin,
    StsLogin,
    ListPulls {
        repo: String,
    },
    CreatePull {
        repo: String,
    },
    GetPull {
        repo: String,
        id: String,
    },
    UpdatePull {
        repo: String,
        id: String,
    },
    MergePull {
        repo: String,
        id: String,
    },
    /// A stable (not `experimental`) operation.
    Stable(Stable),
    /// A request to the emulator's own store (a part PUT, an object GET by presigned URL):
    /// the path below the storage prefix, as sent.
    Storage(String),
    /// Outside `/api/v1`.
    NotFound,
    /// Under `/api/v1` but no operation of the spec.
    Unknown,
}

impl Route {
    pub(super) fn parse(request: &Request<Bytes>) -> Self {
        let path = request.uri().path();
        if let Some(rest) = path.strip_prefix(STORAGE_PREFIX) {
            return Self::Storage(rest.to_owned());
        }
        let Some(rest) = path.strip_prefix(BASE) else {
            return Self::NotFound;
        };
        // Split before decoding: a branch name may hold an encoded '/'.
        let segments: Vec<String> = rest
            .trim_start_matches('/')
            .split('/')
            .map(|s| {
                percent_encoding::percent_decode_str(s)
                    .decode_utf8_lossy()
                    .into_owned()
            })
            .collect();
        let segments: Vec<&str> = segments.iter().map(String::as_str).collect();
        if let Some(stable) = Stable::parse(request.method(), &segments) {
            return Self::Stable(stable);
        }
        let o = |s: &&str| (*s).to_owned();
        match (request.method(), segments.as_slice()) {
            (&Method::POST, ["sts", "login"]) => Self::StsLogin,
            (&Method::POST, ["auth", "external", "principal", "login"]) => Self::ExternalLogin,
            (&Method::POST, ["repositories", repo, "branches", branch, "staging", "pmpu"]) => {
                Self::Create {
                    repo: o(repo),
                    branch: o(branch),
                }
            }
            (&Method::PUT, ["repositories", repo, "branches", branch, "staging", "pmpu", id]) => {
                Self::Complete {
                    repo: o(repo),
                    branch: o(branch),
                    id: o(id),
                }
            }
            (
                &Method::DELETE,
                ["repositories", repo, "branches", branch, "staging", "pmpu", id],
            ) => Self::Abort {
                repo: o(repo),
                branch: o(branch),
                id: o(id),
            },
            (
                &Method::PUT,
                ["repositories", repo, "branches", branch, "staging", "pmpu", id, "parts", part],
            ) => Self::UploadPart {
                repo: o(repo),
                branch: o(branch),
                id: o(id),
                part: o(part),
            },
            (
                &Method::PUT,
                ["repositories", repo, "branches", branch, "staging", "pmpu", id, "parts", part, "copy"],
            ) => Self::UploadPartCopy {
                repo: o(repo),
                branch: o(branch),
                id: o(id),
                part: o(part),
            },
            (&Method::PUT, ["repositories", repo, "branches", branch, "hard_reset"]) => {
                Self::HardReset {
                    repo: o(repo),
                    branch: o(branch),
                }
            }
            (
                &Method::PUT,
                ["repositories", repo, "branches", branch, "objects", "stat", "user_metadata"],
            ) => Self::UpdateMetadata {
                repo: o(repo),
                branch: o(branch),
            },
            (&Method::GET, ["repositories", repo, "refs", reference, "objects", "stat"]) => {
                Self::StatObject {
                    repo: o(repo),
                    reference: o(reference),
                }
            }
            (&Method::GET, ["repositories", repo, "pulls"]) => Self::ListPulls { repo: o(repo) },
            (&Method::POST, ["repositories", repo, "pulls"]) => Self::CreatePull { repo: o(repo) },
            (&Method::GET, ["repositories", repo, "pulls", id]) => Self::GetPull {
                repo: o(repo),
                id: o(id),
            },
            (&Method::PATCH, ["repositories", repo, "pulls", id]) => Self::UpdatePull {
                repo: o(repo),
                id: o(id),
            },
            (&Method::PUT, ["repositories", repo, "pulls", id, "merge"]) => Self::MergePull {
                repo: o(repo),
                id: o(id),
            },
            (&Method::POST, ["auth", "users", user, "external", "principals"]) => {
                Self::Attach { user: o(user) }
            }
            (&Method::DELETE, ["auth", "users", user, "external", "principals"]) => {
                Self::Detach { user: o(user) }
            }
            (&Method::GET, ["auth", "users", user, "external", "principals", "ls"]) => {
                Self::List { user: o(user) }
            }
            (&Method::GET, ["auth", "external", "principals"]) => Self::Get,
            _ => Self::Unknown,
        }
    }

    /// The spec operation this route is, if any.
    pub(super) fn operation(&self) -> Option<EmulatedOperation> {
        Some(match self {
            Self::Create { .. } => EmulatedOperation::CreatePresignMultipartUpload,
            Self::Complete { .. } => EmulatedOperation::CompletePresignMultipartUpload,
            Self::Abort { .. } => EmulatedOperation::AbortPresignMultipartUpload,
            Self::UploadPart { .. } => EmulatedOperation::UploadPart,
            Self::UploadPartCopy { .. } => EmulatedOperation::UploadPartCopy,
            Self::HardReset { .. } => EmulatedOperation::HardResetBranch,
            Self::UpdateMetadata { .. } => EmulatedOperation::UpdateObjectUserMetadata,
            Self::Attach { .. } => EmulatedOperation::CreateUserExternalPrincipal,
            Self::Detach { .. } => EmulatedOperation::DeleteUserExternalPrincipal,
            Self::List { .. } => EmulatedOperation::ListUserExternalPrincipals,
            Self::Get => EmulatedOperation::GetExternalPrincipal,
            Self::ExternalLogin => EmulatedOperation::ExternalPrincipalLogin,
            Self::StsLogin => EmulatedOperation::StsLogin,
            Self::ListPulls { .. } => EmulatedOperation::ListPullRequests,
            Self::CreatePull { .. } => EmulatedOperation::CreatePullRequest,
            Self::GetPull { .. } => EmulatedOperation::GetPullRequest,
            Self::UpdatePull { .. } => EmulatedOperation::UpdatePullRequest,
            Self::MergePull { .. } => EmulatedOperation::MergePullRequest,
            Self::StatObject { .. }
            | Self::Stable(_)
            | Self::Storage(_)
            | Self::NotFound
            | Self::Unknown => return None,
        })
    }

    /// Whether the operation is called without credentials (`security: []`).
    pub(super) fn is_public(&self) -> bool {
        matches!(self, Self::StsLogin | Self::ExternalLogin)
    }

    /// Whether the operation calls the S3 server when parts live there (feature `s3`).
    pub(super) fn needs_s3(&self) -> bool {
        matches!(
            self,
            Self::Create { .. }
                | Self::Complete { .. }
                | Self::Abort { .. }
                | Self::UploadPartCopy { .. }
        )
    }
}
