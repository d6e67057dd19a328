//! `branch create | list | delete | reset | hard-reset`, as lakectl's `branch` commands; the
//! destructive ones ask first (see `crate::confirm`).

use futures_util::TryStreamExt;
use lakefs_api::models::Ref;
use lakefs_api::BranchesApi;
use lakefs_experimental::ExperimentalApi;
use serde_json::{json, Value};

use crate::cli::BranchCommand;
use crate::confirm::confirm;
use crate::context::Context;
use crate::errors::CliError;
use crate::output::Render;
use crate::uri::{BranchUri, RepoUri};

/// What `branch …` did or found.
pub(crate) enum BranchOutcome {
    /// `create`: the new branch, its source and the commit it points at.
    Created {
        branch: BranchUri,
        source: String,
        commit_id: String,
    },
    /// `list`: a repository's branches.
    Listed(Vec<Ref>),
    /// `delete`: the branch is gone.
    Deleted(BranchUri),
    /// `reset`: uncommitted changes discarded (all, or below `scope`).
    Reset {
        branch: BranchUri,
        scope: Option<String>,
    },
    /// `hard-reset`: the branch points at `reference`.
    HardReset {
        branch: BranchUri,
        reference: String,
    },
}

/// `branch …`.
pub(crate) async fn run(ctx: &Context, command: BranchCommand) -> Result<BranchOutcome, CliError> {
    match command {
        BranchCommand::Create { branch, source } => {
            if source.repository != branch.repository {
                return Err(CliError::usage(format!(
                    "the source {source} is in another repository than {branch}: a branch starts from a ref of its own repository"
                )));
            }
            let client = ctx.client()?;
            let commit_id = ctx
                .call("creating the branch", async {
                    client
                        .create_branch()
                        .repository(&branch.repository)
                        .name(&branch.branch)
                        .source(&source.reference)
                        .send()
                        .await
                        .map_err(|e| {
                            CliError::failure(format!("cannot create {branch} from {source}"))
                                .source(e)
                        })
                })
                .await?;
            Ok(BranchOutcome::Created {
                branch,
                source: source.to_string(),
                commit_id,
            })
        }
        BranchCommand::List { repository, prefix } => list(ctx, repository, prefix).await,
        BranchCommand::Delete { branch, yes } => {
            // The confirmation first: a usage error without --yes sends nothing.
            let client = ctx.client()?;
            confirm(ctx, yes, &format!("delete branch {branch}")).await?;
            ctx.call("deleting the branch", async {
                client
                    .delete_branch()
                    .repository(&branch.repository)
                    .branch(&branch.branch)
                    .send()
                    .await
                    .map_err(|e| CliError::failure(format!("cannot delete {branch}")).source(e))
            })
            .await?;
            Ok(BranchOutcome::Deleted(branch))
        }
        BranchCommand::Reset {
            branch,
            object,
            prefix,
            yes,
        } => {
            if object.as_deref() == Some("") {
                return Err(CliError::usage("--object needs a path"));
            }
            if prefix.as_deref() == Some("") {
                return Err(CliError::usage(
                    "--prefix needs a prefix (without --prefix and --object, every change is discarded)",
                ));
            }
            let client = ctx.client()?;
            let what = match (&object, &prefix) {
                (Some(path), _) => format!("discard the uncommitted change of {path} on {branch}"),
                (None, Some(prefix)) => {
                    format!("discard the uncommitted changes below {prefix:?} on {branch}")
                }
                (None, None) => format!("discard every uncommitted change on {branch}"),
            };
            confirm(ctx, yes, &what).await?;
            let request = client
                .reset_branch()
                .repository(&branch.repository)
                .branch(&branch.branch);
            let request = match (&object, &prefix) {
                (Some(path), _) => request.object(path),
                (None, Some(prefix)) => request.prefix(prefix),
                (None, None) => request.everything(),
            };
            ctx.call("resetting the branch", async {
                request
                    .send()
                    .await
                    .map_err(|e| CliError::failure(format!("cannot reset {branch}")).source(e))
            })
            .await?;
            Ok(BranchOutcome::Reset {
                branch,
                scope: object.or(prefix),
            })
        }
        BranchCommand::HardReset {
            branch,
            reference,
            force,
            yes,
        } => {
            let client = ctx.client()?;
            confirm(
                ctx,
                yes,
                &format!(
                    "hard-reset {branch} to {reference}, discarding its commits since and its uncommitted changes"
                ),
            )
            .await?;
            ctx.call("resetting the branch", async {
                client
                    .hard_reset_branch()
                    .repository(&branch.repository)
                    .branch(&branch.branch)
                    .reference(&reference)
                    .set_force(force.then_some(true))
                    .send()
                    .await
                    .map_err(|e| {
                        CliError::failure(format!("cannot reset {branch} to {reference}")).source(e)
                    })
            })
            .await?;
            Ok(BranchOutcome::HardReset { branch, reference })
        }
    }
}

/// `branch list`: every page.
async fn list(
    ctx: &Context,
    repository: RepoUri,
    prefix: Option<String>,
) -> Result<BranchOutcome, CliError> {
    let client = ctx.client()?;
    let branches: Vec<Ref> = ctx
        .call("listing branches", async {
            client
                .list_branches()
                .repository(&repository.repository)
                .set_prefix(prefix)
                .amount(1000)
                .into_stream()
                .try_collect()
                .await
                .map_err(|e| {
                    CliError::failure(format!("cannot list the branches of {repository}")).source(e)
                })
        })
        .await?;
    if branches.is_empty() {
        ctx.console
            .info(&format!("{repository} has no branch by that prefix"));
    }
    Ok(BranchOutcome::Listed(branches))
}

impl Render for BranchOutcome {
    fn text(&self) -> Vec<String> {
        match self {
            Self::Created {
                branch,
                source,
                commit_id,
            } => vec![format!(
                "created branch {branch} from {source} at commit {commit_id}"
            )],
            Self::Listed(branches) => {
                let width = branches.iter().map(|b| b.id.len()).max().unwrap_or(0);
                branches
                    .iter()
                    .map(|b| format!("{:<width$}  {}", b.id, b.commit_id))
                    .collect()
            }
            Self::Deleted(branch) => vec![format!("deleted branch {branch}")],
            Self::Reset { branch, scope } => vec![match scope {
                Some(scope) => format!("discarded the uncommitted changes of {scope} on {branch}"),
                None => format!("discarded the uncommitted changes of {branch}"),
            }],
            Self::HardReset { branch, reference } => {
                vec![format!("reset {branch} to {reference}")]
            }
        }
    }

    fn json(&self) -> Vec<Value> {
        match self {
            Self::Created {
                branch,
                source,
                commit_id,
            } => vec![json!({
                "created": branch.to_string(),
                "source": source,
                "commit_id": commit_id,
            })],
            Self::Listed(branches) => branches
                .iter()
                .map(|b| json!({"id": b.id, "commit_id": b.commit_id}))
                .collect(),
            Self::Deleted(branch) => vec![json!({"deleted": branch.to_string()})],
            Self::Reset { branch, scope } => vec![json!({
                "reset": branch.to_string(),
                "scope": scope,
            })],
            Self::HardReset { branch, reference } => vec![json!({
                "repository": branch.repository,
                "branch": branch.branch,
                "reset_to": reference,
            })],
        }
    }

    /// The listing is data; the rest confirms what was done (the new branch's commit id
    /// included: `branch list` shows it too).
    fn is_confirmation(&self) -> bool {
        !matches!(self, Self::Listed(_))
    }
}
