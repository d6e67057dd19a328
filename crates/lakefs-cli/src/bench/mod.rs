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
use crate::output::Render;
use crate::units::{human_size, megabytes_per_second};
use crate::uri::ObjectUri;

/// `bench …`.
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
        dest.join("lakefs-cli-bench.bin")
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
    let mut cells = Vec::new();
    let mut series = Vec::new();
    for &part_size in &args.part_sizes {
        let mut points = Vec::new();
        for (index, &concurrency) in args.concurrency.iter().enumerate() {
            if let Some(cell) = Cell::of(runs, part_size, concurrency, args.size) {
                points.push((index, cell.rate));
                cells.push(cell);
            }
        }
        series.push(chart::Series {
            label: format!("{} parts", human_size(part_size)),
            points,
        });
    }
    console.show(&SweepTable {
        size: args.size,
        cells,
    });
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

/// The runs of one part size × concurrency, summed up.
struct Cell {
    part_size: u64,
    concurrency: u16,
    runs: usize,
    /// MB/s: the median, the lowest and the highest.
    rate: f64,
    low: f64,
    high: f64,
    /// The median CPU seconds of this process, where measured.
    cpu_seconds: Option<f64>,
}

impl Cell {
    /// The runs of `part_size` × `concurrency` that uploaded `size` bytes each; `None` without
    /// any.
    fn of(runs: &[Run], part_size: u64, concurrency: u16, size: u64) -> Option<Self> {
        let cell: Vec<&Run> = runs
            .iter()
            .filter(|r| r.part_size == part_size && r.concurrency == concurrency)
            .collect();
        if cell.is_empty() {
            return None;
        }
        let rates: Vec<f64> = cell
            .iter()
            .map(|r| megabytes_per_second(size, r.seconds))
            .collect();
        let cpu: Vec<f64> = cell.iter().filter_map(|r| r.cpu_seconds).collect();
        let (low, high) = min_max(&rates);
        Some(Self {
            part_size,
            concurrency,
            runs: cell.len(),
            rate: median(&rates),
            low,
            high,
            cpu_seconds: (!cpu.is_empty()).then(|| median(&cpu)),
        })
    }
}

/// The sweep's results: a Markdown table, or a JSON line per cell.
struct SweepTable {
    /// Bytes uploaded per run.
    size: u64,
    cells: Vec<Cell>,
}

impl Render for SweepTable {
    fn text(&self) -> Vec<String> {
        let mut table = vec![
            "| part size | concurrency | MB/s (median) | MB/s (min–max) | CPU s (median) | CPU s per GB |".to_owned(),
            "|---:|---:|---:|---:|---:|---:|".to_owned(),
        ];
        for cell in &self.cells {
            let (cpu, per_gigabyte) = match cell.cpu_seconds {
                Some(c) => (
                    format!("{c:.2}"),
                    format!("{:.2}", c / (self.size as f64 / 1e9)),
                ),
                None => ("n/a".to_owned(), "n/a".to_owned()),
            };
            table.push(format!(
                "| {} | {} | {:.0} | {:.0}–{:.0} | {cpu} | {per_gigabyte} |",
                human_size(cell.part_size),
                cell.concurrency,
                cell.rate,
                cell.low,
                cell.high,
            ));
        }
        table
    }

    fn json(&self) -> Vec<serde_json::Value> {
        self.cells
            .iter()
            .map(|cell| {
                serde_json::json!({
                    "part_size": cell.part_size,
                    "concurrency": cell.concurrency,
                    "runs": cell.runs,
                    "mb_per_s": cell.rate,
                    "mb_per_s_min": cell.low,
                    "mb_per_s_max": cell.high,
                    "cpu_seconds": cell.cpu_seconds,
                })
            })
            .collect()
    }
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
