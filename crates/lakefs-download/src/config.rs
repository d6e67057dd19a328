//! [`DownloadConfig`]: part size, concurrency, retries, stall and URL refresh settings, and
//! where progress goes — built with [`DownloadConfigBuilder`].

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use lakefs_client::concurrency::{Concurrency, PartSlots};
use lakefs_client::RetryPolicy;
use lakefs_transport::Progress;

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

/// A progress callback.
pub(crate) type ProgressFn = Arc<dyn Fn(&DownloadEvent) + Send + Sync>;

/// How downloads run. Cheap to clone; [`Default`] is what most callers want.
#[derive(Clone)]
pub struct DownloadConfig {
    pub(crate) part_size: Option<u64>,
    pub(crate) concurrency: Concurrency,
    pub(crate) retry: RetryPolicy,
    pub(crate) stall_timeout: Duration,
    pub(crate) url_refresh_margin: Duration,
    pub(crate) verify: bool,
    pub(crate) presign: bool,
    pub(crate) checkpoint_interval: Duration,
    pub(crate) progress: Option<ProgressFn>,
    pub(crate) received: Option<Progress>,
    pub(crate) shared_slots: Option<PartSlots>,
    /// The slots of `concurrency: auto`, made at build and shared by the configuration's
    /// clones (every download of one downloader).
    pub(crate) adaptive_slots: Option<PartSlots>,
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
            concurrency: Concurrency::Fixed(10),
            retry: RetryPolicy::default(),
            stall_timeout: Duration::from_secs(30),
            url_refresh_margin: Duration::from_secs(60),
            verify: true,
            presign: true,
            checkpoint_interval: Duration::from_secs(1),
            progress: None,
            received: None,
            shared_slots: None,
            adaptive_slots: None,
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

    /// Parts in flight per download at most (for `auto`, its upper bound).
    #[must_use]
    pub fn concurrency(&self) -> usize {
        self.concurrency.max_parts()
    }

    /// The concurrency as set: a number, or auto.
    #[must_use]
    pub fn concurrency_setting(&self) -> Concurrency {
        self.concurrency
    }

    /// The slots parts draw from: the shared ones given, or auto's.
    pub(crate) fn slots(&self) -> Option<&PartSlots> {
        self.shared_slots.as_ref().or(self.adaptive_slots.as_ref())
    }

    /// How many parts to keep in flight now: the adaptive slots' limit, else the setting.
    pub(crate) fn parts_now(&self) -> usize {
        match self.slots().filter(|slots| slots.is_adaptive()) {
            Some(slots) => slots.limit().min(self.concurrency()),
            None => self.concurrency(),
        }
    }

    /// Counts bytes received for progress and for the adaptive controller's goodput.
    pub(crate) fn count_received(&self, bytes: u64) {
        if let Some(total) = &self.received {
            total.add(bytes);
        }
        self.count_goodput(bytes);
    }

    /// Counts bytes received for the adaptive controller's goodput only (the transport
    /// counted them for progress).
    pub(crate) fn count_goodput(&self, bytes: u64) {
        if let Some(meter) = self.slots().and_then(PartSlots::meter) {
            meter.add(bytes);
        }
    }

    /// One GET's outcome, for the adaptive controller: throttled (`503`, `429`) or not.
    pub(crate) fn observe(&self, status: Option<http::StatusCode>) {
        if let Some(slots) = self.slots() {
            slots.observe(status.is_some_and(|status| {
                status == http::StatusCode::SERVICE_UNAVAILABLE
                    || status == http::StatusCode::TOO_MANY_REQUESTS
            }));
        }
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

    /// Parts in flight per download: a number from 1 to 256 (default 10, lakectl's), or
    /// [`Concurrency::auto()`], which starts at 8 and follows the link within 1 to 64 parts
    /// (see [`lakefs_client::concurrency`]). An auto configuration's slots are shared by all
    /// its downloads.
    ///
    /// ```
    /// use lakefs_download::{Concurrency, DownloadConfig};
    ///
    /// let config = DownloadConfig::builder().concurrency(Concurrency::auto()).build()?;
    /// assert_eq!(config.concurrency(), 64, "the bound on parts in flight");
    /// # Ok::<(), lakefs_download::Error>(())
    /// ```
    pub fn concurrency(mut self, parts: impl Into<Concurrency>) -> Self {
        self.config.concurrency = parts.into();
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
    /// `concurrency`: a directory download keeps one bound on parts in flight. Adaptive
    /// slots ([`PartSlots::adaptive`]) make it follow the link for the whole run; give such a
    /// download a `concurrency` of at least their `max_parts`.
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
        let mut config = self.config;
        if let Some(size) = config.part_size {
            if !(MIN_PART_SIZE..=MAX_PART_SIZE).contains(&size) {
                return Err(Error::invalid_argument(
                    "part_size",
                    format!("is {size} bytes; it must be from 64 KiB to 5 GiB"),
                ));
            }
        }
        config
            .concurrency
            .check()
            .map_err(|problem| Error::invalid_argument("concurrency", problem))?;
        config.adaptive_slots = match config.concurrency {
            Concurrency::Auto(_) if config.shared_slots.is_some() => {
                return Err(Error::invalid_argument(
                    "concurrency",
                    "is auto, and shared slots are given too: for a run shared by many downloads, give adaptive shared slots (PartSlots::adaptive) instead",
                ))
            }
            Concurrency::Auto(auto) => Some(PartSlots::adaptive(auto)),
            Concurrency::Fixed(_) => None,
        };
        if config.stall_timeout < Duration::from_millis(100) {
            return Err(Error::invalid_argument(
                "stall_timeout",
                format!("is {:?}; it must be at least 100 ms", config.stall_timeout),
            ));
        }
        Ok(config)
    }
}
