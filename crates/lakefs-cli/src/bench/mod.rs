//! `bench`: upload throughput over part sizes × concurrency (a table of MB/s and CPU seconds,
//! CSV, an SVG chart), and `bench small-files`.

mod bare;
mod chart;
mod cpu;
mod small_files;
pub(crate) mod stats;

use std::time::Instant;

use bytes::Bytes;
use lakefs_multipart::{UploadConfig, UploadSource, Uploader};

use self::stats::{median, min_max};
use crate::cli::{BenchArgs, BenchCommand, SweepArgs};
use crate::context::{start_emulator, Client, Context};
use crate::errors::{CliError, Exit};
use crate::units::{human_size, megabytes_per_second};
use crate::uri::ObjectUri;

pub(crate) async fn run(ctx: &Context, args: BenchArgs) -> Result<Exit, CliError> {
    match args.small_files {
        Some(BenchCommand::SmallFiles(small)) => small_files::run(ctx, small).await,
        Some(BenchCommand::BareLoop(bare)) => bare::child(ctx, bare).await,
        None => sweep(ctx, args.sweep).await,
    }
}

/// One run's measurements.
struct Run {
    part_size: u64,
    concurrency: u16,
    run: u32,
    seconds: f64,
    cpu_seconds: Option<f64>,
}

/// Where the sweep uploads: the configured lakeFS, or an emulator of its own.
async fn target(
    ctx: &Context,
    args: &SweepArgs,
) -> Result<
    (
        Client,
        ObjectUri,
        Option<lakefs_emulator::RunningEmulator>,
        &'static str,
    ),
    CliError,
> {
    let settings = ctx.settings()?;
    let use_emulator = ctx.has_emulator() || (args.destination.is_none() && settings.is_empty());
    if use_emulator && !ctx.has_emulator() {
        let running = start_emulator().await?;
        let client = crate::config::Settings::for_emulator(running.url()).client()?;
        let dest = ObjectUri::new(lakefs_emulator::DEFAULT_REPOSITORY, "main", "bench/");
        return Ok((
            client,
            dest,
            Some(running),
            "the embedded emulator (same process)",
        ));
    }
    let dest =
        match (&args.destination, ctx.has_emulator()) {
            (Some(dest), _) => dest.clone(),
            (None, true) => ObjectUri::new(lakefs_emulator::DEFAULT_REPOSITORY, "main", "bench/"),
            (None, false) => return Err(CliError::usage(
                "bench needs DEST (lakefs://REPOSITORY/BRANCH/PREFIX) to upload to, or --emulator",
            )),
        };
    let what = if ctx.has_emulator() {
        "the embedded emulator (same process)"
    } else {
        "the configured lakeFS"
    };
    Ok((settings.client()?, dest, None, what))
}

async fn sweep(ctx: &Context, args: SweepArgs) -> Result<Exit, CliError> {
    let (client, dest, emulator, what) = target(ctx, &args).await?;
    let object = if dest.is_prefix() {
        dest.join("lakefs-rs-bench.bin")
    } else {
        dest
    };
    let console = &ctx.console;
    console.info(&format!(
        "bench: {} per run to {object} on {what}, {} run(s) per cell",
        human_size(args.size),
        args.runs
    ));
    // Incompressible bytes, generated once; parts are slices of them (no copy, no disk).
    let data = Bytes::from(pseudo_random(args.size, 0x5eed));
    let mut runs = Vec::new();
    'sweep: for run in 1..=args.runs {
        for &part_size in &args.part_sizes {
            for &concurrency in &args.concurrency {
                if ctx.interrupt.is_set() {
                    break 'sweep;
                }
                let config = UploadConfig::builder()
                    .part_size(part_size)
                    .concurrency(usize::from(concurrency))
                    .build()
                    .map_err(|e| CliError::usage("invalid bench options").source(e))?;
                let uploader = Uploader::new(client.clone(), config);
                let cpu_before = cpu::now();
                let started = Instant::now();
                let result = uploader
                    .upload(
                        &object.repository,
                        &object.branch,
                        &object.path,
                        UploadSource::bytes(data.clone()),
                    )
                    .cancel_on(ctx.interrupt.wait())
                    .await;
                let seconds = started.elapsed().as_secs_f64();
                let cpu_seconds = cpu_before.zip(cpu::now()).map(|(b, a)| a.own - b.own);
                if let Err(error) = result {
                    if ctx.interrupt.is_set() {
                        break 'sweep;
                    }
                    return Err(CliError::failure(format!(
                        "the bench upload ({} parts, concurrency {concurrency}) failed",
                        human_size(part_size)
                    ))
                    .source(error));
                }
                console.info(&format!(
                    "  run {run}: {} parts x {concurrency}: {:.0} MB/s",
                    human_size(part_size),
                    megabytes_per_second(args.size, seconds)
                ));
                runs.push(Run {
                    part_size,
                    concurrency,
                    run,
                    seconds,
                    cpu_seconds,
                });
            }
        }
    }
    if let Some(running) = emulator {
        running.shutdown().await;
    }
    report(ctx, &args, &runs)?;
    Ok(if ctx.interrupt.is_set() {
        Exit::Interrupted
    } else {
        Exit::Ok
    })
}

/// The table (stdout), the CSV and the chart.
fn report(ctx: &Context, args: &SweepArgs, runs: &[Run]) -> Result<(), CliError> {
    let console = &ctx.console;
    let mut table = vec![
        "| part size | concurrency | MB/s (median) | MB/s (min–max) | CPU s (median) | CPU s per GB |".to_owned(),
        "|---:|---:|---:|---:|---:|---:|".to_owned(),
    ];
    let mut series = Vec::new();
    for &part_size in &args.part_sizes {
        let mut points = Vec::new();
        for (index, &concurrency) in args.concurrency.iter().enumerate() {
            let cell: Vec<&Run> = runs
                .iter()
                .filter(|r| r.part_size == part_size && r.concurrency == concurrency)
                .collect();
            if cell.is_empty() {
                continue;
            }
            let rates: Vec<f64> = cell
                .iter()
                .map(|r| megabytes_per_second(args.size, r.seconds))
                .collect();
            let cpu: Vec<f64> = cell.iter().filter_map(|r| r.cpu_seconds).collect();
            let rate = median(&rates);
            let (low, high) = min_max(&rates);
            let cpu_text = if cpu.is_empty() {
                ("n/a".to_owned(), "n/a".to_owned())
            } else {
                let c = median(&cpu);
                (
                    format!("{c:.2}"),
                    format!("{:.2}", c / (args.size as f64 / 1e9)),
                )
            };
            if console.json() {
                console.json_line(&serde_json::json!({
                    "part_size": part_size,
                    "concurrency": concurrency,
                    "runs": cell.len(),
                    "mb_per_s": rate,
                    "mb_per_s_min": low,
                    "mb_per_s_max": high,
                    "cpu_seconds": (!cpu.is_empty()).then(|| median(&cpu)),
                }));
            }
            table.push(format!(
                "| {} | {concurrency} | {rate:.0} | {low:.0}–{high:.0} | {} | {} |",
                human_size(part_size),
                cpu_text.0,
                cpu_text.1
            ));
            points.push((index, rate));
        }
        series.push(chart::Series {
            label: format!("{} parts", human_size(part_size)),
            points,
        });
    }
    if !console.json() {
        console.stdout(&table.join("\n"));
    }
    if let Some(path) = &args.csv {
        let mut csv =
            String::from("part_size_bytes,concurrency,run,bytes,seconds,mb_per_s,cpu_seconds\n");
        for r in runs {
            csv.push_str(&format!(
                "{},{},{},{},{:.6},{:.3},{}\n",
                r.part_size,
                r.concurrency,
                r.run,
                args.size,
                r.seconds,
                megabytes_per_second(args.size, r.seconds),
                r.cpu_seconds.map(|c| format!("{c:.2}")).unwrap_or_default()
            ));
        }
        std::fs::write(path, csv)
            .map_err(|e| CliError::failure(format!("cannot write {}", path.display())).source(e))?;
        console.info(&format!("wrote {}", path.display()));
    }
    if let Some(path) = &args.chart {
        let categories: Vec<String> = args.concurrency.iter().map(u16::to_string).collect();
        let svg = chart::line_chart(
            &format!("Upload throughput, {} per run", human_size(args.size)),
            "concurrency (parts in flight)",
            "MB/s (median)",
            &categories,
            &series,
        );
        std::fs::write(path, svg)
            .map_err(|e| CliError::failure(format!("cannot write {}", path.display())).source(e))?;
        console.info(&format!("wrote {}", path.display()));
    }
    Ok(())
}

/// `len` bytes of a fast pseudo-random sequence (xorshift), incompressible enough.
pub(crate) fn pseudo_random(len: u64, seed: u64) -> Vec<u8> {
    let mut state = seed | 1;
    let mut out = Vec::with_capacity(usize::try_from(len).unwrap_or(0));
    while (out.len() as u64) < len {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        out.extend_from_slice(&state.to_le_bytes());
    }
    out.truncate(usize::try_from(len).unwrap_or(0));
    out
}
