//! A shaped-link test bed for the benchmarks (not part of the SDK).
//!
//! [`Shaper`] is an HTTP/1.1 server on loopback that behaves like a link to an S3 server:
//!
//! - each TCP connection gets at most `per_connection` bytes/s in each direction,
//! - all connections together get at most `link` bytes/s in each direction (a shared bucket),
//! - each answer's head is held back `latency` after its request's head arrived,
//! - a share `slowdown` of requests (drawn from a seeded generator) is answered
//!   `503 SlowDown` with S3's XML error body, after the request body was read.
//!
//! In [`sink`](Builder::sink) mode it is the S3 server: PUT reads and discards the body and
//! answers an `ETag`; GET and HEAD serve a synthetic object ([`pattern_byte`]) with ranges. In
//! [`proxy`](Builder::proxy) mode it forwards every request unchanged (method, path, query and
//! all headers, `Host` included, so SigV4 signatures still verify) to a real S3 server.
//!
//! Shaping happens on body frames as they pass ([`Shaped`]): frames are split into chunks of at
//! most [`CHUNK`] bytes and each waits for its tokens ([`TokenBucket`]) before it is forwarded,
//! so that TCP backpressure slows the real client. Times are tokio's, so tests can pause them.
//!
//! ```no_run
//! # async fn run() -> Result<(), lakefs_bench_shaper::Error> {
//! use lakefs_bench_shaper::{Shaper, MIB};
//! use std::time::Duration;
//! let shaper = Shaper::builder()
//!     .per_connection(25 * MIB)
//!     .latency(Duration::from_millis(20))
//!     .link(400 * MIB)
//!     .slowdown(0.02)
//!     .seed(1)
//!     .sink(64 * MIB) // or .proxy("http://127.0.0.1:9000")
//!     .start()
//!     .await?;
//! println!("S3 endpoint: {}", shaper.url());
//! # Ok(()) }
//! ```

use std::fmt;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

mod body;
mod bucket;
mod multipart;
pub mod self_check;
mod server;
pub mod units;

pub use body::{drain, pattern_byte, AnyBody, Shaped};
pub use bucket::{Limits, TokenBucket, BURST_WINDOW, MIN_BURST};

/// Shaped frames are split into chunks of at most this many bytes.
pub const CHUNK: usize = 64 * 1024;

/// 2^10 bytes.
pub const KIB: u64 = 1 << 10;
/// 2^20 bytes.
pub const MIB: u64 = 1 << 20;
/// 2^30 bytes.
pub const GIB: u64 = 1 << 30;

/// S3's answer to a request it sheds.
pub const SLOWDOWN_BODY: &str =
    "<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>";

/// What the server is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mode {
    /// The S3 server itself: PUT discards, GET and HEAD serve a synthetic object of this size.
    Sink {
        /// The size of every object GET and HEAD answer for.
        object_size: u64,
    },
    /// A link to a real server at this base URL (`http://host:port`).
    Proxy {
        /// The upstream base URL as given.
        upstream: String,
    },
}

/// How the link behaves.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// The address to listen on (default `127.0.0.1:0`).
    pub listen: SocketAddr,
    /// Bytes/s for each connection in each direction (`None`: unlimited).
    pub per_connection: Option<u64>,
    /// Bytes/s for all connections together in each direction (`None`: unlimited).
    pub link: Option<u64>,
    /// How long after a request's head arrived its answer's head leaves.
    pub latency: Duration,
    /// The probability of a `503 SlowDown` per request.
    pub slowdown: f64,
    /// Seeds the generator that draws the `503`s.
    pub seed: u64,
    /// Sink or proxy.
    pub mode: Mode,
}

/// Builds a [`Shaper`]; see [`Shaper::builder`].
#[derive(Debug, Clone)]
#[must_use]
pub struct Builder {
    listen: SocketAddr,
    per_connection: Option<u64>,
    link: Option<u64>,
    latency: Duration,
    slowdown: f64,
    seed: u64,
    mode: Option<Mode>,
}

impl Builder {
    /// The address to listen on (default `127.0.0.1:0`, a free port).
    pub fn listen(mut self, addr: SocketAddr) -> Self {
        self.listen = addr;
        self
    }

    /// Bytes/s for each TCP connection in each direction (`None`: unlimited, the default).
    pub fn per_connection(mut self, rate: impl Into<Option<u64>>) -> Self {
        self.per_connection = rate.into();
        self
    }

    /// Bytes/s for all connections together in each direction (`None`: unlimited, the default).
    pub fn link(mut self, rate: impl Into<Option<u64>>) -> Self {
        self.link = rate.into();
        self
    }

    /// Time to first byte: each answer's head leaves this long after its request's head
    /// arrived, or when the answer is ready if that is later (default zero).
    pub fn latency(mut self, latency: Duration) -> Self {
        self.latency = latency;
        self
    }

    /// The probability, in `[0, 1]`, that a request is answered `503 SlowDown` (default 0).
    pub fn slowdown(mut self, probability: f64) -> Self {
        self.slowdown = probability;
        self
    }

    /// Seeds the `503` draws: the same seed sheds the same requests, by arrival order
    /// (default 0).
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Sink mode: be the S3 server, with objects of `object_size` bytes.
    pub fn sink(mut self, object_size: u64) -> Self {
        self.mode = Some(Mode::Sink { object_size });
        self
    }

    /// Proxy mode: forward every request to `upstream` (`http://host:port`).
    pub fn proxy(mut self, upstream: impl Into<String>) -> Self {
        self.mode = Some(Mode::Proxy {
            upstream: upstream.into(),
        });
        self
    }

    /// The configuration, checked.
    pub fn config(&self) -> Result<Config, Error> {
        let mode = self.mode.clone().ok_or_else(|| {
            Error::Config("no mode: call .sink(object_size) or .proxy(url)".into())
        })?;
        if let Mode::Proxy { upstream } = &mode {
            server::upstream_authority(upstream)?;
        }
        if !(0.0..=1.0).contains(&self.slowdown) {
            return Err(Error::Config(format!(
                "slowdown {} is not a probability in [0, 1]",
                self.slowdown
            )));
        }
        for (name, rate) in [("per-connection", self.per_connection), ("link", self.link)] {
            if rate == Some(0) {
                return Err(Error::Config(format!(
                    "{name} rate 0: no byte would pass (leave it unset for unlimited)"
                )));
            }
        }
        Ok(Config {
            listen: self.listen,
            per_connection: self.per_connection,
            link: self.link,
            latency: self.latency,
            slowdown: self.slowdown,
            seed: self.seed,
            mode,
        })
    }

    /// Binds and starts serving.
    pub async fn start(self) -> Result<Shaper, Error> {
        server::start(self.config()?).await
    }
}

/// Counters since the server started.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// Requests whose head arrived.
    pub requests: u64,
    /// Requests answered `503 SlowDown`.
    pub slowdowns: u64,
    /// Request body bytes read from clients.
    pub bytes_in: u64,
    /// Response body bytes passed to clients.
    pub bytes_out: u64,
    /// TCP connections accepted.
    pub connections: u64,
}

#[derive(Debug, Default)]
struct Counters {
    requests: AtomicU64,
    slowdowns: AtomicU64,
    bytes_in: Arc<AtomicU64>,
    bytes_out: Arc<AtomicU64>,
    connections: AtomicU64,
}

impl Counters {
    fn snapshot(&self) -> Stats {
        Stats {
            requests: self.requests.load(Ordering::Relaxed),
            slowdowns: self.slowdowns.load(Ordering::Relaxed),
            bytes_in: self.bytes_in.load(Ordering::Relaxed),
            bytes_out: self.bytes_out.load(Ordering::Relaxed),
            connections: self.connections.load(Ordering::Relaxed),
        }
    }
}

/// A running shaped link. Dropping it stops the server and every connection it serves.
#[derive(Debug)]
pub struct Shaper {
    addr: SocketAddr,
    config: Config,
    counters: Arc<Counters>,
    task: tokio::task::JoinHandle<()>,
}

impl Shaper {
    /// A builder with no limits, no latency, no `503`s, listening on `127.0.0.1:0`.
    pub fn builder() -> Builder {
        Builder {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            per_connection: None,
            link: None,
            latency: Duration::ZERO,
            slowdown: 0.0,
            seed: 0,
            mode: None,
        }
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://ADDR`, the S3 endpoint to give clients.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// How it was configured.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The counters now.
    pub fn stats(&self) -> Stats {
        self.counters.snapshot()
    }
}

impl Drop for Shaper {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Why the shaper could not start.
#[derive(Debug)]
pub enum Error {
    /// A setting is out of range or missing.
    Config(String),
    /// The listening socket could not be bound.
    Bind(SocketAddr, std::io::Error),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Config(message) => f.write_str(message),
            Error::Bind(addr, error) => write!(f, "cannot listen on {addr}: {error}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Config(_) => None,
            Error::Bind(_, error) => Some(error),
        }
    }
}

/// Whether request number `index` (0-based, by arrival) is shed, for `seed` and probability
/// `p`: a pure function, so the same seed sheds the same requests.
pub fn sheds(seed: u64, p: f64, index: u64) -> bool {
    if p <= 0.0 {
        return false;
    }
    let x = splitmix64(seed ^ splitmix64(index));
    // The top 53 bits as a uniform number in [0, 1).
    ((x >> 11) as f64 / (1u64 << 53) as f64) < p
}

/// SplitMix64's output function: a cheap, well-mixed hash of a 64-bit number.
fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A cheap synthetic quoted ETag (32 hex digits, like an MD5's) for a name and a size.
pub fn synthetic_etag(name: &[u8], size: u64) -> String {
    // FNV-1a over the name, then mixed with the size.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in name {
        h = (h ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3);
    }
    let a = splitmix64(h ^ size);
    let b = splitmix64(a ^ size.rotate_left(32));
    format!("\"{a:016x}{b:016x}\"")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sheds_draws_about_p_and_the_same_for_the_same_seed() {
        let count = |seed| (0..100_000).filter(|i| sheds(seed, 0.02, *i)).count();
        let a = count(1);
        assert_eq!(a, count(1));
        assert_ne!(a, count(2));
        // 2000 expected, sigma about 44.
        assert!((1800..2200).contains(&a), "{a}");
        assert!(!(0..1000).any(|i| sheds(1, 0.0, i)));
        assert!((0..1000).all(|i| sheds(1, 1.0, i)));
    }

    #[test]
    fn synthetic_etags_are_quoted_hex_and_depend_on_name_and_size() {
        let e = synthetic_etag(b"/b/k?partNumber=1", 5);
        assert_eq!(e.len(), 34);
        assert!(e.starts_with('"') && e.ends_with('"'));
        assert!(e[1..33].chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(e, synthetic_etag(b"/b/k?partNumber=2", 5));
        assert_ne!(e, synthetic_etag(b"/b/k?partNumber=1", 6));
    }

    #[test]
    fn a_builder_without_mode_or_with_bad_values_is_refused() {
        let message = |b: Builder| b.config().unwrap_err().to_string();
        assert!(message(Shaper::builder()).contains("no mode"));
        assert!(message(Shaper::builder().sink(1).slowdown(1.5)).contains("slowdown 1.5"));
        assert!(message(Shaper::builder().sink(1).link(0)).contains("link rate 0"));
        assert!(message(Shaper::builder().proxy("https://x:1")).contains("https://x:1"));
        assert!(Shaper::builder()
            .proxy("http://127.0.0.1:9000")
            .config()
            .is_ok());
    }
}
