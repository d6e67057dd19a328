//! [`DownloadConfig`]: part size, concurrency, retries, stall and URL refresh settings, and
//! where progress goes — built with [`DownloadConfigBuilder`].

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use lakefs_client::RetryPolicy;
use lakefs_transport::Progress;
use tokio::sync::Semaphore;

use crate::{DownloadEvent, Error};

/// The smallest part size accepted: 64 KiB.
pub const MIN_PART_SIZE: u64 = 64 * 1024;
/// The largest part size accepted: 5 GiB (a file download over presigned URLs and a
/// streaming transport writes each part as it arrives; other reads hold each part whole).
pub const MAX_PART_SIZE: u64 = 5 * 1024 * 1024 * 1024;
/// The default part size, 8 MiB (lakectl's).
pub const DEFAULT_PART_SIZE: u64 = 8 * 1024 * 1024;
/// The largest part size chosen without being asked for a part held in memory (a read in
/// order, or a transport that does not stream responses): 16 MiB, the default response
/// limit of `HyperTransport` (`max_response_body`).
pub const MAX_AUTO_PART_SIZE: u64 = 16 * 1024 * 1024;
/// The part size aimed at, without being asked, for a file download whose parts are written
/// as they arrive (a presigned read over a transport that streams responses): a whole
/// multiple of the object's upload part size, down to leave at least `concurrency` parts.
///
/// 8 MiB: measured against 32 and 64 MiB (1 GiB from s3s-fs, whole process), larger parts
/// saved neither time nor CPU there (the store's CPU did not fall with 8× fewer requests),
/// and smaller ones retry less on a failure and balance the last parts better. A larger
/// part costs no memory, though: ask for one where requests are dear.
pub const STREAMED_PART_SIZE: u64 = 8 * 1024 * 1024;
/// The largest part size chosen without being asked for a part written as it arrives.
pub const MAX_AUTO_STREAMED_PART_SIZE: u64 = 256 * 1024 * 1024;

/// A bound on parts in flight shared by many downloads (a directory download runs many files
/// at once within one bound): part memory stays within `slots × 1 MiB` for parts written as
/// they arrive, `slots × part size` for parts held whole.
///
/// ```
/// use lakefs_download::{DownloadConfig, PartSlots};
///
/// let slots = PartSlots::new(16);
/// let config = DownloadConfig::builder().shared_slots(slots.clone()).build()?;
/// assert_eq!(slots.available(), 16);
/// # Ok::<(), lakefs_download::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct PartSlots(Arc<Semaphore>);

impl PartSlots {
    /// `slots` parts in flight at most (at least 1).
    #[must_use]
    pub fn new(slots: usize) -> Self {
        Self(Arc::new(Semaphore::new(slots.max(1))))
    }

    /// Slots free right now.
    #[must_use]
    pub fn available(&self) -> usize {
        self.0.available_permits()
    }

    pub(crate) fn semaphore(&self) -> &Arc<Semaphore> {
        &self.0
    }
}

/// A progress callback.
pub(crate) type ProgressFn = Arc<dyn Fn(&DownloadEvent) + Send + Sync>;

/// How downloads run. Cheap to clone; [`Default`] is what most callers want.
#[derive(Clone)]
pub struct DownloadConfig {
    pub(crate) part_size: Option<u64>,
    pub(crate) concurrency: usize,
    pub(crate) retry: RetryPolicy,
    pub(crate) stall_timeout: Duration,
    pub(crate) url_refresh_margin: Duration,
    pub(crate) verify: bool,
    pub(crate) presign: bool,
    pub(crate) checkpoint_interval: Duration,
    pub(crate) progress: Option<ProgressFn>,
    pub(crate) received: Option<Progress>,
    pub(crate) shared_slots: Option<PartSlots>,
}

impl Default for DownloadConfig {
    /// Part size chosen from the object (8 MiB, or the object's upload part size up to 16
    /// MiB — up to 256 MiB for a file download whose parts are written as they arrive, see
    /// [`STREAMED_PART_SIZE`]), 10 parts in flight (lakectl's), [`RetryPolicy::default`] per part, a part attempt
    /// given up after 30 s without a byte (no whole-request deadline), presigned URLs
    /// refreshed 60 s before they expire, verification on, presigned reads (through lakeFS
    /// where the blockstore cannot presign), a checkpoint written at most once a second.
    fn default() -> Self {
        Self {
            part_size: None,
            concurrency: 10,
            retry: RetryPolicy::default(),
            stall_timeout: Duration::from_secs(30),
            url_refresh_margin: Duration::from_secs(60),
            verify: true,
            presign: true,
            checkpoint_interval: Duration::from_secs(1),
            progress: None,
            received: None,
            shared_slots: None,
        }
    }
}

impl fmt::Debug for DownloadConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DownloadConfig")
            .field("part_size", &self.part_size)
            .field("concurrency", &self.concurrency)
            .field("retry", &self.retry)
            .field("stall_timeout", &self.stall_timeout)
            .field("url_refresh_margin", &self.url_refresh_margin)
            .field("verify", &self.verify)
            .field("presign", &self.presign)
            .field("checkpoint_interval", &self.checkpoint_interval)
            .field("progress", &self.progress.is_some())
            .field("shared_slots", &self.shared_slots)
            .finish_non_exhaustive()
    }
}

impl DownloadConfig {
    /// Starts from the defaults.
    pub fn builder() -> DownloadConfigBuilder {
        DownloadConfigBuilder {
            config: Self::default(),
        }
    }

    /// Parts in flight per download.
    #[must_use]
    pub fn concurrency(&self) -> usize {
        self.concurrency
    }

    /// The part size asked for (`None`: chosen per object).
    #[must_use]
    pub fn part_size(&self) -> Option<u64> {
        self.part_size
    }

    /// Whether downloads check the bytes against the object's checksum.
    #[must_use]
    pub fn verify(&self) -> bool {
        self.verify
    }

    pub(crate) fn emit(&self, event: &DownloadEvent) {
        if let Some(progress) = &self.progress {
            progress(event);
        }
    }
}

/// Builds a [`DownloadConfig`]; every setting is checked by [`build`](Self::build).
///
/// ```
/// use std::time::Duration;
/// use lakefs_download::DownloadConfig;
///
/// let config = DownloadConfig::builder()
///     .part_size(16 * 1024 * 1024)
///     .concurrency(8)
///     .stall_timeout(Duration::from_secs(20))
///     .build()?;
/// assert_eq!(config.concurrency(), 8);
/// assert!(DownloadConfig::builder().concurrency(0).build().is_err());
/// # Ok::<(), lakefs_download::Error>(())
/// ```
#[derive(Debug, Clone)]
#[must_use]
pub struct DownloadConfigBuilder {
    config: DownloadConfig,
}

impl DownloadConfigBuilder {
    /// Bytes per ranged GET, from 64 KiB to 5 GiB (default: chosen per object). A file
    /// download over presigned URLs and a transport that streams responses writes each part
    /// as it arrives (memory `concurrency × 1 MiB`, any part size); other reads hold parts
    /// whole — memory `concurrency × part size`, and the transport must accept a response
    /// this large (`HyperTransport`'s default limit is 16 MiB).
    pub fn part_size(mut self, bytes: u64) -> Self {
        self.config.part_size = Some(bytes);
        self
    }

    /// Parts in flight per download, from 1 to 256 (default 10).
    pub fn concurrency(mut self, parts: usize) -> Self {
        self.config.concurrency = parts;
        self
    }

    /// The retry policy of each part's GET (and of the URL refreshes).
    pub fn retry_policy(mut self, retry: RetryPolicy) -> Self {
        self.config.retry = retry;
        self
    }

    /// Give a part's attempt up once no byte of it arrived for this long (default 30 s). A
    /// slow part that keeps moving is never cut. Over a transport that does not report
    /// received bytes, an attempt gets this plus one second per 128 KiB of the part.
    pub fn stall_timeout(mut self, timeout: Duration) -> Self {
        self.config.stall_timeout = timeout;
        self
    }

    /// Ask lakeFS for a fresh presigned URL once the current one expires within this much
    /// (default 60 s).
    pub fn url_refresh_margin(mut self, margin: Duration) -> Self {
        self.config.url_refresh_margin = margin;
        self
    }

    /// Check the bytes against the object's checksum (default on). Off, the outcome says
    /// the check was skipped.
    pub fn verify(mut self, on: bool) -> Self {
        self.config.verify = on;
        self
    }

    /// Read through presigned URLs of the object store (default on); off, every GET goes
    /// through lakeFS's `getObject`.
    pub fn presign(mut self, on: bool) -> Self {
        self.config.presign = on;
        self
    }

    /// The least time between two checkpoint writes (default 1 s; a crash loses at most the
    /// parts finished within it, which a resume fetches again).
    pub fn checkpoint_interval(mut self, interval: Duration) -> Self {
        self.config.checkpoint_interval = interval;
        self
    }

    /// Called with every [`DownloadEvent`], from the engine's tasks: keep it quick.
    pub fn on_progress(
        mut self,
        callback: impl Fn(&DownloadEvent) + Send + Sync + 'static,
    ) -> Self {
        self.config.progress = Some(Arc::new(callback));
        self
    }

    /// A counter every response byte is added to as it arrives (over transports that report
    /// it, retried attempts included): for a progress bar that moves before a part is done.
    pub fn received_bytes(mut self, counter: Progress) -> Self {
        self.config.received = Some(counter);
        self
    }

    /// Draw part slots from a bound shared with other downloads, besides this one's own
    /// `concurrency`.
    pub fn shared_slots(mut self, slots: PartSlots) -> Self {
        self.config.shared_slots = Some(slots);
        self
    }

    /// Checks the settings.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidArgument`](crate::ErrorKind::InvalidArgument) naming the setting
    /// out of range.
    pub fn build(self) -> Result<DownloadConfig, Error> {
        let config = self.config;
        if let Some(size) = config.part_size {
            if !(MIN_PART_SIZE..=MAX_PART_SIZE).contains(&size) {
                return Err(Error::invalid_argument(
                    "part_size",
                    format!("is {size} bytes; it must be from 64 KiB to 5 GiB"),
                ));
            }
        }
        if !(1..=256).contains(&config.concurrency) {
            return Err(Error::invalid_argument(
                "concurrency",
                format!("is {}; it must be from 1 to 256", config.concurrency),
            ));
        }
        if config.stall_timeout < Duration::from_millis(100) {
            return Err(Error::invalid_argument(
                "stall_timeout",
                format!("is {:?}; it must be at least 100 ms", config.stall_timeout),
            ));
        }
        Ok(config)
    }
}
