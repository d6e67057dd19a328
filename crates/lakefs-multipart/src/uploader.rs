//! [`Uploader`], the front door: upload an object, resume one from a checkpoint, or drive an
//! upload's parts from several processes.
//!
//! The engine is split by job: `create` (create, the `uploadPart` probe, the fallback of old
//! servers), `whole` (one upload from create to complete), `run` (the parts in flight),
//! `complete` (complete and the lost-answer resolution), `outcome` (abort or keep resumable),
//! `resume` (resume and its proof), `options` (per-object options and the awaited builders).

use std::collections::BTreeMap;
use std::ops::RangeInclusive;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use lakefs_experimental::models::ObjectStats;
use lakefs_experimental::{Error as ApiError, ExperimentalClient};
use lakefs_transport::HttpTransport;

use crate::create::abort_request;
use crate::error::{AbortOutcome, UploadError, UploadFailure};
use crate::options::{ObjectOptions, Resume, Upload};
use crate::parts::{check_parts, StoredPart};
use crate::run::{PartRun, Selection};
use crate::session::UploadSession;
use crate::urls::PartUrls;
use crate::{PartPlan, ProgressSink, UploadConfig, UploadSource};

pub use lakefs_transport::BoxFuture;

/// lakeFS's link-address lifetime: an upload older than this can be neither completed nor
/// aborted through lakeFS (24 h since v1.80; 6 h before).
pub const LINK_ADDRESS_LIFETIME: Duration = Duration::from_secs(24 * 3600);

/// Uploads objects to lakeFS through presigned multipart uploads.
///
/// One upload: plan the parts; `createPresignMultipartUpload` with URLs for the first parts
/// (the presign window); read and PUT parts concurrently straight to the storage (never more
/// than `concurrency` in flight, a part's bytes read only once its slot is free; no lakeFS
/// credentials on the PUTs), asking `uploadPart` for the URLs past the window and for fresh
/// ones when a URL is about to expire; retry transient part failures with backoff, re-sending
/// the same bytes; collect the ETags; `completePresignMultipartUpload` with the parts in
/// order. Any unrecoverable failure — or cancellation — aborts the upload once, unless a
/// checkpoint is kept, which leaves it resumable ([`resume`](Self::resume)).
///
/// API calls per upload: one create, one complete, and one `uploadPart` for every part past
/// the presign window (100 by default) and for every URL refresh (a URL lakeFS signs lives
/// 15 minutes by default).
///
/// Everything runs on the caller's task: no task is spawned, so dropping the future stops
/// every PUT. (The exceptions are bounded: a positional file read, an MD5 digest or a
/// checkpoint write runs on the blocking pool until it ends, and a dropped upload sends its
/// abort from a background task.)
///
/// ```no_run
/// use lakefs_experimental::ExperimentalClient;
/// use lakefs_multipart::{UploadConfig, UploadSource, Uploader};
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let client = ExperimentalClient::from_env()?.build()?;
/// let uploader = Uploader::new(client, UploadConfig::builder().concurrency(8).build()?);
/// let stats = uploader
///     .upload("my-repo", "main", "data/big.parquet", UploadSource::file("big.parquet"))
///     .content_type("application/x-parquet")
///     .checkpoint("big.parquet.upload.json")
///     .await?;
/// println!("{} bytes at {}", stats.size_bytes.unwrap_or(0), stats.physical_address);
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct Uploader<T, D = T> {
    pub(crate) client: ExperimentalClient<T>,
    /// Where part PUTs go: the client's transport, or the data plane's own.
    pub(crate) transport: Arc<D>,
    pub(crate) config: UploadConfig,
}

impl<T, D> Clone for Uploader<T, D> {
    fn clone(&self) -> Self {
        Self {
            client: self.client.clone(),
            transport: Arc::clone(&self.transport),
            config: self.config.clone(),
        }
    }
}

impl<T: HttpTransport + 'static> Uploader<T> {
    /// An uploader using `client` for the API calls and its transport for the part PUTs.
    #[must_use]
    pub fn new(client: ExperimentalClient<T>, config: UploadConfig) -> Self {
        let transport = client.shared_transport();
        Self {
            client,
            transport,
            config,
        }
    }
}

impl<T: HttpTransport + 'static, D: HttpTransport + 'static> Uploader<T, D> {
    /// The same uploader, sending part PUTs through `transport` — of any type — instead of
    /// the client's: for an object store behind another proxy, another CA or another network
    /// than the lakeFS API. lakeFS credentials never travel on it either way.
    ///
    /// ```no_run
    /// use lakefs_experimental::ExperimentalClient;
    /// use lakefs_multipart::{UploadConfig, Uploader};
    /// use lakefs_transport::Proxy;
    ///
    /// # fn run() -> Result<(), Box<dyn std::error::Error>> {
    /// let builder = ExperimentalClient::from_env()?;
    /// // The object store: the same trust and timeouts, but no proxy.
    /// let data = builder.transport_builder().proxy(Proxy::none()).build()?;
    /// let uploader = Uploader::new(builder.build()?, UploadConfig::default())
    ///     .with_data_transport(data);
    /// # Ok(()) }
    /// ```
    #[must_use]
    pub fn with_data_transport<D2: HttpTransport + 'static>(
        self,
        transport: impl Into<Arc<D2>>,
    ) -> Uploader<T, D2> {
        Uploader {
            client: self.client,
            transport: transport.into(),
            config: self.config,
        }
    }

    /// The configuration.
    #[must_use]
    pub fn config(&self) -> &UploadConfig {
        &self.config
    }

    /// The same uploader (transports, configuration and shared slots), reporting progress to
    /// `sink`.
    pub(crate) fn reporting_to(&self, sink: ProgressSink) -> Self {
        let mut config = self.config.clone();
        config.progress = Some(sink);
        Self {
            client: self.client.clone(),
            transport: Arc::clone(&self.transport),
            config,
        }
    }

    /// The lakeFS client.
    pub(crate) fn client(&self) -> &ExperimentalClient<T> {
        &self.client
    }

    /// Uploads `source` to `path` on `branch` of `repository`. Name the object's content
    /// type, metadata, checkpoint or a cancellation on the returned builder, then `.await` it
    /// for the staged object's stats.
    pub fn upload<'a>(
        &'a self,
        repository: &'a str,
        branch: &'a str,
        path: &'a str,
        source: UploadSource,
    ) -> Upload<'a, T, D> {
        Upload {
            uploader: self,
            repository,
            branch,
            path,
            source,
            options: ObjectOptions::new(),
            checkpoint: None,
            cancel: None,
            progress: None,
        }
    }

    /// Resumes the upload the checkpoint at `checkpoint` describes: refuses a `source` that
    /// changed, signs fresh URLs for the parts not yet stored, sends only those, completes,
    /// and removes the checkpoint. Await the returned builder.
    pub fn resume(&self, checkpoint: impl Into<PathBuf>, source: UploadSource) -> Resume<'_, T, D> {
        Resume {
            uploader: self,
            checkpoint: checkpoint.into(),
            source,
            cancel: None,
            progress: None,
        }
    }

    /// Creates an upload of a source of `size` bytes for other processes to fill
    /// ([`upload_parts`](Self::upload_parts)) and one to complete
    /// ([`complete`](Self::complete)). No part URL is signed yet.
    ///
    /// # Errors
    /// [`UploadFailure::Plan`] for a size no multipart upload can hold;
    /// [`UploadFailure::Create`] when lakeFS refuses.
    pub async fn begin(
        &self,
        repository: &str,
        branch: &str,
        path: &str,
        size: u64,
    ) -> Result<UploadSession, UploadError> {
        let plan = PartPlan::new(size, self.config.part_size)
            .map_err(|e| UploadError::before_create(e.into()))?;
        let (session, _) = self
            .create(repository, branch, path, plan.into(), 0)
            .await?;
        Ok(session)
    }

    /// Uploads parts `parts` (part numbers, inclusive) of `session` from `source` — the whole
    /// object's source, of which only those parts are read — and returns them, for the
    /// process that completes. Part URLs are signed as parts start. A failure aborts nothing:
    /// the parts stored so far stay, and the caller decides.
    ///
    /// # Errors
    /// [`UploadFailure::Invalid`] for a source that cannot be read at an offset or does not
    /// have the session's size; otherwise as a part failure of [`upload`](Self::upload).
    pub async fn upload_parts(
        &self,
        session: &UploadSession,
        parts: RangeInclusive<u32>,
        source: UploadSource,
    ) -> Result<Vec<StoredPart>, UploadError> {
        let fail = |failure| {
            UploadError::new(
                failure,
                Some(session.upload_id.clone()),
                AbortOutcome::NotNeeded,
            )
        };
        if !source.is_positional() {
            return Err(fail(UploadFailure::Invalid(
                "uploading a range of parts needs a file or bytes source".into(),
            )));
        }
        let opened = source.open().await.map_err(fail)?;
        if Some(opened.plan_size) != session.schedule.total_size() {
            return Err(fail(UploadFailure::SourceChanged(format!(
                "the source has {} bytes; the session was created for {:?}",
                opened.plan_size,
                session.schedule.total_size()
            ))));
        }
        let urls = PartUrls::new(self.client.clone(), session.clone(), Vec::new());
        let run = self.part_run(&urls, false);
        let selection = Selection {
            first: *parts.start(),
            last: Some(*parts.end()),
            done: &BTreeMap::new(),
        };
        let sent = run
            .send(opened.reader, selection, None)
            .await
            .map_err(fail)?;
        // Parts read from a file that changed meanwhile may mix two versions: not handed on.
        if let Some(stamp) = &opened.stamp {
            if let Some(reason) = stamp.changed().await {
                return Err(fail(UploadFailure::SourceChanged(reason)));
            }
        }
        Ok(sent)
    }

    /// Completes `session` with `parts` (from every process, in any order).
    ///
    /// The parts must be exactly the session's plan: every part number from 1 to the plan's
    /// count once, each of the size the plan gives it. Anything else is refused before any
    /// call, naming what is wrong — completing with it would stage an object that is not the
    /// source. A complete whose answer is lost is resolved as in [`upload`](Self::upload).
    ///
    /// # Errors
    /// [`UploadFailure::PartsMismatch`] for parts that do not cover the plan;
    /// [`UploadFailure::Complete`] or [`UploadFailure::Conflict`] when lakeFS refuses;
    /// [`UploadFailure::OutcomeUnknown`] when its answer was lost and the object could not be
    /// found.
    pub async fn complete(
        &self,
        session: &UploadSession,
        parts: Vec<StoredPart>,
        options: &ObjectOptions,
    ) -> Result<ObjectStats, UploadError> {
        let fail = |failure| {
            UploadError::new(
                failure,
                Some(session.upload_id.clone()),
                AbortOutcome::NotNeeded,
            )
        };
        options.check().map_err(fail)?;
        let parts = check_parts(&session.schedule, parts).map_err(fail)?;
        self.send_complete(session, parts, options)
            .await
            .map_err(fail)
    }

    /// Aborts `session`: the storage discards its parts.
    ///
    /// # Errors
    /// The API error, when lakeFS refuses or cannot be reached.
    pub async fn abort(&self, session: &UploadSession) -> Result<(), ApiError> {
        abort_request(&self.client, session).send().await
    }

    /// The parts of `urls`' upload, sent through the data transport; `digest` computes each
    /// part's MD5 for a checkpoint.
    pub(crate) fn part_run<'a>(&'a self, urls: &'a PartUrls<T>, digest: bool) -> PartRun<'a, T, D> {
        PartRun {
            config: &self.config,
            transport: &self.transport,
            urls,
            schedule: urls.session().schedule,
            digest,
        }
    }
}
