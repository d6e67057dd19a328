//! One object, uploaded by two worker processes: each sends half of the parts, and the
//! coordinator completes the upload with the parts both hand back.
//!
//! ```sh
//! cargo run --example parallel_upload                       # against the emulator it starts
//! cargo run --example parallel_upload -- --size-mib 64 \
//!     --endpoint http://localhost:8000 --access-key-id … --secret-access-key … \
//!     --repo my-repo --branch main
//! ```
//!
//! The coordinator writes a file of the size asked for, creates the upload
//! ([`Uploader::begin`]), and writes the [`UploadSession`] as JSON. Each worker — this same
//! program run with `worker SESSION FIRST LAST FILE` — calls [`Uploader::upload_parts`] for its
//! part range and prints the parts as JSON; part URLs are signed by lakeFS as each part
//! starts, so the session holds no secret URL. The coordinator then calls
//! [`Uploader::complete`] and, against the emulator, reads the object back.
//!
//! A distributed engine maps onto this directly: one task per part range (a Spark or Ray task,
//! a Kubernetes Job's indexed pods), the session as the task's input, the parts as its output,
//! and one final task that completes. The engine gives the primitives; the cluster is yours.

mod common;

use std::process::Stdio;

use common::{Args, Error, Target};
use lakefs::experimental::{ENV_ACCESS_KEY_ID, ENV_ENDPOINT, ENV_SECRET_ACCESS_KEY};
use lakefs::multipart::{
    ObjectOptions, StoredPart, UploadConfig, UploadSession, UploadSource, Uploader,
};
use lakefs_emulator::{DEFAULT_ACCESS_KEY_ID, DEFAULT_SECRET_ACCESS_KEY};

const WORKERS: u32 = 2;

#[tokio::main]
async fn main() -> Result<(), Error> {
    let mut args = Args::parse()?;
    if args.positional.first().map(String::as_str) == Some("worker") {
        return worker(args).await;
    }
    let size_mib: u64 = args.take_parsed("size-mib")?.unwrap_or(48);
    let repo = args.take("repo").unwrap_or_else(|| "example-repo".into());
    let branch = args.take("branch").unwrap_or_else(|| "main".into());
    let target = Target::connect(&mut args).await?;
    args.finish()?;

    let dir = std::env::temp_dir().join(format!("lakefs-parallel-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let file = dir.join("object.bin");
    let mut content = vec![0u8; (size_mib * 1024 * 1024) as usize];
    fastrand::Rng::with_seed(7).fill(&mut content);
    std::fs::write(&file, &content)?;

    let uploader = Uploader::new(target.client.clone(), config()?);
    let path = "parallel/object.bin";
    let session = uploader
        .begin(&repo, &branch, path, content.len() as u64)
        .await?;
    let parts = session.schedule.part_count().unwrap_or(1);
    println!(
        "upload {} of {size_mib} MiB in {parts} parts, {WORKERS} workers",
        session.upload_id
    );
    let session_file = dir.join("session.json");
    std::fs::write(&session_file, session.to_json())?;

    // The workers reach lakeFS through the lakectl variables.
    let (endpoint, key, secret) = match &target.emulator {
        Some(emulator) => (
            emulator.url().to_owned(),
            DEFAULT_ACCESS_KEY_ID.to_owned(),
            DEFAULT_SECRET_ACCESS_KEY.to_owned(),
        ),
        None => (
            target.client.base_url(),
            std::env::var(ENV_ACCESS_KEY_ID).unwrap_or_default(),
            std::env::var(ENV_SECRET_ACCESS_KEY).unwrap_or_default(),
        ),
    };
    let per_worker = parts.div_ceil(WORKERS);
    let mut children = Vec::new();
    for index in 0..WORKERS {
        let first = index * per_worker + 1;
        let last = ((index + 1) * per_worker).min(parts);
        if first > last {
            continue;
        }
        let child = tokio::process::Command::new(std::env::current_exe()?)
            .arg("worker")
            .arg(&session_file)
            .arg(first.to_string())
            .arg(last.to_string())
            .arg(&file)
            .env(ENV_ENDPOINT, &endpoint)
            .env(ENV_ACCESS_KEY_ID, &key)
            .env(ENV_SECRET_ACCESS_KEY, &secret)
            .stdout(Stdio::piped())
            .spawn()?;
        println!(
            "  worker {} (pid {:?}): parts {first}–{last}",
            index + 1,
            child.id()
        );
        children.push(child);
    }
    let mut all: Vec<StoredPart> = Vec::new();
    for child in children {
        let output = child.wait_with_output().await?;
        if !output.status.success() {
            let _ = uploader.abort(&session).await;
            return Err(format!(
                "a worker failed ({}); the upload was aborted",
                output.status
            )
            .into());
        }
        // Each worker's parts, with their sizes: complete checks them against the plan.
        let parts: Vec<StoredPart> = serde_json::from_slice(&output.stdout)?;
        all.extend(parts);
    }
    let stats = uploader
        .complete(
            &session,
            all,
            &ObjectOptions::new().content_type("application/octet-stream"),
        )
        .await?;
    println!(
        "completed: lakefs://{repo}/{branch}/{path}, {} bytes",
        stats.size_bytes.unwrap_or(0)
    );
    if let Some(emulator) = &target.emulator {
        let stored = emulator.emulator().object(&repo, &branch, path);
        let exact = stored.is_some_and(|bytes| bytes == content);
        println!(
            "read back from the emulator: {}",
            if exact { "byte-exact" } else { "DIFFERENT" }
        );
        if !exact {
            return Err("the object read back differs from the file".into());
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

fn config() -> Result<UploadConfig, Error> {
    Ok(UploadConfig::builder()
        .part_size(5 * 1024 * 1024)
        .concurrency(4)
        .build()?)
}

/// `worker SESSION FIRST LAST FILE`: uploads parts FIRST..=LAST and prints them as JSON.
async fn worker(mut args: Args) -> Result<(), Error> {
    let target = Target::connect(&mut args).await?;
    let positional = args.finish()?;
    let [_, session, first, last, file] = positional.as_slice() else {
        return Err("usage: parallel_upload worker SESSION FIRST LAST FILE".into());
    };
    let session = UploadSession::from_json(&std::fs::read_to_string(session)?)?;
    let uploader = Uploader::new(target.client.clone(), config()?);
    let parts = uploader
        .upload_parts(
            &session,
            first.parse()?..=last.parse()?,
            UploadSource::file(file),
        )
        .await?;
    println!("{}", serde_json::to_string(&parts)?);
    Ok(())
}
