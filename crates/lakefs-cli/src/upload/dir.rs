//! `upload --recursive`: every file below a directory, at most `concurrency` parts in flight
//! across all of them; a failed file is reported and the others go on.

use std::path::{Path, PathBuf};
use std::time::Instant;

use futures_util::stream::StreamExt;
use serde_json::json;

use super::object::{self, Job, Shared, Source};
use super::report::{JsonOnly, Plan, Planned, Report, Status};
use super::state::{checkpoint_path, Journal};
use super::walk::{Entry, Walk};
use crate::admit::admit;
use crate::errors::{CliError, Exit};
use crate::output::{Console, Render};
use crate::units::{human_rate, human_size};
use crate::uri::ObjectUri;

/// A directory upload, its files found.
pub(crate) struct DirectoryUpload {
    /// The directory as the user named it.
    pub(crate) shown: String,
    pub(crate) dest: ObjectUri,
    pub(crate) walk: Walk,
    /// With `--checkpoint`: the journal, and where the files' checkpoints go.
    pub(crate) journal: Option<(Journal, PathBuf)>,
}

impl DirectoryUpload {
    /// The files still to upload (those the journal records unchanged are done), and how
    /// many were skipped.
    pub(crate) fn pending(&self) -> (Vec<Entry>, usize) {
        let Some((journal, _)) = &self.journal else {
            return (self.walk.files.clone(), 0);
        };
        let pending: Vec<Entry> = self
            .walk
            .files
            .iter()
            .filter(|e| journal.done.get(&e.relative) != Some(&e.stamp))
            .cloned()
            .collect();
        let skipped = self.walk.files.len() - pending.len();
        (pending, skipped)
    }
}

fn shown_path(root_shown: &str, relative: &str) -> String {
    Path::new(root_shown).join(relative).display().to_string()
}

/// How a directory upload ended.
pub(crate) struct Finished {
    /// The exit code the upload earns.
    pub(crate) exit: Exit,
    /// How many files were uploaded now.
    pub(crate) uploaded: usize,
}

/// Uploads the pending files and prints each result and the summary (on stderr, and with
/// `--json` as a last line `{"summary": …}` on stdout); `skipped` files the journal records,
/// `unchanged` ones whose object already matches are only reported.
pub(crate) async fn run(
    shared: &Shared,
    console: &Console,
    mut upload: DirectoryUpload,
    pending: Vec<Entry>,
    skipped: usize,
    unchanged: Vec<Entry>,
) -> Finished {
    let started = Instant::now();
    let mut failures: Vec<(String, String)> = Vec::new();
    for (path, error) in &upload.walk.errors {
        let text = error.to_string();
        report_walk_error(console, path, &text);
        failures.push((path.display().to_string(), text));
    }
    for (path, why) in &upload.walk.skipped {
        console.info(&format!("skipped {}: {why}", path.display()));
    }
    for entry in &unchanged {
        console.show(&Planned {
            shown: shown_path(&upload.shown, &entry.relative),
            dest: upload.dest.join(&entry.relative),
            bytes: Some(entry.stamp.size),
            plan: Plan::Skipped,
        });
    }
    let total_files = pending.len();
    let jobs: Vec<(Entry, Job)> = pending
        .into_iter()
        .map(|entry| {
            let dest = upload.dest.join(&entry.relative);
            let checkpoint = upload
                .journal
                .as_ref()
                .map(|(_, uploads)| checkpoint_path(uploads, &dest));
            let job = Job {
                source: Source::File(entry.path.clone()),
                shown: shown_path(&upload.shown, &entry.relative),
                dest,
                checkpoint,
                resume: false,
            };
            (entry, job)
        })
        .collect();
    // As many files at once as parts may be in flight (each needs a part slot to make
    // progress, and the slots are shared): with `-c auto`, as many as the controller allows.
    let jobs = jobs.into_iter().map(|(entry, job)| async move {
        if shared.is_stopped() {
            return (entry, None);
        }
        let report = object::upload(shared, job).await;
        (entry, Some(report))
    });
    let mut results = admit(jobs, shared.slots.clone());
    let (mut uploaded, mut bytes, mut interrupted, mut kept, mut not_started) =
        (0usize, 0u64, 0usize, 0usize, 0usize);
    let (mut aborted, mut abort_failed) = (0usize, 0usize);
    // The first failure that every other file would meet too (a rejected key, a missing
    // branch, …): it stops the upload, and is told once.
    let mut fatal: Option<CliError> = None;
    let mut same_way = 0usize;
    while let Some((entry, report)) = results.next().await {
        let Some(mut report) = report else {
            not_started += 1;
            continue;
        };
        shared.progress.file_done();
        console.show(&report);
        match report.status {
            Status::Uploaded => {
                uploaded += 1;
                bytes += report.bytes;
                if let Some((journal, _)) = upload.journal.as_mut() {
                    if let Err(error) = journal.record(&entry.relative, entry.stamp) {
                        console.warn(&format!(
                            "warning: cannot record {} in the journal {}: {error}",
                            entry.relative,
                            journal.path.display()
                        ));
                    }
                }
            }
            Status::Failed if report.error.as_ref().is_some_and(is_fatal) => {
                if fatal.is_none() {
                    shared.halt.set();
                    fatal = report.error.take();
                } else {
                    same_way += 1;
                }
            }
            Status::Failed => {
                if let Some(error) = &report.error {
                    console.error(error);
                }
                failures.push((report.shown.clone(), failure_text(&report)));
            }
            Status::Interrupted => {
                interrupted += 1;
                kept += usize::from(report.kept.is_some());
                aborted += usize::from(report.aborted == Some(true));
                abort_failed += usize::from(report.aborted == Some(false));
            }
        }
    }
    drop(results);
    shared.progress.finish();
    let seconds = started.elapsed().as_secs_f64();
    let mut summary = if total_files == 0 {
        "nothing to upload".to_owned()
    } else {
        format!(
            "uploaded {uploaded} of {total_files} files ({}) in {seconds:.2} s ({}, {:.0} files/s)",
            human_size(bytes),
            human_rate(bytes as f64 / seconds.max(1e-9)),
            uploaded as f64 / seconds.max(1e-9),
        )
    };
    if !unchanged.is_empty() {
        summary.push_str(&format!("; {} unchanged, skipped", unchanged.len()));
    }
    if skipped > 0 {
        summary.push_str(&format!("; {skipped} already uploaded, skipped"));
    }
    let excluded = upload.walk.excluded;
    if excluded > 0 || upload.walk.pruned > 0 {
        summary.push_str(&format!("; {excluded} excluded by --include/--exclude"));
        if upload.walk.pruned > 0 {
            summary.push_str(&format!(
                " (and {} directories not read)",
                upload.walk.pruned
            ));
        }
    }
    let was_interrupted = shared.interrupt.is_set() && (interrupted > 0 || not_started > 0);
    let fatal = fatal
        .map(|error| error.retitled(format!("cannot upload {} to {}", upload.shown, upload.dest)));
    if let Some(error) = &fatal {
        console.error(error);
        let mut stopped = format!("stopped: uploaded {uploaded} of {total_files} files");
        if same_way > 0 {
            stopped.push_str(&format!("; {same_way} more failed the same way"));
        }
        if interrupted > 0 {
            stopped.push_str(&format!("; {interrupted} stopped in flight"));
            if kept > 0 {
                stopped.push_str(&format!(" ({kept} kept resumable)"));
            }
        }
        if not_started > 0 {
            stopped.push_str(&format!("; {not_started} not started"));
        }
        stopped.push_str(if abort_failed == 0 {
            "; nothing is left open on lakeFS"
        } else {
            "; some uploads could not be aborted (their parts stay until a lifecycle rule removes them)"
        });
        console.warn(&stopped);
        console.warn("  run the same command again once this is fixed");
    } else if was_interrupted {
        console.warn(&format!("interrupted: {summary}"));
        console.warn(&format!(
            "  {interrupted} in flight ({aborted} aborted on lakeFS, {kept} kept resumable), {not_started} not started"
        ));
        match &upload.journal {
            Some((journal, _)) => console.warn(&format!(
                "  resume with: {}",
                shared.resume_command(&journal.path, &upload.shown)
            )),
            None => console.warn(
                "  nothing is left open on lakeFS; add --checkpoint to make an upload resumable",
            ),
        }
    } else if failures.is_empty() {
        console.info(&summary);
    } else {
        console.warn(&format!("{summary}; {} failed:", failures.len()));
    }
    for (shown, why) in &failures {
        console.warn(&format!("  failed: {shown}: {why}"));
    }
    if !failures.is_empty() {
        if let Some((journal, _)) = &upload.journal {
            console.warn(&format!(
                "  retry the failed files with: {}",
                shared.resume_command(&journal.path, &upload.shown)
            ));
        }
    }
    console.show(&JsonOnly(json!({"summary": {
        "files": total_files + unchanged.len() + skipped,
        "uploaded": uploaded,
        "unchanged": unchanged.len(),
        "already_uploaded": skipped,
        "failed": failures.len(),
        "excluded": excluded,
        "excluded_directories": upload.walk.pruned,
        "bytes": bytes,
        "seconds": (seconds * 1e6).round() / 1e6,
        "interrupted": was_interrupted,
        "stopped_by": fatal.as_ref().map(|e| e.shown(false).first().cloned()),
    }})));
    let exit = if fatal.is_some() {
        Exit::Failure
    } else if was_interrupted {
        Exit::Interrupted
    } else if failures.is_empty() {
        if let Some((journal, _)) = &upload.journal {
            let _ = std::fs::remove_file(&journal.path);
        }
        Exit::Ok
    } else {
        Exit::Failure
    };
    Finished { exit, uploaded }
}

/// Whether a file's failure would be every file's: the upload stops.
fn is_fatal(error: &CliError) -> bool {
    error.diagnosis().is_some_and(|d| d.everywhere)
}

fn failure_text(report: &Report) -> String {
    match &report.error {
        Some(error) => {
            let lines = error.lines();
            let causes: Vec<&str> = lines
                .iter()
                .filter_map(|l| l.strip_prefix("caused by: "))
                .collect();
            if causes.is_empty() {
                error.to_string()
            } else {
                causes.join(": ")
            }
        }
        None => "failed".into(),
    }
}

/// A file the walk could not read: a failed result, and the error.
fn report_walk_error(console: &Console, path: &Path, text: &str) {
    console.show(&Unreadable { path, text });
    console.warn(&format!(
        "error: cannot read {}\ncaused by: {text}",
        path.display()
    ));
}

/// A file the walk could not read: a failed result in JSON; in text, the error on stderr
/// says it all.
struct Unreadable<'a> {
    path: &'a Path,
    text: &'a str,
}

impl Render for Unreadable<'_> {
    fn text(&self) -> Vec<String> {
        Vec::new()
    }

    fn json(&self) -> Vec<serde_json::Value> {
        vec![json!({
            "source": self.path.display().to_string(),
            "destination": null,
            "status": "failed",
            "error": format!("cannot read {}: {}", self.path.display(), self.text),
        })]
    }
}
