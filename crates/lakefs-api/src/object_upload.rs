//! Writing an object through lakeFS: `uploadObject` (the bytes in the request's body).

use bytes::Bytes;
use http::header::{IF_MATCH, IF_NONE_MATCH};
use lakefs_client::raw::{
    self, decode, present, request_builder, required, ApiRequest, HttpTransport,
};
use lakefs_models::ObjectStats;

use crate::{Error, Operation};

request_builder! {
    /// `uploadObject`: writes an object to a branch with its bytes in the request's body
    /// (`application/octet-stream`): every byte passes through the lakeFS server, which
    /// writes it to the object store and stages the entry. One round trip — the cheapest way
    /// to write a small object; large ones go through the presigned multipart upload engine.
    /// Built by [`ObjectsApi::upload_object`](crate::ObjectsApi::upload_object).
    ///
    /// [`if_none_match`](Self::if_none_match)`("*")` writes only when the path has no object
    /// yet, atomically (lakeFS checks it again when it stages the entry): 412 otherwise. lakeFS
    /// (v1.84, `pkg/api/apiutil` `BuildConditionFromParams`) answers 501 to any other
    /// `If-None-Match` and to every `If-Match`, although the spec describes `If-Match`.
    ///
    /// Not repeated after an ambiguous failure: with `If-None-Match: *` a repeat would answer
    /// 412 although the first call wrote the object.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidArgument`](crate::ErrorKind::InvalidArgument) before sending for a
    /// missing or empty argument; [`ErrorKind::NotFound`](crate::ErrorKind::NotFound) for an
    /// unknown repository or branch; [`ErrorKind::ClientError`](crate::ErrorKind::ClientError)
    /// with status 412 for `If-None-Match: *` on a path that has an object;
    /// [`ErrorKind::NotImplemented`](crate::ErrorKind::NotImplemented) for a condition lakeFS
    /// does not implement; [`ErrorKind::Forbidden`](crate::ErrorKind::Forbidden) for a
    /// protected branch or a read-only repository.
    UploadObjectRequest(UploadObjectInput) => UploadObject {
        /// The repository (required).
        repository,
        /// The branch (required).
        branch,
        /// The object's path (required).
        path,
        /// The object's bytes (required; may be empty).
        content: Bytes,
        /// `*`: write only if the path has no object (the only value lakeFS implements).
        if_none_match / set_if_none_match,
        /// Write only if the object's ETag is this one (lakeFS v1.84 answers 501).
        if_match / set_if_match,
        /// Write even into a read-only repository.
        force / set_force: bool,
    }
}

impl<T: HttpTransport> UploadObjectRequest<T> {
    /// Sends the request.
    ///
    /// # Errors
    /// See the type's documentation.
    pub async fn send(self) -> Result<ObjectStats, Error> {
        let operation = Operation::UploadObject;
        let repository = required(operation, "repository", self.input.repository)?;
        let branch = required(operation, "branch", self.input.branch)?;
        let path = required(operation, "path", self.input.path)?;
        let content = present(operation, "content", self.input.content)?;
        let mut request = ApiRequest::new(operation, &["repositories"])
            .segment(&repository)
            .literal("branches")
            .segment(&branch)
            .literal("objects")
            .query("path", &path)
            .query_opt("force", self.input.force)
            .octet_stream(content);
        if let Some(value) = self.input.if_none_match.as_deref() {
            request = request.header(IF_NONE_MATCH, "If-None-Match", value)?;
        }
        if let Some(value) = self.input.if_match.as_deref() {
            request = request.header(IF_MATCH, "If-Match", value)?;
        }
        decode(
            operation,
            &raw::send(&self.client, request, &self.options).await?,
        )
    }
}
