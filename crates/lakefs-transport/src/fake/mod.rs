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

mod faults;
mod latency;
mod routing;

use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use bytes::Bytes;
use http::{Method, Request, Response};

pub use self::faults::{Fault, FaultPlan};
pub use self::latency::Latency;
pub use self::routing::{
    json, query_pairs, response, PathParams, RecordedRequest, ResponseExt, RouteHandle,
};

use self::faults::FaultState;
use self::latency::LatencyState;
use self::routing::{InFlight, PathPattern, Responder, Route, RouteStats};
use crate::{BoxFuture, HttpTransport, Progress, ReceiveProgress, RedactedUri, TransportError};

/// What a handler or a queue answers: a response, or a fault the transport turns into an error.
pub type Reply = Result<Response<Bytes>, Fault>;

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
    /// A fake with no routes: every request fails with [`TransportErrorKind::InvalidRequest`](crate::TransportErrorKind::InvalidRequest)
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
        *lock(&self.inner.faults) = Some(FaultState::new(plan));
    }

    /// Stops injecting faults.
    pub fn clear_faults(&self) {
        *lock(&self.inner.faults) = None;
    }

    /// Delays every request from now on.
    pub fn set_latency(&self, latency: Latency) {
        *lock(&self.inner.latency) = Some(LatencyState::new(latency));
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

    fn delay_for(&self, request: &Request<Bytes>) -> (Duration, Duration) {
        lock(&self.inner.latency)
            .as_mut()
            .map_or((Duration::ZERO, Duration::ZERO), |state| {
                state.delay_for(request)
            })
    }

    /// Sends the body over the simulated link for `transfer`, counting it in the request's
    /// [`Progress`] (if it has one) a tenth at a time.
    async fn transfer(request: &Request<Bytes>, transfer: Duration) {
        let Some(progress) = request.extensions().get::<Progress>() else {
            if !transfer.is_zero() {
                tokio::time::sleep(transfer).await;
            }
            return;
        };
        let len = request.body().len() as u64;
        let steps = 10u32;
        for step in 0..steps {
            if !transfer.is_zero() {
                tokio::time::sleep(transfer / steps).await;
            }
            let sent_before = len * u64::from(step) / u64::from(steps);
            let sent_after = len * u64::from(step + 1) / u64::from(steps);
            progress.add(sent_after - sent_before);
        }
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
        let Some((dispatch, stats)) =
            routing::dispatch(&mut lock(&self.inner.routes), &request, reaches_server)
        else {
            return Err(TransportError::invalid_request(
                RedactedUri::new(request.uri()),
                "no route of the FakeTransport matches this method and path",
            ));
        };
        let _in_flight = InFlight::enter(stats);
        if fault == Some(Fault::Stall) {
            // Connected, and then nothing: no byte goes out, no answer comes.
            return std::future::pending().await;
        }
        let (fixed, transfer) = self.delay_for(&request);
        if !fixed.is_zero() {
            tokio::time::sleep(fixed).await;
        }
        Self::transfer(&request, transfer).await;
        let reply = match fault {
            Some(Fault::ResetAfterHandling) => {
                let _ = dispatch.run(&request);
                Err(Fault::ResetAfterHandling)
            }
            Some(fault) => Err(fault),
            None => dispatch.run(&request),
        };
        let response = match reply {
            // A route may stall too: connected, then nothing.
            Err(Fault::Stall) => std::future::pending().await,
            reply => reply.or_else(|fault| fault.into_error(request.uri()))?,
        };
        // The whole body "arrives" at once, as the response is returned.
        if let Some(progress) = request.extensions().get::<ReceiveProgress>() {
            progress.add(response.body().len() as u64);
        }
        Ok(response)
    }
}

impl HttpTransport for FakeTransport {
    fn send(
        &self,
        request: Request<Bytes>,
    ) -> BoxFuture<'_, Result<Response<Bytes>, TransportError>> {
        Box::pin(self.exchange(request))
    }

    /// Yes: a request's body is counted in its [`Progress`] as the simulated link sends it.
    fn reports_progress(&self) -> bool {
        true
    }

    /// Yes: a response's whole body is counted in the request's [`ReceiveProgress`] when the
    /// response is returned (the fake has no body in flight to count piece by piece).
    fn reports_receive_progress(&self) -> bool {
        true
    }
}
