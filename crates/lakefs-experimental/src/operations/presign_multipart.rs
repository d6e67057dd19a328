//! `createPresignMultipartUpload`, `completePresignMultipartUpload`,
//! `abortPresignMultipartUpload`.
//!
//! What the server does for them, with its sources:
//! [`server_notes`](crate::server_notes#presigned-multipart-upload-create-complete-abort).

use lakefs_models::{
    AbortPresignMultipartUpload, CompletePresignMultipartUpload, ObjectStats, ObjectUserMetadata,
    PresignMultipartUpload, UploadPart,
};
use lakefs_transport::HttpTransport;

use lakefs_client::raw::{self, decode, present, request_builder, required, ApiRequest};

use crate::{Error, Operation};

/// The most parts one upload may have (S3's limit, enforced by lakeFS for `parts`).
pub const MAX_PARTS: u32 = 10_000;

/// The path of the uploads collection of a branch.
pub(crate) fn pmpu(operation: Operation, repository: &str, branch: &str) -> ApiRequest {
    ApiRequest::new(operation, &["repositories"])
        .segment(repository)
        .literal("branches")
        .segment(branch)
        .literal("staging")
        .literal("pmpu")
}

request_builder! {
    /// `createPresignMultipartUpload`: starts a multipart upload of `path` on `branch` and
    /// presigns `parts` part URLs (none when unset or 0). Built by
    /// [`ExperimentalApi::create_presign_multipart_upload`](crate::ExperimentalApi::create_presign_multipart_upload).
    ///
    /// Only an S3 blockstore with presigning offers this; other servers answer 501. The
    /// answer's `physical_address` must be sent back verbatim to complete, abort or ask for
    /// part URLs, within 24 hours (6 hours on lakeFS before v1.80). Not retried after an
    /// ambiguous failure: a repeat would start a second upload.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidArgument`](crate::ErrorKind::InvalidArgument) before sending for a missing or empty argument, or `parts`
    /// over 10,000; [`ErrorKind::NotImplemented`](crate::ErrorKind::NotImplemented) when the server's blockstore cannot presign
    /// multipart uploads (only S3 can); [`ErrorKind::NotFound`](crate::ErrorKind::NotFound) for an unknown repository or
    /// branch.
    CreatePresignMultipartUploadRequest(CreatePresignMultipartUploadInput)
        => CreatePresignMultipartUpload {
        /// The repository (required).
        repository,
        /// The branch (required).
        branch,
        /// The object's path in the branch (required).
        path,
        /// How many part URLs to presign, 0 to 10,000 (unset: none).
        parts / set_parts: u32,
    }
}

impl<T: HttpTransport> CreatePresignMultipartUploadRequest<T> {
    /// Sends the request.
    ///
    /// # Errors
    /// See the type's documentation.
    pub async fn send(self) -> Result<PresignMultipartUpload, Error> {
        let operation = Operation::CreatePresignMultipartUpload;
        let repository = required(operation, "repository", self.input.repository)?;
        let branch = required(operation, "branch", self.input.branch)?;
        let path = required(operation, "path", self.input.path)?;
        if let Some(parts) = self.input.parts.filter(|&p| p > MAX_PARTS) {
            return Err(raw::invalid_argument(
                operation,
                "parts",
                format!("{parts} is more than the {MAX_PARTS} parts allowed"),
            ));
        }
        let request = pmpu(operation, &repository, &branch)
            .query("path", &path)
            .query_opt("parts", self.input.parts);
        decode(
            operation,
            &raw::send(&self.client, request, &self.options).await?,
        )
    }
}

request_builder! {
    /// `completePresignMultipartUpload`: assembles the uploaded parts into the object and
    /// stages it on the branch. Built by
    /// [`ExperimentalApi::complete_presign_multipart_upload`](crate::ExperimentalApi::complete_presign_multipart_upload).
    ///
    /// Retried only when the server certainly did not act (see
    /// [`Operation::is_idempotent`]): lakeFS before v1.22 answers a repeat with 400 even when
    /// the first call succeeded, so after a lost answer look at the object
    /// (`statObject`, `lakefs_api::ObjectsApi::stat_object`) instead.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidArgument`](crate::ErrorKind::InvalidArgument) before sending for a missing or empty argument, no parts,
    /// or parts not in strictly ascending order; [`ErrorKind::BadRequest`](crate::ErrorKind::BadRequest) for an address that is
    /// unknown, expired or (on servers before v1.22) already used; S3's own complete errors
    /// (a wrong ETag, a part under 5 MiB) come back as [`ErrorKind::ServerError`](crate::ErrorKind::ServerError) 500.
    CompletePresignMultipartUploadRequest(CompletePresignMultipartUploadInput)
        => CompletePresignMultipartUpload {
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
        /// The media type to record for the object.
        content_type / set_content_type,
        /// All uploaded parts, in strictly ascending part number order (required). Replaces
        /// the parts given so far.
        parts: Vec<UploadPart>,
        /// User metadata to store on the object.
        user_metadata / set_user_metadata: ObjectUserMetadata,
    }
}

impl<T> CompletePresignMultipartUploadRequest<T> {
    /// The upload `create` started: its upload id and physical address.
    pub fn upload(self, upload: &PresignMultipartUpload) -> Self {
        self.upload_id(&upload.upload_id)
            .physical_address(&upload.physical_address)
    }

    /// Adds one uploaded part after those already given.
    pub fn part(mut self, part_number: u32, etag: impl Into<String>) -> Self {
        self.input
            .parts
            .get_or_insert_with(Vec::new)
            .push(UploadPart::new(part_number, etag));
        self
    }
}

impl<T: HttpTransport> CompletePresignMultipartUploadRequest<T> {
    /// Sends the request.
    ///
    /// # Errors
    /// See the type's documentation.
    pub async fn send(self) -> Result<ObjectStats, Error> {
        let operation = Operation::CompletePresignMultipartUpload;
        let repository = required(operation, "repository", self.input.repository)?;
        let branch = required(operation, "branch", self.input.branch)?;
        let upload_id = required(operation, "uploadId", self.input.upload_id)?;
        let path = required(operation, "path", self.input.path)?;
        let physical_address =
            required(operation, "physical_address", self.input.physical_address)?;
        let parts = present(operation, "parts", self.input.parts)?;
        if parts.is_empty() {
            return Err(raw::invalid_argument(
                operation,
                "parts",
                "must list at least one part",
            ));
        }
        if let Some(pair) = parts
            .windows(2)
            .find(|pair| pair[0].part_number >= pair[1].part_number)
        {
            return Err(raw::invalid_argument(
                operation,
                "parts",
                format!(
                    "must be in strictly ascending part_number order, found {} before {}",
                    pair[0].part_number, pair[1].part_number
                ),
            ));
        }
        let mut body = CompletePresignMultipartUpload::new(physical_address, parts);
        body.user_metadata = self.input.user_metadata;
        body.content_type = self.input.content_type;
        let request = pmpu(operation, &repository, &branch)
            .segment(&upload_id)
            .query("path", &path)
            .json(&body)?;
        decode(
            operation,
            &raw::send(&self.client, request, &self.options).await?,
        )
    }
}

request_builder! {
    /// `abortPresignMultipartUpload`: discards the upload and its parts. Built by
    /// [`ExperimentalApi::abort_presign_multipart_upload`](crate::ExperimentalApi::abort_presign_multipart_upload). lakeFS refuses it once the
    /// address has expired (24 hours after create); the upload then stays in the object store
    /// until the bucket's lifecycle rules remove it.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidArgument`](crate::ErrorKind::InvalidArgument) before sending for a missing or empty argument;
    /// [`ErrorKind::NotFound`](crate::ErrorKind::NotFound) for an unknown upload; [`ErrorKind::BadRequest`](crate::ErrorKind::BadRequest) for an address that
    /// does not match or is older than 24 h.
    AbortPresignMultipartUploadRequest(AbortPresignMultipartUploadInput)
        => AbortPresignMultipartUpload {
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
    }
}

impl<T> AbortPresignMultipartUploadRequest<T> {
    /// The upload `create` started: its upload id and physical address.
    pub fn upload(self, upload: &PresignMultipartUpload) -> Self {
        self.upload_id(&upload.upload_id)
            .physical_address(&upload.physical_address)
    }
}

impl<T: HttpTransport> AbortPresignMultipartUploadRequest<T> {
    /// Sends the request.
    ///
    /// # Errors
    /// See the type's documentation.
    pub async fn send(self) -> Result<(), Error> {
        let operation = Operation::AbortPresignMultipartUpload;
        let repository = required(operation, "repository", self.input.repository)?;
        let branch = required(operation, "branch", self.input.branch)?;
        let upload_id = required(operation, "uploadId", self.input.upload_id)?;
        let path = required(operation, "path", self.input.path)?;
        let physical_address =
            required(operation, "physical_address", self.input.physical_address)?;
        let request = pmpu(operation, &repository, &branch)
            .segment(&upload_id)
            .query("path", &path)
            .json(&AbortPresignMultipartUpload::new(physical_address))?;
        raw::send(&self.client, request, &self.options)
            .await
            .map(drop)
    }
}
