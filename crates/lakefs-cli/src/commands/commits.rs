//! `commit` and `log`; the commit `upload --commit` makes.

use std::collections::BTreeMap;

use lakefs_api::models::Commit;
use lakefs_api::{CommitsApi, ErrorKind, RefsApi};
use serde_json::{json, Value};

use super::objects::{show_stream, PAGE};
use crate::cli::{CommitArgs, LogArgs};
use crate::context::{Client, Context};
use crate::errors::{CliError, Exit};
use crate::output::Render;
use crate::units::utc_time;
use crate::uri::BranchUri;

/// `commit`.
pub(crate) async fn commit(ctx: &Context, args: CommitArgs) -> Result<Committed, CliError> {
    if args.message.trim().is_empty() && !args.allow_empty_message {
        return Err(CliError::usage("the commit message is empty")
            .note("give one with -m, or pass --allow-empty-message"));
    }
    let client = ctx.client()?;
    let metadata: BTreeMap<String, String> = args.meta.into_iter().collect();
    commit_branch(
        ctx,
        &client,
        &args.branch,
        &args.message,
        metadata,
        args.allow_empty,
    )
    .await
}

/// Commits `branch`'s uncommitted changes: the commit, or an error that explains a clean
/// branch (lakeFS's `commit: no changes`) and a lost answer (a commit is never repeated).
pub(crate) async fn commit_branch(
    ctx: &Context,
    client: &Client,
    branch: &BranchUri,
    message: &str,
    metadata: BTreeMap<String, String>,
    allow_empty: bool,
) -> Result<Committed, CliError> {
    let commit = ctx
        .call("committing", async {
            client
                .commit()
                .repository(&branch.repository)
                .branch(&branch.branch)
                .message(message)
                .set_metadata((!metadata.is_empty()).then_some(metadata))
                .set_allow_empty(allow_empty.then_some(true))
                .send()
                .await
                .map_err(|e| commit_error(branch, e))
        })
        .await?;
    Ok(Committed {
        branch: branch.clone(),
        commit,
    })
}

/// A failed commit, with a note for a clean branch or a lost answer.
fn commit_error(branch: &BranchUri, error: lakefs_api::Error) -> CliError {
    let no_changes = error.kind() == ErrorKind::BadRequest
        && error
            .server_message()
            .is_some_and(|m| m.contains("no changes"));
    let ambiguous = error.is_ambiguous();
    let mut cli = CliError::failure(format!("cannot commit {branch}"));
    if no_changes {
        cli = cli.note(format!(
            "{branch} has no uncommitted changes (`lakefs-cli diff {branch}` lists them): upload or delete something first, or pass --allow-empty to commit anyway"
        ));
    } else if ambiguous {
        cli = cli.note(format!(
            "the commit may have happened: `lakefs-cli log {branch} --amount 1` shows the branch's last commit (a commit is never sent twice)"
        ));
    }
    cli.source(error)
}

/// A commit made on a branch.
pub(crate) struct Committed {
    /// The branch committed.
    branch: BranchUri,
    /// The commit, as lakeFS answered it.
    commit: Commit,
}

impl Render for Committed {
    fn text(&self) -> Vec<String> {
        let commit = &self.commit;
        let mut lines = vec![
            format!("committed {}", self.branch),
            format!("id:        {}", commit.id),
            format!("message:   {}", commit.message),
            format!("date:      {}", utc_time(commit.creation_date)),
        ];
        if !commit.parents.is_empty() {
            lines.push(format!("parents:   {}", commit.parents.join(", ")));
        }
        if let Some(metadata) = commit.metadata.as_ref().filter(|m| !m.is_empty()) {
            let entries: Vec<String> = metadata.iter().map(|(k, v)| format!("{k}={v}")).collect();
            lines.push(format!("metadata:  {}", entries.join(", ")));
        }
        lines
    }

    fn json(&self) -> Vec<Value> {
        vec![json!({"committed": self.branch.to_string(), "commit": commit_json(&self.commit)})]
    }
}

/// A commit as lakeFS describes it.
fn commit_json(commit: &Commit) -> Value {
    serde_json::to_value(commit).unwrap_or_else(|_| json!({"id": commit.id}))
}

/// `log`: the commits of a ref, newest first, all or `--amount` of them.
pub(crate) async fn log(ctx: &Context, args: LogArgs) -> Result<Exit, CliError> {
    let client = ctx.client()?;
    let uri = args.reference;
    let limit = args.amount.map_or(usize::MAX, |n| n as usize);
    let page = i32::try_from(limit.min(PAGE)).unwrap_or(1000);
    let stream = client
        .log_commits()
        .repository(&uri.repository)
        .reference(&uri.reference)
        .amount(page)
        .into_stream();
    let stream = futures_util::StreamExt::take(stream, limit);
    show_stream(
        ctx,
        "reading the log",
        stream,
        |e| CliError::failure(format!("cannot read the log of {uri}")).source(e),
        |commits| Log { commits },
    )
    .await?;
    Ok(Exit::Ok)
}

/// Commits of `log`, as lakectl shows them.
struct Log {
    /// Newest first.
    commits: Vec<Commit>,
}

impl Render for Log {
    fn text(&self) -> Vec<String> {
        let mut lines = Vec::new();
        for commit in &self.commits {
            lines.push(format!("ID:            {}", commit.id));
            if !commit.committer.is_empty() {
                lines.push(format!("Author:        {}", commit.committer));
            }
            lines.push(format!("Date:          {}", utc_time(commit.creation_date)));
            if commit.parents.len() > 1 {
                lines.push(format!("Merge:         {}", commit.parents.join(", ")));
            }
            lines.push(String::new());
            lines.extend(commit.message.lines().map(|line| format!("    {line}")));
            if let Some(metadata) = commit.metadata.as_ref().filter(|m| !m.is_empty()) {
                lines.push(String::new());
                lines.extend(metadata.iter().map(|(k, v)| format!("    {k} = {v}")));
            }
            lines.push(String::new());
        }
        lines
    }

    fn json(&self) -> Vec<Value> {
        self.commits.iter().map(commit_json).collect()
    }
}
