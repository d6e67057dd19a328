//! Presigned multipart uploads: create, complete, abort (lakeFS `pkg/api/controller.go`
//! `:193-297`, `:460-644`), and the link-address check they share with `uploadPart` and
//! `uploadPartCopy` (`pkg/catalog/catalog.go:3234-3264`).

use bytes::Bytes;
use http::{Request, StatusCode};
use lakefs_models::{
    AbortPresignMultipartUpload, CompletePresignMultipartUpload, ObjectStats,
    PresignMultipartUpload,
};

use super::{body, empty, fail, json, not_implemented, Answer, Failure, Query};
use crate::checksum::md5_hex;
use crate::emulator::Emulator;
use crate::model::{ObjectEntry, State, Support, Upload};

/// S3's smallest part, every part but the last.
const MIN_PART_SIZE: usize = 5 * 1024 * 1024;
/// lakeFS's bounds for `parts`.
const MAX_PARTS: i64 = 10_000;
/// How long a link address stays valid (`LinkAddressTime`, `pkg/catalog/catalog.go:92`; 6 h
/// before v1.80.0). Its age is read from the time in the address's xid.
const LINK_ADDRESS_TTL: i64 = 24 * 3600;

/// The link-address check of complete, abort, `uploadPart` and `uploadPartCopy`
/// (`pkg/api/controller.go:1061-1076`, `pkg/catalog/catalog.go:3234-3264`): the address must be
/// the full URI create returned, under `<namespace>/data/`; it must carry a signature that
/// matches this repository, branch (from the URL) and path; and it must be under 24 h old.
/// Every failure is a 400. Returns the address relative to the namespace, without signature.
pub(super) fn verify_link_address<'a>(
    state: &State,
    repository: &str,
    branch: &str,
    path: &str,
    physical_address: &'a str,
) -> Result<&'a str, Failure> {
    let prefix = format!("s3://{}/{repository}/", state.bucket);
    let relative = physical_address
        .strip_prefix(&prefix)
        .filter(|r| r.starts_with("data/"))
        .ok_or_else(|| {
            fail(
                StatusCode::BAD_REQUEST,
                "physical address must be relative to the storage namespace",
            )
        })?;
    let (address, signature) = relative.rsplit_once(',').ok_or_else(|| {
        fail(
            StatusCode::BAD_REQUEST,
            "address is not signed: link address invalid",
        )
    })?;
    if state.address_signature(repository, branch, path, address) != signature {
        return Err(fail(
            StatusCode::BAD_REQUEST,
            "invalid address signature: invalid address",
        ));
    }
    let created = address
        .rsplit('/')
        .next()
        .and_then(crate::xid::time_of)
        .map_or(0, i64::from);
    if state.now() - created > LINK_ADDRESS_TTL {
        return Err(fail(StatusCode::BAD_REQUEST, "link address expired"));
    }
    Ok(address)
}

impl Emulator {
    /// Validates a create request and mints the upload's signed address.
    pub(super) fn begin_create(
        &self,
        repository: &str,
        branch: &str,
        query: &Query,
    ) -> Result<NewUpload, Failure> {
        let path = query.required("path")?;
        let parts = query.integer("parts")?;
        let mut state = self.lock();
        let repo = state
            .repositories
            .get(repository)
            .ok_or_else(|| fail(StatusCode::NOT_FOUND, "repository not found"))?;
        if state.presign_multipart == Support::NotImplemented {
            return Err(not_implemented("presign multipart upload API"));
        }
        if !repo.branches.contains_key(branch) {
            return Err(fail(
                StatusCode::NOT_FOUND,
                format!("branch '{branch}' not found"),
            ));
        }
        if path.is_empty() {
            return Err(fail(StatusCode::BAD_REQUEST, "path is required"));
        }
        let parts = parts.unwrap_or(0);
        if !(0..=MAX_PARTS).contains(&parts) {
            return Err(fail(
                StatusCode::BAD_REQUEST,
                "parts can be between 0 and 10000",
            ));
        }
        let relative = state.new_relative_address();
        let signature = state.address_signature(repository, branch, path, &relative);
        let key = format!("{repository}/{relative},{signature}");
        Ok(NewUpload {
            repository: repository.to_owned(),
            branch: branch.to_owned(),
            path: path.to_owned(),
            parts: u16::try_from(parts).unwrap_or(0),
            physical_address: format!("s3://{}/{key}", state.bucket),
            key,
        })
    }

    /// Records a created upload and answers its presigned URLs.
    pub(super) fn finish_create(
        &self,
        new: NewUpload,
        upload_id: String,
        urls: Vec<String>,
    ) -> Answer {
        self.lock().uploads.insert(
            upload_id.clone(),
            Upload {
                repository: new.repository,
                branch: new.branch,
                path: new.path,
                physical_address: new.physical_address.clone(),
                parts: Default::default(),
            },
        );
        json(
            StatusCode::CREATED,
            // Omitted, not empty, when no part was asked for.
            &PresignMultipartUpload::new(
                upload_id,
                new.physical_address,
                (!urls.is_empty()).then_some(urls),
            ),
        )
    }

    pub(super) fn create_upload(
        &self,
        repository: &str,
        branch: &str,
        query: &Query,
    ) -> Result<Answer, Failure> {
        let new = self.begin_create(repository, branch, query)?;
        let (upload_id, urls) = {
            let mut state = self.lock();
            let upload_id = state.new_id("upload-");
            // All signed now, valid for the part URL lifetime (`blockstore.s3.pre_signed_expiry`,
            // `pkg/block/s3/adapter.go:1019-1031`); `uploadPart` re-signs one.
            let urls = (1..=u32::from(new.parts))
                .map(|n| state.part_url(&upload_id, n))
                .collect();
            (upload_id, urls)
        };
        Ok(self.finish_create(new, upload_id, urls))
    }

    /// The checks complete and abort share: feature, repository, branch, path, address and
    /// its signature, upload.
    fn check_upload(
        state: &State,
        repository: &str,
        branch: &str,
        upload_id: &str,
        path: &str,
        physical_address: &str,
    ) -> Result<(), Failure> {
        if state.presign_multipart == Support::NotImplemented {
            return Err(not_implemented("presign multipart upload API"));
        }
        let repo = state
            .repositories
            .get(repository)
            .ok_or_else(|| fail(StatusCode::NOT_FOUND, "repository not found"))?;
        if !repo.branches.contains_key(branch) {
            return Err(fail(
                StatusCode::NOT_FOUND,
                format!("branch '{branch}' not found"),
            ));
        }
        if path.is_empty() || physical_address.is_empty() || upload_id.is_empty() {
            return Err(fail(
                StatusCode::BAD_REQUEST,
                "uploadId, path and physical_address are required",
            ));
        }
        verify_link_address(state, repository, branch, path, physical_address)?;
        match state.uploads.get(upload_id) {
            Some(upload)
                if upload.repository != repository
                    || upload.branch != branch
                    || upload.path != path =>
            {
                Err(fail(
                    StatusCode::NOT_FOUND,
                    "upload not found for this repository, branch and path",
                ))
            }
            Some(upload) if upload.physical_address == physical_address => Ok(()),
            Some(_) => Err(fail(
                StatusCode::BAD_REQUEST,
                "physical address does not belong to this upload",
            )),
            None => Err(fail(StatusCode::NOT_FOUND, "upload not found")),
        }
    }

    /// Validates a complete or abort request: its JSON body, and the address that body
    /// carries against the upload.
    fn begin_upload_call<B: serde::de::DeserializeOwned>(
        &self,
        target: (&str, &str, &str),
        query: &Query,
        request: &Request<Bytes>,
        address: impl Fn(&B) -> &str,
    ) -> Result<(String, B), Failure> {
        let (repository, branch, upload_id) = target;
        let path = query.required("path")?;
        let parsed: B = body(request)?;
        let state = self.lock();
        Self::check_upload(
            &state,
            repository,
            branch,
            upload_id,
            path,
            address(&parsed),
        )?;
        Ok((path.to_owned(), parsed))
    }

    /// Validates a complete request: the body, the address and the upload.
    pub(super) fn begin_complete(
        &self,
        repository: &str,
        branch: &str,
        upload_id: &str,
        query: &Query,
        request: &Request<Bytes>,
    ) -> Result<(String, CompletePresignMultipartUpload), Failure> {
        let (path, complete) = self.begin_upload_call(
            (repository, branch, upload_id),
            query,
            request,
            |c: &CompletePresignMultipartUpload| &c.physical_address,
        )?;
        if complete.parts.is_empty() {
            return Err(fail(StatusCode::BAD_REQUEST, "parts are required"));
        }
        Ok((path, complete))
    }

    /// Ends an upload: it is gone, and its object is staged on the branch. Answers the stats,
    /// with the address relative to the repository's namespace, as lakeFS does (`:639`).
    #[allow(clippy::too_many_arguments)]
    pub(super) fn finish_complete(
        &self,
        repository: &str,
        branch: &str,
        upload_id: &str,
        path: &str,
        complete: &CompletePresignMultipartUpload,
        checksum: String,
        size: u64,
        parts: Vec<Bytes>,
    ) -> Answer {
        let mut state = self.lock();
        let namespace = format!("s3://{}/{repository}/", state.bucket);
        let relative = complete
            .physical_address
            .strip_prefix(&namespace)
            .unwrap_or(&complete.physical_address);
        let mut stats = ObjectStats::new(path, relative, checksum, state.now());
        stats.size_bytes = Some(i64::try_from(size).unwrap_or(i64::MAX));
        stats.metadata = complete.user_metadata.clone();
        stats.content_type = Some(
            complete
                .content_type
                .clone()
                .filter(|t| !t.is_empty())
                .unwrap_or_else(|| "application/octet-stream".into()),
        );
        // Parts are empty only when the object was completed on S3 (in memory, complete
        // needs at least one part): then it lives at its key in the bucket.
        let s3_key = parts.is_empty().then(|| format!("{repository}/{relative}"));
        state.uploads.remove(upload_id);
        let staged = ObjectEntry {
            parts,
            stats: stats.clone(),
            s3_key,
        };
        if let Some(target) = state
            .repositories
            .get_mut(repository)
            .and_then(|r| r.branches.get_mut(branch))
        {
            target.staged.insert(path.to_owned(), Some(staged));
        }
        json(StatusCode::OK, &stats)
    }

    pub(super) fn complete_upload(
        &self,
        repository: &str,
        branch: &str,
        upload_id: &str,
        query: &Query,
        request: &Request<Bytes>,
    ) -> Result<Answer, Failure> {
        let (path, complete) =
            self.begin_complete(repository, branch, upload_id, query, request)?;
        let (parts, checksum) = {
            let state = self.lock();
            let upload = state
                .uploads
                .get(upload_id)
                .ok_or_else(|| fail(StatusCode::NOT_FOUND, "upload not found"))?;
            assemble(upload, &complete)?
        };
        let size = parts.iter().map(|p| p.len() as u64).sum();
        Ok(self.finish_complete(
            repository, branch, upload_id, &path, &complete, checksum, size, parts,
        ))
    }

    pub(super) fn abort_upload(
        &self,
        repository: &str,
        branch: &str,
        upload_id: &str,
        query: &Query,
        request: &Request<Bytes>,
    ) -> Result<Answer, Failure> {
        self.begin_abort(repository, branch, upload_id, query, request)?;
        self.lock().uploads.remove(upload_id);
        Ok(empty(StatusCode::NO_CONTENT))
    }

    /// Validates an abort request; the address to abort.
    pub(super) fn begin_abort(
        &self,
        repository: &str,
        branch: &str,
        upload_id: &str,
        query: &Query,
        request: &Request<Bytes>,
    ) -> Result<String, Failure> {
        let (_, abort) = self.begin_upload_call(
            (repository, branch, upload_id),
            query,
            request,
            |a: &AbortPresignMultipartUpload| &a.physical_address,
        )?;
        Ok(abort.physical_address)
    }
}

/// A validated create request.
pub(super) struct NewUpload {
    pub(super) repository: String,
    pub(super) branch: String,
    pub(super) path: String,
    pub(super) parts: u16,
    /// The object's key in the bucket: `<repository>/data/…,<signature>`.
    #[cfg_attr(not(feature = "s3"), allow(dead_code))]
    pub(super) key: String,
    pub(super) physical_address: String,
}

/// S3's own `CompleteMultipartUpload` checks over the in-memory parts (lakeFS passes their
/// failures on as 500); the parts in order and the multipart ETag.
fn assemble(
    upload: &Upload,
    complete: &CompletePresignMultipartUpload,
) -> Result<(Vec<Bytes>, String), Failure> {
    let mut previous = 0;
    let mut parts = Vec::with_capacity(complete.parts.len());
    let mut digests = Vec::new();
    for (index, part) in complete.parts.iter().enumerate() {
        let number = part.part_number;
        if number <= previous {
            return Err(fail(
                StatusCode::INTERNAL_SERVER_ERROR,
                "InvalidPartOrder: the list of parts was not in ascending order",
            ));
        }
        previous = number;
        let Some((bytes, md5)) = upload.parts.get(&number) else {
            return Err(fail(
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("InvalidPart: part {number} was not uploaded"),
            ));
        };
        if part.etag.trim_matches('"') != md5 {
            return Err(fail(
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("InvalidPart: the ETag of part {number} does not match"),
            ));
        }
        if index + 1 < complete.parts.len() && bytes.len() < MIN_PART_SIZE {
            return Err(fail(
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("EntityTooSmall: part {number} is smaller than 5 MiB"),
            ));
        }
        digests.extend(
            (0..md5.len() / 2).filter_map(|i| u8::from_str_radix(&md5[2 * i..2 * i + 2], 16).ok()),
        );
        parts.push(bytes.clone());
    }
    let checksum = format!("{}-{}", md5_hex(&[&digests]), parts.len());
    Ok((parts, checksum))
}
