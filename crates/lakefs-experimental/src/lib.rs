//! The nine lakeFS `ExperimentalApi` operations, generic over the HTTP transport.
//!
//! | topic | methods of [`ExperimentalClient`] |
//! |---|---|
//! | presigned multipart upload | [`create_presign_multipart_upload`](ExperimentalClient::create_presign_multipart_upload), [`complete_presign_multipart_upload`](ExperimentalClient::complete_presign_multipart_upload), [`abort_presign_multipart_upload`](ExperimentalClient::abort_presign_multipart_upload) |
//! | external principals | [`create_user_external_principal`](ExperimentalClient::create_user_external_principal), [`delete_user_external_principal`](ExperimentalClient::delete_user_external_principal), [`get_external_principal`](ExperimentalClient::get_external_principal), [`list_user_external_principals`](ExperimentalClient::list_user_external_principals) (+ [`list_all_user_external_principals`](ExperimentalClient::list_all_user_external_principals)) |
//! | branches | [`hard_reset_branch`](ExperimentalClient::hard_reset_branch) |
//! | STS | [`sts_login`](ExperimentalClient::sts_login) (sent without credentials) |
//!
//! Every path segment and query value is percent-encoded; optional parameters are omitted
//! when unset. Credentials are one of the spec's five schemes ([`Credentials`]). Failures are
//! typed per status ([`Error`]), and retried by a [`RetryPolicy`] only where a repeat is safe
//! ([`Operation::is_idempotent`]).
//!
//! ```
//! use lakefs_experimental::{Credentials, ExperimentalClient};
//! use lakefs_transport::fake::{self, FakeTransport};
//!
//! # tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap().block_on(async {
//! let transport = FakeTransport::new();
//! transport.route(http::Method::GET, "/api/v1/auth/external/principals", |_, _| {
//!     Ok(fake::json(http::StatusCode::OK, r#"{"id":"arn:aws:sts::1:assumed-role/r","user_id":"alice"}"#))
//! });
//! let client = ExperimentalClient::builder()
//!     .endpoint("http://localhost:8000")
//!     .credentials(Credentials::basic("AKIAEXAMPLE", "secret"))
//!     .build_with_transport(transport)?;
//! let principal = client.get_external_principal("arn:aws:sts::1:assumed-role/r").await?;
//! assert_eq!(principal.user_id, "alice");
//! # Ok::<(), lakefs_experimental::Error>(())
//! # }).unwrap();
//! ```

#![forbid(unsafe_code)]

mod client;
mod credentials;
mod error;
mod operation;
mod operations;
mod request;
mod retry;

pub use client::{
    ClientBuilder, ExperimentalClient, ENV_ACCESS_KEY_ID, ENV_ENDPOINT, ENV_SECRET_ACCESS_KEY,
};
pub use credentials::{CookieScheme, Credentials, SecretString};
pub use error::Error;
pub use operation::Operation;
pub use operations::{ListExternalPrincipals, MAX_PARTS};
pub use retry::RetryPolicy;

/// Re-exported so that users need not depend on the models crate directly.
pub use lakefs_models as models;
