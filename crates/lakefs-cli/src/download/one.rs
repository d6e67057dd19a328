//! `download lakefs://REPO/REF/PATH [DEST]`: one object to one file.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use lakefs_api::ObjectsApi;
use lakefs_download::{DownloadEvent, Downloader, ErrorKind, Verification};

use super::report::{Finished, Outcome, Started};
use super::{after_interrupt, failed, local, lock, Options, Shared, Ticker};
use crate::cli::DownloadArgs;
use crate::context::Context;
use crate::errors::{CliError, Exit};
use crate::output::Progress;
use crate::uri::PathUri;

/// What the engine told of the download so far.
#[derive(Default)]
struct Seen {
    /// The object's size and the bytes kept from an earlier run, once started.
    started: Option<(u64, u64)>,
    bar: Option<Progress>,
}

/// The object's name: the last segment of its path.
pub(super) fn base_name(uri: &PathUri) -> Result<&str, CliError> {
    match uri.path.rsplit('/').next() {
        Some(name) if !name.is_empty() => Ok(name),
        _ => Err(CliError::usage(format!(
            "{uri} names a prefix, not an object: expected lakefs://REPOSITORY/REF/PATH"
        ))
        .note(format!(
            "`lakefs-cli download -r {uri} DIR` downloads everything below it"
        ))),
    }
}

/// Downloads one object; shows its result.
pub(super) async fn run(
    ctx: &Context,
    args: DownloadArgs,
    options: Options,
) -> Result<Exit, CliError> {
    let uri = args.source;
    let name = base_name(&uri)?;
    let destination = match args.destination {
        None => Path::new(".").join(name),
        Some(dir) if dir.is_dir() => dir.join(name),
        Some(file) => file,
    };
    let client = ctx.client()?;
    let source = uri.to_string();
    if std::fs::symlink_metadata(&destination).is_ok() {
        if !destination.is_file() {
            return Err(CliError::usage(format!(
                "{} exists and is not a file",
                destination.display()
            )));
        }
        if !args.force {
            let (size, same) = compare(ctx, &client, &uri, &destination, options).await?;
            if !same {
                return Err(CliError::usage(format!(
                    "{} exists and is not {source}",
                    destination.display()
                ))
                .note("--force overwrites it"));
            }
            let mut finished = Finished::new(source, &destination, Some(size));
            finished.outcome = Outcome::Unchanged;
            ctx.console.show(&finished);
            return Ok(Exit::Ok);
        }
    }

    let started_at = Instant::now();
    let seen: Shared<Seen> = Shared::default();
    let received = lakefs_transport::Progress::new();
    let config = {
        let (seen, console) = (Arc::clone(&seen), ctx.console.clone());
        let (source, shown) = (source.clone(), destination.display().to_string());
        options.config(None, Some(&received), move |event| {
            match event {
                DownloadEvent::Started {
                    size,
                    resumed_bytes,
                    ..
                } => {
                    lock(&seen).started = Some((*size, *resumed_bytes));
                    console.show(&Started {
                        source: source.clone(),
                        destination: shown.clone(),
                        event: event.clone(),
                    });
                }
                DownloadEvent::CheckpointDiscarded { reason } => {
                    console.info(&format!(
                        "note: the earlier partial download of {source} is not used ({reason}); starting over"
                    ));
                }
                _ => {}
            }
        })?
    };
    let ticker = {
        let (seen, console) = (Arc::clone(&seen), ctx.console.clone());
        Ticker::start(received, move || {
            let mut seen = lock(&seen);
            let (size, resumed) = seen.started?;
            let bar = seen
                .bar
                .get_or_insert_with(|| console.progress_of("downloading", Some(size), 1))
                .clone();
            Some((bar, resumed, size))
        })
    };
    let downloader = Downloader::new(client, config);
    // Ctrl-C stops the download, which records every part it wrote before it returns: the
    // bytes said to be kept are exactly those a resume keeps.
    let mut request = downloader
        .download(&uri.repository, &uri.reference, &uri.path, &destination)
        .resume(!args.no_resume)
        .cancel_on(ctx.interrupt.wait());
    if let Some(bytes) = options.upload_part_size {
        request = request.upload_part_size(bytes);
    }
    let result = request.await;
    drop(ticker);
    let bar = lock(&seen).bar.take();
    if let Some(bar) = bar {
        bar.finish();
    }
    let size = lock(&seen).started.map(|(size, _)| size);
    let mut finished = Finished::new(source.clone(), &destination, size);
    finished.seconds = started_at.elapsed().as_secs_f64();
    let exit = match result {
        Err(error) if error.kind() == ErrorKind::Cancelled => {
            let Some(size) = size else {
                ctx.console
                    .show(&finished_as(finished, Outcome::Interrupted { kept: 0 }));
                return Err(CliError::interrupted(format!(
                    "interrupted before any byte of {source} was downloaded"
                )));
            };
            // `None`: the checkpoint could not be brought up to date; what is on disk counts.
            let kept = error
                .kept_bytes()
                .unwrap_or_else(|| after_interrupt(&destination));
            ctx.console
                .show(&finished_as(finished, Outcome::Interrupted { kept }));
            ctx.console.warn(&format!(
                "interrupted; run the same command again to resume ({kept} of {size} bytes kept)"
            ));
            Exit::Interrupted
        }
        Err(error) => {
            let error = failed(&source, error, true);
            let exit = error.exit();
            let lines = error.lines().join("\n");
            ctx.console
                .show(&finished_as(finished, Outcome::Failed(error)));
            ctx.console.warn(&lines);
            exit
        }
        Ok(done) => {
            finished.bytes = Some(done.identity.size);
            let unverified = match &done.verification {
                Verification::NotVerifiable { reason } => Some(reason.clone()),
                _ => None,
            };
            ctx.console
                .show(&finished_as(finished, Outcome::Downloaded(Box::new(done))));
            match unverified {
                Some(reason) if options.require_verified => {
                    let error = not_verified(&source, &destination, &reason);
                    ctx.console.warn(&error.lines().join("\n"));
                    Exit::Failure
                }
                Some(reason) => {
                    ctx.console
                        .warn(&format!("warning: {source} not verified: {reason}"));
                    Exit::Ok
                }
                None => Exit::Ok,
            }
        }
    };
    Ok(exit)
}

fn finished_as(mut finished: Finished, outcome: Outcome) -> Finished {
    finished.outcome = outcome;
    finished
}

/// `--require-verified`, and the checksum could not be checked.
pub(super) fn not_verified(source: &str, destination: &Path, reason: &str) -> CliError {
    CliError::failure(format!("{source} could not be verified: {reason}")).note(format!(
        "{} was written but is not proven; --upload-part-size SIZE checks it with the part size it was uploaded with",
        destination.display()
    ))
}

/// The object's size, and whether the file at `destination` already is it (one `statObject`,
/// no byte of the object read).
async fn compare(
    ctx: &Context,
    client: &crate::context::Client,
    uri: &PathUri,
    destination: &Path,
    options: Options,
) -> Result<(u64, bool), CliError> {
    let source = uri.to_string();
    let stats = ctx
        .call("reading the object's stats", async {
            client
                .stat_object()
                .repository(&uri.repository)
                .reference(&uri.reference)
                .path(&uri.path)
                .user_metadata(false)
                .send()
                .await
                .map_err(|e| {
                    if e.kind() == lakefs_api::ErrorKind::NotFound {
                        CliError::failure(format!("cannot download {source}: not found (404)"))
                    } else {
                        CliError::failure(format!("cannot download {source}")).source(e)
                    }
                })
        })
        .await?;
    let size = stats
        .size_bytes
        .and_then(|s| u64::try_from(s).ok())
        .unwrap_or(0);
    let path: PathBuf = destination.to_owned();
    let checksum = stats.checksum.clone();
    let upload_part_size = options.upload_part_size;
    let same = ctx
        .call("comparing the file with the object", async move {
            tokio::task::spawn_blocking(move || {
                local::identical(&path, size, &checksum, upload_part_size)
            })
            .await
            .map_err(|e| CliError::failure("cannot compare the file with the object").source(e))
        })
        .await?;
    Ok((size, same))
}
