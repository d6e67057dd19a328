//! The `s3s` section: uploads to s3s-fs (an S3 server this project did not write) through
//! the in-process emulator in s3 mode, the engine against a bare hyper loop of the same PUTs
//! to the same kind of presigned URLs on the same server, in paired runs.
//!
//! Each round runs the engine and the bare loop back to back, alternating which goes first.
//! The engine's PUT phase runs from its first `PartStarted` to its last `PartFinished`
//! (progress events; create and complete excluded); the bare loop's from its first PUT to its
//! last answer, after a `createPresignMultipartUpload` that signs every part URL and before
//! the `completePresignMultipartUpload` (both timed in its whole upload, as the engine's are).
//! A round's ratio is bare time ÷ engine time (≥ 1: the engine is as fast).

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use lakefs::experimental::{Credentials, ExperimentalApi, ExperimentalClient, RetryPolicy};
use lakefs::multipart::{ProgressEvent, UploadConfig, UploadSource, Uploader};
use lakefs::transport::{HyperTransport, Proxy};
use lakefs_emulator::{
    serve, Emulator, S3Storage, DEFAULT_ACCESS_KEY_ID, DEFAULT_REPOSITORY,
    DEFAULT_SECRET_ACCESS_KEY,
};

use crate::support::s3::{S3Server, S3_KEY, S3_SECRET};
use crate::support::{spread, summary, RawPutLoop, MIB};
use crate::Error;

const BUCKET: &str = "lakefs-bench";

/// When the engine's first part PUT started and its last part was stored.
#[derive(Default)]
struct Phase {
    first_put: Option<Instant>,
    last_stored: Option<Instant>,
}

fn lock(phase: &Mutex<Phase>) -> std::sync::MutexGuard<'_, Phase> {
    phase
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// One measured upload: the PUT phase and the whole upload, and the CPU time this process
/// and s3s-fs spent on the whole upload.
#[derive(Clone, Copy)]
struct Timing {
    puts: Duration,
    whole: Duration,
    cpu_here: Duration,
    cpu_server: Duration,
}

/// CPU time of process `pid` so far, threads that ended included (`/proc/<pid>/stat`, in
/// clock ticks of 10 ms; zero where there is no `/proc`).
fn cpu_time(pid: u32) -> Duration {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return Duration::ZERO;
    };
    // The fields after the command's closing parenthesis; utime and stime are the 12th and
    // 13th of them.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map_or("", |(_, rest)| rest)
        .split_whitespace()
        .collect();
    let ticks: u64 = [11, 12]
        .iter()
        .filter_map(|&i| fields.get(i)?.parse::<u64>().ok())
        .sum();
    Duration::from_millis(ticks * 10)
}

/// CPU time of this process and of the server so far.
fn cpu_times(server: u32) -> (Duration, Duration) {
    (cpu_time(std::process::id()), cpu_time(server))
}

fn client(endpoint: &str) -> Result<ExperimentalClient<HyperTransport>, Error> {
    let transport = HyperTransport::builder().proxy(Proxy::none()).build()?;
    Ok(ExperimentalClient::builder()
        .endpoint(endpoint)
        .credentials(Credentials::basic(
            DEFAULT_ACCESS_KEY_ID,
            DEFAULT_SECRET_ACCESS_KEY,
        ))
        .retry_policy(RetryPolicy::none())
        .build_with_transport(transport)?)
}

/// An uploader that notes its PUT phase in `phase`.
fn engine(
    client: &ExperimentalClient<HyperTransport>,
    part_size: u64,
    concurrency: usize,
    phase: &Arc<Mutex<Phase>>,
) -> Result<Uploader<HyperTransport>, Error> {
    let phase = Arc::clone(phase);
    let config = UploadConfig::builder()
        .part_size(part_size)
        .concurrency(concurrency)
        .on_progress(move |event| {
            let now = Instant::now();
            let mut phase = lock(&phase);
            match event {
                ProgressEvent::PartStarted { .. } => {
                    phase.first_put.get_or_insert(now);
                }
                ProgressEvent::PartFinished { .. } => phase.last_stored = Some(now),
                _ => {}
            }
        })
        .build()?;
    Ok(Uploader::new(client.clone(), config))
}

async fn engine_run(
    uploader: &Uploader<HyperTransport>,
    phase: &Mutex<Phase>,
    source: UploadSource,
    server: u32,
) -> Result<Timing, Error> {
    *lock(phase) = Phase::default();
    let cpu = cpu_times(server);
    let started = Instant::now();
    uploader
        .upload(DEFAULT_REPOSITORY, "main", "bench/s3s.bin", source)
        .await?;
    let whole = started.elapsed();
    let (here, there) = cpu_times(server);
    let phase = lock(phase);
    let puts =
        phase.last_stored.ok_or("no part stored")? - phase.first_put.ok_or("no part started")?;
    Ok(Timing {
        puts,
        whole,
        cpu_here: here.saturating_sub(cpu.0),
        cpu_server: there.saturating_sub(cpu.1),
    })
}

/// The baseline: create (every part URL signed at once), the bare hyper loop of PUTs, complete.
async fn bare_run(
    client: &ExperimentalClient<HyperTransport>,
    raw: &RawPutLoop,
    data: &Bytes,
    file: Option<&std::path::Path>,
    part_size: u64,
    concurrency: usize,
    server: u32,
) -> Result<Timing, Error> {
    let path = "bench/s3s-bare.bin";
    let parts = (data.len() as u64).div_ceil(part_size) as u32;
    let cpu = cpu_times(server);
    let started = Instant::now();
    let upload = client
        .create_presign_multipart_upload()
        .repository(DEFAULT_REPOSITORY)
        .branch("main")
        .path(path)
        .parts(parts)
        .send()
        .await?;
    let urls = upload.presigned_urls.clone().unwrap_or_default();
    let (puts, etags) = match file {
        Some(file) => {
            raw.put_file_parts(&urls, file, part_size, concurrency)
                .await
        }
        None => raw.put_parts(&urls, data, part_size, concurrency).await,
    };
    let mut complete = client
        .complete_presign_multipart_upload()
        .repository(DEFAULT_REPOSITORY)
        .branch("main")
        .path(path)
        .upload(&upload);
    for (number, etag) in (1u32..).zip(etags) {
        complete = complete.part(number, etag);
    }
    complete.send().await?;
    let whole = started.elapsed();
    let (here, there) = cpu_times(server);
    Ok(Timing {
        puts,
        whole,
        cpu_here: here.saturating_sub(cpu.0),
        cpu_server: there.saturating_sub(cpu.1),
    })
}

/// What the section measures: the object's size, where s3s-fs keeps its objects, and which
/// cells (`bytes4`, `file4`, `bytes8`, `file8`; all when `None`).
pub(crate) struct S3sOptions {
    pub(crate) size_mib: u64,
    pub(crate) dir: Option<PathBuf>,
    pub(crate) cells: Option<Vec<String>>,
}

/// The section: `size_mib` MiB in 8 MiB parts, concurrency 4 and 8, from a `Bytes` source and
/// from a file, s3s-fs storing its objects under `dir`.
pub(crate) async fn s3s(runs: usize, options: S3sOptions) -> Result<(), Error> {
    let S3sOptions {
        size_mib,
        dir,
        cells,
    } = options;
    let dir = dir.unwrap_or_else(std::env::temp_dir);
    let Some(s3) = S3Server::start_in(&dir)? else {
        println!("\n## s3s-fs: SKIPPED (no s3s-fs binary; set S3S_FS_BIN)");
        return Ok(());
    };
    let storage = S3Storage::new(&s3.endpoint, BUCKET, "us-east-1", S3_KEY, S3_SECRET)?;
    storage.create_bucket().await?;
    let emulator = Emulator::new();
    emulator.set_s3_storage(storage);
    let running = serve(emulator).await?;
    let client = client(running.url())?;
    let raw = RawPutLoop::new();
    let path = crate::temp_file("s3s", size_mib)?;
    let data = Bytes::from(std::fs::read(&path)?);
    let part_size = 8 * MIB;
    let pid = s3.pid();
    println!(
        "\n## s3s-fs ({}, objects in {}): engine vs bare hyper PUT loop, {size_mib} MiB, 8 MiB parts, paired runs",
        s3.endpoint,
        dir.display()
    );
    println!("PUT phase: the engine's first part PUT to its last part stored; the bare loop's first PUT to its last answer. Whole: create to complete.");
    println!("Source: Bytes rows send slices of one buffer (engine and bare loop); file rows read the file (the engine through UploadSource::file, the bare loop a positional read per part into a fresh buffer just before its PUT).");
    println!("| source | conc. | engine PUT phase MB/s (median, min–max) | bare PUT phase MB/s (median, min–max) | PUT phase engine ÷ bare: median of paired ratios (min–max) | engine whole MB/s | bare whole MB/s | whole engine ÷ bare (min–max) | CPU ms, engine: here / s3s-fs | CPU ms, bare: here / s3s-fs |");
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    let bytes = data.len() as u64;
    for concurrency in [4usize, 8] {
        for from_file in [false, true] {
            let cell = format!("{}{concurrency}", if from_file { "file" } else { "bytes" });
            if cells.as_ref().is_some_and(|c| !c.contains(&cell)) {
                continue;
            }
            let phase = Arc::new(Mutex::new(Phase::default()));
            let uploader = engine(&client, part_size, concurrency, &phase)?;
            let source = || {
                if from_file {
                    UploadSource::file(&path)
                } else {
                    UploadSource::bytes(data.clone())
                }
            };
            // Like for like: from a file, the bare loop reads its parts from the same file.
            let bare_file = from_file.then_some(path.as_path());
            // Warm both: connections, s3s-fs's directories, the page cache.
            engine_run(&uploader, &phase, source(), pid).await?;
            bare_run(&client, &raw, &data, bare_file, part_size, concurrency, pid).await?;
            s3.empty_bucket(BUCKET)?;
            let (mut engine_t, mut bare_t) = (Vec::new(), Vec::new());
            let (mut ratios, mut whole_ratios) = (Vec::new(), Vec::new());
            for run in 0..runs {
                let (e, b) = if run % 2 == 0 {
                    let e = engine_run(&uploader, &phase, source(), pid).await?;
                    (
                        e,
                        bare_run(&client, &raw, &data, bare_file, part_size, concurrency, pid)
                            .await?,
                    )
                } else {
                    let b = bare_run(&client, &raw, &data, bare_file, part_size, concurrency, pid)
                        .await?;
                    (engine_run(&uploader, &phase, source(), pid).await?, b)
                };
                s3.empty_bucket(BUCKET)?;
                ratios.push(b.puts.as_secs_f64() / e.puts.as_secs_f64());
                whole_ratios.push(b.whole.as_secs_f64() / e.whole.as_secs_f64());
                engine_t.push(e);
                bare_t.push(b);
            }
            let puts = |t: &[Timing]| t.iter().map(|t| t.puts).collect::<Vec<_>>();
            let whole = |t: &[Timing]| t.iter().map(|t| t.whole).collect::<Vec<_>>();
            let (e, e_lo, e_hi) = summary(bytes, &puts(&engine_t));
            let (b, b_lo, b_hi) = summary(bytes, &puts(&bare_t));
            let (ew, _, _) = summary(bytes, &whole(&engine_t));
            let (bw, _, _) = summary(bytes, &whole(&bare_t));
            let (ratio, lo, hi) = spread(&mut ratios);
            let (whole_ratio, whole_lo, whole_hi) = spread(&mut whole_ratios);
            let cpu = |t: &[Timing], f: fn(&Timing) -> Duration| {
                spread(
                    &mut t
                        .iter()
                        .map(|t| f(t).as_secs_f64() * 1e3)
                        .collect::<Vec<_>>(),
                )
                .0
            };
            println!(
                "| {} | {concurrency} | {e:.0} ({e_lo:.0}–{e_hi:.0}) | {b:.0} ({b_lo:.0}–{b_hi:.0}) | {ratio:.2} ({lo:.2}–{hi:.2}) | {ew:.0} | {bw:.0} | {whole_ratio:.2} ({whole_lo:.2}–{whole_hi:.2}) | {:.0} / {:.0} | {:.0} / {:.0} |",
                if from_file { "file" } else { "Bytes" },
                cpu(&engine_t, |t| t.cpu_here),
                cpu(&engine_t, |t| t.cpu_server),
                cpu(&bare_t, |t| t.cpu_here),
                cpu(&bare_t, |t| t.cpu_server),
            );
        }
    }
    std::fs::remove_file(&path)?;
    running.shutdown().await;
    drop(s3);
    Ok(())
}
