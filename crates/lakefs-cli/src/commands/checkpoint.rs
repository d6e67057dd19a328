//! `checkpoint show | list | abort`.

use std::path::{Path, PathBuf};

use lakefs_multipart::{Checkpoint, UploadConfig, Uploader};
use serde_json::json;

use crate::cli::CheckpointCommand;
use crate::context::Context;
use crate::errors::{CliError, Exit};
use crate::units::human_size;
use crate::upload::state::{self, Journal};

pub(crate) async fn run(ctx: &Context, command: CheckpointCommand) -> Result<Exit, CliError> {
    match command {
        CheckpointCommand::Show { file } => show(ctx, &file),
        CheckpointCommand::List { state_dir } => list(ctx, state_dir.as_deref()),
        CheckpointCommand::Abort { file } => abort(ctx, &file).await,
    }
}

fn load(file: &Path) -> Result<Checkpoint, CliError> {
    Checkpoint::load(file).map_err(|e| {
        CliError::failure(format!("cannot read the checkpoint {}", file.display())).source(e)
    })
}

/// The facts of a checkpoint, as JSON.
fn facts(file: &Path, checkpoint: &Checkpoint) -> serde_json::Value {
    let session = &checkpoint.session;
    let schedule = session.schedule;
    let done: u64 = checkpoint
        .parts
        .keys()
        .map(|part| schedule.part_size(*part))
        .sum();
    json!({
        "checkpoint": file.display().to_string(),
        "destination": format!("lakefs://{}/{}/{}", session.repository, session.branch, session.path),
        "upload_id": session.upload_id,
        "created_at": session.created_at,
        "size": schedule.total_size(),
        "parts_total": schedule.part_count(),
        "parts_done": checkpoint.parts.len(),
        "bytes_done": done,
        "part_size": schedule.nominal_part_size(),
        "content_type": checkpoint.content_type,
        "metadata": checkpoint.user_metadata,
        "source_size": checkpoint.source.size,
    })
}

fn show(ctx: &Context, file: &Path) -> Result<Exit, CliError> {
    if Journal::is_journal(file) {
        let journal = Journal::open(file)?;
        let header = &journal.header;
        if ctx.console.json() {
            ctx.console.json_line(&json!({
                "journal": file.display().to_string(),
                "source": header.source.display().to_string(),
                "destination": header.destination,
                "files_done": journal.done.len(),
            }));
        } else {
            ctx.console.stdout(&format!(
                "directory upload journal {}\n  {} -> {}\n  {} files uploaded so far\n  resume: lakefs-rs upload --resume {} {}",
                file.display(),
                header.source.display(),
                header.destination,
                journal.done.len(),
                crate::upload::shell_quote(&file.display().to_string()),
                crate::upload::shell_quote(&header.source.display().to_string()),
            ));
        }
        return Ok(Exit::Ok);
    }
    let checkpoint = load(file)?;
    let facts = facts(file, &checkpoint);
    if ctx.console.json() {
        ctx.console.json_line(&facts);
        return Ok(Exit::Ok);
    }
    let total = checkpoint.session.schedule.total_size().unwrap_or(0);
    let done = facts["bytes_done"].as_u64().unwrap_or(0);
    ctx.console.stdout(&format!(
        "checkpoint {}\n  destination  {}\n  upload id    {}\n  parts        {} of {} stored ({} of {})\n  part size    {}\n  created      Unix time {} (lakeFS keeps an upload resumable for 24 h)\n  content type {}",
        file.display(),
        facts["destination"].as_str().unwrap_or("?"),
        checkpoint.session.upload_id,
        checkpoint.parts.len(),
        checkpoint.session.schedule.part_count().unwrap_or(0),
        human_size(done),
        human_size(total),
        human_size(checkpoint.session.schedule.nominal_part_size()),
        checkpoint.session.created_at,
        checkpoint.content_type.as_deref().unwrap_or("(default)"),
    ));
    Ok(Exit::Ok)
}

fn list(ctx: &Context, state_dir: Option<&Path>) -> Result<Exit, CliError> {
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
    let mut count = 0;
    for file in files {
        if Journal::is_journal(&file) {
            if let Ok(journal) = Journal::open(&file) {
                count += 1;
                if ctx.console.json() {
                    ctx.console.json_line(&json!({
                        "journal": file.display().to_string(),
                        "source": journal.header.source.display().to_string(),
                        "destination": journal.header.destination,
                        "files_done": journal.done.len(),
                    }));
                } else {
                    ctx.console.stdout(&format!(
                        "{}\tdirectory {} -> {}, {} files done",
                        file.display(),
                        journal.header.source.display(),
                        journal.header.destination,
                        journal.done.len()
                    ));
                }
            }
        } else if let Ok(checkpoint) = Checkpoint::load(&file) {
            count += 1;
            let facts = facts(&file, &checkpoint);
            if ctx.console.json() {
                ctx.console.json_line(&facts);
            } else {
                ctx.console.stdout(&format!(
                    "{}\t{}, {} of {} parts",
                    file.display(),
                    facts["destination"].as_str().unwrap_or("?"),
                    checkpoint.parts.len(),
                    checkpoint.session.schedule.part_count().unwrap_or(0),
                ));
            }
        }
    }
    if count == 0 {
        ctx.console
            .info(&format!("no checkpoint in {}", uploads.display()));
    }
    Ok(Exit::Ok)
}

async fn abort(ctx: &Context, file: &Path) -> Result<Exit, CliError> {
    if Journal::is_journal(file) {
        return Err(CliError::usage(format!(
            "{} is a directory upload's journal: abort its files' checkpoints (`lakefs-rs checkpoint list`), or delete it to start over",
            file.display()
        )));
    }
    let checkpoint = load(file)?;
    let client = ctx.client()?;
    let uploader = Uploader::new(client, UploadConfig::default());
    let session = &checkpoint.session;
    ctx.call("aborting the upload", async {
        uploader.abort(session).await.map_err(|e| {
            CliError::failure(format!("cannot abort upload {}", session.upload_id)).source(e)
        })
    })
    .await?;
    std::fs::remove_file(file).map_err(|e| {
        CliError::failure(format!("aborted, but cannot delete {}", file.display())).source(e)
    })?;
    ctx.console.result(&format!(
        "aborted upload {} of lakefs://{}/{}/{} and deleted {}",
        session.upload_id,
        session.repository,
        session.branch,
        session.path,
        file.display()
    ));
    Ok(Exit::Ok)
}
