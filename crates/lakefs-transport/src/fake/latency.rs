//! Simulated network: a fixed delay and jitter per request, a per-request bandwidth cap and a
//! link that all requests share.

use std::time::Duration;

use bytes::Bytes;
use http::Request;

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

/// A latency model being applied: the model, its jitter generator and the shared link's
/// queue.
pub(super) struct LatencyState {
    latency: Latency,
    rng: fastrand::Rng,
    /// When the shared link has sent every body queued so far.
    link_free_at: Option<tokio::time::Instant>,
}

impl LatencyState {
    pub(super) fn new(latency: Latency) -> Self {
        let rng = fastrand::Rng::with_seed(latency.seed);
        Self {
            latency,
            rng,
            link_free_at: None,
        }
    }

    /// How long `request` takes on the simulated network — the fixed latency, and the time
    /// its body takes to go out; queues its body on the shared link.
    pub(super) fn delay_for(&mut self, request: &Request<Bytes>) -> (Duration, Duration) {
        let Self {
            latency,
            rng,
            link_free_at,
        } = self;
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
        (latency.base + jitter, own.max(shared))
    }
}
