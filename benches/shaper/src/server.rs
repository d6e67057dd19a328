//! The HTTP/1.1 server: accepting, shaping, the sink and the proxy.

use std::convert::Infallible;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use hyper::body::Incoming;
use hyper::client::conn::http1::SendRequest;
use hyper::header::{self, HeaderValue};
use hyper::{Method, Request, Response, StatusCode, Uri};
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::{AbortHandle, JoinSet};
use tokio::time::Instant;

use crate::body::{drain, AnyBody, Shaped};
use crate::bucket::{Limits, TokenBucket};
use crate::multipart::Call;
use crate::{sheds, synthetic_etag, Config, Counters, Error, Mode, Shaper, SLOWDOWN_BODY};

/// `host:port` of an `http://host[:port][/]` upstream URL.
pub(crate) fn upstream_authority(url: &str) -> Result<String, Error> {
    let bad = |why: &str| Error::Config(format!("upstream {url:?}: {why}"));
    let uri: Uri = url.parse().map_err(|e| bad(&format!("not a URL ({e})")))?;
    if uri.scheme_str() != Some("http") {
        return Err(bad("only http:// upstreams are supported"));
    }
    if !matches!(uri.path(), "" | "/") || uri.query().is_some() {
        return Err(bad(
            "a base URL has no path or query (requests keep theirs)",
        ));
    }
    let authority = uri.authority().ok_or_else(|| bad("no host"))?;
    Ok(format!(
        "{}:{}",
        authority.host(),
        authority.port_u16().unwrap_or(80)
    ))
}

/// What every connection shares.
#[derive(Debug)]
struct Shared {
    config: Config,
    /// `host:port` of the upstream, in proxy mode.
    upstream: Option<String>,
    counters: Arc<Counters>,
    link_in: Option<Arc<TokenBucket>>,
    link_out: Option<Arc<TokenBucket>>,
}

pub(crate) async fn start(config: Config) -> Result<Shaper, Error> {
    let upstream = match &config.mode {
        Mode::Proxy { upstream } => Some(upstream_authority(upstream)?),
        Mode::Sink { .. } => None,
    };
    let listener = TcpListener::bind(config.listen)
        .await
        .map_err(|e| Error::Bind(config.listen, e))?;
    let addr = listener
        .local_addr()
        .map_err(|e| Error::Bind(config.listen, e))?;
    let counters = Arc::new(Counters::default());
    let shared = Arc::new(Shared {
        upstream,
        counters: counters.clone(),
        link_in: config.link.map(|rate| Arc::new(TokenBucket::new(rate))),
        link_out: config.link.map(|rate| Arc::new(TokenBucket::new(rate))),
        config: config.clone(),
    });
    let task = tokio::spawn(accept_loop(listener, shared));
    Ok(Shaper {
        addr,
        config,
        counters,
        task,
    })
}

/// Accepts connections and serves each on a task of its own. The tasks live in a [`JoinSet`]
/// owned by this loop, so aborting the loop (dropping the [`Shaper`]) aborts them all.
async fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, _peer)) = accepted else {
                    // Out of descriptors, or a connection reset before it was accepted: go on.
                    tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                    continue;
                };
                let _ = stream.set_nodelay(true);
                shared.counters.connections.fetch_add(1, Ordering::Relaxed);
                let connection = Arc::new(Connection::new(shared.clone()));
                connections.spawn(async move {
                    let service = hyper::service::service_fn(move |request| {
                        connection.clone().handle(request)
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
}

/// One client connection: its buckets, and (in proxy mode) its own upstream connection.
#[derive(Debug)]
struct Connection {
    shared: Arc<Shared>,
    inbound: Limits,
    outbound: Limits,
    upstream: tokio::sync::Mutex<Option<Upstream>>,
}

/// A connection to the upstream; its driving task ends when this is dropped.
#[derive(Debug)]
struct Upstream {
    sender: SendRequest<Shaped<Incoming>>,
    task: AbortHandle,
}

impl Drop for Upstream {
    fn drop(&mut self) {
        self.task.abort();
    }
}

type Answer = Response<Shaped<AnyBody>>;

impl Connection {
    fn new(shared: Arc<Shared>) -> Self {
        let own = || {
            shared
                .config
                .per_connection
                .map(|rate| Arc::new(TokenBucket::new(rate)))
        };
        Connection {
            inbound: Limits {
                connection: own(),
                link: shared.link_in.clone(),
            },
            outbound: Limits {
                connection: own(),
                link: shared.link_out.clone(),
            },
            upstream: tokio::sync::Mutex::new(None),
            shared,
        }
    }

    fn shaped_request(&self, body: Incoming) -> Shaped<Incoming> {
        Shaped::new(
            body,
            self.inbound.clone(),
            self.shared.counters.bytes_in.clone(),
        )
    }

    async fn handle(self: Arc<Self>, request: Request<Incoming>) -> Result<Answer, Infallible> {
        let arrived = Instant::now();
        let counters = &self.shared.counters;
        let config = &self.shared.config;
        let index = counters.requests.fetch_add(1, Ordering::Relaxed);
        let response = if sheds(config.seed, config.slowdown, index) {
            counters.slowdowns.fetch_add(1, Ordering::Relaxed);
            // The client sent the body all the same: read it (shaped), then shed.
            let _ = drain(self.shaped_request(request.into_body())).await;
            slowdown()
        } else {
            match &config.mode {
                Mode::Sink { object_size } => self.sink(request, *object_size).await,
                Mode::Proxy { .. } => self.proxy(request).await,
            }
        };
        tokio::time::sleep_until(arrived + config.latency).await;
        let outbound = self.outbound.clone();
        let counter = counters.bytes_out.clone();
        Ok(response.map(|body| Shaped::new(body, outbound, counter)))
    }

    async fn sink(&self, request: Request<Incoming>, object_size: u64) -> Response<AnyBody> {
        let (parts, body) = request.into_parts();
        let name = parts
            .uri
            .path_and_query()
            .map_or("/", |pq| pq.as_str())
            .to_owned();
        let read = drain(self.shaped_request(body)).await;
        if let Some(call) = Call::of(&parts.method, parts.uri.query()) {
            return call.answer(parts.uri.path(), object_size);
        }
        match parts.method {
            Method::PUT => match read {
                Ok(size) => {
                    let mut response = Response::new(AnyBody::Empty);
                    set(
                        &mut response,
                        header::ETAG,
                        &synthetic_etag(name.as_bytes(), size),
                    );
                    set(&mut response, header::CONTENT_LENGTH, "0");
                    response
                }
                // The client went away; nobody reads this.
                Err(_) => status(StatusCode::BAD_REQUEST),
            },
            Method::GET | Method::HEAD => {
                let range = parts
                    .headers
                    .get(header::RANGE)
                    .and_then(|v| v.to_str().ok());
                let head = parts.method == Method::HEAD;
                object(object_size, range, head)
            }
            Method::DELETE => status(StatusCode::NO_CONTENT),
            _ => {
                let mut response = status(StatusCode::METHOD_NOT_ALLOWED);
                set(&mut response, header::ALLOW, "GET, HEAD, PUT, DELETE, POST");
                response
            }
        }
    }

    async fn proxy(&self, request: Request<Incoming>) -> Response<AnyBody> {
        let (parts, body) = request.into_parts();
        let mut request = Request::from_parts(parts, self.shaped_request(body));
        let mut upstream = self.upstream.lock().await;
        // A pooled connection the upstream closed is replaced once; the request is handed back
        // when it was not sent.
        for attempt in 0..2 {
            if upstream.as_ref().is_none_or(|u| u.sender.is_closed()) {
                match self.connect().await {
                    Ok(connected) => *upstream = Some(connected),
                    Err(error) => return bad_gateway(&error),
                }
            }
            let Some(connected) = upstream.as_mut() else {
                continue;
            };
            if connected.sender.ready().await.is_err() {
                *upstream = None;
                continue;
            }
            match connected.sender.try_send_request(request).await {
                Ok(response) => return response.map(AnyBody::Incoming),
                Err(mut error) => match error.take_message() {
                    Some(unsent) if attempt == 0 => {
                        *upstream = None;
                        request = unsent;
                    }
                    _ => return bad_gateway(&error.into_error().to_string()),
                },
            }
        }
        bad_gateway("the upstream closed the connection twice")
    }

    async fn connect(&self) -> Result<Upstream, String> {
        let authority = self.shared.upstream.as_deref().unwrap_or_default();
        let stream = TcpStream::connect(authority)
            .await
            .map_err(|e| format!("cannot connect to the upstream {authority}: {e}"))?;
        let _ = stream.set_nodelay(true);
        let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|e| format!("HTTP handshake with the upstream {authority}: {e}"))?;
        let task = tokio::spawn(async move {
            let _ = connection.await;
        })
        .abort_handle();
        Ok(Upstream { sender, task })
    }
}

fn set<B>(response: &mut Response<B>, name: header::HeaderName, value: &str) {
    if let Ok(value) = HeaderValue::from_str(value) {
        response.headers_mut().insert(name, value);
    }
}

fn status(code: StatusCode) -> Response<AnyBody> {
    let mut response = Response::new(AnyBody::Empty);
    *response.status_mut() = code;
    response
}

fn slowdown() -> Response<AnyBody> {
    let mut response = Response::new(AnyBody::Full(Some(SLOWDOWN_BODY.into())));
    *response.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
    set(&mut response, header::CONTENT_TYPE, "application/xml");
    set(
        &mut response,
        header::CONTENT_LENGTH,
        &SLOWDOWN_BODY.len().to_string(),
    );
    response
}

fn bad_gateway(why: &str) -> Response<AnyBody> {
    let body = format!("lakefs-bench-shaper: {why}\n");
    let mut response = Response::new(AnyBody::Full(Some(body.into())));
    *response.status_mut() = StatusCode::BAD_GATEWAY;
    set(&mut response, header::CONTENT_TYPE, "text/plain");
    response
}

/// A fixed date for the synthetic objects.
const LAST_MODIFIED: &str = "Thu, 01 Jan 2026 00:00:00 GMT";

/// GET or HEAD of the synthetic object.
fn object(size: u64, range: Option<&str>, head: bool) -> Response<AnyBody> {
    let etag = synthetic_etag(b"", size);
    let (code, start, end) = match range.map(|r| parse_range(r, size)) {
        None | Some(RangeAnswer::Ignore) => (StatusCode::OK, 0, size),
        Some(RangeAnswer::Bytes(start, end)) => (StatusCode::PARTIAL_CONTENT, start, end),
        Some(RangeAnswer::Unsatisfiable) => {
            let body = "<Error><Code>InvalidRange</Code><Message>The requested range is not \
                        satisfiable</Message></Error>";
            let mut response = Response::new(AnyBody::Full(Some(body.into())));
            *response.status_mut() = StatusCode::RANGE_NOT_SATISFIABLE;
            set(
                &mut response,
                header::CONTENT_RANGE,
                &format!("bytes */{size}"),
            );
            set(&mut response, header::CONTENT_TYPE, "application/xml");
            set(
                &mut response,
                header::CONTENT_LENGTH,
                &body.len().to_string(),
            );
            return response;
        }
    };
    let body = if head {
        AnyBody::Empty
    } else {
        AnyBody::synthetic(start, end)
    };
    let mut response = Response::new(body);
    *response.status_mut() = code;
    set(
        &mut response,
        header::CONTENT_LENGTH,
        &(end - start).to_string(),
    );
    set(&mut response, header::ETAG, &etag);
    set(&mut response, header::ACCEPT_RANGES, "bytes");
    set(
        &mut response,
        header::CONTENT_TYPE,
        "application/octet-stream",
    );
    set(&mut response, header::LAST_MODIFIED, LAST_MODIFIED);
    if code == StatusCode::PARTIAL_CONTENT {
        set(
            &mut response,
            header::CONTENT_RANGE,
            &format!("bytes {start}-{}/{size}", end - 1),
        );
    }
    response
}

#[derive(Debug, PartialEq, Eq)]
enum RangeAnswer {
    /// Bytes `[start, end)`.
    Bytes(u64, u64),
    /// Well formed, but outside the object: `416`.
    Unsatisfiable,
    /// Malformed, several ranges, or another unit: serve the whole object.
    Ignore,
}

/// One `bytes=a-b`, `bytes=a-` or `bytes=-n` range of an object of `size` bytes, as S3 reads it.
fn parse_range(value: &str, size: u64) -> RangeAnswer {
    let Some(spec) = value.trim().strip_prefix("bytes=") else {
        return RangeAnswer::Ignore;
    };
    let Some((first, last)) = spec.trim().split_once('-') else {
        return RangeAnswer::Ignore;
    };
    if spec.contains(',') {
        return RangeAnswer::Ignore;
    }
    let number = |s: &str| s.trim().parse::<u64>().ok();
    match (first.trim().is_empty(), last.trim().is_empty()) {
        // bytes=-n: the last n bytes.
        (true, false) => match number(last) {
            Some(0) => RangeAnswer::Unsatisfiable,
            Some(n) if size > 0 => RangeAnswer::Bytes(size - n.min(size), size),
            Some(_) => RangeAnswer::Unsatisfiable,
            None => RangeAnswer::Ignore,
        },
        (false, open) => {
            let Some(start) = number(first) else {
                return RangeAnswer::Ignore;
            };
            let end = if open {
                size
            } else {
                match number(last) {
                    Some(last) if last >= start => last.saturating_add(1).min(size),
                    _ => return RangeAnswer::Ignore,
                }
            };
            if start >= size {
                RangeAnswer::Unsatisfiable
            } else {
                RangeAnswer::Bytes(start, end)
            }
        }
        (true, true) => RangeAnswer::Ignore,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_read_as_s3_reads_them() {
        use RangeAnswer::*;
        assert_eq!(parse_range("bytes=0-99", 1000), Bytes(0, 100));
        assert_eq!(parse_range("bytes=900-1999", 1000), Bytes(900, 1000));
        assert_eq!(parse_range("bytes=10-", 1000), Bytes(10, 1000));
        assert_eq!(parse_range("bytes=-100", 1000), Bytes(900, 1000));
        assert_eq!(parse_range("bytes=-5000", 1000), Bytes(0, 1000));
        assert_eq!(parse_range("bytes=1000-1001", 1000), Unsatisfiable);
        assert_eq!(parse_range("bytes=-0", 1000), Unsatisfiable);
        assert_eq!(parse_range("bytes=0-0", 0), Unsatisfiable);
        assert_eq!(parse_range("bytes=5-4", 1000), Ignore);
        assert_eq!(parse_range("bytes=0-1,5-6", 1000), Ignore);
        assert_eq!(parse_range("items=0-1", 1000), Ignore);
        assert_eq!(parse_range("bytes=x-1", 1000), Ignore);
    }

    #[test]
    fn upstream_urls_are_plain_http_bases() {
        assert_eq!(
            upstream_authority("http://127.0.0.1:9000").unwrap(),
            "127.0.0.1:9000"
        );
        assert_eq!(
            upstream_authority("http://localhost/").unwrap(),
            "localhost:80"
        );
        for bad in [
            "https://127.0.0.1:9000",
            "http://h:1/bucket",
            "127.0.0.1:9000",
            "nonsense",
        ] {
            let error = upstream_authority(bad).unwrap_err().to_string();
            assert!(error.contains(bad), "{error}");
        }
    }
}
