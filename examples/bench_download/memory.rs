//! Peak memory of one download (`--only memory`): the emulator runs in a process of its own
//! (it keeps the object in memory, which would otherwise dominate), the object is uploaded to
//! it from this process, and each row is a fresh process that downloads it — to a file, or as
//! a stream copied to its stdout, which is `/dev/null` — and reports its peak RSS.

use std::io::{BufRead as _, BufReader, Read as _};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

use lakefs_download::{DownloadConfig, Downloader};
use lakefs_emulator::{serve, Emulator, DEFAULT_REPOSITORY};

use crate::support::MIB;
use crate::{client, pseudo_random, upload, Error, Options, OBJECT};

/// The rows: (case, part size in MiB, concurrency).
const ROWS: [(&str, u64, usize); 6] = [
    ("file", 8, 4),
    ("stream", 8, 4),
    ("file", 8, 16),
    ("stream", 8, 16),
    ("file", 16, 8),
    ("stream", 16, 8),
];

fn runtime() -> Result<tokio::runtime::Runtime, Error> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?)
}

/// `--serve-emulator`: serves an emulator on loopback, prints its URL, and stops when its
/// standard input closes.
pub(crate) fn serve_emulator() -> Result<(), Error> {
    runtime()?.block_on(async {
        let running = serve(Emulator::new()).await?;
        println!("{}", running.url());
        tokio::task::spawn_blocking(|| {
            let _ = std::io::stdin().read_to_end(&mut Vec::new());
        })
        .await?;
        running.shutdown().await;
        Ok(())
    })
}

/// The memory table.
pub(crate) fn table(options: &Options) -> Result<(), Error> {
    let size = options.memory_size_mib * MIB;
    let exe = std::env::current_exe()?;
    let mut emulator = Command::new(&exe)
        .arg("--serve-emulator")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()?;
    let mut first = String::new();
    BufReader::new(emulator.stdout.take().ok_or("no stdout")?).read_line(&mut first)?;
    let endpoint = first.trim().to_owned();
    let result = (|| {
        runtime()?.block_on(async {
            let data = pseudo_random(size, 0x3e3);
            upload(&client(&endpoint)?, data, 8 * MIB).await
        })?;
        println!(
            "\n## Memory: peak RSS of one {} MiB download (uploaded in 8 MiB parts; the emulator in another process), each row a fresh process",
            options.memory_size_mib
        );
        println!("| case | part size | concurrency | bound (part buffers) | RSS before | peak RSS | peak − before | MB/s |");
        println!("|---|---:|---:|---:|---:|---:|---:|---:|");
        for (case, part_mib, concurrency) in ROWS {
            let output = Command::new(&exe)
                .arg("--dir")
                .arg(&options.dir)
                .args([
                    "--memory-row",
                    &format!("{case}:{part_mib}:{concurrency}"),
                    &endpoint,
                ])
                .stdout(Stdio::null())
                .output()?;
            let stderr = String::from_utf8_lossy(&output.stderr);
            if !output.status.success() {
                return Err(format!("memory row {case} failed: {stderr}").into());
            }
            for line in stderr.lines().filter_map(|l| l.strip_prefix("ROW ")) {
                println!("{line}");
            }
        }
        Ok::<_, Error>(())
    })();
    drop(emulator.stdin.take());
    let _ = emulator.wait();
    result
}

/// One row, in a process of its own: `case:part_mib:concurrency`.
pub(crate) fn row(spec: &str, endpoint: &str, dir: &Path) -> Result<(), Error> {
    let mut fields = spec.split(':');
    let (Some(case), Some(part_mib), Some(concurrency)) =
        (fields.next(), fields.next(), fields.next())
    else {
        return Err(format!("bad row {spec:?}").into());
    };
    let (part_mib, concurrency): (u64, usize) = (part_mib.parse()?, concurrency.parse()?);
    runtime()?.block_on(async {
        let config = DownloadConfig::builder()
            .part_size(part_mib * MIB)
            .concurrency(concurrency)
            .build()?;
        let downloader = Downloader::new(client(endpoint)?, config);
        let destination = dir.join(format!("lakefs-bench-memory-{}.bin", std::process::id()));
        let before = kib("VmRSS") as f64 / 1024.0;
        // Peak RSS from here (`VmHWM` reset to the current RSS).
        std::fs::write("/proc/self/clear_refs", "5")?;
        let started = Instant::now();
        let (size, verified) = if case == "file" {
            let done = downloader
                .download(DEFAULT_REPOSITORY, "main", OBJECT, &destination)
                .resume(false)
                .await?;
            std::fs::remove_file(&destination)?;
            (done.identity.size, format!("{:?}", done.verification))
        } else {
            let mut reader = downloader
                .read(DEFAULT_REPOSITORY, "main", OBJECT)
                .await?
                .into_async_read();
            let mut stdout = tokio::io::stdout();
            let size = tokio::io::copy(&mut reader, &mut stdout).await?;
            (size, format!("{:?}", reader.verification()))
        };
        let seconds = started.elapsed().as_secs_f64();
        let peak = kib("VmHWM") as f64 / 1024.0;
        let bound = if case == "file" {
            concurrency as u64 * part_mib
        } else {
            (concurrency as u64 + 1) * part_mib
        };
        eprintln!("verification: {verified}");
        eprintln!(
            "ROW | {case} | {part_mib} MiB | {concurrency} | {bound} MiB | {before:.1} MiB | {peak:.1} MiB | {:.1} MiB | {:.0} |",
            peak - before,
            size as f64 / 1e6 / seconds
        );
        Ok(())
    })
}

/// A field of /proc/self/status in KiB (0 where there is none).
fn kib(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status.lines().find_map(|line| {
                let rest = line.strip_prefix(field)?.strip_prefix(':')?;
                rest.trim().trim_end_matches("kB").trim().parse().ok()
            })
        })
        .unwrap_or(0)
}
