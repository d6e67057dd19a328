//! `createPresignMultipartUpload`, `completePresignMultipartUpload`,
//! `abortPresignMultipartUpload`.

use lakefs_models::{
    AbortPresignMultipartUpload, CompletePresignMultipartUpload, ObjectStats,
    PresignMultipartUpload,
};
use lakefs_transport::HttpTransport;

use crate::request::{decode, require, ApiRequest};
use crate::{Error, ExperimentalClient, Operation};

/// The most parts one upload may have (S3's limit, enforced by lakeFS for `parts`).
pub const MAX_PARTS: u32 = 10_000;

fn pmpu(operation: Operation, repository: &str, branch: &str) -> ApiRequest {
    ApiRequest::new(operation, &["repositories"])
        .segment(repository)
        .literal("branches")
        .segment(branch)
        .literal("staging")
        .literal("pmpu")
}

impl<T: HttpTransport> ExperimentalClient<T> {
    /// `createPresignMultipartUpload`: starts a multipart upload of `path` on `branch` and
    /// presigns `parts` part URLs (none when `None` or 0).
    ///
    /// The answer's `physical_address` must be sent back verbatim to complete or abort.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] before sending for an empty name or `parts` over 10,000;
    /// [`Error::NotImplemented`] when the server's blockstore cannot presign multipart uploads
    /// (only S3 can); [`Error::NotFound`] for an unknown repository or branch. Not retried
    /// after an ambiguous failure: a repeat would start a second upload.
    pub async fn create_presign_multipart_upload(
        &self,
        repository: &str,
        branch: &str,
        path: &str,
        parts: Option<u32>,
    ) -> Result<PresignMultipartUpload, Error> {
        let operation = Operation::CreatePresignMultipartUpload;
        require(operation, "repository", repository)?;
        require(operation, "branch", branch)?;
        require(operation, "path", path)?;
        if let Some(parts) = parts.filter(|&p| p > MAX_PARTS) {
            return Err(Error::InvalidArgument {
                operation,
                argument: "parts",
                reason: format!("{parts} is more than the {MAX_PARTS} parts allowed"),
            });
        }
        let request = pmpu(operation, repository, branch)
            .query("path", path)
            .query_opt("parts", parts);
        decode(operation, &self.execute(request).await?)
    }

    /// `completePresignMultipartUpload`: assembles the uploaded parts into the object and
    /// stages it on the branch.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] before sending for an empty name, address or part list, or
    /// parts not in strictly ascending order; [`Error::Conflict`] for a 409;
    /// [`Error::BadRequest`] for an address that is unknown, expired or (on servers before
    /// v1.22) already used. Retried only when the server certainly did not act (see
    /// [`Operation::is_idempotent`]).
    pub async fn complete_presign_multipart_upload(
        &self,
        repository: &str,
        branch: &str,
        upload_id: &str,
        path: &str,
        body: &CompletePresignMultipartUpload,
    ) -> Result<ObjectStats, Error> {
        let operation = Operation::CompletePresignMultipartUpload;
        require(operation, "repository", repository)?;
        require(operation, "branch", branch)?;
        require(operation, "uploadId", upload_id)?;
        require(operation, "path", path)?;
        require(operation, "physical_address", &body.physical_address)?;
        if body.parts.is_empty() {
            return Err(Error::InvalidArgument {
                operation,
                argument: "parts",
                reason: "must list at least one part".into(),
            });
        }
        if let Some(pair) = body
            .parts
            .windows(2)
            .find(|pair| pair[0].part_number >= pair[1].part_number)
        {
            return Err(Error::InvalidArgument {
                operation,
                argument: "parts",
                reason: format!(
                    "must be in strictly ascending part_number order, found {} before {}",
                    pair[0].part_number, pair[1].part_number
                ),
            });
        }
        let request = pmpu(operation, repository, branch)
            .segment(upload_id)
            .query("path", path)
            .json(body)?;
        decode(operation, &self.execute(request).await?)
    }

    /// `abortPresignMultipartUpload`: discards the upload and its parts.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] before sending for an empty name or address;
    /// [`Error::NotFound`] for an unknown upload.
    pub async fn abort_presign_multipart_upload(
        &self,
        repository: &str,
        branch: &str,
        upload_id: &str,
        path: &str,
        body: &AbortPresignMultipartUpload,
    ) -> Result<(), Error> {
        let operation = Operation::AbortPresignMultipartUpload;
        require(operation, "repository", repository)?;
        require(operation, "branch", branch)?;
        require(operation, "uploadId", upload_id)?;
        require(operation, "path", path)?;
        require(operation, "physical_address", &body.physical_address)?;
        let request = pmpu(operation, repository, branch)
            .segment(upload_id)
            .query("path", path)
            .json(body)?;
        self.execute(request).await.map(drop)
    }
}
