//! [`Downloader`]: the entry point — a client and a configuration — and the start every
//! download shares: find the object, choose the route, plan the parts.

use std::future::{Future, IntoFuture};
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use std::ops::Range;

use lakefs_client::{Client, ErrorKind as ApiErrorKind};
use lakefs_models::ObjectStats;
use lakefs_transport::HttpTransport;

use crate::config::DownloadConfig;
use crate::fetch::Fetcher;
use crate::plan::Plan;
use crate::route::PresignedUrl;
use crate::stream::ObjectReader;
use crate::target::{ObjectIdentity, Target};
use crate::{DownloadEvent, Downloaded, Error, Route};

/// A boxed, `Send` future, what awaiting a request builder runs.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Downloads lakeFS objects: to files ([`download`](Self::download)) or as ordered streams
/// ([`read`](Self::read)). Cheap to clone.
///
/// ```
/// use bytes::Bytes;
/// use lakefs_client::{Client, Credentials};
/// use lakefs_download::{DownloadConfig, Downloader, Verification};
/// use lakefs_emulator::{Emulator, DEFAULT_ACCESS_KEY_ID, DEFAULT_SECRET_ACCESS_KEY};
/// use lakefs_transport::fake::FakeTransport;
///
/// # tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap().block_on(async {
/// // An in-memory lakeFS behind an in-memory transport; a real deployment builds the client
/// // with `Client::from_env()?.build()?` instead.
/// let lakefs = Emulator::new();
/// lakefs.put_object("example-repo", "main", "data/hello.txt", Bytes::from_static(b"hello"));
/// let transport = FakeTransport::new();
/// let server = lakefs.clone();
/// transport.fallback(move |request, _| Ok(server.handle(request)));
/// let client = Client::builder()
///     .endpoint("http://lakefs.local")
///     .credentials(Credentials::basic(DEFAULT_ACCESS_KEY_ID, DEFAULT_SECRET_ACCESS_KEY))
///     .build_with_transport(transport)?;
///
/// let downloader = Downloader::new(client, DownloadConfig::default());
/// let directory = std::env::temp_dir().join(format!("lakefs-doc-{}", std::process::id()));
/// std::fs::create_dir_all(&directory)?;
/// let done = downloader
///     .download("example-repo", "main", "data/hello.txt", directory.join("hello.txt"))
///     .await?;
/// assert_eq!(std::fs::read(&done.path)?, b"hello");
/// assert_eq!(done.verification, Verification::Md5);
/// # std::fs::remove_dir_all(&directory)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # }).unwrap();
/// ```
pub struct Downloader<T> {
    pub(crate) client: Client<T>,
    pub(crate) config: Arc<DownloadConfig>,
    /// Whether reading through lakeFS was already reported.
    fallback_reported: Arc<AtomicBool>,
}

impl<T> Clone for Downloader<T> {
    fn clone(&self) -> Self {
        Self {
            client: self.client.clone(),
            config: Arc::clone(&self.config),
            fallback_reported: Arc::clone(&self.fallback_reported),
        }
    }
}

impl<T> std::fmt::Debug for Downloader<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Downloader")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// What a started download knows: the object's version, the route, the plan.
pub(crate) struct Started<T> {
    pub(crate) fetcher: Arc<Fetcher<T>>,
    pub(crate) plan: Plan,
    pub(crate) route: Route,
}

impl<T: HttpTransport + 'static> Downloader<T> {
    /// A downloader over `client` with `config`.
    #[must_use]
    pub fn new(client: Client<T>, config: DownloadConfig) -> Self {
        Self {
            client,
            config: Arc::new(config),
            fallback_reported: Arc::new(AtomicBool::new(false)),
        }
    }

    /// The configuration.
    #[must_use]
    pub fn config(&self) -> &DownloadConfig {
        &self.config
    }

    /// Downloads the object at `repository`/`reference`/`path` to the file `destination`.
    /// Await the builder to run it; see [`DownloadFile`].
    pub fn download(
        &self,
        repository: &str,
        reference: &str,
        path: &str,
        destination: impl Into<PathBuf>,
    ) -> DownloadFile<'_, T> {
        DownloadFile {
            downloader: self,
            target: Target::new(repository, reference, path),
            destination: destination.into(),
            resume: true,
            upload_part_size: None,
            cancel: None,
        }
    }

    /// Reads the object at `repository`/`reference`/`path` as a stream of its bytes in order
    /// (awaiting the builder finds the object; the returned [`ObjectReader`] fetches).
    pub fn read(&self, repository: &str, reference: &str, path: &str) -> ReadObject<'_, T> {
        ReadObject {
            downloader: self,
            target: Target::new(repository, reference, path),
            upload_part_size: None,
            stats: None,
            range: None,
        }
    }

    /// Finds the object (a presigned `statObject`, unless the caller already has its
    /// `stats`), chooses the route, plans the parts (for a file when `to_file`, else for a
    /// read in order).
    pub(crate) async fn start(
        &self,
        target: Target,
        upload_part_size: Option<u64>,
        known: Option<ObjectStats>,
        to_file: bool,
    ) -> Result<Started<T>, Error> {
        let config = &self.config;
        let mut fallback = None;
        let stats = if let Some(stats) = known {
            stats
        } else if config.presign {
            match target.stat(&self.client, true).await {
                Ok(stats) => stats,
                Err(error)
                    if matches!(
                        error.kind(),
                        ApiErrorKind::BadRequest | ApiErrorKind::NotImplemented
                    ) =>
                {
                    let stats = target.stat(&self.client, false).await.map_err(Error::api)?;
                    fallback = Some(format!(
                        "lakeFS cannot presign this object's address ({})",
                        error.server_message().unwrap_or("refused")
                    ));
                    stats
                }
                Err(error) => return Err(Error::api(error)),
            }
        } else {
            target.stat(&self.client, false).await.map_err(Error::api)?
        };
        let identity = ObjectIdentity::of(&stats)?;
        let url = if config.presign && fallback.is_none() {
            let url = PresignedUrl::from_stats(&stats, config.url_refresh_margin);
            if url.is_none() {
                fallback = Some(
                    "lakeFS answered a plain address, not a presigned URL (the blockstore cannot presign)"
                        .to_owned(),
                );
            }
            url
        } else {
            None
        };
        if let Some(reason) = fallback {
            if !self.fallback_reported.swap(true, Ordering::Relaxed) {
                tracing::warn!(%reason, "reading through lakeFS instead of presigned URLs");
                config.emit(&DownloadEvent::ReadingThroughLakeFs { reason });
            }
        }
        let route = if url.is_some() {
            Route::Presigned
        } else {
            Route::LakeFs
        };
        // A file download over presigned URLs writes each part as it arrives when the
        // transport hands bodies over that way; the other reads hold whole parts.
        let streamed = to_file && url.is_some() && self.client.transport().streams_responses();
        let plan = Plan::new(
            identity.size,
            &identity.checksum,
            config,
            upload_part_size,
            streamed,
        )?;
        Ok(Started {
            fetcher: Arc::new(Fetcher {
                client: self.client.clone(),
                target,
                identity,
                url,
                config: Arc::clone(config),
            }),
            plan,
            route,
        })
    }
}

/// A download to a file, built by [`Downloader::download`]; await it.
///
/// The bytes go to a temporary file beside the destination (`.{name}.lakefs-download`),
/// written at offsets by up to `concurrency` ranged GETs at once; a checkpoint
/// (`.{name}.lakefs-download.json`) records finished parts. Once every byte is there and the
/// checksum is proven, the file is flushed and renamed to the destination. If the download
/// fails or is dropped, the destination is untouched; running it again resumes, after
/// proving the object unchanged and the parts on disk intact.
///
/// # Errors
/// [`ErrorKind`](crate::ErrorKind) says which: `InvalidArgument` before anything is sent,
/// `Api` (an unknown object is `NotFound` in [`Error::lakefs_error`]), `ObjectChanged`,
/// `ChecksumMismatch`, `Store`, `Protocol`, `Transport`, `Stalled`, `Io`, `Checkpoint`,
/// `Cancelled`.
#[must_use = "a download does nothing until awaited"]
pub struct DownloadFile<'a, T> {
    pub(crate) downloader: &'a Downloader<T>,
    pub(crate) target: Result<Target, Error>,
    pub(crate) destination: PathBuf,
    pub(crate) resume: bool,
    pub(crate) upload_part_size: Option<u64>,
    pub(crate) cancel: Option<BoxFuture<'a, ()>>,
}

impl<'a, T> DownloadFile<'a, T> {
    /// Resume from a checkpoint left by an earlier run (default on). Off, any earlier
    /// partial file and checkpoint are replaced.
    pub fn resume(mut self, on: bool) -> Self {
        self.resume = on;
        self
    }

    /// The part size the object was uploaded with, when the caller knows it: the multipart
    /// checksum is then checked with this layout only, and a mismatch is an error.
    pub fn upload_part_size(mut self, bytes: u64) -> Self {
        self.upload_part_size = Some(bytes);
        self
    }

    /// Gives up when `cancel` completes (for example a `CancellationToken::cancelled()` or
    /// `ctrl_c()`): the parts' GETs in flight are stopped, a part whose bytes already arrived
    /// is written, every part written is flushed and recorded in the checkpoint — none is lost
    /// to the checkpoint interval — and the error is
    /// [`ErrorKind::Cancelled`](crate::ErrorKind::Cancelled), with the bytes kept for a
    /// resume in [`Error::kept_bytes`]. The destination is untouched. (Dropping the download's
    /// future instead stops it too, but keeps only what the last checkpoint recorded.)
    pub fn cancel_on(mut self, cancel: impl Future<Output = ()> + Send + 'a) -> Self {
        self.cancel = Some(Box::pin(cancel));
        self
    }
}

impl<'a, T: HttpTransport + 'static> IntoFuture for DownloadFile<'a, T> {
    type Output = Result<Downloaded, Error>;
    type IntoFuture = BoxFuture<'a, Self::Output>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(crate::download::run(self))
    }
}

/// A streamed read, built by [`Downloader::read`]; awaiting it finds the object and returns
/// an [`ObjectReader`].
///
/// # Errors
/// As [`DownloadFile`], for what finding the object can meet.
#[must_use = "a read does nothing until awaited"]
pub struct ReadObject<'a, T> {
    downloader: &'a Downloader<T>,
    target: Result<Target, Error>,
    upload_part_size: Option<u64>,
    stats: Option<ObjectStats>,
    range: Option<Range<u64>>,
}

impl<T> ReadObject<'_, T> {
    /// As [`DownloadFile::upload_part_size`].
    pub fn upload_part_size(mut self, bytes: u64) -> Self {
        self.upload_part_size = Some(bytes);
        self
    }

    /// Reads the version of the object that the caller's own `statObject` answered (with
    /// `presign` for presigned GETs; a plain address reads through lakeFS) instead of asking
    /// lakeFS again: a caller that checked conditions against `stats` reads exactly that
    /// version (every GET pinned to its checksum, as always). The URL is refreshed through
    /// `statObject` as usual when it expires.
    pub fn stats(mut self, stats: ObjectStats) -> Self {
        self.stats = Some(stats);
        self
    }

    /// Only the bytes of `range` (offsets in the object, within its size), cut into parts
    /// from its start and fetched as the whole object would be. A range that is not the
    /// whole object has nothing to be proven against the checksum:
    /// [`verification`](ObjectReader::verification) is then
    /// [`Verification::Skipped`](crate::Verification::Skipped). A range beyond the object is
    /// an `InvalidArgument` error.
    pub fn range(mut self, range: Range<u64>) -> Self {
        self.range = Some(range);
        self
    }
}

impl<'a, T: HttpTransport + 'static> IntoFuture for ReadObject<'a, T> {
    type Output = Result<ObjectReader, Error>;
    type IntoFuture = BoxFuture<'a, Self::Output>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(async move {
            let target = self.target?;
            let object = target.uri();
            let mut started = self
                .downloader
                .start(target, self.upload_part_size, self.stats, false)
                .await
                .map_err(|e| e.with_object(&object))?;
            if let Some(range) = self.range {
                started.plan = started
                    .plan
                    .restrict(range)
                    .map_err(|e| e.with_object(&object))?;
            }
            Ok(ObjectReader::start(
                started,
                Arc::clone(&self.downloader.config),
            ))
        })
    }
}
