//! `deleteObject`, `deleteObjects` and `copyObject` (lakeFS `pkg/api/controller.go:703-779`,
//! `:3489-3508`, `:3773-3856`; `pkg/catalog/catalog.go:1224-1268`, `:3104-3175`;
//! `pkg/graveler/graveler.go:2004-2116`): the writes to a branch's staging area besides
//! uploads.

use bytes::Bytes;
use http::{Request, StatusCode};
use serde::{Deserialize, Serialize};

use super::names::{check_branch, check_path, check_ref, check_repository, repository_mut};
use super::objects::{object_stats, ref_failure, Metadata};
use super::{body, empty, fail, json, Answer, Failure, Query};
use crate::emulator::Emulator;
use crate::model::{ObjectEntry, Repository};

/// The most paths one deleteObjects takes (`DefaultMaxDeleteObjects`).
const MAX_DELETE_PATHS: usize = 1000;

/// Request body of deleteObjects (schema `PathList`).
#[derive(Debug, Deserialize)]
struct PathList {
    paths: Vec<String>,
}

/// One path deleteObjects could not delete (schema `ObjectError`).
#[derive(Debug, Serialize)]
struct ObjectError {
    path: String,
    status_code: u16,
    message: String,
}

/// Answer of deleteObjects (schema `ObjectErrorList`).
#[derive(Debug, Serialize)]
struct ObjectErrorList {
    errors: Vec<ObjectError>,
}

/// Request body of copyObject (schema `ObjectCopyCreation`).
#[derive(Debug, Deserialize)]
struct ObjectCopyCreation {
    src_path: String,
    #[serde(default)]
    src_ref: Option<String>,
    #[serde(default)]
    force: Option<bool>,
    #[serde(default)]
    shallow: Option<bool>,
}

/// The checks of every staging write, in graveler's order: protected branch → 403 `cannot
/// write to protected branch` (before the branch's existence: protection rules are by name),
/// read-only repository → 403 unless `force`, missing branch → 404 `branch not found`.
pub(super) fn check_write(repo: &Repository, branch: &str, force: bool) -> Result<(), Failure> {
    if repo.branches.get(branch).is_some_and(|b| b.protected) {
        return Err(fail(
            StatusCode::FORBIDDEN,
            "cannot write to protected branch",
        ));
    }
    if repo.read_only && !force {
        return Err(fail(StatusCode::FORBIDDEN, "read-only repository"));
    }
    if !repo.branches.contains_key(branch) {
        return Err(fail(StatusCode::NOT_FOUND, "branch not found"));
    }
    Ok(())
}

/// Deletes `path` on `branch` (checked to exist): a committed object gets a tombstone, an
/// uncommitted-only one leaves the staging area; a missing one is no error.
fn delete_path(repo: &mut Repository, branch: &str, path: &str) {
    let committed = repo
        .branches
        .get(branch)
        .and_then(|b| repo.commits.get(&b.head))
        .is_some_and(|c| c.tree.contains_key(path));
    if let Some(target) = repo.branches.get_mut(branch) {
        if committed {
            target.staged.insert(path.to_owned(), None);
        } else {
            target.staged.remove(path);
        }
    }
}

impl Emulator {
    /// `deleteObject`: validator (400: `path` present and not empty), names (400), repository
    /// (404), the staging-write checks ([`check_write`]: 403, 404 `branch not found`), path
    /// (400 over 1024 bytes). **A missing object answers 204 too** (`graveler.go:2114`).
    pub(super) fn delete_object(
        &self,
        repository: &str,
        branch: &str,
        query: &Query,
    ) -> Result<Answer, Failure> {
        let path = query.required_non_empty("path")?;
        let force = query.boolean("force")?.unwrap_or(false);
        query.boolean("no_tombstone")?;
        check_repository(repository)?;
        check_branch("branch", branch)?;
        check_path(path)?;
        let mut state = self.lock();
        let repo = repository_mut(&mut state, repository)?;
        check_write(repo, branch, force)?;
        delete_path(repo, branch, path);
        Ok(empty(StatusCode::NO_CONTENT))
    }

    /// `deleteObjects`: more than 1000 paths → 400 `request size exceeded, max paths is set to
    /// 1000`; otherwise **always 200** `{"errors": [...]}`. lakeFS deletes the paths in one
    /// batch whose single error applies to every path: a missing repository, branch or
    /// object is ignored (no entry); a protected branch or read-only repository gives each
    /// path a 403 entry with that message; an empty path in the list makes the batch fail
    /// validation, which lakeFS ignores too, so nothing is deleted and nothing reported; an
    /// invalid repository or branch name, or a path over 1024 bytes, gives each path a 500
    /// entry with the error text.
    pub(super) fn delete_objects(
        &self,
        repository: &str,
        branch: &str,
        query: &Query,
        request: &Request<Bytes>,
    ) -> Result<Answer, Failure> {
        let force = query.boolean("force")?.unwrap_or(false);
        query.boolean("no_tombstone")?;
        let list: PathList = body(request)?;
        if list.paths.len() > MAX_DELETE_PATHS {
            return Err(fail(
                StatusCode::BAD_REQUEST,
                format!("request size exceeded, max paths is set to {MAX_DELETE_PATHS}"),
            ));
        }
        let batch = self.delete_batch(repository, branch, &list.paths, force);
        let errors = match batch {
            Ok(()) => Vec::new(),
            Err(failure) if failure.status == StatusCode::NOT_FOUND => Vec::new(),
            Err(failure)
                if failure.status == StatusCode::BAD_REQUEST
                    && failure.message.contains("missing path") =>
            {
                Vec::new()
            }
            Err(failure) => {
                let status_code = match failure.status {
                    StatusCode::FORBIDDEN => 403,
                    _ => 500,
                };
                list.paths
                    .iter()
                    .map(|path| ObjectError {
                        path: path.clone(),
                        status_code,
                        message: failure.message.clone(),
                    })
                    .collect()
            }
        };
        Ok(json(StatusCode::OK, &ObjectErrorList { errors }))
    }

    /// The batch of deleteObjects: all paths, or none and the first error.
    fn delete_batch(
        &self,
        repository: &str,
        branch: &str,
        paths: &[String],
        force: bool,
    ) -> Result<(), Failure> {
        check_repository(repository)?;
        check_branch("branch", branch)?;
        for path in paths {
            check_path(path)?;
        }
        let mut state = self.lock();
        let repo = repository_mut(&mut state, repository)?;
        check_write(repo, branch, force)?;
        for path in paths {
            delete_path(repo, branch, path);
        }
        Ok(())
    }

    /// `copyObject`: validator (400: `dest_path`, a body with `src_path`), repository (404),
    /// destination branch (400 `argument name: …`, 404 `branch '<branch>' not found`),
    /// `shallow` → 501 `Not Implemented`, source at `src_ref` (default: the destination branch;
    /// any ref; 404 `not found`), the staging-write checks (403), destination path (400). The
    /// copy has a new physical address and `mtime` and the source's checksum, size, content
    /// type and user metadata; it is staged like an upload. 201 `ObjectStats`, `metadata`
    /// always present. (An object on the S3 server behind the emulator, feature `s3`, is not
    /// copied there: the copy's new address reads the source's stored bytes.)
    pub(super) fn copy_object(
        &self,
        repository: &str,
        branch: &str,
        query: &Query,
        request: &Request<Bytes>,
    ) -> Result<Answer, Failure> {
        let dest_path = query.required_non_empty("dest_path")?.to_owned();
        let copy: ObjectCopyCreation = body(request)?;
        let mut state = self.lock();
        let address = state.new_relative_address();
        let now = state.now();
        let repo = repository_mut(&mut state, repository)?;
        check_branch("name", branch)?;
        if !repo.branches.contains_key(branch) {
            return Err(fail(
                StatusCode::NOT_FOUND,
                format!("branch '{branch}' not found"),
            ));
        }
        if copy.shallow == Some(true) {
            // `apiutil.ErrNotImplemented` (`pkg/api/apiutil/conditions.go:39-45`).
            return Err(fail(StatusCode::NOT_IMPLEMENTED, "Not Implemented"));
        }
        let source_ref = copy
            .src_ref
            .as_deref()
            .filter(|r| !r.is_empty())
            .unwrap_or(branch);
        check_ref("ref", source_ref)?;
        check_path(&copy.src_path)?;
        let resolved = repo.resolve_ref(source_ref).map_err(ref_failure)?;
        let source = repo
            .object_in(&resolved, &copy.src_path)
            .ok_or_else(|| fail(StatusCode::NOT_FOUND, "not found"))?
            .clone();
        check_write(repo, branch, copy.force.unwrap_or(false))?;
        check_path(&dest_path)?;
        let mut stats = source.stats.clone();
        stats.path.clone_from(&dest_path);
        stats.physical_address = address;
        stats.mtime = now;
        stats.physical_address_expiry = None;
        let entry = ObjectEntry {
            parts: source.parts,
            stats,
            s3_key: source.s3_key,
        };
        if let Some(target) = repo.branches.get_mut(branch) {
            target.staged.insert(dest_path.clone(), Some(entry.clone()));
        }
        let stats = object_stats(
            &state,
            repository,
            &dest_path,
            &entry,
            Metadata::Always,
            false,
        );
        Ok(json(StatusCode::CREATED, &stats))
    }
}
