//! `pr list | create | get | update | merge`.

use futures_util::TryStreamExt;
use lakefs_experimental::models::{PullRequest, PullRequestStatus};
use lakefs_experimental::ExperimentalApi;
use lakefs_experimental::PullRequestFilter;
use serde_json::{json, Value};

use crate::cli::{PrCommand, PrFilter, PrStatus};
use crate::context::Context;
use crate::errors::CliError;
use crate::output::Render;

/// What the pull request commands are interrupted while doing.
const TALKING: &str = "talking to lakeFS";

/// What `pr …` did or found.
pub(crate) enum PullRequestOutcome {
    /// `list`: a repository's pull requests, newest first.
    Listed(Vec<PullRequest>),
    /// `create`: the new pull request's id.
    Created { id: String },
    /// `get`: one pull request, in full.
    Shown(Box<PullRequest>),
    /// `update`: the pull request changed.
    Updated { id: String },
    /// `merge`: the pull request merged, as the commit `reference`.
    Merged { id: String, reference: String },
}

/// `pr …`.
pub(crate) async fn run(ctx: &Context, command: PrCommand) -> Result<PullRequestOutcome, CliError> {
    let client = ctx.client()?;
    Ok(match command {
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
                .call(TALKING, async {
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
            if pulls.is_empty() {
                ctx.console.info(&format!(
                    "{repository} has no pull request ({})",
                    filter.as_str()
                ));
            }
            PullRequestOutcome::Listed(pulls)
        }
        PrCommand::Create {
            repository,
            title,
            source,
            destination,
            description,
        } => {
            let created = ctx
                .call(TALKING, async {
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
            PullRequestOutcome::Created { id: created.id }
        }
        PrCommand::Get { repository, id } => {
            let pull = ctx
                .call(TALKING, async {
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
            PullRequestOutcome::Shown(Box::new(pull))
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
            ctx.call(TALKING, async {
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
            PullRequestOutcome::Updated { id }
        }
        PrCommand::Merge { repository, id } => {
            let merged = ctx
                .call(TALKING, async {
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
                                    "if the answer was lost, `lakefs-cli pr get {repository} {id}` tells whether it merged"
                                ))
                        })
                })
                .await?;
            PullRequestOutcome::Merged {
                id,
                reference: merged.reference,
            }
        }
    })
}

impl Render for PullRequestOutcome {
    fn text(&self) -> Vec<String> {
        match self {
            Self::Listed(pulls) => pulls
                .iter()
                .map(|pull| {
                    format!(
                        "{}\t{}\t{} -> {}\t{}",
                        pull.id,
                        pull.status,
                        pull.source_branch,
                        pull.destination_branch,
                        pull.title
                    )
                })
                .collect(),
            Self::Created { id } => vec![id.clone()],
            Self::Shown(pull) => details(pull),
            Self::Updated { id } => vec![format!("updated pull request {id}")],
            Self::Merged { id, reference } => {
                vec![format!("merged pull request {id}: commit {reference}")]
            }
        }
    }

    fn json(&self) -> Vec<Value> {
        match self {
            Self::Listed(pulls) => pulls.iter().map(to_json).collect(),
            Self::Created { id } => vec![json!({"id": id})],
            Self::Shown(pull) => vec![to_json(pull)],
            Self::Updated { id } => vec![json!({"updated": id})],
            Self::Merged { id, reference } => vec![json!({"merged": id, "reference": reference})],
        }
    }

    fn is_confirmation(&self) -> bool {
        matches!(self, Self::Updated { .. } | Self::Merged { .. })
    }
}

/// A pull request as lakeFS describes it.
fn to_json(pull: &PullRequest) -> Value {
    serde_json::to_value(pull).unwrap_or_else(|_| json!({"id": pull.id}))
}

/// A pull request, one field a line.
fn details(pull: &PullRequest) -> Vec<String> {
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
    lines
}
