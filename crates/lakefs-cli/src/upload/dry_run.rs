//! `upload --dry-run`: which files would be uploaded and which left out as unchanged; nothing
//! is written (the destination is only read, to tell unchanged files).

use std::path::Path;

use serde_json::json;

use super::dir::DirectoryUpload;
use super::report::{JsonOnly, Plan, Planned};
use super::walk::Entry;
use crate::errors::Exit;
use crate::output::Console;
use crate::units::human_size;
use crate::uri::ObjectUri;

/// What a dry run of a directory found: shown file by file, then summed up (on stderr, and
/// with `--json` as a last line `{"summary": …}`). Fails when some files could not be read,
/// as the upload would.
pub(crate) fn directory(
    console: &Console,
    upload: &DirectoryUpload,
    pending: &[Entry],
    unchanged: &[Entry],
    commit: Option<&str>,
) -> Exit {
    for (path, error) in &upload.walk.errors {
        console.warn(&format!(
            "error: cannot read {}\ncaused by: {error}",
            path.display()
        ));
    }
    let shown = |entry: &Entry| {
        Path::new(&upload.shown)
            .join(&entry.relative)
            .display()
            .to_string()
    };
    for (entries, plan) in [(pending, Plan::WouldUpload), (unchanged, Plan::WouldSkip)] {
        for entry in entries {
            console.show(&Planned {
                shown: shown(entry),
                dest: upload.dest.join(&entry.relative),
                bytes: Some(entry.stamp.size),
                plan,
            });
        }
    }
    let bytes: u64 = pending.iter().map(|e| e.stamp.size).sum();
    let files = if pending.len() == 1 { "file" } else { "files" };
    let mut summary = format!(
        "dry run: would upload {} {files} ({}), skip {} unchanged",
        pending.len(),
        human_size(bytes),
        unchanged.len()
    );
    if upload.walk.excluded > 0 {
        summary.push_str(&format!(
            "; {} excluded by --include/--exclude",
            upload.walk.excluded
        ));
    }
    if !upload.walk.errors.is_empty() {
        summary.push_str(&format!("; {} unreadable", upload.walk.errors.len()));
    }
    console.info(&format!("{summary}; nothing was sent"));
    if let Some(message) = commit.filter(|_| !pending.is_empty()) {
        console.info(&format!(
            "would then commit lakefs://{}/{} with the message {message:?}",
            upload.dest.repository, upload.dest.branch
        ));
    }
    console.show(&JsonOnly(json!({"summary": {
        "dry_run": true,
        "would_upload": pending.len(),
        "would_skip": unchanged.len(),
        "bytes": bytes,
        "excluded": upload.walk.excluded,
        "unreadable": upload.walk.errors.len(),
    }})));
    if upload.walk.errors.is_empty() {
        Exit::Ok
    } else {
        Exit::Failure
    }
}

/// What a dry run of one file (or standard input) found.
pub(crate) fn one(
    console: &Console,
    shown: &str,
    dest: &ObjectUri,
    bytes: Option<u64>,
    unchanged: bool,
    commit: Option<&str>,
) -> Exit {
    console.show(&Planned {
        shown: shown.to_owned(),
        dest: dest.clone(),
        bytes,
        plan: if unchanged {
            Plan::WouldSkip
        } else {
            Plan::WouldUpload
        },
    });
    if let Some(message) = commit.filter(|_| !unchanged) {
        console.info(&format!(
            "would then commit lakefs://{}/{} with the message {message:?}",
            dest.repository, dest.branch
        ));
    }
    console.info("dry run: nothing was sent");
    Exit::Ok
}
