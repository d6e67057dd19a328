//! `createBranch`, `listBranches`, `getBranch`, `deleteBranch` and `resetBranch` (lakeFS
//! `pkg/api/controller.go:2914-3015`, `:3160-3191`; `pkg/catalog/catalog.go:763-926`,
//! `:1326-1359`; `pkg/graveler/graveler.go:1344-1420`, `:1641-1700`, `:2637-2808`).

use bytes::Bytes;
use http::{header, HeaderValue, Request, Response, StatusCode};
use serde::{Deserialize, Serialize};

use super::listing::page;
use super::names::{
    check_branch, check_path, check_ref, check_repository, repository, repository_mut,
};
use super::{body, empty, fail, json, Answer, Failure, Query};
use crate::emulator::Emulator;
use crate::model::Branch;
use crate::refs::RefError;

/// A branch as lakeFS lists and gets it (schema `Ref`).
#[derive(Debug, Serialize)]
struct RefJson<'a> {
    id: &'a str,
    commit_id: &'a str,
}

/// Request body of `createBranch` (schema `BranchCreation`).
#[derive(Debug, Deserialize)]
struct BranchCreation {
    name: String,
    source: String,
    #[serde(default)]
    force: Option<bool>,
    #[serde(default)]
    hidden: Option<bool>,
}

/// Request body of `resetBranch` (schema `ResetCreation`).
#[derive(Debug, Deserialize)]
struct ResetCreation {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    path: Option<String>,
    #[serde(default)]
    force: Option<bool>,
}

/// The message lakeFS adds to an invalid new branch name (`catalog.go:776-778`).
const BRANCH_NAME_RULE: &str =
    "branch id must consist of letters, digits, underscores and dashes, and cannot start with a dash";

impl Emulator {
    /// `createBranch`: validator (400: a body with `name` and `source`), names (400; an
    /// invalid name says [`BRANCH_NAME_RULE`]; a source with whitespace), repository (404),
    /// a name equal to a commit id → 409 `commit ID <name>: conflict found`, read-only
    /// repository → 403 unless `force`, the source — any ref — unknown → 404 `source reference
    /// '<source>': not found` (malformed → 400; a staging area `main$` → 500 `… can't create a
    /// branch without commit`), existing branch → 409 `branch already exists: not unique`.
    /// The branch points at the source's commit, without its uncommitted changes. **201 with
    /// the commit id as plain text** (lakeFS writes it without a content type, which Go
    /// sniffs as `text/plain; charset=utf-8`; the spec says `text/html`).
    pub(super) fn create_branch(
        &self,
        repository: &str,
        request: &Request<Bytes>,
    ) -> Result<Answer, Failure> {
        let creation: BranchCreation = body(request)?;
        let (name, source) = (creation.name.as_str(), creation.source.as_str());
        check_repository(repository)?;
        check_branch("branch", name).map_err(|mut failure| {
            failure.message = format!("{}: {BRANCH_NAME_RULE}", failure.message);
            failure
        })?;
        check_ref("ref", source)?;
        let mut state = self.lock();
        let repo = repository_mut(&mut state, repository)?;
        if repo.commits.contains_key(name) {
            return Err(fail(
                StatusCode::CONFLICT,
                format!("commit ID {name}: conflict found"),
            ));
        }
        if repo.read_only && !creation.force.unwrap_or(false) {
            return Err(fail(StatusCode::FORBIDDEN, "read-only repository"));
        }
        let resolved = repo.resolve_ref(source).map_err(|error| match error {
            RefError::NotFound => fail(
                StatusCode::NOT_FOUND,
                format!("source reference '{source}': not found"),
            ),
            RefError::Invalid => fail(
                StatusCode::BAD_REQUEST,
                format!("source reference '{source}': ref: invalid value: validation error"),
            ),
        })?;
        if resolved.staging {
            return Err(fail(
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("source reference '{source}': can't create a branch without commit"),
            ));
        }
        let commit = resolved.commit;
        if repo.branches.contains_key(name) {
            return Err(fail(
                StatusCode::CONFLICT,
                "branch already exists: not unique",
            ));
        }
        let branch = Branch {
            head: commit.clone(),
            hidden: creation.hidden.unwrap_or(false),
            ..Branch::default()
        };
        repo.branches.insert(name.to_owned(), branch);
        let mut response = Response::new(Bytes::from(commit));
        *response.status_mut() = StatusCode::CREATED;
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; charset=utf-8"),
        );
        Ok(response)
    }

    /// `listBranches`: the branches by id (byte order), `prefix`, `after` (exclusive),
    /// `amount`; hidden ones only with `show_hidden=true`. Items `{"id", "commit_id"}`.
    pub(super) fn list_branches(
        &self,
        repository_name: &str,
        query: &Query,
    ) -> Result<Answer, Failure> {
        let amount = query.amount()?;
        let show_hidden = query.boolean("show_hidden")?.unwrap_or(false);
        let (prefix, after) = (query.text("prefix"), query.text("after"));
        let state = self.lock();
        let repo = repository(&state, repository_name)?;
        let mut branches: Vec<(&String, &Branch)> = repo
            .branches
            .iter()
            .filter(|(id, b)| {
                id.starts_with(prefix) && id.as_str() > after && (show_hidden || !b.hidden)
            })
            .collect();
        branches.sort_by(|a, b| a.0.cmp(b.0));
        let refs: Vec<RefJson<'_>> = branches
            .into_iter()
            .take(amount + 1)
            .map(|(id, b)| RefJson {
                id,
                commit_id: &b.head,
            })
            .collect();
        Ok(json(StatusCode::OK, &page(refs, amount, |r| r.id)))
    }

    /// `getBranch`: `{"id": <branch>, "commit_id": <head>}`. Invalid name 400, missing
    /// repository 404, missing branch (a tag or commit id is no branch) 404 `branch not found`.
    pub(super) fn get_branch(
        &self,
        repository_name: &str,
        branch: &str,
    ) -> Result<Answer, Failure> {
        check_repository(repository_name)?;
        check_branch("branch", branch)?;
        let state = self.lock();
        let repo = repository(&state, repository_name)?;
        let target = repo
            .branches
            .get(branch)
            .ok_or_else(|| fail(StatusCode::NOT_FOUND, "branch not found"))?;
        let answer = RefJson {
            id: branch,
            commit_id: &target.head,
        };
        Ok(json(StatusCode::OK, &answer))
    }

    /// `deleteBranch`: names (400, the branch as `name`), repository (404), read-only → 403
    /// unless `force`, **the default branch → 403 `cannot delete repository default branch`**
    /// (before the existence check; `force` does not help), missing → 404 `branch not found`;
    /// 204. Branch protection is not consulted (it covers staging writes and commits only),
    /// and uncommitted changes are dropped with the branch.
    pub(super) fn delete_branch(
        &self,
        repository: &str,
        branch: &str,
        query: &Query,
    ) -> Result<Answer, Failure> {
        let force = query.boolean("force")?.unwrap_or(false);
        check_repository(repository)?;
        check_branch("name", branch)?;
        let mut state = self.lock();
        let repo = repository_mut(&mut state, repository)?;
        if repo.read_only && !force {
            return Err(fail(StatusCode::FORBIDDEN, "read-only repository"));
        }
        if repo.default_branch == branch {
            return Err(fail(
                StatusCode::FORBIDDEN,
                "cannot delete repository default branch",
            ));
        }
        repo.branches
            .remove(branch)
            .ok_or_else(|| fail(StatusCode::NOT_FOUND, "branch not found"))?;
        Ok(empty(StatusCode::NO_CONTENT))
    }

    /// `resetBranch` (PUT on the branch): validator (400: `type` one of `object`,
    /// `common_prefix`, `reset`), names (400; `object` needs a `path`), repository (404),
    /// protected branch → 403 `cannot write to protected branch`, read-only → 403 unless
    /// `force`, missing branch → 404 (`getting branch: branch not found` for `object`). `reset`
    /// drops every uncommitted change (sealed ones too); `object` drops the one at `path`
    /// (restoring the committed object, or removing one only staged); `common_prefix` those
    /// whose path starts with `path` (`""`: all). Nothing to reset is no error: 204.
    pub(super) fn reset_branch(
        &self,
        repository: &str,
        branch: &str,
        request: &Request<Bytes>,
    ) -> Result<Answer, Failure> {
        let reset: ResetCreation = body(request)?;
        if !matches!(reset.kind.as_str(), "object" | "common_prefix" | "reset") {
            return Err(fail(
                StatusCode::BAD_REQUEST,
                format!(
                    "request body has an error: doesn't match schema #/components/schemas/ResetCreation: Error at \"/type\": value is not one of the allowed values [\"object\",\"common_prefix\",\"reset\"]\nValue:\n  \"{}\"",
                    reset.kind
                ),
            ));
        }
        let path = reset.path.as_deref().unwrap_or("");
        check_repository(repository)?;
        check_branch("branch", branch)?;
        if reset.kind == "object" {
            check_path(path)?;
        }
        let mut state = self.lock();
        let repo = repository_mut(&mut state, repository)?;
        if repo.branches.get(branch).is_some_and(|b| b.protected) {
            return Err(fail(
                StatusCode::FORBIDDEN,
                "cannot write to protected branch",
            ));
        }
        if repo.read_only && !reset.force.unwrap_or(false) {
            return Err(fail(StatusCode::FORBIDDEN, "read-only repository"));
        }
        let target = repo.branches.get_mut(branch).ok_or_else(|| {
            let prefix = if reset.kind == "object" {
                "getting branch: "
            } else {
                ""
            };
            fail(StatusCode::NOT_FOUND, format!("{prefix}branch not found"))
        })?;
        match reset.kind.as_str() {
            "reset" => {
                target.staged.clear();
                target.dirty = false;
            }
            "object" => {
                target.staged.remove(path);
            }
            _ => target.staged.retain(|key, _| !key.starts_with(path)),
        }
        Ok(empty(StatusCode::NO_CONTENT))
    }
}
