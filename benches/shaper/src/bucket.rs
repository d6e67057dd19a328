//! Token buckets: the per-connection and link bandwidth limits.
//!
//! A bucket holds up to `burst` tokens (bytes) and gains `rate` of them each second. Taking `n`
//! bytes always succeeds at once, possibly into debt, and answers the instant at which the debt
//! is paid: the caller waits until then before it forwards the bytes. Callers sharing a bucket
//! thus queue in the order they asked, so a link cap is split evenly among connections that each
//! ask for one chunk at a time. Oversleeping (tokio's timer has a 1 ms grain) loses nothing while
//! the bucket is in debt, and at most what overflows `burst` otherwise: `burst` is at least
//! [`BURST_WINDOW`] of traffic.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::Instant;

/// The burst is at least this long at the bucket's rate, so that the timer's grain (1 ms) and
/// scheduling delays cost no throughput.
pub const BURST_WINDOW: Duration = Duration::from_millis(10);

/// The burst is at least this many bytes (two chunks).
pub const MIN_BURST: u64 = 2 * crate::CHUNK as u64;

/// A token bucket of bytes, shared by reference.
#[derive(Debug)]
pub struct TokenBucket {
    rate: f64,
    burst: f64,
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    tokens: f64,
    last: Instant,
}

impl TokenBucket {
    /// A full bucket of `rate` bytes per second (at least 1) and the default burst: the larger
    /// of [`MIN_BURST`] and [`BURST_WINDOW`] at `rate`.
    pub fn new(rate: u64) -> Self {
        let burst = (rate as f64 * BURST_WINDOW.as_secs_f64()).max(MIN_BURST as f64);
        Self::with_burst(rate, burst as u64)
    }

    /// A full bucket of `rate` bytes per second (at least 1) holding at most `burst` bytes.
    pub fn with_burst(rate: u64, burst: u64) -> Self {
        let burst = burst as f64;
        TokenBucket {
            rate: rate.max(1) as f64,
            burst,
            state: Mutex::new(State {
                tokens: burst,
                last: Instant::now(),
            }),
        }
    }

    /// Bytes per second.
    pub fn rate(&self) -> u64 {
        self.rate as u64
    }

    /// The most bytes that pass at once after a pause.
    pub fn burst(&self) -> u64 {
        self.burst as u64
    }

    /// Takes `n` bytes; answers when they may pass (now, or later when the bucket is in debt).
    pub fn reserve(&self, n: usize) -> Instant {
        let mut state = self
            .state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let now = Instant::now();
        let elapsed = now.saturating_duration_since(state.last).as_secs_f64();
        state.tokens = (state.tokens + elapsed * self.rate).min(self.burst);
        state.last = now.max(state.last);
        state.tokens -= n as f64;
        if state.tokens >= 0.0 {
            now
        } else {
            now + Duration::from_secs_f64(-state.tokens / self.rate)
        }
    }
}

/// The buckets one direction of one connection draws from: its own and the link's.
#[derive(Debug, Clone, Default)]
pub struct Limits {
    /// This connection's bucket, in this direction.
    pub connection: Option<Arc<TokenBucket>>,
    /// The bucket all connections share, in this direction.
    pub link: Option<Arc<TokenBucket>>,
}

impl Limits {
    /// No limit at all: bytes pass as they come.
    pub fn is_unlimited(&self) -> bool {
        self.connection.is_none() && self.link.is_none()
    }

    /// Takes `n` bytes from both buckets; answers when they may pass.
    pub fn reserve(&self, n: usize) -> Instant {
        let connection = self.connection.as_ref().map(|bucket| bucket.reserve(n));
        let link = self.link.as_ref().map(|bucket| bucket.reserve(n));
        match (connection, link) {
            (Some(a), Some(b)) => a.max(b),
            (Some(a), None) | (None, Some(a)) => a,
            (None, None) => Instant::now(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIB: u64 = 1 << 20;

    /// Pumps `total` bytes through `limits` in chunks of `chunk`, waiting as a shaped body does;
    /// answers the (paused-clock) time it took.
    async fn pump(limits: Limits, total: u64, chunk: usize) -> Duration {
        let start = Instant::now();
        let mut left = total;
        while left > 0 {
            let n = (chunk as u64).min(left) as usize;
            tokio::time::sleep_until(limits.reserve(n)).await;
            left -= n as u64;
        }
        start.elapsed()
    }

    fn secs(d: Duration) -> f64 {
        d.as_secs_f64()
    }

    #[tokio::test(start_paused = true)]
    async fn a_full_bucket_lets_its_burst_pass_at_once_then_the_rate() {
        let bucket = TokenBucket::with_burst(MIB, 256 * 1024);
        let now = Instant::now();
        assert_eq!(bucket.reserve(256 * 1024), now, "the burst passes at once");
        // Then 1 MiB at 1 MiB/s takes a second.
        assert_eq!(bucket.reserve(MIB as usize), now + Duration::from_secs(1));
        // In debt, the next ask queues behind the first.
        assert_eq!(
            bucket.reserve(512 * 1024),
            now + Duration::from_millis(1500)
        );
        // After the debt is paid and a long pause, the bucket refills to its burst only.
        tokio::time::sleep(Duration::from_secs(10)).await;
        let later = Instant::now();
        assert_eq!(bucket.reserve(256 * 1024), later);
        assert_eq!(
            bucket.reserve(1024),
            later + Duration::from_secs_f64(1024.0 / MIB as f64)
        );
    }

    #[test]
    fn the_default_burst_is_ten_milliseconds_of_traffic_or_two_chunks() {
        assert_eq!(TokenBucket::new(MIB).burst(), MIN_BURST);
        assert_eq!(TokenBucket::new(1000 * MIB).burst(), 10 * MIB);
        assert_eq!(
            TokenBucket::new(0).rate(),
            1,
            "a zero rate is one byte per second"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn one_connection_passes_at_its_rate() {
        let limits = Limits {
            connection: Some(Arc::new(TokenBucket::new(10 * MIB))),
            link: None,
        };
        let burst = MIN_BURST;
        let took = pump(limits, 100 * MIB, crate::CHUNK).await;
        // All but the first burst at 10 MiB/s.
        let expected = (100 * MIB - burst) as f64 / (10 * MIB) as f64;
        assert!(
            (secs(took) - expected).abs() < 0.001,
            "took {took:?}, expected {expected} s"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn the_link_is_split_evenly_among_connections() {
        let link = Arc::new(TokenBucket::new(40 * MIB));
        let burst = link.burst();
        let mut tasks = tokio::task::JoinSet::new();
        for _ in 0..4 {
            let limits = Limits {
                connection: None,
                link: Some(link.clone()),
            };
            tasks.spawn(pump(limits, 40 * MIB, crate::CHUNK));
        }
        let took: Vec<f64> = tasks.join_all().await.into_iter().map(secs).collect();
        // 160 MiB at 40 MiB/s (less the burst): 4 s, and all four finish together (within
        // the first one's head start from the burst).
        let expected = (160 * MIB - burst) as f64 / (40 * MIB) as f64;
        for t in &took {
            assert!(
                (t - expected).abs() < 0.05,
                "took {took:?}, expected {expected} s each"
            );
        }
    }

    #[tokio::test(start_paused = true)]
    async fn the_smaller_of_connection_and_link_share_wins() {
        let link = Arc::new(TokenBucket::new(100 * MIB));
        let mut tasks = tokio::task::JoinSet::new();
        // Two connections capped at 10 MiB/s each: the 100 MiB/s link does not bind.
        for _ in 0..2 {
            let limits = Limits {
                connection: Some(Arc::new(TokenBucket::new(10 * MIB))),
                link: Some(link.clone()),
            };
            tasks.spawn(pump(limits, 20 * MIB, crate::CHUNK));
        }
        for t in tasks.join_all().await.into_iter().map(secs) {
            assert!(
                (t - 2.0).abs() < 0.05,
                "took {t} s, expected about 2 s at 10 MiB/s"
            );
        }
        // Twenty connections at 10 MiB/s each: the link binds, each gets 5 MiB/s.
        let link = Arc::new(TokenBucket::new(100 * MIB));
        let mut tasks = tokio::task::JoinSet::new();
        for _ in 0..20 {
            let limits = Limits {
                connection: Some(Arc::new(TokenBucket::new(10 * MIB))),
                link: Some(link.clone()),
            };
            tasks.spawn(pump(limits, 10 * MIB, crate::CHUNK));
        }
        for t in tasks.join_all().await.into_iter().map(secs) {
            assert!(
                (t - 2.0).abs() < 0.05,
                "took {t} s, expected about 2 s at 5 MiB/s"
            );
        }
    }

    #[tokio::test(start_paused = true)]
    async fn no_bucket_means_no_wait() {
        let limits = Limits::default();
        assert!(limits.is_unlimited());
        assert_eq!(pump(limits, 10 * MIB, crate::CHUNK).await, Duration::ZERO);
    }
}
