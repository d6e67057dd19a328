//! The engine under real failure (issue "trustworthy under real failure"): a complete whose
//! answer is lost, cancellation during complete, an abort while the upload is dropped, slow
//! parts that then fail, S3's `RequestTimeout` and `SlowDown`, and error chains.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use common::{data, emulator_client, report};
use http::{Method, StatusCode};
use lakefs_emulator::{Emulator, DEFAULT_REPOSITORY};
use lakefs_experimental::{ExperimentalClient, RetryPolicy};
use lakefs_multipart::*;
use lakefs_transport::fake::{self, FakeTransport, Fault, FaultPlan, Latency, ResponseExt};
use lakefs_transport::{BoxFuture, HttpTransport, TransportError};

const MIB: usize = 1024 * 1024;
const REPO: &str = DEFAULT_REPOSITORY;
const COMPLETE: &str = "/api/v1/repositories/{r}/branches/{b}/staging/pmpu/{id}";
const PARTS: &str = "/_storage/{upload}/{part}";

/// The emulator behind a fake transport; `before` adds routes that come first.
fn setup(
    before: impl FnOnce(&FakeTransport, &Emulator),
) -> (Emulator, FakeTransport, ExperimentalClient<FakeTransport>) {
    let emulator = Emulator::new();
    let transport = FakeTransport::new();
    before(&transport, &emulator);
    let handler = emulator.clone();
    transport.fallback(move |request, _| Ok(handler.handle(request)));
    let client = emulator_client(transport.clone());
    (emulator, transport, client)
}

fn config() -> UploadConfigBuilder {
    UploadConfig::builder().part_size(5 * MIB as u64)
}

fn aborts(transport: &FakeTransport) -> usize {
    transport
        .requests()
        .iter()
        .filter(|r| r.method == Method::DELETE)
        .count()
}

#[tokio::test(start_paused = true)]
async fn a_complete_whose_answer_is_lost_is_resolved_never_aborted() {
    // lakeFS stages the object, then the answer is lost: a reset, or a proxy's 502 or 504.
    for lost in [
        Err(Fault::Reset),
        Ok(StatusCode::BAD_GATEWAY),
        Ok(StatusCode::GATEWAY_TIMEOUT),
    ] {
        let (emulator, transport, client) = setup(|transport, emulator| {
            let emulator = emulator.clone();
            let lost = lost.clone();
            transport.route(Method::PUT, COMPLETE, move |request, _| {
                let staged = emulator.handle(request);
                assert!(staged.status().is_success());
                match lost.clone() {
                    Err(fault) => Err(fault),
                    Ok(status) => Ok(fake::response(status, "<html>Bad Gateway</html>")),
                }
            });
        });
        let uploader = Uploader::new(client, config().build().unwrap());
        let source = data(2 * 5 * MIB + 3, 1);
        let stats = uploader
            .upload(REPO, "main", "lost", UploadSource::bytes(source.clone()))
            .await
            .unwrap_or_else(|e| panic!("{lost:?}: {}", report(&e)));
        assert_eq!(stats.size_bytes, Some(source.len() as i64));
        assert_eq!(emulator.object(REPO, "main", "lost").unwrap(), source);
        assert_eq!(
            aborts(&transport),
            0,
            "{lost:?}: no abort after a lost complete"
        );
    }
}

#[tokio::test(start_paused = true)]
async fn a_complete_that_cannot_be_told_is_reported_unknown_and_left_alone() {
    let (emulator, transport, client) = setup(|transport, _| {
        transport.route(Method::PUT, COMPLETE, |_, _| {
            Ok(fake::response(StatusCode::GATEWAY_TIMEOUT, ""))
        });
    });
    let uploader = Uploader::new(client, config().build().unwrap());
    let error = uploader
        .upload(REPO, "main", "unknown", UploadSource::bytes(data(MIB, 2)))
        .await
        .unwrap_err();
    let upload_id = error.upload_id().unwrap().to_owned();
    assert!(
        error.kind() == ErrorKind::OutcomeUnknown,
        "{}",
        report(&error)
    );
    assert!(report(&error).contains(&upload_id) && report(&error).contains("unknown"));
    assert!(
        !error.is_retryable(),
        "find out first, do not upload again blindly"
    );
    assert_eq!(aborts(&transport), 0);
    assert_eq!(emulator.open_uploads(), 1, "left as it is");
    let completes = transport
        .requests()
        .iter()
        .filter(|r| r.method == Method::PUT && r.uri.path().ends_with(&upload_id))
        .count();
    assert_eq!(completes, 2, "sent once, repeated once");
}

#[tokio::test]
async fn a_cancellation_does_not_win_over_a_complete_in_flight() {
    let (emulator, transport, client) = setup(|_, _| {});
    transport.set_latency(Latency::fixed(Duration::from_millis(40)));
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let tx = Mutex::new(Some(tx));
    let config = config()
        .on_progress(move |event| {
            if matches!(event, ProgressEvent::Completing { .. }) {
                if let Some(tx) = tx.lock().unwrap().take() {
                    let _ = tx.send(());
                }
            }
        })
        .build()
        .unwrap();
    let uploader = Uploader::new(client, config);
    let source = data(MIB, 3);
    let stats = uploader
        .upload(REPO, "main", "kept", UploadSource::bytes(source.clone()))
        .cancel_on(async move {
            let _ = rx.await;
            tokio::time::sleep(Duration::from_millis(10)).await;
        })
        .await
        .unwrap();
    assert_eq!(stats.size_bytes, Some(source.len() as i64));
    assert_eq!(emulator.object(REPO, "main", "kept").unwrap(), source);
    assert_eq!(aborts(&transport), 0);
}

#[tokio::test]
async fn dropping_the_upload_while_it_aborts_sends_one_abort() {
    let (emulator, transport, client) = setup(|transport, _| {
        transport.route(Method::PUT, PARTS, |_, _| {
            Ok(fake::response(
                StatusCode::FORBIDDEN,
                "<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>",
            ))
        });
    });
    transport.set_latency(Latency::fixed(Duration::from_millis(50)));
    let uploader = Uploader::new(client, config().build().unwrap());
    // Create (50 ms), the refused part (50 ms), then the abort (50 ms): drop in the middle
    // of the abort.
    let upload = uploader.upload(REPO, "main", "dropped", UploadSource::bytes(data(MIB, 4)));
    assert!(tokio::time::timeout(Duration::from_millis(125), upload)
        .await
        .is_err());
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(aborts(&transport), 1, "exactly one abort");
    assert_eq!(emulator.open_uploads(), 0);
}

/// For a part number and the how-manyth PUT of it: how long the PUT takes and what it
/// answers (`None`: the emulator answers).
type Script = dyn Fn(u32, usize) -> (Duration, Option<http::Response<Bytes>>) + Send + Sync;

/// A part transport that follows a [`Script`].
struct Scripted {
    inner: FakeTransport,
    script: Box<Script>,
    calls: Mutex<std::collections::HashMap<u32, usize>>,
}

impl HttpTransport for Scripted {
    fn send(
        &self,
        request: http::Request<Bytes>,
    ) -> BoxFuture<'_, Result<http::Response<Bytes>, TransportError>> {
        let part = request
            .uri()
            .path()
            .strip_prefix("/_storage/")
            .and_then(|rest| rest.rsplit('/').next())
            .and_then(|n| n.parse::<u32>().ok());
        Box::pin(async move {
            if let Some(part) = part {
                let call = {
                    let mut calls = self.calls.lock().unwrap();
                    let call = calls.entry(part).or_default();
                    *call += 1;
                    *call
                };
                let (delay, answer) = (self.script)(part, call);
                tokio::time::sleep(delay).await;
                if let Some(answer) = answer {
                    return Ok(answer);
                }
            }
            self.inner.send(request).await
        })
    }
}

fn scripted(
    script: impl Fn(u32, usize) -> (Duration, Option<http::Response<Bytes>>) + Send + Sync + 'static,
) -> (Emulator, Arc<Scripted>, ExperimentalClient<Arc<Scripted>>) {
    let emulator = Emulator::new();
    let inner = FakeTransport::new();
    let handler = emulator.clone();
    inner.fallback(move |request, _| Ok(handler.handle(request)));
    let transport = Arc::new(Scripted {
        inner,
        script: Box::new(script),
        calls: Mutex::default(),
    });
    let client = emulator_client(Arc::clone(&transport));
    (emulator, transport, client)
}

fn s3_error(status: StatusCode, code: &str) -> http::Response<Bytes> {
    fake::response(
        status,
        format!("<Error><Code>{code}</Code><Message>m</Message></Error>"),
    )
}

#[tokio::test(start_paused = true)]
async fn a_slow_part_that_then_fails_is_retried_with_the_defaults() {
    // Before: a 61 s first attempt used up the 60 s budget, so its 500 was final.
    let (emulator, _, client) = scripted(|_, call| match call {
        1 => (
            Duration::from_secs(61),
            Some(s3_error(StatusCode::INTERNAL_SERVER_ERROR, "InternalError")),
        ),
        _ => (Duration::ZERO, None),
    });
    let uploader = Uploader::new(client, UploadConfig::default());
    let source = data(MIB, 5);
    uploader
        .upload(REPO, "main", "slow", UploadSource::bytes(source.clone()))
        .await
        .unwrap();
    assert_eq!(emulator.object(REPO, "main", "slow").unwrap(), source);
}

#[tokio::test(start_paused = true)]
async fn s3_request_timeout_and_slow_down_are_retried_as_s3_asks() {
    let (emulator, transport, client) = scripted(|part, call| match (part, call) {
        (1, 1) => (
            Duration::ZERO,
            Some(s3_error(StatusCode::BAD_REQUEST, "RequestTimeout")),
        ),
        (2, 1) => (
            Duration::ZERO,
            Some(
                s3_error(StatusCode::SERVICE_UNAVAILABLE, "SlowDown")
                    .with_header("retry-after", "7"),
            ),
        ),
        _ => (Duration::ZERO, None),
    });
    let uploader = Uploader::new(
        client,
        config()
            .concurrency(1)
            .retry_policy(RetryPolicy::default().initial_backoff(Duration::from_millis(1)))
            .build()
            .unwrap(),
    );
    let source = data(2 * 5 * MIB, 6);
    let started = tokio::time::Instant::now();
    uploader
        .upload(REPO, "main", "s3", UploadSource::bytes(source.clone()))
        .await
        .unwrap();
    assert_eq!(emulator.object(REPO, "main", "s3").unwrap(), source);
    assert!(
        started.elapsed() >= Duration::from_secs(7),
        "the SlowDown's Retry-After was honoured: {:?}",
        started.elapsed()
    );
    assert_eq!(transport.calls.lock().unwrap().values().sum::<usize>(), 4);
}

#[tokio::test(start_paused = true)]
async fn a_retry_after_longer_than_the_policy_allows_is_not_waited_for() {
    let calls = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&calls);
    let (_, _, client) = scripted(move |_, _| {
        counted.fetch_add(1, Ordering::SeqCst);
        (
            Duration::ZERO,
            Some(
                s3_error(StatusCode::SERVICE_UNAVAILABLE, "SlowDown")
                    .with_header("retry-after", "3600"),
            ),
        )
    });
    let uploader = Uploader::new(client, config().build().unwrap());
    let started = tokio::time::Instant::now();
    let error = uploader
        .upload(REPO, "main", "later", UploadSource::bytes(data(MIB, 7)))
        .await
        .unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    assert!(report(&error).contains("SlowDown"), "{}", report(&error));
}

#[test]
fn upload_errors_expose_their_causes_once() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .start_paused(true)
        .build()
        .unwrap();
    runtime.block_on(async {
        let (_, _, client) = setup(|transport, _| {
            transport.route(Method::PUT, PARTS, |_, _| Err(Fault::ConnectionRefused));
        });
        let uploader = Uploader::new(client, config().build().unwrap());
        let error = uploader
            .upload(REPO, "main", "chain", UploadSource::bytes(data(MIB, 8)))
            .await
            .unwrap_err();
        let mut seen = vec![error.to_string()];
        let mut cause = std::error::Error::source(&error);
        while let Some(next) = cause {
            let text = next.to_string();
            for earlier in &seen {
                assert!(!earlier.contains(&text), "{text:?} repeated in {earlier:?}");
            }
            seen.push(text);
            cause = next.source();
        }
        assert!(seen.len() >= 3, "{seen:?}");
        assert!(
            seen[0].starts_with("part 1 failed after 5 attempts"),
            "{seen:?}"
        );
        assert!(error.is_retryable());
    });
}

mod random_answers {
    use super::*;
    use proptest::prelude::*;

    const MARKER: &str = "SIGNATURE-MARKER-91c2";

    fn header_values() -> impl Strategy<Value = Option<String>> {
        proptest::option::of(prop_oneof![
            "[ -~]{0,40}",
            Just("\"\"".to_owned()),
            Just("\" 0123456789abcdef0123456789abcdef \"".to_owned()),
            Just("XUFAKrxLKna5cZ2REBfFkg==".to_owned()),
            Just("18446744073709551616999".to_owned()),
            Just("Wed, 21 Oct 2015 07:28:00 GMT".to_owned()),
            any::<u64>().prop_map(|n| n.to_string()),
        ])
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

        /// Whatever the storage answers a part PUT with: no panic, a typed outcome, no wait
        /// longer than the policy allows, and nothing of the body but S3's Code and Message.
        #[test]
        fn any_part_answer_is_handled(
            status in prop_oneof![Just(200u16), Just(403), Just(400), Just(500), Just(503), 100u16..=599],
            etag in header_values(),
            content_md5 in header_values(),
            retry_after in header_values(),
            verify_md5 in any::<bool>(),
        ) {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .start_paused(true)
                .build()
                .unwrap();
            runtime.block_on(async move {
                let (_, _, client) = setup(move |transport, _| {
                    transport.route(Method::PUT, PARTS, move |_, _| {
                        let body = format!(
                            "<Error><Code>C</Code><Message>M</Message><SignatureProvided>{MARKER}</SignatureProvided></Error>"
                        );
                        let mut response = fake::response(StatusCode::from_u16(status).unwrap(), body);
                        for (name, value) in [("etag", &etag), ("content-md5", &content_md5), ("retry-after", &retry_after)] {
                            if let Some(value) = value {
                                if http::HeaderValue::from_str(value).is_ok() {
                                    response = response.with_header(name, value);
                                }
                            }
                        }
                        Ok(response)
                    });
                });
                let policy = RetryPolicy::default().max_attempts(3);
                let longest = policy.longest_wait();
                let uploader = Uploader::new(
                    client,
                    config().retry_policy(policy).verify_md5(verify_md5).build().unwrap(),
                );
                let started = tokio::time::Instant::now();
                let result = uploader
                    .upload(REPO, "main", "random", UploadSource::bytes(data(MIB, 9)))
                    .await;
                // Three attempts, the waits between them, and the look for a lost complete.
                prop_assert!(started.elapsed() <= longest * 2 + Duration::from_secs(20), "{:?}", started.elapsed());
                if let Err(error) = result {
                    let text = format!("{} {error:?}", report(&error));
                    prop_assert!(!text.contains(MARKER), "{text}");
                }
                Ok(())
            })?;
        }
    }
}

#[tokio::test(start_paused = true)]
async fn a_part_whose_answer_never_comes_is_retried_with_the_defaults() {
    // Before: an attempt waited for the 300 s part timeout, which used up the 60 s budget, so
    // a part whose answer was lost was never retried. Now: the body went out, so the answer
    // gets 120 s, then the part is sent again.
    let stalls = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&stalls);
    let (emulator, _, client) = setup(|transport, emulator| {
        let emulator = emulator.clone();
        transport.route(Method::PUT, PARTS, move |request, _| {
            if counted.fetch_add(1, Ordering::SeqCst) == 0 {
                return Err(Fault::Stall);
            }
            Ok(emulator.handle(request))
        });
    });
    let uploader = Uploader::new(client, UploadConfig::default());
    let source = data(MIB, 10);
    let started = tokio::time::Instant::now();
    uploader
        .upload(REPO, "main", "stalled", UploadSource::bytes(source.clone()))
        .await
        .unwrap();
    let elapsed = started.elapsed();
    assert!(
        (Duration::from_secs(120)..Duration::from_secs(135)).contains(&elapsed),
        "the lost answer was given up after 120 s: {elapsed:?}"
    );
    assert_eq!(stalls.load(Ordering::SeqCst), 2);
    assert_eq!(emulator.object(REPO, "main", "stalled").unwrap(), source);
}

#[tokio::test(start_paused = true)]
async fn a_connection_that_never_moves_is_given_up_after_30_seconds_an_attempt() {
    let (_, transport, client) = setup(|_, _| {});
    transport.set_faults(
        FaultPlan::new(1)
            .probability(1.0)
            .faults([Fault::Stall])
            .only_host("storage.emulator"),
    );
    let uploader = Uploader::new(client, UploadConfig::default());
    let started = tokio::time::Instant::now();
    let error = uploader
        .upload(REPO, "main", "dead", UploadSource::bytes(data(MIB, 13)))
        .await
        .unwrap_err();
    let elapsed = started.elapsed();
    assert!(
        error.kind() == ErrorKind::PartStalled && error.attempts() == Some(5),
        "{}",
        report(&error)
    );
    // Five attempts of 30 s, and the backoff between them.
    assert!(
        (Duration::from_secs(150)..Duration::from_secs(200)).contains(&elapsed),
        "{elapsed:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn a_slow_part_that_keeps_moving_is_never_killed() {
    // 64 MiB at 8 Mbit/s: 67 s for one PUT, far past the 30 s stall timeout, but moving.
    let (emulator, transport, client) = setup(|_, _| {});
    transport.set_latency(Latency::fixed(Duration::ZERO).with_bandwidth(1_000_000));
    let uploader = Uploader::new(
        client,
        UploadConfig::builder()
            .part_size(64 * MIB as u64)
            .build()
            .unwrap(),
    );
    let source = data(64 * MIB, 11);
    let started = tokio::time::Instant::now();
    uploader
        .upload(
            REPO,
            "main",
            "slow-moving",
            UploadSource::bytes(source.clone()),
        )
        .await
        .unwrap();
    assert!(
        started.elapsed() > Duration::from_secs(60),
        "{:?}",
        started.elapsed()
    );
    let puts = transport
        .requests()
        .iter()
        .filter(|r| r.uri.path().starts_with("/_storage/"))
        .count();
    assert_eq!(puts, 1, "sent once: never killed for being slow");
    assert!(emulator.object(REPO, "main", "slow-moving").unwrap() == source);
}

#[tokio::test]
async fn part_puts_go_through_the_data_transport_and_api_calls_through_the_client() {
    let (emulator, api, client) = setup(|_, _| {});
    // The object store on its own transport (another proxy, CA or network in real life).
    let data = FakeTransport::new();
    let storage = emulator.clone();
    data.route(Method::PUT, PARTS, move |request, _| {
        Ok(storage.handle(request))
    });
    let uploader =
        Uploader::new(client, config().build().unwrap()).with_data_transport(data.clone());
    let source = data_bytes(3 * 5 * MIB);
    uploader
        .upload(
            REPO,
            "main",
            "two-planes",
            UploadSource::bytes(source.clone()),
        )
        .await
        .unwrap();
    assert_eq!(emulator.object(REPO, "main", "two-planes").unwrap(), source);
    let data_requests = data.requests();
    assert_eq!(data_requests.len(), 3);
    assert!(data_requests.iter().all(
        |r| r.uri.path().starts_with("/_storage/") && !r.headers.contains_key("authorization")
    ));
    let api_requests = api.requests();
    assert!(!api_requests.is_empty());
    assert!(
        api_requests
            .iter()
            .all(|r| r.uri.path().starts_with("/api/v1/")),
        "no part PUT went to the API transport"
    );
}

fn data_bytes(len: usize) -> Bytes {
    data(len, 12)
}

#[tokio::test]
async fn an_upload_dropped_while_its_urls_are_probed_is_aborted() {
    // Before: the abort guard was set up only after the probe, so a drop there left the
    // upload open.
    let (emulator, transport, client) = setup(|transport, _| {
        transport.route(
            Method::PUT,
            "/api/v1/repositories/{r}/branches/{b}/staging/pmpu/{id}/parts/{n}",
            |_, _| Err(Fault::Stall),
        );
    });
    let uploader = Uploader::new(client, config().presign_window(1).build().unwrap());
    let upload = uploader.upload(
        REPO,
        "main",
        "probed",
        UploadSource::bytes(data(2 * 5 * MIB, 14)),
    );
    assert!(tokio::time::timeout(Duration::from_millis(100), upload)
        .await
        .is_err());
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(aborts(&transport), 1);
    assert_eq!(emulator.open_uploads(), 0);
}
