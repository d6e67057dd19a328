//! Serving the emulator over HTTP on loopback.

use std::convert::Infallible;
use std::net::SocketAddr;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::task::JoinSet;

use crate::emulator::Emulator;

/// The largest request body the server accepts (a 5 GiB S3 part aside, emulated parts are
/// small): 1 GiB.
const MAX_BODY: usize = 1 << 30;

/// An emulator listening on 127.0.0.1. Dropping it (or [`shutdown`](Self::shutdown)) stops
/// the server and closes its connections.
#[derive(Debug)]
pub struct RunningEmulator {
    url: String,
    address: SocketAddr,
    emulator: Emulator,
    tasks: JoinSet<()>,
}

impl RunningEmulator {
    /// The server's URL, e.g. `http://127.0.0.1:41234` (append nothing: clients add `/api/v1`).
    #[must_use]
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The socket address.
    #[must_use]
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// The emulator, to set it up or inspect it while it serves.
    #[must_use]
    pub fn emulator(&self) -> &Emulator {
        &self.emulator
    }

    /// Stops the server and closes its connections.
    pub async fn shutdown(mut self) {
        self.tasks.shutdown().await;
    }
}

/// Serves `emulator` on 127.0.0.1 with a port the OS picks, and points its part URLs at
/// itself. Must be called inside a tokio runtime.
///
/// # Errors
/// When the port cannot be bound.
pub async fn serve(emulator: Emulator) -> std::io::Result<RunningEmulator> {
    serve_on(emulator, SocketAddr::from(([127, 0, 0, 1], 0))).await
}

/// Serves `emulator` on `address` (use a loopback address).
///
/// # Errors
/// When the address cannot be bound.
pub async fn serve_on(emulator: Emulator, address: SocketAddr) -> std::io::Result<RunningEmulator> {
    let listener = TcpListener::bind(address).await?;
    let address = listener.local_addr()?;
    let url = format!("http://{address}");
    emulator.set_storage_url(url.clone());
    let mut tasks = JoinSet::new();
    let serving = emulator.clone();
    tasks.spawn(async move {
        let mut connections = JoinSet::new();
        loop {
            tokio::select! {
                accepted = listener.accept() => {
                    let Ok((stream, _)) = accepted else { continue };
                    let emulator = serving.clone();
                    connections.spawn(async move {
                        let service = service_fn(move |request| {
                            let emulator = emulator.clone();
                            async move { Ok::<_, Infallible>(answer(&emulator, request).await) }
                        });
                        let _ = hyper::server::conn::http1::Builder::new()
                            .serve_connection(TokioIo::new(stream), service)
                            .await;
                    });
                }
                // Reap finished connections so the set does not grow.
                Some(_) = connections.join_next(), if !connections.is_empty() => {}
            }
        }
    });
    Ok(RunningEmulator {
        url,
        address,
        emulator,
        tasks,
    })
}

async fn answer(
    emulator: &Emulator,
    request: http::Request<Incoming>,
) -> http::Response<Full<Bytes>> {
    let (parts, body) = request.into_parts();
    let body = match http_body_util::Limited::new(body, MAX_BODY).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(_) => {
            let mut response = http::Response::new(Full::new(Bytes::from_static(
                b"{\"message\":\"request body too large or broken\"}",
            )));
            *response.status_mut() = http::StatusCode::PAYLOAD_TOO_LARGE;
            return response;
        }
    };
    let response = emulator
        .handle_async(&http::Request::from_parts(parts, body))
        .await;
    let (parts, body) = response.into_parts();
    http::Response::from_parts(parts, Full::new(body))
}
