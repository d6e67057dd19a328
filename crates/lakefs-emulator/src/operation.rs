//! The 18 operations of the `experimental` tag, and the lakeFS release that added each.

/// One of the 18 operations tagged `experimental` in lakeFS v1.84.0's spec, as the emulator
/// knows it (a client's own list of them is `lakefs_experimental::Operation`).
///
/// Used to make an operation's route unknown, as on a lakeFS release older than the one that
/// added it ([`Emulator::set_operation_available`](crate::Emulator::set_operation_available)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum EmulatedOperation {
    /// `createPresignMultipartUpload`.
    CreatePresignMultipartUpload,
    /// `completePresignMultipartUpload`.
    CompletePresignMultipartUpload,
    /// `abortPresignMultipartUpload`.
    AbortPresignMultipartUpload,
    /// `uploadPart`: a fresh presigned URL for one part.
    UploadPart,
    /// `uploadPartCopy`: a part copied from an existing object.
    UploadPartCopy,
    /// `createUserExternalPrincipal`.
    CreateUserExternalPrincipal,
    /// `deleteUserExternalPrincipal`.
    DeleteUserExternalPrincipal,
    /// `getExternalPrincipal`.
    GetExternalPrincipal,
    /// `listUserExternalPrincipals`.
    ListUserExternalPrincipals,
    /// `externalPrincipalLogin`.
    ExternalPrincipalLogin,
    /// `hardResetBranch`.
    HardResetBranch,
    /// `stsLogin`.
    StsLogin,
    /// `updateObjectUserMetadata`.
    UpdateObjectUserMetadata,
    /// `listPullRequests`.
    ListPullRequests,
    /// `createPullRequest`.
    CreatePullRequest,
    /// `getPullRequest`.
    GetPullRequest,
    /// `updatePullRequest`.
    UpdatePullRequest,
    /// `mergePullRequest`.
    MergePullRequest,
}

impl EmulatedOperation {
    /// All 18, in the order of this enum.
    pub const ALL: [Self; 18] = [
        Self::CreatePresignMultipartUpload,
        Self::CompletePresignMultipartUpload,
        Self::AbortPresignMultipartUpload,
        Self::UploadPart,
        Self::UploadPartCopy,
        Self::CreateUserExternalPrincipal,
        Self::DeleteUserExternalPrincipal,
        Self::GetExternalPrincipal,
        Self::ListUserExternalPrincipals,
        Self::ExternalPrincipalLogin,
        Self::HardResetBranch,
        Self::StsLogin,
        Self::UpdateObjectUserMetadata,
        Self::ListPullRequests,
        Self::CreatePullRequest,
        Self::GetPullRequest,
        Self::UpdatePullRequest,
        Self::MergePullRequest,
    ];

    /// The spec's `operationId`, e.g. `"uploadPart"`.
    #[must_use]
    pub fn operation_id(self) -> &'static str {
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
            Self::StsLogin => "stsLogin",
            Self::UpdateObjectUserMetadata => "updateObjectUserMetadata",
            Self::ListPullRequests => "listPullRequests",
            Self::CreatePullRequest => "createPullRequest",
            Self::GetPullRequest => "getPullRequest",
            Self::UpdatePullRequest => "updatePullRequest",
            Self::MergePullRequest => "mergePullRequest",
        }
    }

    /// The first lakeFS release whose spec has the operation (`experimental.md` §1.1; before
    /// it, the route is unknown and the spec validator answers 400).
    #[must_use]
    pub fn introduced_in(self) -> &'static str {
        match self {
            Self::CreatePresignMultipartUpload
            | Self::CompletePresignMultipartUpload
            | Self::AbortPresignMultipartUpload => "v1.7.0",
            Self::HardResetBranch => "v1.8.0",
            Self::CreateUserExternalPrincipal
            | Self::DeleteUserExternalPrincipal
            | Self::GetExternalPrincipal
            | Self::ListUserExternalPrincipals => "v1.14.0",
            Self::StsLogin => "v1.15.0",
            Self::ExternalPrincipalLogin => "v1.18.0",
            Self::ListPullRequests
            | Self::CreatePullRequest
            | Self::GetPullRequest
            | Self::UpdatePullRequest => "v1.35.0",
            Self::MergePullRequest => "v1.36.0",
            Self::UpdateObjectUserMetadata => "v1.37.0",
            Self::UploadPart | Self::UploadPartCopy => "v1.55.0",
        }
    }
}

impl std::fmt::Display for EmulatedOperation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.operation_id())
    }
}
