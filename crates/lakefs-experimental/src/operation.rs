//! The nine operations, by name, with what makes each safe or unsafe to repeat.

use std::fmt;

use http::Method;

/// One of the nine `ExperimentalApi` operations. Errors carry it so that a failure says which
/// call failed; retries consult [`Operation::is_idempotent`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Operation {
    /// `createPresignMultipartUpload`: POST `/repositories/{repository}/branches/{branch}/staging/pmpu`.
    CreatePresignMultipartUpload,
    /// `completePresignMultipartUpload`: PUT `…/staging/pmpu/{uploadId}`.
    CompletePresignMultipartUpload,
    /// `abortPresignMultipartUpload`: DELETE `…/staging/pmpu/{uploadId}`.
    AbortPresignMultipartUpload,
    /// `createUserExternalPrincipal`: POST `/auth/users/{userId}/external/principals`.
    CreateUserExternalPrincipal,
    /// `deleteUserExternalPrincipal`: DELETE `/auth/users/{userId}/external/principals`.
    DeleteUserExternalPrincipal,
    /// `getExternalPrincipal`: GET `/auth/external/principals`.
    GetExternalPrincipal,
    /// `listUserExternalPrincipals`: GET `/auth/users/{userId}/external/principals/ls`.
    ListUserExternalPrincipals,
    /// `hardResetBranch`: PUT `/repositories/{repository}/branches/{branch}/hard_reset`.
    HardResetBranch,
    /// `stsLogin`: POST `/sts/login` (sent without credentials).
    StsLogin,
}

impl Operation {
    /// All nine, in the order of the spec digest.
    pub const ALL: [Self; 9] = [
        Self::CreatePresignMultipartUpload,
        Self::CompletePresignMultipartUpload,
        Self::AbortPresignMultipartUpload,
        Self::CreateUserExternalPrincipal,
        Self::DeleteUserExternalPrincipal,
        Self::GetExternalPrincipal,
        Self::ListUserExternalPrincipals,
        Self::HardResetBranch,
        Self::StsLogin,
    ];

    /// The spec's `operationId`.
    #[must_use]
    pub const fn id(self) -> &'static str {
        match self {
            Self::CreatePresignMultipartUpload => "createPresignMultipartUpload",
            Self::CompletePresignMultipartUpload => "completePresignMultipartUpload",
            Self::AbortPresignMultipartUpload => "abortPresignMultipartUpload",
            Self::CreateUserExternalPrincipal => "createUserExternalPrincipal",
            Self::DeleteUserExternalPrincipal => "deleteUserExternalPrincipal",
            Self::GetExternalPrincipal => "getExternalPrincipal",
            Self::ListUserExternalPrincipals => "listUserExternalPrincipals",
            Self::HardResetBranch => "hardResetBranch",
            Self::StsLogin => "stsLogin",
        }
    }

    /// The HTTP method the spec declares.
    #[must_use]
    pub fn method(self) -> Method {
        match self {
            Self::CreatePresignMultipartUpload
            | Self::CreateUserExternalPrincipal
            | Self::StsLogin => Method::POST,
            Self::CompletePresignMultipartUpload | Self::HardResetBranch => Method::PUT,
            Self::AbortPresignMultipartUpload | Self::DeleteUserExternalPrincipal => Method::DELETE,
            Self::GetExternalPrincipal | Self::ListUserExternalPrincipals => Method::GET,
        }
    }

    /// Whether sending the request twice has the same effect, and the same answer, as sending
    /// it once. Only such operations are retried after a failure that leaves it unknown
    /// whether the server acted (a reset mid-request, a 502 or 504 from a proxy):
    ///
    /// | operation | idempotent | why |
    /// |---|---|---|
    /// | get / list external principals | yes | reads |
    /// | hard reset branch | yes | resetting to the same ref twice ends in the same state |
    /// | create presign multipart upload | no | a repeat starts a second upload and orphans the first |
    /// | complete / abort presign multipart upload | no | servers v1.16–v1.21 delete the single-use address on first use; a repeat answers 400 "bad address token" even though the first call succeeded (digest §5.2) |
    /// | create / delete external principal | no | a repeat answers 409 / 404 although the first call succeeded |
    /// | sts login | no | the identity provider's authorization code is single-use |
    ///
    /// Every operation is retried when the failure proves the server did not act: the
    /// connection was never made, or the server refused with 420/429 (too many requests) or
    /// 503 (throttled).
    #[must_use]
    pub const fn is_idempotent(self) -> bool {
        matches!(
            self,
            Self::GetExternalPrincipal | Self::ListUserExternalPrincipals | Self::HardResetBranch
        )
    }

    /// Whether the operation sends credentials (all but `stsLogin`, whose spec says
    /// `security: []`).
    #[must_use]
    pub const fn is_authenticated(self) -> bool {
        !matches!(self, Self::StsLogin)
    }
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}
