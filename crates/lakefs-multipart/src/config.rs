//! [`UploadConfig`] and its builder.

use std::time::Duration;

use lakefs_client::concurrency::{Concurrency, PartSlots};
use lakefs_experimental::RetryPolicy;

use crate::error::{ConfigError, UploadFailure};
use crate::plan::{MAX_PART_SIZE, MIN_PART_SIZE};
use crate::{ProgressEvent, ProgressSink};

/// How many part URLs create is asked for by default.
pub const DEFAULT_PRESIGN_WINDOW: u32 = 100;

/// How an [`Uploader`](crate::Uploader) sends objects: engine settings shared by every upload
/// (what each object is — its content type, metadata, checkpoint — is given per upload).
///
/// Memory held for part bytes is at most `(concurrency + 1) × part_size` for a file (one part
/// is read ahead; a `Bytes` source holds none of its own: parts are slices of it); a reader is read ahead by a quarter
/// of the concurrency (at least one part), so its bound is `(concurrency + max(1,
/// concurrency / 4)) × part_size` — within 1.25 × concurrency × part size from concurrency 4. Part URLs held at once: at most
/// `presign_window` from create, plus one per part in flight.
///
/// ```
/// use std::time::Duration;
/// use lakefs_multipart::UploadConfig;
///
/// let config = UploadConfig::builder()
///     .part_size(16 * 1024 * 1024)
///     .concurrency(8)
///     .part_timeout(Duration::from_secs(120))
///     .presign_window(128)
///     .verify_md5(true)
///     .build()?;
/// assert_eq!(config.concurrency(), 8);
/// # Ok::<(), lakefs_multipart::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct UploadConfig {
    pub(crate) part_size: u64,
    pub(crate) concurrency: Concurrency,
    pub(crate) retry: RetryPolicy,
    pub(crate) part_timeout: Option<Duration>,
    pub(crate) stall_timeout: Option<Duration>,
    pub(crate) presign_window: u32,
    pub(crate) url_refresh_margin: Duration,
    pub(crate) verify_md5: bool,
    pub(crate) progress: Option<ProgressSink>,
    pub(crate) shared_slots: Option<PartSlots>,
    /// The slots of `concurrency: auto`, made at build and shared by the configuration's
    /// clones (every upload of one uploader).
    pub(crate) adaptive_slots: Option<PartSlots>,
}

impl Default for UploadConfig {
    /// 8 MiB parts, 8 in flight (64 MiB of part memory), [`RetryPolicy::default`] for parts,
    /// a part attempt given up after 30 s without progress (no whole-attempt deadline), 100
    /// part URLs asked for at create, URLs refreshed when they expire within 60 s, no MD5
    /// check.
    fn default() -> Self {
        Self {
            part_size: 8 * 1024 * 1024,
            concurrency: Concurrency::Fixed(8),
            retry: RetryPolicy::default(),
            part_timeout: None,
            stall_timeout: Some(Duration::from_secs(30)),
            presign_window: DEFAULT_PRESIGN_WINDOW,
            url_refresh_margin: Duration::from_secs(60),
            verify_md5: false,
            progress: None,
            shared_slots: None,
            adaptive_slots: None,
        }
    }
}

impl UploadConfig {
    /// Starts from the defaults.
    pub fn builder() -> UploadConfigBuilder {
        UploadConfigBuilder {
            config: Self::default(),
        }
    }

    /// The preferred part size (it grows for sources that need more than 10,000 parts).
    #[must_use]
    pub fn part_size(&self) -> u64 {
        self.part_size
    }

    /// Parts in flight at most (for `auto`, its upper bound).
    #[must_use]
    pub fn concurrency(&self) -> usize {
        self.concurrency.max_parts()
    }

    /// The concurrency as set: a number, or auto.
    #[must_use]
    pub fn concurrency_setting(&self) -> Concurrency {
        self.concurrency
    }

    /// The slots parts draw from: the shared ones given, or auto's; none for a fixed
    /// concurrency of one upload's own.
    pub(crate) fn slots(&self) -> Option<&PartSlots> {
        self.shared_slots.as_ref().or(self.adaptive_slots.as_ref())
    }

    pub(crate) fn emit(&self, event: ProgressEvent) {
        if let Some(sink) = &self.progress {
            sink.emit(&event);
        }
    }
}

/// Builds an [`UploadConfig`]; [`build`](Self::build) checks every value.
#[derive(Debug, Clone)]
#[must_use]
pub struct UploadConfigBuilder {
    config: UploadConfig,
}

impl UploadConfigBuilder {
    /// The preferred part size in bytes, 5 MiB to 5 GiB.
    pub fn part_size(mut self, bytes: u64) -> Self {
        self.config.part_size = bytes;
        self
    }

    /// How many parts may be in flight (read and being sent) at once: a number from 1 to 256,
    /// or [`Concurrency::auto()`], which starts at 8 and follows the link within 1 to 64
    /// parts (see [`lakefs_client::concurrency`]; part memory is then bounded by its `max ×
    /// part size`). An auto configuration's slots are shared by all its uploads.
    ///
    /// ```
    /// use lakefs_multipart::{Concurrency, UploadConfig};
    ///
    /// let config = UploadConfig::builder().concurrency(Concurrency::auto()).build()?;
    /// assert_eq!(config.concurrency(), 64, "the bound on parts in flight");
    /// # Ok::<(), lakefs_multipart::Error>(())
    /// ```
    pub fn concurrency(mut self, parts: impl Into<Concurrency>) -> Self {
        self.config.concurrency = parts.into();
        self
    }

    /// How part PUTs are retried after transient failures.
    pub fn retry_policy(mut self, retry: RetryPolicy) -> Self {
        self.config.retry = retry;
        self
    }

    /// A deadline for a whole PUT attempt of one part (default: none). Prefer the stall
    /// timeout, which never kills a slow part that is still moving; set this for a transport
    /// that does not report progress.
    pub fn part_timeout(mut self, timeout: impl Into<Option<Duration>>) -> Self {
        self.config.part_timeout = timeout.into();
        self
    }

    /// Gives up a PUT attempt once nothing moved — no byte of the part sent, no answer — for
    /// this long (default 30 s), and retries the part. Needs a transport that reports
    /// progress (`HyperTransport` and `FakeTransport` do); `None` turns it off.
    pub fn stall_timeout(mut self, timeout: impl Into<Option<Duration>>) -> Self {
        self.config.stall_timeout = timeout.into();
        self
    }

    /// How many part URLs create is asked for, 1 to 10,000 (default 100). The parts past them
    /// get their URL from `uploadPart` as they start — one more API call per part, which also
    /// keeps create's answer and the URLs held in memory small (10,000 URLs of 2 KB would be
    /// 20 MB of JSON). A lakeFS without `uploadPart` (before v1.55) is noticed, and then create
    /// is asked for every URL at once.
    pub fn presign_window(mut self, urls: u32) -> Self {
        self.config.presign_window = urls;
        self
    }

    /// A part URL that expires within this margin is replaced with a freshly signed one before
    /// a PUT (default 60 s; lakeFS signs part URLs for 15 minutes by default).
    pub fn url_refresh_margin(mut self, margin: Duration) -> Self {
        self.config.url_refresh_margin = margin;
        self
    }

    /// Checks each part's MD5 against the storage's ETag when the ETag is an MD5 (32 hex
    /// digits); a mismatch retries the part. The digest is computed on a blocking thread
    /// while the part is being sent.
    pub fn verify_md5(mut self, on: bool) -> Self {
        self.config.verify_md5 = on;
        self
    }

    /// Draws part slots from `slots`, shared with other uploads, besides this upload's own
    /// `concurrency` bound: a directory of files uploaded at once keeps one bound on parts in
    /// flight and part memory. Adaptive slots ([`PartSlots::adaptive`]) make that bound follow
    /// the link for the whole run; give such an upload a `concurrency` of at least their
    /// [`max_parts`](lakefs_client::concurrency::AutoConcurrency::max_parts), which stays
    /// each upload's own bound.
    pub fn shared_slots(mut self, slots: PartSlots) -> Self {
        self.config.shared_slots = Some(slots);
        self
    }

    /// Receives progress events.
    pub fn on_progress(
        mut self,
        callback: impl Fn(&ProgressEvent) + Send + Sync + 'static,
    ) -> Self {
        self.config.progress = Some(ProgressSink::new(callback));
        self
    }

    /// Checks the values and builds the configuration.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidInput`](crate::ErrorKind::InvalidInput) naming the first value
    /// out of range.
    pub fn build(self) -> Result<UploadConfig, crate::Error> {
        Ok(self.check().map_err(UploadFailure::from)?)
    }

    fn check(self) -> Result<UploadConfig, ConfigError> {
        let mut config = self.config;
        if !(MIN_PART_SIZE..=MAX_PART_SIZE).contains(&config.part_size) {
            return Err(ConfigError::PartSize(config.part_size));
        }
        config
            .concurrency
            .check()
            .map_err(ConfigError::Concurrency)?;
        config.adaptive_slots = match config.concurrency {
            Concurrency::Auto(_) if config.shared_slots.is_some() => {
                return Err(ConfigError::AutoWithSharedSlots)
            }
            Concurrency::Auto(auto) => Some(PartSlots::adaptive(auto)),
            Concurrency::Fixed(_) => None,
        };
        if !(1..=crate::plan::MAX_PARTS).contains(&config.presign_window) {
            return Err(ConfigError::PresignWindow(config.presign_window));
        }
        if config.part_timeout.is_some_and(|t| t.is_zero())
            || config.stall_timeout.is_some_and(|t| t.is_zero())
        {
            return Err(ConfigError::ZeroTimeout);
        }
        Ok(config)
    }
}
