//! `uploadObject` (lakeFS `pkg/api/controller.go` `UploadObject`, v1.84.0;
//! `pkg/api/apiutil/conditions.go` `BuildConditionFromParams`): the bytes in the request's
//! body, written by the server and staged like any write. Both forms of the body lakeFS reads:
//! `application/octet-stream` (the body is the object), and `multipart/form-data` (the part
//! named `content` is the object, its `Content-Type` the object's; what the official SDKs
//! send).
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

impl PendingUpload {
    /// The object's bytes: the body, or the `content` part of a `multipart/form-data` body
    /// (whose `Content-Type` becomes the object's). 400 for a form without that part.
    fn content(&mut self, request: &Request<Bytes>) -> Result<Bytes, Failure> {
        let Some(boundary) = form_boundary(&self.content_type) else {
            return Ok(request.body().clone());
        };
        let (content, content_type) = form_content(request.body(), &boundary)
            .ok_or_else(|| fail(StatusCode::BAD_REQUEST, "missing key 'content'"))?;
        self.content_type = content_type.unwrap_or_else(|| "application/octet-stream".into());
        Ok(content)
    }
}

/// The boundary of a `multipart/form-data` content type.
fn form_boundary(content_type: &str) -> Option<String> {
    let mut params = content_type.split(';');
    if !params
        .next()?
        .trim()
        .eq_ignore_ascii_case("multipart/form-data")
    {
        return None;
    }
    params.find_map(|p| {
        let (name, value) = p.split_once('=')?;
        name.trim()
            .eq_ignore_ascii_case("boundary")
            .then(|| value.trim().trim_matches('"').to_owned())
    })
}

/// The part named `content` of a `multipart/form-data` body: its bytes and content type.
fn form_content(body: &[u8], boundary: &str) -> Option<(Bytes, Option<String>)> {
    let delimiter = format!("--{boundary}");
    let find = |haystack: &[u8], from: usize, needle: &[u8]| {
        haystack
            .get(from..)?
            .windows(needle.len())
            .position(|w| w == needle)
            .map(|at| at + from)
    };
    let mut at = find(body, 0, delimiter.as_bytes())? + delimiter.len();
    loop {
        // After a delimiter: `--` ends the body, else CRLF and the part's headers.
        if body.get(at..at + 2) == Some(b"--") {
            return None;
        }
        let headers_start = at + 2;
        let headers_end = find(body, headers_start, b"\r\n\r\n")?;
        let next = find(body, headers_end + 4, format!("\r\n{delimiter}").as_bytes())?;
        let headers = std::str::from_utf8(&body[headers_start..headers_end]).ok()?;
        let mut is_content = false;
        let mut content_type = None;
        for line in headers.split("\r\n") {
            let Some((name, value)) = line.split_once(':') else {
                continue;
            };
            if name.trim().eq_ignore_ascii_case("content-disposition") {
                is_content = value
                    .split(';')
                    .any(|p| matches!(p.trim().split_once('='), Some(("name", v)) if v.trim_matches('"') == "content"));
            } else if name.trim().eq_ignore_ascii_case("content-type") {
                content_type = Some(value.trim().to_owned());
            }
        }
        if is_content {
            return Some((
                Bytes::copy_from_slice(&body[headers_end + 4..next]),
                content_type,
            ));
        }
        at = next + 2 + delimiter.len();
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
        let mut upload = self.begin_upload_object(repository, branch, query, request)?;
        let content = upload.content(request)?;
        self.finish_upload_object(upload, &content, false)
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
        let mut upload = self.begin_upload_object(repository, branch, &query, request)?;
        let content = upload.content(request)?;
        s3.put_object(&upload.s3_key(), content.clone())
            .await
            .map_err(|e| fail(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
        self.finish_upload_object(upload, &content, true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_content_part_of_a_form_is_the_object() {
        let body = b"--XyZ\r\nContent-Disposition: form-data; name=\"other\"\r\n\r\nnope\r\n--XyZ\r\nContent-Disposition: form-data; name=\"content\"; filename=\"a.csv\"\r\nContent-Type: text/csv\r\n\r\nid\r\n1\r\n--XyZ--\r\n";
        assert_eq!(
            form_boundary("multipart/form-data; boundary=XyZ").as_deref(),
            Some("XyZ")
        );
        assert_eq!(form_boundary("application/octet-stream"), None);
        assert_eq!(
            form_content(body, "XyZ"),
            Some((Bytes::from_static(b"id\r\n1"), Some("text/csv".to_owned())))
        );
        assert_eq!(form_content(b"--XyZ--\r\n", "XyZ"), None);
    }
}
