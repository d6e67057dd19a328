//! [`FakeTransport`]: an in-memory [`HttpTransport`] for tests and benchmarks.
//!
//! * **Routing**: requests are matched by method and path pattern (`{name}` matches one path
//!   segment, `{*name}` the rest of the path) to a handler or to a queue of scripted replies,
//!   in the order the routes were added; a route whose queue is empty is skipped.
//! * **Recording**: every request (method, URI, headers, body) is kept for assertions. The
//!   body is a [`Bytes`] handle, so recording copies no payload.
//! * **Latency**: a fixed delay per request, seeded jitter, and a per-request bandwidth cap.
//! * **Faults**: a [`FaultPlan`] fails a share of the requests, chosen from a seed, with
//!   statuses, connection errors, resets or timeouts; or script a [`Fault`] into a queue.
//!
//! ```
//! use bytes::Bytes;
//! use http::{Method, StatusCode};
//! use lakefs_transport::fake::{self, FakeTransport, ResponseExt};
//! use lakefs_transport::HttpTransport;
//!
//! # tokio_test_block_on(async {
//! let transport = FakeTransport::new();
//! let objects = transport.route(Method::PUT, "/upload/{key}", |request, params| {
//!     let etag = format!("\"{}-{}\"", params.get("key").unwrap_or(""), request.body().len());
//!     Ok(fake::response(StatusCode::OK, Bytes::new()).with_header("etag", &etag))
//! });
//!
//! let request = http::Request::put("http://store/upload/a%20b").body(Bytes::from("hello")).unwrap();
//! let response = transport.send(request).await.unwrap();
//! assert_eq!(response.headers()["etag"], "\"a b-5\"");
//! assert_eq!(objects.calls(), 1);
//! assert_eq!(transport.requests()[0].body, "hello");
//! # });
//! # fn tokio_test_block_on<F: std::future::Future>(f: F) -> F::Output {
//! #     tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap().block_on(f)
//! # }
//! ```

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, Method, Request, Response, StatusCode, Uri};

use crate::{BoxFuture, HttpTransport, RedactedUri, TimeoutPhase, TransportError};

/// What a handler or a queue answers: a response, or a fault the transport turns into an error.
pub type Reply = Result<Response<Bytes>, Fault>;

type Handler = dyn Fn(&Request<Bytes>, &PathParams) -> Reply + Send + Sync;

/// A failure the fake can produce instead of (or after) a response.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Fault {
    /// Answer with this status and an empty body; the handler does not run.
    Status(StatusCode),
    /// Fail as a refused connection; the request never reached the server.
    ConnectionRefused,
    /// Fail as a connection reset before the server saw the request.
    Reset,
    /// Let the handler run (its side effects happen), then fail as a connection reset: the
    /// client cannot know whether the request took effect.
    ResetAfterHandling,
    /// Fail as a request timeout.
    Timeout,
}

impl Fault {
    fn into_error(self, uri: &Uri) -> Result<Response<Bytes>, TransportError> {
        let uri = RedactedUri::new(uri);
        Err(match self {
            Self::Status(status) => return Ok(response(status, Bytes::new())),
            Self::ConnectionRefused => TransportError::Connect {
                uri,
                source: Box::new(std::io::Error::from(std::io::ErrorKind::ConnectionRefused)),
            },
            Self::Reset | Self::ResetAfterHandling => TransportError::Io {
                uri,
                source: Box::new(std::io::Error::from(std::io::ErrorKind::ConnectionReset)),
            },
            Self::Timeout => TransportError::Timeout {
                uri,
                phase: TimeoutPhase::Request,
                after: Duration::ZERO,
            },
        })
    }
}

/// Fails a share of the requests, chosen deterministically from a seed.
///
/// ```
/// use http::StatusCode;
/// use lakefs_transport::fake::{Fault, FaultPlan};
///
/// let plan = FaultPlan::new(42)
///     .probability(0.2)
///     .faults([Fault::Status(StatusCode::INTERNAL_SERVER_ERROR), Fault::Reset, Fault::Timeout])
///     .only_host("s3.local");
/// ```
#[derive(Debug, Clone)]
#[must_use]
pub struct FaultPlan {
    seed: u64,
    probability: f64,
    faults: Vec<Fault>,
    method: Option<Method>,
    host: Option<String>,
}

impl FaultPlan {
    /// A plan that fails nothing until [`probability`](Self::probability) is set; the default
    /// faults are a 500, a 503, a reset and a timeout.
    pub fn new(seed: u64) -> Self {
        Self {
            seed,
            probability: 0.0,
            faults: vec![
                Fault::Status(StatusCode::INTERNAL_SERVER_ERROR),
                Fault::Status(StatusCode::SERVICE_UNAVAILABLE),
                Fault::Reset,
                Fault::Timeout,
            ],
            method: None,
            host: None,
        }
    }

    /// The share of matching requests that fail, from 0.0 to 1.0 (clamped).
    pub fn probability(mut self, probability: f64) -> Self {
        self.probability = probability.clamp(0.0, 1.0);
        self
    }

    /// The faults to choose from (uniformly, from the seed). An empty list fails nothing.
    pub fn faults(mut self, faults: impl IntoIterator<Item = Fault>) -> Self {
        self.faults = faults.into_iter().collect();
        self
    }

    /// Only requests with this method may fail.
    pub fn only_method(mut self, method: Method) -> Self {
        self.method = Some(method);
        self
    }

    /// Only requests to this host may fail (for example the presigned storage host).
    pub fn only_host(mut self, host: impl Into<String>) -> Self {
        self.host = Some(host.into());
        self
    }
}

struct FaultState {
    plan: FaultPlan,
    rng: fastrand::Rng,
}

impl FaultState {
    fn pick(&mut self, request: &Request<Bytes>) -> Option<Fault> {
        if self.plan.faults.is_empty()
            || self
                .plan
                .method
                .as_ref()
                .is_some_and(|m| m != request.method())
            || self
                .plan
                .host
                .as_deref()
                .is_some_and(|h| request.uri().host() != Some(h))
        {
            return None;
        }
        if self.rng.f64() >= self.plan.probability {
            return None;
        }
        let index = self.rng.usize(..self.plan.faults.len());
        self.plan.faults.get(index).cloned()
    }
}

/// Simulated network delay, applied to every request before it is answered.
#[derive(Debug, Clone, Default, PartialEq)]
#[must_use]
pub struct Latency {
    /// Fixed delay per request (round trip).
    pub base: Duration,
    /// Up to this much more, uniformly from the seed.
    pub jitter: Duration,
    /// Bandwidth of one request's connection in bytes per second: the request body takes
    /// `len / bytes_per_second` more. `None` means unlimited.
    pub bytes_per_second: Option<u64>,
    /// Bandwidth of the link all requests share, in bytes per second: bodies queue for it in
    /// arrival order, so `n` concurrent requests get `min(n × bytes_per_second, link)`.
    /// `None` means unlimited.
    pub link_bytes_per_second: Option<u64>,
    /// Seed for the jitter.
    pub seed: u64,
}

impl Latency {
    /// A fixed delay per request.
    pub fn fixed(base: Duration) -> Self {
        Self {
            base,
            ..Self::default()
        }
    }

    /// Adds up to `jitter` more per request, drawn from `seed`.
    pub fn with_jitter(mut self, jitter: Duration, seed: u64) -> Self {
        self.jitter = jitter;
        self.seed = seed;
        self
    }

    /// Caps each request's upload bandwidth.
    pub fn with_bandwidth(mut self, bytes_per_second: u64) -> Self {
        self.bytes_per_second = Some(bytes_per_second.max(1));
        self
    }

    /// Caps the bandwidth all requests share.
    pub fn with_link_bandwidth(mut self, bytes_per_second: u64) -> Self {
        self.link_bytes_per_second = Some(bytes_per_second.max(1));
        self
    }
}

/// The path segments captured by a route pattern's `{name}` and `{*name}` placeholders,
/// percent-decoded.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PathParams(HashMap<String, String>);

impl PathParams {
    /// The decoded value of the placeholder `name`.
    #[must_use]
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }
}

/// A request as the fake received it.
#[derive(Debug, Clone)]
pub struct RecordedRequest {
    /// The method.
    pub method: Method,
    /// The full URI, query string included (this is test data: handle with care).
    pub uri: Uri,
    /// All headers as sent.
    pub headers: HeaderMap,
    /// The body: a handle on the sender's bytes, not a copy.
    pub body: Bytes,
}

impl RecordedRequest {
    /// The decoded query parameters, in order (`+` decodes to a space, as servers do).
    #[must_use]
    pub fn query_pairs(&self) -> Vec<(String, String)> {
        query_pairs(&self.uri)
    }

    /// The value of the first query parameter called `name`.
    #[must_use]
    pub fn query(&self, name: &str) -> Option<String> {
        self.query_pairs()
            .into_iter()
            .find_map(|(k, v)| (k == name).then_some(v))
    }
}

/// The decoded query parameters of `uri`, in order.
#[must_use]
pub fn query_pairs(uri: &Uri) -> Vec<(String, String)> {
    form_urlencoded::parse(uri.query().unwrap_or("").as_bytes())
        .into_owned()
        .collect()
}

/// A response with `status` and `body`, ready to be returned by a handler.
#[must_use]
pub fn response(status: StatusCode, body: impl Into<Bytes>) -> Response<Bytes> {
    let mut response = Response::new(body.into());
    *response.status_mut() = status;
    response
}

/// A response with `status`, a JSON `body` and `Content-Type: application/json`.
#[must_use]
pub fn json(status: StatusCode, body: impl Into<Bytes>) -> Response<Bytes> {
    response(status, body).with_header("content-type", "application/json")
}

/// Adds headers to a response in a chain.
pub trait ResponseExt: Sized {
    /// Returns the response with header `name` set to `value`. An invalid name or value is
    /// ignored (this is a test helper).
    #[must_use]
    fn with_header(self, name: &str, value: &str) -> Self;
}

impl ResponseExt for Response<Bytes> {
    fn with_header(mut self, name: &str, value: &str) -> Self {
        if let (Ok(name), Ok(value)) = (
            http::HeaderName::from_bytes(name.as_bytes()),
            http::HeaderValue::from_str(value),
        ) {
            self.headers_mut().insert(name, value);
        }
        self
    }
}

/// A path pattern such as `/api/v1/repositories/{repository}/branches/{branch}`.
#[derive(Debug, Clone)]
struct PathPattern(Vec<Segment>);

#[derive(Debug, Clone)]
enum Segment {
    Literal(String),
    One(String),
    Rest(String),
}

impl PathPattern {
    fn parse(pattern: &str) -> Self {
        Self(
            pattern
                .trim_start_matches('/')
                .split('/')
                .map(
                    |segment| match segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                        Some(name) => match name.strip_prefix('*') {
                            Some(rest) => Segment::Rest(rest.to_owned()),
                            None => Segment::One(name.to_owned()),
                        },
                        None => Segment::Literal(segment.to_owned()),
                    },
                )
                .collect(),
        )
    }

    fn matches(&self, path: &str) -> Option<PathParams> {
        let mut params = HashMap::new();
        let mut segments = path.trim_start_matches('/').split('/');
        for (index, expected) in self.0.iter().enumerate() {
            match expected {
                Segment::Rest(name) => {
                    let rest = path
                        .trim_start_matches('/')
                        .splitn(index + 1, '/')
                        .nth(index)
                        .unwrap_or("");
                    params.insert(name.clone(), decode(rest));
                    return Some(PathParams(params));
                }
                Segment::Literal(literal) => {
                    if segments.next()? != literal {
                        return None;
                    }
                }
                Segment::One(name) => {
                    params.insert(name.clone(), decode(segments.next()?));
                }
            }
        }
        segments.next().is_none().then_some(PathParams(params))
    }
}

fn decode(segment: &str) -> String {
    percent_encoding::percent_decode_str(segment)
        .decode_utf8_lossy()
        .into_owned()
}

enum Responder {
    Handler(Arc<Handler>),
    Queue(VecDeque<Reply>),
}

struct Route {
    method: Option<Method>,
    pattern: PathPattern,
    responder: Responder,
    stats: Arc<RouteStats>,
}

#[derive(Default)]
struct RouteStats {
    calls: AtomicUsize,
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
}

/// Counters of one route: how often it was called and how many of its requests were in
/// flight at once (latency included).
#[derive(Clone)]
pub struct RouteHandle(Arc<RouteStats>);

impl RouteHandle {
    /// Requests this route answered.
    #[must_use]
    pub fn calls(&self) -> usize {
        self.0.calls.load(Ordering::SeqCst)
    }

    /// Requests of this route in flight right now.
    #[must_use]
    pub fn in_flight(&self) -> usize {
        self.0.in_flight.load(Ordering::SeqCst)
    }

    /// The most requests of this route that were in flight at the same time.
    #[must_use]
    pub fn max_in_flight(&self) -> usize {
        self.0.max_in_flight.load(Ordering::SeqCst)
    }
}

impl fmt::Debug for RouteHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RouteHandle")
            .field("calls", &self.calls())
            .field("max_in_flight", &self.max_in_flight())
            .finish()
    }
}

/// Decrements a route's in-flight count when the request ends, even if it is cancelled.
struct InFlight(Arc<RouteStats>);

impl InFlight {
    fn enter(stats: Arc<RouteStats>) -> Self {
        stats.calls.fetch_add(1, Ordering::SeqCst);
        let now = stats.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        stats.max_in_flight.fetch_max(now, Ordering::SeqCst);
        Self(stats)
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

struct LatencyState {
    latency: Latency,
    rng: fastrand::Rng,
    /// When the shared link has sent every body queued so far.
    link_free_at: Option<tokio::time::Instant>,
}

#[derive(Default)]
struct Inner {
    routes: Mutex<Vec<Route>>,
    recorded: Mutex<Vec<RecordedRequest>>,
    record: Mutex<Option<bool>>,
    faults: Mutex<Option<FaultState>>,
    latency: Mutex<Option<LatencyState>>,
}

/// An in-memory [`HttpTransport`]. Cheap to clone: clones share routes and recordings.
#[derive(Clone, Default)]
pub struct FakeTransport {
    inner: Arc<Inner>,
}

impl fmt::Debug for FakeTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FakeTransport")
            .field("routes", &lock(&self.inner.routes).len())
            .field("recorded", &lock(&self.inner.recorded).len())
            .finish_non_exhaustive()
    }
}

/// Locks a mutex, ignoring poisoning: a panicking test handler must not hide the recordings.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl FakeTransport {
    /// A fake with no routes: every request fails with [`TransportError::InvalidRequest`]
    /// until a route matches it.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Answers requests with `method` whose path matches `pattern` by calling `handler`.
    pub fn route<F>(&self, method: Method, pattern: &str, handler: F) -> RouteHandle
    where
        F: Fn(&Request<Bytes>, &PathParams) -> Reply + Send + Sync + 'static,
    {
        self.add(Some(method), pattern, Responder::Handler(Arc::new(handler)))
    }

    /// Answers every request that no earlier route takes by calling `handler` (for example
    /// an emulated server).
    pub fn fallback<F>(&self, handler: F) -> RouteHandle
    where
        F: Fn(&Request<Bytes>, &PathParams) -> Reply + Send + Sync + 'static,
    {
        self.add(None, "/{*path}", Responder::Handler(Arc::new(handler)))
    }

    /// Answers the next requests with `method` matching `pattern` with `replies`, one each,
    /// in order; once they are used up the route no longer matches.
    pub fn enqueue(
        &self,
        method: Method,
        pattern: &str,
        replies: impl IntoIterator<Item = Reply>,
    ) -> RouteHandle {
        self.add(
            Some(method),
            pattern,
            Responder::Queue(replies.into_iter().collect()),
        )
    }

    fn add(&self, method: Option<Method>, pattern: &str, responder: Responder) -> RouteHandle {
        let stats = Arc::new(RouteStats::default());
        lock(&self.inner.routes).push(Route {
            method,
            pattern: PathPattern::parse(pattern),
            responder,
            stats: Arc::clone(&stats),
        });
        RouteHandle(stats)
    }

    /// Injects faults from now on, replacing any earlier plan.
    pub fn set_faults(&self, plan: FaultPlan) {
        let rng = fastrand::Rng::with_seed(plan.seed);
        *lock(&self.inner.faults) = Some(FaultState { plan, rng });
    }

    /// Stops injecting faults.
    pub fn clear_faults(&self) {
        *lock(&self.inner.faults) = None;
    }

    /// Delays every request from now on.
    pub fn set_latency(&self, latency: Latency) {
        let rng = fastrand::Rng::with_seed(latency.seed);
        *lock(&self.inner.latency) = Some(LatencyState {
            latency,
            rng,
            link_free_at: None,
        });
    }

    /// Turns request recording on (the default) or off (for long benchmarks).
    pub fn set_recording(&self, on: bool) {
        *lock(&self.inner.record) = Some(on);
    }

    /// Every request received so far, in order of arrival.
    #[must_use]
    pub fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.inner.recorded).clone()
    }

    /// Forgets the recorded requests.
    pub fn clear_requests(&self) {
        lock(&self.inner.recorded).clear();
    }

    fn delay_for(&self, request: &Request<Bytes>) -> Duration {
        let mut state = lock(&self.inner.latency);
        let Some(LatencyState {
            latency,
            rng,
            link_free_at,
        }) = state.as_mut()
        else {
            return Duration::ZERO;
        };
        let jitter = if latency.jitter.is_zero() {
            Duration::ZERO
        } else {
            latency.jitter.mul_f64(rng.f64())
        };
        let len = request.body().len() as f64;
        let own = latency.bytes_per_second.map_or(Duration::ZERO, |bps| {
            Duration::from_secs_f64(len / bps as f64)
        });
        let shared = latency.link_bytes_per_second.map_or(Duration::ZERO, |bps| {
            let now = tokio::time::Instant::now();
            let start = link_free_at.map_or(now, |free| free.max(now));
            let done = start + Duration::from_secs_f64(len / bps as f64);
            *link_free_at = Some(done);
            done - now
        });
        latency.base + jitter + own.max(shared)
    }

    /// Picks the responder for `request`: a handler to call or a queued reply. With `consume`
    /// false (the request is failed by a fault before it reaches the server) a queued reply
    /// stays queued.
    fn dispatch(
        &self,
        request: &Request<Bytes>,
        consume: bool,
    ) -> Option<(Dispatch, Arc<RouteStats>)> {
        let mut routes = lock(&self.inner.routes);
        for route in routes.iter_mut() {
            if route.method.as_ref().is_some_and(|m| m != request.method()) {
                continue;
            }
            let Some(params) = route.pattern.matches(request.uri().path()) else {
                continue;
            };
            let stats = Arc::clone(&route.stats);
            match &mut route.responder {
                Responder::Handler(handler) => {
                    return Some((Dispatch::Call(Arc::clone(handler), params), stats))
                }
                Responder::Queue(queue) if !consume && !queue.is_empty() => {
                    return Some((Dispatch::Skip, stats))
                }
                Responder::Queue(queue) => {
                    if let Some(reply) = queue.pop_front() {
                        return Some((Dispatch::Reply(reply), stats));
                    }
                }
            }
        }
        None
    }

    async fn exchange(&self, request: Request<Bytes>) -> Result<Response<Bytes>, TransportError> {
        if lock(&self.inner.record).unwrap_or(true) {
            lock(&self.inner.recorded).push(RecordedRequest {
                method: request.method().clone(),
                uri: request.uri().clone(),
                headers: request.headers().clone(),
                body: request.body().clone(),
            });
        }
        let fault = lock(&self.inner.faults)
            .as_mut()
            .and_then(|state| state.pick(&request));
        let reaches_server = matches!(fault, None | Some(Fault::ResetAfterHandling));
        let Some((dispatch, stats)) = self.dispatch(&request, reaches_server) else {
            return Err(TransportError::InvalidRequest {
                uri: RedactedUri::new(request.uri()),
                reason: "no route of the FakeTransport matches this method and path",
            });
        };
        let _in_flight = InFlight::enter(stats);
        let delay = self.delay_for(&request);
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
        let reply = match fault {
            Some(Fault::ResetAfterHandling) => {
                let _ = dispatch.run(&request);
                Err(Fault::ResetAfterHandling)
            }
            Some(fault) => Err(fault),
            None => dispatch.run(&request),
        };
        reply.or_else(|fault| fault.into_error(request.uri()))
    }
}

enum Dispatch {
    Call(Arc<Handler>, PathParams),
    Reply(Reply),
    /// The request never reaches the route (a fault answers it).
    Skip,
}

impl Dispatch {
    fn run(self, request: &Request<Bytes>) -> Reply {
        match self {
            Self::Call(handler, params) => handler(request, &params),
            Self::Reply(reply) => reply,
            Self::Skip => Err(Fault::Reset),
        }
    }
}

impl HttpTransport for FakeTransport {
    fn send(
        &self,
        request: Request<Bytes>,
    ) -> BoxFuture<'_, Result<Response<Bytes>, TransportError>> {
        Box::pin(self.exchange(request))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_match_segments_and_rest() {
        let pattern = PathPattern::parse("/api/v1/repositories/{repository}/branches/{branch}");
        let params = pattern
            .matches("/api/v1/repositories/r%20one/branches/feature%2Fx")
            .unwrap();
        assert_eq!(params.get("repository"), Some("r one"));
        assert_eq!(params.get("branch"), Some("feature/x"));
        assert!(pattern.matches("/api/v1/repositories/r/branches").is_none());
        assert!(pattern
            .matches("/api/v1/repositories/r/branches/b/extra")
            .is_none());

        let rest = PathPattern::parse("/bucket/{*key}");
        assert_eq!(
            rest.matches("/bucket/a/b/c%3F").unwrap().get("key"),
            Some("a/b/c?")
        );
        assert_eq!(rest.matches("/bucket/").unwrap().get("key"), Some(""));
        assert!(rest.matches("/other/a").is_none());
    }
}
