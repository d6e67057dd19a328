//! The 18 lakeFS `ExperimentalApi` operations (lakeFS v1.84.0), generic over the HTTP
//! transport.
//!
//! Each operation is a method of [`ExperimentalClient`] that returns a request builder: every
//! argument is named at the call site, a missing required one is an
//! [`ErrorKind::InvalidArgument`] naming it before anything is sent, and `timeout` /
//! `retry_policy` override the client's settings for one call.
//!
//! | topic | methods of [`ExperimentalClient`] |
//! |---|---|
//! | presigned multipart upload | [`create_presign_multipart_upload`](ExperimentalClient::create_presign_multipart_upload), [`complete_presign_multipart_upload`](ExperimentalClient::complete_presign_multipart_upload), [`abort_presign_multipart_upload`](ExperimentalClient::abort_presign_multipart_upload), [`upload_part`](ExperimentalClient::upload_part), [`upload_part_copy`](ExperimentalClient::upload_part_copy) |
//! | objects | [`update_object_user_metadata`](ExperimentalClient::update_object_user_metadata) |
//! | external principals | [`create_user_external_principal`](ExperimentalClient::create_user_external_principal), [`delete_user_external_principal`](ExperimentalClient::delete_user_external_principal), [`get_external_principal`](ExperimentalClient::get_external_principal), [`list_user_external_principals`](ExperimentalClient::list_user_external_principals) (a page, or every item as a `Stream`), [`external_principal_login`](ExperimentalClient::external_principal_login) (sent without credentials) |
//! | branches | [`hard_reset_branch`](ExperimentalClient::hard_reset_branch) |
//! | STS | [`sts_login`](ExperimentalClient::sts_login) (sent without credentials) |
//! | pull requests | [`list_pull_requests`](ExperimentalClient::list_pull_requests) (a page, or a `Stream`), [`create_pull_request`](ExperimentalClient::create_pull_request), [`get_pull_request`](ExperimentalClient::get_pull_request), [`update_pull_request`](ExperimentalClient::update_pull_request), [`merge_pull_request`](ExperimentalClient::merge_pull_request) |
//!
//! Every path segment and query value is percent-encoded; optional parameters are omitted
//! when unset. Credentials are one of the spec's five schemes ([`Credentials`]). Failures are
//! typed per status ([`Error`]), and retried by a [`RetryPolicy`] only where a repeat is safe
//! ([`Operation::is_idempotent`]). What the server does for each operation, with the lakeFS
//! sources and releases it was read from, is in [`server_notes`].
//!
//! ```
//! use bytes::Bytes;
//! use lakefs_emulator::{Emulator, DEFAULT_ACCESS_KEY_ID, DEFAULT_SECRET_ACCESS_KEY};
//! use lakefs_experimental::{Credentials, ExperimentalClient};
//! use lakefs_transport::{fake::FakeTransport, HttpTransport};
//!
//! # tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap().block_on(async {
//! // An in-memory lakeFS behind an in-memory transport; against a real one, build the client
//! // with `ExperimentalClient::from_env()?.build()?` (lakectl's variables) instead.
//! let lakefs = Emulator::new();
//! let transport = FakeTransport::new();
//! let server = lakefs.clone();
//! transport.fallback(move |request, _| Ok(server.handle(request)));
//! let client = ExperimentalClient::builder()
//!     .endpoint("http://lakefs.local")
//!     .credentials(Credentials::basic(DEFAULT_ACCESS_KEY_ID, DEFAULT_SECRET_ACCESS_KEY))
//!     .build_with_transport(transport)?;
//!
//! // A one-part presigned upload: create, PUT the part straight to the store, complete.
//! let upload = client
//!     .create_presign_multipart_upload()
//!     .repository("example-repo")
//!     .branch("main")
//!     .path("hello.txt")
//!     .parts(1)
//!     .send()
//!     .await?;
//! let url = upload.presigned_urls.as_deref().unwrap_or_default()[0].clone();
//! let put = http::Request::put(url).body(Bytes::from("hello"))?; // no lakeFS credentials
//! let stored = client.transport().send(put).await?;
//! let etag = stored.headers()["etag"].to_str()?.trim_matches('"').to_owned();
//! let stats = client
//!     .complete_presign_multipart_upload()
//!     .repository("example-repo")
//!     .branch("main")
//!     .path("hello.txt")
//!     .upload(&upload)
//!     .part(1, etag)
//!     .send()
//!     .await?;
//! assert_eq!(stats.size_bytes, Some(5));
//! assert_eq!(lakefs.object("example-repo", "main", "hello.txt").unwrap(), "hello");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # }).unwrap();
//! ```

#![forbid(unsafe_code)]

mod builder;
mod call;
mod client;
mod credentials;
mod endpoint;
mod error;
mod operation;
pub mod operations;
mod paginate;
mod request;
pub mod retry;

pub use builder::{ClientBuilder, ENV_ACCESS_KEY_ID, ENV_ENDPOINT, ENV_SECRET_ACCESS_KEY};
pub use client::ExperimentalClient;
pub use credentials::{CookieScheme, Credentials, SecretString};
pub use error::{Error, ErrorKind};
pub use operation::Operation;
pub use operations::{PullRequestFilter, MAX_PARTS};
pub use retry::RetryPolicy;

/// Re-exported so that users need not depend on the models crate directly.
pub use lakefs_models as models;

/// Server behaviour each operation relies on, with the lakeFS sources it was read from.
#[doc = include_str!("../docs.md")]
pub mod server_notes {}
