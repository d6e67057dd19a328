//! `FakeTransport`: routing, recording, latency and fault injection.
#![cfg(feature = "fake")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{Method, Request, StatusCode};
use lakefs_transport::fake::{self, FakeTransport, Fault, FaultPlan, Latency, ResponseExt};
use lakefs_transport::{HttpTransport, ReceiveProgress, TransportErrorKind};

fn put(uri: &str, body: &'static [u8]) -> Request<Bytes> {
    Request::put(uri)
        .header("x-test", "1")
        .body(Bytes::from_static(body))
        .unwrap()
}

#[tokio::test]
async fn routes_by_method_and_pattern_in_order() {
    let transport = FakeTransport::new();
    let branch = transport.route(
        Method::PUT,
        "/repos/{repo}/branches/{branch}",
        |_, params| {
            Ok(fake::response(
                StatusCode::OK,
                format!(
                    "{}@{}",
                    params.get("repo").unwrap(),
                    params.get("branch").unwrap()
                ),
            ))
        },
    );
    let any = transport.fallback(|request, _| {
        Ok(fake::response(
            StatusCode::IM_A_TEAPOT,
            request.uri().path().to_owned(),
        ))
    });

    let ok = transport
        .send(put("http://h/repos/r1/branches/feat%2Fa", b""))
        .await
        .unwrap();
    assert_eq!(ok.body(), "r1@feat/a");
    // Wrong method falls through to the fallback.
    let other = transport
        .send(
            Request::get("http://h/repos/r1/branches/b")
                .body(Bytes::new())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(other.status(), StatusCode::IM_A_TEAPOT);
    assert_eq!((branch.calls(), any.calls()), (1, 1));
}

#[tokio::test]
async fn unmatched_request_is_a_clear_error() {
    let transport = FakeTransport::new();
    let error = transport
        .send(put("http://h/nowhere?sig=secret", b""))
        .await
        .unwrap_err();
    assert!(error.kind() == TransportErrorKind::InvalidRequest);
    let text = error.to_string();
    assert!(
        text.contains("no route") && !text.contains("secret"),
        "{text}"
    );
}

#[tokio::test]
async fn queued_replies_are_used_once_each_then_fall_through() {
    let transport = FakeTransport::new();
    transport.enqueue(
        Method::PUT,
        "/part/{n}",
        [
            Ok(fake::response(StatusCode::SERVICE_UNAVAILABLE, "")),
            Err(Fault::Reset),
        ],
    );
    transport.route(Method::PUT, "/part/{n}", |_, _| {
        Ok(fake::response(StatusCode::OK, "").with_header("etag", "\"abc\""))
    });
    let first = transport.send(put("http://h/part/1", b"x")).await.unwrap();
    assert_eq!(first.status(), StatusCode::SERVICE_UNAVAILABLE);
    let second = transport
        .send(put("http://h/part/1", b"x"))
        .await
        .unwrap_err();
    assert!(second.kind() == TransportErrorKind::Io && second.is_retryable());
    let third = transport.send(put("http://h/part/1", b"x")).await.unwrap();
    assert_eq!(third.headers()["etag"], "\"abc\"");
}

#[tokio::test]
async fn records_every_request_without_copying_bodies() {
    let transport = FakeTransport::new();
    transport.fallback(|_, _| Ok(fake::response(StatusCode::NO_CONTENT, "")));
    let payload = Bytes::from(vec![9u8; 1 << 20]);
    let request = Request::post("http://h/a?x=1&y=a%20b+c")
        .header("authorization", "Basic Zm9v")
        .body(payload.clone())
        .unwrap();
    transport.send(request).await.unwrap();
    let recorded = transport.requests();
    assert_eq!(recorded.len(), 1);
    assert_eq!(recorded[0].method, Method::POST);
    assert_eq!(recorded[0].uri.path(), "/a");
    assert_eq!(recorded[0].query("y").as_deref(), Some("a b c"));
    assert_eq!(recorded[0].headers["authorization"], "Basic Zm9v");
    // Same allocation: the recording is a handle, not a copy.
    assert_eq!(recorded[0].body.as_ptr(), payload.as_ptr());
    transport.clear_requests();
    assert!(transport.requests().is_empty());
}

async fn outcomes(seed: u64) -> Vec<String> {
    let transport = FakeTransport::new();
    transport.fallback(|_, _| Ok(fake::response(StatusCode::OK, "")));
    transport.set_faults(FaultPlan::new(seed).probability(0.3));
    let mut outcomes = Vec::new();
    for _ in 0..200 {
        outcomes.push(match transport.send(put("http://h/p", b"x")).await {
            Ok(response) => response.status().as_str().to_owned(),
            Err(e) if e.kind() == TransportErrorKind::Io => "reset".into(),
            Err(e) if e.kind() == TransportErrorKind::Timeout => "timeout".into(),
            Err(other) => format!("{other}"),
        });
    }
    outcomes
}

#[tokio::test]
async fn faults_are_deterministic_per_seed_and_near_the_probability() {
    let first = outcomes(7).await;
    assert_eq!(first, outcomes(7).await, "same seed, same faults");
    assert_ne!(first, outcomes(8).await, "another seed, other faults");
    let failed = first.iter().filter(|o| o.as_str() != "200").count();
    assert!(
        (35..=85).contains(&failed),
        "{failed} of 200 failed at p=0.3"
    );
    for kind in ["500", "503", "reset", "timeout"] {
        assert!(first.iter().any(|o| o == kind), "no {kind} among {first:?}");
    }
}

#[tokio::test]
async fn faults_can_target_one_host_and_method() {
    let transport = FakeTransport::new();
    transport.fallback(|_, _| Ok(fake::response(StatusCode::OK, "")));
    transport.set_faults(
        FaultPlan::new(1)
            .probability(1.0)
            .faults([Fault::ConnectionRefused])
            .only_host("s3")
            .only_method(Method::PUT),
    );
    assert!(transport.send(put("http://lakefs/p", b"")).await.is_ok());
    assert!(transport
        .send(Request::get("http://s3/p").body(Bytes::new()).unwrap())
        .await
        .is_ok());
    let error = transport.send(put("http://s3/p", b"")).await.unwrap_err();
    assert!(error.kind() == TransportErrorKind::Connect && error.is_before_send());
    transport.clear_faults();
    assert!(transport.send(put("http://s3/p", b"")).await.is_ok());
}

#[tokio::test]
async fn reset_after_handling_runs_the_handler() {
    let transport = FakeTransport::new();
    let route = transport.fallback(|_, _| Ok(fake::response(StatusCode::OK, "")));
    transport.set_faults(
        FaultPlan::new(3)
            .probability(1.0)
            .faults([Fault::ResetAfterHandling]),
    );
    let error = transport
        .send(put("http://h/complete", b""))
        .await
        .unwrap_err();
    assert!(error.kind() == TransportErrorKind::Io);
    assert_eq!(route.calls(), 1, "the server saw the request");
    assert!(!error.is_before_send());
}

#[tokio::test(start_paused = true)]
async fn latency_and_bandwidth_delay_requests_and_count_in_flight() {
    let transport = FakeTransport::new();
    let route = transport.fallback(|_, _| Ok(fake::response(StatusCode::OK, "")));
    transport.set_latency(Latency::fixed(Duration::from_millis(50)).with_bandwidth(1000));
    let started = tokio::time::Instant::now();
    let sends = (0..4).map(|_| transport.send(put("http://h/p", &[0u8; 500])));
    for result in futures_join_all(sends).await {
        result.unwrap();
    }
    // 50 ms + 500 B at 1000 B/s, all four concurrently.
    assert_eq!(started.elapsed(), Duration::from_millis(550));
    assert_eq!(route.max_in_flight(), 4);
    assert_eq!(route.in_flight(), 0);
}

#[tokio::test(start_paused = true)]
async fn a_shared_link_caps_concurrent_requests() {
    let transport = FakeTransport::new();
    transport.fallback(|_, _| Ok(fake::response(StatusCode::OK, "")));
    transport.set_latency(
        Latency::fixed(Duration::from_millis(50))
            .with_bandwidth(1000)
            .with_link_bandwidth(1000),
    );
    let started = tokio::time::Instant::now();
    let sends = (0..4).map(|_| transport.send(put("http://h/p", &[0u8; 500])));
    for result in futures_join_all(sends).await {
        result.unwrap();
    }
    // Four 500-byte bodies through a 1000 B/s link: the last is through after 2 s.
    assert_eq!(started.elapsed(), Duration::from_millis(2050));
}

#[tokio::test]
async fn dropped_request_leaves_no_one_in_flight() {
    let transport = FakeTransport::new();
    let route = transport.fallback(|_, _| Ok(fake::response(StatusCode::OK, "")));
    transport.set_latency(Latency::fixed(Duration::from_secs(60)));
    let started = Instant::now();
    let pending = transport.send(put("http://h/p", b""));
    let timed_out = tokio::time::timeout(Duration::from_millis(20), pending).await;
    assert!(timed_out.is_err() && started.elapsed() < Duration::from_secs(5));
    assert_eq!(route.in_flight(), 0);
    assert_eq!(route.max_in_flight(), 1);
}

/// Polls all futures concurrently on the current task.
async fn futures_join_all<F: std::future::Future>(
    futures: impl IntoIterator<Item = F>,
) -> Vec<F::Output> {
    let handles: Vec<_> = futures.into_iter().map(Box::pin).collect();
    let mut outputs: Vec<Option<F::Output>> = handles.iter().map(|_| None).collect();
    let mut handles: Vec<_> = handles.into_iter().map(Some).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (slot, output) in handles.iter_mut().zip(outputs.iter_mut()) {
            if let Some(future) = slot {
                match future.as_mut().poll(cx) {
                    std::task::Poll::Ready(value) => {
                        *output = Some(value);
                        *slot = None;
                    }
                    std::task::Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            std::task::Poll::Pending
        } else {
            std::task::Poll::Ready(())
        }
    })
    .await;
    outputs.into_iter().map(|o| o.unwrap()).collect()
}

#[tokio::test]
async fn receive_progress_counts_the_response_body() {
    let transport = FakeTransport::new();
    assert!(transport.reports_receive_progress());
    transport.route(Method::GET, "/object", |_, _| {
        Ok(fake::response(StatusCode::OK, vec![7u8; 4096]))
    });
    transport.route(Method::PUT, "/object", |_, _| {
        Ok(fake::response(StatusCode::OK, ""))
    });
    let total = lakefs_transport::Progress::new();
    let get = ReceiveProgress::new().with_total(total.clone());
    let mut request = Request::get("http://h/object").body(Bytes::new()).unwrap();
    request.extensions_mut().insert(get.clone());
    let response = transport.send(request).await.unwrap();
    assert_eq!(response.body().len(), 4096);
    assert_eq!(get.bytes(), 4096);

    // A request body is not a received byte; the total sums both requests.
    let upload = ReceiveProgress::new().with_total(total.clone());
    let mut request = put("http://h/object", b"0123456789");
    request.extensions_mut().insert(upload.clone());
    transport.send(request).await.unwrap();
    assert_eq!(upload.bytes(), 0);
    assert_eq!(total.bytes(), 4096);

    // No response, nothing received.
    transport.set_faults(FaultPlan::new(1).probability(1.0).faults([Fault::Reset]));
    let failed = ReceiveProgress::new();
    let mut request = Request::get("http://h/object").body(Bytes::new()).unwrap();
    request.extensions_mut().insert(failed.clone());
    transport.send(request).await.unwrap_err();
    assert_eq!(failed.bytes(), 0);
}
