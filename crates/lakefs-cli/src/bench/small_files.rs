//! `bench small-files`: many small files through `upload --recursive` — this very binary, run
//! as a child process — against an emulator served over HTTP by this process, beside a bare
//! loop of create + PUT + complete at the same concurrency, interleaved run by run.
//!
//! The bare loop runs twice per cell: as a child process like `upload --recursive` (the
//! baseline of the ratio: both pay for a process, its connections and the scheduling between
//! two processes on the same cores), and inside this process, next to the emulator (for
//! reference). Every side reads the same files from disk and writes the same objects, so the
//! emulator holds the same state for each.

use std::path::{Path, PathBuf};
use std::time::Instant;

use lakefs_experimental::{ENV_ACCESS_KEY_ID, ENV_ENDPOINT, ENV_SECRET_ACCESS_KEY};

use super::stats::median;
use super::{bare, cpu};
use crate::cli::SmallFilesArgs;
use crate::config::Settings;
use crate::context::{start_emulator, Context};
use crate::errors::{CliError, Exit};
use crate::output::Render;
use crate::units::human_size;
use crate::uri::ObjectUri;

/// `bench small-files`.
pub(crate) async fn run(ctx: &Context, args: SmallFilesArgs) -> Result<Exit, CliError> {
    let dir = std::env::temp_dir().join(format!("lakefs-cli-small-files-{}", std::process::id()));
    let files = make_files(&dir, args.files, args.file_size).map_err(|e| {
        CliError::failure(format!("cannot write the files under {}", dir.display())).source(e)
    })?;
    let result = measure(ctx, &args, &dir, &files).await;
    let _ = std::fs::remove_dir_all(&dir);
    let rows = result?;
    ctx.console.show(&SmallFilesTable { args: &args, rows });
    Ok(if ctx.interrupt.is_set() {
        Exit::Interrupted
    } else {
        Exit::Ok
    })
}

/// The results: a Markdown table, or a JSON line per concurrency.
struct SmallFilesTable<'a> {
    args: &'a SmallFilesArgs,
    rows: Vec<Row>,
}

impl Render for SmallFilesTable<'_> {
    fn text(&self) -> Vec<String> {
        let args = self.args;
        let mut table = vec![
            format!(
                "{} files of {}, emulator over HTTP on loopback; median of {} interleaved run(s)",
                args.files,
                human_size(args.file_size),
                args.runs
            ),
            "| concurrency | upload --recursive files/s | bare loop files/s (process) | ratio | bare loop files/s (in-process) | CPU s upload / bare |".into(),
            "|---:|---:|---:|---:|---:|---:|".into(),
        ];
        for row in &self.rows {
            let cpu = match (row.cli_cpu, row.bare_cpu) {
                (Some(cli), Some(bare)) => format!("{cli:.2} / {bare:.2}"),
                _ => "n/a".into(),
            };
            table.push(format!(
                "| {} | {:.0} | {:.0} | {:.2} | {:.0} | {cpu} |",
                row.concurrency,
                row.cli,
                row.bare,
                row.ratio(),
                row.bare_in_process,
            ));
        }
        table
    }

    fn json(&self) -> Vec<serde_json::Value> {
        self.rows
            .iter()
            .map(|row| {
                serde_json::json!({
                    "concurrency": row.concurrency,
                    "cli_files_per_s": row.cli,
                    "bare_files_per_s": row.bare,
                    "ratio": row.ratio(),
                    "bare_in_process_files_per_s": row.bare_in_process,
                    "cli_cpu_seconds": row.cli_cpu,
                    "bare_cpu_seconds": row.bare_cpu,
                })
            })
            .collect()
    }
}

/// The medians of one concurrency's runs: files/s and CPU seconds.
struct Row {
    concurrency: u16,
    cli: f64,
    bare: f64,
    bare_in_process: f64,
    cli_cpu: Option<f64>,
    bare_cpu: Option<f64>,
}

impl Row {
    /// `upload --recursive`'s files/s over the bare loop's (both as processes).
    fn ratio(&self) -> f64 {
        self.cli / self.bare.max(1e-9)
    }
}

/// Per concurrency: files/s and CPU seconds of each run.
#[derive(Default, Clone)]
struct Cell {
    cli: Vec<f64>,
    bare: Vec<f64>,
    bare_in_process: Vec<f64>,
    cli_cpu: Vec<f64>,
    bare_cpu: Vec<f64>,
}

/// `count` files of `size` bytes, 100 to a directory.
fn make_files(dir: &Path, count: u32, size: u64) -> std::io::Result<Vec<(PathBuf, String)>> {
    let _ = std::fs::remove_dir_all(dir);
    let mut files = Vec::new();
    for index in 0..count {
        let relative = format!("d{:03}/f{index:05}.bin", index / 100);
        let path = dir.join(&relative);
        if index % 100 == 0 {
            std::fs::create_dir_all(path.parent().unwrap_or(dir))?;
        }
        std::fs::write(&path, super::pseudo_random(size, u64::from(index) + 1))?;
        files.push((path, relative));
    }
    Ok(files)
}

async fn measure(
    ctx: &Context,
    args: &SmallFilesArgs,
    dir: &Path,
    files: &[(PathBuf, String)],
) -> Result<Vec<Row>, CliError> {
    let running = start_emulator().await?;
    let client = Settings::for_emulator(running.url()).client()?;
    let exe = std::env::current_exe()
        .map_err(|e| CliError::failure("cannot find this program's own path").source(e))?;
    let prefix = ObjectUri::new(lakefs_emulator::DEFAULT_REPOSITORY, "main", "small/");
    let mut cells = vec![Cell::default(); args.concurrency.len()];
    let count = files.len() as f64;
    let say = |run: u32, concurrency: u16, what: &str, seconds: f64| {
        ctx.console.info(&format!(
            "  run {run}, concurrency {concurrency}: {what:<28} {:.0} files/s",
            count / seconds
        ));
    };
    'runs: for run in 1..=args.runs {
        for (cell, &concurrency) in cells.iter_mut().zip(&args.concurrency) {
            if ctx.interrupt.is_set() {
                break 'runs;
            }
            let mut upload = tokio::process::Command::new(&exe);
            upload
                .arg("upload")
                .arg("--recursive")
                .arg(dir)
                .arg(prefix.to_string())
                // The same files every run: uploaded every time, not skipped as unchanged.
                .args([
                    "--concurrency",
                    &concurrency.to_string(),
                    "--quiet",
                    "--no-skip",
                ]);
            let (seconds, cpu) = child(&mut upload, running.url()).await?;
            say(run, concurrency, "upload --recursive", seconds);
            cell.cli.push(count / seconds);
            cell.cli_cpu.extend(cpu);
            let mut bare = tokio::process::Command::new(&exe);
            bare.args(["bench", "bare-loop"])
                .arg(dir)
                .arg(prefix.to_string())
                .args(["--concurrency", &concurrency.to_string()]);
            let (seconds, cpu) = child(&mut bare, running.url()).await?;
            say(run, concurrency, "bare loop (process)", seconds);
            cell.bare.push(count / seconds);
            cell.bare_cpu.extend(cpu);
            let seconds = bare::run(&client, files, &prefix, usize::from(concurrency)).await?;
            say(run, concurrency, "bare loop (in-process)", seconds);
            cell.bare_in_process.push(count / seconds);
        }
    }
    running.shutdown().await;
    let optional = |values: &[f64]| (!values.is_empty()).then(|| median(values));
    Ok(cells
        .iter()
        .zip(&args.concurrency)
        .filter(|(cell, _)| !cell.cli.is_empty() && !cell.bare.is_empty())
        .map(|(cell, &concurrency)| Row {
            concurrency,
            cli: median(&cell.cli),
            bare: median(&cell.bare),
            bare_in_process: median(&cell.bare_in_process),
            cli_cpu: optional(&cell.cli_cpu),
            bare_cpu: optional(&cell.bare_cpu),
        })
        .collect())
}

/// Runs `command` against the emulator at `url`: wall seconds (spawn to exit) and the
/// child's CPU seconds.
async fn child(
    command: &mut tokio::process::Command,
    url: &str,
) -> Result<(f64, Option<f64>), CliError> {
    let before = cpu::now();
    let started = Instant::now();
    let output = command
        .env(ENV_ENDPOINT, url)
        .env(ENV_ACCESS_KEY_ID, lakefs_emulator::DEFAULT_ACCESS_KEY_ID)
        .env(
            ENV_SECRET_ACCESS_KEY,
            lakefs_emulator::DEFAULT_SECRET_ACCESS_KEY,
        )
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .kill_on_drop(true)
        .output()
        .await
        .map_err(|e| CliError::failure("cannot run lakefs-cli").source(e))?;
    let seconds = started.elapsed().as_secs_f64();
    if !output.status.success() {
        return Err(CliError::failure(format!(
            "a benchmark child process failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        )));
    }
    let cpu_seconds = before.zip(cpu::now()).map(|(b, a)| a.children - b.children);
    Ok((seconds, cpu_seconds))
}
