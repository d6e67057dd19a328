//! A concurrent, memory-bounded presigned multipart upload engine for lakeFS.
//!
//! [`Uploader::upload`] plans the parts (≥ 5 MiB each but the last, ≤ 10,000),
//! creates a presigned multipart upload, PUTs the parts straight to the object store with
//! bounded parallelism, retries transient failures re-sending the same bytes, completes with
//! the ETags in order — and aborts the upload on any failure or cancellation, so nothing is
//! left behind.
//!
//! What lakeFS does for the operations the engine calls — how long an upload's address lives,
//! which releases have `uploadPart`, what a repeated complete answers — is described, with
//! the lakeFS sources, in [`lakefs_experimental::server_notes`].
//!
//! ```
//! use bytes::Bytes;
//! use lakefs_emulator::{Emulator, DEFAULT_ACCESS_KEY_ID, DEFAULT_SECRET_ACCESS_KEY};
//! use lakefs_experimental::{Credentials, ExperimentalClient};
//! use lakefs_multipart::{UploadConfig, UploadSource, Uploader};
//! use lakefs_transport::fake::FakeTransport;
//!
//! # tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap().block_on(async {
//! // An in-memory lakeFS (with its object store) behind an in-memory transport; a real
//! // deployment builds the client with `ExperimentalClient::from_env()?.build()?` instead.
//! let lakefs = Emulator::new();
//! let transport = FakeTransport::new();
//! let server = lakefs.clone();
//! transport.fallback(move |request, _| Ok(server.handle(request)));
//! let client = ExperimentalClient::builder()
//!     .endpoint("http://lakefs.local")
//!     .credentials(Credentials::basic(DEFAULT_ACCESS_KEY_ID, DEFAULT_SECRET_ACCESS_KEY))
//!     .build_with_transport(transport)?;
//!
//! let uploader = Uploader::new(client, UploadConfig::builder().concurrency(4).build()?);
//! let data = Bytes::from(vec![7u8; 12 * 1024 * 1024]); // two parts of 8 MiB and 4 MiB
//! let stats = uploader
//!     .upload("example-repo", "main", "data/blob.bin", UploadSource::bytes(data.clone()))
//!     .content_type("application/octet-stream")
//!     .await?;
//! assert_eq!(stats.size_bytes, Some(data.len() as i64));
//! assert!(stats.checksum.ends_with("-2"), "S3's multipart ETag of two parts");
//! assert_eq!(lakefs.object("example-repo", "main", "data/blob.bin").unwrap(), data);
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
mod sessions;
mod source;
mod stamp;
mod uploader;
mod urls;
mod whole;

pub use checkpoint::{Checkpoint, SourceFingerprint};
pub use config::{UploadConfig, UploadConfigBuilder, DEFAULT_PRESIGN_WINDOW};
pub use error::{AbortOutcome, Error, ErrorKind};
pub use lakefs_client::concurrency::{AutoConcurrency, Concurrency, PartSlots};
pub use options::{ObjectOptions, Resume, Upload};
pub use parts::StoredPart;
pub(crate) use plan::PartPlan;
pub use plan::{MAX_OBJECT_SIZE, MAX_PARTS, MAX_PART_SIZE, MIN_PART_SIZE};
pub(crate) use progress::ProgressSink;
pub use progress::{ProgressEvent, SENDING_EVERY};
pub use put::FLOOR_RATE;
pub use schedule::PartSchedule;
pub use session::UploadSession;
pub use source::UploadSource;
pub use uploader::{BoxFuture, Uploader, LINK_ADDRESS_LIFETIME};
