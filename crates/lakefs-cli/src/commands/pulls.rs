//! `pr list | create | get | update | merge`.

use futures_util::TryStreamExt;
use lakefs_experimental::models::{PullRequest, PullRequestStatus};
use lakefs_experimental::PullRequestFilter;
use serde_json::json;

use crate::cli::{PrCommand, PrFilter, PrStatus};
use crate::context::Context;
use crate::errors::{CliError, Exit};

pub(crate) async fn run(ctx: &Context, command: PrCommand) -> Result<Exit, CliError> {
    let client = ctx.client()?;
    let console = &ctx.console;
    let what = "talking to lakeFS";
    match command {
        PrCommand::List {
            repository,
            status,
            amount,
        } => {
            let filter = match status {
                PrFilter::Open => PullRequestFilter::Open,
                PrFilter::Closed => PullRequestFilter::Closed,
                PrFilter::All => PullRequestFilter::All,
            };
            let pulls: Vec<PullRequest> = ctx
                .call(what, async {
                    client
                        .list_pull_requests()
                        .repository(&repository.repository)
                        .status(filter)
                        .set_amount(amount)
                        .into_stream()
                        .try_collect()
                        .await
                        .map_err(|e| {
                            CliError::failure(format!(
                                "cannot list the pull requests of {repository}"
                            ))
                            .source(e)
                        })
                })
                .await?;
            for pull in &pulls {
                if console.json() {
                    console.json_line(&to_json(pull));
                } else {
                    console.stdout(&format!(
                        "{}\t{}\t{} -> {}\t{}",
                        pull.id,
                        pull.status,
                        pull.source_branch,
                        pull.destination_branch,
                        pull.title
                    ));
                }
            }
            if pulls.is_empty() {
                console.info(&format!(
                    "{repository} has no pull request ({})",
                    filter.as_str()
                ));
            }
        }
        PrCommand::Create {
            repository,
            title,
            source,
            destination,
            description,
        } => {
            let created = ctx
                .call(what, async {
                    client
                        .create_pull_request()
                        .repository(&repository.repository)
                        .title(&title)
                        .source_branch(&source)
                        .destination_branch(&destination)
                        .set_description(description)
                        .send()
                        .await
                        .map_err(|e| {
                            CliError::failure(format!(
                                "cannot open a pull request from {source} into {destination}"
                            ))
                            .source(e)
                        })
                })
                .await?;
            if console.json() {
                console.json_line(&json!({"id": created.id}));
            } else {
                console.stdout(&created.id);
            }
        }
        PrCommand::Get { repository, id } => {
            let pull = ctx
                .call(what, async {
                    client
                        .get_pull_request()
                        .repository(&repository.repository)
                        .pull_request(&id)
                        .send()
                        .await
                        .map_err(|e| {
                            CliError::failure(format!("cannot get pull request {id}")).source(e)
                        })
                })
                .await?;
            if console.json() {
                console.json_line(&to_json(&pull));
            } else {
                print_details(ctx, &pull);
            }
        }
        PrCommand::Update {
            repository,
            id,
            title,
            description,
            status,
        } => {
            if title.is_none() && description.is_none() && status.is_none() {
                return Err(CliError::usage(
                    "nothing to update: give --title, --description or --status",
                ));
            }
            let status = status.map(|s| match s {
                PrStatus::Open => PullRequestStatus::Open,
                PrStatus::Closed => PullRequestStatus::Closed,
            });
            ctx.call(what, async {
                client
                    .update_pull_request()
                    .repository(&repository.repository)
                    .pull_request(&id)
                    .set_title(title)
                    .set_description(description)
                    .set_status(status)
                    .send()
                    .await
                    .map_err(|e| {
                        CliError::failure(format!("cannot update pull request {id}")).source(e)
                    })
            })
            .await?;
            if console.json() {
                console.json_line(&json!({"updated": id}));
            } else {
                console.result(&format!("updated pull request {id}"));
            }
        }
        PrCommand::Merge { repository, id } => {
            let merged = ctx.call(what, async {
                    client
                        .merge_pull_request()
                        .repository(&repository.repository)
                        .pull_request(&id)
                        .send()
                        .await
                        .map_err(|e| {
                            CliError::failure(format!("cannot merge pull request {id}"))
                                .source(e)
                                .note(format!(
                                    "if the answer was lost, `lakefs-rs pr get {repository} {id}` tells whether it merged"
                                ))
                        })
                })
                .await?;
            if console.json() {
                console.json_line(&json!({"merged": id, "reference": merged.reference}));
            } else {
                console.result(&format!(
                    "merged pull request {id}: commit {}",
                    merged.reference
                ));
            }
        }
    }
    Ok(Exit::Ok)
}

fn to_json(pull: &PullRequest) -> serde_json::Value {
    serde_json::to_value(pull).unwrap_or_else(|_| json!({"id": pull.id}))
}

fn print_details(ctx: &Context, pull: &PullRequest) {
    let mut lines = vec![
        format!("id:          {}", pull.id),
        format!("title:       {}", pull.title),
        format!("status:      {}", pull.status),
        format!(
            "branches:    {} -> {}",
            pull.source_branch, pull.destination_branch
        ),
        format!("author:      {}", pull.author),
        format!("created:     {}", pull.creation_date),
    ];
    if let Some(closed) = &pull.closed_date {
        lines.push(format!("closed:      {closed}"));
    }
    if let Some(commit) = &pull.merged_commit_id {
        lines.push(format!("merged as:   {commit}"));
    }
    if !pull.description.is_empty() {
        lines.push(format!("description: {}", pull.description));
    }
    ctx.console.stdout(&lines.join("\n"));
}
