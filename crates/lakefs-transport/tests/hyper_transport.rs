//! `HyperTransport` against a real hyper server on 127.0.0.1.
#![cfg(feature = "hyper")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::VecDeque;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http::{Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::{Frame, Incoming};
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use lakefs_transport::{
    HttpTransport, HyperTransport, Progress, ReceiveProgress, TimeoutPhase, TransportErrorKind,
};
use tokio::net::TcpListener;
use tokio::sync::mpsc;

/// Echoes what it received: method, path, query and Content-Length in headers, the body as
/// the body. `/slow` answers after 5 s; `/big` answers 2 MiB.
async fn echo(request: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let method = request.method().to_string();
    let path = request.uri().path().to_owned();
    let query = request.uri().query().unwrap_or("").to_owned();
    let content_length = request
        .headers()
        .get(http::header::CONTENT_LENGTH)
        .map(|v| v.to_str().unwrap_or("?").to_owned())
        .unwrap_or_else(|| "none".into());
    let chunked = request
        .headers()
        .contains_key(http::header::TRANSFER_ENCODING);
    let body = request
        .into_body()
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    if path == "/slow" {
        tokio::time::sleep(Duration::from_secs(5)).await;
    }
    let body = if path == "/big" {
        Bytes::from(vec![7u8; 2 * 1024 * 1024])
    } else {
        body
    };
    let status = if path == "/teapot" {
        StatusCode::IM_A_TEAPOT
    } else {
        StatusCode::OK
    };
    Ok(Response::builder()
        .status(status)
        .header("x-method", method)
        .header("x-path", path)
        .header("x-query", query)
        .header("x-content-length", content_length)
        .header("x-chunked", chunked.to_string())
        .body(Full::new(body))
        .unwrap())
}

async fn start_server() -> SocketAddr {
    start_counting_server().await.0
}

/// Starts the echo server and counts the connections it accepts.
async fn start_counting_server() -> (SocketAddr, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let connections = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&connections);
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            counter.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(async move {
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service_fn(echo))
                    .await;
            });
        }
    });
    (addr, connections)
}

fn request(method: Method, uri: String, body: impl Into<Bytes>) -> Request<Bytes> {
    Request::builder()
        .method(method)
        .uri(uri)
        .body(body.into())
        .unwrap()
}

#[tokio::test]
async fn get_put_post_delete_round_trip() {
    let addr = start_server().await;
    let transport = HyperTransport::new().unwrap();
    for method in [Method::GET, Method::PUT, Method::POST, Method::DELETE] {
        let body = if method == Method::GET {
            Bytes::new()
        } else {
            Bytes::from_static(b"{\"a\":1}")
        };
        let response = transport
            .send(request(
                method.clone(),
                format!("http://{addr}/api/v1/x%20y?q=a%2Fb&n=1"),
                body.clone(),
            ))
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()["x-method"], method.as_str());
        assert_eq!(response.headers()["x-path"], "/api/v1/x%20y");
        assert_eq!(response.headers()["x-query"], "q=a%2Fb&n=1");
        assert_eq!(response.body(), &body, "{method}");
        let expected_length = if method == Method::GET {
            "none".to_owned()
        } else {
            body.len().to_string()
        };
        assert_eq!(
            response.headers()["x-content-length"],
            expected_length.as_str(),
            "{method}"
        );
    }
}

#[tokio::test]
async fn multi_megabyte_body_arrives_byte_exact_with_content_length() {
    let addr = start_server().await;
    let transport = HyperTransport::new().unwrap();
    let payload: Vec<u8> = (0..6 * 1024 * 1024 + 13)
        .map(|i: u32| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let payload = Bytes::from(payload);
    let response = transport
        .send(request(
            Method::PUT,
            format!("http://{addr}/part"),
            payload.clone(),
        ))
        .await
        .unwrap();
    assert_eq!(
        response.headers()["x-content-length"],
        payload.len().to_string().as_str()
    );
    assert_eq!(response.headers()["x-chunked"], "false");
    assert_eq!(response.body().len(), payload.len());
    assert!(response.body() == &payload, "echoed body differs");
}

#[tokio::test]
async fn empty_put_still_carries_content_length_zero() {
    let addr = start_server().await;
    let transport = HyperTransport::new().unwrap();
    let response = transport
        .send(request(
            Method::PUT,
            format!("http://{addr}/empty"),
            Bytes::new(),
        ))
        .await
        .unwrap();
    assert_eq!(response.headers()["x-content-length"], "0");
}

#[tokio::test]
async fn error_statuses_are_responses_not_errors() {
    let addr = start_server().await;
    let transport = HyperTransport::new().unwrap();
    let response = transport
        .send(request(
            Method::GET,
            format!("http://{addr}/teapot"),
            Bytes::new(),
        ))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::IM_A_TEAPOT);
}

#[tokio::test]
async fn request_timeout_fires_and_redacts_the_query() {
    let addr = start_server().await;
    let transport = HyperTransport::builder()
        .request_timeout(Duration::from_millis(200))
        .build()
        .unwrap();
    let started = std::time::Instant::now();
    let error = transport
        .send(request(
            Method::PUT,
            format!("http://{addr}/slow?X-Amz-Signature=topsecret"),
            "x",
        ))
        .await
        .unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "timeout did not fire"
    );
    assert!(
        error.timeout_phase() == Some(TimeoutPhase::Request)
            && error.timeout_after() == Some(Duration::from_millis(200)),
        "{error:?}"
    );
    assert!(error.is_retryable());
    let text = format!("{error} {error:?}");
    assert!(!text.contains("topsecret"), "{text}");
    assert!(text.contains("/slow?<redacted>"), "{text}");
}

#[tokio::test]
async fn refused_connection_is_a_connect_error() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let transport = HyperTransport::new().unwrap();
    let error = transport
        .send(request(
            Method::GET,
            format!("http://{addr}/x?token=abc"),
            Bytes::new(),
        ))
        .await
        .unwrap_err();
    assert!(error.kind() == TransportErrorKind::Connect, "{error:?}");
    assert!(error.is_retryable());
    assert!(error.is_before_send());
    assert!(!format!("{error:?}").contains("abc"));
}

#[tokio::test]
async fn https_to_a_plain_http_server_is_a_tls_error() {
    let addr = start_server().await;
    let transport = HyperTransport::new().unwrap();
    let error = transport
        .send(request(
            Method::GET,
            format!("https://{addr}/x"),
            Bytes::new(),
        ))
        .await
        .unwrap_err();
    assert!(error.kind() == TransportErrorKind::Tls, "{error:?}");
    assert!(!error.is_retryable());
}

#[tokio::test]
async fn oversized_response_body_is_refused() {
    let addr = start_server().await;
    let transport = HyperTransport::builder()
        .max_response_body(1024 * 1024)
        .build()
        .unwrap();
    let error = transport
        .send(request(
            Method::GET,
            format!("http://{addr}/big"),
            Bytes::new(),
        ))
        .await
        .unwrap_err();
    assert!(
        error.kind() == TransportErrorKind::BodyTooLarge && error.body_limit() == Some(1_048_576),
        "{error:?}"
    );
}

#[tokio::test]
async fn https_only_refuses_plain_http_before_connecting() {
    let transport = HyperTransport::builder().https_only(true).build().unwrap();
    let error = transport
        .send(request(
            Method::GET,
            "http://127.0.0.1:9/x".into(),
            Bytes::new(),
        ))
        .await
        .unwrap_err();
    assert!(
        error.kind() == TransportErrorKind::InvalidRequest,
        "{error:?}"
    );
    let no_host = HyperTransport::new()
        .unwrap()
        .send(request(Method::GET, "/relative".into(), Bytes::new()))
        .await
        .unwrap_err();
    assert!(no_host.to_string().contains("no host"), "{no_host}");
}

#[tokio::test]
async fn connections_are_reused_across_requests() {
    let (addr, connections) = start_counting_server().await;
    let transport = HyperTransport::new().unwrap();
    for i in 0..50 {
        let response = transport
            .send(request(
                Method::PUT,
                format!("http://{addr}/p{i}"),
                vec![1u8; 1000],
            ))
            .await
            .unwrap();
        assert_eq!(response.body().len(), 1000);
    }
    assert_eq!(
        connections.load(Ordering::SeqCst),
        1,
        "sequential requests must share one pooled connection"
    );
}

#[tokio::test]
async fn usable_as_a_trait_object() {
    let addr = start_server().await;
    let transport: Arc<dyn HttpTransport> = Arc::new(HyperTransport::new().unwrap());
    let response = transport
        .send(request(
            Method::GET,
            format!("http://{addr}/dyn"),
            Bytes::new(),
        ))
        .await
        .unwrap();
    assert_eq!(response.headers()["x-path"], "/dyn");
}

#[tokio::test]
async fn idle_connections_expire_after_the_idle_timeout() {
    let (addr, connections) = start_counting_server().await;
    let transport = HyperTransport::builder()
        .pool_idle_timeout(Duration::from_millis(100))
        .build()
        .unwrap();
    for _ in 0..2 {
        transport
            .send(request(
                Method::GET,
                format!("http://{addr}/a"),
                Bytes::new(),
            ))
            .await
            .unwrap();
    }
    assert_eq!(connections.load(Ordering::SeqCst), 1);
    tokio::time::sleep(Duration::from_millis(400)).await;
    transport
        .send(request(
            Method::GET,
            format!("http://{addr}/b"),
            Bytes::new(),
        ))
        .await
        .unwrap();
    assert_eq!(
        connections.load(Ordering::SeqCst),
        2,
        "the idle connection expired"
    );
}

#[tokio::test]
async fn no_idle_connections_are_kept_at_zero() {
    let (addr, connections) = start_counting_server().await;
    let transport = HyperTransport::builder()
        .pool_max_idle_per_host(0)
        .tcp_keepalive(None)
        .build()
        .unwrap();
    for i in 0..3 {
        transport
            .send(request(
                Method::GET,
                format!("http://{addr}/{i}"),
                Bytes::new(),
            ))
            .await
            .unwrap();
    }
    assert_eq!(connections.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn debug_shows_the_settings() {
    let transport = HyperTransport::builder()
        .tcp_keepalive(Duration::from_secs(15))
        .pool_max_idle_per_host(3)
        .http2(true)
        .build()
        .unwrap();
    let debug = format!("{transport:?}");
    for expected in [
        "tcp_keepalive: Some(15s)",
        "pool_max_idle_per_host: 3",
        "http2: true",
    ] {
        assert!(debug.contains(expected), "{expected} in {debug}");
    }
}

#[tokio::test]
async fn unsupported_schemes_are_invalid_requests() {
    let error = HyperTransport::new()
        .unwrap()
        .send(request(
            Method::GET,
            "ftp://host/x?k=v".into(),
            Bytes::new(),
        ))
        .await
        .unwrap_err();
    assert!(
        error.kind() == TransportErrorKind::InvalidRequest,
        "{error:?}"
    );
    assert!(!error.to_string().contains("k=v"));
}

/// A response body the test feeds chunk by chunk through a channel; it ends when the sender
/// is dropped.
struct ChannelBody(mpsc::Receiver<Bytes>);

impl hyper::body::Body for ChannelBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        self.get_mut()
            .0
            .poll_recv(cx)
            .map(|chunk| chunk.map(|c| Ok(Frame::data(c))))
    }
}

/// The bodies the streaming server answers with, one per request, in order: each a
/// `Content-Length` and the channel its bytes come through.
type Feeds = Arc<Mutex<VecDeque<(u64, mpsc::Receiver<Bytes>)>>>;

/// A server whose responses are fed by the test, so it decides when each chunk goes out.
async fn start_streaming_server() -> (SocketAddr, Feeds) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let feeds: Feeds = Arc::default();
    let shared = Arc::clone(&feeds);
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let feeds = Arc::clone(&shared);
            tokio::spawn(async move {
                let service = service_fn(move |_request: Request<Incoming>| {
                    let (length, chunks) = feeds.lock().unwrap().pop_front().expect("a feed");
                    async move {
                        Ok::<_, Infallible>(
                            Response::builder()
                                .header(http::header::CONTENT_LENGTH, length)
                                .body(ChannelBody(chunks))
                                .unwrap(),
                        )
                    }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    (addr, feeds)
}

/// Waits (up to 10 s) until `progress` has counted `expected` bytes.
async fn wait_for(progress: &ReceiveProgress, expected: u64) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while progress.bytes() < expected {
        assert!(
            tokio::time::Instant::now() < deadline,
            "progress stuck at {} of {expected}",
            progress.bytes()
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert_eq!(progress.bytes(), expected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn receive_progress_counts_the_body_as_it_arrives() {
    let (addr, feeds) = start_streaming_server().await;
    let chunks: Vec<Bytes> = [100_000usize, 1, 300_000, 7]
        .iter()
        .enumerate()
        .map(|(i, &len)| Bytes::from(vec![i as u8 + 1; len]))
        .collect();
    let length: usize = chunks.iter().map(Bytes::len).sum();
    let (feed, body) = mpsc::channel(1);
    feeds.lock().unwrap().push_back((length as u64, body));

    let transport = HyperTransport::new().unwrap();
    assert!(transport.reports_receive_progress());
    let progress = ReceiveProgress::new();
    let mut get = request(Method::GET, format!("http://{addr}/object"), Bytes::new());
    get.extensions_mut().insert(progress.clone());
    let exchange = tokio::spawn(async move { transport.send(get).await });

    // Each chunk is counted while the response is still incomplete: the count moves with
    // the bytes, not once at the end.
    let mut sent = 0;
    for chunk in &chunks {
        assert!(!exchange.is_finished());
        feed.send(chunk.clone()).await.unwrap();
        sent += chunk.len() as u64;
        wait_for(&progress, sent).await;
        // A pause with nothing arriving: the count stays put, the exchange goes on.
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert_eq!(progress.bytes(), sent);
    }
    // The last chunk completed the Content-Length: the exchange ends.
    drop(feed);
    let response = exchange.await.unwrap().unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.body().len(), length);
    assert_eq!(response.body(), &chunks.concat());
    assert_eq!(progress.bytes(), length as u64);
}

#[tokio::test]
async fn receive_progress_sums_requests_in_a_shared_total() {
    let addr = start_server().await;
    let transport = HyperTransport::new().unwrap();
    let total = Progress::new();
    let big = ReceiveProgress::new().with_total(total.clone());
    let echoed = ReceiveProgress::new().with_total(total.clone());
    // A request body is not counted as received: only the 2 MiB answer is.
    let mut first = request(Method::PUT, format!("http://{addr}/big"), vec![9u8; 5000]);
    first.extensions_mut().insert(big.clone());
    let mut second = request(Method::PUT, format!("http://{addr}/echo"), vec![1u8; 1000]);
    second.extensions_mut().insert(echoed.clone());
    let (first, second) = tokio::join!(transport.send(first), transport.send(second));
    assert_eq!(first.unwrap().body().len(), 2 * 1024 * 1024);
    assert_eq!(second.unwrap().body().len(), 1000);
    assert_eq!(big.bytes(), 2 * 1024 * 1024);
    assert_eq!(echoed.bytes(), 1000);
    assert_eq!(total.bytes(), 2 * 1024 * 1024 + 1000);
}

#[tokio::test]
async fn receive_progress_keeps_the_body_limit() {
    let addr = start_server().await;
    let transport = HyperTransport::builder()
        .max_response_body(1024 * 1024)
        .build()
        .unwrap();
    let progress = ReceiveProgress::new();
    let mut get = request(Method::GET, format!("http://{addr}/big"), Bytes::new());
    get.extensions_mut().insert(progress.clone());
    let error = transport.send(get).await.unwrap_err();
    assert!(
        error.kind() == TransportErrorKind::BodyTooLarge && error.body_limit() == Some(1_048_576),
        "{error:?}"
    );
    // What arrived before the limit was hit was counted, and no more than one frame past it.
    assert!(progress.bytes() > 0, "{}", progress.bytes());
    assert!(progress.bytes() <= 2 * 1024 * 1024, "{}", progress.bytes());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn receive_progress_counts_a_body_that_breaks_off() {
    let (addr, feeds) = start_streaming_server().await;
    let (feed, body) = mpsc::channel(1);
    // Promises 1000 bytes, sends 10, then ends: the server closes the connection.
    feeds.lock().unwrap().push_back((1000, body));
    let progress = ReceiveProgress::new();
    let mut get = request(
        Method::GET,
        format!("http://{addr}/object?X-Amz-Signature=secret"),
        Bytes::new(),
    );
    get.extensions_mut().insert(progress.clone());
    let transport = HyperTransport::new().unwrap();
    let exchange = tokio::spawn(async move { transport.send(get).await });
    feed.send(Bytes::from_static(b"0123456789")).await.unwrap();
    // The response has started (its first bytes were counted) before the body breaks off.
    wait_for(&progress, 10).await;
    drop(feed);
    let error = exchange.await.unwrap().unwrap_err();
    assert!(error.kind() == TransportErrorKind::Body, "{error:?}");
    assert!(!error.to_string().contains("secret"), "{error}");
    assert_eq!(progress.bytes(), 10);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn send_streaming_hands_over_each_chunk_before_the_body_ends() {
    let (addr, feeds) = start_streaming_server().await;
    let (feed, body) = mpsc::channel(1);
    feeds.lock().unwrap().push_back((300_007, body));
    let transport = HyperTransport::new().unwrap();
    assert!(transport.streams_responses());
    let progress = ReceiveProgress::new();
    let mut get = request(Method::GET, format!("http://{addr}/object"), Bytes::new());
    get.extensions_mut().insert(progress.clone());
    // The head arrives before any byte of the body has been sent.
    let response = tokio::time::timeout(Duration::from_secs(10), async {
        let sending = transport.send_streaming(get);
        feed.send(Bytes::from(vec![1u8; 7])).await.unwrap();
        sending.await
    })
    .await
    .unwrap()
    .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let mut body = response.into_body();
    let mut received = Vec::new();
    while received.len() < 7 {
        received.extend_from_slice(&body.next_chunk().await.unwrap().unwrap());
    }
    // More arrives only when the server sends it.
    feed.send(Bytes::from(vec![2u8; 300_000])).await.unwrap();
    drop(feed);
    while let Some(chunk) = body.next_chunk().await {
        received.extend_from_slice(&chunk.unwrap());
    }
    assert_eq!(received.len(), 300_007);
    assert!(received[..7].iter().all(|&b| b == 1) && received[7..].iter().all(|&b| b == 2));
    assert_eq!(progress.bytes(), 300_007);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn send_streaming_reports_a_body_that_breaks_off() {
    let (addr, feeds) = start_streaming_server().await;
    let (feed, body) = mpsc::channel(1);
    feeds.lock().unwrap().push_back((1000, body));
    let transport = HyperTransport::new().unwrap();
    let get = request(
        Method::GET,
        format!("http://{addr}/object?X-Amz-Signature=secret"),
        Bytes::new(),
    );
    feed.send(Bytes::from_static(b"0123456789")).await.unwrap();
    let mut body = transport.send_streaming(get).await.unwrap().into_body();
    assert_eq!(body.next_chunk().await.unwrap().unwrap(), "0123456789");
    drop(feed);
    let error = body.next_chunk().await.unwrap().unwrap_err();
    assert!(error.kind() == TransportErrorKind::Body, "{error:?}");
    assert!(!error.is_before_send() && error.is_retryable(), "{error:?}");
    assert!(!error.to_string().contains("secret"), "{error}");
    assert!(body.next_chunk().await.is_none());
}

#[tokio::test]
async fn send_streaming_has_no_body_limit() {
    let addr = start_server().await;
    let transport = HyperTransport::builder()
        .max_response_body(1024)
        .build()
        .unwrap();
    let get = request(Method::GET, format!("http://{addr}/big"), Bytes::new());
    let body = transport.send_streaming(get).await.unwrap().into_body();
    let all = body.collect_at_most(usize::MAX).await.unwrap();
    assert_eq!(all.len(), 2 * 1024 * 1024);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn send_streaming_keeps_the_request_timeout_over_the_body() {
    let (addr, feeds) = start_streaming_server().await;
    let (feed, body) = mpsc::channel(1);
    feeds.lock().unwrap().push_back((1000, body));
    let transport = HyperTransport::builder()
        .request_timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let get = request(Method::GET, format!("http://{addr}/object"), Bytes::new());
    feed.send(Bytes::from_static(b"0123456789")).await.unwrap();
    let mut body = transport.send_streaming(get).await.unwrap().into_body();
    assert_eq!(body.next_chunk().await.unwrap().unwrap(), "0123456789");
    // Nothing more arrives: the whole-request deadline ends the body.
    let error = body.next_chunk().await.unwrap().unwrap_err();
    assert!(
        error.kind() == TransportErrorKind::Timeout
            && error.timeout_phase() == Some(TimeoutPhase::Request),
        "{error:?}"
    );
    drop(feed);
}
