//! Serde types for the schemas reached by the lakeFS operations this SDK implements: the 18
//! `ExperimentalApi` operations and the stable ones a data workflow needs (objects, commits,
//! branches and refs, repositories).
//!
//! One Rust type per schema of the official OpenAPI spec (`api/swagger.yml`, lakeFS v1.84.0),
//! with the JSON names exactly as the spec spells them:
//!
//! * required fields are plain fields, optional fields are [`Option`]s that are omitted from
//!   the JSON when `None`;
//! * `int64` integers are [`i64`];
//! * string maps are [`BTreeMap<String, String>`](std::collections::BTreeMap), so encoding is
//!   deterministic;
//! * every type ignores JSON fields it does not know, so a newer server never breaks decoding;
//! * `path_type` is [`PathType`] and a pull request's `status` is [`PullRequestStatus`]; both
//!   keep values they do not know instead of failing;
//! * every struct is `#[non_exhaustive]` and built with its `new` constructor (and `with_*`
//!   methods for optional fields), so a field added by a later spec is not a breaking change;
//!   fields stay public for reading and for setting optional values.
//!
//! Values that are secrets — presigned URL signatures, tokens, authorization codes — are
//! redacted in `Debug` output.
//!
//! This crate does no I/O and has no async code.
//!
//! ```
//! use lakefs_models::{CompletePresignMultipartUpload, UploadPart};
//!
//! let body = CompletePresignMultipartUpload::new(
//!     "s3://bucket/ns/data/abc,sig",
//!     vec![UploadPart::new(1, "9b2cf535f27731c974343645a3985328")],
//! );
//! let json = serde_json::to_value(&body).unwrap();
//! assert_eq!(json["parts"][0]["part_number"], 1);
//! assert!(json.get("content_type").is_none()); // omitted when unset
//! ```

#![forbid(unsafe_code)]

mod auth;
mod branch;
mod commit;
mod error;
mod multipart;
mod object;
mod object_list;
mod principal;
mod pull_request;
mod redact;
mod repository;
mod string_enum;

pub use auth::{AuthenticationToken, ExternalLoginInformation, StsAuthRequest};
pub use branch::{
    BranchCreation, Diff, DiffList, DiffObjectStat, DiffType, Ref, RefList, ResetCreation,
    ResetType,
};
pub use commit::{Commit, CommitCreation, CommitList};
pub use error::Error;
pub use multipart::{
    AbortPresignMultipartUpload, CompletePresignMultipartUpload, CopyPartSource,
    PresignMultipartUpload, StagingLocation, UploadPart, UploadPartCopyFrom, UploadPartFrom,
    UploadTo,
};
pub use object::{ObjectStats, ObjectUserMetadata, PathType, UpdateObjectUserMetadata};
pub use object_list::{
    ObjectCopyCreation, ObjectError, ObjectErrorList, ObjectStatsList, PathList,
};
pub use principal::{
    ExternalPrincipal, ExternalPrincipalCreation, ExternalPrincipalList, ExternalPrincipalSettings,
    Pagination,
};
pub use pull_request::{
    MergeResult, PullRequest, PullRequestBasic, PullRequestCreation, PullRequestCreationResponse,
    PullRequestStatus, PullRequestsList,
};
pub use redact::redact_url;
pub use repository::{Repository, RepositoryList};
