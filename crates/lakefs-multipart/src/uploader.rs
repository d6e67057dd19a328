//! [`Uploader`]: create, PUT parts concurrently, complete, abort on failure.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use futures_util::stream::{FuturesUnordered, StreamExt};
use http::{Method, Request, Uri};
use lakefs_experimental::models::{ObjectStats, UploadPart};
use lakefs_experimental::operations::AbortPresignMultipartUploadRequest;
use lakefs_experimental::{Error as ApiError, ExperimentalClient};
use lakefs_transport::HttpTransport;
use md5::{Digest, Md5};
use tokio::time::Instant;

use crate::error::{s3_error_detail, AbortOutcome, PartFailure, UploadError, UploadFailure};
use crate::etag::{hex, is_md5_shaped, part_etag};
use crate::source::PartReader;
use crate::{PartPlan, ProgressEvent, UploadConfig, UploadSource};

/// Uploads objects to lakeFS through presigned multipart uploads.
///
/// One upload: plan the parts; `createPresignMultipartUpload` with one URL per part; read
/// and PUT parts concurrently straight to the storage (never more than `concurrency` in
/// flight, a part's bytes read only once its slot is free; no lakeFS credentials on the
/// PUTs); retry transient part failures with backoff, re-sending the same bytes; collect the
/// ETags; `completePresignMultipartUpload` with the parts in order. Any unrecoverable failure
/// — or cancellation — aborts the upload once.
///
/// Everything runs on the caller's task: no task is spawned, so dropping the future stops
/// every PUT. (The exceptions are bounded: a positional file read or an MD5 digest runs on
/// the blocking pool until it ends, and a dropped upload sends its abort from a background
/// task.)
///
/// ```no_run
/// use lakefs_experimental::{Credentials, ExperimentalClient};
/// use lakefs_multipart::{UploadConfig, UploadSource, Uploader};
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let client = ExperimentalClient::from_env()?.build()?;
/// let uploader = Uploader::new(client, UploadConfig::builder().concurrency(8).build()?);
/// let stats = uploader
///     .upload("my-repo", "main", "data/big.parquet", UploadSource::file("big.parquet"))
///     .await?;
/// println!("{} bytes at {}", stats.size_bytes.unwrap_or(0), stats.physical_address);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Uploader<T> {
    client: ExperimentalClient<T>,
    config: UploadConfig,
}

/// Where the object goes, and the upload once created.
struct Target<'a> {
    repository: &'a str,
    branch: &'a str,
    path: &'a str,
}

struct Created {
    upload_id: String,
    physical_address: String,
}

/// A part being read: gives back the reader, the part number and the part's bytes.
type ReadFuture =
    Pin<Box<dyn Future<Output = (PartReader, u32, Result<Option<Bytes>, UploadFailure>)> + Send>>;

impl<T: HttpTransport + 'static> Uploader<T> {
    /// An uploader using `client` for the API calls and its transport for the part PUTs.
    #[must_use]
    pub fn new(client: ExperimentalClient<T>, config: UploadConfig) -> Self {
        Self { client, config }
    }

    /// The configuration.
    #[must_use]
    pub fn config(&self) -> &UploadConfig {
        &self.config
    }

    /// Uploads `source` to `path` on `branch` of `repository` and returns the staged object's
    /// stats.
    ///
    /// # Errors
    /// An [`UploadError`] saying what failed (which part, with the last cause), and whether
    /// the upload was aborted.
    pub async fn upload(
        &self,
        repository: &str,
        branch: &str,
        path: &str,
        source: UploadSource,
    ) -> Result<ObjectStats, UploadError> {
        self.upload_until(repository, branch, path, source, std::future::pending())
            .await
    }

    /// As [`upload`](Self::upload), but gives up — and aborts the upload — when `cancel`
    /// completes (for example a `CancellationToken::cancelled()` or `ctrl_c()`).
    ///
    /// # Errors
    /// As [`upload`](Self::upload); [`UploadFailure::Cancelled`] when cancelled.
    pub async fn upload_until(
        &self,
        repository: &str,
        branch: &str,
        path: &str,
        source: UploadSource,
        cancel: impl Future<Output = ()>,
    ) -> Result<ObjectStats, UploadError> {
        let target = Target {
            repository,
            branch,
            path,
        };
        let opened = source.open().await.map_err(UploadError::before_create)?;
        let plan = PartPlan::new(opened.plan_size, self.config.part_size)
            .map_err(|e| UploadError::before_create(e.into()))?;
        let created = self
            .client
            .create_presign_multipart_upload()
            .repository(repository)
            .branch(branch)
            .path(path)
            .parts(plan.part_count())
            .send()
            .await
            .map_err(|e| UploadError::before_create(UploadFailure::Create(e)))?;
        let created_upload = Created {
            upload_id: created.upload_id,
            physical_address: created.physical_address,
        };
        // From here on the upload exists: every way out either completes it or aborts it.
        let mut guard = AbortOnDrop {
            abort: Some(abort_request(&self.client, &target, &created_upload)),
        };
        self.config.emit(ProgressEvent::Started {
            total_bytes: opened.exact.then_some(plan.total_size()),
            parts: plan.part_count(),
            part_size: plan.part_size(),
        });

        let work = async {
            let urls = parse_urls(
                created.presigned_urls.unwrap_or_default(),
                plan.part_count(),
            )?;
            let parts = self.put_parts(&plan, urls, opened.reader).await?;
            self.complete(&target, &created_upload, parts).await
        };
        let outcome = tokio::select! {
            outcome = work => outcome,
            () = cancel => Err(UploadFailure::Cancelled),
        };
        match outcome {
            Ok(stats) => {
                guard.disarm();
                Ok(stats)
            }
            Err(failure) => {
                // Disarmed only once the abort has an answer: if this future is dropped while
                // aborting, the guard still sends one.
                let abort = self.abort(&target, &created_upload).await;
                guard.disarm();
                Err(UploadError::new(
                    failure,
                    Some(created_upload.upload_id),
                    abort,
                ))
            }
        }
    }

    /// Reads and PUTs every part, at most `concurrency` in flight; the parts' ETags in
    /// part-number order.
    async fn put_parts(
        &self,
        plan: &PartPlan,
        urls: Vec<Uri>,
        reader: PartReader,
    ) -> Result<Vec<UploadPart>, UploadFailure> {
        let concurrency = self.config.concurrency;
        let mut in_flight = FuturesUnordered::new();
        let mut reader = Some(reader);
        let mut reading: Option<ReadFuture> = None;
        let mut next_part = 1u32;
        let mut source_ended = false;
        let mut done: Vec<UploadPart> = Vec::with_capacity(urls.len());
        let mut bytes_done = 0u64;
        // Buffers of finished parts, filled again by the next reads: a reading source
        // allocates at most `concurrency` part buffers for the whole upload.
        let mut spare: Vec<BytesMut> = Vec::with_capacity(concurrency);

        loop {
            // A slot is free: start reading the next part. The read holds the slot, so part
            // memory never exceeds `concurrency` parts.
            if reading.is_none()
                && !source_ended
                && next_part <= plan.part_count()
                && in_flight.len() < concurrency
            {
                if let Some(part_reader) = reader.take() {
                    let range = plan.range(next_part);
                    let is_last = next_part == plan.part_count();
                    let part_number = next_part;
                    let buffer = spare.pop();
                    reading = Some(Box::pin(async move {
                        let (part_reader, bytes) =
                            part_reader.read(part_number, range, is_last, buffer).await;
                        (part_reader, part_number, bytes)
                    }));
                }
            }
            if reading.is_none() && in_flight.is_empty() {
                break;
            }
            tokio::select! {
                biased;
                Some(result) = in_flight.next(), if !in_flight.is_empty() => {
                    let (part, bytes): (UploadPart, Bytes) = result?;
                    let size = bytes.len() as u64;
                    bytes_done += size;
                    // Unique once the transport is done with it (never for a slice of a
                    // `Bytes` source, which shares its buffer).
                    if let Ok(buffer) = bytes.try_into_mut() {
                        spare.push(buffer);
                    }
                    self.config.emit(ProgressEvent::PartFinished {
                        part_number: part.part_number,
                        size,
                        bytes_done,
                    });
                    done.push(part);
                }
                (part_reader, part_number, read) = next_read(&mut reading), if reading.is_some() => {
                    reading = None;
                    reader = Some(part_reader);
                    match read? {
                        Some(bytes) => {
                            let url = urls[(part_number - 1) as usize].clone();
                            in_flight.push(self.put_part(part_number, url, bytes));
                            next_part += 1;
                        }
                        None => source_ended = true,
                    }
                }
            }
        }
        done.sort_unstable_by_key(|part| part.part_number);
        Ok(done)
    }

    /// PUTs one part until it is stored or fails for good; its ETag, and its bytes back.
    async fn put_part(
        &self,
        part_number: u32,
        url: Uri,
        bytes: Bytes,
    ) -> Result<(UploadPart, Bytes), UploadFailure> {
        let size = bytes.len() as u64;
        self.config
            .emit(ProgressEvent::PartStarted { part_number, size });
        // The digest runs on the blocking pool while the part is on the wire.
        let mut digest = self.config.verify_md5.then(|| {
            let bytes = bytes.clone();
            tokio::task::spawn_blocking(move || hex(&Md5::digest(&bytes)))
        });
        let mut computed_md5: Option<String> = None;
        let policy = &self.config.retry;
        let started = Instant::now();
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            let failure = match self.send_part(&url, bytes.clone()).await {
                Ok(etag) => {
                    if let Some(handle) = digest.take() {
                        computed_md5 = handle.await.ok();
                    }
                    match &computed_md5 {
                        Some(md5) if is_md5_shaped(&etag) && !md5.eq_ignore_ascii_case(&etag) => {
                            PartFailure::ChecksumMismatch {
                                computed: md5.clone(),
                                etag,
                            }
                        }
                        _ => return Ok((UploadPart::new(part_number, etag), bytes)),
                    }
                }
                Err(failure) => failure,
            };
            let wait = failure
                .is_transient()
                .then(|| policy.next_wait(attempt, started.elapsed(), None, fastrand::f64()))
                .flatten();
            let Some(wait) = wait else {
                return Err(UploadFailure::Part {
                    part_number,
                    cause: failure,
                    attempts: attempt,
                });
            };
            tracing::debug!(part_number, attempt, ?wait, cause = %failure, "retrying a part");
            self.config.emit(ProgressEvent::PartRetried {
                part_number,
                attempt,
                wait,
                reason: failure.to_string(),
            });
            tokio::time::sleep(wait).await;
        }
    }

    /// One PUT of a part to its presigned URL: only `Content-Length` (set by the transport)
    /// and what the URL signs; never lakeFS credentials.
    async fn send_part(&self, url: &Uri, bytes: Bytes) -> Result<String, PartFailure> {
        let request = Request::builder()
            .method(Method::PUT)
            .uri(url.clone())
            .body(bytes)
            .map_err(|_| PartFailure::Status {
                status: http::StatusCode::BAD_REQUEST,
                detail: Some("the presigned URL cannot form a request".into()),
            })?;
        let send = self.client.transport().send(request);
        let response = match self.config.part_timeout {
            Some(after) => tokio::time::timeout(after, send)
                .await
                .map_err(|_| PartFailure::Timeout(after))?,
            None => send.await,
        }
        .map_err(PartFailure::Transport)?;
        let status = response.status();
        if !status.is_success() {
            return Err(PartFailure::Status {
                status,
                detail: s3_error_detail(response.body()),
            });
        }
        part_etag(response.headers()).ok_or(PartFailure::MissingEtag(status))
    }

    async fn complete(
        &self,
        target: &Target<'_>,
        created: &Created,
        parts: Vec<UploadPart>,
    ) -> Result<ObjectStats, UploadFailure> {
        self.config.emit(ProgressEvent::Completing {
            parts: u32::try_from(parts.len()).unwrap_or(u32::MAX),
        });
        let request = self
            .client
            .complete_presign_multipart_upload()
            .repository(target.repository)
            .branch(target.branch)
            .upload_id(&created.upload_id)
            .path(target.path)
            .physical_address(&created.physical_address)
            .parts(parts)
            .set_user_metadata(
                (!self.config.metadata.is_empty()).then(|| self.config.metadata.clone()),
            )
            .set_content_type(self.config.content_type.clone());
        // The client retries complete only when the server certainly did not act on it.
        request.send().await.map_err(|error| match error {
            ApiError::Conflict { .. } => UploadFailure::Conflict(error),
            other => UploadFailure::Complete(other),
        })
    }

    async fn abort(&self, target: &Target<'_>, created: &Created) -> AbortOutcome {
        let result = abort_request(&self.client, target, created).send().await;
        match &result {
            Ok(()) => tracing::debug!(upload_id = %created.upload_id, "aborted the upload"),
            Err(error) => tracing::warn!(
                upload_id = %created.upload_id,
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
}

/// The `abortPresignMultipartUpload` call for `created`.
fn abort_request<T: HttpTransport>(
    client: &ExperimentalClient<T>,
    target: &Target<'_>,
    created: &Created,
) -> AbortPresignMultipartUploadRequest<T> {
    client
        .abort_presign_multipart_upload()
        .repository(target.repository)
        .branch(target.branch)
        .upload_id(&created.upload_id)
        .path(target.path)
        .physical_address(&created.physical_address)
}

/// Waits for the part being read (never resolves when none is).
async fn next_read(
    reading: &mut Option<ReadFuture>,
) -> (PartReader, u32, Result<Option<Bytes>, UploadFailure>) {
    match reading.as_mut() {
        Some(read) => read.await,
        None => std::future::pending().await,
    }
}

/// Checks the URL count and parses each URL.
fn parse_urls(urls: Vec<String>, expected: u32) -> Result<Vec<Uri>, UploadFailure> {
    if urls.len() != expected as usize {
        return Err(UploadFailure::UrlCount {
            expected,
            got: urls.len(),
        });
    }
    urls.into_iter()
        .zip(1u32..)
        .map(|(url, part_number)| {
            url.parse::<Uri>()
                .ok()
                .filter(|uri| {
                    matches!(uri.scheme_str(), Some("http" | "https")) && uri.host().is_some()
                })
                .ok_or(UploadFailure::BadUrl { part_number })
        })
        .collect()
}

/// Sends the abort from a background task if the upload future is dropped mid-way.
struct AbortOnDrop<T: HttpTransport + 'static> {
    /// The abort to send, owning its arguments; `None` once disarmed.
    abort: Option<AbortPresignMultipartUploadRequest<T>>,
}

impl<T: HttpTransport + 'static> AbortOnDrop<T> {
    fn disarm(&mut self) {
        self.abort = None;
    }
}

/// How long a background abort may take before it is given up.
const BACKGROUND_ABORT_TIMEOUT: Duration = Duration::from_secs(60);

impl<T: HttpTransport + 'static> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        let Some(abort) = self.abort.take() else {
            return;
        };
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        runtime.spawn(async move {
            let _ = tokio::time::timeout(BACKGROUND_ABORT_TIMEOUT, abort.send()).await;
        });
    }
}
