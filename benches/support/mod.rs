//! Shared by `benches/engine.rs` and `examples/bench_upload.rs`: a minimal lakeFS for the fake
//! transport, a minimal sink server on loopback, a raw hyper PUT loop, and sources that cost
//! no memory.
#![allow(dead_code, unreachable_pub, clippy::unwrap_used, clippy::expect_used)]

use std::convert::Infallible;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures_util::stream::{FuturesUnordered, StreamExt};
use http::{Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use lakefs::experimental::{ExperimentalClient, RetryPolicy};
use lakefs::multipart::{UploadConfig, UploadSource, Uploader};
use lakefs::transport::fake::{self, FakeTransport, ResponseExt};
use lakefs::transport::{HttpTransport, HyperTransport};
use tokio::net::TcpListener;

pub const MIB: u64 = 1024 * 1024;

const OBJECT_STATS: &str = r#"{"path":"bench","path_type":"object","physical_address":"data/bench","checksum":"c","size_bytes":0,"mtime":0}"#;

/// The lakeFS answers the engine needs, for `parts` part URLs on `storage` (scheme and host).
fn create_answer(storage: &str, parts: usize) -> String {
    let urls: Vec<String> = (1..=parts)
        .map(|n| format!("\"{storage}/part/{n}?X-Amz-Signature=bench\""))
        .collect();
    format!(
        r#"{{"upload_id":"bench","physical_address":"s3://bench/data/bench","presigned_urls":[{}]}}"#,
        urls.join(",")
    )
}

fn parts_asked(uri: &http::Uri) -> usize {
    fake::query_pairs(uri)
        .into_iter()
        .find(|(k, _)| k == "parts")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0)
}

/// A fake transport answering like lakeFS and its object store, doing nothing with the bytes
/// (no copy, no hash, no recording), so that what is measured is the engine.
pub fn fake_lakefs() -> FakeTransport {
    let transport = FakeTransport::new();
    transport.set_recording(false);
    transport.route(Method::PUT, "/part/{n}", |_, _| {
        Ok(fake::response(StatusCode::OK, Bytes::new())
            .with_header("etag", "\"0123456789abcdef0123456789abcdef\""))
    });
    transport.route(
        Method::POST,
        "/api/v1/repositories/{r}/branches/{b}/staging/pmpu",
        |request, _| {
            Ok(fake::json(
                StatusCode::CREATED,
                create_answer("http://sink.fake", parts_asked(request.uri())),
            ))
        },
    );
    transport.route(
        Method::PUT,
        "/api/v1/repositories/{r}/branches/{b}/staging/pmpu/{id}",
        |_, _| Ok(fake::json(StatusCode::OK, OBJECT_STATS)),
    );
    transport.route(
        Method::DELETE,
        "/api/v1/repositories/{r}/branches/{b}/staging/pmpu/{id}",
        |_, _| Ok(fake::response(StatusCode::NO_CONTENT, "")),
    );
    transport
}

pub fn client<T: HttpTransport>(endpoint: &str, transport: T) -> ExperimentalClient<T> {
    ExperimentalClient::builder()
        .endpoint(endpoint)
        .retry_policy(RetryPolicy::none())
        .build_with_transport(transport)
        .unwrap()
}

pub fn uploader<T: HttpTransport + 'static>(
    client: ExperimentalClient<T>,
    part_size: u64,
    concurrency: usize,
) -> Uploader<T> {
    let config = UploadConfig::builder()
        .part_size(part_size)
        .concurrency(concurrency)
        .build()
        .unwrap();
    Uploader::new(client, config)
}

/// Uploads `source` and returns the wall time.
pub async fn timed_upload<T: HttpTransport + 'static>(
    uploader: &Uploader<T>,
    source: UploadSource,
) -> Duration {
    let started = Instant::now();
    uploader
        .upload("bench", "main", "bench/object", source)
        .await
        .unwrap();
    started.elapsed()
}

/// `len` bytes of zeros that occupy no memory: a read-only map of a sparse file. Slicing it
/// is free; only touching the bytes would fault pages in.
pub fn sparse_bytes(len: u64) -> Bytes {
    let path =
        std::env::temp_dir().join(format!("lakefs-bench-sparse-{}-{len}", std::process::id()));
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(true)
        .open(&path)
        .unwrap();
    file.set_len(len).unwrap();
    // SAFETY: a map is unsound only if the file changes underneath it; this file is ours,
    // never written after `set_len`, and unlinked right away.
    #[allow(unsafe_code)]
    let map = unsafe { memmap2::Mmap::map(&file) }.unwrap();
    std::fs::remove_file(&path).unwrap();
    Bytes::from_owner(map)
}

/// Answers one request of the sink: the minimal lakeFS, and part PUTs whose bodies are
/// drained and dropped.
async fn sink(
    addr: SocketAddr,
    request: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let parts = parts_asked(request.uri());
    let mut body = request.into_body();
    while let Some(frame) = body.frame().await {
        if frame.is_err() {
            break;
        }
    }
    let (status, etag, text) = match (method, path.starts_with("/part/")) {
        (Method::PUT, true) => (
            StatusCode::OK,
            Some("\"0123456789abcdef0123456789abcdef\""),
            String::new(),
        ),
        (Method::POST, false) => (
            StatusCode::CREATED,
            None,
            create_answer(&format!("http://{addr}"), parts),
        ),
        (Method::PUT, false) => (StatusCode::OK, None, OBJECT_STATS.to_owned()),
        _ => (StatusCode::NO_CONTENT, None, String::new()),
    };
    let mut response = Response::builder().status(status);
    if let Some(etag) = etag {
        response = response.header("etag", etag);
    }
    Ok(response.body(Full::new(Bytes::from(text))).unwrap())
}

/// Starts the sink on 127.0.0.1; it runs until the runtime ends.
pub async fn start_sink() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let _ = stream.set_nodelay(true);
            tokio::spawn(async move {
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service_fn(move |r| sink(addr, r)))
                    .await;
            });
        }
    });
    addr
}

/// The baseline: the same parts PUT with a bare hyper-util client, `concurrency` at a time.
pub struct RawPutLoop {
    client: hyper_util::client::legacy::Client<
        hyper_util::client::legacy::connect::HttpConnector,
        Full<Bytes>,
    >,
}

impl RawPutLoop {
    pub fn new() -> Self {
        let mut connector = hyper_util::client::legacy::connect::HttpConnector::new();
        connector.set_nodelay(true);
        let client = hyper_util::client::legacy::Client::builder(TokioExecutor::new())
            .pool_max_idle_per_host(64)
            .build(connector);
        Self { client }
    }

    /// PUTs `source` in `part_size` slices to the sink and returns the wall time.
    pub async fn run(
        &self,
        addr: SocketAddr,
        source: &Bytes,
        part_size: u64,
        concurrency: usize,
    ) -> Duration {
        let started = Instant::now();
        let len = source.len() as u64;
        let mut offsets = (0..len.div_ceil(part_size)).map(|i| i * part_size);
        let mut in_flight = FuturesUnordered::new();
        loop {
            while in_flight.len() < concurrency {
                let Some(start) = offsets.next() else { break };
                let part = source.slice(start as usize..(start + part_size).min(len) as usize);
                let request = Request::put(format!("http://{addr}/part/{}", start / part_size + 1))
                    .header(http::header::CONTENT_LENGTH, part.len())
                    .body(Full::new(part))
                    .unwrap();
                in_flight.push(self.client.request(request));
            }
            match in_flight.next().await {
                Some(response) => {
                    let response = response.unwrap();
                    assert!(response.headers().contains_key("etag"));
                    let _ = response.into_body().collect().await;
                }
                None => break,
            }
        }
        started.elapsed()
    }
}

/// A client of the sink through the SDK's own transport.
pub fn sink_client(addr: SocketAddr) -> ExperimentalClient<HyperTransport> {
    client(&format!("http://{addr}"), HyperTransport::new().unwrap())
}

/// Median and spread (min, max) of timings, as throughput in MB/s for `bytes`.
pub fn summary(bytes: u64, runs: &[Duration]) -> (f64, f64, f64) {
    let mut rates: Vec<f64> = runs
        .iter()
        .map(|d| bytes as f64 / 1e6 / d.as_secs_f64())
        .collect();
    rates.sort_by(|a, b| a.total_cmp(b));
    let median = if rates.len() % 2 == 1 {
        rates[rates.len() / 2]
    } else {
        (rates[rates.len() / 2 - 1] + rates[rates.len() / 2]) / 2.0
    };
    (median, rates[0], rates[rates.len() - 1])
}
