//! `checkpoint show | list | abort | forget`.

use std::path::{Path, PathBuf};

use lakefs_multipart::{Checkpoint, UploadConfig, Uploader};
use serde_json::{json, Value};

use crate::cli::CheckpointCommand;
use crate::context::Context;
use crate::errors::CliError;
use crate::output::Render;
use crate::units::{human_size, human_time, relative_time, unix_now};
use crate::upload::shell_quote;
use crate::upload::state::{self, Journal};

/// What `checkpoint …` found or did.
pub(crate) enum CheckpointOutcome {
    /// `show`: what a checkpoint or a journal records.
    Shown(Saved),
    /// `list`: the checkpoints and journals in the state directory.
    Listed(Vec<Saved>),
    /// `abort`: the upload is aborted on lakeFS (or was gone already) and its checkpoint
    /// deleted.
    Aborted {
        upload_id: String,
        destination: String,
        file: PathBuf,
        /// lakeFS no longer had the upload.
        gone: bool,
    },
    /// `forget`: the checkpoint or journal is deleted; lakeFS was not asked.
    Forgotten {
        file: PathBuf,
        /// The upload the checkpoint recorded (none for a journal).
        upload_id: Option<String>,
    },
}

/// A file in the state directory.
pub(crate) enum Saved {
    /// An object's checkpoint.
    Checkpoint {
        file: PathBuf,
        checkpoint: Box<Checkpoint>,
    },
    /// A directory upload's journal.
    Journal {
        file: PathBuf,
        source: PathBuf,
        destination: String,
        files_done: usize,
    },
}

/// `checkpoint …`.
pub(crate) async fn run(
    ctx: &Context,
    command: CheckpointCommand,
) -> Result<CheckpointOutcome, CliError> {
    match command {
        CheckpointCommand::Show { file } => Saved::read(&file).map(CheckpointOutcome::Shown),
        CheckpointCommand::List { state_dir } => list(ctx, state_dir.as_deref()),
        CheckpointCommand::Abort { file } => abort(ctx, &file).await,
        CheckpointCommand::Forget { file } => forget(&file),
    }
}

/// The checkpoint `file`.
fn load(file: &Path) -> Result<Checkpoint, CliError> {
    Checkpoint::load(file).map_err(|e| {
        CliError::failure(format!("cannot read the checkpoint {}", file.display())).source(e)
    })
}

/// The object a checkpoint uploads to.
fn destination(checkpoint: &Checkpoint) -> String {
    let session = &checkpoint.session;
    format!(
        "lakefs://{}/{}/{}",
        session.repository, session.branch, session.path
    )
}

impl Saved {
    /// The journal or checkpoint `file`.
    fn read(file: &Path) -> Result<Self, CliError> {
        if Journal::is_journal(file) {
            let journal = Journal::open(file)?;
            Ok(Self::Journal {
                file: file.to_owned(),
                source: journal.header.source,
                destination: journal.header.destination,
                files_done: journal.done.len(),
            })
        } else {
            Ok(Self::Checkpoint {
                file: file.to_owned(),
                checkpoint: Box::new(load(file)?),
            })
        }
    }

    /// One line, for `list`.
    fn line(&self) -> String {
        match self {
            Self::Journal {
                file,
                source,
                destination,
                files_done,
            } => format!(
                "{}\tdirectory {} -> {destination}, {files_done} files done",
                file.display(),
                source.display(),
            ),
            Self::Checkpoint { file, checkpoint } => format!(
                "{}\t{}, {} of {} parts, created {}",
                file.display(),
                destination(checkpoint),
                checkpoint.parts.len(),
                checkpoint.session.schedule.part_count().unwrap_or(0),
                relative_time(created(checkpoint), unix_now()),
            ),
        }
    }

    /// Everything, for `show`.
    fn details(&self) -> String {
        match self {
            Self::Journal {
                file,
                source,
                destination,
                files_done,
            } => format!(
                "directory upload journal {}\n  {} -> {destination}\n  {files_done} files uploaded so far\n  resume: lakefs-cli upload --resume {} {}",
                file.display(),
                source.display(),
                shell_quote(&file.display().to_string()),
                shell_quote(&source.display().to_string()),
            ),
            Self::Checkpoint { file, checkpoint } => {
                let schedule = checkpoint.session.schedule;
                format!(
                    "checkpoint {}\n  destination  {}\n  upload id    {}\n  parts        {} of {} stored ({} of {})\n  part size    {}\n  created      {}\n  resumable    {}\n  content type {}",
                    file.display(),
                    destination(checkpoint),
                    checkpoint.session.upload_id,
                    checkpoint.parts.len(),
                    schedule.part_count().unwrap_or(0),
                    human_size(bytes_done(checkpoint)),
                    human_size(schedule.total_size().unwrap_or(0)),
                    human_size(schedule.nominal_part_size()),
                    human_time(created(checkpoint)),
                    resumable_until(checkpoint),
                    checkpoint.content_type.as_deref().unwrap_or("(default)"),
                )
            }
        }
    }

    /// The facts, for `show` and `list` with `--json`.
    fn json(&self) -> Value {
        match self {
            Self::Journal {
                file,
                source,
                destination,
                files_done,
            } => json!({
                "journal": file.display().to_string(),
                "source": source.display().to_string(),
                "destination": destination,
                "files_done": files_done,
            }),
            Self::Checkpoint { file, checkpoint } => {
                let session = &checkpoint.session;
                let schedule = session.schedule;
                json!({
                    "checkpoint": file.display().to_string(),
                    "destination": destination(checkpoint),
                    "upload_id": session.upload_id,
                    "created_at": session.created_at,
                    "size": schedule.total_size(),
                    "parts_total": schedule.part_count(),
                    "parts_done": checkpoint.parts.len(),
                    "bytes_done": bytes_done(checkpoint),
                    "part_size": schedule.nominal_part_size(),
                    "content_type": checkpoint.content_type,
                    "metadata": checkpoint.user_metadata,
                    "source_size": checkpoint.source.size,
                })
            }
        }
    }
}

/// When the upload a checkpoint records was created (Unix seconds).
fn created(checkpoint: &Checkpoint) -> i64 {
    i64::try_from(checkpoint.session.created_at).unwrap_or(i64::MAX)
}

/// Until when lakeFS keeps the upload resumable (24 h after its creation).
fn resumable_until(checkpoint: &Checkpoint) -> String {
    let lifetime = i64::try_from(lakefs_multipart::LINK_ADDRESS_LIFETIME.as_secs()).unwrap_or(0);
    let until = created(checkpoint).saturating_add(lifetime);
    if until <= unix_now() {
        format!(
            "no longer: lakeFS kept it until {} (`lakefs-cli checkpoint forget` deletes the checkpoint)",
            human_time(until)
        )
    } else {
        format!("until {}", human_time(until))
    }
}

/// The bytes of the parts a checkpoint records as stored.
fn bytes_done(checkpoint: &Checkpoint) -> u64 {
    let schedule = checkpoint.session.schedule;
    checkpoint
        .parts
        .keys()
        .map(|part| schedule.part_size(*part))
        .sum()
}

/// The checkpoints and journals in the state directory (unreadable files left out).
fn list(ctx: &Context, state_dir: Option<&Path>) -> Result<CheckpointOutcome, CliError> {
    let uploads = state::state_dir(state_dir)?.join("uploads");
    let mut files: Vec<PathBuf> = match std::fs::read_dir(&uploads) {
        Ok(entries) => entries.filter_map(Result::ok).map(|e| e.path()).collect(),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(error) => {
            return Err(
                CliError::failure(format!("cannot list {}", uploads.display())).source(error),
            )
        }
    };
    files.sort();
    let saved: Vec<Saved> = files.iter().filter_map(|f| Saved::read(f).ok()).collect();
    if saved.is_empty() {
        ctx.console
            .info(&format!("no checkpoint in {}", uploads.display()));
    }
    Ok(CheckpointOutcome::Listed(saved))
}

/// Aborts the upload the checkpoint `file` records, then deletes it. An upload lakeFS no
/// longer has is as good as aborted.
async fn abort(ctx: &Context, file: &Path) -> Result<CheckpointOutcome, CliError> {
    if Journal::is_journal(file) {
        return Err(CliError::usage(format!(
            "{} is a directory upload's journal: abort its files' checkpoints (`lakefs-cli checkpoint list`), or forget it to start over (`lakefs-cli checkpoint forget {}`)",
            file.display(),
            shell_quote(&file.display().to_string()),
        )));
    }
    let checkpoint = load(file)?;
    let session = &checkpoint.session;
    let forget = format!(
        "`lakefs-cli checkpoint forget {}` deletes the checkpoint without asking lakeFS",
        shell_quote(&file.display().to_string())
    );
    let gone = if expired(session.created_at) {
        // Past its lifetime, lakeFS refuses every call about the upload.
        true
    } else {
        let client = ctx.client().map_err(|e| e.note(forget.clone()))?;
        let uploader = Uploader::new(client, UploadConfig::default());
        ctx.call("aborting the upload", async {
            match uploader.abort(session).await {
                Ok(()) => Ok(false),
                Err(error) if is_gone(&error) => Ok(true),
                Err(error) => Err(CliError::failure(format!(
                    "cannot abort upload {}",
                    session.upload_id
                ))
                .source(error)
                .note(forget.clone())),
            }
        })
        .await?
    };
    std::fs::remove_file(file).map_err(|e| {
        CliError::failure(format!("aborted, but cannot delete {}", file.display())).source(e)
    })?;
    Ok(CheckpointOutcome::Aborted {
        upload_id: session.upload_id.clone(),
        destination: destination(&checkpoint),
        file: file.to_owned(),
        gone,
    })
}

/// Whether an upload created at `created_at` (Unix seconds) is past lakeFS's lifetime for it.
fn expired(created_at: u64) -> bool {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    now.saturating_sub(created_at) > lakefs_multipart::LINK_ADDRESS_LIFETIME.as_secs()
}

/// Whether lakeFS's answer to an abort says that it no longer has the upload: 404, S3's
/// `NoSuchUpload` (which lakeFS may pass on as a 500), or an expired link address.
fn is_gone(error: &lakefs_api::Error) -> bool {
    let message = error.server_message().unwrap_or_default();
    error.status().is_some_and(|s| s.as_u16() == 404)
        || message.contains("NoSuchUpload")
        || message.contains("link address expired")
}

/// Deletes the checkpoint or journal `file`, without asking lakeFS.
fn forget(file: &Path) -> Result<CheckpointOutcome, CliError> {
    let upload_id = if Journal::is_journal(file) {
        // Read, to be sure it is one.
        Journal::open(file)?;
        None
    } else {
        Some(load(file)?.session.upload_id)
    };
    std::fs::remove_file(file)
        .map_err(|e| CliError::failure(format!("cannot delete {}", file.display())).source(e))?;
    Ok(CheckpointOutcome::Forgotten {
        file: file.to_owned(),
        upload_id,
    })
}

impl Render for CheckpointOutcome {
    fn text(&self) -> Vec<String> {
        match self {
            Self::Shown(saved) => vec![saved.details()],
            Self::Listed(saved) => saved.iter().map(Saved::line).collect(),
            Self::Aborted {
                upload_id,
                destination,
                file,
                gone: false,
            } => vec![format!(
                "aborted upload {upload_id} of {destination} and deleted {}",
                file.display()
            )],
            Self::Aborted {
                upload_id,
                destination,
                file,
                gone: true,
            } => vec![format!(
                "upload {upload_id} of {destination} was no longer on lakeFS (aborted, completed, or past its 24 h lifetime): deleted {}",
                file.display()
            )],
            Self::Forgotten {
                file,
                upload_id: Some(upload_id),
            } => vec![format!(
                "deleted {} without asking lakeFS: if lakeFS still has upload {upload_id}, its parts stay on the object store until a lifecycle rule removes them",
                file.display()
            )],
            Self::Forgotten {
                file,
                upload_id: None,
            } => vec![format!(
                "deleted the journal {}: the next upload of its directory starts over (files already uploaded are skipped as unchanged)",
                file.display()
            )],
        }
    }

    /// `abort` and `forget` have no JSON line: their exit code says it all.
    fn json(&self) -> Vec<Value> {
        match self {
            Self::Shown(saved) => vec![saved.json()],
            Self::Listed(saved) => saved.iter().map(Saved::json).collect(),
            Self::Aborted { .. } | Self::Forgotten { .. } => Vec::new(),
        }
    }

    fn is_confirmation(&self) -> bool {
        matches!(self, Self::Aborted { .. } | Self::Forgotten { .. })
    }
}
