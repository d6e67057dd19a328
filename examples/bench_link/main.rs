//! Parts in flight on shaped links: `concurrency: auto` against every fixed setting, for
//! uploads and downloads, through the shaped-link test bed (`benches/shaper`). Run in release:
//!
//! ```sh
//! cargo run --release --example bench_link                          # every profile, both ways
//! cargo run --release --example bench_link -- --only upload --runs 3 --profile 1
//! ```
//!
//! Each profile is a link: a latency per request (time to the answer's head), a bandwidth per
//! connection, a cap for the whole link, and optionally a share of requests answered
//! `503 SlowDown`. The shaper runs as a sink (it drops part PUTs and serves synthetic bytes to
//! ranged GETs), behind a minimal lakeFS on loopback that presigns to it, so the figures are
//! the engines' schedules on that link, not a store's speed. Each round runs every setting
//! once, in an order that rotates; a cell is the median of its rounds. The sweep's best fixed
//! setting is the bar auto is held to (≥ 0.90), and the old fixed defaults (8 parts for
//! uploads, 10 for downloads) the one it must beat where they are far from the knee.

mod front;
#[path = "../../benches/support/mod.rs"]
mod support;

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use front::{Front, Served};
use lakefs::multipart::{AutoConcurrency, PartSlots, UploadConfig, UploadSource, Uploader};
use lakefs::transport::HyperTransport;
use lakefs_bench_shaper::{synthetic_etag, Shaper};
use lakefs_download::{DownloadConfig, Downloader};
use support::{sink_client, spread, MIB};

type Error = Box<dyn std::error::Error + Send + Sync>;

/// One shaped link.
struct Profile {
    name: &'static str,
    latency_ms: u64,
    per_connection_mib: u64,
    link_mib: u64,
    slowdown: f64,
    /// Bytes per run: about ten seconds at the link's cap.
    size_mib: u64,
}

const PROFILES: [Profile; 4] = [
    Profile {
        name: "20 ms, 25 MiB/s per connection, 400 MiB/s link",
        latency_ms: 20,
        per_connection_mib: 25,
        link_mib: 400,
        slowdown: 0.0,
        size_mib: 4096,
    },
    Profile {
        name: "80 ms, 10 MiB/s per connection, 100 MiB/s link",
        latency_ms: 80,
        per_connection_mib: 10,
        link_mib: 100,
        slowdown: 0.0,
        size_mib: 1024,
    },
    Profile {
        name: "5 ms, 100 MiB/s per connection, 1 GiB/s link",
        latency_ms: 5,
        per_connection_mib: 100,
        link_mib: 1024,
        slowdown: 0.0,
        size_mib: 8192,
    },
    Profile {
        name: "20 ms, 25 MiB/s per connection, 400 MiB/s link, 2 % 503 SlowDown",
        latency_ms: 20,
        per_connection_mib: 25,
        link_mib: 400,
        slowdown: 0.02,
        size_mib: 4096,
    },
];

const PART_SIZE: u64 = 8 * MIB;
const FIXED: [usize; 5] = [4, 8, 16, 32, 64];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Setting {
    Auto,
    Fixed(usize),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Direction {
    Upload,
    Download,
}

impl Direction {
    fn default_fixed(self) -> usize {
        match self {
            Self::Upload => 8,
            Self::Download => 10,
        }
    }
}

/// One run: its time, and for auto the parts in flight it ended at and the most it allowed.
struct Run {
    elapsed: Duration,
    limits: Option<(usize, usize)>,
}

fn main() -> Result<(), Error> {
    let (mut only, mut runs, mut profile_only) = (None::<String>, 3usize, None::<usize>);
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--only" => only = Some(args.next().ok_or("--only needs upload or download")?),
            "--runs" => runs = args.next().ok_or("--runs needs a number")?.parse()?,
            "--profile" => {
                let n: usize = args.next().ok_or("--profile needs 1 to 4")?.parse()?;
                if !(1..=PROFILES.len()).contains(&n) {
                    return Err(format!("--profile {n}: there are profiles 1 to 4").into());
                }
                profile_only = Some(n);
            }
            other => return Err(format!("unknown argument {other:?}").into()),
        }
    }
    if let Some(only) = only.as_deref() {
        if !["upload", "download"].contains(&only) {
            return Err(format!("--only {only:?}: say upload or download").into());
        }
    }
    let runs = runs.max(1);
    println!(
        "machine: {} cores; {runs} rounds per cell; 8 MiB parts",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    println!(
        "command: {}",
        std::iter::once("cargo run --release --example bench_link --".to_owned())
            .chain(std::env::args().skip(1))
            .collect::<Vec<_>>()
            .join(" ")
    );
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    for (index, profile) in PROFILES.iter().enumerate() {
        if profile_only.is_some_and(|n| n != index + 1) {
            continue;
        }
        for direction in [Direction::Upload, Direction::Download] {
            let wanted = match direction {
                Direction::Upload => "upload",
                Direction::Download => "download",
            };
            if only.as_deref().is_some_and(|o| o != wanted) {
                continue;
            }
            rt.block_on(table(index + 1, profile, direction, runs))?;
        }
    }
    Ok(())
}

async fn table(
    number: usize,
    profile: &Profile,
    direction: Direction,
    runs: usize,
) -> Result<(), Error> {
    let size = profile.size_mib * MIB;
    let shaper = Shaper::builder()
        .per_connection(profile.per_connection_mib * MIB)
        .link(profile.link_mib * MIB)
        .latency(Duration::from_millis(profile.latency_ms))
        .slowdown(profile.slowdown)
        .seed(number as u64)
        .sink(size)
        .start()
        .await?;
    let front = Front::start(Served {
        storage: shaper.url(),
        size,
        checksum: synthetic_etag(b"", size).trim_matches('"').to_owned(),
    })
    .await?;
    let client = sink_client(front.addr);
    let mut settings = vec![Setting::Auto];
    settings.extend(FIXED.map(Setting::Fixed));
    if !FIXED.contains(&direction.default_fixed()) {
        settings.push(Setting::Fixed(direction.default_fixed()));
    }
    let source = support::sparse_bytes(size);
    let destination = scratch_dir().join(format!("lakefs-bench-link-{}", std::process::id()));
    let mut times: Vec<Vec<Run>> = settings.iter().map(|_| Vec::new()).collect();
    for round in 0..runs {
        for step in 0..settings.len() {
            let which = (round + step) % settings.len();
            let run = match direction {
                Direction::Upload => upload(&client, settings[which], source.clone()).await?,
                Direction::Download => download(&client, settings[which], &destination).await?,
            };
            times[which].push(run);
        }
    }
    let _ = std::fs::remove_file(&destination);
    let stats = shaper.stats();
    let what = match direction {
        Direction::Upload => "Uploads",
        Direction::Download => "Downloads",
    };
    println!(
        "\n## {what}, profile {number}: {} ({} MiB per run)",
        profile.name, profile.size_mib
    );
    println!("| parts in flight | MiB/s (median, min–max) | ÷ best fixed |");
    println!("|---|---:|---:|");
    let rates: Vec<(f64, f64, f64)> = times
        .iter()
        .map(|runs| {
            let mut rates: Vec<f64> = runs
                .iter()
                .map(|r| size as f64 / MIB as f64 / r.elapsed.as_secs_f64())
                .collect();
            spread(&mut rates)
        })
        .collect();
    let (best_index, best) = settings
        .iter()
        .zip(&rates)
        .enumerate()
        .filter(|(_, (s, _))| matches!(s, Setting::Fixed(_)))
        .map(|(i, (_, r))| (i, r.0))
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .ok_or("no fixed setting")?;
    for ((setting, rate), runs) in settings.iter().zip(&rates).zip(&times) {
        let label = match setting {
            Setting::Auto => {
                let ended: Vec<String> = runs
                    .iter()
                    .filter_map(|r| r.limits.map(|(end, most)| format!("{end} (≤ {most})")))
                    .collect();
                format!("auto, ended at {}", ended.join(", "))
            }
            Setting::Fixed(n) if *n == direction.default_fixed() => {
                format!("{n} (the old default)")
            }
            Setting::Fixed(n) => n.to_string(),
        };
        println!(
            "| {label} | {:.0} ({:.0}–{:.0}) | {:.2} |",
            rate.0,
            rate.1,
            rate.2,
            rate.0 / best
        );
    }
    let auto = rates[0].0;
    let default_index = settings
        .iter()
        .position(|s| *s == Setting::Fixed(direction.default_fixed()))
        .ok_or("no default setting")?;
    let Setting::Fixed(best_setting) = settings[best_index] else {
        return Err("the best is fixed".into());
    };
    println!(
        "auto ÷ best fixed ({best_setting}): {:.2} (target ≥ 0.90); auto ÷ the old default {}: {:.2}; the shaper answered {} requests, {} of them 503",
        auto / best,
        direction.default_fixed(),
        auto / rates[default_index].0,
        stats.requests,
        stats.slowdowns
    );
    Ok(())
}

/// Where downloaded files go: memory-backed when there is one (this measures the link, not
/// the disk).
fn scratch_dir() -> PathBuf {
    let shm = PathBuf::from("/dev/shm");
    if shm.is_dir() {
        shm
    } else {
        std::env::temp_dir()
    }
}

/// Records the adaptive slots' limit while a run lasts: (last, most). With
/// `BENCH_LINK_TRACE=1` set, prints when the limit changed.
struct Sampler {
    task: tokio::task::JoinHandle<()>,
    most: Arc<AtomicUsize>,
    changes: Arc<std::sync::Mutex<Vec<(Duration, usize)>>>,
    slots: PartSlots,
}

impl Sampler {
    fn start(slots: &PartSlots) -> Self {
        let most = Arc::new(AtomicUsize::new(slots.limit()));
        let changes = Arc::new(std::sync::Mutex::new(vec![(Duration::ZERO, slots.limit())]));
        let (seen, watched, log) = (Arc::clone(&most), slots.clone(), Arc::clone(&changes));
        let started = Instant::now();
        let task = tokio::spawn(async move {
            loop {
                let limit = watched.limit();
                seen.fetch_max(limit, Ordering::Relaxed);
                if let Ok(mut log) = log.lock() {
                    if log.last().is_some_and(|(_, last)| *last != limit) {
                        log.push((started.elapsed(), limit));
                    }
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        });
        Self {
            task,
            most,
            changes,
            slots: slots.clone(),
        }
    }

    fn stop(self) -> (usize, usize) {
        self.task.abort();
        if std::env::var_os("BENCH_LINK_TRACE").is_some() {
            if let Ok(log) = self.changes.lock() {
                let steps: Vec<String> = log
                    .iter()
                    .map(|(at, limit)| format!("{:.2}s:{limit}", at.as_secs_f64()))
                    .collect();
                eprintln!("  auto: {}", steps.join(" "));
            }
        }
        let last = self.slots.limit();
        (last, self.most.load(Ordering::Relaxed).max(last))
    }
}

/// A run's bound on parts in flight: the engine's own, and for auto the adaptive slots as the
/// CLI makes them (one bound for the run, the engine's own at its maximum) with a sampler.
fn bound(setting: Setting) -> (usize, Option<(PartSlots, Sampler)>) {
    match setting {
        Setting::Auto => {
            let auto = AutoConcurrency::default();
            let slots = PartSlots::adaptive(auto);
            let sampler = Sampler::start(&slots);
            (auto.max_parts(), Some((slots, sampler)))
        }
        Setting::Fixed(n) => (n, None),
    }
}

async fn upload(
    client: &lakefs::experimental::ExperimentalClient<HyperTransport>,
    setting: Setting,
    source: bytes::Bytes,
) -> Result<Run, Error> {
    let (concurrency, adaptive) = bound(setting);
    let mut config = UploadConfig::builder()
        .part_size(PART_SIZE)
        .concurrency(concurrency);
    if let Some((slots, _)) = &adaptive {
        config = config.shared_slots(slots.clone());
    }
    let sampler = adaptive.map(|(_, sampler)| sampler);
    let uploader = Uploader::new(client.clone(), config.build()?);
    let started = Instant::now();
    uploader
        .upload("bench", "main", "bench/object", UploadSource::bytes(source))
        .await?;
    Ok(Run {
        elapsed: started.elapsed(),
        limits: sampler.map(Sampler::stop),
    })
}

async fn download(
    client: &lakefs::experimental::ExperimentalClient<HyperTransport>,
    setting: Setting,
    destination: &std::path::Path,
) -> Result<Run, Error> {
    let (concurrency, adaptive) = bound(setting);
    let mut config = DownloadConfig::builder()
        .part_size(PART_SIZE)
        .concurrency(concurrency)
        .verify(false);
    if let Some((slots, _)) = &adaptive {
        config = config.shared_slots(slots.clone());
    }
    let sampler = adaptive.map(|(_, sampler)| sampler);
    let downloader = Downloader::new(client.clone(), config.build()?);
    let started = Instant::now();
    downloader
        .download("bench", "main", "bench/object", destination)
        .resume(false)
        .await?;
    let elapsed = started.elapsed();
    std::fs::remove_file(destination)?;
    Ok(Run {
        elapsed,
        limits: sampler.map(Sampler::stop),
    })
}
