//! `commit` and `getCommit` (lakeFS `pkg/api/controller.go:3374-3439`, `:3946-3982`;
//! `pkg/catalog/catalog.go:1361-1468`; `pkg/graveler/graveler.go:2239-2420`), and the
//! `Commit` shape every commit answer has.

use std::collections::BTreeMap;

use bytes::Bytes;
use http::{Request, StatusCode};
use serde::{Deserialize, Serialize};

use super::names::{check_branch, check_repository, repository, repository_mut};
use super::{body, fail, json, Answer, Failure, Query};
use crate::emulator::Emulator;
use crate::model::Commit;
use crate::refs::RefError;

/// A commit as lakeFS answers it (schema `Commit`): `parents` never null, `metadata` always
/// present, `version` 1.
#[derive(Debug, Serialize)]
pub(super) struct CommitJson<'a> {
    id: &'a str,
    parents: &'a [String],
    committer: &'a str,
    message: &'a str,
    creation_date: i64,
    meta_range_id: String,
    metadata: &'a BTreeMap<String, String>,
    generation: i64,
    version: i64,
}

impl<'a> CommitJson<'a> {
    /// The answer for commit `id`.
    pub(super) fn new(id: &'a str, commit: &'a Commit) -> Self {
        Self {
            id,
            parents: &commit.parents,
            committer: &commit.committer,
            message: &commit.message,
            creation_date: commit.creation_date,
            meta_range_id: commit.meta_range_id(),
            metadata: &commit.metadata,
            generation: commit.generation,
            version: 1,
        }
    }

    /// The commit's id, the key of commit lists.
    pub(super) fn id(&self) -> &str {
        self.id
    }
}

/// Request body of `commit` (schema `CommitCreation`).
#[derive(Debug, Deserialize)]
struct CommitCreation {
    message: String,
    #[serde(default)]
    metadata: Option<BTreeMap<String, String>>,
    #[serde(default)]
    date: Option<i64>,
    #[serde(default)]
    allow_empty: Option<bool>,
    #[serde(default)]
    force: Option<bool>,
}

impl Emulator {
    /// `commit`: validator (400: a body with `message`, which may be empty), names (400),
    /// repository (404), protected branch → 403 `cannot commit to protected branch`, read-only
    /// repository → 403 unless `force`, missing branch → 404 `branch not found`;
    /// `source_metarange` on a branch with uncommitted changes → 400 `cannot use source
    /// MetaRange on a branch with uncommitted changes` (else the commit takes the tree of the
    /// commit with that metarange; an unknown one → 404 `metarange not found`); nothing to
    /// commit — no uncommitted changes, or only ones equal to what is committed — → 400
    /// `commit: no changes` unless `allow_empty`. Then the branch points at the new commit
    /// and has no uncommitted changes. 201 `Commit`: a new 64-hex id, the previous head as
    /// parent, `committer` the caller, `creation_date` the body's `date` or now, `metadata`
    /// as given (`{}`), generation one more than the parent's, version 1.
    pub(super) fn commit_branch(
        &self,
        repository: &str,
        branch: &str,
        query: &Query,
        request: &Request<Bytes>,
        committer: &str,
    ) -> Result<Answer, Failure> {
        let creation: CommitCreation = body(request)?;
        let source_metarange = query.get("source_metarange");
        check_repository(repository)?;
        check_branch("branch", branch)?;
        let mut state = self.lock();
        let id = state.new_commit_id();
        let now = state.now();
        let repo = repository_mut(&mut state, repository)?;
        let target = repo.branches.get(branch);
        if target.is_some_and(|b| b.protected) {
            return Err(fail(
                StatusCode::FORBIDDEN,
                "cannot commit to protected branch",
            ));
        }
        if repo.read_only && !creation.force.unwrap_or(false) {
            return Err(fail(StatusCode::FORBIDDEN, "read-only repository"));
        }
        let target = target.ok_or_else(|| fail(StatusCode::NOT_FOUND, "branch not found"))?;
        let date = creation.date.unwrap_or(now);
        let metadata = creation.metadata.unwrap_or_default();
        let mut commit = repo
            .commit_staged(branch, committer, &creation.message, date, metadata)
            .ok_or_else(|| fail(StatusCode::NOT_FOUND, "branch not found"))?;
        let parent = repo.commits.get(&target.head);
        if let Some(metarange) = source_metarange {
            if target.dirty || !target.staged.is_empty() {
                return Err(fail(
                    StatusCode::BAD_REQUEST,
                    "cannot use source MetaRange on a branch with uncommitted changes",
                ));
            }
            let source = repo
                .commits
                .values()
                .find(|c| c.meta_range_id() == metarange)
                .ok_or_else(|| fail(StatusCode::NOT_FOUND, "metarange not found"))?;
            commit.tree = source.tree.clone();
        } else {
            let unchanged = parent.is_some_and(|p| same_trees(&p.tree, &commit.tree));
            if unchanged && !creation.allow_empty.unwrap_or(false) {
                return Err(fail(StatusCode::BAD_REQUEST, "commit: no changes"));
            }
        }
        let answer = json(StatusCode::CREATED, &CommitJson::new(&id, &commit));
        repo.add_commit(branch, id, commit);
        Ok(answer)
    }

    /// `getCommit`: the commit any ref names (branch, commit id or prefix, `main~1`…).
    /// Missing repository → 404 `repository not found`; a ref that names nothing → 404
    /// `commit not found`; anything else — an invalid repository name, a malformed ref, a
    /// staging area (`main$`) — is a 500 with the error text, as lakeFS's handler maps only
    /// not-found errors.
    pub(super) fn get_commit(
        &self,
        repository_name: &str,
        reference: &str,
    ) -> Result<Answer, Failure> {
        let state = self.lock();
        let repo = repository(&state, repository_name).map_err(|failure| {
            if failure.status == StatusCode::NOT_FOUND {
                failure
            } else {
                fail(StatusCode::INTERNAL_SERVER_ERROR, failure.message)
            }
        })?;
        let id = repo
            .resolve_commit(reference)
            .map_err(|error| match error {
                RefError::NotFound => fail(StatusCode::NOT_FOUND, "commit not found"),
                RefError::Invalid => fail(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "ref: invalid value: validation error",
                ),
            })?;
        let commit = repo
            .commits
            .get(&id)
            .ok_or_else(|| fail(StatusCode::NOT_FOUND, "commit not found"))?;
        Ok(json(StatusCode::OK, &CommitJson::new(&id, commit)))
    }
}

/// Whether two trees hold the same objects (the same versions at the same paths).
fn same_trees(
    a: &BTreeMap<String, crate::model::ObjectEntry>,
    b: &BTreeMap<String, crate::model::ObjectEntry>,
) -> bool {
    a.len() == b.len()
        && a.iter()
            .zip(b)
            .all(|((pa, ea), (pb, eb))| pa == pb && ea.stats == eb.stats)
}
