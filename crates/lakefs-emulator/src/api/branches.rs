//! `hardResetBranch` (lakeFS `pkg/api/controller.go:3193-3212`, `pkg/graveler/graveler.go:2576-2634`).

use http::StatusCode;

use super::{empty, fail, Answer, Failure, Query};
use crate::state::Emulator;

impl Emulator {
    /// Order as graveler: unknown repository or branch → 404; protected branch → 403;
    /// read-only repository without `force` → 403 (`force` bypasses only this); dirty (sealed
    /// changes) → 400; unresolvable ref → 404. Staged objects are dropped.
    pub(super) fn hard_reset(
        &self,
        repository: &str,
        branch: &str,
        query: &Query,
    ) -> Result<Answer, Failure> {
        let reference = query.required("ref")?;
        let force = query.boolean("force")?.unwrap_or(false);
        let mut state = self.lock();
        let repo = state
            .repositories
            .get_mut(repository)
            .ok_or_else(|| fail(StatusCode::NOT_FOUND, "repository not found"))?;
        let target_branch = repo.branches.get(branch).ok_or_else(|| {
            fail(
                StatusCode::NOT_FOUND,
                format!("branch '{branch}' not found"),
            )
        })?;
        if target_branch.protected {
            return Err(fail(
                StatusCode::FORBIDDEN,
                "cannot reset a protected branch",
            ));
        }
        if repo.read_only && !force {
            return Err(fail(StatusCode::FORBIDDEN, "read-only repository"));
        }
        if target_branch.dirty {
            return Err(fail(
                StatusCode::BAD_REQUEST,
                "branch is dirty: commit or revert uncommitted changes first",
            ));
        }
        let (commit, _) = repo.resolve(reference).ok_or_else(|| {
            fail(
                StatusCode::NOT_FOUND,
                format!("ref '{reference}' not found"),
            )
        })?;
        if let Some(target) = repo.branches.get_mut(branch) {
            target.head = commit;
            target.staged.clear();
        }
        Ok(empty(StatusCode::NO_CONTENT))
    }
}
