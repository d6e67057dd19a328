//! `updateObjectUserMetadata` (lakeFS v1.37.0+; `pkg/api/controller.go:5253-5272`,
//! `pkg/catalog/catalog.go:1110-1141`, `pkg/graveler/graveler.go:1982-2002`), `statObject`
//! (`controller.go:5185-5251`) and `listObjects` (`controller.go:5071-5183`), and the object
//! stats they (and copyObject) answer.

use bytes::Bytes;
use http::{Request, StatusCode};
use lakefs_models::{ObjectStats, PathType, UpdateObjectUserMetadata};

use super::listing::{list, page, Listed, Window};
use super::names::{check_optional_path, check_path, check_ref, repository};
use super::{body, empty, fail, json, Answer, Failure, Query};
use crate::emulator::Emulator;
use crate::model::{ObjectEntry, State};
use crate::refs::{RefError, Resolved};

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
            target.staged.insert(path.to_owned(), Some(entry));
        }
        Ok(empty(StatusCode::NO_CONTENT))
    }
}

/// A ref that resolves to nothing, as the object operations answer it: 404 `not found`, or
/// 400 for a malformed expression.
pub(super) fn ref_failure(error: RefError) -> Failure {
    match error {
        RefError::NotFound => fail(StatusCode::NOT_FOUND, "not found"),
        RefError::Invalid => fail(
            StatusCode::BAD_REQUEST,
            "ref: invalid value: validation error",
        ),
    }
}

/// The object at `path` in `reference` of `repository`, as lakeFS's `GetEntry` finds it:
/// repository name (400) and existence (404 `repository not found`), ref (400 with
/// whitespace), path (400 empty or over 1024 bytes), then the ref (404 `not found`, 400
/// malformed) and the object (404 `not found`, also for one deleted on the branch).
pub(super) fn entry_at<'a>(
    state: &'a State,
    repository_name: &str,
    reference: &str,
    path: &str,
) -> Result<&'a ObjectEntry, Failure> {
    let repo = repository(state, repository_name)?;
    check_ref("ref", reference)?;
    check_path(path)?;
    let resolved = repo.resolve_ref(reference).map_err(ref_failure)?;
    repo.object_in(&resolved, path)
        .ok_or_else(|| fail(StatusCode::NOT_FOUND, "not found"))
}

/// Whether an answer carries user metadata always (`{}` when there is none: statObject,
/// copyObject) or only when the object has some (listObjects), or never (`{}` for
/// statObject's `user_metadata=false`, nothing for listObjects').
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Metadata {
    Always,
    IfAny,
    Empty,
    Omitted,
}

/// The `ObjectStats` lakeFS answers for an object of `repository` at `path`: the physical
/// address as a full URI in the repository's namespace (or a presigned GET URL, with
/// `physical_address_expiry`), `size_bytes` and `content_type` always present, `metadata` as
/// `metadata` says.
pub(super) fn object_stats(
    state: &State,
    repository: &str,
    path: &str,
    entry: &ObjectEntry,
    metadata: Metadata,
    presign: bool,
) -> ObjectStats {
    let stats = &entry.stats;
    let address = if presign {
        let (url, expiry) = state.presign_get(repository, entry);
        (url, Some(expiry))
    } else if stats.physical_address.contains("://") {
        (stats.physical_address.clone(), None)
    } else {
        let namespace = state.namespace(repository);
        (format!("{namespace}/{}", stats.physical_address), None)
    };
    let mut out = ObjectStats::new(path, address.0, stats.checksum.clone(), stats.mtime);
    out.physical_address_expiry = address.1;
    out.size_bytes = Some(stats.size_bytes.unwrap_or(0));
    out.content_type = Some(
        stats
            .content_type
            .clone()
            .filter(|t| !t.is_empty())
            .unwrap_or_else(|| "application/octet-stream".into()),
    );
    let own = stats.metadata.clone().unwrap_or_default();
    out.metadata = match metadata {
        Metadata::Always => Some(own),
        Metadata::IfAny => (!own.is_empty()).then_some(own),
        Metadata::Empty => Some(Default::default()),
        Metadata::Omitted => None,
    };
    out
}

impl Emulator {
    /// `statObject`: an object's stats at any ref (a branch with its uncommitted changes, a
    /// commit, `main~1`, `main@`…). 200 `ObjectStats` with `metadata` always present (`{}`
    /// when none or `user_metadata=false`), the physical address a full URI; `presign=true`
    /// makes it a presigned GET URL with `physical_address_expiry`. Errors as
    /// [`entry_at`].
    pub(super) fn stat_object(
        &self,
        repository: &str,
        reference: &str,
        query: &Query,
    ) -> Result<Answer, Failure> {
        let path = query.required_non_empty("path")?;
        let with_metadata = query.boolean("user_metadata")?.unwrap_or(true);
        let presign = query.boolean("presign")?.unwrap_or(false);
        let state = self.lock();
        let entry = entry_at(&state, repository, reference, path)?;
        if presign && !state.presign_reads {
            return Err(super::presign_unsupported());
        }
        let metadata = if with_metadata {
            Metadata::Always
        } else {
            Metadata::Empty
        };
        let stats = object_stats(&state, repository, path, entry, metadata, presign);
        Ok(json(StatusCode::OK, &stats))
    }

    /// `listObjects`: the objects of a ref (uncommitted changes included for a branch) in
    /// byte order, by `prefix` (any string), `delimiter` (common prefixes, as
    /// `{"path": "<prefix…delimiter>", "path_type": "common_prefix", "physical_address": "",
    /// "checksum": "", "mtime": 0}`), `after` (exclusive, a path or common prefix) and
    /// `amount` (common prefixes count); `metadata` only on objects that have some (and not
    /// with `user_metadata=false`); `presign=true` presigns each object's address.
    pub(super) fn list_objects(
        &self,
        repository_name: &str,
        reference: &str,
        query: &Query,
    ) -> Result<Answer, Failure> {
        let with_metadata = query.boolean("user_metadata")?.unwrap_or(true);
        let presign = query.boolean("presign")?.unwrap_or(false);
        let amount = query.amount()?;
        let window = Window {
            prefix: query.text("prefix"),
            delimiter: query.text("delimiter"),
            after: query.text("after"),
            amount,
        };
        let state = self.lock();
        let repo = repository(&state, repository_name)?;
        if presign && !state.presign_reads {
            return Err(super::presign_unsupported());
        }
        check_ref("ref", reference)?;
        check_optional_path("prefix", window.prefix)?;
        check_optional_path("delimiter", window.delimiter)?;
        let resolved: Resolved<'_> = repo.resolve_ref(reference).map_err(ref_failure)?;
        let objects = repo
            .objects_in(&resolved)
            .into_iter()
            .map(|(path, entry)| (path.to_owned(), entry))
            .collect();
        let metadata = if with_metadata {
            Metadata::IfAny
        } else {
            Metadata::Omitted
        };
        let results: Vec<ObjectStats> = list(objects, window)
            .into_iter()
            .map(|listed| match listed {
                Listed::Item(path, entry) => {
                    object_stats(&state, repository_name, &path, entry, metadata, presign)
                }
                Listed::Prefix(path) => {
                    let mut prefix = ObjectStats::new(path, "", "", 0);
                    prefix.path_type = PathType::CommonPrefix;
                    prefix
                }
            })
            .collect();
        Ok(json(
            StatusCode::OK,
            &page(results, amount, |stats| stats.path.as_str()),
        ))
    }
}
