//! [`UploadConfig`] and its builder.

use std::collections::BTreeMap;
use std::time::Duration;

use lakefs_experimental::RetryPolicy;

use crate::plan::{MAX_PART_SIZE, MIN_PART_SIZE};
use crate::{ProgressEvent, ProgressSink};

/// The most parts in flight one upload allows.
pub const MAX_CONCURRENCY: usize = 256;

/// How an [`Uploader`](crate::Uploader) sends an object.
///
/// Memory held for part bytes is at most `concurrency × part_size` (a `Bytes` source holds
/// none of its own: parts are slices of it).
///
/// ```
/// use std::time::Duration;
/// use lakefs_multipart::UploadConfig;
///
/// let config = UploadConfig::builder()
///     .part_size(16 * 1024 * 1024)
///     .concurrency(8)
///     .part_timeout(Duration::from_secs(120))
///     .content_type("application/x-parquet")
///     .metadata("owner", "etl")
///     .verify_md5(true)
///     .build()?;
/// assert_eq!(config.concurrency(), 8);
/// # Ok::<(), lakefs_multipart::ConfigError>(())
/// ```
#[derive(Debug, Clone)]
pub struct UploadConfig {
    pub(crate) part_size: u64,
    pub(crate) concurrency: usize,
    pub(crate) retry: RetryPolicy,
    pub(crate) part_timeout: Option<Duration>,
    pub(crate) content_type: Option<String>,
    pub(crate) metadata: BTreeMap<String, String>,
    pub(crate) verify_md5: bool,
    pub(crate) progress: Option<ProgressSink>,
}

impl Default for UploadConfig {
    /// 8 MiB parts, 8 in flight (64 MiB of part memory), [`RetryPolicy::default`] for parts,
    /// 300 s per part attempt, no content type or metadata, no MD5 check.
    fn default() -> Self {
        Self {
            part_size: 8 * 1024 * 1024,
            concurrency: 8,
            retry: RetryPolicy::default(),
            part_timeout: Some(Duration::from_secs(300)),
            content_type: None,
            metadata: BTreeMap::new(),
            verify_md5: false,
            progress: None,
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

    /// Parts in flight at most.
    #[must_use]
    pub fn concurrency(&self) -> usize {
        self.concurrency
    }

    pub(crate) fn emit(&self, event: ProgressEvent) {
        if let Some(sink) = &self.progress {
            sink.emit(&event);
        }
    }
}

/// Why an [`UploadConfig`] cannot be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The part size is outside 5 MiB … 5 GiB.
    #[error("part size {0} bytes is outside S3's limits of 5 MiB ({MIN_PART_SIZE}) to 5 GiB ({MAX_PART_SIZE})")]
    PartSize(u64),
    /// The concurrency is 0 or above [`MAX_CONCURRENCY`].
    #[error("concurrency {0} must be between 1 and {MAX_CONCURRENCY}")]
    Concurrency(usize),
    /// A metadata key is empty.
    #[error("user metadata keys must not be empty")]
    EmptyMetadataKey,
    /// The part timeout is zero.
    #[error("the part timeout must be longer than zero")]
    ZeroTimeout,
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

    /// How many parts may be in flight (read and being sent) at once, 1 to 256.
    pub fn concurrency(mut self, parts: usize) -> Self {
        self.config.concurrency = parts;
        self
    }

    /// How part PUTs are retried after transient failures.
    pub fn retry_policy(mut self, retry: RetryPolicy) -> Self {
        self.config.retry = retry;
        self
    }

    /// Limit for one PUT attempt of one part; `None` waits forever.
    pub fn part_timeout(mut self, timeout: impl Into<Option<Duration>>) -> Self {
        self.config.part_timeout = timeout.into();
        self
    }

    /// The object's media type, recorded when completing.
    pub fn content_type(mut self, content_type: impl Into<String>) -> Self {
        self.config.content_type = Some(content_type.into());
        self
    }

    /// Adds one user metadata entry, recorded when completing.
    pub fn metadata(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.config.metadata.insert(key.into(), value.into());
        self
    }

    /// Checks each part's MD5 against the storage's ETag when the ETag is an MD5 (32 hex
    /// digits); a mismatch retries the part. The digest is computed on a blocking thread
    /// while the part is being sent.
    pub fn verify_md5(mut self, on: bool) -> Self {
        self.config.verify_md5 = on;
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
    /// A [`ConfigError`] naming the first value out of range.
    pub fn build(self) -> Result<UploadConfig, ConfigError> {
        let config = self.config;
        if !(MIN_PART_SIZE..=MAX_PART_SIZE).contains(&config.part_size) {
            return Err(ConfigError::PartSize(config.part_size));
        }
        if !(1..=MAX_CONCURRENCY).contains(&config.concurrency) {
            return Err(ConfigError::Concurrency(config.concurrency));
        }
        if config.metadata.keys().any(String::is_empty) {
            return Err(ConfigError::EmptyMetadataKey);
        }
        if config.part_timeout.is_some_and(|t| t.is_zero()) {
            return Err(ConfigError::ZeroTimeout);
        }
        Ok(config)
    }
}
