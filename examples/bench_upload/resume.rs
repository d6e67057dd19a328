//! The cost of a resume's proof: every recorded part read back from the source and its MD5
//! compared with the one recorded when it was sent.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use lakefs::experimental::{Credentials, ExperimentalClient};
use lakefs::multipart::{ProgressEvent, UploadConfig, UploadSource, Uploader};
use lakefs::transport::fake::FakeTransport;
use lakefs_emulator::{
    Emulator, DEFAULT_ACCESS_KEY_ID, DEFAULT_REPOSITORY, DEFAULT_SECRET_ACCESS_KEY,
};

use crate::support::{spread, MIB};
use crate::Error;

const PARTS: u64 = 128;
const PART: u64 = 8 * MIB;

/// Prints the table: MiB/s of recorded parts proven, median and spread over `runs`.
pub(crate) async fn proof_cost(runs: usize) -> Result<(), Error> {
    println!(
        "\n## Resume: proving {} recorded parts of 8 MiB (1 GiB file, page cache warm)",
        PARTS - 1
    );
    let dir = std::env::temp_dir().join(format!("lakefs-bench-resume-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let file = dir.join("source.bin");
    let mut bytes = vec![0u8; (PARTS * PART) as usize];
    fastrand::Rng::with_seed(7).fill(&mut bytes);
    std::fs::write(&file, &bytes)?;
    drop(bytes);
    let mut rates = Vec::new();
    for run in 0..runs {
        let emulator = Emulator::new();
        let transport = FakeTransport::new();
        transport.set_recording(false);
        let handler = emulator.clone();
        transport.fallback(move |request, _| Ok(handler.handle(request)));
        let client = ExperimentalClient::builder()
            .endpoint("http://lakefs.emulator")
            .credentials(Credentials::basic(
                DEFAULT_ACCESS_KEY_ID,
                DEFAULT_SECRET_ACCESS_KEY,
            ))
            .build_with_transport(transport)?;
        let checkpoint = dir.join(format!("upload-{run}.json"));
        // Stop the first upload once all but the last part are stored.
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let tx = Mutex::new(Some(tx));
        let finished = Arc::new(Mutex::new(0u64));
        let counted = Arc::clone(&finished);
        let first = Uploader::new(
            client.clone(),
            UploadConfig::builder()
                .part_size(PART)
                .concurrency(1)
                .on_progress(move |event| {
                    if let ProgressEvent::PartFinished { .. } = event {
                        let mut done = counted.lock().unwrap_or_else(|e| e.into_inner());
                        *done += 1;
                        if *done == PARTS - 1 {
                            if let Some(tx) = tx.lock().unwrap_or_else(|e| e.into_inner()).take() {
                                let _ = tx.send(());
                            }
                        }
                    }
                })
                .build()?,
        );
        let stopped = first
            .upload(
                DEFAULT_REPOSITORY,
                "main",
                "resumed",
                UploadSource::file(&file),
            )
            .checkpoint(&checkpoint)
            .cancel_on(async move {
                let _ = rx.await;
            })
            .await;
        if stopped.is_ok() {
            return Err("the first upload was to stop before its last part".into());
        }
        let started = Arc::new(Mutex::new(None::<Instant>));
        let seen = Arc::clone(&started);
        let resumer = Uploader::new(
            client,
            UploadConfig::builder()
                .part_size(PART)
                .on_progress(move |event| {
                    if let ProgressEvent::Started { .. } = event {
                        *seen.lock().unwrap_or_else(|e| e.into_inner()) = Some(Instant::now());
                    }
                })
                .build()?,
        );
        let begun = Instant::now();
        resumer
            .resume(&checkpoint, UploadSource::file(&file))
            .await?;
        let proven_at = started
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .ok_or("the resume never started its parts")?;
        let proof: Duration = proven_at - begun;
        rates.push(((PARTS - 1) * PART) as f64 / MIB as f64 / proof.as_secs_f64());
    }
    let (median, low, high) = spread(&mut rates);
    println!("| MiB/s proven (median) | spread (min–max) | seconds per GiB |");
    println!("|---:|---:|---:|");
    println!(
        "| {median:.0} | {low:.0} – {high:.0} | {:.2} |",
        1024.0 / median
    );
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}
