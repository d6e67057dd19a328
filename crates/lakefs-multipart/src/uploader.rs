//! [`Uploader`]: upload an object, resume one from a checkpoint, or drive an upload's parts
//! from several processes.

use std::collections::BTreeMap;
use std::future::{Future, IntoFuture};
use std::ops::RangeInclusive;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use lakefs_experimental::models::{ObjectStats, UploadPart};
use lakefs_experimental::{Error as ApiError, ExperimentalClient};
use lakefs_transport::HttpTransport;

use crate::checkpoint::{Checkpoint, CheckpointWriter};
use crate::error::{AbortOutcome, UploadError, UploadFailure};
use crate::guard::AbortOnDrop;
use crate::parts::{check_parts, check_parts_of, staged_mismatch, StoredPart};
use crate::run::{PartRun, Selection};
use crate::session::UploadSession;
use crate::source::Opened;
use crate::urls::{parse_url, PartUrls, Resign, URL_RESPONSE_BUDGET};
use crate::{PartPlan, PartSchedule, ProgressEvent, UploadConfig, UploadSource};

/// A boxed, `Send` future.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

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
    client: ExperimentalClient<T>,
    /// Where part PUTs go: the client's transport, or the data plane's own.
    transport: Arc<D>,
    config: UploadConfig,
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

/// What an object is: its media type and user metadata, recorded when completing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[must_use]
pub struct ObjectOptions {
    content_type: Option<String>,
    user_metadata: BTreeMap<String, String>,
}

impl ObjectOptions {
    /// No content type (lakeFS records `application/octet-stream`), no metadata.
    pub fn new() -> Self {
        Self::default()
    }

    /// The object's media type.
    pub fn content_type(mut self, content_type: impl Into<String>) -> Self {
        self.content_type = Some(content_type.into());
        self
    }

    /// Adds one user metadata entry.
    pub fn metadata(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.user_metadata.insert(key.into(), value.into());
        self
    }

    /// The options a checkpoint recorded.
    pub(crate) fn recorded(
        content_type: Option<String>,
        user_metadata: &BTreeMap<String, String>,
    ) -> Self {
        Self {
            content_type,
            user_metadata: user_metadata.clone(),
        }
    }

    fn check(&self) -> Result<(), UploadFailure> {
        if self.user_metadata.keys().any(String::is_empty) {
            return Err(UploadFailure::Invalid(
                "user metadata keys must not be empty".into(),
            ));
        }
        Ok(())
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

    /// Creates the upload with `parts` presigned URLs (for the first parts); the session and
    /// the URLs.
    async fn create(
        &self,
        repository: &str,
        branch: &str,
        path: &str,
        schedule: PartSchedule,
        parts: u32,
    ) -> Result<(UploadSession, Vec<http::Uri>), UploadError> {
        let created = self
            .client
            .create_presign_multipart_upload()
            .repository(repository)
            .branch(branch)
            .path(path)
            .parts(parts)
            .send()
            .await
            .map_err(|error| {
                // Lost or unreadable after lakeFS may have acted: an upload may exist whose id
                // never arrived. Say so; nothing can abort it through lakeFS.
                let unknown = error.is_ambiguous()
                    || matches!(error, ApiError::Decode { .. } | ApiError::Protocol { .. });
                UploadError::before_create(if unknown {
                    UploadFailure::CreateOutcomeUnknown(error)
                } else {
                    UploadFailure::Create(error)
                })
            })?;
        let urls = created.presigned_urls.unwrap_or_default();
        let session = UploadSession::new(
            repository,
            branch,
            path,
            created.upload_id,
            created.physical_address,
            schedule,
        );
        let checked = if urls.len() == parts as usize {
            urls.iter()
                .zip(1u32..)
                .map(|(url, part_number)| parse_url(url, part_number))
                .collect::<Result<Vec<_>, _>>()
        } else {
            Err(UploadFailure::UrlCount {
                expected: parts,
                got: urls.len(),
            })
        };
        match checked {
            Ok(urls) => Ok((session, urls)),
            // The upload exists: abort it before failing.
            Err(failure) => Err(self.fail_and_abort(failure, &session).await),
        }
    }

    /// Aborts `session` after `failure`, and says so in the error.
    async fn fail_and_abort(&self, failure: UploadFailure, session: &UploadSession) -> UploadError {
        let abort = self.abort_after_failure(session).await;
        UploadError::new(failure, Some(session.upload_id.clone()), abort)
    }

    /// Creates the upload for `schedule` and the URLs its parts start with: the presign
    /// window from create, the rest from `uploadPart` — or, on a lakeFS without `uploadPart`,
    /// every URL from create (a stream of unknown length cannot do without it).
    async fn create_for(
        &self,
        repository: &str,
        branch: &str,
        path: &str,
        schedule: PartSchedule,
    ) -> Result<PartUrls<T>, UploadError> {
        let window = match schedule.part_count() {
            Some(count) => count.min(self.config.presign_window),
            None => 0,
        };
        let (session, initial) = self
            .create(repository, branch, path, schedule, window)
            .await?;
        // Dropped while probing: the upload is aborted, not left open.
        let mut guard = AbortOnDrop::new(
            Some(abort_request(&self.client, &session)),
            &session.upload_id,
        );
        let longest_url = initial.iter().map(|url| url.to_string().len()).max();
        let urls = PartUrls::new(self.client.clone(), session.clone(), initial);
        if window == schedule.max_parts() && schedule.part_count().is_some() {
            guard.disarm();
            return Ok(urls);
        }
        // Parts past the window need uploadPart: find out now whether this lakeFS has it, for
        // the highest part number needed (lakeFS v1.55–v1.79 sign part numbers up to 1,000
        // only; a refusal then means "every URL at create").
        let probe = schedule.part_count().unwrap_or(1);
        let probed = urls.probe(probe).await;
        guard.disarm();
        match probed {
            Ok(()) if urls.resign() == Resign::Supported => Ok(urls),
            Err(failure) => Err(self.fail_and_abort(failure, &session).await),
            Ok(()) => {
                let (Some(total), Some(longest_url)) = (schedule.total_size(), longest_url) else {
                    let failure = UploadFailure::ResignUnsupported { part_number: 1 };
                    return Err(self.fail_and_abort(failure, &session).await);
                };
                // Nothing was sent to this upload yet: replace it with one that has every URL
                // (its abort runs as its own task, exactly once).
                let replaced = tokio::spawn(abort_request(&self.client, &session).send()).await;
                if let Ok(Err(error)) = replaced {
                    tracing::warn!(upload_id = %session.upload_id, %error, "aborting the replaced (empty) upload failed");
                }
                // Every URL in one answer: few enough that the answer stays readable (10,000
                // URLs with session tokens are ~20 MB, past the 16 MiB response cap — an upload
                // whose id could not be read could never be aborted). Larger parts if needed.
                let schedule = schedule_within(total, self.config.part_size, longest_url)
                    .map_err(UploadError::before_create)?;
                let count = schedule.max_parts();
                tracing::info!(
                    parts = count,
                    "this lakeFS cannot sign part URLs after create: creating the upload again with every URL"
                );
                let (session, initial) = self
                    .create(repository, branch, path, schedule, count)
                    .await?;
                let urls = PartUrls::new(self.client.clone(), session, initial);
                urls.mark_unsupported();
                Ok(urls)
            }
        }
    }

    /// The parts of `urls`' upload, sent through the data transport; `digest` computes each
    /// part's MD5 for a checkpoint.
    fn part_run<'a>(&'a self, urls: &'a PartUrls<T>, digest: bool) -> PartRun<'a, T, D> {
        PartRun {
            config: &self.config,
            transport: &self.transport,
            urls,
            schedule: urls.session().schedule,
            digest,
        }
    }

    /// Sends complete with `parts` (checked against the plan, in order).
    async fn send_complete(
        &self,
        session: &UploadSession,
        parts: Vec<StoredPart>,
        options: &ObjectOptions,
    ) -> Result<ObjectStats, UploadFailure> {
        let sent = parts.clone();
        let parts: Vec<UploadPart> = parts.into_iter().map(UploadPart::from).collect();
        self.config.emit(ProgressEvent::Completing {
            parts: u32::try_from(parts.len()).unwrap_or(u32::MAX),
        });
        // The client retries complete only when the server certainly did not act on it.
        let request = self
            .client
            .complete_presign_multipart_upload()
            .repository(&session.repository)
            .branch(&session.branch)
            .path(&session.path)
            .upload_id(&session.upload_id)
            .physical_address(&session.physical_address)
            .parts(parts)
            .set_user_metadata(
                (!options.user_metadata.is_empty()).then(|| options.user_metadata.clone()),
            )
            .set_content_type(options.content_type.clone())
            // Assembling thousands of parts can take S3 minutes: not the 60 s of an API call.
            .timeout(COMPLETE_TIMEOUT);
        let stats = match request.clone().send().await {
            Ok(stats) => stats,
            Err(error) if error.is_ambiguous() => {
                tracing::warn!(upload_id = %session.upload_id, %error, "the answer to complete was lost; finding out whether the object was staged");
                self.resolve_complete(session, request, error).await?
            }
            Err(error @ ApiError::Conflict { .. }) => return Err(UploadFailure::Conflict(error)),
            Err(error) => return Err(UploadFailure::Complete(error)),
        };
        // "Done" only for the object the parts make: its size, and its ETag where the
        // storage's ETags are MD5s.
        match staged_mismatch(&stats, &sent) {
            Some(reason) => Err(UploadFailure::StagedMismatch { reason }),
            None => Ok(stats),
        }
    }

    /// After a complete whose answer was lost: asks lakeFS for the object (a few times, as a
    /// complete may still be running), then sends complete once more — repeatable since
    /// lakeFS v1.22, whose link address is stateless; older servers answer the repeat with
    /// 400 and the object tells — and asks again. Never aborts: when nothing can be told, the
    /// outcome is unknown and the upload is left as it is.
    async fn resolve_complete(
        &self,
        session: &UploadSession,
        request: lakefs_experimental::operations::CompletePresignMultipartUploadRequest<T>,
        lost: ApiError,
    ) -> Result<ObjectStats, UploadFailure> {
        for wait in RESOLVE_WAITS {
            tokio::time::sleep(wait).await;
            if let Some(stats) = self.staged_by(session).await {
                return Ok(stats);
            }
        }
        match request
            .retry_policy(lakefs_experimental::RetryPolicy::none())
            .send()
            .await
        {
            Ok(stats) => return Ok(stats),
            Err(error) => {
                tracing::debug!(upload_id = %session.upload_id, %error, "repeating complete failed");
            }
        }
        if let Some(stats) = self.staged_by(session).await {
            return Ok(stats);
        }
        Err(UploadFailure::OutcomeUnknown {
            upload_id: session.upload_id.clone(),
            source: lost,
        })
    }

    /// The object at the session's path, if it is the one this upload stages (same physical
    /// address).
    pub(crate) async fn staged_by(&self, session: &UploadSession) -> Option<ObjectStats> {
        let stats = self
            .client
            .stat_object()
            .repository(&session.repository)
            .reference(&session.branch)
            .path(&session.path)
            .send()
            .await
            .ok()?;
        (address_key(&stats.physical_address) == address_key(&session.physical_address))
            .then_some(stats)
    }

    /// Aborts `session` exactly once: the abort runs as its own task, so that dropping the
    /// upload's future while it is in flight neither cancels it nor sends a second one.
    async fn abort_after_failure(&self, session: &UploadSession) -> AbortOutcome {
        let abort = abort_request(&self.client, session);
        let result = match tokio::spawn(abort.send()).await {
            Ok(result) => result,
            Err(error) => {
                tracing::warn!(upload_id = %session.upload_id, %error, "the abort task failed");
                return AbortOutcome::NotNeeded;
            }
        };
        match &result {
            Ok(()) => tracing::debug!(upload_id = %session.upload_id, "aborted the upload"),
            Err(error) => tracing::warn!(
                upload_id = %session.upload_id,
                %error,
                "aborting the upload failed: its parts stay on the object store until a lifecycle rule removes them"
            ),
        }
        self.config.emit(ProgressEvent::Aborted {
            confirmed: result.is_ok(),
        });
        match result {
            Ok(()) => AbortOutcome::Aborted,
            Err(error) => AbortOutcome::Failed(error),
        }
    }

    /// The whole upload: create, parts, complete; on failure abort, or keep the checkpoint.
    async fn run_upload(
        &self,
        target: (&str, &str, &str),
        source: UploadSource,
        options: ObjectOptions,
        checkpoint: Option<PathBuf>,
        cancel: Option<BoxFuture<'_, ()>>,
    ) -> Result<ObjectStats, UploadError> {
        let (repository, branch, path) = target;
        options.check().map_err(UploadError::before_create)?;
        if checkpoint.is_some() && !source.is_positional() {
            return Err(UploadError::before_create(UploadFailure::Invalid(
                "a checkpoint needs a file or bytes source: a stream cannot be read again".into(),
            )));
        }
        let opened = source.open().await.map_err(UploadError::before_create)?;
        let schedule =
            schedule_for(&opened, self.config.part_size).map_err(UploadError::before_create)?;
        let fingerprint = match (&checkpoint, opened.reader.fingerprint()) {
            (Some(_), Some(fingerprint)) => Some(
                fingerprint
                    .await
                    .map_err(|e| UploadError::before_create(UploadFailure::Open(e)))?,
            ),
            _ => None,
        };
        let urls = self.create_for(repository, branch, path, schedule).await?;
        let session = urls.session().clone();
        // From here on the upload exists: every way out completes it, aborts it, or leaves
        // it resumable from its checkpoint — a drop included.
        let mut guard = AbortOnDrop::new(
            Some(abort_request(&self.client, &session)),
            &session.upload_id,
        );
        let mut writer = match (checkpoint, fingerprint) {
            (Some(file), Some(fingerprint)) => {
                let state = Checkpoint::new(
                    session.clone(),
                    fingerprint,
                    options.content_type.clone(),
                    options.user_metadata.clone(),
                );
                match CheckpointWriter::create(file, state).await {
                    Ok(writer) => {
                        // Recorded: from now on a drop leaves it resumable.
                        guard.disarm();
                        Some(writer)
                    }
                    Err(failure) => {
                        guard.disarm();
                        return Err(self.fail_and_abort(failure, &session).await);
                    }
                }
            }
            _ => None,
        };
        // The schedule lakeFS's create was made for (larger parts on a lakeFS that must hand
        // out every URL at once).
        let schedule = session.schedule;
        self.config.emit(ProgressEvent::Started {
            total_bytes: opened.exact.then_some(opened.plan_size),
            parts: schedule.max_parts(),
            part_size: schedule.nominal_part_size(),
        });
        let done = BTreeMap::new();
        let outcome = self
            .parts_then_complete(
                &urls,
                opened,
                &done,
                writer.as_mut(),
                &options,
                cancel,
                &mut guard,
            )
            .await;
        self.finish(outcome, &urls, writer, &mut guard).await
    }

    /// Sends the parts not `done` of the `opened` source and completes with them and those `done` — once the whole
    /// list is proven to be the plan's — unless `cancel` completes first.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn parts_then_complete(
        &self,
        urls: &PartUrls<T>,
        opened: Opened,
        done: &BTreeMap<u32, StoredPart>,
        writer: Option<&mut CheckpointWriter>,
        options: &ObjectOptions,
        cancel: Option<BoxFuture<'_, ()>>,
        guard: &mut AbortOnDrop<T>,
    ) -> Result<ObjectStats, UploadFailure> {
        let Opened {
            reader,
            exact,
            stamp,
            ..
        } = opened;
        let run = self.part_run(urls, writer.is_some());
        let mut writer = writer;
        let sending = async {
            let selection = Selection {
                first: 1,
                last: None,
                done,
            };
            let sent = run.send(reader, selection, writer.as_deref_mut()).await?;
            if let Some(writer) = writer.as_deref_mut() {
                // Every part is stored: a checkpoint that cannot be written now must not stop
                // the complete.
                if let Err(error) = writer.flush().await {
                    tracing::warn!(%error, "the checkpoint could not be brought up to date");
                }
            }
            Ok::<_, UploadFailure>(sent)
        };
        // A cancellation stops the parts; once complete is sent it is not cancelled, since an
        // abort could race a complete that lakeFS is carrying out.
        let sent = match cancel {
            Some(cancel) => tokio::select! {
                sent = sending => sent?,
                () = cancel => return Err(UploadFailure::Cancelled),
            },
            None => sending.await?,
        };
        // A file written to while it was read gave parts of two versions: never complete them.
        if let Some(stamp) = &stamp {
            if let Some(reason) = stamp.changed().await {
                return Err(UploadFailure::SourceChanged(reason));
            }
        }
        let parts: Vec<StoredPart> = done.values().cloned().chain(sent).collect();
        // What is completed is exactly the plan, part by part and size by size: never an
        // object that is not the source.
        let parts = check_parts_of(&urls.session().schedule, parts, exact)?;
        guard.complete_in_flight();
        self.send_complete(urls.session(), parts, options).await
    }

    /// Turns the outcome of an upload into its result: on success the checkpoint is removed;
    /// on failure the upload is aborted, or — with a checkpoint — left to be resumed.
    pub(crate) async fn finish(
        &self,
        outcome: Result<ObjectStats, UploadFailure>,
        urls: &PartUrls<T>,
        writer: Option<CheckpointWriter>,
        guard: &mut AbortOnDrop<T>,
    ) -> Result<ObjectStats, UploadError> {
        let session = urls.session();
        let failure = match outcome {
            Ok(stats) => {
                guard.disarm();
                if let Some(writer) = writer {
                    writer.remove();
                }
                return Ok(stats);
            }
            Err(failure) => failure,
        };
        let upload_id = Some(session.upload_id.clone());
        if let UploadFailure::OutcomeUnknown { .. } | UploadFailure::StagedMismatch { .. } = failure
        {
            // Never abort after an ambiguous complete (the object may be staged), nor after
            // one that staged the wrong object (the upload is consumed; it is staged).
            guard.disarm();
            return Err(UploadError::new(
                failure,
                upload_id,
                AbortOutcome::NotNeeded,
            ));
        }
        let failure = gone_if_so(failure, session);
        if let UploadFailure::UploadGone { .. } = failure {
            guard.disarm();
            return Err(UploadError::new(
                failure,
                upload_id,
                AbortOutcome::NotNeeded,
            ));
        }
        let Some(mut writer) = writer else {
            // The abort runs as its own task: dropping this future while it is in flight does
            // not stop it, and the guard must not send a second.
            guard.disarm();
            let abort = self.abort_after_failure(session).await;
            return Err(UploadError::new(failure, upload_id, abort));
        };
        if let Err(why) = self.can_be_resumed(urls).await {
            // Kept, it would stay open for ever: every resume would fail the same way.
            guard.disarm();
            let abort = self.abort_after_failure(session).await;
            writer.remove();
            return Err(UploadError::new(failure, upload_id, abort).not_kept_because(why));
        }
        let _ = writer.flush().await;
        guard.disarm();
        Err(UploadError::new(
            failure,
            upload_id,
            AbortOutcome::Resumable(writer.path().to_owned()),
        ))
    }

    /// Whether a resume could finish this upload: it signs fresh URLs for the parts it sends,
    /// which needs `uploadPart` (lakeFS ≥ v1.55). Asked once when not known yet; when lakeFS
    /// cannot be asked now (it is unreachable), the upload is kept — a resume will tell.
    async fn can_be_resumed(&self, urls: &PartUrls<T>) -> Result<(), &'static str> {
        const CANNOT: &str = "this lakeFS cannot sign part URLs after create (uploadPart needs lakeFS v1.55 or later), so a resume could not send the remaining parts";
        if urls.resign() == Resign::Unknown {
            let part_number = urls.session().schedule.part_count().unwrap_or(1);
            if let Err(error) = urls.fresh(part_number).await {
                tracing::debug!(%error, "cannot tell whether this lakeFS signs part URLs after create");
            }
        }
        match urls.resign() {
            Resign::Unsupported => Err(CANNOT),
            Resign::Supported | Resign::Unknown => Ok(()),
        }
    }
}

/// How long a complete may take: S3 assembles the parts while lakeFS waits, which for
/// thousands of large parts takes minutes.
const COMPLETE_TIMEOUT: Duration = Duration::from_secs(15 * 60);

/// How long to wait before each look for the object after a complete whose answer was lost.
const RESOLVE_WAITS: [Duration; 4] = [
    Duration::ZERO,
    Duration::from_secs(1),
    Duration::from_secs(3),
    Duration::from_secs(8),
];

/// What identifies an object's storage address whether it is written as the full URI
/// (`s3://bucket/namespace/data/<xid>/<xid>,<signature>`, as create returns it) or relative to
/// the storage namespace (`data/…`, as complete and stat return it): the `data/…` part.
fn address_key(address: &str) -> &str {
    address.rfind("data/").map_or(address, |at| &address[at..])
}

/// Explains failures that mean the upload is gone from the object store.
fn gone_if_so(failure: UploadFailure, session: &UploadSession) -> UploadFailure {
    let gone = match &failure {
        UploadFailure::Part {
            cause: crate::PartFailure::Status { status, detail, .. },
            ..
        } => {
            status.as_u16() == 404
                && detail
                    .as_deref()
                    .is_some_and(|d| d.contains("NoSuchUpload"))
        }
        UploadFailure::PartUrl { source, .. } => source
            .server_message()
            .is_some_and(|m| m.contains("link address expired")),
        // The emulator answers 404; lakeFS passes S3's NoSuchUpload on as a 500.
        UploadFailure::Complete(source) => {
            (source.status().is_some_and(|s| s.as_u16() == 404)
                && source
                    .server_message()
                    .is_some_and(|m| m.to_ascii_lowercase().contains("upload")))
                || source
                    .server_message()
                    .is_some_and(|m| m.contains("NoSuchUpload"))
        }
        _ => false,
    };
    if gone {
        UploadFailure::UploadGone {
            upload_id: session.upload_id.clone(),
            reason: format!("{failure} (the upload was aborted, completed, or is past lakeFS's 24 h link-address lifetime)"),
        }
    } else {
        failure
    }
}

/// The plan of a `total`-byte source whose part URLs all come in one create answer, when
/// each URL is about `longest_url` bytes: parts of the configured size, or larger ones (whole
/// MiB) so that the URLs fit in [`URL_RESPONSE_BUDGET`].
fn schedule_within(
    total: u64,
    part_size: u64,
    longest_url: usize,
) -> Result<PartSchedule, UploadFailure> {
    // Each URL is quoted and separated in the JSON array: a few bytes more.
    let fit = (URL_RESPONSE_BUDGET / (longest_url + 8)).max(1) as u64;
    let needed = total.div_ceil(fit).div_ceil(1024 * 1024) * 1024 * 1024;
    Ok(PartPlan::new(total, part_size.max(needed))?.into())
}

/// The part schedule of an opened source.
fn schedule_for(opened: &Opened, part_size: u64) -> Result<PartSchedule, UploadFailure> {
    if opened.unbounded {
        return Ok(PartSchedule::growing(part_size));
    }
    Ok(PartPlan::new(opened.plan_size, part_size)?.into())
}

/// The `abortPresignMultipartUpload` call for `session`.
pub(crate) fn abort_request<T: HttpTransport>(
    client: &ExperimentalClient<T>,
    session: &UploadSession,
) -> lakefs_experimental::operations::AbortPresignMultipartUploadRequest<T> {
    client
        .abort_presign_multipart_upload()
        .repository(&session.repository)
        .branch(&session.branch)
        .path(&session.path)
        .upload_id(&session.upload_id)
        .physical_address(&session.physical_address)
}

/// One upload, configured per object; `.await` it.
#[must_use = "an upload does nothing until it is awaited"]
pub struct Upload<'a, T, D = T> {
    uploader: &'a Uploader<T, D>,
    repository: &'a str,
    branch: &'a str,
    path: &'a str,
    source: UploadSource,
    options: ObjectOptions,
    checkpoint: Option<PathBuf>,
    cancel: Option<BoxFuture<'a, ()>>,
}

impl<'a, T, D> Upload<'a, T, D> {
    /// The object's media type, recorded when completing.
    pub fn content_type(mut self, content_type: impl Into<String>) -> Self {
        self.options = self.options.content_type(content_type);
        self
    }

    /// Adds one user metadata entry, recorded when completing.
    pub fn metadata(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.options = self.options.metadata(key, value);
        self
    }

    /// The object's media type and metadata at once.
    pub fn options(mut self, options: ObjectOptions) -> Self {
        self.options = options;
        self
    }

    /// Keeps a checkpoint at `path`: written after every finished part, removed when the
    /// upload completes. A failed or cancelled upload is then not aborted but left to be
    /// resumed with [`Uploader::resume`]. Needs a file or bytes source.
    pub fn checkpoint(mut self, path: impl AsRef<Path>) -> Self {
        self.checkpoint = Some(path.as_ref().to_owned());
        self
    }

    /// Gives up when `cancel` completes (for example a `CancellationToken::cancelled()` or
    /// `ctrl_c()`): the upload is aborted — or, with a checkpoint, left resumable — and the
    /// error is [`UploadFailure::Cancelled`].
    pub fn cancel_on(mut self, cancel: impl Future<Output = ()> + Send + 'a) -> Self {
        self.cancel = Some(Box::pin(cancel));
        self
    }
}

impl<'a, T: HttpTransport + 'static, D: HttpTransport + 'static> IntoFuture for Upload<'a, T, D> {
    type Output = Result<ObjectStats, UploadError>;
    type IntoFuture = BoxFuture<'a, Self::Output>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.uploader.run_upload(
            (self.repository, self.branch, self.path),
            self.source,
            self.options,
            self.checkpoint,
            self.cancel,
        ))
    }
}

/// The resumption of an upload from its checkpoint; `.await` it.
#[must_use = "a resumption does nothing until it is awaited"]
pub struct Resume<'a, T, D = T> {
    uploader: &'a Uploader<T, D>,
    checkpoint: PathBuf,
    source: UploadSource,
    cancel: Option<BoxFuture<'a, ()>>,
}

impl<'a, T, D> Resume<'a, T, D> {
    /// Gives up when `cancel` completes, leaving the upload resumable again.
    pub fn cancel_on(mut self, cancel: impl Future<Output = ()> + Send + 'a) -> Self {
        self.cancel = Some(Box::pin(cancel));
        self
    }
}

impl<'a, T: HttpTransport + 'static, D: HttpTransport + 'static> IntoFuture for Resume<'a, T, D> {
    type Output = Result<ObjectStats, UploadError>;
    type IntoFuture = BoxFuture<'a, Self::Output>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(
            self.uploader
                .run_resume(self.checkpoint, self.source, self.cancel),
        )
    }
}
