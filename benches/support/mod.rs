//! Shared by `benches/engine.rs` and `examples/bench_upload.rs`: a minimal lakeFS for the fake
//! transport, a minimal sink server on loopback (plain HTTP, or HTTPS speaking HTTP/1.1 and
//! HTTP/2 by ALPN with a CA made at start), a raw hyper PUT loop, sources that cost no memory,
//! paired-ratio statistics, and s3s-fs as an object store (`s3`).
#![allow(dead_code, unreachable_pub, clippy::unwrap_used, clippy::expect_used)]

pub mod s3;

use lakefs::experimental::ExperimentalApi;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
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
use lakefs::transport::{HttpTransport, HyperTransport, Proxy};
use tokio::net::TcpListener;

pub const MIB: u64 = 1024 * 1024;

/// The scripted complete's answer. It names no size: the engine checks a size lakeFS names
/// against the parts sent, and this fake keeps no parts to count.
const OBJECT_STATS: &str = r#"{"path":"bench","path_type":"object","physical_address":"data/bench","checksum":"c","mtime":0}"#;

/// A part URL on `storage`, with `pad` characters of session token (lakeFS's URLs are about
/// 2 KB with STS credentials).
fn part_url(storage: &str, part: &str, pad: usize) -> String {
    let token = "T".repeat(pad);
    format!("{storage}/part/{part}?X-Amz-Security-Token={token}&X-Amz-Signature=bench")
}

/// The lakeFS answers the engine needs, for `parts` part URLs on `storage` (scheme and host).
fn create_answer(storage: &str, parts: usize) -> String {
    create_answer_padded(storage, parts, 0)
}

fn create_answer_padded(storage: &str, parts: usize, pad: usize) -> String {
    let urls: Vec<String> = (1..=parts)
        .map(|n| format!("\"{}\"", part_url(storage, &n.to_string(), pad)))
        .collect();
    format!(
        r#"{{"upload_id":"bench","physical_address":"s3://bench/data/bench","presigned_urls":[{}]}}"#,
        urls.join(",")
    )
}

/// lakeFS's answer to `uploadPart`: a fresh URL for part `part` on `storage`.
fn part_answer(storage: &str, part: &str) -> String {
    part_answer_padded(storage, part, 0)
}

fn part_answer_padded(storage: &str, part: &str, pad: usize) -> String {
    format!(r#"{{"presigned_url":"{}"}}"#, part_url(storage, part, pad))
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
    fake_lakefs_padded(0)
}

/// As [`fake_lakefs`], with part URLs padded by `pad` characters of session token.
pub fn fake_lakefs_padded(pad: usize) -> FakeTransport {
    let transport = FakeTransport::new();
    transport.set_recording(false);
    transport.route(Method::PUT, "/part/{n}", |_, _| {
        Ok(fake::response(StatusCode::OK, Bytes::new())
            .with_header("etag", "\"0123456789abcdef0123456789abcdef\""))
    });
    transport.route(
        Method::POST,
        "/api/v1/repositories/{r}/branches/{b}/staging/pmpu",
        move |request, _| {
            Ok(fake::json(
                StatusCode::CREATED,
                create_answer_padded("http://sink.fake", parts_asked(request.uri()), pad),
            ))
        },
    );
    transport.route(
        Method::PUT,
        "/api/v1/repositories/{r}/branches/{b}/staging/pmpu/{id}/parts/{n}",
        move |_, params| {
            let part = params.get("n").unwrap_or("0");
            Ok(fake::json(
                StatusCode::OK,
                part_answer_padded("http://sink.fake", part, pad),
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

const PRINCIPAL: &str = r#"{"id":"arn:aws:iam::1:role/bench","user_id":"bench"}"#;

/// Answers one request of the sink: the minimal lakeFS (its part URLs on `storage`, a scheme
/// and authority, at creation and from `uploadPart`), a small JSON answer to any GET (an API
/// call), and part PUTs whose bodies are drained and dropped.
async fn sink(
    storage: Arc<str>,
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
        (Method::POST, false) => (StatusCode::CREATED, None, create_answer(&storage, parts)),
        (Method::PUT, false) => match path.rsplit_once("/parts/") {
            Some((_, part)) => (StatusCode::OK, None, part_answer(&storage, part)),
            None => (StatusCode::OK, None, OBJECT_STATS.to_owned()),
        },
        (Method::GET, _) => (StatusCode::OK, None, PRINCIPAL.to_owned()),
        _ => (StatusCode::NO_CONTENT, None, String::new()),
    };
    let mut response = Response::builder().status(status);
    if let Some(etag) = etag {
        response = response.header("etag", etag);
    }
    if status != StatusCode::NO_CONTENT {
        response = response.header("content-type", "application/json");
    }
    Ok(response.body(Full::new(Bytes::from(text))).unwrap())
}

/// Starts the sink on 127.0.0.1; it runs until the runtime ends.
pub async fn start_sink() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let storage: Arc<str> = format!("http://{addr}").into();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let _ = stream.set_nodelay(true);
            let storage = Arc::clone(&storage);
            tokio::spawn(async move {
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(
                        TokioIo::new(stream),
                        service_fn(move |r| sink(Arc::clone(&storage), r)),
                    )
                    .await;
            });
        }
    });
    addr
}

/// The sink over TLS on 127.0.0.1, as `localhost`, with a certificate from a CA made at
/// start; it speaks HTTP/2 to clients that offer it by ALPN and HTTP/1.1 to the others.
pub struct TlsSink {
    pub addr: SocketAddr,
    /// The CA to trust.
    pub ca_pem: String,
}

/// Starts the TLS sink; it runs until the runtime ends.
///
/// The HTTP/2 side gets generous flow-control windows (8 MiB per stream, 32 MiB per
/// connection) and 1 MiB frames, so that HTTP/2 is measured at its best, not throttled by
/// hyper's small defaults.
pub async fn start_tls_sink() -> TlsSink {
    use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
    use rustls::pki_types::pem::PemObject;

    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().unwrap()).unwrap();
    let key = KeyPair::generate().unwrap();
    let cert = CertificateParams::new(vec!["localhost".to_owned()])
        .unwrap()
        .signed_by(&key, &ca)
        .unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![cert.der().clone()],
            rustls::pki_types::PrivateKeyDer::from_pem_slice(key.serialize_pem().as_bytes())
                .unwrap(),
        )
        .unwrap();
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let storage: Arc<str> = format!("https://localhost:{}", addr.port()).into();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let _ = stream.set_nodelay(true);
            let (acceptor, storage) = (acceptor.clone(), Arc::clone(&storage));
            tokio::spawn(async move {
                let Ok(tls) = acceptor.accept(stream).await else {
                    return;
                };
                let h2 = tls.get_ref().1.alpn_protocol() == Some(b"h2");
                let service = service_fn(move |r| sink(Arc::clone(&storage), r));
                if h2 {
                    let _ = hyper::server::conn::http2::Builder::new(TokioExecutor::new())
                        .initial_stream_window_size(8 << 20)
                        .initial_connection_window_size(32 << 20)
                        .max_frame_size(1 << 20)
                        .serve_connection(TokioIo::new(tls), service)
                        .await;
                } else {
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(tls), service)
                        .await;
                }
            });
        }
    });
    TlsSink {
        addr,
        ca_pem: ca.pem(),
    }
}

/// A client of the TLS sink through the SDK's transport, offering HTTP/2 or not.
pub fn tls_sink_client(sink: &TlsSink, http2: bool) -> ExperimentalClient<HyperTransport> {
    let transport = HyperTransport::builder()
        .proxy(Proxy::none())
        .add_root_certificates_pem(&sink.ca_pem)
        .http2(http2)
        .build()
        .unwrap();
    client(
        &format!("https://localhost:{}", sink.addr.port()),
        transport,
    )
}

/// One API call (a small JSON GET) through `client`.
pub async fn api_call<T: HttpTransport>(client: &ExperimentalClient<T>) {
    client
        .get_external_principal()
        .principal_id("arn:aws:iam::1:role/bench")
        .send()
        .await
        .unwrap();
}

/// `calls` API calls from `callers` tasks at once; the wall time.
pub async fn api_calls<T: HttpTransport + 'static>(
    client: &ExperimentalClient<T>,
    callers: usize,
    calls: usize,
) -> Duration {
    let started = Instant::now();
    let tasks: Vec<_> = (0..callers)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move {
                for _ in 0..calls / callers {
                    api_call(&client).await;
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    started.elapsed()
}

/// Median, minimum and maximum of `values` (which it sorts).
pub fn spread(values: &mut [f64]) -> (f64, f64, f64) {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    let median = if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    };
    (median, values[0], values[n - 1])
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
        let parts = (source.len() as u64).div_ceil(part_size);
        let urls: Vec<String> = (1..=parts)
            .map(|n| format!("http://{addr}/part/{n}"))
            .collect();
        self.put_parts(&urls, source, part_size, concurrency)
            .await
            .0
    }

    /// PUTs `source` in `part_size` slices, part `n` to `urls[n - 1]` (presigned URLs, say),
    /// `concurrency` at a time; the wall time and each part's ETag in part order.
    pub async fn put_parts(
        &self,
        urls: &[String],
        source: &Bytes,
        part_size: u64,
        concurrency: usize,
    ) -> (Duration, Vec<String>) {
        self.put(urls, &Parts::Bytes(source.clone()), part_size, concurrency)
            .await
    }

    /// As [`put_parts`](Self::put_parts), each part read from `file` (positionally, on the
    /// blocking pool, into a fresh buffer) just before its PUT: what a person writes first.
    pub async fn put_file_parts(
        &self,
        urls: &[String],
        file: &std::path::Path,
        part_size: u64,
        concurrency: usize,
    ) -> (Duration, Vec<String>) {
        let file = Arc::new(std::fs::File::open(file).unwrap());
        self.put(urls, &Parts::File(file), part_size, concurrency)
            .await
    }

    async fn put(
        &self,
        urls: &[String],
        source: &Parts,
        part_size: u64,
        concurrency: usize,
    ) -> (Duration, Vec<String>) {
        let started = Instant::now();
        let len = source.len();
        let count = len.div_ceil(part_size) as usize;
        assert!(urls.len() >= count, "{} URLs for {count} parts", urls.len());
        let mut etags = vec![String::new(); count];
        let mut offsets = (0..count as u64).map(|i| i * part_size);
        let mut in_flight = FuturesUnordered::new();
        loop {
            while in_flight.len() < concurrency {
                let Some(start) = offsets.next() else { break };
                let range = start..(start + part_size).min(len);
                let index = (start / part_size) as usize;
                let url = urls[index].clone();
                let client = self.client.clone();
                let part = source.part(range);
                in_flight.push(async move {
                    let part = part.await;
                    let request = Request::put(url.as_str())
                        .header(http::header::CONTENT_LENGTH, part.len())
                        .body(Full::new(part))
                        .unwrap();
                    (index, client.request(request).await)
                });
            }
            match in_flight.next().await {
                Some((index, response)) => {
                    let response = response.unwrap();
                    assert!(response.status().is_success(), "{}", response.status());
                    let etag = response.headers()["etag"].to_str().unwrap();
                    etags[index] = etag.trim_matches('"').to_owned();
                    let _ = response.into_body().collect().await;
                }
                None => break,
            }
        }
        (started.elapsed(), etags)
    }
}

/// Where a bare loop's parts come from.
enum Parts {
    Bytes(Bytes),
    File(Arc<std::fs::File>),
}

impl Parts {
    fn len(&self) -> u64 {
        match self {
            Self::Bytes(bytes) => bytes.len() as u64,
            Self::File(file) => file.metadata().unwrap().len(),
        }
    }

    /// The bytes of `range`: a slice, or a positional read on the blocking pool.
    fn part(
        &self,
        range: std::ops::Range<u64>,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Bytes> + Send>> {
        match self {
            Self::Bytes(bytes) => {
                let part = bytes.slice(range.start as usize..range.end as usize);
                Box::pin(async move { part })
            }
            Self::File(file) => {
                let file = file.clone();
                Box::pin(async move {
                    tokio::task::spawn_blocking(move || {
                        use std::os::unix::fs::FileExt;
                        let mut buffer = vec![0u8; (range.end - range.start) as usize];
                        file.read_exact_at(&mut buffer, range.start).unwrap();
                        Bytes::from(buffer)
                    })
                    .await
                    .unwrap()
                })
            }
        }
    }
}

/// A client of the sink through the SDK's own transport (no proxy, whatever the
/// environment says: this is loopback).
pub fn sink_client(addr: SocketAddr) -> ExperimentalClient<HyperTransport> {
    let transport = HyperTransport::builder()
        .proxy(Proxy::none())
        .build()
        .unwrap();
    client(&format!("http://{addr}"), transport)
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
