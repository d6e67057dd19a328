//! # lakefs
//!
//! A Rust SDK for lakeFS: the experimental API and the stable operations a data workflow
//! needs, a concurrent presigned multipart upload engine, a verified parallel download
//! engine, and an `object_store::ObjectStore` over both. This crate is a facade: it re-exports the workspace's crates so that one
//! dependency brings everything; each can also be used on its own.
//!
//! | module | crate | what it holds |
//! |---|---|---|
//! | [`models`] | `lakefs-models` | serde types, one per schema of the OpenAPI spec |
//! | [`transport`] | `lakefs-transport` | the `HttpTransport` trait, the hyper transport, the fake |
//! | [`experimental`] | `lakefs-experimental` | the 18 `ExperimentalApi` operations as request builders, auth, errors, retries |
//! | [`client`] | `lakefs-client` | the client core: endpoint, credentials, retries, errors |
//! | [`api`] | `lakefs-api` | the stable operations: objects, commits, refs, branches, repositories |
//! | [`multipart`] | `lakefs-multipart` | the concurrent presigned multipart upload engine |
//! | [`download`] | `lakefs-download` | the parallel, verified, resumable download engine |
//! | [`object_store`] | `lakefs-object-store` | `LakeFsStore`, an `object_store::ObjectStore` for `lakefs://repository/ref` (DataFusion, Polars, delta-rs, arrow's Parquet) |
//!
//! Features: `hyper` (default) turns on the hyper + rustls transport; `fake` the in-memory
//! fake transport for tests.
//!
//! An upload over real HTTP to the lakeFS emulator (against a real lakeFS, build the client
//! with `ExperimentalClient::from_env()?.build()?`, which reads lakectl's variables):
//!
//! ```
//! use lakefs::experimental::{Credentials, ExperimentalClient};
//! use lakefs::multipart::{UploadConfig, UploadSource, Uploader};
//! use lakefs_emulator::{serve, Emulator, DEFAULT_ACCESS_KEY_ID, DEFAULT_SECRET_ACCESS_KEY};
//!
//! # tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap().block_on(async {
//! let lakefs = serve(Emulator::new()).await?; // on 127.0.0.1, a free port
//! let client = ExperimentalClient::builder()
//!     .endpoint(lakefs.url())
//!     .credentials(Credentials::basic(DEFAULT_ACCESS_KEY_ID, DEFAULT_SECRET_ACCESS_KEY))
//!     .build()?;
//! let uploader = Uploader::new(client, UploadConfig::default());
//! let data = vec![42u8; 20 * 1024 * 1024];
//! let stats = uploader
//!     .upload("example-repo", "main", "data/answer.bin", UploadSource::bytes(data.clone()))
//!     .await?;
//! assert_eq!(stats.size_bytes, Some(data.len() as i64));
//! assert_eq!(lakefs.emulator().object("example-repo", "main", "data/answer.bin").unwrap(), data);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # }).unwrap();
//! ```

#![forbid(unsafe_code)]

pub use lakefs_api as api;
pub use lakefs_client as client;
pub use lakefs_download as download;
pub use lakefs_experimental as experimental;
pub use lakefs_models as models;
pub use lakefs_multipart as multipart;
pub use lakefs_object_store as object_store;
pub use lakefs_transport as transport;

/// The README's code examples, compiled as doctests so they cannot rot.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;

/// The code examples of the `docs/` pages, compiled as doctests like the README's.
#[cfg(doctest)]
pub mod docs_doctests {
    /// `docs/library.md`.
    #[doc = include_str!("../docs/library.md")]
    pub struct Library;
    /// `docs/uploading.md`.
    #[doc = include_str!("../docs/uploading.md")]
    pub struct Uploading;
    /// `docs/object-store.md`.
    #[doc = include_str!("../docs/object-store.md")]
    pub struct ObjectStore;
    /// `docs/transport.md`.
    #[doc = include_str!("../docs/transport.md")]
    pub struct Transport;
    /// `docs/cli.md`.
    #[doc = include_str!("../docs/cli.md")]
    pub struct Cli;
    /// `docs/performance.md`.
    #[doc = include_str!("../docs/performance.md")]
    pub struct Performance;
}
