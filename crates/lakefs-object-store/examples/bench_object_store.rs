//! Benchmarks of [`LakeFsStore`], printed as tables. Run in release:
//!
//! ```sh
//! cargo run --release -p lakefs-object-store --example bench_object_store              # both
//! cargo run --release -p lakefs-object-store --example bench_object_store -- --only puts
//! cargo run --release -p lakefs-object-store --example bench_object_store -- --only s3 --size 1024 --runs 5
//! cargo run -p lakefs-object-store --example bench_object_store -- --quick               # CI
//! ```
//!
//! Needs s3s-fs (`S3S_FS_BIN` or on `PATH`; `.ci/run` installs it).
//!
//! * `puts`: the two ways lakeFS offers this SDK to `put` a small payload — one `uploadObject`
//!   call (the bytes through lakeFS, one round trip) and a one-part presigned multipart
//!   upload (create, one PUT straight to the store, complete: three round trips) — for 1 KiB,
//!   64 KiB, 1 MiB and 8 MiB, against the emulator on loopback HTTP holding objects itself,
//!   and against the emulator in its `s3` mode over s3s-fs (where `uploadObject`'s bytes go
//!   client → emulator → s3s-fs, and the multipart part client → s3s-fs). Each size runs
//!   `--runs` rounds of a batch of puts through each path, in alternating order; a round's
//!   ratio is multipart time / uploadObject time, and the table shows the medians.
//!   (`getPhysicalAddress` + `linkPhysicalAddress`, a presigned single PUT, is not measured:
//!   the SDK does not implement those two operations.)
//! * `s3`: `put_multipart` of `--size` MiB (object_store's `WriteMultipart`, 8 MiB chunks, 8
//!   in flight) and ranged `get`s of the whole object (8 MiB ranges, 8 concurrent) through
//!   [`LakeFsStore`] — the emulator in `s3` mode, parts and ranges presigned, straight to
//!   s3s-fs — against object_store's own `AmazonS3` straight to the same s3s-fs bucket.
//!   Each of `--runs` rounds runs both, in alternating order; a round's ratio is LakeFsStore
//!   time / AmazonS3 time, and the table shows the median of the rounds' ratios.
//!
//! `--quick`: 64 MiB, one round, and fewer puts: a smoke test that the benchmark runs.

#[path = "../../../tests/common/s3.rs"]
mod s3;

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures_util::{StreamExt, TryStreamExt};
use lakefs_client::{Client, Credentials};
use lakefs_download::DownloadConfig;
use lakefs_emulator::{
    serve, Emulator, RunningEmulator, S3Storage, DEFAULT_ACCESS_KEY_ID, DEFAULT_SECRET_ACCESS_KEY,
};
use lakefs_multipart::UploadConfig;
use lakefs_object_store::{LakeFsStore, StoreConfig};
use lakefs_transport::HyperTransport;
use object_store::aws::AmazonS3Builder;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt, WriteMultipart};

type Error = Box<dyn std::error::Error + Send + Sync>;

const KIB: usize = 1 << 10;
const MIB: usize = 1 << 20;
const CHUNK: usize = 8 * MIB;
const IN_FLIGHT: usize = 8;

struct Options {
    quick: bool,
    only: Option<String>,
    runs: usize,
    size_mib: usize,
}

fn options() -> Result<Options, Error> {
    let mut options = Options {
        quick: false,
        only: None,
        runs: 5,
        size_mib: 1024,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{arg} needs a value"));
        match arg.as_str() {
            "--quick" => options.quick = true,
            "--only" => options.only = Some(value()?),
            "--runs" => options.runs = value()?.parse()?,
            "--size" => options.size_mib = value()?.parse()?,
            other => return Err(format!("unknown argument {other}").into()),
        }
    }
    if options.quick {
        options.runs = 1;
        options.size_mib = options.size_mib.min(64);
    }
    Ok(options)
}

fn main() -> Result<(), Error> {
    let options = options()?;
    // object_store's reqwest is built with rustls but no crypto provider (no aws-lc-rs): ring.
    let _ = rustls::crypto::ring::default_provider().install_default();
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(run(options))
}

async fn run(options: Options) -> Result<(), Error> {
    let Some(server) = s3::start_s3() else {
        println!("SKIPPED: no s3s-fs");
        return Ok(());
    };
    let storage = S3Storage::new(
        &server.endpoint,
        s3::BUCKET,
        "us-east-1",
        s3::S3_KEY,
        s3::S3_SECRET,
    )?;
    storage.create_bucket().await?;
    let on_s3 = Emulator::new();
    on_s3.set_s3_storage(storage);
    let on_s3 = serve(on_s3).await?;
    let wants = |section: &str| options.only.as_deref().is_none_or(|only| only == section);
    if wants("puts") {
        let in_memory = serve(Emulator::new()).await?;
        println!(
            "## put of a small payload: uploadObject vs a one-part presigned multipart upload"
        );
        puts(&in_memory, "loopback", &options).await?;
        puts(&on_s3, "s3s-fs", &options).await?;
    }
    if wants("s3") {
        println!(
            "\n## {} MiB: LakeFsStore (emulator in s3 mode, presigned, s3s-fs) vs AmazonS3 (straight to s3s-fs)",
            options.size_mib
        );
        versus_s3(&on_s3, &server.endpoint, &options).await?;
    }
    Ok(())
}

fn lakefs_store(
    running: &RunningEmulator,
    config: StoreConfig,
) -> Result<LakeFsStore<HyperTransport>, Error> {
    let client = Client::builder()
        .endpoint(running.url())
        .credentials(Credentials::basic(
            DEFAULT_ACCESS_KEY_ID,
            DEFAULT_SECRET_ACCESS_KEY,
        ))
        .build()?;
    Ok(LakeFsStore::with_config(
        client,
        "example-repo",
        "main",
        UploadConfig::default(),
        DownloadConfig::default(),
        config,
    ))
}

/// Bytes that are not all alike (a store may treat zeros specially).
fn data(len: usize, seed: u64) -> Bytes {
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut bytes = vec![0u8; len];
    rng.fill(&mut bytes);
    Bytes::from(bytes)
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    match values.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => values[n / 2],
        n => (values[n / 2 - 1] + values[n / 2]) / 2.0,
    }
}

fn human(size: usize) -> String {
    if size >= MIB {
        format!("{} MiB", size / MIB)
    } else {
        format!("{} KiB", size / KIB)
    }
}

/// `count` puts of `payload` through `store`, one after another.
async fn put_batch(
    store: &LakeFsStore<HyperTransport>,
    prefix: &str,
    payload: &Bytes,
    count: usize,
) -> Result<Duration, Error> {
    let started = Instant::now();
    for i in 0..count {
        let path = Path::from(format!("bench/puts/{prefix}-{i}"));
        store.put(&path, payload.clone().into()).await?;
    }
    Ok(started.elapsed())
}

async fn puts(running: &RunningEmulator, label: &str, options: &Options) -> Result<(), Error> {
    let upload_object = lakefs_store(running, StoreConfig::default().with_small_put(usize::MAX))?;
    let multipart = lakefs_store(running, StoreConfig::default().with_small_put(0))?;
    println!("\n### {label} ({} rounds)\n", options.runs);
    println!("| size | uploadObject, ms a put | one-part multipart, ms a put | multipart / uploadObject (median of rounds) |");
    println!("|---|---|---|---|");
    for (index, size) in [KIB, 64 * KIB, MIB, 8 * MIB].into_iter().enumerate() {
        let payload = data(size, index as u64);
        let count = match (options.quick, size) {
            (true, _) => 2,
            (false, s) if s <= 64 * KIB => 40,
            (false, s) if s <= MIB => 20,
            _ => 6,
        };
        // Warm the connections and the emulator's paths.
        put_batch(&upload_object, "warm-u", &payload, 1).await?;
        put_batch(&multipart, "warm-m", &payload, 1).await?;
        let (mut per_u, mut per_m, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
        for round in 0..options.runs {
            let (u, m) = if round % 2 == 0 {
                let u = put_batch(&upload_object, "u", &payload, count).await?;
                (u, put_batch(&multipart, "m", &payload, count).await?)
            } else {
                let m = put_batch(&multipart, "m", &payload, count).await?;
                (put_batch(&upload_object, "u", &payload, count).await?, m)
            };
            per_u.push(u.as_secs_f64() * 1e3 / count as f64);
            per_m.push(m.as_secs_f64() * 1e3 / count as f64);
            ratios.push(m.as_secs_f64() / u.as_secs_f64());
        }
        println!(
            "| {} | {:.2} | {:.2} | {:.2} |",
            human(size),
            median(&mut per_u),
            median(&mut per_m),
            median(&mut ratios)
        );
    }
    Ok(())
}

/// `put_multipart` of `payload` as object_store's callers do it: `WriteMultipart`, 8 MiB
/// chunks, at most 8 parts in flight.
async fn write(store: &dyn ObjectStore, path: &Path, payload: &Bytes) -> Result<Duration, Error> {
    let started = Instant::now();
    let upload = store.put_multipart(path).await?;
    let mut writer = WriteMultipart::new_with_chunk_size(upload, CHUNK);
    for piece in payload.chunks(MIB) {
        writer.wait_for_capacity(IN_FLIGHT).await?;
        writer.write(piece);
    }
    writer.finish().await?;
    Ok(started.elapsed())
}

/// The whole object as 8 MiB ranged gets, 8 at a time; the bytes checked.
async fn read(store: &dyn ObjectStore, path: &Path, payload: &Bytes) -> Result<Duration, Error> {
    let started = Instant::now();
    let size = payload.len() as u64;
    let ranges: Vec<_> = (0..size)
        .step_by(CHUNK)
        .map(|start| start..(start + CHUNK as u64).min(size))
        .collect();
    let checked: Vec<bool> = futures_util::stream::iter(ranges)
        .map(|range| async move {
            let bytes = store.get_range(path, range.clone()).await?;
            Ok::<_, object_store::Error>(
                bytes[..] == payload[range.start as usize..range.end as usize],
            )
        })
        .buffer_unordered(IN_FLIGHT)
        .try_collect()
        .await?;
    if checked.iter().any(|ok| !ok) {
        return Err(format!("{path}: a range read back differs").into());
    }
    Ok(started.elapsed())
}

async fn versus_s3(
    running: &RunningEmulator,
    endpoint: &str,
    options: &Options,
) -> Result<(), Error> {
    let lakefs = lakefs_store(running, StoreConfig::default())?;
    let s3 = AmazonS3Builder::new()
        .with_endpoint(endpoint)
        .with_allow_http(true)
        .with_bucket_name(s3::BUCKET)
        .with_region("us-east-1")
        .with_access_key_id(s3::S3_KEY)
        .with_secret_access_key(s3::S3_SECRET)
        .build()?;
    let stores: [(&str, Arc<dyn ObjectStore>); 2] = [
        ("LakeFsStore", Arc::new(lakefs)),
        ("AmazonS3", Arc::new(s3)),
    ];
    let payload = data(options.size_mib * MIB, 7);
    let path = Path::from("bench/big.bin");
    // [store][op] = seconds per round.
    let mut seconds = [[Vec::new(), Vec::new()], [Vec::new(), Vec::new()]];
    for round in 0..options.runs {
        let order: [usize; 2] = if round % 2 == 0 { [0, 1] } else { [1, 0] };
        for which in order {
            let (name, store) = &stores[which];
            let path = Path::from(format!("{path}.{name}"));
            let put = write(store.as_ref(), &path, &payload).await?;
            let get = read(store.as_ref(), &path, &payload).await?;
            seconds[which][0].push(put.as_secs_f64());
            seconds[which][1].push(get.as_secs_f64());
        }
    }
    let mib = options.size_mib as f64;
    println!("\n{} rounds; MiB/s are medians; ratio = LakeFsStore time / AmazonS3 time, median of the rounds' ratios (min–max)\n", options.runs);
    println!("| operation | LakeFsStore MiB/s | AmazonS3 MiB/s | time ratio |");
    println!("|---|---|---|---|");
    for (op, name) in [
        (0, "put_multipart (8 MiB parts, 8 in flight)"),
        (1, "ranged get (8 MiB, 8 concurrent)"),
    ] {
        let mut ratios: Vec<f64> = seconds[0][op]
            .iter()
            .zip(&seconds[1][op])
            .map(|(l, s)| l / s)
            .collect();
        let mut rates_l: Vec<f64> = seconds[0][op].iter().map(|s| mib / s).collect();
        let mut rates_s: Vec<f64> = seconds[1][op].iter().map(|s| mib / s).collect();
        let median_ratio = median(&mut ratios);
        println!(
            "| {name} | {:.0} | {:.0} | {:.2} ({:.2}–{:.2}) |",
            median(&mut rates_l),
            median(&mut rates_s),
            median_ratio,
            ratios.first().copied().unwrap_or(f64::NAN),
            ratios.last().copied().unwrap_or(f64::NAN)
        );
    }
    Ok(())
}
