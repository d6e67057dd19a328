//! A concurrent, memory-bounded presigned multipart upload engine for lakeFS.
//!
//! [`Uploader::upload`] plans the parts ([`PartPlan`]: ≥ 5 MiB each but the last, ≤ 10,000),
//! creates a presigned multipart upload, PUTs the parts straight to the object store with
//! bounded parallelism, retries transient failures re-sending the same bytes, completes with
//! the ETags in order — and aborts the upload on any failure or cancellation, so nothing is
//! left behind.
//!
//! ```
//! use bytes::Bytes;
//! use http::{Method, StatusCode};
//! use lakefs_experimental::ExperimentalClient;
//! use lakefs_multipart::{UploadConfig, UploadSource, Uploader};
//! use lakefs_transport::fake::{self, FakeTransport, ResponseExt};
//!
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
//! // A scripted lakeFS and object store.
//! let transport = FakeTransport::new();
//! transport.route(Method::POST, "/api/v1/repositories/{r}/branches/{b}/staging/pmpu", |_, _| {
//!     Ok(fake::json(StatusCode::CREATED, r#"{"upload_id":"u","physical_address":"s3://b/k",
//!         "presigned_urls":["http://s3.local/b/k?partNumber=1&X-Amz-Signature=x"]}"#))
//! });
//! transport.route(Method::PUT, "/b/k", |_, _| {
//!     Ok(fake::response(StatusCode::OK, "").with_header("etag", "\"5d41402abc4b2a76b9719d911017c592\""))
//! });
//! transport.route(Method::PUT, "/api/v1/repositories/{r}/branches/{b}/staging/pmpu/{id}", |_, _| {
//!     Ok(fake::json(StatusCode::OK, r#"{"path":"hello.txt","path_type":"object",
//!         "physical_address":"data/k","checksum":"5d41402abc4b2a76b9719d911017c592","size_bytes":5,"mtime":1}"#))
//! });
//!
//! let client = ExperimentalClient::builder().endpoint("http://lakefs.local").build_with_transport(transport)?;
//! let uploader = Uploader::new(client, UploadConfig::default());
//! let stats = uploader.upload("repo", "main", "hello.txt", UploadSource::bytes(Bytes::from("hello"))).await?;
//! assert_eq!(stats.size_bytes, Some(5));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # }).unwrap();
//! ```

#![forbid(unsafe_code)]

mod checkpoint;
mod complete;
mod config;
mod create;
mod error;
mod etag;
mod expiry;
mod guard;
mod options;
mod outcome;
mod parts;
mod plan;
mod progress;
mod put;
mod resume;
mod run;
mod schedule;
mod session;
mod source;
mod stamp;
mod uploader;
mod urls;
mod whole;

pub use checkpoint::{Checkpoint, SourceFingerprint};
pub use config::{
    ConfigError, PartSlots, UploadConfig, UploadConfigBuilder, DEFAULT_PRESIGN_WINDOW,
    MAX_CONCURRENCY,
};
pub use error::{AbortOutcome, PartFailure, UploadError, UploadFailure};
pub use options::{ObjectOptions, Resume, Upload};
pub use parts::StoredPart;
pub use plan::{PartPlan, PlanError, MAX_OBJECT_SIZE, MAX_PARTS, MAX_PART_SIZE, MIN_PART_SIZE};
pub use progress::{ProgressEvent, ProgressSink};
pub use put::FLOOR_RATE;
pub use schedule::{PartSchedule, GROWTH_GROUP};
pub use session::UploadSession;
pub use source::UploadSource;
pub use uploader::{BoxFuture, Uploader, LINK_ADDRESS_LIFETIME};
