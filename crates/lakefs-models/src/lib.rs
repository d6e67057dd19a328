//! Serde types for the schemas reached by the nine lakeFS `ExperimentalApi` operations.
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
//! * `path_type` is [`PathType`], which keeps values it does not know instead of failing.
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
mod error;
mod multipart;
mod object;
mod principal;
mod redact;

pub use auth::{AuthenticationToken, StsAuthRequest};
pub use error::Error;
pub use multipart::{
    AbortPresignMultipartUpload, CompletePresignMultipartUpload, PresignMultipartUpload,
    StagingLocation, UploadPart,
};
pub use object::{ObjectStats, ObjectUserMetadata, PathType};
pub use principal::{
    ExternalPrincipal, ExternalPrincipalCreation, ExternalPrincipalList, ExternalPrincipalSettings,
    Pagination,
};
pub use redact::redact_url;
