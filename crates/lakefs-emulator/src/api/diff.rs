//! `diffBranch` (lakeFS `pkg/api/controller.go:3441-3487`, `pkg/catalog/catalog.go:1950-2060`,
//! `pkg/graveler/uncommitted_diff_iterator.go`): a branch's uncommitted changes.

use http::StatusCode;
use serde::Serialize;

use super::listing::{list, page, Listed, Window};
use super::names::{check_branch, check_repository, repository};
use super::{fail, json, Answer, Failure, Query};
use crate::emulator::Emulator;

/// One difference (schema `Diff`, without `right`, which lakeFS leaves out here).
#[derive(Debug, Serialize)]
struct DiffJson {
    #[serde(rename = "type")]
    kind: &'static str,
    path: String,
    path_type: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    size_bytes: Option<i64>,
}

impl Emulator {
    /// `diffBranch`: names (400), repository (404), branch (404 `branch not found`); then
    /// each uncommitted change against the branch's commit, in path order: `added` (not
    /// committed), `changed` (committed differently), `removed` (a deletion of a committed
    /// object, `size_bytes` 0); a change equal to what is committed, or the deletion of an
    /// object never committed, is left out. `prefix`, `delimiter` (a group is one `{"path":
    /// "<prefix…delimiter>", "path_type": "common_prefix", "type": "prefix_changed"}` without
    /// `size_bytes`), `after` and `amount` as listObjects has them.
    pub(super) fn diff_branch(
        &self,
        repository_name: &str,
        branch: &str,
        query: &Query,
    ) -> Result<Answer, Failure> {
        let amount = query.amount()?;
        let window = Window {
            prefix: query.text("prefix"),
            delimiter: query.text("delimiter"),
            after: query.text("after"),
            amount,
        };
        check_repository(repository_name)?;
        check_branch("branch", branch)?;
        let state = self.lock();
        let repo = repository(&state, repository_name)?;
        let target = repo
            .branches
            .get(branch)
            .ok_or_else(|| fail(StatusCode::NOT_FOUND, "branch not found"))?;
        let committed = repo.commits.get(&target.head).map(|c| &c.tree);
        let changes: Vec<(String, (&'static str, i64))> = target
            .staged
            .iter()
            .filter_map(|(path, change)| {
                let before = committed.and_then(|tree| tree.get(path));
                let kind = match (change, before) {
                    (None, None) => return None,
                    (None, Some(_)) => ("removed", 0),
                    (Some(now), None) => ("added", now.stats.size_bytes.unwrap_or(0)),
                    (Some(now), Some(then)) if now.stats == then.stats => return None,
                    (Some(now), Some(_)) => ("changed", now.stats.size_bytes.unwrap_or(0)),
                };
                Some((path.clone(), kind))
            })
            .collect();
        let results: Vec<DiffJson> = list(changes, window)
            .into_iter()
            .map(|listed| match listed {
                Listed::Item(path, (kind, size)) => DiffJson {
                    kind,
                    path,
                    path_type: "object",
                    size_bytes: Some(size),
                },
                Listed::Prefix(path) => DiffJson {
                    kind: "prefix_changed",
                    path,
                    path_type: "common_prefix",
                    size_bytes: None,
                },
            })
            .collect();
        Ok(json(
            StatusCode::OK,
            &page(results, amount, |d| d.path.as_str()),
        ))
    }
}
