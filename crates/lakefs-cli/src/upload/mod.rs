//! `upload`: a file, a directory (`--recursive`, its files chosen by `--include` /
//! `--exclude`) or standard input (`-`), or the resumption of one (`--resume`). Files that
//! already match their destination object are skipped (see `unchanged`); `--dry-run` says what
//! would be done; `--commit` commits the branch after a fully successful upload.

mod dir;
mod dry_run;
mod object;
mod plan;
mod report;
pub(crate) mod state;
mod unchanged;
pub(crate) mod verify;
pub(crate) mod walk;

use lakefs_multipart::{PartSlots, UploadConfig, Uploader};

use self::object::{metadata_map, Halt, Job, Shared, Source};
use self::plan::Plan;
use self::report::{Plan as FilePlan, Planned, Status};
use self::unchanged::Wanted;
use crate::cli::{Concurrency, UploadArgs};
use crate::commands::commits::commit_branch;
use crate::context::{Client, Context};
use crate::errors::{CliError, Exit};
use crate::uri::BranchUri;

pub(crate) use self::object::shell_quote;

const MIB: u64 = 1024 * 1024;
/// `--part-size`'s default.
const DEFAULT_PART_SIZE: u64 = 8 * MIB;
/// Local files read at once to tell whether they match their objects.
const COMPARE_AT_ONCE: usize = 16;

/// `upload`: checks every option, works out the files, leaves out those already uploaded,
/// uploads the others (or, with `--dry-run`, says what it would do), then commits if asked.
pub(crate) async fn run(ctx: &Context, args: UploadArgs) -> Result<Exit, CliError> {
    // The options first, before anything is read or sent (a part size below 5 MiB, …).
    UploadConfig::builder()
        .part_size(args.part_size)
        .concurrency(args.concurrency)
        .build()
        .map_err(|e| CliError::usage("invalid upload options").source(e))?;
    if args.commit.as_deref().is_some_and(|m| m.trim().is_empty()) {
        return Err(CliError::usage("--commit needs a commit message"));
    }
    let plan = plan::plan(ctx, &args)?;
    let client = ctx.client()?;
    // A directory upload's objects get what its journal recorded: the command that resumes it
    // names neither (and may only repeat them, see `check_recorded`).
    let (content_type, metadata) = match &plan {
        Plan::Directory(upload) => match &upload.journal {
            Some((journal, _)) => (
                journal.header.content_type.clone(),
                journal.header.metadata.clone(),
            ),
            None => (args.content_type.clone(), args.metadata.clone()),
        },
        Plan::One { .. } => (args.content_type.clone(), args.metadata.clone()),
    };
    let wanted = Wanted {
        part_size: args.part_size,
        content_type: content_type.clone(),
        metadata: (!metadata.is_empty()).then(|| metadata_map(&metadata)),
    };
    // One bound on parts in flight for the whole command, fixed or adaptive; each object may
    // use all of it, and as many files as it allows are under way at once.
    let concurrency = args.concurrency.max_parts();
    let shared = |total: Option<u64>, files: u64| -> Result<Shared, CliError> {
        let slots = PartSlots::for_concurrency(args.concurrency);
        let config = Shared::config(args.part_size, concurrency, args.verify, &slots)?;
        Ok(Shared {
            uploader: Uploader::new(client.clone(), config),
            part_size: args.part_size,
            slots,
            verify: args.verify,
            content_type: content_type.clone(),
            metadata: metadata.clone(),
            interrupt: ctx.interrupt.clone(),
            halt: Halt::new(),
            progress: ctx.console.progress(total, files),
            resume_prefix: resume_prefix(ctx, &args),
        })
    };
    let commit = args.commit.as_deref();
    let (exit, uploaded, dest) = match plan {
        Plan::One { job, size } => {
            let unchanged = match &job.source {
                Source::File(path) if !args.no_skip && !job.resume => {
                    unchanged::single(ctx, &client, &job.dest, path.clone(), &wanted).await?
                }
                _ => false,
            };
            if args.dry_run {
                let exit =
                    dry_run::one(&ctx.console, &job.shown, &job.dest, size, unchanged, commit);
                return Ok(exit);
            }
            let dest = job.dest.clone();
            if unchanged {
                ctx.console.show(&Planned {
                    shown: job.shown,
                    dest: job.dest,
                    bytes: size,
                    plan: FilePlan::Skipped,
                });
                (Exit::Ok, 0, dest)
            } else {
                let exit = one(ctx, &shared(size, 1)?, job).await;
                (exit, 1, dest)
            }
        }
        Plan::Directory(upload) => {
            let (pending, skipped) = upload.pending();
            let (pending, unchanged) = if args.no_skip {
                (pending, Vec::new())
            } else {
                // Reading local files to compare: a few at once, whatever the parts in flight.
                let readers = concurrency.min(COMPARE_AT_ONCE);
                unchanged::partition(ctx, &client, &upload.dest, pending, &wanted, readers).await?
            };
            if args.dry_run {
                return Ok(dry_run::directory(
                    &ctx.console,
                    &upload,
                    &pending,
                    &unchanged,
                    commit,
                ));
            }
            let total = pending.iter().map(|e| e.stamp.size).sum();
            let shared = shared(Some(total), pending.len() as u64)?;
            let dest = upload.dest.clone();
            let finished =
                dir::run(&shared, &ctx.console, *upload, pending, skipped, unchanged).await;
            (finished.exit, finished.uploaded, dest)
        }
    };
    match commit {
        Some(message) if exit == Exit::Ok => {
            let branch = BranchUri {
                repository: dest.repository,
                branch: dest.branch,
            };
            commit_after(ctx, &client, &branch, message, uploaded).await?;
            Ok(exit)
        }
        _ => Ok(exit),
    }
}

/// `--commit`: commits `branch` after a fully successful upload of `uploaded` files (none: no
/// commit, as nothing changed), and shows the commit.
async fn commit_after(
    ctx: &Context,
    client: &Client,
    branch: &BranchUri,
    message: &str,
    uploaded: usize,
) -> Result<(), CliError> {
    if uploaded == 0 {
        ctx.console
            .info(&format!("nothing was uploaded: {branch} is not committed"));
        return Ok(());
    }
    let committed = commit_branch(ctx, client, branch, message, Default::default(), false)
        .await
        .map_err(|e| {
            e.note(format!(
                "the files are uploaded; commit them with `lakefs-cli commit {branch} -m MESSAGE`"
            ))
        })?;
    ctx.console.show(&committed);
    Ok(())
}

/// Uploads one object and prints its result.
async fn one(ctx: &Context, shared: &Shared, job: Job) -> Exit {
    let report = object::upload(shared, job).await;
    shared.progress.file_done();
    shared.progress.finish();
    ctx.console.show(&report);
    match report.status {
        Status::Uploaded => Exit::Ok,
        Status::Failed | Status::Interrupted => {
            if let Some(error) = &report.error {
                ctx.console.error(error);
            }
            if report.status == Status::Failed {
                Exit::Failure
            } else {
                Exit::Interrupted
            }
        }
    }
}

/// `lakefs-cli [connection flags] upload [--part-size SIZE] [-c N] [--verify]`, to which
/// `--resume CHECKPOINT SRC` is added. The secret is never part of it: a secret given as a flag
/// must be given again (the variable or the file are better places for it). The content type
/// and metadata are not either: the checkpoint, or a directory upload's journal, records them.
fn resume_prefix(ctx: &Context, args: &UploadArgs) -> Vec<String> {
    let mut words = vec!["lakefs-cli".to_owned()];
    let global = &ctx.global;
    for (flag, value) in [
        ("--endpoint", global.endpoint.as_ref()),
        ("--access-key-id", global.access_key_id.as_ref()),
    ] {
        if let Some(value) = value {
            words.push(flag.into());
            words.push(value.clone());
        }
    }
    if let Some(config) = &global.config {
        words.push("--config".into());
        words.push(config.display().to_string());
    }
    words.push("upload".into());
    // The files a directory upload has not started yet are cut in parts of this size.
    if args.part_size != DEFAULT_PART_SIZE {
        words.push("--part-size".into());
        words.push(if args.part_size % MIB == 0 {
            format!("{}MiB", args.part_size / MIB)
        } else {
            args.part_size.to_string()
        });
    }
    if args.concurrency != Concurrency::auto() {
        words.push("-c".into());
        words.push(args.concurrency.to_string());
    }
    if args.verify {
        words.push("--verify".into());
    }
    words
}
