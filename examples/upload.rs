//! Uploads a local file through the multipart engine, with a progress bar.
//!
//! ```sh
//! cargo run --release --example upload -- <local file> lakefs://repo/branch/path \
//!     [--part-size-mib 8] [--concurrency 8] [--verify-md5 true] \
//!     [--endpoint URL --access-key-id ID --secret-access-key SECRET]
//! ```
//!
//! Without an endpoint (flags or the lakectl variables) it uploads to the emulator, started
//! on 127.0.0.1.

mod common;

use std::time::Instant;

use common::{human_size, progress_bar, rate, Args, Error, Target};
use lakefs::multipart::{UploadConfig, UploadSource, Uploader};

/// Splits `lakefs://repo/branch/path/to/object`.
fn parse_lakefs_uri(uri: &str) -> Result<(String, String, String), Error> {
    let rest = uri
        .strip_prefix("lakefs://")
        .ok_or_else(|| format!("{uri:?} is not a lakefs:// URI"))?;
    let mut pieces = rest.splitn(3, '/');
    match (pieces.next(), pieces.next(), pieces.next()) {
        (Some(repo), Some(branch), Some(path))
            if !repo.is_empty() && !branch.is_empty() && !path.is_empty() =>
        {
            Ok((repo.to_owned(), branch.to_owned(), path.to_owned()))
        }
        _ => Err(format!("{uri:?} must look like lakefs://repository/branch/path").into()),
    }
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let mut args = Args::parse()?;
    let target = Target::connect(&mut args).await?;
    let part_size_mib: u64 = args.take_parsed("part-size-mib")?.unwrap_or(8);
    let concurrency: usize = args.take_parsed("concurrency")?.unwrap_or(8);
    let verify_md5: bool = args.take_parsed("verify-md5")?.unwrap_or(false);
    let positional = args.finish()?;
    let [file, destination] = positional.as_slice() else {
        return Err("usage: upload <local file> lakefs://repository/branch/path [flags]".into());
    };
    let (repo, branch, path) = parse_lakefs_uri(destination)?;
    let size = std::fs::metadata(file)
        .map_err(|e| format!("{file}: {e}"))?
        .len();

    let (bar, on_progress) = progress_bar();
    let config = UploadConfig::builder()
        .part_size(part_size_mib * 1024 * 1024)
        .concurrency(concurrency)
        .verify_md5(verify_md5)
        .on_progress(on_progress)
        .build()?;
    let uploader = Uploader::new(target.client.clone(), config);
    let started = Instant::now();
    let result = uploader
        .upload(&repo, &branch, &path, UploadSource::file(file))
        .await;
    let elapsed = started.elapsed();
    bar.finish_and_clear();
    let stats = result?;
    println!(
        "uploaded {file} ({}) to lakefs://{repo}/{branch}/{path} in {:.1} s ({})",
        human_size(size),
        elapsed.as_secs_f64(),
        rate(size, elapsed)
    );
    println!(
        "checksum {}, content type {}, uncommitted on {branch} until a commit",
        stats.checksum,
        stats.content_type.as_deref().unwrap_or("not set")
    );
    if let Some(emulator) = target.emulator {
        emulator.shutdown().await;
    }
    Ok(())
}
