//! `uploadPart` (a fresh presigned URL for one part) and `uploadPartCopy` (a part copied from
//! another object), both parts of a presigned multipart upload.

use lakefs_models::{
    CopyPartSource, PresignMultipartUpload, UploadPartCopyFrom, UploadPartFrom, UploadTo,
};
use lakefs_transport::HttpTransport;

use super::presign_multipart::{pmpu, MAX_PARTS};
use lakefs_client::raw::{self, decode, present, request_builder, required, ApiRequest};

use crate::{Error, Operation};

/// Checks a part number against the spec's range, 1 to 10,000.
fn part_number(operation: Operation, part_number: Option<u32>) -> Result<u32, Error> {
    let number = present(operation, "partNumber", part_number)?;
    if !(1..=MAX_PARTS).contains(&number) {
        return Err(raw::invalid_argument(
            operation,
            "partNumber",
            format!("{number} is outside 1..={MAX_PARTS}"),
        ));
    }
    Ok(number)
}

/// The request for one part of an upload — `…/pmpu/{uploadId}/parts/{partNumber}?path=` —
/// after checking the arguments both part operations share.
fn part_request(
    operation: Operation,
    repository: Option<String>,
    branch: Option<String>,
    upload_id: Option<String>,
    number: Option<u32>,
    path: Option<String>,
) -> Result<ApiRequest, Error> {
    let repository = required(operation, "repository", repository)?;
    let branch = required(operation, "branch", branch)?;
    let upload_id = required(operation, "uploadId", upload_id)?;
    let number = part_number(operation, number)?;
    let path = required(operation, "path", path)?;
    Ok(pmpu(operation, &repository, &branch)
        .segment(&upload_id)
        .literal("parts")
        .segment(&number.to_string())
        .query("path", &path))
}

request_builder! {
    /// `uploadPart`: a freshly signed presigned URL for one part of an upload that
    /// `createPresignMultipartUpload` started. Built by [`ExperimentalApi::upload_part`](crate::ExperimentalApi::upload_part).
    ///
    /// Use it to replace a part URL that is about to expire (lakeFS signs URLs for
    /// `blockstore.s3.pre_signed_expiry`, 15 minutes by default), or to ask for part URLs as
    /// parts start instead of all at create.
    ///
    /// The server only signs a URL — nothing changes on it, so this is retried like a read —
    /// and does not check that the upload still exists (the PUT to an aborted one fails).
    /// Needs lakeFS v1.55 or later, and v1.80 for part numbers above 1,000
    /// ([server notes](crate::server_notes#uploadpart)).
    ///
    /// # Errors
    /// [`ErrorKind::InvalidArgument`](crate::ErrorKind::InvalidArgument) before sending for a missing or empty argument or a part
    /// number outside 1..=10,000; [`ErrorKind::BadRequest`](crate::ErrorKind::BadRequest) for an address that does not match
    /// the upload or is older than 24 h, for a blockstore that cannot presign (Azure, GCS,
    /// local: `operation not supported` — a 400, not a 501) and, on old servers, for the
    /// route itself; [`ErrorKind::NotFound`](crate::ErrorKind::NotFound) for an unknown repository.
    UploadPartRequest(UploadPartInput) => UploadPart {
        /// The repository (required).
        repository,
        /// The branch (required).
        branch,
        /// The upload id that create returned (required).
        upload_id,
        /// The object's path in the branch (required).
        path,
        /// The `physical_address` that create returned (required).
        physical_address,
        /// The part's number, 1 to 10,000 (required).
        part_number: u32,
    }
}

impl<T> UploadPartRequest<T> {
    /// The upload `create` started: its upload id and physical address.
    pub fn upload(self, upload: &PresignMultipartUpload) -> Self {
        self.upload_id(&upload.upload_id)
            .physical_address(&upload.physical_address)
    }
}

impl<T: HttpTransport> UploadPartRequest<T> {
    /// Sends the request.
    ///
    /// # Errors
    /// See the type's documentation.
    pub async fn send(self) -> Result<UploadTo, Error> {
        let operation = Operation::UploadPart;
        let request = part_request(
            operation,
            self.input.repository,
            self.input.branch,
            self.input.upload_id,
            self.input.part_number,
            self.input.path,
        )?;
        let physical_address =
            required(operation, "physical_address", self.input.physical_address)?;
        let request = request.json(&UploadPartFrom::new(physical_address))?;
        decode(
            operation,
            &raw::send(&self.client, request, &self.options).await?,
        )
    }
}

request_builder! {
    /// `uploadPartCopy`: fills one part of an upload with bytes of an object already in
    /// lakeFS, copied inside the object store (nothing passes through the client). Built by
    /// [`ExperimentalApi::upload_part_copy`](crate::ExperimentalApi::upload_part_copy).
    ///
    /// Answers the part's ETag, to list with the part when completing.
    ///
    /// The server reads only a closed, inclusive range `bytes=first-last`, so this client
    /// refuses the open forms the spec also allows. A repeat copies the same bytes into the
    /// same part, so it is retried like a read (give a commit id as the source ref: a branch
    /// can move between attempts). Needs lakeFS v1.55 or later
    /// ([server notes](crate::server_notes#uploadpartcopy)).
    ///
    /// # Errors
    /// [`ErrorKind::InvalidArgument`](crate::ErrorKind::InvalidArgument) before sending for a missing or empty argument, a part
    /// number outside 1..=10,000, or a range that is not `bytes=first-last`;
    /// [`ErrorKind::NotFound`](crate::ErrorKind::NotFound) for a missing source object or repository; [`ErrorKind::BadRequest`](crate::ErrorKind::BadRequest)
    /// for an address that does not match the upload; [`ErrorKind::ServerError`](crate::ErrorKind::ServerError) 500 for what S3
    /// refuses (a range past the end, an unknown upload). A success answer without an `ETag`
    /// header is an [`ErrorKind::Protocol`](crate::ErrorKind::Protocol).
    UploadPartCopyRequest(UploadPartCopyInput) => UploadPartCopy {
        /// The repository of the upload (required).
        repository,
        /// The branch of the upload (required).
        branch,
        /// The upload id that create returned (required).
        upload_id,
        /// The object's path in the branch (required).
        path,
        /// The `physical_address` that create returned (required).
        physical_address,
        /// The part's number, 1 to 10,000 (required).
        part_number: u32,
        /// The object (and optionally the byte range) to copy from (required).
        copy_source: CopyPartSource,
    }
}

impl<T> UploadPartCopyRequest<T> {
    /// The upload `create` started: its upload id and physical address.
    pub fn upload(self, upload: &PresignMultipartUpload) -> Self {
        self.upload_id(&upload.upload_id)
            .physical_address(&upload.physical_address)
    }
}

impl<T: HttpTransport> UploadPartCopyRequest<T> {
    /// Sends the request and returns the part's ETag, without surrounding quotes.
    ///
    /// # Errors
    /// See the type's documentation.
    pub async fn send(self) -> Result<String, Error> {
        let operation = Operation::UploadPartCopy;
        let request = part_request(
            operation,
            self.input.repository,
            self.input.branch,
            self.input.upload_id,
            self.input.part_number,
            self.input.path,
        )?;
        let physical_address =
            required(operation, "physical_address", self.input.physical_address)?;
        let source = present(operation, "copy_source", self.input.copy_source)?;
        for (argument, value) in [
            ("copy_source.repository", &source.repository),
            ("copy_source.ref", &source.reference),
            ("copy_source.path", &source.path),
        ] {
            required(operation, argument, Some(value.clone()))?;
        }
        if let Some(range) = &source.range {
            check_range(operation, range)?;
        }
        // The query is kept apart from the path: `copy` still lands before `?path=`.
        let request = request
            .literal("copy")
            .json(&UploadPartCopyFrom::new(physical_address, source))?;
        let response = raw::send(&self.client, request, &self.options).await?;
        let etag = response
            .headers()
            .get(http::header::ETAG)
            .and_then(|value| value.to_str().ok())
            .map(|value| value.trim().trim_matches('"').trim())
            .filter(|value| !value.is_empty())
            .ok_or_else(|| raw::protocol(operation, "the answer has no ETag header"))?;
        Ok(etag.to_owned())
    }
}

/// Checks a copy range against the spec's pattern for one range, `bytes=first-last`.
fn check_range(operation: Operation, range: &str) -> Result<(), Error> {
    let invalid = |reason: String| raw::invalid_argument(operation, "copy_source.range", reason);
    let spec = range
        .strip_prefix("bytes=")
        .ok_or_else(|| invalid(format!("{range:?} does not start with \"bytes=\"")))?;
    let (first, last) = spec
        .split_once('-')
        .ok_or_else(|| invalid(format!("{range:?} is not bytes=first-last")))?;
    let first: u64 = first
        .parse()
        .map_err(|_| invalid(format!("{range:?}: the first byte is not a number")))?;
    let last: u64 = last
        .parse()
        .map_err(|_| invalid(format!("{range:?}: the last byte is not a number")))?;
    if first > last {
        return Err(invalid(format!(
            "{range:?}: the first byte is after the last"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_follow_the_spec_pattern() {
        let op = Operation::UploadPartCopy;
        assert!(check_range(op, "bytes=0-5242879").is_ok());
        for bad in ["0-10", "bytes=10-1", "bytes=a-1", "bytes=1", "bytes=-5"] {
            let error = check_range(op, bad).unwrap_err().to_string();
            assert!(error.contains("copy_source.range"), "{bad}: {error}");
        }
    }
}
