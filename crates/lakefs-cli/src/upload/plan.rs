//! What `upload`'s arguments ask for — one object, or a directory's files (filtered by
//! `--include` / `--exclude`) — worked out before anything is sent; and, with `--resume`, the
//! checkpoint or journal to continue from.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use lakefs_multipart::Checkpoint;

use super::dir::DirectoryUpload;
use super::object::{metadata_map, Job, Source};
use super::state::{self, Journal, JournalHeader, JOURNAL_KIND};
use super::walk;
use crate::cli::UploadArgs;
use crate::context::Context;
use crate::errors::CliError;
use crate::glob::Filter;
use crate::uri::ObjectUri;

/// What the arguments ask for.
pub(super) enum Plan {
    One { job: Job, size: Option<u64> },
    Directory(Box<DirectoryUpload>),
}

/// Works out what to upload; a usage error for options that do not fit the source.
pub(super) fn plan(ctx: &Context, args: &UploadArgs) -> Result<Plan, CliError> {
    let filter = Filter {
        include: args.include.clone(),
        exclude: args.exclude.clone(),
    };
    let only_directories = || {
        CliError::usage(
            "--include and --exclude choose among a directory's files: SRC must be a directory, uploaded with --recursive",
        )
    };
    if let Some(resume) = &args.resume {
        if !filter.is_empty() {
            return Err(only_directories()
                .note("with --resume, the files are those of the upload that is resumed"));
        }
        return plan_resume(args, resume);
    }
    let Some(dest) = args.destination.clone() else {
        return Err(CliError::usage(
            "DEST is missing: lakefs://REPOSITORY/BRANCH/PATH",
        ));
    };
    if args.source == "-" {
        if !filter.is_empty() {
            return Err(only_directories());
        }
        if args.checkpoint {
            return Err(CliError::usage(
                "--checkpoint needs a file or a directory: standard input cannot be read again to resume",
            ));
        }
        if dest.is_prefix() {
            return Err(CliError::usage(format!(
                "standard input needs an object path, not the prefix {dest}: lakefs://REPOSITORY/BRANCH/PATH"
            )));
        }
        return Ok(Plan::One {
            job: Job {
                source: Source::Stdin,
                shown: "-".into(),
                dest,
                checkpoint: None,
                resume: false,
            },
            size: None,
        });
    }
    let path = PathBuf::from(&args.source);
    let metadata = std::fs::metadata(&path)
        .map_err(|e| CliError::failure(format!("cannot read {}", args.source)).source(e))?;
    if !metadata.is_dir() && !filter.is_empty() {
        return Err(only_directories());
    }
    let uploads = if args.checkpoint {
        let state = state::state_dir(args.state_dir.as_deref())?;
        Some(state::uploads_dir(&state)?)
    } else {
        None
    };
    if metadata.is_dir() {
        if !args.recursive {
            return Err(CliError::usage(format!(
                "{} is a directory: add --recursive to upload every file below it",
                args.source
            )));
        }
        let journal = match &uploads {
            Some(uploads) => {
                let absolute = std::path::absolute(&path).unwrap_or_else(|_| path.clone());
                let journal_path = state::journal_path(uploads, &absolute, &dest);
                let header = JournalHeader {
                    kind: JOURNAL_KIND.into(),
                    version: 1,
                    source: absolute,
                    destination: dest.to_string(),
                    content_type: args.content_type.clone(),
                    metadata: args.metadata.clone(),
                };
                let journal = Journal::open_or_create(&journal_path, header)?;
                // Running the command again continues the upload: with other options, the
                // objects would not all be alike.
                let recorded = &journal.header;
                if recorded.content_type != args.content_type
                    || metadata_map(&recorded.metadata) != metadata_map(&args.metadata)
                {
                    return Err(CliError::usage(format!(
                        "the directory upload recorded in {} has {}; this command gives {}",
                        journal_path.display(),
                        describe_options(recorded.content_type.as_deref(), &recorded.metadata),
                        describe_options(args.content_type.as_deref(), &args.metadata),
                    ))
                    .note(format!(
                        "give the same --content-type and -m to continue it, or delete {} to start over",
                        journal_path.display()
                    )));
                }
                if !journal.done.is_empty() {
                    ctx.console.info(&format!(
                        "continuing the directory upload recorded in {}",
                        journal_path.display()
                    ));
                }
                Some((journal, uploads.clone()))
            }
            None => None,
        };
        return Ok(Plan::Directory(Box::new(DirectoryUpload {
            shown: args.source.clone(),
            dest,
            walk: walk::walk(&path, &filter),
            journal,
        })));
    }
    let dest = if dest.is_prefix() {
        let name = path.file_name().and_then(|n| n.to_str()).ok_or_else(|| {
            CliError::usage(format!(
                "{} has no file name to append to the prefix {dest}: name the object",
                args.source
            ))
        })?;
        dest.join(name)
    } else {
        dest
    };
    let checkpoint = uploads.map(|uploads| state::checkpoint_path(&uploads, &dest));
    Ok(Plan::One {
        job: Job {
            source: Source::File(path),
            shown: args.source.clone(),
            dest,
            checkpoint,
            resume: false,
        },
        size: Some(metadata.len()),
    })
}

/// `--resume FILE SRC`: an object's checkpoint, or a directory upload's journal.
fn plan_resume(args: &UploadArgs, resume: &Path) -> Result<Plan, CliError> {
    if args.source == "-" {
        return Err(CliError::usage(
            "standard input cannot be resumed: name the file the upload started from",
        ));
    }
    if Journal::is_journal(resume) {
        let journal = Journal::open(resume)?;
        let dest: ObjectUri = journal.header.destination.parse().map_err(|e: String| {
            CliError::failure(format!("the journal {} is damaged", resume.display())).source(e)
        })?;
        if let Some(given) = &args.destination {
            if given != &dest {
                return Err(CliError::usage(format!(
                    "the journal is for {dest}, not {given}: leave DEST out with --resume"
                )));
            }
        }
        check_recorded(
            args,
            "journal",
            journal.header.content_type.as_deref(),
            &metadata_map(&journal.header.metadata),
        )?;
        let source = PathBuf::from(&args.source);
        if !source.is_dir() {
            return Err(CliError::usage(format!(
                "{} is a directory upload's journal: SRC must be the directory ({})",
                resume.display(),
                journal.header.source.display()
            )));
        }
        let uploads = resume.parent().map(Path::to_owned).unwrap_or_default();
        return Ok(Plan::Directory(Box::new(DirectoryUpload {
            shown: args.source.clone(),
            dest,
            walk: walk::walk(&source, &Filter::default()),
            journal: Some((journal, uploads)),
        })));
    }
    let checkpoint = Checkpoint::load(resume).map_err(|e| {
        CliError::failure(format!("cannot resume from {}", resume.display())).source(e)
    })?;
    check_recorded(
        args,
        "checkpoint",
        checkpoint.content_type.as_deref(),
        &checkpoint.user_metadata,
    )?;
    let session = &checkpoint.session;
    let dest = ObjectUri::new(&session.repository, &session.branch, &session.path);
    if let Some(given) = &args.destination {
        if given != &dest {
            return Err(CliError::usage(format!(
                "the checkpoint is for {dest}, not {given}: leave DEST out with --resume"
            )));
        }
    }
    Ok(Plan::One {
        job: Job {
            source: Source::File(PathBuf::from(&args.source)),
            shown: args.source.clone(),
            dest,
            checkpoint: Some(resume.to_owned()),
            resume: true,
        },
        size: session.schedule.total_size(),
    })
}

/// With `--resume`, the objects get the content type and metadata the checkpoint or journal
/// (`what`) recorded: `--content-type` and `-m` may only repeat them.
fn check_recorded(
    args: &UploadArgs,
    what: &str,
    content_type: Option<&str>,
    metadata: &BTreeMap<String, String>,
) -> Result<(), CliError> {
    let other_type = args
        .content_type
        .as_deref()
        .is_some_and(|given| Some(given) != content_type);
    let other_metadata = !args.metadata.is_empty() && metadata_map(&args.metadata) != *metadata;
    if other_type || other_metadata {
        let recorded: Vec<(String, String)> = metadata
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        return Err(CliError::usage(format!(
            "the {what} records {}; this command gives {}",
            describe_options(content_type, &recorded),
            describe_options(args.content_type.as_deref(), &args.metadata),
        ))
        .note("leave --content-type and -m out with --resume: the recorded ones apply"));
    }
    Ok(())
}

/// `content type TYPE and metadata K=V, …` for a message.
fn describe_options(content_type: Option<&str>, metadata: &[(String, String)]) -> String {
    let content_type = match content_type {
        Some(content_type) => format!("content type {content_type:?}"),
        None => "no content type".to_owned(),
    };
    let metadata = metadata_map(metadata);
    if metadata.is_empty() {
        format!("{content_type} and no metadata")
    } else {
        let entries: Vec<String> = metadata.iter().map(|(k, v)| format!("{k}={v}")).collect();
        format!("{content_type} and metadata {}", entries.join(", "))
    }
}
