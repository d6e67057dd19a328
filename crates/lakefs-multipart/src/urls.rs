//! Presigned part URLs: the window that create hands out, the rest fetched with `uploadPart`
//! as parts start, and fresh ones when a URL is about to expire.

use lakefs_experimental::ExperimentalApi;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use http::{StatusCode, Uri};
use lakefs_experimental::{Error as ApiError, ErrorKind, ExperimentalClient};
use lakefs_transport::HttpTransport;
use tokio::sync::Notify;
use tokio::time::Instant;

use crate::error::UploadFailure;
use crate::expiry::presigned_expiry;
use crate::session::UploadSession;

/// The most JSON of part URLs asked for in one create answer when every URL must come from
/// create (a lakeFS without `uploadPart`): half the default 16 MiB response cap.
pub(crate) const URL_RESPONSE_BUDGET: usize = 8 * 1024 * 1024;

/// A part URL and the moment (on the runtime's clock) after which it must not be used.
/// `Debug` shows the URL without its query string (the signature).
#[derive(Clone)]
pub(crate) struct PartUrl {
    pub(crate) uri: Uri,
    /// `None` for a URL without `X-Amz-Date` / `X-Amz-Expires`: used as it is.
    pub(crate) deadline: Option<Instant>,
}

impl std::fmt::Debug for PartUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PartUrl")
            .field("uri", &lakefs_transport::RedactedUri::new(&self.uri))
            .field("deadline", &self.deadline)
            .finish()
    }
}

impl PartUrl {
    /// A URL just received from lakeFS, which signed it just now by its own clock: its
    /// deadline is the lifetime it declares (`X-Amz-Expires`), counted from now on the
    /// runtime's clock. This machine's wall clock plays no part — an hour ahead of lakeFS's it
    /// would make every fresh URL look expired; behind it, look younger than it is. (A store
    /// whose clock runs ahead of lakeFS's refuses a URL early: that 403 gets one fresh URL.)
    pub(crate) fn received(uri: Uri) -> Self {
        let deadline = presigned_expiry(&uri)
            .and(declared_lifetime(&uri))
            .map(|lifetime| Instant::now() + lifetime);
        Self { uri, deadline }
    }

    /// Whether the URL expires within `margin` from now.
    pub(crate) fn expires_within(&self, margin: Duration) -> bool {
        self.deadline
            .is_some_and(|deadline| deadline <= Instant::now() + margin)
    }

    /// Whether the URL's expiry has passed.
    pub(crate) fn has_expired(&self) -> bool {
        self.deadline
            .is_some_and(|deadline| deadline <= Instant::now())
    }
}

/// `X-Amz-Expires`, the lifetime a SigV4 URL declares.
fn declared_lifetime(uri: &Uri) -> Option<Duration> {
    uri.query()?
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(name, _)| name.eq_ignore_ascii_case("X-Amz-Expires"))
        .and_then(|(_, value)| value.parse().ok())
        .map(Duration::from_secs)
}

/// Whether this lakeFS can sign part URLs after create (`uploadPart`, lakeFS ≥ v1.55).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub(crate) enum Resign {
    /// Not tried yet.
    Unknown = 0,
    /// It can.
    Supported = 1,
    /// It cannot: the route is unknown to it (older lakeFS), or its blockstore cannot presign.
    Unsupported = 2,
}

/// Hands out part URLs: those create returned (taken once), the others from `uploadPart`.
pub(crate) struct PartUrls<T> {
    client: ExperimentalClient<T>,
    session: UploadSession,
    initial: Mutex<HashMap<u32, PartUrl>>,
    /// Parts whose URL is being signed ahead; their first attempt waits for it.
    pending: Mutex<HashMap<u32, Arc<Notify>>>,
    resign: AtomicU8,
}

impl<T: HttpTransport> PartUrls<T> {
    /// URLs for `session`, starting with those create returned (just now) for parts 1, 2, ….
    pub(crate) fn new(
        client: ExperimentalClient<T>,
        session: UploadSession,
        initial: Vec<Uri>,
    ) -> Self {
        Self {
            client,
            session,
            initial: Mutex::new(
                (1u32..)
                    .zip(initial.into_iter().map(PartUrl::received))
                    .collect(),
            ),
            pending: Mutex::new(HashMap::new()),
            resign: AtomicU8::new(Resign::Unknown as u8),
        }
    }

    /// Records that this server cannot sign part URLs after create (learned by another
    /// upload of the same server).
    pub(crate) fn mark_unsupported(&self) {
        self.resign
            .store(Resign::Unsupported as u8, Ordering::Relaxed);
    }

    /// The upload the URLs are for.
    pub(crate) fn session(&self) -> &UploadSession {
        &self.session
    }

    /// Asks `uploadPart` for part `part_number`'s URL now, to learn whether this lakeFS can
    /// sign part URLs after create; the URL is kept for the part's first attempt.
    pub(crate) async fn probe(&self, part_number: u32) -> Result<(), UploadFailure> {
        if let Some(url) = self.fresh(part_number).await? {
            if let Ok(mut initial) = self.initial.lock() {
                initial.insert(part_number, url);
            }
        }
        Ok(())
    }

    /// Claims the signing of part `part_number`'s URL ahead of its first attempt (while the
    /// part is still being read): `None` when a URL for it is held, its signing is claimed
    /// already, or this server cannot sign. Claimed at once, so that the part's first attempt
    /// waits for this signing instead of signing it a second time; the claim is released when
    /// the returned guard drops, whether the signing ran or not.
    pub(crate) fn claim(&self, part_number: u32) -> Option<Release<'_>> {
        if self.resign() == Resign::Unsupported {
            return None;
        }
        let held = self
            .initial
            .lock()
            .map_or(true, |urls| urls.contains_key(&part_number));
        if held {
            return None;
        }
        let mut pending = self.pending.lock().ok()?;
        if pending.contains_key(&part_number) {
            return None;
        }
        pending.insert(part_number, Arc::new(Notify::new()));
        Some(Release {
            pending: &self.pending,
            part_number,
        })
    }

    /// Signs a claimed part's URL. A failure is left for the part's own attempt to meet and
    /// report.
    pub(crate) async fn sign_claimed(&self, claim: Release<'_>) {
        let _ = self.probe(claim.part_number).await;
        drop(claim);
    }

    /// What is known about `uploadPart` on this server.
    pub(crate) fn resign(&self) -> Resign {
        match self.resign.load(Ordering::Relaxed) {
            1 => Resign::Supported,
            2 => Resign::Unsupported,
            _ => Resign::Unknown,
        }
    }

    /// The URL for part `part_number`'s first attempt: the one create returned, or a fresh
    /// one from `uploadPart`.
    pub(crate) async fn first(&self, part_number: u32) -> Result<PartUrl, UploadFailure> {
        let initial = loop {
            let held = self
                .initial
                .lock()
                .ok()
                .and_then(|mut urls| urls.remove(&part_number));
            if held.is_some() {
                break held;
            }
            // Signed ahead right now: wait for it rather than sign it twice.
            let Some(notify) = self
                .pending
                .lock()
                .ok()
                .and_then(|pending| pending.get(&part_number).cloned())
            else {
                break None;
            };
            let notified = notify.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            let still_pending = self
                .pending
                .lock()
                .is_ok_and(|pending| pending.contains_key(&part_number));
            if still_pending {
                notified.await;
            }
        };
        match initial {
            Some(url) => Ok(url),
            None => match self.fresh(part_number).await? {
                Some(url) => Ok(url),
                None => Err(UploadFailure::ResignUnsupported { part_number }),
            },
        }
    }

    /// A freshly signed URL for `part_number`, or `None` when this server cannot sign part
    /// URLs after create (noticed once; later calls do not ask again).
    pub(crate) async fn fresh(&self, part_number: u32) -> Result<Option<PartUrl>, UploadFailure> {
        self.sign(part_number, false).await
    }

    /// As [`fresh`](Self::fresh), asked once with a 10 s limit: for finding out, after a
    /// failure or a Ctrl-C, whether this server can sign — not worth minutes of retries when
    /// lakeFS is unreachable.
    pub(crate) async fn fresh_quickly(
        &self,
        part_number: u32,
    ) -> Result<Option<PartUrl>, UploadFailure> {
        self.sign(part_number, true).await
    }

    async fn sign(
        &self,
        part_number: u32,
        quickly: bool,
    ) -> Result<Option<PartUrl>, UploadFailure> {
        if self.resign() == Resign::Unsupported {
            return Ok(None);
        }
        let mut request = self
            .client
            .upload_part()
            .repository(&self.session.repository)
            .branch(&self.session.branch)
            .path(&self.session.path)
            .upload_id(&self.session.upload_id)
            .physical_address(&self.session.physical_address)
            .part_number(part_number);
        if quickly {
            request = request
                .retry_policy(lakefs_experimental::RetryPolicy::none())
                .timeout(Duration::from_secs(10));
        }
        let answer = request.send().await;
        match answer {
            Ok(answer) => {
                self.resign
                    .store(Resign::Supported as u8, Ordering::Relaxed);
                let uri = parse_url(&answer.presigned_url, part_number)?;
                Ok(Some(PartUrl::received(uri)))
            }
            Err(error) if self.resign() != Resign::Supported && cannot_resign(&error) => {
                tracing::info!(
                    %error,
                    "this lakeFS cannot sign part URLs after create (uploadPart needs lakeFS v1.55 and an S3 blockstore with presigning); part URLs will not be refreshed"
                );
                self.resign
                    .store(Resign::Unsupported as u8, Ordering::Relaxed);
                Ok(None)
            }
            Err(error) => Err(UploadFailure::PartUrl {
                part_number,
                source: error,
            }),
        }
    }
}

/// Removes a part from the pending signings and wakes whoever waits for it, when dropped.
pub(crate) struct Release<'a> {
    pending: &'a Mutex<HashMap<u32, Arc<Notify>>>,
    part_number: u32,
}

impl Drop for Release<'_> {
    fn drop(&mut self) {
        let notify = self
            .pending
            .lock()
            .ok()
            .and_then(|mut pending| pending.remove(&self.part_number));
        if let Some(notify) = notify {
            notify.notify_waiters();
        }
    }
}

/// Whether `uploadPart`'s answer says the server has no such operation: lakeFS before v1.55
/// answers an unknown route with 400 "no matching operation was found" (its spec validator);
/// a proxy in front may answer 404 or 405; a blockstore that cannot presign answers 400
/// "operation not supported", and 501 would say the same.
fn cannot_resign(error: &ApiError) -> bool {
    says_no_upload_part(error.kind(), error.status(), error.server_message())
}

/// [`cannot_resign`] from an answer's kind, status and message.
fn says_no_upload_part(kind: ErrorKind, status: Option<StatusCode>, message: Option<&str>) -> bool {
    match kind {
        ErrorKind::BadRequest => {
            let message = message.unwrap_or_default().to_ascii_lowercase();
            message.contains("no matching operation")
                || message.contains("not supported")
                // lakeFS v1.55–v1.79's validator: part numbers above 1,000.
                || message.contains("partnumber")
        }
        ErrorKind::NotFound | ErrorKind::NotImplemented => true,
        ErrorKind::ClientError => status == Some(StatusCode::METHOD_NOT_ALLOWED),
        _ => false,
    }
}

/// Parses a presigned URL: an absolute http(s) URL.
pub(crate) fn parse_url(url: &str, part_number: u32) -> Result<Uri, UploadFailure> {
    url.parse::<Uri>()
        .ok()
        .filter(|uri| matches!(uri.scheme_str(), Some("http" | "https")) && uri.host().is_some())
        .ok_or(UploadFailure::BadUrl { part_number })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::SystemTime;

    #[tokio::test(start_paused = true)]
    async fn deadline_counts_the_declared_lifetime_from_receipt() {
        let now = httpdate::fmt_http_date(SystemTime::now());
        // Build X-Amz-Date for "now" from the HTTP date's fields.
        let f: Vec<&str> = now.split([' ', ':']).collect();
        let month = [
            "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
        ]
        .iter()
        .position(|m| *m == f[2])
        .unwrap()
            + 1;
        let date = format!("{}{month:02}{}T{}{}{}Z", f[3], f[1], f[4], f[5], f[6]);
        let uri: Uri = format!("https://s3.example/b/k?X-Amz-Date={date}&X-Amz-Expires=600")
            .parse()
            .unwrap();
        let url = PartUrl::received(uri);
        assert!(!url.expires_within(Duration::from_secs(60)));
        tokio::time::advance(Duration::from_secs(541)).await;
        assert!(url.expires_within(Duration::from_secs(60)));
        assert!(!url.has_expired());
        tokio::time::advance(Duration::from_secs(60)).await;
        assert!(url.has_expired());

        let plain = PartUrl::received("https://host/k?sig=1".parse().unwrap());
        tokio::time::advance(Duration::from_secs(1_000_000)).await;
        assert!(!plain.expires_within(Duration::from_secs(60)) && !plain.has_expired());
    }

    #[test]
    fn recognises_servers_without_upload_part() {
        let bad = |message: &str| {
            says_no_upload_part(
                ErrorKind::BadRequest,
                Some(StatusCode::BAD_REQUEST),
                Some(message),
            )
        };
        assert!(bad("no matching operation was found"));
        assert!(bad("operation not supported"));
        assert!(bad(
            "parameter \"partNumber\" in path has an error: number must be at most 1000"
        ));
        assert!(!bad("link address expired"));
        assert!(says_no_upload_part(
            ErrorKind::NotFound,
            Some(StatusCode::NOT_FOUND),
            Some("404 page not found")
        ));
        assert!(says_no_upload_part(
            ErrorKind::ClientError,
            Some(StatusCode::METHOD_NOT_ALLOWED),
            None
        ));
        assert!(!says_no_upload_part(
            ErrorKind::ServerError,
            Some(StatusCode::INTERNAL_SERVER_ERROR),
            None
        ));
    }
}
