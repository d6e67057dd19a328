//! One part's PUT: retried with backoff until it is stored or fails for good, its URL
//! refreshed when it is about to expire or the storage says it has, its MD5 computed for the
//! check or the checkpoint, a stall told by progress — or, over a transport that reports none,
//! by a deadline from the part's size.

use std::time::Duration;

use base64::Engine as _;
use bytes::Bytes;
use http::{Method, Request, StatusCode};
use lakefs_experimental::retry::parse_retry_after;
use lakefs_experimental::retry::{Attempt, Attempts, Outcome};
use lakefs_transport::{HttpTransport, Progress};
use md5::{Digest, Md5};

use crate::error::{s3_error_detail, PartFailure, UploadFailure};
use crate::etag::{hex, is_md5_shaped, part_etag};
use crate::parts::StoredPart;
use crate::progress::SENDING_EVERY;
use crate::run::PartRun;
use crate::urls::{PartUrl, Resign};
use crate::ProgressEvent;

impl<T: HttpTransport, D: HttpTransport> PartRun<'_, T, D> {
    /// PUTs one part until it is stored or fails for good; the stored part, and its bytes back.
    ///
    /// Before every attempt, a URL that expires within the refresh margin is replaced with a
    /// fresh one. A `403` that says the URL expired (or that comes after its expiry) gets one
    /// fresh URL and another attempt, which does not count as a retry. Retries go through the
    /// same loop as API calls ([`lakefs_experimental::retry::run`]): attempts, time without
    /// progress (bytes moving or an answer of any kind), and the storage's `Retry-After`.
    pub(crate) async fn put_part(
        &self,
        part_number: u32,
        bytes: Bytes,
    ) -> Result<(StoredPart, Bytes), UploadFailure> {
        let size = bytes.len() as u64;
        self.config
            .emit(ProgressEvent::PartStarted { part_number, size });
        let url = self.urls.first(part_number).await?;
        // The part's MD5, on the blocking pool. With the MD5 check on, it goes with the part
        // as `Content-MD5` (the storage verifies it whatever its encryption, and refuses
        // damaged bytes with `400 BadDigest`), so it is awaited first; for a checkpoint only,
        // it is computed while the part is sent.
        let digesting = (self.config.verify_md5 || self.digest).then(|| {
            let digest_of = bytes.clone();
            tokio::task::spawn_blocking(move || Digest128(Md5::digest(&digest_of).into()))
        });
        let (content_md5, digesting) = match digesting {
            Some(task) if self.config.verify_md5 => (
                Some(task.await.map_err(|e| digest_failed(part_number, e))?),
                None,
            ),
            task => (None, task),
        };
        let mut attempts = PartAttempts {
            run: self,
            part_number,
            bytes,
            url,
            content_md5,
            digesting,
            refreshed_after_expiry: false,
            last_mismatch: None,
        };
        let part = lakefs_experimental::retry::run(&self.config.retry, &mut attempts).await?;
        Ok((part, attempts.bytes))
    }

    /// A fresh URL for `part_number`, announced as a progress event; `None` when this lakeFS
    /// cannot sign one.
    async fn refresh(&self, part_number: u32) -> Result<Option<PartUrl>, UploadFailure> {
        let fresh = self.urls.fresh(part_number).await?;
        if let Some(url) = &fresh {
            match url.deadline {
                Some(deadline) => {
                    let expires_in =
                        deadline.saturating_duration_since(tokio::time::Instant::now());
                    tracing::debug!(part_number, ?expires_in, "refreshed a part's presigned URL");
                }
                None => tracing::debug!(part_number, "refreshed a part's presigned URL"),
            }
            self.config
                .emit(ProgressEvent::UrlRefreshed { part_number });
        }
        Ok(fresh)
    }

    /// One PUT of a part to its presigned URL: only `Content-Length` (set by the transport),
    /// `Content-MD5` when the MD5 check is on, and what the URL signs; never lakeFS
    /// credentials.
    async fn send_part(
        &self,
        part_number: u32,
        url: &PartUrl,
        bytes: Bytes,
        content_md5: Option<&Digest128>,
        progress: &Progress,
    ) -> Result<Stored, PartFailure> {
        let mut request = Request::builder().method(Method::PUT).uri(url.uri.clone());
        if let Some(md5) = content_md5 {
            request = request.header("content-md5", md5.base64());
        }
        let len = bytes.len() as u64;
        let mut request = request.body(bytes).map_err(|_| PartFailure::Status {
            status: StatusCode::BAD_REQUEST,
            detail: Some("the presigned URL cannot form a request".into()),
            retry_after: None,
        })?;
        let stall = self
            .config
            .stall_timeout
            .filter(|_| self.transport.reports_progress());
        // Bytes as they go out, for the stall check and for a progress callback.
        let reporting = self.config.progress.is_some() && self.transport.reports_progress();
        let metered = self.config.slots().is_some_and(|slots| slots.is_adaptive());
        if stall.is_some() || reporting || metered {
            request.extensions_mut().insert(progress.clone());
        }
        let send = async {
            match stall {
                Some(after) => tokio::select! {
                    response = self.transport.send(request) => {
                        response.map_err(PartFailure::Transport)
                    }
                    stalled = stalled(progress, len, after, after.max(ANSWER_AFTER_BODY)) => {
                        Err(PartFailure::Stalled(stalled))
                    }
                },
                None => self
                    .transport
                    .send(request)
                    .await
                    .map_err(PartFailure::Transport),
            }
        };
        let send = async {
            if !reporting {
                return send.await;
            }
            let mut send = std::pin::pin!(send);
            let mut every = tokio::time::interval(SENDING_EVERY);
            every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
            let mut reported = 0;
            loop {
                tokio::select! {
                    response = &mut send => return response,
                    _ = every.tick() => {
                        let bytes_sent = progress.bytes().min(len);
                        if bytes_sent != reported {
                            reported = bytes_sent;
                            self.config.emit(ProgressEvent::PartSending {
                                part_number,
                                bytes_sent,
                                size: len,
                            });
                        }
                    }
                }
            }
        };
        // Without progress reports nothing can tell a dead connection from a slow one: the
        // attempt gets a deadline from the part's size at the floor rate.
        let deadline = self
            .config
            .part_timeout
            .or_else(|| stall.is_none().then(|| floor_deadline(len)));
        let response = match deadline {
            Some(after) => tokio::time::timeout(after, send)
                .await
                .map_err(|_| PartFailure::Timeout(after))?,
            None => send.await,
        }?;
        let status = response.status();
        if !status.is_success() {
            return Err(PartFailure::Status {
                status,
                detail: s3_error_detail(response.body()),
                retry_after: response
                    .headers()
                    .get(http::header::RETRY_AFTER)
                    .and_then(parse_retry_after),
            });
        }
        let etag = part_etag(response.headers()).ok_or(PartFailure::MissingEtag(status))?;
        // SSE-KMS and SSE-C ETags are 32 hex digits too, but no MD5 of the part.
        let encrypted = response
            .headers()
            .contains_key("x-amz-server-side-encryption-customer-algorithm")
            || response
                .headers()
                .get("x-amz-server-side-encryption")
                .is_some_and(|v| v.as_bytes().starts_with(b"aws:kms"));
        Ok(Stored { etag, encrypted })
    }
}

/// A failed MD5 task, as a failure to read the part.
fn digest_failed(part_number: u32, error: tokio::task::JoinError) -> UploadFailure {
    UploadFailure::Source {
        part_number,
        source: std::io::Error::other(error),
    }
}

/// One part's PUTs, for the retry loop: the URL (refreshed as it nears expiry, or once after
/// the storage says it expired), the part's MD5, and what the last attempts saw.
struct PartAttempts<'r, 'a, T, D> {
    run: &'r PartRun<'a, T, D>,
    part_number: u32,
    bytes: Bytes,
    url: PartUrl,
    /// The MD5 sent as `Content-MD5` (the MD5 check on).
    content_md5: Option<Digest128>,
    /// The MD5 being computed for the checkpoint.
    digesting: Option<tokio::task::JoinHandle<Digest128>>,
    refreshed_after_expiry: bool,
    /// The ETag of the last attempt whose ETag was not the part's MD5.
    last_mismatch: Option<String>,
}

impl<T: HttpTransport, D: HttpTransport> PartAttempts<'_, '_, T, D> {
    /// The attempt's failure, as the upload's.
    fn failed(&self, cause: PartFailure, attempt: &Attempt) -> UploadFailure {
        UploadFailure::Part {
            part_number: self.part_number,
            cause,
            attempts: attempt.number(),
        }
    }

    /// The part is stored: with the MD5 of its bytes when one was computed.
    async fn stored(&mut self, etag: String) -> Result<StoredPart, UploadFailure> {
        let md5 = match (&self.content_md5, self.digesting.take()) {
            (Some(md5), _) => Some(md5.hex()),
            (None, Some(task)) => Some(
                task.await
                    .map_err(|e| digest_failed(self.part_number, e))?
                    .hex(),
            ),
            (None, None) => None,
        };
        Ok(StoredPart {
            part_number: self.part_number,
            etag,
            size: self.bytes.len() as u64,
            md5,
        })
    }
}

impl<T: HttpTransport, D: HttpTransport> Attempts for PartAttempts<'_, '_, T, D> {
    type Output = StoredPart;
    type Error = UploadFailure;

    async fn attempt(&mut self, attempt: &mut Attempt) -> Outcome<StoredPart, UploadFailure> {
        let part_number = self.part_number;
        if self.url.expires_within(self.run.config.url_refresh_margin) {
            match self.run.refresh(part_number).await {
                Ok(Some(fresh)) => self.url = fresh,
                Ok(None) => {}
                Err(failure) => return Outcome::Done(Err(failure)),
            }
        }
        // Bytes as they go, counted also for the adaptive controller's goodput.
        let slots = self.run.config.slots();
        let progress = match slots.and_then(|slots| slots.meter()) {
            Some(meter) => Progress::new().with_total(meter),
            None => Progress::new(),
        };
        let sent = self
            .run
            .send_part(
                part_number,
                &self.url,
                self.bytes.clone(),
                self.content_md5.as_ref(),
                &progress,
            )
            .await;
        if let Some(slots) = slots {
            slots.observe(matches!(&sent, Err(failure) if failure.is_throttling()));
        }
        if progress.bytes() > 0 {
            // Bytes moved: whatever came of it, the attempt was no stall.
            attempt.progressed();
        }
        let failure = match sent {
            Ok(stored) => {
                attempt.progressed();
                let mismatch = match (&self.content_md5, stored.comparable_etag()) {
                    (Some(md5), Some(etag)) if !md5.hex().eq_ignore_ascii_case(etag) => {
                        Some((md5.hex(), etag.to_owned()))
                    }
                    _ => None,
                };
                let Some((computed, etag)) = mismatch else {
                    return Outcome::Done(self.stored(stored.etag).await);
                };
                let again = self.last_mismatch.as_deref() == Some(etag.as_str());
                self.last_mismatch = Some(etag.clone());
                let cause = PartFailure::ChecksumMismatch { computed, etag };
                if again {
                    // The same ETag twice: not damage on the way but an ETag that is no MD5
                    // (an encryption the answer did not name). Stop.
                    return Outcome::Done(Err(self.failed(cause, attempt)));
                }
                cause
            }
            Err(failure) => {
                if matches!(failure, PartFailure::Status { .. }) {
                    attempt.progressed();
                }
                failure
            }
        };
        if is_expiry(&failure, &self.url) {
            if !self.refreshed_after_expiry {
                match self.run.refresh(part_number).await {
                    Ok(Some(fresh)) => {
                        self.refreshed_after_expiry = true;
                        self.url = fresh;
                        return Outcome::Again;
                    }
                    Ok(None) => {}
                    Err(failure) => return Outcome::Done(Err(failure)),
                }
            }
            let cause = PartFailure::UrlExpired {
                cannot_resign: self.run.urls.resign() == Resign::Unsupported,
            };
            return Outcome::Done(Err(self.failed(cause, attempt)));
        }
        if failure.is_transient() {
            let retry_after = failure.retry_after();
            Outcome::Retry {
                error: self.failed(failure, attempt),
                retry_after,
            }
        } else {
            Outcome::Done(Err(self.failed(failure, attempt)))
        }
    }

    fn before_retry(&mut self, error: &UploadFailure, number: u32, wait: Duration) {
        let UploadFailure::Part { cause, .. } = error else {
            return;
        };
        let part_number = self.part_number;
        tracing::debug!(part_number, attempt = number, ?wait, cause = %cause, "retrying a part");
        self.run.config.emit(ProgressEvent::PartRetried {
            part_number,
            attempt: number,
            wait,
            reason: cause.to_string(),
        });
    }
}

/// A stored part: its ETag, and whether the storage said it encrypted it with KMS or a
/// customer key (whose ETags are not the part's MD5).
struct Stored {
    etag: String,
    encrypted: bool,
}

impl Stored {
    /// The ETag, when it can be compared with the part's MD5.
    fn comparable_etag(&self) -> Option<&str> {
        (!self.encrypted && is_md5_shaped(&self.etag)).then_some(self.etag.as_str())
    }
}

/// A part's MD5.
struct Digest128([u8; 16]);

impl Digest128 {
    fn hex(&self) -> String {
        hex(&self.0)
    }

    fn base64(&self) -> String {
        base64::engine::general_purpose::STANDARD.encode(self.0)
    }
}

/// How long a store may take to answer once a part's whole body is out, at least.
const ANSWER_AFTER_BODY: Duration = Duration::from_secs(120);

/// The slowest link a part attempt is given time for when its transport does not report
/// progress (so that a stall cannot be told from a slow link): 128 KiB/s, 1 Mbit/s.
pub const FLOOR_RATE: u64 = 128 * 1024;

/// The deadline of a part attempt of `len` bytes over a transport that does not report
/// progress: the time to send it at [`FLOOR_RATE`], plus the 120 s a store may take to answer
/// once the body is out (an 8 MiB part gets 184 s; a 5 GiB part about 11.5 h).
pub(crate) fn floor_deadline(len: u64) -> Duration {
    ANSWER_AFTER_BODY + Duration::from_secs(len.div_ceil(FLOOR_RATE))
}

/// Resolves once `progress` has not moved for `after` (never while it moves). Once the whole
/// body (`len` bytes) is out, the wait for the answer gets `answer_after` instead: a store
/// may take a while to answer after the last byte (checksums, a buffering proxy).
async fn stalled(
    progress: &Progress,
    len: u64,
    after: Duration,
    answer_after: Duration,
) -> Duration {
    let tick = (after / 8).max(Duration::from_millis(10));
    let mut seen = progress.bytes();
    let mut still_since = tokio::time::Instant::now();
    loop {
        tokio::time::sleep(tick).await;
        let now = progress.bytes();
        let limit = if now >= len { answer_after } else { after };
        if now != seen {
            seen = now;
            still_since = tokio::time::Instant::now();
        } else if still_since.elapsed() >= limit {
            return limit;
        }
    }
}

/// Whether a failed PUT means the URL expired: S3 says "Request has expired" (403
/// `AccessDenied`), a 403 came after the URL's own expiry, or the session token that signed
/// the URL expired before it (400 `ExpiredToken` or `TokenRefreshRequired`).
fn is_expiry(failure: &PartFailure, url: &PartUrl) -> bool {
    match failure {
        PartFailure::Status { status, detail, .. } if *status == StatusCode::FORBIDDEN => {
            detail
                .as_deref()
                .is_some_and(|d| d.to_ascii_lowercase().contains("expired"))
                || url.has_expired()
        }
        PartFailure::Status { status, detail, .. } if *status == StatusCode::BAD_REQUEST => {
            detail.as_deref().is_some_and(|d| {
                d.starts_with("ExpiredToken") || d.starts_with("TokenRefreshRequired")
            })
        }
        _ => false,
    }
}
