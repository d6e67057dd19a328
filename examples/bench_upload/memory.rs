//! Peak memory of one upload, each row in a fresh process (`--only memory`).

use std::time::Duration;

use bytes::Bytes;
use lakefs::multipart::UploadSource;

use crate::support::*;
use crate::{temp_file, Error};

/// Runs `upload` from a reset peak RSS; (peak RSS in MiB, whether the reset worked, seconds).
/// Without the reset (no `/proc/self/clear_refs`), the peak is the process's since start.
async fn peak_rss_of<F: std::future::Future<Output = Duration>>(upload: F) -> (f64, bool, f64) {
    let reset = std::fs::write("/proc/self/clear_refs", "5").is_ok();
    let elapsed = upload.await;
    (
        rss_kib("VmHWM") as f64 / 1024.0,
        reset,
        elapsed.as_secs_f64(),
    )
}

/// The memory table: each row measured in a child process of its own (this program run with
/// `--memory-row N`), so that what one upload left in the allocator cannot count for the next.
pub(crate) fn memory() -> Result<(), Error> {
    println!(
        "\n## Memory: peak RSS of one upload in a fresh process, against 1.25 × concurrency × part size + 32 MiB"
    );
    println!("| upload | RSS before | peak RSS | bound | throughput |");
    println!("|---|---:|---:|---:|---:|");
    for row in 0..3 {
        let output = std::process::Command::new(std::env::current_exe()?)
            .args(["--memory-row", &row.to_string()])
            .output()?;
        if !output.status.success() {
            return Err(format!(
                "memory row {row} failed: {}",
                String::from_utf8_lossy(&output.stderr)
            )
            .into());
        }
        print!("{}", String::from_utf8_lossy(&output.stdout));
    }
    Ok(())
}

/// One row of the memory table (run in its own process).
pub(crate) async fn memory_row(row: usize) -> Result<(), Error> {
    let (what, peak, before, bound, throughput) = match row {
        0 => {
            // 10,000 parts of 5 MiB at concurrency 8 with 2 KB URLs. The source is a sparse
            // map and the fake moves no byte: what is measured is what the engine holds.
            let fake = uploader(
                client("http://lakefs.fake", fake_lakefs_padded(1900)),
                5 * MIB,
                8,
            );
            let sparse = sparse_bytes(10_000 * 5 * MIB);
            let before = rss_kib("VmRSS") as f64 / 1024.0;
            let (peak, _, _) = peak_rss_of(timed_upload(&fake, UploadSource::bytes(sparse))).await;
            (
                "10,000 parts × 5 MiB, 8 in flight, 2 KB URLs (fake)",
                peak,
                before,
                1.25 * 8.0 * 5.0 + 32.0,
                "no bytes moved".to_owned(),
            )
        }
        _ => {
            let path = temp_file(&format!("2GiB-{row}"), 2048)?;
            let addr = start_sink().await;
            let http = uploader(sink_client(addr), 8 * MIB, 4);
            // Warm up the runtime and the connection pool on a small upload.
            timed_upload(
                &http,
                UploadSource::bytes(Bytes::from(vec![0u8; (8 * MIB) as usize])),
            )
            .await;
            let (what, source) = if row == 1 {
                (
                    "2 GiB file, 4 × 8 MiB, loopback HTTP",
                    UploadSource::file(&path),
                )
            } else {
                (
                    "2 GiB stream of unknown length, 4 × 8 MiB, loopback HTTP",
                    UploadSource::stream(tokio::fs::File::open(&path).await?),
                )
            };
            let before = rss_kib("VmRSS") as f64 / 1024.0;
            let (peak, _, secs) = peak_rss_of(timed_upload(&http, source)).await;
            std::fs::remove_file(&path)?;
            (
                what,
                peak,
                before,
                1.25 * 4.0 * 8.0 + 32.0,
                format!("{:.0} MB/s", (2048 * MIB) as f64 / 1e6 / secs),
            )
        }
    };
    println!("| {what} | {before:.1} MiB | {peak:.1} MiB | {bound:.0} MiB | {throughput} |");
    Ok(())
}

/// A field of /proc/self/status in KiB (0 where there is none).
fn rss_kib(field: &str) -> u64 {
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

pub(crate) fn total_memory_gib() -> f64 {
    std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|info| {
            let line = info.lines().find(|l| l.starts_with("MemTotal:"))?;
            line.split_whitespace().nth(1)?.parse::<f64>().ok()
        })
        .map_or(0.0, |kib| kib / 1024.0 / 1024.0)
}
