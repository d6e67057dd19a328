//! Durable uploads against the emulator (in-process, over `FakeTransport`): part URLs that
//! expire mid-upload, servers that cannot re-sign them, the presign window, streams of
//! unknown length, checkpoints and resume, and one upload shared by several workers.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use common::{data, emulator_client, report};
use http::Method;
use lakefs_emulator::{EmulatedOperation, Emulator, DEFAULT_REPOSITORY};
use lakefs_experimental::{ExperimentalClient, RetryPolicy};
use lakefs_multipart::*;
use lakefs_transport::fake::{FakeTransport, Latency};

const MIB: usize = 1024 * 1024;
const REPO: &str = DEFAULT_REPOSITORY;
const STORAGE_HOST: &str = "storage.emulator";

struct Setup {
    emulator: Emulator,
    transport: FakeTransport,
    client: ExperimentalClient<FakeTransport>,
}

/// The emulator behind a fake transport. With `follow_runtime_clock`, the emulator's clock is
/// moved forward with the runtime's (paused) clock before every request, so that part URLs
/// expire in simulated time.
fn setup(follow_runtime_clock: bool) -> Setup {
    setup_with(follow_runtime_clock, |_, _| {})
}

/// As [`setup`], with routes added by `before` ahead of the emulator.
fn setup_with(follow_runtime_clock: bool, before: impl FnOnce(&FakeTransport, &Emulator)) -> Setup {
    let emulator = Emulator::new();
    let transport = FakeTransport::new();
    before(&transport, &emulator);
    let handler = emulator.clone();
    let synced = Arc::new(Mutex::new(tokio::time::Instant::now()));
    transport.fallback(move |request, _| {
        if follow_runtime_clock {
            let mut last = synced.lock().unwrap();
            let now = tokio::time::Instant::now();
            handler.advance_clock(now - *last);
            *last = now;
        }
        Ok(handler.handle(request))
    });
    let client = emulator_client(transport.clone()).with_retry_policy(RetryPolicy::none());
    Setup {
        emulator,
        transport,
        client,
    }
}

fn count(
    transport: &FakeTransport,
    what: impl Fn(&lakefs_transport::fake::RecordedRequest) -> bool,
) -> usize {
    transport.requests().iter().filter(|r| what(r)).count()
}

fn part_puts(transport: &FakeTransport) -> usize {
    count(transport, |r| r.uri.host() == Some(STORAGE_HOST))
}

fn upload_part_calls(transport: &FakeTransport) -> usize {
    count(transport, |r| {
        r.method == Method::PUT && r.uri.path().contains("/parts/")
    })
}

/// Counts the engine's progress events of one kind.
fn counter(
    matches: impl Fn(&ProgressEvent) -> bool + Send + Sync + 'static,
) -> (
    Arc<AtomicUsize>,
    impl Fn(&ProgressEvent) + Send + Sync + 'static,
) {
    let count = Arc::new(AtomicUsize::new(0));
    let feed = Arc::clone(&count);
    (count, move |event: &ProgressEvent| {
        if matches(event) {
            feed.fetch_add(1, Ordering::Relaxed);
        }
    })
}

/// Part URLs valid 10 s; every PUT takes 4 s (simulated); one part at a time: parts 3 to 6
/// start after the URLs create signed have expired or are about to.
fn slow_config(refreshes: impl Fn(&ProgressEvent) + Send + Sync + 'static) -> UploadConfig {
    UploadConfig::builder()
        .part_size(5 * MIB as u64)
        .concurrency(1)
        .url_refresh_margin(Duration::from_secs(2))
        .retry_policy(RetryPolicy::none())
        .on_progress(refreshes)
        .build()
        .unwrap()
}

#[tokio::test(start_paused = true)]
async fn an_upload_that_outlives_its_urls_refreshes_them() {
    let s = setup(true);
    s.emulator.set_part_url_expiry(Duration::from_secs(10));
    s.transport
        .set_latency(Latency::fixed(Duration::from_secs(4)));
    let (refreshed, on_progress) = counter(|e| matches!(e, ProgressEvent::UrlRefreshed { .. }));
    let uploader = Uploader::new(s.client.clone(), slow_config(on_progress));
    let source = data(6 * 5 * MIB, 1);
    uploader
        .upload(REPO, "main", "slow", UploadSource::bytes(source.clone()))
        .await
        .unwrap();
    assert_eq!(s.emulator.object(REPO, "main", "slow").unwrap(), source);
    assert!(
        refreshed.load(Ordering::Relaxed) >= 3,
        "parts 3 to 6 need fresh URLs"
    );
    assert_eq!(
        part_puts(&s.transport),
        6,
        "every URL was refreshed before it expired: no PUT was refused"
    );
}

#[tokio::test(start_paused = true)]
async fn a_server_without_upload_part_gives_a_clear_error_when_a_url_expires() {
    let s = setup(true);
    s.emulator.set_part_url_expiry(Duration::from_secs(10));
    s.emulator
        .set_operation_available(EmulatedOperation::UploadPart, false);
    s.transport
        .set_latency(Latency::fixed(Duration::from_secs(4)));
    let uploader = Uploader::new(s.client.clone(), slow_config(|_| {}));
    let error = uploader
        .upload(
            REPO,
            "main",
            "slow",
            UploadSource::bytes(data(6 * 5 * MIB, 1)),
        )
        .await
        .unwrap_err();
    let text = report(&error);
    assert!(
        text.contains("part 3")
            && text.contains("presigned URL expired")
            && text.contains("cannot re-sign part URLs"),
        "{text}"
    );
    assert_eq!(
        upload_part_calls(&s.transport),
        1,
        "noticed once, not asked again"
    );
    assert!(error.abort().is_aborted());
    assert_eq!(s.emulator.open_uploads(), 0);
}

#[tokio::test]
async fn a_url_the_storage_calls_expired_gets_one_refresh_and_another_try() {
    // The clocks disagree: the storage thinks an hour has passed since create.
    let s = setup_with(false, |transport, emulator| {
        let emulator = emulator.clone();
        let moved = std::sync::Once::new();
        transport.route(
            Method::PUT,
            "/_storage/{upload}/{part}",
            move |request, _| {
                moved.call_once(|| emulator.advance_clock(Duration::from_secs(3600)));
                Ok(emulator.handle(request))
            },
        );
    });
    let (refreshed, on_progress) = counter(|e| matches!(e, ProgressEvent::UrlRefreshed { .. }));
    let config = UploadConfig::builder()
        .part_size(5 * MIB as u64)
        .on_progress(on_progress)
        .build()
        .unwrap();
    let uploader = Uploader::new(s.client.clone(), config);
    let source = data(3 * 5 * MIB, 2);
    uploader
        .upload(REPO, "main", "skewed", UploadSource::bytes(source.clone()))
        .await
        .unwrap();
    assert_eq!(s.emulator.object(REPO, "main", "skewed").unwrap(), source);
    assert_eq!(refreshed.load(Ordering::Relaxed), 3);
    assert_eq!(
        part_puts(&s.transport),
        6,
        "each part: one refused PUT, one that worked"
    );
}

#[tokio::test]
async fn parts_past_the_presign_window_get_their_urls_from_upload_part() {
    let s = setup(false);
    let config = UploadConfig::builder()
        .part_size(5 * MIB as u64)
        .presign_window(3)
        .build()
        .unwrap();
    let uploader = Uploader::new(s.client.clone(), config);
    let source = data(10 * 5 * MIB + 7, 3);
    uploader
        .upload(
            REPO,
            "main",
            "windowed",
            UploadSource::bytes(source.clone()),
        )
        .await
        .unwrap();
    assert_eq!(s.emulator.object(REPO, "main", "windowed").unwrap(), source);
    let create = s
        .transport
        .requests()
        .into_iter()
        .find(|r| r.method == Method::POST)
        .unwrap();
    assert_eq!(create.query("parts").as_deref(), Some("3"));
    assert_eq!(
        upload_part_calls(&s.transport),
        8,
        "parts 4 to 11, one call each"
    );

    // Without uploadPart, create is asked again for every URL.
    s.emulator
        .set_operation_available(EmulatedOperation::UploadPart, false);
    s.transport.clear_requests();
    uploader
        .upload(REPO, "main", "legacy", UploadSource::bytes(source.clone()))
        .await
        .unwrap();
    assert_eq!(s.emulator.object(REPO, "main", "legacy").unwrap(), source);
    let asked: Vec<_> = s
        .transport
        .requests()
        .into_iter()
        .filter(|r| r.method == Method::POST)
        .map(|r| r.query("parts").unwrap())
        .collect();
    assert_eq!(asked, ["3", "11"]);
    assert_eq!(s.emulator.open_uploads(), 0, "the first upload was aborted");
}

/// A reader that yields `len` pseudo-random bytes in small, uneven chunks.
struct Trickle {
    data: Bytes,
    at: usize,
}

impl tokio::io::AsyncRead for Trickle {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        let chunk = (37 * 1024 + self.at % 5000).min(self.data.len() - self.at);
        let chunk = chunk.min(buf.remaining());
        let at = self.at;
        buf.put_slice(&self.data[at..at + chunk]);
        self.at += chunk;
        std::task::Poll::Ready(Ok(()))
    }
}

#[tokio::test]
async fn streams_of_unknown_length_sign_urls_as_data_arrives() {
    let s = setup(false);
    let config = UploadConfig::builder()
        .part_size(5 * MIB as u64)
        .concurrency(3)
        .build()
        .unwrap();
    // Every request takes a little while, so that signing and reading overlap.
    s.transport
        .set_latency(Latency::fixed(Duration::from_millis(2)));
    let uploader = Uploader::new(s.client.clone(), config);
    for (len, seed) in [(0, 0), (1, 1), (5 * MIB, 2), (23 * MIB + 5, 3)] {
        let source = data(len, seed);
        let path = format!("stream-{len}");
        let reader = Trickle {
            data: source.clone(),
            at: 0,
        };
        s.transport.clear_requests();
        uploader
            .upload(REPO, "main", &path, UploadSource::stream(reader))
            .await
            .unwrap();
        assert_eq!(
            s.emulator.object(REPO, "main", &path).unwrap(),
            source,
            "{len} bytes"
        );
        let create = s
            .transport
            .requests()
            .into_iter()
            .find(|r| r.method == Method::POST)
            .unwrap();
        assert_eq!(
            create.query("parts").as_deref(),
            Some("0"),
            "no URL at create"
        );
        // One URL per part, signed as its data is read; perhaps one more for the part that
        // turned out not to exist (the read that found the end of the stream).
        let parts = len.div_ceil(5 * MIB).max(1);
        let calls = upload_part_calls(&s.transport);
        assert!(
            (parts..=parts + 1).contains(&calls),
            "{calls} calls for {parts} parts"
        );
        // Signed while read, and never twice: the first attempt waits for that signing.
        let mut signed: Vec<String> = s
            .transport
            .requests()
            .iter()
            .filter(|r| r.method == Method::PUT && r.uri.path().contains("/parts/"))
            .map(|r| r.uri.path().to_owned())
            .collect();
        let all = signed.len();
        signed.sort();
        signed.dedup();
        assert_eq!(signed.len(), all, "a part's URL was signed twice");
    }
    // Without uploadPart a stream cannot be sent, and the upload is not left behind.
    s.emulator
        .set_operation_available(EmulatedOperation::UploadPart, false);
    let error = uploader
        .upload(
            REPO,
            "main",
            "nope",
            UploadSource::stream(std::io::Cursor::new(vec![1u8; 10])),
        )
        .await
        .unwrap_err();
    assert!(report(&error).contains("v1.55"), "{error}");
    assert_eq!(s.emulator.open_uploads(), 0);
}

/// A directory of one test's files, removed when dropped (a failing test's too), so that
/// runs leave nothing in the temporary directory.
struct Scratch(std::path::PathBuf);

impl Scratch {
    fn new(test: &str) -> Self {
        let dir =
            std::env::temp_dir().join(format!("lakefs-durable-{}-{test}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }

    fn path(&self, name: &str) -> std::path::PathBuf {
        self.0.join(name)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[tokio::test]
async fn a_cancelled_upload_with_a_checkpoint_resumes_without_resending_parts() {
    let s = setup(false);
    s.transport
        .set_latency(Latency::fixed(Duration::from_millis(20)));
    let config = UploadConfig::builder()
        .part_size(5 * MIB as u64)
        .concurrency(2)
        .build()
        .unwrap();
    let uploader = Uploader::new(s.client.clone(), config);
    let scratch = Scratch::new("resume");
    let file = scratch.path("resume-source.bin");
    let source = data(12 * 5 * MIB + 3, 4);
    std::fs::write(&file, &source).unwrap();
    let checkpoint = scratch.path("resume.json");

    // Cancel once four parts are stored.
    let stored = Arc::new(AtomicUsize::new(0));
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let tx = Mutex::new(Some(tx));
    let seen = Arc::clone(&stored);
    let watching = UploadConfig::builder()
        .part_size(5 * MIB as u64)
        .concurrency(2)
        .on_progress(move |event| {
            if matches!(event, ProgressEvent::PartFinished { .. })
                && seen.fetch_add(1, Ordering::SeqCst) + 1 == 4
            {
                if let Some(tx) = tx.lock().unwrap().take() {
                    let _ = tx.send(());
                }
            }
        })
        .build()
        .unwrap();
    let first = Uploader::new(s.client.clone(), watching);
    let error = first
        .upload(REPO, "main", "resumed", UploadSource::file(&file))
        .content_type("application/x-test")
        .metadata("k", "v")
        .checkpoint(&checkpoint)
        .cancel_on(async move {
            let _ = rx.await;
        })
        .await
        .unwrap_err();
    assert!(error.kind() == ErrorKind::Cancelled, "{error}");
    assert!(
        matches!(error.abort(), AbortOutcome::Resumable(_)),
        "{error}"
    );
    assert!(report(&error).contains("resume"), "{error}");
    assert_eq!(s.emulator.open_uploads(), 1, "kept, not aborted");

    let saved = Checkpoint::load(&checkpoint).unwrap();
    let text = std::fs::read_to_string(&checkpoint).unwrap();
    assert!(
        !text.contains("_storage") && !text.contains("X-Amz"),
        "no URL in {text}"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&checkpoint).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let recorded = saved.parts.len();
    assert!(recorded >= 4, "{recorded} parts recorded");

    // A source of another size is refused (a changed one of the same size has its changed
    // parts sent again: tests/nothing_silently_wrong.rs).
    let changed = scratch.path("resume-changed.bin");
    let mut other = source.to_vec();
    other.push(0);
    std::fs::write(&changed, &other).unwrap();
    let error = uploader
        .resume(&checkpoint, UploadSource::file(&changed))
        .await
        .unwrap_err();
    assert!(error.kind() == ErrorKind::SourceChanged, "{error}");

    s.transport.clear_requests();
    let stats = uploader
        .resume(&checkpoint, UploadSource::file(&file))
        .await
        .unwrap();
    assert_eq!(stats.content_type.as_deref(), Some("application/x-test"));
    assert_eq!(s.emulator.object(REPO, "main", "resumed").unwrap(), source);
    assert_eq!(
        part_puts(&s.transport),
        13 - recorded,
        "only the missing parts are sent"
    );
    assert!(
        !checkpoint.exists(),
        "the checkpoint is removed once complete"
    );
    assert_eq!(s.emulator.open_uploads(), 0);
}

#[tokio::test]
async fn resuming_an_aborted_upload_says_it_is_gone() {
    let s = setup(false);
    s.transport
        .set_latency(Latency::fixed(Duration::from_millis(10)));
    let uploader = Uploader::new(
        s.client.clone(),
        UploadConfig::builder()
            .part_size(5 * MIB as u64)
            .build()
            .unwrap(),
    );
    let source = data(2 * 5 * MIB, 5);
    let scratch = Scratch::new("gone");
    let checkpoint = scratch.path("gone.json");
    let error = uploader
        .upload(REPO, "main", "gone", UploadSource::bytes(source.clone()))
        .checkpoint(&checkpoint)
        .cancel_on(std::future::ready(()))
        .await
        .unwrap_err();
    assert!(
        matches!(error.abort(), AbortOutcome::Resumable(_)),
        "{error}"
    );
    let session = Checkpoint::load(&checkpoint).unwrap().session;
    uploader.abort(&session).await.unwrap();
    let error = uploader
        .resume(&checkpoint, UploadSource::bytes(source))
        .await
        .unwrap_err();
    let text = report(&error);
    assert!(
        error.kind() == ErrorKind::UploadGone && text.contains(&session.upload_id),
        "{text}"
    );
}

#[tokio::test]
async fn workers_upload_disjoint_part_ranges_and_one_completes() {
    let s = setup(false);
    let uploader = Uploader::new(
        s.client.clone(),
        UploadConfig::builder()
            .part_size(5 * MIB as u64)
            .build()
            .unwrap(),
    );
    let source = data(7 * 5 * MIB + 11, 6);
    let session = uploader
        .begin(REPO, "main", "shared", source.len() as u64)
        .await
        .unwrap();
    // The session travels as JSON, as it would to another process.
    let json = session.to_json();
    assert!(!json.contains("_storage"), "no URL in the session");
    let copy = UploadSession::from_json(&json).unwrap();
    let (a, b) = tokio::join!(
        uploader.upload_parts(&session, 1..=4, UploadSource::bytes(source.clone())),
        uploader.upload_parts(&copy, 5..=8, UploadSource::bytes(source.clone())),
    );
    let mut parts = b.unwrap();
    parts.extend(a.unwrap());
    let stats = uploader
        .complete(
            &session,
            parts,
            &ObjectOptions::new().content_type("text/plain"),
        )
        .await
        .unwrap();
    assert_eq!(stats.content_type.as_deref(), Some("text/plain"));
    assert_eq!(s.emulator.object(REPO, "main", "shared").unwrap(), source);
    assert_eq!(part_puts(&s.transport), 8);
    // A source of another size is refused before anything is sent.
    let error = uploader
        .upload_parts(&session, 1..=1, UploadSource::bytes(data(10, 1)))
        .await
        .unwrap_err();
    assert!(error.kind() == ErrorKind::SourceChanged, "{error}");
}

/// A task engine runs a task again when its worker dies, also after the task's complete
/// succeeded: the repeat finds the object its session staged and answers it, instead of an
/// error for an upload that is already done. A complete of another session is still refused.
#[tokio::test]
async fn completing_a_completed_session_again_answers_the_staged_object() {
    let s = setup(false);
    let uploader = Uploader::new(
        s.client.clone(),
        UploadConfig::builder()
            .part_size(5 * MIB as u64)
            .build()
            .unwrap(),
    );
    let source = data(2 * 5 * MIB + 3, 9);
    let session = uploader
        .begin(REPO, "main", "again", source.len() as u64)
        .await
        .unwrap();
    let parts = uploader
        .upload_parts(&session, 1..=3, UploadSource::bytes(source.clone()))
        .await
        .unwrap();
    let first = uploader
        .complete(&session, parts.clone(), &ObjectOptions::new())
        .await
        .unwrap();
    let again = uploader
        .complete(&session, parts.clone(), &ObjectOptions::new())
        .await
        .expect("the repeat answers the object its session staged");
    // complete answers the address relative to the namespace, statObject the full one.
    assert!(
        again.physical_address.ends_with(&first.physical_address),
        "{} / {}",
        first.physical_address,
        again.physical_address
    );
    assert_eq!(again.checksum, first.checksum);
    assert_eq!(s.emulator.object(REPO, "main", "again").unwrap(), source);

    // Once another upload has replaced the object, the old session's complete is an error.
    let other = uploader
        .upload(REPO, "main", "again", UploadSource::bytes(data(100, 2)))
        .await
        .unwrap();
    assert_ne!(other.physical_address, first.physical_address);
    let error = uploader
        .complete(&session, parts, &ObjectOptions::new())
        .await
        .expect_err("the session's object is no longer there");
    assert!(error.kind() == ErrorKind::Complete, "{error}");
}

#[tokio::test]
async fn a_300_mib_stream_of_unknown_length_is_byte_exact() {
    let s = setup(false);
    s.transport.set_recording(false);
    let config = UploadConfig::builder()
        .part_size(8 * MIB as u64)
        .concurrency(4)
        .build()
        .unwrap();
    let uploader = Uploader::new(s.client.clone(), config);
    let source = data(300 * MIB + 12_345, 8);
    let reader = Trickle {
        data: source.clone(),
        at: 0,
    };
    let stats = uploader
        .upload(REPO, "main", "stream-300", UploadSource::stream(reader))
        .await
        .unwrap();
    assert_eq!(stats.size_bytes, Some(source.len() as i64));
    assert!(
        stats.checksum.ends_with("-38"),
        "38 parts of 8 MiB: {}",
        stats.checksum
    );
    assert!(s.emulator.object(REPO, "main", "stream-300").unwrap() == source);
}

#[tokio::test]
async fn uploads_sharing_part_slots_keep_one_bound_in_all() {
    let parts = Arc::new(Mutex::new(None));
    let handle = Arc::clone(&parts);
    let s = setup_with(false, move |transport, emulator| {
        let emulator = emulator.clone();
        let route = transport.route(
            Method::PUT,
            "/_storage/{upload}/{part}",
            move |request, _| Ok(emulator.handle(request)),
        );
        *handle.lock().unwrap() = Some(route);
    });
    s.transport
        .set_latency(Latency::fixed(Duration::from_millis(5)));
    let slots = PartSlots::new(3);
    let config = UploadConfig::builder()
        .part_size(5 * MIB as u64)
        .concurrency(3)
        .shared_slots(slots.clone())
        .build()
        .unwrap();
    let uploader = Uploader::new(s.client.clone(), config);
    let sources: Vec<Bytes> = (0..4).map(|i| data(4 * 5 * MIB, 20 + i)).collect();
    let uploads = sources.iter().enumerate().map(|(i, source)| {
        let path = format!("shared-slots/{i}");
        let uploader = uploader.clone();
        let source = source.clone();
        async move {
            uploader
                .upload(REPO, "main", &path, UploadSource::bytes(source))
                .await
        }
    });
    for result in futures_util::future::join_all(uploads).await {
        result.unwrap();
    }
    for (i, source) in sources.iter().enumerate() {
        let path = format!("shared-slots/{i}");
        assert_eq!(&s.emulator.object(REPO, "main", &path).unwrap(), source);
    }
    let route = parts.lock().unwrap().take().unwrap();
    assert_eq!(route.calls(), 16);
    assert!(
        route.max_in_flight() <= 3,
        "{} parts in flight",
        route.max_in_flight()
    );
    assert!(
        route.max_in_flight() >= 2,
        "the uploads did run side by side"
    );
    assert_eq!(slots.available(), 3, "every slot is given back");
}

#[tokio::test]
async fn blocking_streams_of_unknown_length_are_byte_exact() {
    let s = setup(false);
    let config = UploadConfig::builder()
        .part_size(5 * MIB as u64)
        .concurrency(3)
        .build()
        .unwrap();
    let uploader = Uploader::new(s.client.clone(), config);
    for (len, seed) in [(0, 30), (1, 31), (5 * MIB, 32), (17 * MIB + 9, 33)] {
        let source = data(len, seed);
        let path = format!("blocking-{len}");
        uploader
            .upload(
                REPO,
                "main",
                &path,
                UploadSource::blocking_stream(std::io::Cursor::new(source.to_vec())),
            )
            .await
            .unwrap();
        assert_eq!(
            s.emulator.object(REPO, "main", &path).unwrap(),
            source,
            "{len} bytes"
        );
    }
    // A reader that fails mid-way fails the upload, naming the part, and aborts it.
    struct Failing(usize);
    impl std::io::Read for Failing {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            if self.0 == 0 {
                return Err(std::io::Error::other("disk on fire"));
            }
            let n = buf.len().min(self.0);
            buf[..n].fill(7);
            self.0 -= n;
            Ok(n)
        }
    }
    let error = uploader
        .upload(
            REPO,
            "main",
            "failing",
            UploadSource::blocking_stream(Failing(7 * MIB)),
        )
        .await
        .unwrap_err();
    assert!(
        error.kind() == ErrorKind::Source && error.part_number() == Some(2),
        "{}",
        report(&error)
    );
    assert!(error.abort().is_aborted());
    assert_eq!(s.emulator.open_uploads(), 0);
}
