//! The engine against the emulator (in-process, over `FakeTransport`): byte-exact objects,
//! transient and permanent failures, bounded concurrency, cancellation, no credentials on
//! presigned PUTs.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use common::{data, emulator_client, report};
use http::{Method, StatusCode};
use lakefs_emulator::{
    Emulator, DEFAULT_ACCESS_KEY_ID, DEFAULT_REPOSITORY, DEFAULT_SECRET_ACCESS_KEY,
};
use lakefs_experimental::{Credentials, ExperimentalClient, RetryPolicy};
use lakefs_multipart::*;
use lakefs_transport::fake::{
    self, FakeTransport, Fault, FaultPlan, Latency, ResponseExt, RouteHandle,
};

const MIB: usize = 1024 * 1024;
const STORAGE_HOST: &str = "storage.emulator";
const PARTS_ROUTE: &str = "/_storage/{upload}/{part}";
const REPO: &str = DEFAULT_REPOSITORY;

struct Setup {
    emulator: Emulator,
    transport: FakeTransport,
    client: ExperimentalClient<FakeTransport>,
}

/// The emulator behind a fake transport. `before` may add routes that take precedence over
/// the emulator (routes match in the order they were added); what it returns is handed back.
fn setup_with<R>(before: impl FnOnce(&FakeTransport, &Emulator) -> R) -> (Setup, R) {
    let emulator = Emulator::new();
    let transport = FakeTransport::new();
    let extra = before(&transport, &emulator);
    let handler = emulator.clone();
    transport.fallback(move |request, _| Ok(handler.handle(request)));
    let client = emulator_client(transport.clone());
    (
        Setup {
            emulator,
            transport,
            client,
        },
        extra,
    )
}

fn setup() -> Setup {
    setup_with(|_, _| ()).0
}

/// A setup whose storage PUTs go through their own route (to count them in flight), and
/// reach the emulator unless `script` answers first (`None` forwards).
fn setup_scripted(
    script: impl Fn(&http::Request<Bytes>, u32) -> Option<fake::Reply> + Send + Sync + 'static,
) -> (Setup, RouteHandle) {
    setup_with(|transport, emulator| {
        let emulator = emulator.clone();
        transport.route(Method::PUT, PARTS_ROUTE, move |request, params| {
            let part: u32 = params.get("part").and_then(|p| p.parse().ok()).unwrap_or(0);
            script(request, part).unwrap_or_else(|| Ok(emulator.handle(request)))
        })
    })
}

fn fast_retries(attempts: u32) -> RetryPolicy {
    RetryPolicy::default()
        .max_attempts(attempts)
        .initial_backoff(Duration::from_millis(1))
        .max_backoff(Duration::from_millis(4))
}

fn config() -> UploadConfigBuilder {
    UploadConfig::builder()
        .part_size(5 * MIB as u64)
        .concurrency(4)
        .retry_policy(fast_retries(8))
}

fn storage_puts(transport: &FakeTransport) -> Vec<lakefs_transport::fake::RecordedRequest> {
    transport
        .requests()
        .into_iter()
        .filter(|r| r.uri.host() == Some(STORAGE_HOST))
        .collect()
}

fn aborts(transport: &FakeTransport) -> usize {
    transport
        .requests()
        .iter()
        .filter(|r| r.method == Method::DELETE && r.uri.path().contains("/staging/pmpu/"))
        .count()
}

#[tokio::test]
async fn sizes_at_the_edges_arrive_byte_exact_from_every_source_kind() {
    let sizes = [
        0,
        1,
        5 * MIB - 1,
        5 * MIB,
        5 * MIB + 1,
        7 * 5 * MIB + 12_345,
    ];
    let dir = std::env::temp_dir().join(format!("lakefs-multipart-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for (index, size) in sizes.into_iter().enumerate() {
        let source = data(size, index as u64);
        let file = dir.join(format!("source-{size}"));
        std::fs::write(&file, &source).unwrap();
        let kinds: Vec<(&str, UploadSource)> = vec![
            ("bytes", UploadSource::bytes(source.clone())),
            ("file", UploadSource::file(&file)),
            (
                "reader",
                UploadSource::reader(std::io::Cursor::new(source.to_vec()), size as u64),
            ),
            (
                "unsized",
                UploadSource::reader_with_max_size(
                    std::io::Cursor::new(source.to_vec()),
                    (size + 3 * 5 * MIB) as u64,
                ),
            ),
        ];
        for (kind, upload_source) in kinds {
            let s = setup();
            let uploader = Uploader::new(s.client.clone(), config().build().unwrap());
            let path = format!("edge/{kind}/{size}");
            let stats = uploader
                .upload(REPO, "main", &path, upload_source)
                .await
                .unwrap_or_else(|e| panic!("{kind} {size}: {e}"));
            assert_eq!(stats.size_bytes, Some(size as i64), "{kind} {size}");
            let object = s.emulator.object(REPO, "main", &path).unwrap();
            assert!(
                object == source,
                "{kind} {size}: the object differs from the source"
            );
            let expected_parts = size.div_ceil(5 * MIB).max(1);
            assert_eq!(
                storage_puts(&s.transport).len(),
                expected_parts,
                "{kind} {size}"
            );
            assert_eq!(s.emulator.open_uploads(), 0);
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn unknown_size_asks_for_enough_urls_and_completes_only_what_was_read() {
    let s = setup();
    let source = data(2 * 5 * MIB + 10, 9);
    let uploader = Uploader::new(s.client.clone(), config().build().unwrap());
    uploader
        .upload(
            REPO,
            "main",
            "unsized",
            UploadSource::reader_with_max_size(
                std::io::Cursor::new(source.to_vec()),
                100 * MIB as u64,
            ),
        )
        .await
        .unwrap();
    let create = s
        .transport
        .requests()
        .into_iter()
        .find(|r| r.method == Method::POST)
        .unwrap();
    assert_eq!(
        create.query("parts").as_deref(),
        Some("20"),
        "URLs for the declared maximum"
    );
    assert_eq!(
        storage_puts(&s.transport).len(),
        3,
        "only the parts that exist are sent"
    );
    let complete = s
        .transport
        .requests()
        .into_iter()
        .find(|r| r.method == Method::PUT && r.uri.host() != Some(STORAGE_HOST))
        .unwrap();
    let body: serde_json::Value = serde_json::from_slice(&complete.body).unwrap();
    assert_eq!(body["parts"].as_array().unwrap().len(), 3);
    assert!(s.emulator.object(REPO, "main", "unsized").unwrap() == source);
}

#[tokio::test]
async fn source_longer_or_shorter_than_declared_fails_and_aborts() {
    let s = setup();
    let uploader = Uploader::new(s.client.clone(), config().build().unwrap());
    let source = data(6 * MIB, 1);
    let error = uploader
        .upload(
            REPO,
            "main",
            "longer",
            UploadSource::reader_with_max_size(
                std::io::Cursor::new(source.to_vec()),
                5 * MIB as u64,
            ),
        )
        .await
        .unwrap_err();
    assert!(error.kind() == ErrorKind::Source, "{error}");
    assert!(report(&error).contains("maximum"), "{error}");
    assert!(error.abort().is_aborted());
    let error = uploader
        .upload(
            REPO,
            "main",
            "shorter",
            UploadSource::reader(std::io::Cursor::new(source.to_vec()), 7 * MIB as u64),
        )
        .await
        .unwrap_err();
    assert!(error.kind() == ErrorKind::Source, "{error}");
    let error = uploader
        .upload(
            REPO,
            "main",
            "longer-known",
            UploadSource::reader(std::io::Cursor::new(source.to_vec()), 5 * MIB as u64),
        )
        .await
        .unwrap_err();
    assert!(report(&error).contains("more than its declared"), "{error}");
    assert_eq!(aborts(&s.transport), 3);
    assert_eq!(s.emulator.open_uploads(), 0);
    let missing = uploader
        .upload(
            REPO,
            "main",
            "missing",
            UploadSource::file("/definitely/not/here"),
        )
        .await
        .unwrap_err();
    assert!(
        missing.kind() == ErrorKind::Source && matches!(missing.abort(), AbortOutcome::NotNeeded)
    );
}

#[tokio::test]
async fn twenty_percent_transient_part_failures_still_upload_100_of_100() {
    let mut retried = 0;
    for seed in 0..100u64 {
        let s = setup();
        s.transport.set_faults(
            FaultPlan::new(seed)
                .probability(0.2)
                .faults([
                    Fault::Status(StatusCode::INTERNAL_SERVER_ERROR),
                    Fault::Status(StatusCode::SERVICE_UNAVAILABLE),
                    Fault::Reset,
                    Fault::Timeout,
                ])
                .only_host(STORAGE_HOST),
        );
        let source = data(3 * 5 * MIB + 77, seed);
        let uploader = Uploader::new(
            s.client.clone(),
            config().retry_policy(fast_retries(12)).build().unwrap(),
        );
        uploader
            .upload(REPO, "main", "flaky", UploadSource::bytes(source.clone()))
            .await
            .unwrap_or_else(|e| panic!("seed {seed}: {e}"));
        assert!(
            s.emulator.object(REPO, "main", "flaky").unwrap() == source,
            "seed {seed}"
        );
        retried += storage_puts(&s.transport).len() - 4;
    }
    assert!(retried > 40, "the faults really fired ({retried} retries)");
}

#[tokio::test]
async fn a_permanent_part_failure_aborts_exactly_once_and_names_the_part() {
    let (s, _) = setup_scripted(|_, part| {
        (part == 3).then(|| {
            let body = "<Error><Code>SignatureDoesNotMatch</Code><Message>The request signature we calculated does not match</Message><SignatureProvided>cafebabe</SignatureProvided></Error>";
            Ok(fake::response(StatusCode::FORBIDDEN, body))
        })
    });
    let uploader = Uploader::new(s.client.clone(), config().build().unwrap());
    let error = uploader
        .upload(
            REPO,
            "main",
            "doomed",
            UploadSource::bytes(data(6 * 5 * MIB, 3)),
        )
        .await
        .unwrap_err();
    assert_eq!(error.part_number(), Some(3));
    assert!(
        error.kind() == ErrorKind::PartRefused
            && error.status() == Some(StatusCode::FORBIDDEN)
            && error.attempts() == Some(1),
        "a 403 is not retried: {error:?}"
    );
    let text = format!("{} {error:?}", report(&error));
    assert!(
        text.contains("part 3") && text.contains("SignatureDoesNotMatch"),
        "{text}"
    );
    assert!(
        !text.contains("cafebabe") && !text.contains("X-Amz-Signature"),
        "no signature in errors: {text}"
    );
    assert!(
        error.abort().is_aborted() && text.contains("aborted"),
        "{text}"
    );
    assert_eq!(aborts(&s.transport), 1);
    assert_eq!(s.emulator.open_uploads(), 0);
}

#[tokio::test]
async fn never_more_parts_in_flight_than_the_concurrency() {
    for concurrency in [1, 3, 8] {
        let (s, parts) = setup_scripted(|_, _| None);
        s.transport
            .set_latency(Latency::fixed(Duration::from_millis(5)));
        let uploader = Uploader::new(
            s.client.clone(),
            config().concurrency(concurrency).build().unwrap(),
        );
        uploader
            .upload(
                REPO,
                "main",
                "bounded",
                UploadSource::bytes(data(12 * 5 * MIB, 5)),
            )
            .await
            .unwrap();
        assert_eq!(parts.calls(), 12);
        // Never more — and, with latency, the parallelism is really used.
        assert_eq!(
            parts.max_in_flight(),
            concurrency,
            "concurrency {concurrency}"
        );
    }
}

/// A reader that counts the bytes it has handed out.
struct CountingReader {
    inner: std::io::Cursor<Vec<u8>>,
    read: Arc<AtomicU64>,
}

impl tokio::io::AsyncRead for CountingReader {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let poll = std::pin::Pin::new(&mut self.inner).poll_read(cx, buf);
        self.read
            .fetch_add((buf.filled().len() - before) as u64, Ordering::SeqCst);
        poll
    }
}

#[tokio::test]
async fn a_part_is_read_only_once_its_slot_is_free() {
    let read = Arc::new(AtomicU64::new(0));
    let stored = Arc::new(AtomicU64::new(0));
    let worst = Arc::new(AtomicU64::new(0));
    let (read_c, stored_c, worst_c) = (Arc::clone(&read), Arc::clone(&stored), Arc::clone(&worst));
    let (s, _) = setup_scripted(move |request, _| {
        // Bytes read from the source but not yet stored, at the moment a part arrives.
        let ahead = read_c.load(Ordering::SeqCst) - stored_c.load(Ordering::SeqCst);
        worst_c.fetch_max(ahead, Ordering::SeqCst);
        stored_c.fetch_add(request.body().len() as u64, Ordering::SeqCst);
        None
    });
    s.transport
        .set_latency(Latency::fixed(Duration::from_millis(3)));
    let part = 5 * MIB as u64;
    let size = 40 * part + 1;
    let reader = CountingReader {
        inner: std::io::Cursor::new(data(size as usize, 8).to_vec()),
        read: Arc::clone(&read),
    };
    let uploader = Uploader::new(s.client.clone(), config().concurrency(3).build().unwrap());
    uploader
        .upload(REPO, "main", "streamed", UploadSource::reader(reader, size))
        .await
        .unwrap();
    assert_eq!(read.load(Ordering::SeqCst), size);
    let worst = worst.load(Ordering::SeqCst);
    // A reader is read one part ahead at concurrency 3 (a quarter of it, at least one).
    assert!(
        worst <= (3 + 1) * part,
        "{worst} bytes read ahead of storage; the bound is (concurrency + read-ahead) × part size"
    );
}

#[tokio::test]
async fn url_count_mismatch_fails_and_aborts() {
    let (s, _) = setup_with(|transport, emulator| {
        let emulator = emulator.clone();
        transport.route(
            Method::POST,
            "/api/v1/repositories/{r}/branches/{b}/staging/pmpu",
            move |request, _| {
                // Ask the emulator, then drop one URL from its answer.
                let answer = emulator.handle(request);
                let mut body: serde_json::Value = serde_json::from_slice(answer.body()).unwrap();
                body["presigned_urls"].as_array_mut().unwrap().pop();
                Ok(fake::json(StatusCode::CREATED, body.to_string()))
            },
        )
    });
    let uploader = Uploader::new(s.client.clone(), config().build().unwrap());
    let error = uploader
        .upload(REPO, "main", "x", UploadSource::bytes(data(3 * 5 * MIB, 1)))
        .await
        .unwrap_err();
    assert!(
        error.kind() == ErrorKind::PartUrl
            && report(&error).contains("asked lakeFS for 3 presigned part URLs and got 2"),
        "{error:?}"
    );
    assert!(error.abort().is_aborted());
    assert!(storage_puts(&s.transport).is_empty(), "no part is sent");
    assert_eq!(s.emulator.open_uploads(), 0);
}

#[tokio::test]
async fn missing_etag_fails_naming_the_part() {
    let (s, _) = setup_scripted(|request, part| {
        (part == 2).then(|| {
            let _ = request;
            Ok(fake::response(StatusCode::OK, ""))
        })
    });
    let uploader = Uploader::new(s.client.clone(), config().build().unwrap());
    let error = uploader
        .upload(REPO, "main", "x", UploadSource::bytes(data(2 * 5 * MIB, 1)))
        .await
        .unwrap_err();
    assert_eq!(error.part_number(), Some(2));
    assert!(error.kind() == ErrorKind::PartMissingEtag, "{error:?}");
    assert!(report(&error).contains("without an ETag"), "{error}");
    assert_eq!(aborts(&s.transport), 1);
}

#[tokio::test]
async fn conflict_on_complete_is_its_own_error_and_aborts() {
    let (s, _) = setup_with(|transport, _| {
        transport.route(
            Method::PUT,
            "/api/v1/repositories/{r}/branches/{b}/staging/pmpu/{id}",
            |_, _| {
                Ok(fake::json(
                    StatusCode::CONFLICT,
                    r#"{"message":"conflict with a commit"}"#,
                ))
            },
        )
    });
    let uploader = Uploader::new(s.client.clone(), config().build().unwrap());
    let error = uploader
        .upload(REPO, "main", "x", UploadSource::bytes(data(MIB, 1)))
        .await
        .unwrap_err();
    assert!(error.kind() == ErrorKind::Conflict, "{error:?}");
    assert!(error.abort().is_aborted());
    assert_eq!(s.emulator.open_uploads(), 0);
}

#[tokio::test]
async fn cancellation_aborts_and_leaves_nothing_running() {
    let (s, parts) = setup_scripted(|_, _| None);
    s.transport
        .set_latency(Latency::fixed(Duration::from_millis(50)));
    let uploader = Uploader::new(s.client.clone(), config().build().unwrap());
    let cancel = tokio::time::sleep(Duration::from_millis(120));
    let error = uploader
        .upload(
            REPO,
            "main",
            "cancelled",
            UploadSource::bytes(data(20 * 5 * MIB, 2)),
        )
        .cancel_on(cancel)
        .await
        .unwrap_err();
    assert!(error.kind() == ErrorKind::Cancelled, "{error:?}");
    assert!(error.abort().is_aborted());
    assert_eq!(parts.in_flight(), 0, "no PUT is left running");
    assert!(parts.calls() < 20);
    assert_eq!(s.emulator.open_uploads(), 0);
}

#[tokio::test]
async fn dropping_the_upload_future_aborts_in_the_background() {
    let (s, parts) = setup_scripted(|_, _| None);
    s.transport
        .set_latency(Latency::fixed(Duration::from_millis(50)));
    let uploader = Uploader::new(s.client.clone(), config().build().unwrap());
    let upload = uploader.upload(
        REPO,
        "main",
        "dropped",
        UploadSource::bytes(data(20 * 5 * MIB, 2)),
    );
    assert!(tokio::time::timeout(Duration::from_millis(120), upload)
        .await
        .is_err());
    assert_eq!(parts.in_flight(), 0, "dropping the future stops every PUT");
    // The abort arrives shortly after.
    for _ in 0..100 {
        if s.emulator.open_uploads() == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(s.emulator.open_uploads(), 0);
    assert_eq!(aborts(&s.transport), 1);
}

#[tokio::test]
async fn presigned_puts_carry_no_lakefs_credentials() {
    for credentials in [
        Credentials::basic(DEFAULT_ACCESS_KEY_ID, DEFAULT_SECRET_ACCESS_KEY),
        Credentials::cookie(lakefs_experimental::CookieScheme::Internal, "session"),
    ] {
        let s = setup();
        s.emulator.add_session_cookie("session", "admin");
        let client = s.client.with_credentials(credentials);
        let uploader = Uploader::new(client, config().build().unwrap());
        uploader
            .upload(
                REPO,
                "main",
                "clean",
                UploadSource::bytes(data(3 * 5 * MIB, 4)),
            )
            .await
            .unwrap();
        let requests = s.transport.requests();
        let (storage, api): (Vec<_>, Vec<_>) = requests
            .iter()
            .partition(|r| r.uri.host() == Some(STORAGE_HOST));
        assert_eq!(storage.len(), 3);
        for put in storage {
            assert!(
                !put.headers.contains_key("authorization") && !put.headers.contains_key("cookie"),
                "{:?}",
                put.headers
            );
        }
        assert!(api
            .iter()
            .all(|r| r.headers.contains_key("authorization") || r.headers.contains_key("cookie")));
    }
}

#[tokio::test]
async fn complete_sends_parts_in_order_with_content_type_and_metadata() {
    let s = setup();
    let uploader = Uploader::new(s.client.clone(), config().concurrency(8).build().unwrap());
    let stats = uploader
        .upload(
            REPO,
            "main",
            "meta",
            UploadSource::bytes(data(9 * 5 * MIB, 6)),
        )
        .content_type("application/x-parquet")
        .metadata("owner", "etl")
        .await
        .unwrap();
    // An empty metadata key is refused before anything is sent.
    let error = uploader
        .upload(REPO, "main", "meta", UploadSource::bytes(data(MIB, 1)))
        .metadata("", "v")
        .await
        .unwrap_err();
    assert!(report(&error).contains("metadata keys"), "{error}");
    let complete = s
        .transport
        .requests()
        .into_iter()
        .find(|r| r.method == Method::PUT && r.uri.host() != Some(STORAGE_HOST))
        .unwrap();
    let body: serde_json::Value = serde_json::from_slice(&complete.body).unwrap();
    let numbers: Vec<u64> = body["parts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["part_number"].as_u64().unwrap())
        .collect();
    assert_eq!(numbers, (1..=9).collect::<Vec<_>>());
    assert_eq!(body["content_type"], "application/x-parquet");
    assert_eq!(body["user_metadata"]["owner"], "etl");
    assert_eq!(stats.content_type.as_deref(), Some("application/x-parquet"));
}

#[tokio::test]
async fn md5_check_retries_a_corrupted_part_then_fails_if_it_persists() {
    let corrupted = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&corrupted);
    let (s, _) = setup_scripted(move |request, part| {
        // Part 2's first answer carries a wrong MD5 ETag, as a corrupting proxy might.
        (part == 2 && counter.fetch_add(1, Ordering::SeqCst) == 0).then(|| {
            let _ = request;
            Ok(fake::response(StatusCode::OK, "")
                .with_header("etag", "\"00000000000000000000000000000000\""))
        })
    });
    let uploader = Uploader::new(s.client.clone(), config().verify_md5(true).build().unwrap());
    uploader
        .upload(
            REPO,
            "main",
            "checked",
            UploadSource::bytes(data(2 * 5 * MIB, 7)),
        )
        .await
        .unwrap();
    assert_eq!(storage_puts(&s.transport).len(), 3, "part 2 was sent again");

    let (s, _) = setup_scripted(|_, part| {
        (part == 1).then(|| {
            Ok(fake::response(StatusCode::OK, "")
                .with_header("etag", "\"00000000000000000000000000000000\""))
        })
    });
    let uploader = Uploader::new(
        s.client.clone(),
        config()
            .verify_md5(true)
            .retry_policy(fast_retries(3))
            .build()
            .unwrap(),
    );
    let error = uploader
        .upload(REPO, "main", "bad", UploadSource::bytes(data(MIB, 7)))
        .await
        .unwrap_err();
    // The same wrong ETag twice is no damage on the way: it will not change, so it is not
    // sent a third time.
    assert!(
        error.kind() == ErrorKind::PartChecksumMismatch && error.attempts() == Some(2),
        "{error:?}"
    );
    assert!(error.abort().is_aborted());
}

#[tokio::test]
async fn md5_check_sends_content_md5_and_trusts_kms_etags() {
    // SSE-KMS answers an ETag of 32 hex digits that is no MD5 of the part.
    let (s, _) = setup_scripted(|request, _| {
        assert!(
            request.headers().contains_key("content-md5"),
            "the part carries its MD5 for the storage to check"
        );
        Some(Ok(fake::response(StatusCode::OK, "")
            .with_header("etag", "\"0123456789abcdef0123456789abcdef\"")
            .with_header("x-amz-server-side-encryption", "aws:kms")))
    });
    let uploader = Uploader::new(s.client.clone(), config().verify_md5(true).build().unwrap());
    let error = uploader
        .upload(
            REPO,
            "main",
            "kms",
            UploadSource::bytes(data(2 * 5 * MIB, 3)),
        )
        .await;
    // Completing fails on the emulator (it never stored these parts), but no part was
    // refused or sent twice for its ETag.
    assert!(error.is_err());
    assert_eq!(
        storage_puts(&s.transport).len(),
        2,
        "no retry for a KMS ETag"
    );
    let content_md5 = storage_puts(&s.transport)[0].headers["content-md5"]
        .to_str()
        .unwrap()
        .to_owned();
    use base64::Engine as _;
    let digest = base64::engine::general_purpose::STANDARD
        .decode(content_md5)
        .unwrap();
    assert_eq!(digest.len(), 16);
}

#[tokio::test]
async fn progress_events_add_up() {
    let events = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&events);
    let s = setup();
    s.transport.set_faults(
        FaultPlan::new(11)
            .probability(0.3)
            .faults([Fault::Status(StatusCode::SERVICE_UNAVAILABLE)])
            .only_host(STORAGE_HOST),
    );
    let config = config()
        .on_progress(move |event| sink.lock().unwrap().push(event.clone()))
        .build()
        .unwrap();
    let size = 4 * 5 * MIB + 3;
    Uploader::new(s.client.clone(), config)
        .upload(REPO, "main", "progress", UploadSource::bytes(data(size, 1)))
        .await
        .unwrap();
    let events = events.lock().unwrap();
    assert!(
        matches!(events[0], ProgressEvent::Started { total_bytes: Some(t), parts: 5, .. } if t == size as u64)
    );
    let finished: Vec<_> = events
        .iter()
        .filter_map(|e| match e {
            ProgressEvent::PartFinished { bytes_done, .. } => Some(*bytes_done),
            _ => None,
        })
        .collect();
    assert_eq!(finished.len(), 5);
    assert_eq!(*finished.last().unwrap(), size as u64);
    assert!(finished.windows(2).all(|w| w[0] < w[1]));
    let started = events
        .iter()
        .filter(|e| matches!(e, ProgressEvent::PartStarted { .. }))
        .count();
    let retried = events
        .iter()
        .filter(|e| matches!(e, ProgressEvent::PartRetried { .. }))
        .count();
    assert_eq!(started, 5);
    assert_eq!(retried, storage_puts(&s.transport).len() - 5);
    assert!(matches!(
        events.last().unwrap(),
        ProgressEvent::Completing { parts: 5 }
    ));
}

#[tokio::test]
async fn bad_configuration_is_refused_before_any_request() {
    let refused = |built: Result<UploadConfig, lakefs_multipart::Error>, named: &str| {
        let error = built.unwrap_err();
        assert_eq!(error.kind(), ErrorKind::InvalidInput, "{error}");
        assert!(error.to_string().contains(named), "{named}: {error}");
    };
    refused(
        UploadConfig::builder().part_size(MIB as u64).build(),
        "part size 1048576 bytes",
    );
    refused(
        UploadConfig::builder().concurrency(0).build(),
        "concurrency must be from 1 to 256, or auto (it is 0)",
    );
    refused(
        UploadConfig::builder()
            .concurrency(lakefs_multipart::Concurrency::auto())
            .shared_slots(lakefs_multipart::PartSlots::new(4))
            .build(),
        "give adaptive shared slots (PartSlots::adaptive) instead",
    );
    refused(
        UploadConfig::builder().presign_window(0).build(),
        "presign window 0",
    );
    assert!(UploadConfig::builder()
        .part_size(5 * 1024 * MIB as u64 + 1)
        .build()
        .unwrap_err()
        .to_string()
        .contains("5 GiB"));
}

#[tokio::test]
async fn parts_of_a_bytes_source_are_slices_of_it_not_copies() {
    let s = setup();
    let source = data(3 * 5 * MIB + 9, 12);
    let range = source.as_ptr() as usize..source.as_ptr() as usize + source.len();
    let uploader = Uploader::new(s.client.clone(), config().build().unwrap());
    uploader
        .upload(
            REPO,
            "main",
            "zero-copy",
            UploadSource::bytes(source.clone()),
        )
        .await
        .unwrap();
    let puts = storage_puts(&s.transport);
    assert_eq!(puts.len(), 4);
    for put in puts {
        let start = put.body.as_ptr() as usize;
        assert!(
            range.contains(&start) && start + put.body.len() <= range.end,
            "a part was copied"
        );
    }
}

#[tokio::test]
async fn one_uploader_reports_each_uploads_progress_to_its_own_callback() {
    let s = setup();
    let everything = Arc::new(AtomicUsize::new(0));
    let seen = Arc::clone(&everything);
    let uploader = Uploader::new(
        s.client.clone(),
        config()
            .on_progress(move |_| {
                seen.fetch_add(1, Ordering::SeqCst);
            })
            .build()
            .unwrap(),
    );
    let counter = |total: &Arc<AtomicU64>| {
        let total = Arc::clone(total);
        move |event: &ProgressEvent| {
            if let ProgressEvent::PartFinished { size, .. } = event {
                total.fetch_add(*size, Ordering::SeqCst);
            }
        }
    };
    let (a, b) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
    let (first, second) = tokio::join!(
        uploader
            .upload(
                REPO,
                "main",
                "a",
                UploadSource::bytes(data(11 * 1024 * 1024, 1))
            )
            .on_progress(counter(&a)),
        uploader
            .upload(
                REPO,
                "main",
                "b",
                UploadSource::bytes(data(3 * 1024 * 1024, 2))
            )
            .on_progress(counter(&b)),
    );
    first.unwrap();
    second.unwrap();
    assert_eq!(a.load(Ordering::SeqCst), 11 * 1024 * 1024);
    assert_eq!(b.load(Ordering::SeqCst), 3 * 1024 * 1024);
    assert_eq!(
        everything.load(Ordering::SeqCst),
        0,
        "the uploader's own callback hears neither"
    );
}
