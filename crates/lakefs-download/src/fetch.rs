//! One part: a ranged GET pinned to the object's identity, its answer checked
//! (`Content-Range`, length, `ETag`), retried under the shared policy, a stall told by
//! received bytes rather than by a deadline.

use std::ops::Range;
use std::sync::Arc;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use http::header::{CONTENT_LENGTH, CONTENT_RANGE, ETAG, IF_MATCH, RANGE, RETRY_AFTER};
use http::{Request, Response, StatusCode};
use lakefs_api::ObjectsApi;
use lakefs_client::retry::{self, Attempt, Attempts, Outcome};
use lakefs_client::{Client, RetryPolicy};
use lakefs_transport::{HttpTransport, ReceiveProgress, ResponseBody, TransportError};
use tokio::time::Instant;

use crate::config::DownloadConfig;
use crate::file::PartWriter;
use crate::route::PresignedUrl;
use crate::target::{ObjectIdentity, Target};
use crate::{DownloadEvent, Error, ErrorKind};

/// Refreshes of an expired URL one part may ask for before giving up: a URL that expires at
/// once, again and again, is a clock or configuration problem no refresh mends.
const MAX_REFRESHES_PER_PART: u32 = 3;

/// Everything a part's GET needs, shared by the download's tasks.
pub(crate) struct Fetcher<T> {
    pub(crate) client: Client<T>,
    pub(crate) target: Target,
    pub(crate) identity: ObjectIdentity,
    /// `None`: through lakeFS's `getObject`.
    pub(crate) url: Option<PresignedUrl>,
    pub(crate) config: Arc<DownloadConfig>,
}

impl<T: HttpTransport + 'static> Fetcher<T> {
    /// The bytes of `range` (part `number`), exactly, from the version of the object the
    /// download started with.
    pub(crate) async fn fetch(&self, number: u32, range: Range<u64>) -> Result<Bytes, Error> {
        let mut attempts = PartAttempts {
            fetcher: self,
            number,
            range: range.clone(),
            refreshes: 0,
            writer: None,
        };
        match retry::run(&self.config.retry, &mut attempts).await {
            Ok(Received::Bytes(bytes)) => Ok(bytes),
            Ok(Received::Written(_)) => Err(Error::new(ErrorKind::Io, "a part was not kept")),
            Err(error) => Err(error.with_part(number, &range)),
        }
    }

    /// Fetches part `number` into `writer` as its bytes arrive (each attempt from the
    /// part's first byte), and returns the MD5s of its slices when the writer hashes. Every
    /// byte is written and the length checked when this returns `Ok`.
    pub(crate) async fn fetch_to(
        &self,
        number: u32,
        range: Range<u64>,
        writer: &mut PartWriter,
    ) -> Result<Option<Vec<[u8; 16]>>, Error> {
        let mut attempts = PartAttempts {
            fetcher: self,
            number,
            range: range.clone(),
            refreshes: 0,
            writer: Some(writer),
        };
        match retry::run(&self.config.retry, &mut attempts).await {
            Ok(Received::Written(md5s)) => Ok(md5s),
            Ok(Received::Bytes(_)) => Err(Error::new(ErrorKind::Io, "a part was not written")),
            Err(error) => Err(error.with_part(number, &range)),
        }
    }

    /// The deadline of one attempt over a transport that does not report received bytes:
    /// the stall timeout plus a second per 128 KiB.
    fn floor_deadline(&self, len: u64) -> Duration {
        self.config.stall_timeout + Duration::from_secs(len / (128 * 1024))
    }

    /// Whether the object changed, as the error that says so; a refusal that is not about
    /// the object stays `error`.
    async fn explain(&self, error: Error) -> Error {
        match self.target.changed(&self.client, &self.identity).await {
            Ok(Some(changed)) => changed,
            Ok(None) | Err(_) => error,
        }
    }
}

/// The attempts of one part, for the retry loop.
struct PartAttempts<'a, T> {
    fetcher: &'a Fetcher<T>,
    number: u32,
    range: Range<u64>,
    refreshes: u32,
    /// Where the bytes go as they arrive; `None`: kept, whole.
    writer: Option<&'a mut PartWriter>,
}

/// A part's bytes, kept or written.
enum Received {
    Bytes(Bytes),
    /// Written to the file: the MD5s of its slices, when hashed.
    Written(Option<Vec<[u8; 16]>>),
}

/// The most of an error answer's body read (for its S3 `Code` and `Message`).
const ERROR_BODY_LIMIT: usize = 64 * 1024;

/// What an attempt's answer came to, before the retry decision.
enum Answer {
    Done(Received),
    Retry(Error, Option<Duration>),
    /// The URL expired: refresh (generation) and go again.
    Expired(u64),
    Fail(Error),
    /// A refusal that may mean the object changed: ask lakeFS, then fail.
    Suspect(Error),
    /// The download stopped while the body was being received.
    Stopped,
}

impl<T: HttpTransport + 'static> Attempts for PartAttempts<'_, T> {
    type Output = Received;
    type Error = Error;

    async fn attempt(&mut self, attempt: &mut Attempt) -> Outcome<Received, Error> {
        let fetcher = self.fetcher;
        let answer = match &fetcher.url {
            Some(url) => self.presigned(url, attempt).await,
            None => self.through_lakefs(attempt).await,
        };
        fetcher.config.observe(match &answer {
            Answer::Retry(error, _) | Answer::Fail(error) | Answer::Suspect(error) => {
                error.status()
            }
            _ => None,
        });
        match answer {
            Answer::Done(received) => Outcome::Done(Ok(received)),
            Answer::Retry(error, retry_after) => Outcome::Retry { error, retry_after },
            Answer::Fail(error) => Outcome::Done(Err(error)),
            Answer::Suspect(error) => Outcome::Done(Err(fetcher.explain(error).await)),
            Answer::Stopped => Outcome::Done(Err(Error::cancelled(
                None,
                "the download stopped while the part was arriving",
            ))),
            Answer::Expired(generation) => {
                self.refreshes += 1;
                if self.refreshes > MAX_REFRESHES_PER_PART {
                    return Outcome::Done(Err(Error::new(
                        ErrorKind::Store,
                        format!(
                            "the store refused {MAX_REFRESHES_PER_PART} fresh presigned URLs in a row as expired (is this machine's or the store's clock wrong?)"
                        ),
                    )
                    .with_status(StatusCode::FORBIDDEN)));
                }
                let (Some(url), client) = (&fetcher.url, &fetcher.client) else {
                    return Outcome::Done(Err(Error::new(ErrorKind::Store, "expired")));
                };
                match url
                    .expired(generation, client, &fetcher.target, &fetcher.identity)
                    .await
                {
                    Ok(refreshed) => {
                        if refreshed {
                            fetcher.config.emit(&DownloadEvent::UrlRefreshed);
                        }
                        Outcome::Again
                    }
                    Err(error) if error.is_transient() => Outcome::Retry {
                        error,
                        retry_after: None,
                    },
                    Err(error) => Outcome::Done(Err(error)),
                }
            }
        }
    }

    fn before_retry(&mut self, error: &Error, number: u32, wait: Duration) {
        self.fetcher.config.emit(&DownloadEvent::PartRetried {
            part_number: self.number,
            attempt: number,
            wait,
            error: error.to_string(),
        });
    }
}

impl<T: HttpTransport + 'static> PartAttempts<'_, T> {
    fn len(&self) -> u64 {
        self.range.end - self.range.start
    }

    async fn presigned(&mut self, url: &PresignedUrl, attempt: &mut Attempt) -> Answer {
        let fetcher = self.fetcher;
        let current = match url
            .current(&fetcher.client, &fetcher.target, &fetcher.identity)
            .await
        {
            Ok((current, refreshed)) => {
                if refreshed {
                    fetcher.config.emit(&DownloadEvent::UrlRefreshed);
                }
                current
            }
            Err(error) if error.is_transient() => return Answer::Retry(error, None),
            Err(error) => return Answer::Fail(error),
        };
        let request = Request::get(current.url)
            .header(
                RANGE,
                format!("bytes={}-{}", self.range.start, self.range.end - 1),
            )
            .header(IF_MATCH, format!("\"{}\"", fetcher.identity.checksum))
            .body(Bytes::new());
        let mut request = match request {
            Ok(request) => request,
            Err(_) => {
                return Answer::Fail(Error::new(
                    ErrorKind::Protocol,
                    "the presigned URL or the checksum cannot be sent in a request",
                ))
            }
        };
        let transport = fetcher.client.transport();
        let stall = fetcher.config.stall_timeout;
        if transport.streams_responses() {
            // The bytes are counted here as they arrive: no ReceiveProgress to fill.
            let head = tokio::time::timeout(stall, transport.send_streaming(request)).await;
            let response = match head {
                Err(_) => return self.stalled(0),
                Ok(Err(error)) => return transport_failure(error),
                Ok(Ok(response)) => response,
            };
            attempt.progressed();
            return self
                .check_store_answer(response, current.generation, attempt, true)
                .await;
        }
        let progress = match &fetcher.config.received {
            Some(total) => ReceiveProgress::new().with_total(total.clone()),
            None => ReceiveProgress::new(),
        };
        request.extensions_mut().insert(progress.clone());
        let sent = if transport.reports_receive_progress() {
            watch(transport.send(request), &progress, stall).await
        } else {
            tokio::time::timeout(fetcher.floor_deadline(self.len()), transport.send(request))
                .await
                .ok()
        };
        let response = match sent {
            None => {
                if progress.bytes() > 0 {
                    attempt.progressed();
                }
                return self.stalled(progress.bytes());
            }
            Some(Err(error)) => {
                if progress.bytes() > 0 {
                    attempt.progressed();
                }
                return transport_failure(error);
            }
            Some(Ok(response)) => response,
        };
        attempt.progressed();
        let response = response.map(ResponseBody::full);
        self.check_store_answer(response, current.generation, attempt, false)
            .await
    }

    /// A stall after `received` bytes of the part.
    fn stalled(&self, received: u64) -> Answer {
        Answer::Retry(
            Error::new(
                ErrorKind::Stalled,
                format!(
                    "no byte arrived for {:?} ({received} of {} bytes received)",
                    self.fetcher.config.stall_timeout,
                    self.len()
                ),
            ),
            None,
        )
    }

    /// Sorts the store's answer to a ranged GET; a success's head is checked before any of
    /// its bytes is written, then its body taken as it arrives (counted in the download's
    /// total when `count`).
    async fn check_store_answer(
        &mut self,
        response: Response<ResponseBody>,
        generation: u64,
        attempt: &mut Attempt,
        count: bool,
    ) -> Answer {
        let status = response.status();
        let (parts, body) = response.into_parts();
        if matches!(status, StatusCode::PARTIAL_CONTENT | StatusCode::OK) {
            let head = Response::from_parts(parts, ());
            if let Some(refused) = self.check_head(&head) {
                return refused;
            }
            return self.receive(body, attempt, count).await;
        }
        let stall = self.fetcher.config.stall_timeout;
        let text = tokio::time::timeout(stall, body.collect_at_most(ERROR_BODY_LIMIT))
            .await
            .ok()
            .and_then(Result::ok)
            .unwrap_or_default();
        let response = Response::from_parts(parts, text);
        match status {
            StatusCode::PRECONDITION_FAILED => Answer::Suspect(
                Error::new(
                    ErrorKind::ObjectChanged,
                    "the object at the presigned address is no longer the one the download started with (If-Match refused)",
                )
                .with_status(status),
            ),
            StatusCode::FORBIDDEN if is_expired(response.body()) => Answer::Expired(generation),
            StatusCode::NOT_FOUND | StatusCode::RANGE_NOT_SATISFIABLE => {
                Answer::Suspect(store_error(&response))
            }
            StatusCode::TOO_MANY_REQUESTS
            | StatusCode::INTERNAL_SERVER_ERROR
            | StatusCode::BAD_GATEWAY
            | StatusCode::SERVICE_UNAVAILABLE
            | StatusCode::GATEWAY_TIMEOUT => Answer::Retry(
                store_error(&response),
                response
                    .headers()
                    .get(RETRY_AFTER)
                    .and_then(retry::parse_retry_after),
            ),
            _ => Answer::Fail(store_error(&response)),
        }
    }

    /// Takes a success answer's body as it arrives: into the part's writer (from the part's
    /// first byte), or kept whole. No more than the part's length is taken, and no less is
    /// accepted; a silence of the stall timeout between two chunks is a stall.
    async fn receive(
        &mut self,
        mut body: ResponseBody,
        attempt: &mut Attempt,
        count: bool,
    ) -> Answer {
        let len = self.len();
        let config = &self.fetcher.config;
        let stall = config.stall_timeout;
        /// Clears a writer's "receiving" flag however the body ends.
        struct Receiving(Option<Arc<std::sync::atomic::AtomicBool>>);
        impl Drop for Receiving {
            fn drop(&mut self) {
                if let Some(flag) = &self.0 {
                    flag.store(false, std::sync::atomic::Ordering::Relaxed);
                }
            }
        }
        let receiving = Receiving(self.writer.as_deref_mut().map(|writer| {
            writer.restart();
            let flag = writer.receiving();
            flag.store(true, std::sync::atomic::Ordering::Relaxed);
            flag
        }));
        let mut received = 0u64;
        let mut first: Option<Bytes> = None;
        let mut joined: Option<BytesMut> = None;
        loop {
            let next = tokio::time::timeout(stall, body.next_chunk());
            let next = match self.writer.as_deref() {
                // A chunk ready is taken first: a stop ends the body only while it waits.
                Some(writer) => tokio::select! {
                    biased;
                    next = next => next,
                    () = writer.stopped() => return Answer::Stopped,
                },
                None => next.await,
            };
            let chunk = match next {
                Err(_) => return self.stalled(received),
                Ok(None) => break,
                Ok(Some(Err(error))) => {
                    if received > 0 {
                        attempt.progressed();
                    }
                    return transport_failure(error);
                }
                Ok(Some(Ok(chunk))) => chunk,
            };
            attempt.progressed();
            received += chunk.len() as u64;
            if received > len {
                // Another attempt may get the part right; none of the extra bytes is
                // written (the part's range in the file is all this writer may touch).
                return Answer::Retry(
                    Error::new(
                        ErrorKind::Protocol,
                        format!("the answer held more than the part's {len} bytes"),
                    ),
                    None,
                );
            }
            if count {
                config.count_received(chunk.len() as u64);
            } else {
                config.count_goodput(chunk.len() as u64);
            }
            if let Some(writer) = self.writer.as_deref_mut() {
                if let Err(error) = writer.push(&chunk).await {
                    return Answer::Fail(error);
                }
            } else if let Some(buffer) = joined.as_mut() {
                buffer.extend_from_slice(&chunk);
            } else if let Some(earlier) = first.take() {
                let capacity = usize::try_from(len).unwrap_or(0);
                let mut buffer = BytesMut::with_capacity(capacity.max(earlier.len() + chunk.len()));
                buffer.extend_from_slice(&earlier);
                buffer.extend_from_slice(&chunk);
                joined = Some(buffer);
            } else {
                first = Some(chunk);
            }
        }
        if received != len {
            // A body cut short by a proxy or a reset: another attempt may get all of it.
            return Answer::Retry(
                Error::new(
                    ErrorKind::Protocol,
                    format!("the answer held {received} bytes, not {len}"),
                ),
                None,
            );
        }
        drop(receiving);
        match self.writer.as_deref_mut() {
            Some(writer) => match writer.finish().await {
                Ok(md5s) => Answer::Done(Received::Written(md5s)),
                Err(error) => Answer::Fail(error),
            },
            None => Answer::Done(Received::Bytes(
                joined.map(BytesMut::freeze).or(first).unwrap_or_default(),
            )),
        }
    }

    /// Checks, from its head, that a success answer is for exactly the part's bytes of the
    /// pinned version: `Some(refusal)` if not.
    fn check_head(&self, response: &Response<()>) -> Option<Answer> {
        let identity = &self.fetcher.identity;
        if let Some(etag) = response.headers().get(ETAG).and_then(|v| v.to_str().ok()) {
            if !identity.etag_matches(etag) {
                return Some(Answer::Suspect(Error::new(
                    ErrorKind::ObjectChanged,
                    format!(
                        "the store answered another version of the object (ETag {}, the download started with {})",
                        etag.trim_matches('"'),
                        identity.checksum
                    ),
                )));
            }
        }
        let len = self.len();
        let whole = self.range.start == 0 && self.range.end == identity.size;
        if response.status() == StatusCode::OK {
            // A server that ignores `Range` answers the whole object: fine when that is the
            // part asked for.
            if !whole {
                return Some(Answer::Fail(Error::new(
                    ErrorKind::Protocol,
                    "the store ignored the Range header and answered the whole object",
                )));
            }
        } else {
            let content_range = response
                .headers()
                .get(CONTENT_RANGE)
                .and_then(|v| v.to_str().ok())
                .and_then(parse_content_range);
            let expected = (self.range.start, self.range.end - 1, identity.size);
            if content_range != Some(expected) {
                let said = response
                    .headers()
                    .get(CONTENT_RANGE)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("nothing");
                return Some(Answer::Suspect(Error::new(
                    ErrorKind::Protocol,
                    format!(
                        "Content-Range says {said}, not bytes {}-{}/{}",
                        expected.0, expected.1, expected.2
                    ),
                )));
            }
        }
        let content_length = response
            .headers()
            .get(CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok());
        if let Some(said) = content_length.filter(|&said| said != len) {
            // Refused before a byte is written; another attempt may be answered right.
            return Some(Answer::Retry(
                Error::new(
                    ErrorKind::Protocol,
                    format!("Content-Length says {said} bytes, not the part's {len}"),
                ),
                None,
            ));
        }
        None
    }

    async fn through_lakefs(&mut self, attempt: &mut Attempt) -> Answer {
        let fetcher = self.fetcher;
        let target = &fetcher.target;
        let deadline = fetcher.floor_deadline(self.len());
        let result = fetcher
            .client
            .get_object()
            .repository(&target.repository)
            .reference(&target.reference)
            .path(&target.path)
            .range(self.range.start..=self.range.end - 1)
            .timeout(deadline)
            .retry_policy(RetryPolicy::none())
            .send()
            .await;
        let content = match result {
            Ok(content) => content,
            Err(error) => {
                if error.status().is_some() {
                    attempt.progressed();
                }
                let retryable = error.is_retryable();
                let not_found = error.kind() == lakefs_client::ErrorKind::NotFound
                    || error.status() == Some(StatusCode::RANGE_NOT_SATISFIABLE);
                let retry_after = error.retry_after();
                let error = Error::api(error);
                return if not_found {
                    Answer::Suspect(error)
                } else if retryable {
                    Answer::Retry(error, retry_after)
                } else {
                    Answer::Fail(error)
                };
            }
        };
        attempt.progressed();
        let identity = &fetcher.identity;
        if let Some(etag) = &content.etag {
            if !identity.etag_matches(etag) {
                return Answer::Suspect(Error::new(
                    ErrorKind::ObjectChanged,
                    format!(
                        "lakeFS answered another version of the object (ETag {etag}, the download started with {})",
                        identity.checksum
                    ),
                ));
            }
        }
        let whole = self.range.start == 0 && self.range.end == identity.size;
        match content.range {
            Some(range)
                if (range.first, range.last, range.size)
                    == (self.range.start, self.range.end - 1, identity.size) => {}
            None if whole => {}
            other => {
                return Answer::Suspect(Error::new(
                    ErrorKind::Protocol,
                    format!(
                        "lakeFS answered {other:?} for bytes {}-{}/{}",
                        self.range.start,
                        self.range.end - 1,
                        identity.size
                    ),
                ))
            }
        }
        if content.body.len() as u64 != self.len() {
            return Answer::Retry(
                Error::new(
                    ErrorKind::Protocol,
                    format!(
                        "the answer held {} bytes, not {}",
                        content.body.len(),
                        self.len()
                    ),
                ),
                None,
            );
        }
        fetcher.config.count_received(self.len());
        match self.writer.as_deref_mut() {
            Some(writer) => {
                writer.restart();
                let written = match writer.push(&content.body).await {
                    Ok(()) => writer.finish().await,
                    Err(error) => Err(error),
                };
                match written {
                    Ok(md5s) => Answer::Done(Received::Written(md5s)),
                    Err(error) => Answer::Fail(error),
                }
            }
            None => Answer::Done(Received::Bytes(content.body)),
        }
    }
}

/// Runs `exchange` until it ends, or until no byte arrived for `stall` (`None`). The wait
/// for the answer's head counts as no progress.
async fn watch<F: std::future::Future>(
    exchange: F,
    progress: &ReceiveProgress,
    stall: Duration,
) -> Option<F::Output> {
    tokio::pin!(exchange);
    let tick = (stall / 4).max(Duration::from_millis(25));
    let mut seen = progress.bytes();
    let mut since = Instant::now();
    loop {
        tokio::select! {
            output = &mut exchange => return Some(output),
            () = tokio::time::sleep(tick) => {
                let now = progress.bytes();
                if now != seen {
                    seen = now;
                    since = Instant::now();
                } else if since.elapsed() >= stall {
                    return None;
                }
            }
        }
    }
}

fn transport_failure(error: TransportError) -> Answer {
    let retryable = error.is_retryable();
    let error = Error::new(ErrorKind::Transport, "the ranged GET failed").with_source(error);
    if retryable {
        Answer::Retry(error, None)
    } else {
        Answer::Fail(error)
    }
}

/// `Content-Range: bytes first-last/size`.
fn parse_content_range(value: &str) -> Option<(u64, u64, u64)> {
    let rest = value.trim().strip_prefix("bytes ")?;
    let (range, size) = rest.split_once('/')?;
    let (first, last) = range.split_once('-')?;
    Some((
        first.trim().parse().ok()?,
        last.trim().parse().ok()?,
        size.trim().parse().ok()?,
    ))
}

/// Whether a 403 is S3's "Request has expired" (or another store's word for it).
fn is_expired(body: &Bytes) -> bool {
    let text = String::from_utf8_lossy(&body[..body.len().min(4096)]);
    text.contains("Request has expired")
        || text.contains("<Code>ExpiredToken</Code>")
        || text.contains("AuthenticationFailed") && text.contains("expired")
}

/// The store's refusal, reduced to its status and S3 `Code` / `Message` (an S3 error body
/// can hold the string to sign and the signature, which never leave this function).
fn store_error(response: &Response<Bytes>) -> Error {
    let status = response.status();
    let body = response.body();
    let text = String::from_utf8_lossy(&body[..body.len().min(8192)]);
    let element = |name: &str| {
        let open = format!("<{name}>");
        let close = format!("</{name}>");
        let start = text.find(&open)? + open.len();
        let end = text[start..].find(&close)? + start;
        Some(
            text[start..end]
                .trim()
                .chars()
                .take(200)
                .collect::<String>(),
        )
    };
    let message = match (element("Code"), element("Message")) {
        (Some(code), Some(message)) => format!("the store answered {status} {code}: {message}"),
        (Some(code), None) => format!("the store answered {status} {code}"),
        _ => format!("the store answered {status}"),
    };
    Error::new(ErrorKind::Store, message).with_status(status)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_ranges() {
        assert_eq!(parse_content_range("bytes 0-9/100"), Some((0, 9, 100)));
        assert_eq!(parse_content_range("bytes */100"), None);
    }

    #[test]
    fn store_errors_keep_code_and_message_only() {
        let body = "<Error><Code>SignatureDoesNotMatch</Code><Message>nope</Message><SignatureProvided>SECRETSIG</SignatureProvided><StringToSign>AWS4 x</StringToSign></Error>";
        let mut response = Response::new(Bytes::from(body));
        *response.status_mut() = StatusCode::FORBIDDEN;
        let error = store_error(&response);
        let shown = format!("{error} {error:?}");
        assert!(shown.contains("SignatureDoesNotMatch: nope"), "{shown}");
        assert!(
            !shown.contains("SECRETSIG") && !shown.contains("StringToSign"),
            "{shown}"
        );
    }

    #[test]
    fn expired_urls_are_told_from_other_refusals() {
        assert!(is_expired(&Bytes::from_static(
            b"<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>"
        )));
        assert!(!is_expired(&Bytes::from_static(
            b"<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>"
        )));
    }

    #[tokio::test(start_paused = true)]
    async fn a_slow_exchange_that_moves_is_not_a_stall() {
        let progress = ReceiveProgress::new();
        let feeding = progress.clone();
        let slow = async move {
            for _ in 0..10 {
                tokio::time::sleep(Duration::from_secs(20)).await;
                feeding.add(1);
            }
            "done"
        };
        assert_eq!(
            watch(slow, &progress, Duration::from_secs(30)).await,
            Some("done")
        );
        let silent = tokio::time::sleep(Duration::from_secs(3600));
        let started = Instant::now();
        assert_eq!(
            watch(silent, &progress, Duration::from_secs(30)).await,
            None
        );
        assert!(started.elapsed() < Duration::from_secs(40));
    }
}
