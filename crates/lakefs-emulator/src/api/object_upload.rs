//! `uploadObject` (lakeFS `pkg/api/controller.go` `UploadObject`, v1.84.0;
//! `pkg/api/apiutil/conditions.go` `BuildConditionFromParams`): the bytes in the request's
//! body, written by the server and staged like any write. Only the `application/octet-stream`
//! form is emulated (not `multipart/form-data`).
//!
//! Conditions, as lakeFS has them: `If-None-Match: *` → 412 `path already exists` when the
//! branch has an object at the path — checked before the write and again, atomically, when
//! the entry is staged (graveler's `WithCondition`); any other `If-None-Match`, and every
//! `If-Match`, → 501 `Not Implemented` (although the spec describes `If-Match`).

use bytes::Bytes;
use http::header::{CONTENT_TYPE, IF_MATCH, IF_NONE_MATCH};
use http::{Request, StatusCode};
use lakefs_models::ObjectStats;

use super::names::{check_branch, check_path, check_repository, repository_mut};
use super::object_writes::check_write;
use super::objects::{object_stats, Metadata};
use super::{fail, json, Answer, Failure, Query};
use crate::emulator::Emulator;
use crate::model::{ObjectEntry, Repository};

/// An upload that passed every check before its bytes are written.
pub(super) struct PendingUpload {
    repository: String,
    branch: String,
    path: String,
    /// Relative to the repository's namespace.
    address: String,
    create_only: bool,
    force: bool,
    content_type: String,
}

impl PendingUpload {
    /// The key of the object in the bucket of the S3 server behind the emulator.
    #[cfg(feature = "s3")]
    pub(super) fn s3_key(&self) -> String {
        format!("{}/{}", self.repository, self.address)
    }
}

/// Whether `branch` of `repo` has an object at `path` (staged or committed).
fn exists(repo: &Repository, branch: &str, path: &str) -> bool {
    repo.resolve_ref(branch)
        .ok()
        .is_some_and(|resolved| repo.object_in(&resolved, path).is_some())
}

impl Emulator {
    /// The checks of `uploadObject` in lakeFS's order: authorization aside, the repository
    /// (404), the branch (404 `branch '…' not found`), `If-None-Match: *` on an existing path
    /// (412), the conditions lakeFS does not implement (501).
    pub(super) fn begin_upload_object(
        &self,
        repository: &str,
        branch: &str,
        query: &Query,
        request: &Request<Bytes>,
    ) -> Result<PendingUpload, Failure> {
        let path = query.required_non_empty("path")?.to_owned();
        let force = query.boolean("force")?.unwrap_or(false);
        check_repository(repository)?;
        check_branch("branch", branch)?;
        check_path(&path)?;
        let header = |name| {
            request
                .headers()
                .get(name)
                .map(|v: &http::HeaderValue| v.to_str().unwrap_or_default().to_owned())
        };
        let if_none_match = header(IF_NONE_MATCH);
        let if_match = header(IF_MATCH);
        let content_type = header(CONTENT_TYPE)
            .filter(|t| !t.is_empty())
            .unwrap_or_else(|| "application/octet-stream".into());
        let mut state = self.lock();
        let address = state.new_relative_address();
        let repo = repository_mut(&mut state, repository)?;
        if !repo.branches.contains_key(branch) {
            return Err(fail(
                StatusCode::NOT_FOUND,
                format!("branch '{branch}' not found"),
            ));
        }
        let create_only = if_none_match.as_deref() == Some("*");
        if create_only && exists(repo, branch, &path) {
            return Err(fail(StatusCode::PRECONDITION_FAILED, "path already exists"));
        }
        if if_match.is_some() || (if_none_match.is_some() && !create_only) {
            return Err(fail(StatusCode::NOT_IMPLEMENTED, "Not Implemented"));
        }
        Ok(PendingUpload {
            repository: repository.to_owned(),
            branch: branch.to_owned(),
            path,
            address,
            create_only,
            force,
            content_type,
        })
    }

    /// Stages the written object: the staging-write checks (403, 404), the create-only
    /// condition again (412, atomically with the staging), then 201 `ObjectStats`.
    pub(super) fn finish_upload_object(
        &self,
        upload: PendingUpload,
        content: &Bytes,
        on_s3: bool,
    ) -> Result<Answer, Failure> {
        let checksum = crate::checksum::md5_hex(&[content]);
        let mut state = self.lock();
        let now = state.now();
        let repo = repository_mut(&mut state, &upload.repository)?;
        check_write(repo, &upload.branch, upload.force)?;
        if upload.create_only && exists(repo, &upload.branch, &upload.path) {
            return Err(fail(StatusCode::PRECONDITION_FAILED, "path already exists"));
        }
        let mut stats = ObjectStats::new(&upload.path, &upload.address, checksum, now);
        stats.size_bytes = Some(i64::try_from(content.len()).unwrap_or(i64::MAX));
        stats.content_type = Some(upload.content_type.clone());
        let entry = ObjectEntry {
            parts: if on_s3 {
                Vec::new()
            } else {
                vec![content.clone()]
            },
            stats,
            s3_key: on_s3.then(|| format!("{}/{}", upload.repository, upload.address)),
        };
        if let Some(target) = repo.branches.get_mut(&upload.branch) {
            target
                .staged
                .insert(upload.path.clone(), Some(entry.clone()));
        }
        let stats = object_stats(
            &state,
            &upload.repository,
            &upload.path,
            &entry,
            Metadata::Always,
            false,
        );
        Ok(json(StatusCode::CREATED, &stats))
    }

    /// `uploadObject` with the bytes kept in memory.
    pub(super) fn upload_object(
        &self,
        repository: &str,
        branch: &str,
        query: &Query,
        request: &Request<Bytes>,
    ) -> Result<Answer, Failure> {
        let upload = self.begin_upload_object(repository, branch, query, request)?;
        self.finish_upload_object(upload, request.body(), false)
    }

    /// `uploadObject` when objects live on the S3 server behind the emulator: the bytes are
    /// written there (one PUT, as lakeFS's `upload.WriteBlob`), then staged.
    #[cfg(feature = "s3")]
    pub(super) async fn upload_object_to_s3(
        &self,
        s3: &crate::s3::S3Storage,
        repository: &str,
        branch: &str,
        request: &Request<Bytes>,
    ) -> Result<Answer, Failure> {
        let query = Query::parse(request);
        let upload = self.begin_upload_object(repository, branch, &query, request)?;
        s3.put_object(&upload.s3_key(), request.body().clone())
            .await
            .map_err(|e| fail(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
        self.finish_upload_object(upload, request.body(), true)
    }
}
