//! `diff`: a branch's uncommitted changes, one line each as lakectl prints them.

use lakefs_api::models::{Diff, DiffType};
use lakefs_api::BranchesApi;
use serde_json::{json, Value};

use super::objects::{show_stream, PAGE};
use crate::cli::DiffArgs;
use crate::context::Context;
use crate::errors::{CliError, Exit};
use crate::output::Render;

/// `diff`: every uncommitted change, shown as the pages come.
pub(crate) async fn run(ctx: &Context, args: DiffArgs) -> Result<Exit, CliError> {
    let client = ctx.client()?;
    let branch = args.branch;
    let stream = client
        .diff_branch()
        .repository(&branch.repository)
        .branch(&branch.branch)
        .amount(PAGE as i32)
        .into_stream();
    let shown = show_stream(
        ctx,
        "reading the changes",
        stream,
        |e| CliError::failure(format!("cannot read the changes of {branch}")).source(e),
        |changes| Changes { changes },
    )
    .await?;
    if shown == 0 {
        ctx.console
            .info(&format!("{branch} has no uncommitted changes"));
    }
    Ok(Exit::Ok)
}

/// A page of changes.
struct Changes {
    /// In path order.
    changes: Vec<Diff>,
}

/// `+ added`, `- removed`, `~ changed` (and, for merges, `* conflict`).
fn marker(diff_type: &DiffType) -> String {
    match diff_type {
        DiffType::Added => "+ added".into(),
        DiffType::Removed => "- removed".into(),
        DiffType::Changed => "~ changed".into(),
        DiffType::Conflict => "* conflict".into(),
        DiffType::PrefixChanged => "~ prefix changed".into(),
        other => format!("? {other}"),
    }
}

impl Render for Changes {
    fn text(&self) -> Vec<String> {
        self.changes
            .iter()
            .map(|change| format!("{} {}", marker(&change.diff_type), change.path))
            .collect()
    }

    /// Each change as lakeFS describes it: `{"type", "path", "path_type", "size_bytes"}`.
    fn json(&self) -> Vec<Value> {
        self.changes
            .iter()
            .map(|change| {
                serde_json::to_value(change).unwrap_or_else(|_| json!({"path": change.path}))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_as_lakectl_prints_them() {
        let changes = Changes {
            changes: vec![
                Diff::new(
                    DiffType::Added,
                    "a.csv",
                    lakefs_api::models::PathType::Object,
                ),
                Diff::new(
                    DiffType::Removed,
                    "b.csv",
                    lakefs_api::models::PathType::Object,
                ),
                Diff::new(
                    DiffType::Changed,
                    "c.csv",
                    lakefs_api::models::PathType::Object,
                ),
            ],
        };
        assert_eq!(
            changes.text(),
            ["+ added a.csv", "- removed b.csv", "~ changed c.csv"]
        );
        assert_eq!(changes.json()[1]["type"], "removed");
    }
}
