//! The lakeFS side of the shaped-link bench: a minimal lakeFS on loopback (not shaped) whose
//! presigned URLs point at the shaper. It answers the multipart calls the upload engine
//! makes (create, `uploadPart`, complete, abort) and `statObject` with a presigned address
//! for the download engine; the shaper (in sink mode) takes the part PUTs and serves the
//! ranged GETs.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use http::{Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// The object the download engine reads: its presigned address on the shaper, size and
/// checksum (the shaper's ETag, without quotes).
#[derive(Debug, Clone)]
pub(crate) struct Served {
    pub(crate) storage: String,
    pub(crate) size: u64,
    pub(crate) checksum: String,
}

/// The minimal lakeFS, running until dropped.
pub(crate) struct Front {
    pub(crate) addr: SocketAddr,
    task: JoinHandle<()>,
}

impl Drop for Front {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Front {
    pub(crate) async fn start(served: Served) -> std::io::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let served = Arc::new(served);
        let task = tokio::spawn(async move {
            let mut connections = tokio::task::JoinSet::new();
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let _ = stream.set_nodelay(true);
                let served = Arc::clone(&served);
                connections.spawn(async move {
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(
                            TokioIo::new(stream),
                            service_fn(move |r| answer(Arc::clone(&served), r)),
                        )
                        .await;
                });
            }
        });
        Ok(Self { addr, task })
    }
}

fn part_url(storage: &str, part: &str) -> String {
    format!("{storage}/bench/object?partNumber={part}&uploadId=bench&X-Amz-Signature=bench")
}

async fn answer(
    served: Arc<Served>,
    request: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let parts: usize = request
        .uri()
        .query()
        .unwrap_or("")
        .split('&')
        .find_map(|pair| pair.strip_prefix("parts="))
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    let _ = request.into_body().collect().await;
    let storage = &served.storage;
    let (status, text) = if path.ends_with("/staging/pmpu") && method == Method::POST {
        let urls: Vec<String> = (1..=parts)
            .map(|n| format!("\"{}\"", part_url(storage, &n.to_string())))
            .collect();
        (
            StatusCode::CREATED,
            format!(
                r#"{{"upload_id":"bench","physical_address":"s3://bench/object","presigned_urls":[{}]}}"#,
                urls.join(",")
            ),
        )
    } else if method == Method::PUT && path.contains("/parts/") {
        let part = path.rsplit('/').next().unwrap_or("1");
        (
            StatusCode::OK,
            format!(r#"{{"presigned_url":"{}"}}"#, part_url(storage, part)),
        )
    } else if method == Method::PUT && path.contains("/staging/pmpu/") {
        (
            StatusCode::OK,
            r#"{"path":"bench","path_type":"object","physical_address":"s3://bench/object","checksum":"c","mtime":0}"#.to_owned(),
        )
    } else if method == Method::DELETE {
        (StatusCode::NO_CONTENT, String::new())
    } else if method == Method::GET && path.ends_with("/objects/stat") {
        (
            StatusCode::OK,
            format!(
                r#"{{"path":"object","path_type":"object","physical_address":"{storage}/bench/object","checksum":"{}","mtime":0,"size_bytes":{}}}"#,
                served.checksum, served.size
            ),
        )
    } else {
        (
            StatusCode::OK,
            r#"{"id":"arn:aws:iam::1:role/bench","user_id":"bench"}"#.to_owned(),
        )
    };
    let mut response = Response::builder().status(status);
    if status != StatusCode::NO_CONTENT {
        response = response.header("content-type", "application/json");
    }
    Ok(response
        .body(Full::new(Bytes::from(text)))
        .unwrap_or_else(|_| Response::new(Full::new(Bytes::new()))))
}
