//! A parallel, verified, resumable download engine for lakeFS.
//!
//! [`Downloader::download`] asks lakeFS once for the object (`statObject` with a presigned
//! URL), then reads it with ranged GETs straight from the object store — no lakeFS
//! credentials on the data plane —, `concurrency` parts at a time, each GET pinned to the
//! object's version (`If-Match` on its ETag, and the answer's `ETag`, `Content-Range` and
//! length checked before a byte is written), into a temporary file beside the destination —
//! each part written at its offset as its bytes arrive, through a reused 1 MiB buffer (when
//! the transport streams responses, as `HyperTransport` does: see
//! [`HttpTransport::send_streaming`](lakefs_transport::HttpTransport::send_streaming)), so
//! part memory is `concurrency × 1 MiB` whatever the part size. When every byte is there
//! it proves them against lakeFS's checksum — the MD5 for an object stored whole, the
//! multipart ETag recomputed when the upload's part layout can be found — then flushes the
//! file and renames it into place. A killed download leaves no file that looks complete, and
//! a checkpoint from which the next run resumes, fetching only what is missing once it has
//! proven the object unchanged and the parts on disk intact; one stopped with
//! [`DownloadFile::cancel_on`] records every part it wrote before it returns
//! [`ErrorKind::Cancelled`].
//!
//! [`Downloader::read`] gives the bytes in order as a [`Stream`](futures_util::Stream) or an
//! [`AsyncRead`](tokio::io::AsyncRead) ([`ObjectReader`]), with memory bounded by
//! `(concurrency + 1) × part size`: it holds whole parts (at most 16 MiB each when chosen
//! by the engine).
//!
//! Presigned URLs are refreshed through `statObject` before they expire and after the store
//! says they have; a part retries under the shared [`RetryPolicy`](lakefs_client::RetryPolicy)
//! (throttling answers back off, honouring `Retry-After`); a stall is a part that received no
//! byte for the stall timeout, never a slow one. Where the blockstore cannot presign, the
//! bytes come through lakeFS's `getObject` with the same ranges and checks, and
//! [`DownloadEvent::ReadingThroughLakeFs`] says so once.
//!
//! How this compares with lakectl's downloader, and what the checks rely on, is in the
//! crate's `docs.md`.
//!
//! ```
//! use bytes::Bytes;
//! use futures_util::TryStreamExt as _;
//! use lakefs_client::{Client, Credentials};
//! use lakefs_download::{DownloadConfig, Downloader};
//! use lakefs_emulator::{Emulator, DEFAULT_ACCESS_KEY_ID, DEFAULT_SECRET_ACCESS_KEY};
//! use lakefs_transport::fake::FakeTransport;
//!
//! # tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap().block_on(async {
//! let lakefs = Emulator::new();
//! let data = Bytes::from(vec![42u8; 3 * 1024 * 1024]);
//! lakefs.put_object("example-repo", "main", "blob.bin", data.clone());
//! let transport = FakeTransport::new();
//! let server = lakefs.clone();
//! transport.fallback(move |request, _| Ok(server.handle(request)));
//! let client = Client::builder()
//!     .endpoint("http://lakefs.local")
//!     .credentials(Credentials::basic(DEFAULT_ACCESS_KEY_ID, DEFAULT_SECRET_ACCESS_KEY))
//!     .build_with_transport(transport)?;
//!
//! let config = DownloadConfig::builder().part_size(1024 * 1024).concurrency(4).build()?;
//! let downloader = Downloader::new(client, config);
//! let mut reader = downloader.read("example-repo", "main", "blob.bin").await?;
//! let mut read = Vec::new();
//! while let Some(chunk) = reader.try_next().await? {
//!     read.extend_from_slice(&chunk);
//! }
//! assert_eq!(read, data);
//! assert!(reader.verification().is_some_and(|v| v.is_verified()));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # }).unwrap();
//! ```

#![forbid(unsafe_code)]

mod checkpoint;
mod config;
mod download;
mod downloader;
mod error;
mod fetch;
mod file;
mod plan;
mod progress;
mod route;
mod stream;
mod target;
mod verify;

pub use config::{
    DownloadConfig, DownloadConfigBuilder, DEFAULT_PART_SIZE, MAX_AUTO_PART_SIZE,
    MAX_AUTO_STREAMED_PART_SIZE, MAX_PART_SIZE, MIN_PART_SIZE, STREAMED_PART_SIZE,
};
pub use download::Downloaded;
pub use downloader::{BoxFuture, DownloadFile, Downloader, ReadObject};
pub use error::{Error, ErrorKind};
pub use lakefs_client::concurrency::{AutoConcurrency, Concurrency, PartSlots};
pub use progress::{DownloadEvent, Route};
pub use stream::{ObjectAsyncRead, ObjectReader};
pub use target::ObjectIdentity;
pub use verify::{PartLayout, Verification};
