//! The `objects` tag: `statObject`, `listObjects`, `deleteObject`, `deleteObjects`,
//! `copyObject` (reading an object's bytes, `getObject` and `headObject`, is in
//! [`object_io`](crate::object_io)).

use lakefs_client::raw::{
    self, check_amount, decode, listing, present, request_builder, required, ApiRequest,
    HttpTransport,
};
use lakefs_models::{ObjectCopyCreation, ObjectErrorList, ObjectStats, ObjectStatsList, PathList};

use crate::{Error, Operation};

/// The most paths one `deleteObjects` call takes (lakeFS refuses more with 400).
pub const MAX_DELETE_PATHS: usize = 1000;

/// `/repositories/{repository}/refs/{ref}/objects`, the base of the read operations.
pub(crate) fn ref_objects(operation: Operation, repository: &str, reference: &str) -> ApiRequest {
    ApiRequest::new(operation, &["repositories"])
        .segment(repository)
        .literal("refs")
        .segment(reference)
        .literal("objects")
}

/// `/repositories/{repository}/branches/{branch}/objects`, the base of the write operations.
fn branch_objects(operation: Operation, repository: &str, branch: &str) -> ApiRequest {
    ApiRequest::new(operation, &["repositories"])
        .segment(repository)
        .literal("branches")
        .segment(branch)
        .literal("objects")
}

request_builder! {
    /// `statObject`: an object's metadata at a ref (a branch — its uncommitted state
    /// included —, a tag or a commit). Built by
    /// [`ObjectsApi::stat_object`](crate::ObjectsApi::stat_object). A read, retried like one.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidArgument`](crate::ErrorKind::InvalidArgument) before sending for a
    /// missing or empty argument; [`ErrorKind::NotFound`](crate::ErrorKind::NotFound) for an
    /// unknown repository, ref or object; [`ErrorKind::BadRequest`](crate::ErrorKind::BadRequest)
    /// for `presign` on a blockstore that cannot presign.
    StatObjectRequest(StatObjectInput) => StatObject {
        /// The repository (required).
        repository,
        /// The ref: a branch, tag or commit id, the spec's `ref` (required).
        reference,
        /// The object's path (required).
        path,
        /// Whether the answer carries the object's user metadata (the server's default: yes).
        user_metadata: bool,
        /// Answer a presigned GET URL as `physical_address` (its expiry in
        /// `physical_address_expiry`).
        presign / set_presign: bool,
    }
}

impl<T: HttpTransport> StatObjectRequest<T> {
    /// Sends the request.
    ///
    /// # Errors
    /// See the type's documentation.
    pub async fn send(self) -> Result<ObjectStats, Error> {
        let operation = Operation::StatObject;
        let repository = required(operation, "repository", self.input.repository)?;
        let reference = required(operation, "ref", self.input.reference)?;
        let path = required(operation, "path", self.input.path)?;
        let request = ref_objects(operation, &repository, &reference)
            .literal("stat")
            .query("path", &path)
            .query_opt("user_metadata", self.input.user_metadata)
            .query_opt("presign", self.input.presign);
        decode(
            operation,
            &raw::send(&self.client, request, &self.options).await?,
        )
    }
}

request_builder! {
    /// `listObjects`: the objects at a ref, one page with [`send`](Self::send) or all of them
    /// with [`into_stream`](Self::into_stream). Built by
    /// [`ObjectsApi::list_objects`](crate::ObjectsApi::list_objects).
    ///
    /// Entries come in byte order of their paths. With a `delimiter` (usually `/`), the
    /// objects below the next delimiter after `prefix` are folded into one
    /// [`PathType::CommonPrefix`](lakefs_models::PathType::CommonPrefix) entry whose path ends
    /// with the delimiter — a directory listing. `after` is exclusive and compared with whole
    /// paths.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidArgument`](crate::ErrorKind::InvalidArgument) before sending for a
    /// missing or empty repository or ref, or an `amount` outside -1..=1000;
    /// [`ErrorKind::NotFound`](crate::ErrorKind::NotFound) for an unknown repository or ref.
    ListObjectsRequest(ListObjectsInput) => ListObjects {
        /// The repository (required).
        repository,
        /// The ref: a branch, tag or commit id, the spec's `ref` (required).
        reference,
        /// Only paths that start with this.
        prefix / set_prefix,
        /// Fold paths below this delimiter into common prefixes (`/` for directories).
        delimiter / set_delimiter,
        /// Start after this path (exclusive; the previous page's `next_offset`).
        after / set_after,
        /// Page size, -1 to 1000 (the server treats ≤ 0 as 100). Unset: the server's default.
        amount / set_amount: i32,
        /// Whether entries carry user metadata (the server's default: yes).
        user_metadata / set_user_metadata: bool,
        /// Answer presigned GET URLs as the `physical_address`es.
        presign / set_presign: bool,
    }
}

impl<T: HttpTransport> ListObjectsRequest<T> {
    /// Sends the request: one page.
    ///
    /// # Errors
    /// See the type's documentation.
    pub async fn send(self) -> Result<ObjectStatsList, Error> {
        let operation = Operation::ListObjects;
        let repository = required(operation, "repository", self.input.repository)?;
        let reference = required(operation, "ref", self.input.reference)?;
        check_amount(operation, self.input.amount)?;
        let request = ref_objects(operation, &repository, &reference)
            .literal("ls")
            .query_opt("prefix", self.input.prefix.filter(|p| !p.is_empty()))
            .query_opt("delimiter", self.input.delimiter.filter(|d| !d.is_empty()))
            .query_opt("after", self.input.after.filter(|a| !a.is_empty()))
            .query_opt("amount", self.input.amount)
            .query_opt("user_metadata", self.input.user_metadata)
            .query_opt("presign", self.input.presign);
        decode(
            operation,
            &raw::send(&self.client, request, &self.options).await?,
        )
    }
}

listing!(ListObjectsRequest => ObjectStats, ListObjects, "object (or common prefix)");

request_builder! {
    /// `deleteObject`: deletes an object from a branch (an uncommitted change until the
    /// branch is committed). Built by
    /// [`ObjectsApi::delete_object`](crate::ObjectsApi::delete_object).
    ///
    /// Deleting a path that does not exist succeeds too (lakeFS answers 204), so a repeat
    /// after a lost answer is safe and is retried.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidArgument`](crate::ErrorKind::InvalidArgument) before sending for a
    /// missing or empty argument; [`ErrorKind::NotFound`](crate::ErrorKind::NotFound) for an
    /// unknown repository or branch; [`ErrorKind::Forbidden`](crate::ErrorKind::Forbidden) for a
    /// protected branch or a read-only repository.
    DeleteObjectRequest(DeleteObjectInput) => DeleteObject {
        /// The repository (required).
        repository,
        /// The branch (required).
        branch,
        /// The object's path (required).
        path,
        /// Delete even in a read-only repository.
        force / set_force: bool,
    }
}

impl<T: HttpTransport> DeleteObjectRequest<T> {
    /// Sends the request.
    ///
    /// # Errors
    /// See the type's documentation.
    pub async fn send(self) -> Result<(), Error> {
        let operation = Operation::DeleteObject;
        let repository = required(operation, "repository", self.input.repository)?;
        let branch = required(operation, "branch", self.input.branch)?;
        let path = required(operation, "path", self.input.path)?;
        let request = branch_objects(operation, &repository, &branch)
            .query("path", &path)
            .query_opt("force", self.input.force);
        raw::send(&self.client, request, &self.options)
            .await
            .map(drop)
    }
}

request_builder! {
    /// `deleteObjects`: deletes up to 1,000 objects from a branch in one call. Built by
    /// [`ObjectsApi::delete_objects`](crate::ObjectsApi::delete_objects).
    ///
    /// The answer lists the paths that were **not** deleted, each with a status and message;
    /// an empty list is a complete success (paths that did not exist count as deleted). lakeFS
    /// reports a failure of the whole batch (a protected branch) on every path, and an unknown
    /// repository or branch as no error at all: check the branch first where that matters.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidArgument`](crate::ErrorKind::InvalidArgument) before sending for a
    /// missing or empty argument, no paths, an empty path, or more than 1,000 paths.
    DeleteObjectsRequest(DeleteObjectsInput) => DeleteObjects {
        /// The repository (required).
        repository,
        /// The branch (required).
        branch,
        /// The paths to delete, 1 to 1,000 (required).
        paths: Vec<String>,
        /// Delete even in a read-only repository.
        force / set_force: bool,
    }
}

impl<T: HttpTransport> DeleteObjectsRequest<T> {
    /// Sends the request.
    ///
    /// # Errors
    /// See the type's documentation.
    pub async fn send(self) -> Result<ObjectErrorList, Error> {
        let operation = Operation::DeleteObjects;
        let repository = required(operation, "repository", self.input.repository)?;
        let branch = required(operation, "branch", self.input.branch)?;
        let paths = present(operation, "paths", self.input.paths)?;
        if paths.is_empty() || paths.len() > MAX_DELETE_PATHS {
            return Err(raw::invalid_argument(
                operation,
                "paths",
                format!(
                    "holds {} paths; one call deletes 1 to {MAX_DELETE_PATHS}",
                    paths.len()
                ),
            ));
        }
        if let Some(index) = paths.iter().position(String::is_empty) {
            // lakeFS would then delete nothing and report no error.
            return Err(raw::invalid_argument(
                operation,
                "paths",
                format!("path {index} is empty"),
            ));
        }
        let request = branch_objects(operation, &repository, &branch)
            .literal("delete")
            .query_opt("force", self.input.force)
            .json(&PathList::new(paths))?;
        decode(
            operation,
            &raw::send(&self.client, request, &self.options).await?,
        )
    }
}

request_builder! {
    /// `copyObject`: copies an object (from any ref) to a path on a branch, with its content
    /// type and user metadata. Built by
    /// [`ObjectsApi::copy_object`](crate::ObjectsApi::copy_object).
    ///
    /// A repeat writes the same bytes to the same path again, so it is retried like a read.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidArgument`](crate::ErrorKind::InvalidArgument) before sending for a
    /// missing or empty argument; [`ErrorKind::NotFound`](crate::ErrorKind::NotFound) for an
    /// unknown repository, branch, source ref or object;
    /// [`ErrorKind::Forbidden`](crate::ErrorKind::Forbidden) for a protected branch.
    CopyObjectRequest(CopyObjectInput) => CopyObject {
        /// The repository (required).
        repository,
        /// The destination branch (required).
        branch,
        /// The destination path, the spec's `dest_path` (required).
        dest_path,
        /// The source path (required).
        src_path,
        /// The ref to copy from. Unset: the destination branch.
        src_ref / set_src_ref,
        /// Copy even into a read-only repository.
        force / set_force: bool,
    }
}

impl<T: HttpTransport> CopyObjectRequest<T> {
    /// Sends the request.
    ///
    /// # Errors
    /// See the type's documentation.
    pub async fn send(self) -> Result<ObjectStats, Error> {
        let operation = Operation::CopyObject;
        let repository = required(operation, "repository", self.input.repository)?;
        let branch = required(operation, "branch", self.input.branch)?;
        let dest_path = required(operation, "dest_path", self.input.dest_path)?;
        let mut body =
            ObjectCopyCreation::new(required(operation, "src_path", self.input.src_path)?);
        body.src_ref = self.input.src_ref.filter(|r| !r.is_empty());
        body.force = self.input.force;
        let request = branch_objects(operation, &repository, &branch)
            .literal("copy")
            .query("dest_path", &dest_path)
            .json(&body)?;
        decode(
            operation,
            &raw::send(&self.client, request, &self.options).await?,
        )
    }
}
