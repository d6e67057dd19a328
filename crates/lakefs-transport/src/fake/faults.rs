//! Fault injection: [`Fault`]s a handler or a queue can answer with, and a seeded
//! [`FaultPlan`] that fails a share of the requests.

use std::time::Duration;

use bytes::Bytes;
use http::{Method, Request, Response, StatusCode, Uri};

use super::routing::response;
use crate::{RedactedUri, TimeoutPhase, TransportError};

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
    /// Connect, then never send a byte nor answer: a stalled connection. The request never
    /// ends on its own; the caller's timeout or stall detection must end it.
    Stall,
}

impl Fault {
    pub(super) fn into_error(self, uri: &Uri) -> Result<Response<Bytes>, TransportError> {
        let uri = RedactedUri::new(uri);
        Err(match self {
            Self::Status(status) => return Ok(response(status, Bytes::new())),
            Self::ConnectionRefused => TransportError::connect(
                uri,
                std::io::Error::from(std::io::ErrorKind::ConnectionRefused),
            ),
            Self::Reset | Self::ResetAfterHandling => TransportError::io(
                uri,
                std::io::Error::from(std::io::ErrorKind::ConnectionReset),
            ),
            Self::Timeout | Self::Stall => {
                TransportError::timeout(uri, TimeoutPhase::Request, Duration::ZERO)
            }
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

/// A fault plan being applied: the plan and the generator its choices come from.
pub(super) struct FaultState {
    plan: FaultPlan,
    rng: fastrand::Rng,
}

impl FaultState {
    pub(super) fn new(plan: FaultPlan) -> Self {
        let rng = fastrand::Rng::with_seed(plan.seed);
        Self { plan, rng }
    }

    /// The fault to answer `request` with, if the plan picks one.
    pub(super) fn pick(&mut self, request: &Request<Bytes>) -> Option<Fault> {
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
