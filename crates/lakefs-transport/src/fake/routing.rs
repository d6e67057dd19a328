//! Routing and recording: path patterns, routes with their counters, recorded requests, and
//! the helpers handlers build responses with.

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use bytes::Bytes;
use http::{HeaderMap, Method, Request, Response, StatusCode, Uri};

use super::{Fault, Reply};

/// A route's handler.
pub(super) type Handler = dyn Fn(&Request<Bytes>, &PathParams) -> Reply + Send + Sync;

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
pub(super) struct PathPattern(Vec<Segment>);

#[derive(Debug, Clone)]
enum Segment {
    Literal(String),
    One(String),
    Rest(String),
}

impl PathPattern {
    pub(super) fn parse(pattern: &str) -> Self {
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

pub(super) enum Responder {
    Handler(Arc<Handler>),
    Queue(VecDeque<Reply>),
}

pub(super) struct Route {
    pub(super) method: Option<Method>,
    pub(super) pattern: PathPattern,
    pub(super) responder: Responder,
    pub(super) stats: Arc<RouteStats>,
}

#[derive(Default)]
pub(super) struct RouteStats {
    calls: AtomicUsize,
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
}

/// Counters of one route: how often it was called and how many of its requests were in
/// flight at once (latency included).
#[derive(Clone)]
pub struct RouteHandle(pub(super) Arc<RouteStats>);

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
pub(super) struct InFlight(Arc<RouteStats>);

impl InFlight {
    pub(super) fn enter(stats: Arc<RouteStats>) -> Self {
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

/// Picks the responder for `request` among `routes`, in order: a handler to call or a queued
/// reply. With `consume` false (the request is failed by a fault before it reaches the
/// server) a queued reply stays queued.
pub(super) fn dispatch(
    routes: &mut [Route],
    request: &Request<Bytes>,
    consume: bool,
) -> Option<(Dispatch, Arc<RouteStats>)> {
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

pub(super) enum Dispatch {
    Call(Arc<Handler>, PathParams),
    Reply(Reply),
    /// The request never reaches the route (a fault answers it).
    Skip,
}

impl Dispatch {
    pub(super) fn run(self, request: &Request<Bytes>) -> Reply {
        match self {
            Self::Call(handler, params) => handler(request, &params),
            Self::Reply(reply) => reply,
            Self::Skip => Err(Fault::Reset),
        }
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
