//! `hardResetBranch` (lakeFS `pkg/api/controller.go:3193-3212`, `pkg/catalog/catalog.go:928-943`,
//! `pkg/graveler/graveler.go:2576-2635`).

use http::StatusCode;

use super::{empty, fail, Answer, Failure, Query};
use crate::emulator::Emulator;
use crate::refs::RefError;

impl Emulator {
    /// Order as graveler: unknown repository or branch → 404; protected branch → 403;
    /// read-only repository without `force` → 403 (`force` bypasses only this); dirty (sealed
    /// changes) → 400; unresolvable ref → 404.
    ///
    /// **Only the branch's commit moves; its uncommitted objects survive.** lakeFS's
    /// `Graveler.ResetHard` (`pkg/graveler/graveler.go:2576-2635`) sets `branch.CommitID` to
    /// the dereferenced ref inside `retryBranchUpdate` and touches neither `StagingToken` nor
    /// `SealedTokens`, so what is staged stays staged and is read on top of the new commit
    /// (objects committed only in the commits left behind disappear unless staged). Its one
    /// staging check is `isSealedEmpty` (`graveler.go:2554-2564`): changes in *sealed* tokens
    /// (left by a commit or merge in flight or interrupted; here [`Emulator::set_dirty`])
    /// refuse the reset with `ErrDirtyBranch`, ordinary staged objects do not (the
    /// `TODO(ariels): … Verify staging is empty!` there is not done). Not to be confused with
    /// `resetBranch` (`Graveler.Reset`, `graveler.go:2637-2667`), which drops the staging
    /// tokens. A merge into the branch afterwards is refused as dirty (400), since graveler's
    /// `Merge` first calls `prepareForCommitIDUpdate` → `isUncommittedEmpty`
    /// (`graveler.go:1480-1494`, `:2526-2534`), which counts the staging token too (the
    /// `staged` check in `merge::merge_branches`).
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
            // The commit block is checked first: `ErrProtectedBranch` (`errors.go:18`).
            return Err(fail(StatusCode::FORBIDDEN, "protected branch"));
        }
        if repo.read_only && !force {
            return Err(fail(StatusCode::FORBIDDEN, "read-only repository"));
        }
        if target_branch.dirty {
            // `fmt.Errorf("%s: %w", branchID, ErrDirtyBranch)` (`errors.go:50`).
            return Err(fail(
                StatusCode::BAD_REQUEST,
                format!("{branch}: uncommitted changes (dirty branch)"),
            ));
        }
        let commit = repo
            .resolve_commit(reference)
            .map_err(|error| match error {
                RefError::NotFound => fail(
                    StatusCode::NOT_FOUND,
                    format!("ref '{reference}' not found"),
                ),
                RefError::Invalid => fail(
                    StatusCode::BAD_REQUEST,
                    "ref: invalid value: validation error",
                ),
            })?;
        if let Some(target) = repo.branches.get_mut(branch) {
            // Only the commit id changes (`branch.CommitID = commitRecord.CommitID`); the
            // staging area stays (`staged`, `dirty`).
            target.head = commit;
        }
        Ok(empty(StatusCode::NO_CONTENT))
    }
}
