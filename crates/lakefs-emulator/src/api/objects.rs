//! `updateObjectUserMetadata` (lakeFS v1.37.0+; `pkg/api/controller.go:5253-5272`,
//! `pkg/catalog/catalog.go:1110-1141`, `pkg/graveler/graveler.go:1982-2002`), and
//! `statObject` (not experimental) for clients that check what a lost answer did.

use bytes::Bytes;
use http::{Request, StatusCode};
use lakefs_models::UpdateObjectUserMetadata;

use super::{body, empty, fail, json, Answer, Failure, Query};
use crate::emulator::Emulator;

impl Emulator {
    /// Replaces an object's user metadata wholesale (`set: {}` clears it); nothing else in the
    /// object changes. Order: validator (400: `path` and a body with `set` of string values);
    /// empty path → 400; **an unknown repository answers 204 and changes nothing** (a lakeFS
    /// bug since v1.39.0, `catalog.go:1122-1125`); protected branch → 403 `cannot write to
    /// protected branch`; read-only repository → 403; unknown branch → 404; the object as the
    /// branch sees it (staged, else committed) missing → 404 `update user metadata on
    /// <repo>/<branch>/<path>: not found`. The update is written to the branch's staging, so
    /// updating a committed object makes an uncommitted change. Success is **204**, though
    /// the spec declares 201 (`controller.go:5271`).
    pub(super) fn update_user_metadata(
        &self,
        repository: &str,
        branch: &str,
        query: &Query,
        request: &Request<Bytes>,
    ) -> Result<Answer, Failure> {
        let path = query.required("path")?;
        let update: UpdateObjectUserMetadata = body(request)?;
        if path.is_empty() {
            return Err(fail(
                StatusCode::BAD_REQUEST,
                "argument path: required value: validation error",
            ));
        }
        let mut state = self.lock();
        let Some(repo) = state.repositories.get_mut(repository) else {
            return Ok(empty(StatusCode::NO_CONTENT));
        };
        if repo.branches.get(branch).is_some_and(|b| b.protected) {
            return Err(fail(
                StatusCode::FORBIDDEN,
                "cannot write to protected branch",
            ));
        }
        if repo.read_only {
            return Err(fail(StatusCode::FORBIDDEN, "read-only repository"));
        }
        if !repo.branches.contains_key(branch) {
            return Err(fail(StatusCode::NOT_FOUND, "branch not found"));
        }
        let mut entry = repo
            .branch_object(branch, path)
            .ok_or_else(|| {
                fail(
                    StatusCode::NOT_FOUND,
                    format!("update user metadata on {repository}/{branch}/{path}: not found"),
                )
            })?
            .clone();
        entry.stats.metadata = Some(update.set);
        if let Some(target) = repo.branches.get_mut(branch) {
            target.staged.insert(path.to_owned(), entry);
        }
        Ok(empty(StatusCode::NO_CONTENT))
    }
}

impl Emulator {
    /// `statObject`: an object's stats at a branch (its staged version first) or a commit
    /// (`ref~N` expressions included). Unknown repository, ref or object → 404.
    pub(super) fn stat_object(
        &self,
        repository: &str,
        reference: &str,
        query: &Query,
    ) -> Result<Answer, Failure> {
        let path = query.required("path")?;
        let state = self.lock();
        let repo = state
            .repositories
            .get(repository)
            .ok_or_else(|| fail(StatusCode::NOT_FOUND, "repository not found"))?;
        let entry = match repo.branches.contains_key(reference) {
            true => repo.branch_object(reference, path),
            false => repo
                .resolve(reference)
                .and_then(|(commit, _)| repo.commits.get(&commit)?.tree.get(path)),
        };
        let entry = entry.ok_or_else(|| {
            fail(
                StatusCode::NOT_FOUND,
                format!("{repository}/{reference}/{path}: not found"),
            )
        })?;
        Ok(json(StatusCode::OK, &entry.stats))
    }
}
