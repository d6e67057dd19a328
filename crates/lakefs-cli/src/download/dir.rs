//! `download -r lakefs://REPO/REF/PREFIX/ [DIR]`: every object below a prefix, each to
//! DIR/its path below the prefix, many at once within one bound on parts in flight; files
//! already identical are skipped, a failed file does not stop the others.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::pin::pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use futures_util::stream::{self, StreamExt, TryStreamExt};
use lakefs_api::models::{ObjectStats, PathType};
use lakefs_api::ObjectsApi;
use lakefs_download::{DownloadEvent, Downloader, ErrorKind, PartSlots, Verification};
use serde_json::json;

use super::report::{one_line, Finished, JsonOnly, Outcome, Started};
use super::{after_interrupt, failed, local, Options, Ticker};
use crate::admit::admit;
use crate::cli::DownloadArgs;
use crate::context::Context;
use crate::errors::{CliError, Exit};
use crate::glob::Filter;
use crate::units::{human_rate, human_size};

/// Local files read at once to tell whether they match their objects.
const COMPARE_AT_ONCE: usize = 16;

/// One object to download.
struct Job {
    source: String,
    /// Its path in the repository.
    path: String,
    destination: PathBuf,
    size: u64,
    checksum: String,
}

/// How a file's download did not finish.
enum NotDone {
    /// Ctrl-C: the engine recorded what it wrote, these bytes (`None`: it had not started, or
    /// could not write its checkpoint; what is on disk counts).
    Interrupted(Option<u64>),
    Failed(CliError),
}

/// Where `relative` (an object's path below the prefix) goes below `root`; the error names
/// what makes it unsafe: a `..`, `.` or empty segment, or an absolute path.
fn local_path(root: &Path, relative: &str) -> Result<PathBuf, String> {
    if relative.starts_with('/') {
        return Err("it is an absolute path".into());
    }
    let mut path = root.to_path_buf();
    for segment in relative.split('/') {
        match segment {
            ".." => return Err("it has a `..` segment".into()),
            "." => return Err("it has a `.` segment".into()),
            "" => return Err("it has an empty segment (`//`)".into()),
            s if s.contains('\\') || s.contains('\0') => {
                return Err("it has a `\\` or NUL character".into())
            }
            s => path.push(s),
        }
    }
    Ok(path)
}

/// Downloads every object below the prefix; shows each result and a summary.
pub(super) async fn run(
    ctx: &Context,
    args: DownloadArgs,
    options: Options,
) -> Result<Exit, CliError> {
    let uri = args.source;
    let prefix = if uri.path.is_empty() {
        String::new()
    } else {
        format!("{}/", uri.path.trim_end_matches('/'))
    };
    let root =
        args.destination
            .unwrap_or_else(|| match prefix.trim_end_matches('/').rsplit('/').next() {
                Some(name) if !name.is_empty() => PathBuf::from(".").join(name),
                _ => PathBuf::from("."),
            });
    if root.exists() && !root.is_dir() {
        return Err(CliError::usage(format!(
            "{} exists and is not a directory",
            root.display()
        )));
    }
    let client = ctx.client()?;
    let listed_uri = uri.with_path(&prefix);
    let objects: Vec<ObjectStats> = {
        let mut stream = pin!(client
            .list_objects()
            .repository(&uri.repository)
            .reference(&uri.reference)
            .prefix(&prefix)
            .amount(1000)
            .into_stream());
        let mut objects = Vec::new();
        while let Some(object) = ctx
            .call("listing the objects", async {
                stream
                    .try_next()
                    .await
                    .map_err(|e| CliError::failure(format!("cannot list {listed_uri}")).source(e))
            })
            .await?
        {
            if object.path_type == PathType::Object {
                objects.push(object);
            }
        }
        objects
    };
    let filter = Filter {
        include: args.include,
        exclude: args.exclude,
    };
    let started = Instant::now();
    let mut failures: Vec<(String, String)> = Vec::new();
    let mut jobs = Vec::new();
    let (mut excluded, mut markers) = (0usize, 0usize);
    for object in objects {
        let source = uri.with_path(&object.path).to_string();
        let relative = object.path.strip_prefix(&prefix).unwrap_or(&object.path);
        if relative.is_empty() || relative.ends_with('/') {
            // A directory marker: nothing to write.
            markers += 1;
            continue;
        }
        if !filter.admits(relative) {
            excluded += 1;
            continue;
        }
        match local_path(&root, relative) {
            Ok(destination) => jobs.push(Job {
                source,
                path: object.path.clone(),
                destination,
                size: object
                    .size_bytes
                    .and_then(|s| u64::try_from(s).ok())
                    .unwrap_or(0),
                checksum: object.checksum.clone(),
            }),
            Err(why) => {
                let error = CliError::failure(format!(
                    "refused {source}: {why}, which would write outside {}",
                    root.display()
                ));
                report_failure(ctx, &source, None, None, &error);
                failures.push((source, one_line(&error)));
            }
        }
    }

    // Files already there: identical ones are skipped, others refused without --force.
    let checked: Vec<(Job, Option<bool>)> = {
        let compared = stream::iter(jobs)
            .map(|job| async move {
                if std::fs::symlink_metadata(&job.destination).is_err() {
                    return (job, None);
                }
                let (path, size, checksum) =
                    (job.destination.clone(), job.size, job.checksum.clone());
                let upload_part_size = options.upload_part_size;
                let same = tokio::task::spawn_blocking(move || {
                    local::identical(&path, size, &checksum, upload_part_size)
                })
                .await
                .unwrap_or(false);
                (job, Some(same))
            })
            .buffered(options.concurrency.max_parts().min(COMPARE_AT_ONCE))
            .collect::<Vec<_>>();
        ctx.call("comparing files with the objects", async {
            Ok(compared.await)
        })
        .await?
    };
    let mut pending = Vec::new();
    let mut unchanged = 0usize;
    for (job, same) in checked {
        match same {
            Some(true) => {
                unchanged += 1;
                let mut finished = Finished::new(job.source, &job.destination, Some(job.size));
                finished.outcome = Outcome::Unchanged;
                ctx.console.show(&finished);
            }
            Some(false) if !args.force || !job.destination.is_file() => {
                let error = CliError::failure(format!(
                    "{} exists and is not {}",
                    job.destination.display(),
                    job.source
                ))
                .note(if job.destination.is_file() {
                    "--force overwrites it"
                } else {
                    "it is not a file"
                });
                report_failure(
                    ctx,
                    &job.source,
                    Some(&job.destination),
                    Some(job.size),
                    &error,
                );
                failures.push((job.source, one_line(&error)));
            }
            _ => pending.push(job),
        }
    }

    // The files to download, failed ones included (not the unchanged ones).
    let files = pending.len() + failures.len();
    // The downloads: at most `concurrency` parts in flight across all files.
    let total: u64 = pending.iter().map(|j| j.size).sum();
    let progress = ctx
        .console
        .progress_of("downloading", Some(total), pending.len() as u64);
    let received = lakefs_transport::Progress::new();
    let resumed = Arc::new(AtomicU64::new(0));
    let slots = PartSlots::for_concurrency(options.concurrency);
    let shown: Arc<HashMap<String, String>> = Arc::new(
        pending
            .iter()
            .map(|j| (j.source.clone(), j.destination.display().to_string()))
            .collect(),
    );
    let config = {
        let (resumed, console, shown) = (Arc::clone(&resumed), ctx.console.clone(), shown);
        options.config(Some(&slots), Some(&received), move |event| match event {
            DownloadEvent::Started {
                object,
                resumed_bytes,
                ..
            } => {
                resumed.fetch_add(*resumed_bytes, Ordering::Relaxed);
                console.show(&Started {
                    source: object.clone(),
                    destination: shown.get(object).cloned().unwrap_or_default(),
                    event: event.clone(),
                });
            }
            DownloadEvent::CheckpointDiscarded { reason } => {
                console.info(&format!(
                    "note: an earlier partial download is not used ({reason}); starting over"
                ));
            }
            _ => {}
        })?
    };
    let ticker = {
        let (progress, resumed) = (progress.clone(), Arc::clone(&resumed));
        Ticker::start(received, move || {
            Some((progress.clone(), resumed.load(Ordering::Relaxed), total))
        })
    };
    let downloader = Downloader::new(client, config);
    let resume = !args.no_resume;
    let destinations: Vec<PathBuf> = pending.iter().map(|j| j.destination.clone()).collect();
    let mut finished_paths: Vec<PathBuf> = Vec::new();
    // The files Ctrl-C stopped, and the bytes each keeps.
    let mut stopped: HashMap<PathBuf, u64> = HashMap::new();
    let (mut downloaded, mut bytes, mut unverified) = (0usize, 0u64, 0usize);
    // The files whose download has not ended (Ctrl-C keeps some from starting).
    let mut not_ended = pending.len();
    {
        let (downloader, uri, interrupt) = (&downloader, &uri, &ctx.interrupt);
        // Ctrl-C stops the downloads in flight — each records every part it wrote before it
        // returns — and starts no other.
        // As many files at once as parts may be in flight (with `-c auto`, as many as the
        // controller allows); none started once interrupted.
        let jobs = pending
            .into_iter()
            .take_while(|_| !interrupt.is_set())
            .map(|job| async move {
                let started = Instant::now();
                let result = match job.destination.parent() {
                    Some(parent) if !parent.as_os_str().is_empty() => {
                        std::fs::create_dir_all(parent).map_err(|e| {
                            CliError::failure(format!("cannot download {}", job.source)).source(
                                std::io::Error::new(
                                    e.kind(),
                                    format!("cannot create {}: {e}", parent.display()),
                                ),
                            )
                        })
                    }
                    _ => Ok(()),
                };
                let result = match result {
                    Ok(()) => {
                        let mut request = downloader
                            .download(&uri.repository, &uri.reference, &job.path, &job.destination)
                            .resume(resume)
                            .cancel_on(interrupt.wait());
                        if let Some(bytes) = options.upload_part_size {
                            request = request.upload_part_size(bytes);
                        }
                        request.await.map_err(|e| {
                            if e.kind() == ErrorKind::Cancelled {
                                NotDone::Interrupted(e.kept_bytes())
                            } else {
                                NotDone::Failed(failed(&job.source, e, true))
                            }
                        })
                    }
                    Err(error) => Err(NotDone::Failed(error)),
                };
                (job, started.elapsed().as_secs_f64(), result)
            });
        let mut results = admit(jobs, slots.clone());
        while let Some((job, seconds, result)) = results.next().await {
            not_ended -= 1;
            progress.file_done();
            let mut finished = Finished::new(job.source.clone(), &job.destination, Some(job.size));
            finished.seconds = seconds;
            match result {
                Ok(done) => {
                    finished_paths.push(job.destination.clone());
                    let reason = match &done.verification {
                        Verification::NotVerifiable { reason } => Some(reason.clone()),
                        _ => None,
                    };
                    finished.outcome = Outcome::Downloaded(Box::new(done));
                    ctx.console.show(&finished);
                    match reason {
                        Some(reason) if options.require_verified => {
                            let error =
                                super::one::not_verified(&job.source, &job.destination, &reason);
                            ctx.console.warn(&error.lines().join("\n"));
                            failures.push((job.source, one_line(&error)));
                        }
                        Some(reason) => {
                            unverified += 1;
                            downloaded += 1;
                            bytes += job.size;
                            ctx.console
                                .warn(&format!("warning: {} not verified: {reason}", job.source));
                        }
                        None => {
                            downloaded += 1;
                            bytes += job.size;
                        }
                    }
                }
                Err(NotDone::Interrupted(kept)) => {
                    let kept = kept.unwrap_or_else(|| after_interrupt(&job.destination));
                    stopped.insert(job.destination.clone(), kept);
                    finished.outcome = Outcome::Interrupted { kept };
                    ctx.console.show(&finished);
                }
                Err(NotDone::Failed(error)) => {
                    ctx.console.warn(&error.lines().join("\n"));
                    failures.push((job.source.clone(), one_line(&error)));
                    finished.outcome = Outcome::Failed(error);
                    ctx.console.show(&finished);
                }
            }
        }
    }
    let interrupted = !stopped.is_empty() || not_ended > 0;
    drop(ticker);
    progress.finish();
    let seconds = started.elapsed().as_secs_f64();
    let mut summary = if files == 0 && unchanged == 0 {
        format!("nothing to download under {listed_uri}")
    } else if files == 0 {
        "nothing to download".to_owned()
    } else {
        format!(
            "downloaded {downloaded} of {} files ({}) in {seconds:.2} s ({})",
            files,
            human_size(bytes),
            human_rate(bytes as f64 / seconds.max(1e-9)),
        )
    };
    if unchanged > 0 {
        summary.push_str(&format!("; {unchanged} unchanged, skipped"));
    }
    if excluded > 0 {
        summary.push_str(&format!("; {excluded} excluded by --include/--exclude"));
    }
    if markers > 0 {
        summary.push_str(&format!("; {markers} directory markers left out"));
    }
    if unverified > 0 {
        summary.push_str(&format!("; {unverified} not verified"));
    }
    let mut kept = 0u64;
    if interrupted {
        // Exact for the files stopped (the engine recorded what they wrote); for the others,
        // what an earlier run's checkpoint keeps.
        kept = destinations
            .iter()
            .filter(|d| !finished_paths.contains(d))
            .map(|d| match stopped.get(d) {
                Some(kept) => *kept,
                None => after_interrupt(d),
            })
            .sum::<u64>();
        let done_bytes: u64 = bytes;
        ctx.console.warn(&format!("interrupted: {summary}"));
        ctx.console.warn(&format!(
            "interrupted; run the same command again to resume ({} of {total} bytes kept)",
            kept + done_bytes
        ));
    } else if failures.is_empty() {
        ctx.console.info(&summary);
    } else {
        ctx.console
            .warn(&format!("{summary}; {} failed:", failures.len()));
    }
    for (source, why) in &failures {
        ctx.console.warn(&format!("  failed: {source}: {why}"));
    }
    ctx.console.show(&JsonOnly(json!({"summary": {
        "files": files + unchanged,
        "downloaded": downloaded,
        "unchanged": unchanged,
        "failed": failures.len(),
        "excluded": excluded,
        "not_verified": unverified,
        "bytes": bytes,
        "seconds": (seconds * 1e6).round() / 1e6,
        "interrupted": interrupted,
        "kept_bytes": interrupted.then_some(kept),
    }})));
    Ok(if interrupted {
        Exit::Interrupted
    } else if failures.is_empty() {
        Exit::Ok
    } else {
        Exit::Failure
    })
}

/// A file that failed before its download started: its JSON line, and the error on stderr.
fn report_failure(
    ctx: &Context,
    source: &str,
    destination: Option<&Path>,
    size: Option<u64>,
    error: &CliError,
) {
    let mut finished = Finished::new(
        source.to_owned(),
        destination.unwrap_or(Path::new("")),
        size,
    );
    finished.outcome = Outcome::Failed(CliError::failure(one_line(error)));
    ctx.console.show(&finished);
    ctx.console.warn(&error.lines().join("\n"));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_stay_below_the_directory() {
        let root = Path::new("out");
        assert_eq!(
            local_path(root, "a/b.txt").unwrap(),
            root.join("a").join("b.txt")
        );
        for bad in [
            "../x",
            "a/../../x",
            "/etc/passwd",
            "a//b",
            "./a",
            "a\\..\\b",
        ] {
            assert!(local_path(root, bad).is_err(), "{bad}");
        }
    }
}
