//! The self-check: real loopback traffic through shapers of known settings, configured against
//! measured, printed as a Markdown table (`lakefs-bench-shaper --self-check`; run it in
//! release). The client runs in the same process, on the same cores, as the server.

use std::io::Write;
use std::net::SocketAddr;
use std::time::Duration;

use http_body_util::BodyExt;
use hyper::client::conn::http1::SendRequest;
use hyper::header::{HeaderValue, RANGE};
use hyper::{Method, Request, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use tokio::task::JoinSet;
use tokio::time::Instant;

use crate::units::format_rate;
use crate::{sheds, AnyBody, Shaper, GIB, MIB};

/// One connection of the self-check's client.
struct Client {
    sender: SendRequest<AnyBody>,
    _task: tokio::task::JoinHandle<()>,
}

/// What one request measured.
struct Exchange {
    status: StatusCode,
    /// From sending the request to the answer's head.
    ttfb: Duration,
    /// Response body bytes.
    bytes: u64,
}

impl Client {
    async fn connect(addr: SocketAddr) -> Result<Client, String> {
        let stream = TcpStream::connect(addr)
            .await
            .map_err(|e| format!("connect {addr}: {e}"))?;
        let _ = stream.set_nodelay(true);
        let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|e| format!("handshake: {e}"))?;
        let task = tokio::spawn(async move {
            let _ = connection.await;
        });
        Ok(Client {
            sender,
            _task: task,
        })
    }

    async fn exchange(
        &mut self,
        method: Method,
        range: Option<(u64, u64)>,
        upload: u64,
    ) -> Result<Exchange, String> {
        let body = if upload > 0 {
            AnyBody::synthetic(0, upload)
        } else {
            AnyBody::Empty
        };
        let mut request = Request::builder()
            .method(method)
            .uri("/bucket/key")
            .header("host", "127.0.0.1")
            .header("content-length", upload)
            .body(body)
            .map_err(|e| e.to_string())?;
        if let Some((start, end)) = range {
            let value = HeaderValue::from_str(&format!("bytes={start}-{}", end - 1))
                .map_err(|e| e.to_string())?;
            request.headers_mut().insert(RANGE, value);
        }
        self.sender
            .ready()
            .await
            .map_err(|e| format!("connection: {e}"))?;
        let sent = Instant::now();
        let response = self
            .sender
            .send_request(request)
            .await
            .map_err(|e| e.to_string())?;
        let ttfb = sent.elapsed();
        let status = response.status();
        let mut body = response.into_body();
        let mut bytes = 0;
        while let Some(frame) = body.frame().await {
            let frame = frame.map_err(|e| e.to_string())?;
            if let Some(data) = frame.data_ref() {
                bytes += data.len() as u64;
            }
        }
        Ok(Exchange {
            status,
            ttfb,
            bytes,
        })
    }

    async fn get(&mut self, bytes: u64) -> Result<Exchange, String> {
        let exchange = self.exchange(Method::GET, Some((0, bytes)), 0).await?;
        if exchange.status != StatusCode::PARTIAL_CONTENT || exchange.bytes != bytes {
            return Err(format!(
                "GET: {} with {} bytes",
                exchange.status, exchange.bytes
            ));
        }
        Ok(exchange)
    }

    async fn put(&mut self, bytes: u64) -> Result<Exchange, String> {
        let exchange = self.exchange(Method::PUT, None, bytes).await?;
        if exchange.status != StatusCode::OK {
            return Err(format!("PUT: {}", exchange.status));
        }
        Ok(exchange)
    }
}

/// Aggregate and per-connection rates of `connections` connections each moving `each` bytes
/// (GET when `upload` is false, PUT otherwise) in requests of at most `request` bytes.
struct Spread {
    aggregate: f64,
    slowest: f64,
    fastest: f64,
}

async fn transfer(
    shaper: &Shaper,
    connections: usize,
    each: u64,
    request: u64,
    upload: bool,
) -> Result<Spread, String> {
    let addr = shaper.addr();
    let mut tasks = JoinSet::new();
    let start = Instant::now();
    for _ in 0..connections {
        tasks.spawn(async move {
            let mut client = Client::connect(addr).await?;
            let begun = Instant::now();
            let mut left = each;
            while left > 0 {
                let n = left.min(request);
                if upload {
                    client.put(n).await?;
                } else {
                    client.get(n).await?;
                }
                left -= n;
            }
            Ok::<f64, String>(each as f64 / begun.elapsed().as_secs_f64())
        });
    }
    let mut rates = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        rates.push(joined.map_err(|e| e.to_string())??);
    }
    let elapsed = start.elapsed().as_secs_f64();
    Ok(Spread {
        aggregate: (each * connections as u64) as f64 / elapsed,
        slowest: rates.iter().copied().fold(f64::INFINITY, f64::min),
        fastest: rates.iter().copied().fold(0.0, f64::max),
    })
}

fn row(out: &mut impl Write, cells: &[&str]) {
    let _ = writeln!(out, "| {} |", cells.join(" | "));
    let _ = out.flush();
}

fn start_error(e: crate::Error) -> String {
    e.to_string()
}

fn plural(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1e3)
}

/// Runs every check and prints the table to `out`; takes about a minute.
pub async fn run(out: &mut impl Write) -> Result<(), String> {
    row(
        out,
        &["check", "configured", "expected", "measured", "detail"],
    );
    row(out, &["---", "---", "---", "---", "---"]);

    // Per-connection rate, one connection, each direction.
    let per = 25 * MIB;
    let shaper = Shaper::builder()
        .per_connection(per)
        .sink(GIB)
        .start()
        .await
        .map_err(start_error)?;
    for upload in [false, true] {
        let spread = transfer(&shaper, 1, 50 * MIB, 50 * MIB, upload).await?;
        let what = if upload {
            "per connection, PUT 50 MiB"
        } else {
            "per connection, GET 50 MiB"
        };
        row(
            out,
            &[
                what,
                &format_rate(per as f64),
                &format_rate(per as f64),
                &format_rate(spread.aggregate),
                "1 connection",
            ],
        );
    }
    drop(shaper);

    // The link cap split among connections, each direction.
    let link = 400 * MIB;
    let shaper = Shaper::builder()
        .per_connection(per)
        .link(link)
        .sink(GIB)
        .start()
        .await
        .map_err(start_error)?;
    for (connections, upload) in [(1, false), (4, false), (16, false), (32, false), (32, true)] {
        let expected = (per * connections as u64).min(link);
        // About two seconds of traffic, in requests of up to 8 MiB.
        let each = expected * 2 / connections as u64;
        let spread = transfer(&shaper, connections, each, 8 * MIB, upload).await?;
        let verb = if upload { "PUT" } else { "GET" };
        row(
            out,
            &[
                &format!("link, {}, {verb}", plural(connections, "connection")),
                &format!(
                    "{} each, link {}",
                    format_rate(per as f64),
                    format_rate(link as f64)
                ),
                &format_rate(expected as f64),
                &format_rate(spread.aggregate),
                &format!(
                    "per connection {} .. {}",
                    format_rate(spread.slowest),
                    format_rate(spread.fastest)
                ),
            ],
        );
    }
    drop(shaper);

    // Shaping at a high rate: a 1 GiB/s link.
    let link = GIB;
    let shaper = Shaper::builder()
        .link(link)
        .sink(4 * GIB)
        .start()
        .await
        .map_err(start_error)?;
    for upload in [false, true] {
        let spread = transfer(&shaper, 4, 512 * MIB, 64 * MIB, upload).await?;
        let verb = if upload { "PUT" } else { "GET" };
        row(
            out,
            &[
                &format!("shaped link, 4 connections, {verb}"),
                &format!("link {}", format_rate(link as f64)),
                &format_rate(link as f64),
                &format_rate(spread.aggregate),
                &format!(
                    "per connection {} .. {}",
                    format_rate(spread.slowest),
                    format_rate(spread.fastest)
                ),
            ],
        );
    }
    drop(shaper);

    // Latency: time to first byte of small GETs on one connection.
    let latency = Duration::from_millis(20);
    let shaper = Shaper::builder()
        .latency(latency)
        .sink(GIB)
        .start()
        .await
        .map_err(start_error)?;
    let mut client = Client::connect(shaper.addr()).await?;
    let mut ttfbs = Vec::new();
    for _ in 0..100 {
        ttfbs.push(client.get(1).await?.ttfb);
    }
    ttfbs.sort();
    row(
        out,
        &[
            "latency, 100 GETs of 1 byte",
            &ms(latency),
            &ms(latency),
            &format!("median {}", ms(ttfbs[50])),
            &format!(
                "min {}, p99 {}, max {}",
                ms(ttfbs[0]),
                ms(ttfbs[98]),
                ms(ttfbs[99])
            ),
        ],
    );
    drop(client);
    drop(shaper);

    // 503 SlowDown share: 8 connections, 5000 HEADs.
    let (p, seed, requests, connections) = (0.02, 1, 5000u64, 8u64);
    let shaper = Shaper::builder()
        .slowdown(p)
        .seed(seed)
        .sink(GIB)
        .start()
        .await
        .map_err(start_error)?;
    let mut tasks = JoinSet::new();
    for _ in 0..connections {
        let addr = shaper.addr();
        tasks.spawn(async move {
            let mut client = Client::connect(addr).await?;
            let mut shed = 0u64;
            for _ in 0..requests / connections {
                let exchange = client.exchange(Method::HEAD, None, 0).await?;
                match exchange.status {
                    StatusCode::OK => {}
                    StatusCode::SERVICE_UNAVAILABLE => shed += 1,
                    other => return Err(format!("HEAD: {other}")),
                }
            }
            Ok::<u64, String>(shed)
        });
    }
    let mut shed = 0;
    while let Some(joined) = tasks.join_next().await {
        shed += joined.map_err(|e| e.to_string())??;
    }
    let expected = (0..requests).filter(|i| sheds(seed, p, *i)).count();
    row(
        out,
        &[
            &format!("503 SlowDown, {requests} HEADs on {connections} connections"),
            &format!("p = {p}, seed {seed}"),
            &format!(
                "{expected} ({:.2} %)",
                expected as f64 * 100.0 / requests as f64
            ),
            &format!("{shed} ({:.2} %)", shed as f64 * 100.0 / requests as f64),
            &format!("server counted {}", shaper.stats().slowdowns),
        ],
    );
    drop(shaper);

    // The most the sink moves unshaped (client and server share the machine's cores).
    let shaper = Shaper::builder()
        .sink(8 * GIB)
        .start()
        .await
        .map_err(start_error)?;
    for (connections, upload) in [(1, false), (2, false), (4, false), (1, true), (2, true)] {
        let each = 4 * GIB / connections as u64;
        let spread = transfer(&shaper, connections, each, 256 * MIB, upload).await?;
        let verb = if upload { "PUT" } else { "GET" };
        row(
            out,
            &[
                &format!(
                    "unshaped sink, {}, {verb} 4 GiB",
                    plural(connections, "connection")
                ),
                "no limits",
                "-",
                &format_rate(spread.aggregate),
                &format!(
                    "per connection {} .. {}",
                    format_rate(spread.slowest),
                    format_rate(spread.fastest)
                ),
            ],
        );
    }
    Ok(())
}
