//! Download benchmarks, printed as tables. Run in release:
//!
//! ```sh
//! cargo run --release --example bench_download                      # loopback, s3, memory
//! cargo run --release --example bench_download -- --only loopback   # loopback | s3 | memory
//! cargo run --release --example bench_download -- --runs 7 --size 256 --dir /dev/shm
//! ```
//!
//! * `loopback` and `s3`: the engine (`Downloader::download`, verification on, and again with
//!   it off) against a bare loop of ranged GETs of the same object (`bare.rs`: the same
//!   `HyperTransport`, a presigned URL from one `statObject`, the same concurrency, each body
//!   `pwrite`n at its offset into a pre-sized file, no checks) over part size 4/8/16 MiB ×
//!   concurrency 4/8/16. Each cell is `--runs` rounds of the three back to back, in a rotating
//!   order; a round's ratio is bare time / engine time, and a cell shows the median of its
//!   rounds' ratios and the lowest. `loopback`: the emulator served over HTTP in this process,
//!   the object in its own store (its presigned GETs are answered by the emulator). `s3`: the
//!   emulator backed by s3s-fs (`S3S_FS_BIN`, `PATH` or `~/.cache/lakefs-rs-ci-tools/bin`),
//!   so the object's bytes live in s3s-fs and the presigned GETs go there. For each part
//!   size of 5 MiB or more the object is uploaded (`Uploader`) in parts of that size, so
//!   that the download's parts are the upload's — the engine's default choice, where the
//!   multipart ETag is recomputed from the parts' MD5s without reading the file again (4 MiB
//!   rows read an object in 8 MiB parts: S3 has no smaller parts than 5 MiB).
//! * `memory`: peak RSS (`VmHWM`) of a process that downloads a 2 GiB object to a file, or
//!   streams it to stdout (`> /dev/null`), from an emulator in another process (which holds
//!   the object in memory); against the bound of part buffers: concurrency × part size for
//!   a file, (concurrency + 1) × part size for a stream.
//!
//! Files are written in `--dir` (default `/dev/shm` where it exists: the disk would otherwise
//! decide, and the engine's `fsync` before its rename is the disk's cost, not the engine's).

mod bare;
mod memory;
#[path = "../../benches/support/mod.rs"]
mod support;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use bytes::Bytes;
use lakefs::client::{Client, Credentials, RetryPolicy};
use lakefs::multipart::{UploadConfig, UploadSource, Uploader};
use lakefs::transport::{HyperTransport, Proxy};
use lakefs_download::{DownloadConfig, Downloader, Verification};
use lakefs_emulator::{
    serve, Emulator, RunningEmulator, S3Storage, DEFAULT_ACCESS_KEY_ID, DEFAULT_REPOSITORY,
    DEFAULT_SECRET_ACCESS_KEY,
};
use support::s3::{S3Server, S3_KEY, S3_SECRET};
use support::{spread, MIB};

type Error = Box<dyn std::error::Error + Send + Sync>;

const OBJECT: &str = "bench/download.bin";

/// The command line.
pub(crate) struct Options {
    only: Option<String>,
    runs: usize,
    size_mib: u64,
    part_sizes: Vec<u64>,
    concurrency: Vec<usize>,
    dir: PathBuf,
    memory_size_mib: u64,
}

fn list<T: std::str::FromStr>(value: &str) -> Result<Vec<T>, Error>
where
    T::Err: std::error::Error + Send + Sync + 'static,
{
    value
        .split(',')
        .map(|v| v.trim().parse::<T>().map_err(Into::into))
        .collect()
}

fn main() -> Result<(), Error> {
    let mut options = Options {
        only: None,
        runs: 3,
        size_mib: 256,
        part_sizes: vec![4, 8, 16],
        concurrency: vec![4, 8, 16],
        dir: if Path::new("/dev/shm").is_dir() {
            PathBuf::from("/dev/shm")
        } else {
            std::env::temp_dir()
        },
        memory_size_mib: 2048,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or(format!("{arg} needs a value"));
        match arg.as_str() {
            "--only" => options.only = Some(value()?),
            "--runs" => options.runs = value()?.parse()?,
            "--size" => options.size_mib = value()?.parse()?,
            "--part-sizes" => options.part_sizes = list(&value()?)?,
            "--concurrency" => options.concurrency = list(&value()?)?,
            "--dir" => options.dir = PathBuf::from(value()?),
            "--memory-size" => options.memory_size_mib = value()?.parse()?,
            // Internal: the emulator of `memory`, and one row of it, each a process.
            "--serve-emulator" => return memory::serve_emulator(),
            "--memory-row" => {
                let row = value()?;
                let endpoint = args.next().ok_or("--memory-row needs an endpoint")?;
                return memory::row(&row, &endpoint, &options.dir);
            }
            other => return Err(format!("unknown argument {other:?}").into()),
        }
    }
    let runs = options.runs.max(1);
    let wants = |section: &str| options.only.as_deref().is_none_or(|o| o == section);
    println!(
        "machine: {} cores; {runs} rounds per cell; {} MiB object; files in {}",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        options.size_mib,
        options.dir.display()
    );
    println!(
        "command: {}",
        std::iter::once("cargo run --release --example bench_download --".to_owned())
            .chain(std::env::args().skip(1))
            .collect::<Vec<_>>()
            .join(" ")
    );
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    if wants("loopback") {
        rt.block_on(async {
            let running = serve(Emulator::new()).await?;
            let client = client(running.url())?;
            println!(
                "\n## Loopback: the emulator over HTTP in this process, its own store serving the presigned GETs"
            );
            grid(&client, &options, runs).await?;
            running.shutdown().await;
            Ok::<_, Error>(())
        })?;
    }
    if wants("s3") {
        rt.block_on(async {
            let Some(s3) = S3Server::start()? else {
                println!("\n## s3s-fs: SKIPPED (no s3s-fs binary; set S3S_FS_BIN)");
                return Ok(());
            };
            let storage =
                S3Storage::new(&s3.endpoint, "lakefs-bench", "us-east-1", S3_KEY, S3_SECRET)?;
            storage.create_bucket().await?;
            let emulator = Emulator::new();
            emulator.set_s3_storage(storage);
            let running: RunningEmulator = serve(emulator).await?;
            let client = client(running.url())?;
            println!(
                "\n## s3s-fs: the emulator backed by s3s-fs ({}), presigned GETs to s3s-fs",
                s3.endpoint
            );
            grid(&client, &options, runs).await?;
            running.shutdown().await;
            drop(s3);
            Ok::<_, Error>(())
        })?;
    }
    drop(rt);
    if wants("memory") {
        memory::table(&options)?;
    }
    Ok(())
}

/// A client of `endpoint` over `HyperTransport` (no proxy: this is loopback), with the
/// emulator's credentials.
pub(crate) fn client(endpoint: &str) -> Result<Client<HyperTransport>, Error> {
    let transport = HyperTransport::builder().proxy(Proxy::none()).build()?;
    Ok(Client::builder()
        .endpoint(endpoint)
        .credentials(Credentials::basic(
            DEFAULT_ACCESS_KEY_ID,
            DEFAULT_SECRET_ACCESS_KEY,
        ))
        .retry_policy(RetryPolicy::none())
        .build_with_transport(transport)?)
}

/// Uploads `data` to [`OBJECT`] in parts of `part_size`.
pub(crate) async fn upload(
    client: &Client<HyperTransport>,
    data: Bytes,
    part_size: u64,
) -> Result<String, Error> {
    let config = UploadConfig::builder()
        .part_size(part_size)
        .concurrency(4)
        .build()?;
    let stats = Uploader::new(client.clone(), config)
        .upload(
            DEFAULT_REPOSITORY,
            "main",
            OBJECT,
            UploadSource::bytes(data),
        )
        .await?;
    Ok(stats.checksum)
}

/// `len` bytes of xorshift, incompressible.
pub(crate) fn pseudo_random(len: u64, seed: u64) -> Bytes {
    let mut state = seed | 1;
    let mut out = Vec::with_capacity(usize::try_from(len).unwrap_or(0));
    while (out.len() as u64) < len {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        out.extend_from_slice(&state.to_le_bytes());
    }
    out.truncate(usize::try_from(len).unwrap_or(0));
    Bytes::from(out)
}

fn downloader(
    client: &Client<HyperTransport>,
    part_size: u64,
    concurrency: usize,
    verify: bool,
) -> Result<Downloader<HyperTransport>, Error> {
    let config = DownloadConfig::builder()
        .part_size(part_size)
        .concurrency(concurrency)
        .verify(verify)
        .build()?;
    Ok(Downloader::new(client.clone(), config))
}

async fn timed_engine(
    downloader: &Downloader<HyperTransport>,
    destination: &Path,
    verify: bool,
) -> Result<Duration, Error> {
    let started = Instant::now();
    let done = downloader
        .download(DEFAULT_REPOSITORY, "main", OBJECT, destination)
        .resume(false)
        .await?;
    let elapsed = started.elapsed();
    let proven = !matches!(
        done.verification,
        Verification::Skipped | Verification::NotVerifiable { .. }
    );
    if proven != verify {
        return Err(format!("unexpected verification {:?}", done.verification).into());
    }
    Ok(elapsed)
}

/// The paired grid of one backend: a table, and the summary over its cells.
async fn grid(
    client: &Client<HyperTransport>,
    options: &Options,
    runs: usize,
) -> Result<(), Error> {
    let size = options.size_mib * MIB;
    let data = pseudo_random(size, 0x5eed);
    let dir = options
        .dir
        .join(format!("lakefs-bench-download-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let (engine_path, bare_path) = (dir.join("engine.bin"), dir.join("bare.bin"));
    let target = (DEFAULT_REPOSITORY, "main", OBJECT);
    println!("| part | upload part | conc. | engine MB/s (verify on) | engine MB/s (verify off) | bare MB/s | engine ÷ bare, verify on: median (min) | engine ÷ bare, verify off: median (min) |");
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|");
    let (mut cells_on, mut cells_off) = (Vec::new(), Vec::new());
    for &part_mib in &options.part_sizes {
        let part_size = part_mib * MIB;
        // S3's smallest part is 5 MiB: an object cannot be uploaded in 4 MiB parts, so the
        // 4 MiB rows read an object uploaded in 8 MiB parts (the SDK's default) and, with
        // verification on, prove it by reading the file back once (the parts' MD5s are not
        // the upload's).
        let upload_mib = if part_mib >= 5 { part_mib } else { 8 };
        let checksum = upload(client, data.clone(), upload_mib * MIB).await?;
        for &concurrency in &options.concurrency {
            let on = downloader(client, part_size, concurrency, true)?;
            let off = downloader(client, part_size, concurrency, false)?;
            // Warm the connection pool (the three share the client's transport) and the
            // page cache of both destinations.
            timed_engine(&on, &engine_path, true).await?;
            bare::download(client, target, &bare_path, part_size, concurrency).await?;
            let (mut t_on, mut t_off, mut t_bare) = (Vec::new(), Vec::new(), Vec::new());
            let (mut r_on, mut r_off) = (Vec::new(), Vec::new());
            for round in 0..runs {
                // The three back to back, the order rotating round by round, so that drift
                // and order effects fall on all alike.
                let (mut e_on, mut e_off, mut b) = (None, None, None);
                for step in 0..3 {
                    match (round + step) % 3 {
                        0 => e_on = Some(timed_engine(&on, &engine_path, true).await?),
                        1 => e_off = Some(timed_engine(&off, &engine_path, false).await?),
                        _ => {
                            b = Some(
                                bare::download(client, target, &bare_path, part_size, concurrency)
                                    .await?,
                            );
                        }
                    }
                }
                let (e_on, e_off, b) = (
                    e_on.unwrap_or_default(),
                    e_off.unwrap_or_default(),
                    b.unwrap_or_default(),
                );
                r_on.push(b.as_secs_f64() / e_on.as_secs_f64());
                r_off.push(b.as_secs_f64() / e_off.as_secs_f64());
                t_on.push(e_on);
                t_off.push(e_off);
                t_bare.push(b);
            }
            let rate = |times: &[Duration]| support::summary(size, times).0;
            let (on_median, on_low, _) = spread(&mut r_on);
            let (off_median, off_low, _) = spread(&mut r_off);
            cells_on.push(on_median);
            cells_off.push(off_median);
            println!(
                "| {part_mib} MiB | {upload_mib} MiB | {concurrency} | {:.0} | {:.0} | {:.0} | {on_median:.2} ({on_low:.2}) | {off_median:.2} ({off_low:.2}) |",
                rate(&t_on),
                rate(&t_off),
                rate(&t_bare),
            );
        }
        if std::fs::read(&engine_path)? != data {
            return Err(format!("the engine's file differs from the object ({checksum})").into());
        }
    }
    let (on_median, on_lowest, _) = spread(&mut cells_on);
    let (off_median, off_lowest, _) = spread(&mut cells_off);
    println!(
        "engine ÷ bare over the grid: verify on median {on_median:.2}, lowest cell {on_lowest:.2}; \
         verify off median {off_median:.2}, lowest cell {off_lowest:.2} \
         (targets: median ≥ 0.98, no cell below 0.93)"
    );
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}
