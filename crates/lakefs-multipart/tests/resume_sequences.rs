//! One invariant over random histories of an upload: crashes (the upload's future dropped
//! after some parts), changes to the source (bytes inside any part, with its size and
//! modification time kept; or a new size), resumes (themselves crashing or not) and a final
//! resume. Whatever is staged and reported as success is byte for byte the source as it is
//! at that moment; anything else is an error that says why.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Mutex;

use common::{data, emulator_client, report, rewrite_keeping_mtime};
use lakefs_emulator::{Emulator, DEFAULT_REPOSITORY};
use lakefs_experimental::RetryPolicy;
use lakefs_multipart::*;
use lakefs_transport::fake::FakeTransport;
use proptest::prelude::*;

const MIB: usize = 1024 * 1024;
const PART: usize = 5 * MIB;
const REPO: &str = DEFAULT_REPOSITORY;

#[derive(Debug, Clone)]
enum Step {
    /// Rewrite bytes inside part `part` (1–3), keeping size and modification time.
    Change { part: u8, seed: u64 },
    /// Append bytes: another size.
    Grow,
    /// Resume, crashing after `crash_after` more parts if set.
    Resume { crash_after: Option<u32> },
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        4 => (1u8..=3, any::<u64>()).prop_map(|(part, seed)| Step::Change { part, seed }),
        1 => Just(Step::Grow),
        4 => proptest::option::of(1u32..=2).prop_map(|crash_after| Step::Resume { crash_after }),
    ]
}

/// An uploader whose progress fires `crash` once `n` parts have finished.
fn uploader(
    client: &lakefs_experimental::ExperimentalClient<FakeTransport>,
    crash_after: Option<u32>,
) -> (Uploader<FakeTransport>, tokio::sync::oneshot::Receiver<()>) {
    let (tx, rx) = tokio::sync::oneshot::channel();
    let tx = Mutex::new(Some(tx));
    let seen = AtomicU32::new(0);
    let config = UploadConfig::builder()
        .part_size(PART as u64)
        .concurrency(1)
        .on_progress(move |event| {
            if matches!(event, ProgressEvent::PartFinished { .. })
                && crash_after == Some(seen.fetch_add(1, Ordering::SeqCst) + 1)
            {
                if let Some(tx) = tx.lock().unwrap().take() {
                    let _ = tx.send(());
                }
            }
        })
        .build()
        .unwrap();
    (Uploader::new(client.clone(), config), rx)
}

/// Runs `run` until it ends or the crash signal fires (then it is dropped, as a killed
/// process would leave it); `None` for a crash.
async fn until_crash<F: std::future::Future>(
    run: F,
    crash: tokio::sync::oneshot::Receiver<()>,
) -> Option<F::Output> {
    tokio::select! {
        biased;
        output = run => Some(output),
        // Dropped at once: a checkpoint write it left on the blocking pool may land at any
        // time after, and must not undo what a resume records.
        Ok(()) = crash => None,
    }
}

/// Checks one outcome against the source as it is now.
fn check(
    emulator: &Emulator,
    file: &Path,
    outcome: Result<lakefs_experimental::models::ObjectStats, lakefs_multipart::Error>,
) -> Result<bool, TestCaseError> {
    match outcome {
        Ok(stats) => {
            let now = std::fs::read(file).unwrap();
            let staged = emulator.object(REPO, "main", "history").unwrap();
            prop_assert_eq!(stats.size_bytes, Some(now.len() as i64));
            prop_assert!(staged == now, "reported success, staged another object");
            Ok(true)
        }
        Err(error) => {
            let text = report(&error);
            prop_assert!(!text.is_empty());
            prop_assert!(
                matches!(
                    error.kind(),
                    ErrorKind::SourceChanged | ErrorKind::UploadGone | ErrorKind::Checkpoint
                ),
                "an unexpected failure: {}",
                text
            );
            Ok(false)
        }
    }
}

fn history(steps: &[Step], first_crash: u32, case: u64) -> Result<(), TestCaseError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let emulator = Emulator::new();
        let transport = FakeTransport::new();
        transport.set_recording(false);
        let handler = emulator.clone();
        transport.fallback(move |request, _| Ok(handler.handle(request)));
        let client = emulator_client(transport).with_retry_policy(RetryPolicy::none());
        let dir =
            std::env::temp_dir().join(format!("lakefs-history-{}-{case}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file: PathBuf = dir.join("source.bin");
        let checkpoint = dir.join("upload.json");
        let _ = std::fs::remove_file(&checkpoint);
        std::fs::write(&file, data(3 * PART - 1000, case)).unwrap();

        let (first, crash) = uploader(&client, Some(first_crash));
        let run = first
            .upload(REPO, "main", "history", UploadSource::file(&file))
            .checkpoint(&checkpoint);
        if let Some(outcome) = until_crash(run.into_future(), crash).await {
            check(&emulator, &file, outcome)?;
        }
        for step in steps {
            match step {
                Step::Change { part, seed } => {
                    let mut bytes = std::fs::read(&file).unwrap();
                    let start = (usize::from(*part) - 1) * PART;
                    let end = (start + PART).min(bytes.len());
                    let at = start + usize::try_from(*seed).unwrap_or(0) % (end - start);
                    bytes[at] = bytes[at].wrapping_add(1);
                    rewrite_keeping_mtime(&file, &bytes);
                }
                Step::Grow => {
                    let mut bytes = std::fs::read(&file).unwrap();
                    bytes.extend_from_slice(b"more");
                    std::fs::write(&file, bytes).unwrap();
                }
                Step::Resume { crash_after } => {
                    if !checkpoint.exists() {
                        continue;
                    }
                    let (resumer, crash) = uploader(&client, *crash_after);
                    let run = resumer.resume(&checkpoint, UploadSource::file(&file));
                    if let Some(outcome) = until_crash(run.into_future(), crash).await {
                        check(&emulator, &file, outcome)?;
                    }
                }
            }
        }
        // The end: resume what is left, or upload again what cannot be resumed.
        let (last, _) = uploader(&client, None);
        let resumed = if checkpoint.exists() {
            check(
                &emulator,
                &file,
                last.resume(&checkpoint, UploadSource::file(&file)).await,
            )?
        } else {
            false
        };
        if !resumed {
            let _ = std::fs::remove_file(&checkpoint);
            let outcome = last
                .upload(REPO, "main", "history", UploadSource::file(&file))
                .await;
            prop_assert!(check(&emulator, &file, outcome)?, "a fresh upload succeeds");
        }
        std::fs::remove_dir_all(&dir).unwrap();
        Ok(())
    })
}

use std::future::IntoFuture as _;

proptest! {
    #![proptest_config(ProptestConfig { cases: 16, ..ProptestConfig::default() })]

    #[test]
    fn whatever_is_reported_staged_is_the_source_as_it_is_at_the_end(
        steps in proptest::collection::vec(step(), 1..6),
        first_crash in 1u32..=3,
        case in any::<u64>(),
    ) {
        history(&steps, first_crash, case)?;
    }
}

#[test]
fn the_invariant_holds_where_the_review_found_it_broken() {
    // Part 1 sent, then part 1 rewritten outside the fingerprint's sample, then resumed.
    let steps = [
        Step::Change {
            part: 1,
            seed: 100_000,
        },
        Step::Change { part: 2, seed: 7 },
        Step::Resume { crash_after: None },
    ];
    history(&steps, 1, 42).unwrap();
    // Crashed once every part was sent, then the last part changed, then resumed.
    history(&[Step::Change { part: 3, seed: 1 }], 3, 43).unwrap();
}
