//! `download`: an object to a file, or (`--recursive`) every object below a prefix to a
//! directory, through the `lakefs-download` engine — presigned ranged GETs pinned to the
//! object's version, checked against its checksum, resumable after Ctrl-C; and `cat`, an
//! object's bytes in order on standard output.

pub(crate) mod cat;
mod dir;
mod local;
mod one;
mod report;

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use lakefs_download::{
    DownloadConfig, DownloadEvent, Error as DownloadError, ErrorKind, PartSlots,
};

use crate::cli::Concurrency;
use crate::cli::DownloadArgs;
use crate::context::Context;
use crate::errors::{CliError, Exit};
use crate::output::Progress;

/// The largest part `cat` takes (and a download read through lakeFS): it holds whole parts,
/// and the HTTP client takes answers of up to 16 MiB.
pub(crate) const MAX_HELD_PART_SIZE: u64 = 16 * 1024 * 1024;
/// The largest part `download` takes: parts are written to the file as they arrive (over
/// presigned URLs), so their size costs no memory; S3's largest part.
pub(crate) const MAX_WRITTEN_PART_SIZE: u64 = lakefs_download::MAX_PART_SIZE;

/// The options a download runs with, checked before anything is sent.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Options {
    pub(crate) part_size: Option<u64>,
    pub(crate) concurrency: Concurrency,
    pub(crate) verify: bool,
    pub(crate) require_verified: bool,
    pub(crate) upload_part_size: Option<u64>,
}

impl Options {
    pub(crate) fn new(
        part_size: Option<u64>,
        concurrency: Concurrency,
        no_verify: bool,
        require_verified: bool,
        upload_part_size: Option<u64>,
        max_part_size: u64,
    ) -> Result<Self, CliError> {
        if let Some(size) = part_size {
            if !(lakefs_download::MIN_PART_SIZE..=max_part_size).contains(&size) {
                let why = if max_part_size == MAX_HELD_PART_SIZE {
                    "to 16MiB (parts are held whole, and the HTTP client takes answers of up to 16MiB)"
                } else {
                    "to 5GiB"
                };
                return Err(CliError::usage(format!(
                    "--part-size {size} is out of range: it must be from 64KiB {why}"
                )));
            }
        }
        if upload_part_size == Some(0) {
            return Err(CliError::usage("--upload-part-size must be more than 0"));
        }
        let options = Self {
            part_size,
            concurrency,
            verify: !no_verify,
            require_verified,
            upload_part_size,
        };
        options.config(None, None, |_| {})?;
        Ok(options)
    }

    /// The engine's configuration: these options, parts drawn from `slots` when shared,
    /// received bytes counted in `received`, events to `on_event`.
    pub(crate) fn config(
        &self,
        slots: Option<&PartSlots>,
        received: Option<&lakefs_transport::Progress>,
        on_event: impl Fn(&DownloadEvent) + Send + Sync + 'static,
    ) -> Result<DownloadConfig, CliError> {
        // Shared slots carry the command's bound (adaptive or not); each download may use it
        // all.
        let concurrency = match slots {
            Some(_) => Concurrency::Fixed(self.concurrency.max_parts()),
            None => self.concurrency,
        };
        let mut builder = DownloadConfig::builder()
            .concurrency(concurrency)
            .verify(self.verify)
            .on_progress(on_event);
        if let Some(size) = self.part_size {
            builder = builder.part_size(size);
        }
        if let Some(slots) = slots {
            builder = builder.shared_slots(slots.clone());
        }
        if let Some(received) = received {
            builder = builder.received_bytes(received.clone());
        }
        builder
            .build()
            .map_err(|e| CliError::usage("invalid download options").source(DownloadCause(e)))
    }
}

/// `download`: one object, or `--recursive` a prefix.
pub(crate) async fn run(ctx: &Context, args: DownloadArgs) -> Result<Exit, CliError> {
    let options = Options::new(
        args.part_size,
        args.concurrency,
        args.no_verify,
        args.require_verified,
        args.upload_part_size,
        MAX_WRITTEN_PART_SIZE,
    )?;
    if args.recursive {
        dir::run(ctx, args, options).await
    } else {
        one::run(ctx, args, options).await
    }
}

/// A download engine's error as a cause: its text without the object (the message names it).
pub(crate) struct DownloadCause(pub(crate) DownloadError);

impl fmt::Display for DownloadCause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = self.0.to_string();
        let prefix = match self.0.object() {
            Some(object) => format!("download of {object}"),
            None => "download".to_owned(),
        };
        let rest = text.strip_prefix(&prefix).unwrap_or(&text);
        let rest = rest
            .strip_prefix(": ")
            .or_else(|| rest.strip_prefix(", "))
            .unwrap_or(rest);
        f.write_str(rest)
    }
}

impl fmt::Debug for DownloadCause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl std::error::Error for DownloadCause {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0.source()
    }
}

/// A failed download of `object` as people read it: an unknown object in one line, else the
/// engine's error and its causes, and what to do (`resumable`: a download to a file, which
/// the same command resumes).
pub(crate) fn failed(object: &str, error: DownloadError, resumable: bool) -> CliError {
    if error.kind() == ErrorKind::Api {
        if let Some(api) = error.lakefs_error() {
            if api.kind() == lakefs_api::ErrorKind::NotFound {
                return CliError::failure(format!("cannot download {object}: not found (404)"));
            }
        }
    }
    let kind = error.kind();
    let transient = error.is_transient();
    let cli = match kind {
        ErrorKind::InvalidArgument => CliError::usage(format!("cannot download {object}")),
        _ => CliError::failure(format!("cannot download {object}")),
    };
    let cli = cli.source(DownloadCause(error));
    match kind {
        ErrorKind::ChecksumMismatch if resumable => {
            cli.note("nothing was written: the partial file was removed; download it again")
        }
        ErrorKind::ObjectChanged if resumable => {
            cli.note("nothing was written; download it again to get the new version")
        }
        _ if transient && resumable => cli.note("run the same command again to resume"),
        _ => cli,
    }
}

/// `.{name}.lakefs-download` and `.{name}.lakefs-download.json` beside `destination` (as the
/// engine names them).
pub(crate) fn sidecars(destination: &Path) -> Option<(PathBuf, PathBuf)> {
    let name = destination.file_name()?.to_string_lossy().into_owned();
    Some((
        destination.with_file_name(format!(".{name}.lakefs-download")),
        destination.with_file_name(format!(".{name}.lakefs-download.json")),
    ))
}

/// The bytes a checkpoint beside `destination` keeps, and the object's size; `None` when
/// there is none (or it cannot be read).
pub(crate) fn kept_bytes(destination: &Path) -> Option<(u64, u64)> {
    let (_, checkpoint) = sidecars(destination)?;
    let text = std::fs::read(checkpoint).ok()?;
    let value: serde_json::Value = serde_json::from_slice(&text).ok()?;
    let part_size = value.get("part_size")?.as_u64()?.max(1);
    let size = value.get("identity")?.get("size")?.as_u64()?;
    let kept = value
        .get("parts")?
        .as_object()?
        .keys()
        .filter_map(|n| n.parse::<u64>().ok())
        .filter(|n| *n >= 1)
        .map(|n| {
            let start = (n - 1).saturating_mul(part_size);
            size.saturating_sub(start).min(part_size)
        })
        .sum();
    Some((kept, size))
}

/// After Ctrl-C: what is kept beside `destination` (the partial file of a run that recorded
/// no part yet is removed: a next run could not use it).
pub(crate) fn after_interrupt(destination: &Path) -> u64 {
    match kept_bytes(destination) {
        Some((kept, _)) => kept,
        None => {
            if let Some((partial, _)) = sidecars(destination) {
                let _ = std::fs::remove_file(partial);
            }
            0
        }
    }
}

/// Moves a progress bar along the bytes received (and those kept from an earlier run) until
/// dropped, so that it never sits at 0 while parts arrive.
pub(crate) struct Ticker(tokio::task::JoinHandle<()>);

impl Ticker {
    /// Every 100 ms, shows `base + received` (at most `total`) on the bar `progress()`
    /// gives, once it gives one; `base`, the bytes kept from an earlier run, is not counted
    /// in the rate.
    pub(crate) fn start(
        received: lakefs_transport::Progress,
        progress: impl Fn() -> Option<(Progress, u64, u64)> + Send + 'static,
    ) -> Self {
        Self(tokio::spawn(async move {
            let mut every = tokio::time::interval(Duration::from_millis(100));
            loop {
                every.tick().await;
                if let Some((bar, base, total)) = progress() {
                    bar.set_earlier_bytes(base);
                    bar.set_bytes(base.saturating_add(received.bytes()).min(total));
                }
            }
        }))
    }
}

impl Drop for Ticker {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// A value shared with the engine's callback.
pub(crate) type Shared<T> = Arc<std::sync::Mutex<T>>;

/// Locks, whatever a panicking holder left.
pub(crate) fn lock<T>(shared: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    shared
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}
