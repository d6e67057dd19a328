//! Nothing silently wrong: completes that cannot stage another object than the source,
//! resumes that prove what they trust, answers of proxies that are not mistaken for lakeFS's
//! refusals, and no upload left open that nothing can finish or name. Each test is named
//! after the behaviour it pins down, and failed on the engine before it was fixed.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use common::{data, emulator_client, report, rewrite_keeping_mtime};
use http::{Method, StatusCode};
use lakefs_emulator::{EmulatedOperation, Emulator, DEFAULT_REPOSITORY};
use lakefs_experimental::{ExperimentalClient, RetryPolicy};
use lakefs_multipart::*;
use lakefs_transport::fake::{self, FakeTransport, ResponseExt};
use lakefs_transport::{BoxFuture, HttpTransport, TransportError};

const MIB: usize = 1024 * 1024;
const REPO: &str = DEFAULT_REPOSITORY;
const COMPLETE: &str = "/api/v1/repositories/{r}/branches/{b}/staging/pmpu/{id}";
const PARTS: &str = "/_storage/{upload}/{part}";
const UPLOAD_PART: &str = "/api/v1/repositories/{r}/branches/{b}/staging/pmpu/{id}/parts/{n}";

struct Setup {
    emulator: Emulator,
    transport: FakeTransport,
    client: ExperimentalClient<FakeTransport>,
}

/// The emulator behind a fake transport; `before` adds routes that come first.
fn setup_with(before: impl FnOnce(&FakeTransport, &Emulator)) -> Setup {
    let emulator = Emulator::new();
    let transport = FakeTransport::new();
    before(&transport, &emulator);
    let handler = emulator.clone();
    transport.fallback(move |request, _| Ok(handler.handle(request)));
    let client = emulator_client(transport.clone()).with_retry_policy(RetryPolicy::none());
    Setup {
        emulator,
        transport,
        client,
    }
}

fn setup() -> Setup {
    setup_with(|_, _| {})
}

fn config() -> UploadConfigBuilder {
    UploadConfig::builder().part_size(5 * MIB as u64)
}

fn count(transport: &FakeTransport, what: impl Fn(&fake::RecordedRequest) -> bool) -> usize {
    transport.requests().iter().filter(|r| what(r)).count()
}

fn part_puts(transport: &FakeTransport) -> usize {
    count(transport, |r| {
        r.method == Method::PUT && r.uri.path().starts_with("/_storage/")
    })
}

fn completes(transport: &FakeTransport) -> usize {
    count(transport, |r| {
        r.method == Method::PUT && r.uri.path().contains("/staging/pmpu/")
    })
}

fn aborts(transport: &FakeTransport) -> usize {
    count(transport, |r| r.method == Method::DELETE)
}

fn temp_path(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("lakefs-nsw-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

/// A progress callback that fires once `n` parts have finished.
fn after_parts(
    n: u32,
) -> (
    impl Fn(&ProgressEvent) + Send + Sync + 'static,
    tokio::sync::oneshot::Receiver<()>,
) {
    let (tx, rx) = tokio::sync::oneshot::channel();
    let tx = Mutex::new(Some(tx));
    let seen = AtomicU32::new(0);
    let sink = move |event: &ProgressEvent| {
        if matches!(event, ProgressEvent::PartFinished { .. })
            && seen.fetch_add(1, Ordering::SeqCst) + 1 == n
        {
            if let Some(tx) = tx.lock().unwrap().take() {
                let _ = tx.send(());
            }
        }
    };
    (sink, rx)
}

// 1. A session completed with parts that do not cover it.

#[tokio::test]
async fn a_session_completed_with_parts_that_do_not_cover_it_is_refused_before_any_call() {
    let s = setup();
    let uploader = Uploader::new(s.client.clone(), config().build().unwrap());
    let source = data(3 * 5 * MIB + 17, 1);
    let session = uploader
        .begin(REPO, "main", "covered", source.len() as u64)
        .await
        .unwrap();
    let parts = uploader
        .upload_parts(&session, 1..=4, UploadSource::bytes(source.clone()))
        .await
        .unwrap();
    assert_eq!(parts.len(), 4);
    let only = |numbers: &[u32]| -> Vec<StoredPart> {
        parts
            .iter()
            .filter(|p| numbers.contains(&p.part_number))
            .cloned()
            .collect()
    };
    let mut resized = parts.clone();
    resized[1].size -= 1;
    let mut stray = parts.clone();
    stray.push(StoredPart::new(5, "0123456789abcdef0123456789abcdef", 0));
    let cases: Vec<(Vec<StoredPart>, &str)> = vec![
        (only(&[1, 4]), "missing parts 2 and 3"),
        (only(&[]), "missing parts 1, 2, 3 and 4"),
        ([parts.clone(), only(&[2])].concat(), "duplicate part 2"),
        (stray, "part 5 outside the plan's 1–4"),
        (resized, "part 2 holds 5242879 bytes, the plan 5242880"),
    ];
    for (given, named) in cases {
        let before = s.transport.requests().len();
        let error = uploader
            .complete(&session, given, &ObjectOptions::new())
            .await
            .unwrap_err();
        assert!(error.kind() == ErrorKind::PartsMismatch, "{error}");
        assert!(report(&error).contains(named), "{named}: {error}");
        assert_eq!(s.transport.requests().len(), before, "nothing was sent");
    }
    assert!(s.emulator.object(REPO, "main", "covered").is_none());
    let stats = uploader
        .complete(&session, parts, &ObjectOptions::new())
        .await
        .unwrap();
    assert_eq!(stats.size_bytes, Some(source.len() as i64));
    assert_eq!(s.emulator.object(REPO, "main", "covered").unwrap(), source);
}

// 2. A resume that mixes two sources.

#[tokio::test]
async fn a_resume_of_a_source_changed_outside_the_fingerprint_resends_the_parts_that_changed() {
    let s = setup();
    let file = temp_path("changed-outside-sample.bin");
    let checkpoint = temp_path("changed-outside-sample.json");
    let source = data(3 * 5 * MIB, 2);
    std::fs::write(&file, &source).unwrap();
    let (sink, first_part) = after_parts(1);
    let first = Uploader::new(
        s.client.clone(),
        config().concurrency(1).on_progress(sink).build().unwrap(),
    );
    let error = first
        .upload(REPO, "main", "mixed", UploadSource::file(&file))
        .checkpoint(&checkpoint)
        .cancel_on(async move {
            let _ = first_part.await;
        })
        .await
        .unwrap_err();
    assert!(
        matches!(error.abort(), AbortOutcome::Resumable(_)),
        "{error}"
    );
    let recorded = Checkpoint::load(&checkpoint).unwrap();
    assert!(recorded.parts.contains_key(&1), "part 1 recorded");
    assert!(
        recorded.parts[&1].md5.is_some(),
        "with the MD5 of its bytes"
    );

    // Rewritten: part 1 at an offset the fingerprint does not sample, and parts 2–3 — same
    // size, same modification time.
    let mut rewritten = source.to_vec();
    rewritten[100_000] ^= 0xff;
    rewritten[5 * MIB..].copy_from_slice(&data(2 * 5 * MIB, 3));
    rewrite_keeping_mtime(&file, &rewritten);

    let verified = Arc::new(Mutex::new(None));
    let seen = Arc::clone(&verified);
    let resumer = Uploader::new(
        s.client.clone(),
        config()
            .on_progress(move |event| {
                if let ProgressEvent::PartsVerified { kept, changed, .. } = event {
                    *seen.lock().unwrap() = Some((*kept, *changed));
                }
            })
            .build()
            .unwrap(),
    );
    s.transport.clear_requests();
    resumer
        .resume(&checkpoint, UploadSource::file(&file))
        .await
        .unwrap();
    assert_eq!(
        s.emulator.object(REPO, "main", "mixed").unwrap(),
        Bytes::from(rewritten),
        "the source as it is now, not old part 1 with new parts 2–3"
    );
    let (kept, changed) = verified.lock().unwrap().unwrap();
    assert_eq!(changed, 1, "part 1 changed");
    assert_eq!(kept + changed, u32::try_from(recorded.parts.len()).unwrap());
    assert_eq!(part_puts(&s.transport), 3 - kept as usize);
}

// 3. An abort that can race a complete.

#[tokio::test(start_paused = true)]
async fn a_complete_answered_by_a_proxy_with_a_status_lakefs_never_sends_is_resolved_not_aborted() {
    for (status, body) in [
        (
            520,
            "<html>Cloudflare: web server returned an unknown error</html>",
        ),
        (524, "<html>a timeout occurred</html>"),
        (500, "<html><h1>500 Internal Server Error</h1>nginx</html>"),
        (408, ""),
    ] {
        for forwarded in [true, false] {
            let s = setup_with(|transport, emulator| {
                let emulator = emulator.clone();
                let answered = Arc::new(AtomicUsize::new(0));
                transport.route(Method::PUT, COMPLETE, move |request, _| {
                    // The first complete: the proxy answers, after (or without) forwarding it.
                    if answered.fetch_add(1, Ordering::SeqCst) > 0 || forwarded {
                        let staged = emulator.handle(request);
                        if answered.load(Ordering::SeqCst) > 1 {
                            return Ok(staged);
                        }
                    }
                    Ok(fake::response(StatusCode::from_u16(status).unwrap(), body)
                        .with_header("content-type", "text/html"))
                });
            });
            let uploader = Uploader::new(s.client.clone(), config().build().unwrap());
            let source = data(5 * MIB + 3, 4);
            let stats = uploader
                .upload(REPO, "main", "proxied", UploadSource::bytes(source.clone()))
                .await
                .unwrap_or_else(|e| panic!("{status} forwarded={forwarded}: {}", report(&e)));
            assert_eq!(stats.size_bytes, Some(source.len() as i64));
            assert_eq!(s.emulator.object(REPO, "main", "proxied").unwrap(), source);
            assert_eq!(aborts(&s.transport), 0, "{status}: never aborted");
        }
    }
}

#[tokio::test]
async fn a_complete_refused_by_lakefs_itself_is_a_failure_and_aborted() {
    let s = setup_with(|transport, _| {
        transport.route(Method::PUT, COMPLETE, |_, _| {
            Ok(fake::json(
                StatusCode::INTERNAL_SERVER_ERROR,
                r#"{"message":"storage: InvalidPart"}"#,
            ))
        });
    });
    let uploader = Uploader::new(s.client.clone(), config().build().unwrap());
    let error = uploader
        .upload(REPO, "main", "refused", UploadSource::bytes(data(MIB, 5)))
        .await
        .unwrap_err();
    assert!(error.kind() == ErrorKind::Complete, "{error}");
    assert!(error.abort().is_aborted(), "{error}");
    assert_eq!(completes(&s.transport), 1, "a refusal is not repeated");
}

// 4. A dead part PUT over a transport that reports no progress.

/// A transport that reports no progress (the one-method transport the README invites): it
/// forwards to a fake, but the first part PUT that `hold` picks never answers.
struct Silent {
    inner: FakeTransport,
    hung: AtomicUsize,
    hold: fn(&http::Request<Bytes>) -> bool,
}

impl HttpTransport for Silent {
    fn send(
        &self,
        request: http::Request<Bytes>,
    ) -> BoxFuture<'_, Result<http::Response<Bytes>, TransportError>> {
        let is_part = request.uri().path().starts_with("/_storage/");
        if is_part && (self.hold)(&request) && self.hung.fetch_add(1, Ordering::SeqCst) == 0 {
            return Box::pin(std::future::pending());
        }
        self.inner.send(request)
    }
}

#[tokio::test(start_paused = true)]
async fn a_dead_part_put_over_a_transport_that_reports_no_progress_is_given_up_by_its_deadline() {
    let s = setup();
    let silent = Arc::new(Silent {
        inner: s.transport.clone(),
        hung: AtomicUsize::new(0),
        hold: |_| true,
    });
    assert!(!silent.reports_progress());
    let uploader = Uploader::new(s.client.clone(), config().build().unwrap())
        .with_data_transport::<Silent>(Arc::clone(&silent));
    let source = data(5 * MIB, 6);
    let started = tokio::time::Instant::now();
    uploader
        .upload(
            REPO,
            "main",
            "deadline",
            UploadSource::bytes(source.clone()),
        )
        .await
        .unwrap();
    let waited = started.elapsed();
    // 5 MiB at the 128 KiB/s floor is 40 s, plus 120 s for the answer: 160 s, then a retry.
    assert!(
        waited >= Duration::from_secs(160) && waited < Duration::from_secs(200),
        "{waited:?}"
    );
    assert_eq!(silent.hung.load(Ordering::SeqCst), 2, "retried once");
    assert_eq!(s.emulator.object(REPO, "main", "deadline").unwrap(), source);
}

// 5. An upload kept "resumable" on a lakeFS without uploadPart.

#[tokio::test]
async fn an_upload_on_a_lakefs_without_upload_part_is_aborted_not_kept_resumable() {
    let s = setup_with(|transport, _| {
        transport.route(Method::PUT, PARTS, |_, _| {
            Ok(fake::response(
                StatusCode::FORBIDDEN,
                "<Error><Code>AccessDenied</Code><Message>no</Message></Error>",
            ))
        });
    });
    s.emulator
        .set_operation_available(EmulatedOperation::UploadPart, false);
    let checkpoint = temp_path("no-upload-part.json");
    let uploader = Uploader::new(s.client.clone(), config().build().unwrap());
    let error = uploader
        .upload(
            REPO,
            "main",
            "old-lakefs",
            UploadSource::bytes(data(2 * 5 * MIB, 7)),
        )
        .checkpoint(&checkpoint)
        .await
        .unwrap_err();
    let text = report(&error);
    assert!(error.abort().is_aborted(), "{text}");
    assert!(
        text.contains("not kept resumable") && text.contains("uploadPart"),
        "{text}"
    );
    assert!(
        !checkpoint.exists(),
        "no checkpoint of an upload that is gone"
    );
    assert_eq!(s.emulator.open_uploads(), 0);
}

// 6. No upload may exist that the engine cannot name.

#[tokio::test]
async fn a_create_whose_answer_cannot_be_read_says_an_upload_may_exist_unnamed() {
    for truncated in [true, false] {
        let s = setup_with(|transport, emulator| {
            let emulator = emulator.clone();
            transport.route(
                Method::POST,
                "/api/v1/repositories/{r}/branches/{b}/staging/pmpu",
                move |request, _| {
                    // lakeFS creates the upload; its answer arrives cut short, or not at all.
                    let _created = emulator.handle(request);
                    if truncated {
                        Ok(fake::json(
                            StatusCode::CREATED,
                            r#"{"upload_id":"u","physical_add"#,
                        ))
                    } else {
                        Err(lakefs_transport::fake::Fault::ResetAfterHandling)
                    }
                },
            );
        });
        let uploader = Uploader::new(s.client.clone(), config().build().unwrap());
        let error = uploader
            .upload(REPO, "main", "unnamed", UploadSource::bytes(data(MIB, 8)))
            .await
            .unwrap_err();
        assert!(error.kind() == ErrorKind::CreateOutcomeUnknown, "{error}");
        assert!(report(&error).contains("lifecycle rule"), "{error}");
    }
}

// 7. Checkpoints lag.

#[tokio::test(start_paused = true)]
async fn a_finished_part_reaches_the_checkpoint_within_a_second_whatever_happens_next() {
    let s = setup();
    // Part 4 never answers (a transport without progress reports: no stall detection either).
    let holding = Arc::new(Silent {
        inner: s.transport.clone(),
        hung: AtomicUsize::new(0),
        hold: |request| request.uri().path().ends_with("/4"),
    });
    let checkpoint = temp_path("lagging.json");
    let uploader = Uploader::new(s.client.clone(), config().concurrency(4).build().unwrap())
        .with_data_transport::<Silent>(holding);
    let upload = uploader
        .upload(
            REPO,
            "main",
            "lagging",
            UploadSource::bytes(data(4 * 5 * MIB, 9)),
        )
        .checkpoint(&checkpoint);
    tokio::select! {
        _ = upload => panic!("part 4 hangs"),
        () = tokio::time::sleep(Duration::from_secs(3)) => {}
    }
    let recorded = Checkpoint::load(&checkpoint).unwrap();
    assert_eq!(
        recorded.parts.keys().copied().collect::<Vec<_>>(),
        vec![1, 2, 3],
        "parts 1–3 finished in a burst are on disk"
    );
}

// 8. A resume of an upload that already completed.

/// Uploads `source` through a checkpoint and returns the stats and a copy of the checkpoint
/// as it was when complete was sent: what a crash right after complete leaves behind.
async fn completed_with_surviving_checkpoint(
    s: &Setup,
    name: &str,
    source: &Bytes,
) -> (
    Uploader<FakeTransport>,
    PathBuf,
    PathBuf,
    lakefs_experimental::models::ObjectStats,
) {
    let file = temp_path(&format!("{name}.bin"));
    let checkpoint = temp_path(&format!("{name}.json"));
    let survived = temp_path(&format!("{name}-survived.json"));
    std::fs::write(&file, source).unwrap();
    let (from, to) = (checkpoint.clone(), survived.clone());
    let uploader = Uploader::new(
        s.client.clone(),
        config()
            .on_progress(move |event| {
                if matches!(event, ProgressEvent::Completing { .. }) {
                    std::fs::copy(&from, &to).unwrap();
                }
            })
            .build()
            .unwrap(),
    );
    let stats = uploader
        .upload(REPO, "main", name, UploadSource::file(&file))
        .checkpoint(&checkpoint)
        .await
        .unwrap();
    assert!(!checkpoint.exists());
    (uploader, file, survived, stats)
}

#[tokio::test]
async fn resuming_an_upload_that_already_completed_reports_it_done() {
    let s = setup();
    let source = data(2 * 5 * MIB + 1, 10);
    let (uploader, file, survived, stats) =
        completed_with_surviving_checkpoint(&s, "done-before", &source).await;
    s.transport.clear_requests();
    let again = uploader
        .resume(&survived, UploadSource::file(&file))
        .await
        .unwrap();
    // The same object: complete answers its address relative to the storage namespace
    // (`data/…`), statObject the full URI, as lakeFS does.
    let relative = &stats.physical_address[stats.physical_address.rfind("data/").unwrap()..];
    assert!(
        again.physical_address.ends_with(relative),
        "{} is not {relative}",
        again.physical_address
    );
    assert_eq!(again.checksum, stats.checksum);
    assert_eq!(part_puts(&s.transport) + completes(&s.transport), 0);
    assert!(!survived.exists(), "the checkpoint is removed");
}

#[tokio::test]
async fn resuming_an_upload_completed_before_its_source_changed_says_so() {
    let s = setup();
    let source = data(2 * 5 * MIB + 1, 11);
    let (uploader, file, survived, _) =
        completed_with_surviving_checkpoint(&s, "done-then-changed", &source).await;
    let mut changed = source.to_vec();
    changed[5 * MIB + 9] ^= 1;
    rewrite_keeping_mtime(&file, &changed);
    let error = uploader
        .resume(&survived, UploadSource::file(&file))
        .await
        .unwrap_err();
    assert!(
        error.kind() == ErrorKind::UploadGone
            && report(&error).contains("completed by an earlier run"),
        "{error}"
    );
}

// 9. A local clock an hour ahead of lakeFS.

/// `X-Amz-Date` of a Unix time.
fn amz_date(at: SystemTime) -> String {
    let text = httpdate::fmt_http_date(at); // "Mon, 23 Nov 2026 10:15:00 GMT"
    let f: Vec<&str> = text.split([' ', ':']).collect();
    let month = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ]
    .iter()
    .position(|m| *m == f[2])
    .unwrap()
        + 1;
    format!("{}{month:02}{}T{}{}{}Z", f[3], f[1], f[4], f[5], f[6])
}

#[tokio::test]
async fn a_local_clock_an_hour_ahead_of_lakefs_refreshes_no_url_that_is_still_valid() {
    // lakeFS's clock is an hour behind this machine's: the URLs it signs "now" are dated an
    // hour ago by ours, and live 15 minutes.
    let signed_at = amz_date(SystemTime::now() - Duration::from_secs(3600));
    let transport = FakeTransport::new();
    let urls: Vec<String> = (1..=3)
        .map(|n| {
            format!("\"http://s3.local/b/k?partNumber={n}&X-Amz-Date={signed_at}&X-Amz-Expires=900&X-Amz-Signature=s\"")
        })
        .collect();
    let created = format!(
        r#"{{"upload_id":"u","physical_address":"s3://b/data/k","presigned_urls":[{}]}}"#,
        urls.join(",")
    );
    transport.route(
        Method::POST,
        "/api/v1/repositories/{r}/branches/{b}/staging/pmpu",
        move |_, _| Ok(fake::json(StatusCode::CREATED, created.clone())),
    );
    // uploadPart answers, so a refresh would happen (and be counted) rather than fail.
    transport.route(Method::PUT, UPLOAD_PART, move |_, _| {
        Ok(fake::json(
            StatusCode::CREATED,
            r#"{"presigned_url":"http://s3.local/b/k?partNumber=1&X-Amz-Signature=fresh"}"#,
        ))
    });
    transport.route(Method::PUT, "/b/k", |_, _| {
        Ok(fake::response(StatusCode::OK, "").with_header("etag", "\"e\""))
    });
    transport.route(Method::PUT, COMPLETE, |_, _| {
        Ok(fake::json(
            StatusCode::OK,
            r#"{"path":"k","path_type":"object","physical_address":"data/k","checksum":"c-3","mtime":1}"#,
        ))
    });
    let client = emulator_client(transport.clone());
    let uploader = Uploader::new(client, config().build().unwrap());
    uploader
        .upload(
            REPO,
            "main",
            "k",
            UploadSource::bytes(data(2 * 5 * MIB + 1, 12)),
        )
        .await
        .unwrap();
    let upload_part_calls = count(&transport, |r| r.uri.path().contains("/parts/"));
    assert_eq!(
        upload_part_calls, 0,
        "no uploadPart: every URL is 15 minutes from expiry by lakeFS's clock"
    );
}

// Of the same class: a file written to while it is uploaded.

#[tokio::test]
async fn a_file_changed_while_it_is_uploaded_is_never_completed() {
    let s = setup();
    let file = temp_path("changing.bin");
    let source = data(3 * 5 * MIB, 13);
    std::fs::write(&file, &source).unwrap();
    // Another program rewrites the file in place (same size) once part 1 is stored: done in
    // the progress callback, which runs on the upload's task, so before complete for sure.
    let path = file.clone();
    let written = Arc::new(AtomicUsize::new(0));
    let wrote = Arc::clone(&written);
    let uploader = Uploader::new(
        s.client.clone(),
        config()
            .concurrency(1)
            .on_progress(move |event| {
                if matches!(event, ProgressEvent::PartFinished { part_number: 1, .. })
                    && wrote.fetch_add(1, Ordering::SeqCst) == 0
                {
                    std::thread::sleep(Duration::from_millis(5)); // a distinct mtime
                    let mut changed = std::fs::read(&path).unwrap();
                    changed[0] ^= 1;
                    changed[10 * MIB] ^= 1;
                    std::fs::write(&path, changed).unwrap();
                }
            })
            .build()
            .unwrap(),
    );
    let error = uploader
        .upload(REPO, "main", "changing", UploadSource::file(&file))
        .await
        .unwrap_err();
    assert_eq!(written.load(Ordering::SeqCst), 1);
    assert!(
        error.kind() == ErrorKind::SourceChanged
            && report(&error).contains("changed while it was being uploaded"),
        "{error}"
    );
    assert!(error.abort().is_aborted(), "{error}");
    assert!(s.emulator.object(REPO, "main", "changing").is_none());
    assert_eq!(completes(&s.transport), 0);
}

// Of the same class: "done" only for the object the parts make.

#[tokio::test]
async fn a_complete_that_stages_another_object_than_the_parts_is_not_reported_done() {
    for wrong in ["size_bytes", "checksum"] {
        let s = setup_with(|transport, emulator| {
            let emulator = emulator.clone();
            transport.route(Method::PUT, COMPLETE, move |request, _| {
                let staged = emulator.handle(request);
                let mut stats: serde_json::Value = serde_json::from_slice(staged.body()).unwrap();
                match wrong {
                    "size_bytes" => stats["size_bytes"] = serde_json::json!(7),
                    _ => {
                        stats["checksum"] = serde_json::json!("0123456789abcdef0123456789abcdef-2")
                    }
                }
                Ok(fake::json(StatusCode::OK, stats.to_string()))
            });
        });
        // With the MD5 check every part's ETag is proven an MD5, so the object's ETag is checked.
        let uploader = Uploader::new(s.client.clone(), config().verify_md5(true).build().unwrap());
        let error = uploader
            .upload(
                REPO,
                "main",
                "wrong",
                UploadSource::bytes(data(5 * MIB + 1, 14)),
            )
            .await
            .unwrap_err();
        assert!(
            error.kind() == ErrorKind::StagedMismatch,
            "{wrong}: {error}"
        );
        assert_eq!(
            aborts(&s.transport),
            0,
            "the upload is consumed: nothing to abort"
        );
    }
}

// Of the same class: a cancellation is heard while a resume proves its parts.

#[tokio::test]
async fn a_resume_cancelled_while_it_proves_its_parts_stops_and_stays_resumable() {
    let s = setup();
    let file = temp_path("cancel-proof.bin");
    let checkpoint = temp_path("cancel-proof.json");
    std::fs::write(&file, data(3 * 5 * MIB, 15)).unwrap();
    let (sink, two_parts) = after_parts(2);
    let first = Uploader::new(
        s.client.clone(),
        config().concurrency(1).on_progress(sink).build().unwrap(),
    );
    first
        .upload(REPO, "main", "cancel-proof", UploadSource::file(&file))
        .checkpoint(&checkpoint)
        .cancel_on(async move {
            let _ = two_parts.await;
        })
        .await
        .unwrap_err();
    let uploader = Uploader::new(s.client.clone(), config().build().unwrap());
    s.transport.clear_requests();
    let error = uploader
        .resume(&checkpoint, UploadSource::file(&file))
        .cancel_on(std::future::ready(()))
        .await
        .unwrap_err();
    assert!(error.kind() == ErrorKind::Cancelled, "{error}");
    assert!(
        matches!(error.abort(), AbortOutcome::Resumable(_)),
        "{error}"
    );
    assert_eq!(part_puts(&s.transport), 0);
    assert!(Checkpoint::load(&checkpoint).unwrap().parts.len() >= 2);
}

// Of the same class: keeping an upload resumable never costs minutes when lakeFS is gone.

#[tokio::test(start_paused = true)]
async fn a_cancelled_upload_asks_once_whether_it_can_be_resumed_even_with_lakefs_unreachable() {
    let s = setup_with(|transport, _| {
        // lakeFS is unreachable for everything but what the test lets through.
        transport.route(Method::PUT, UPLOAD_PART, |_, _| {
            Ok(fake::response(StatusCode::SERVICE_UNAVAILABLE, ""))
        });
    });
    // The default retry policy: a 503 for uploadPart (idempotent) would be retried for minutes.
    let client = emulator_client(s.transport.clone());
    let checkpoint = temp_path("unreachable.json");
    let (sink, first_part) = after_parts(1);
    let uploader = Uploader::new(
        client,
        config().concurrency(1).on_progress(sink).build().unwrap(),
    );
    let started = tokio::time::Instant::now();
    let error = uploader
        .upload(
            REPO,
            "main",
            "unreachable",
            UploadSource::bytes(data(3 * 5 * MIB, 16)),
        )
        .checkpoint(&checkpoint)
        .cancel_on(async move {
            let _ = first_part.await;
        })
        .await
        .unwrap_err();
    assert!(
        matches!(error.abort(), AbortOutcome::Resumable(_)),
        "{error}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(
        count(&s.transport, |r| r.uri.path().contains("/parts/")),
        1,
        "asked once"
    );
}
