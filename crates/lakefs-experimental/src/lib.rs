//! The 18 lakeFS `ExperimentalApi` operations (lakeFS v1.84.0), generic over the HTTP
//! transport.
//!
//! Each operation is a method of [`ExperimentalApi`], an extension of the lakeFS
//! [`Client`](ExperimentalClient) of `lakefs-client`, that returns a request builder: every
//! argument is named at the call site, a missing required one is an
//! [`ErrorKind::InvalidArgument`] naming it before anything is sent, and `timeout` /
//! `retry_policy` override the client's settings for one call.
//!
//! | topic | methods of [`ExperimentalApi`] |
//! |---|---|
//! | presigned multipart upload | [`create_presign_multipart_upload`](ExperimentalApi::create_presign_multipart_upload), [`complete_presign_multipart_upload`](ExperimentalApi::complete_presign_multipart_upload), [`abort_presign_multipart_upload`](ExperimentalApi::abort_presign_multipart_upload), [`upload_part`](ExperimentalApi::upload_part), [`upload_part_copy`](ExperimentalApi::upload_part_copy) |
//! | objects | [`update_object_user_metadata`](ExperimentalApi::update_object_user_metadata) |
//! | external principals | [`create_user_external_principal`](ExperimentalApi::create_user_external_principal), [`delete_user_external_principal`](ExperimentalApi::delete_user_external_principal), [`get_external_principal`](ExperimentalApi::get_external_principal), [`list_user_external_principals`](ExperimentalApi::list_user_external_principals) (a page, or every item as a `Stream`), [`external_principal_login`](ExperimentalApi::external_principal_login) (sent without credentials) |
//! | branches | [`hard_reset_branch`](ExperimentalApi::hard_reset_branch) |
//! | STS | [`sts_login`](ExperimentalApi::sts_login) (sent without credentials) |
//! | pull requests | [`list_pull_requests`](ExperimentalApi::list_pull_requests) (a page, or a `Stream`), [`create_pull_request`](ExperimentalApi::create_pull_request), [`get_pull_request`](ExperimentalApi::get_pull_request), [`update_pull_request`](ExperimentalApi::update_pull_request), [`merge_pull_request`](ExperimentalApi::merge_pull_request) |
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
//! use lakefs_experimental::{Credentials, ExperimentalApi, ExperimentalClient};
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

mod api;
pub mod operations;

pub use api::ExperimentalApi;
/// The lakeFS client of `lakefs-client`, under the name this crate's users know: the
/// operations are the methods of [`ExperimentalApi`].
pub use lakefs_client::Client as ExperimentalClient;
pub use lakefs_client::{
    models, retry, ClientBuilder, CookieScheme, Credentials, Error, ErrorKind, Operation,
    RetryPolicy, SecretString, ENV_ACCESS_KEY_ID, ENV_ENDPOINT, ENV_SECRET_ACCESS_KEY,
};
pub use operations::{PullRequestFilter, MAX_PARTS};

/// Server behaviour each operation relies on, with the lakeFS sources it was read from.
#[doc = include_str!("../docs.md")]
pub mod server_notes {}
