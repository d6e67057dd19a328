//! `updateObjectUserMetadata`, and `statObject` (not experimental) to read an object's stats.

use lakefs_models::{ObjectUserMetadata, UpdateObjectUserMetadata};
use lakefs_transport::HttpTransport;

use lakefs_client::raw::{self, present, request_builder, required, ApiRequest};

use crate::{Error, Operation};

request_builder! {
    /// `updateObjectUserMetadata`: replaces all user metadata of an object on a branch (the
    /// body's `set`; an empty map clears it). Built by
    /// [`ExperimentalApi::update_object_user_metadata`](crate::ExperimentalApi::update_object_user_metadata).
    ///
    /// The server writes the new metadata to the branch's staging area, so updating a
    /// committed object leaves an uncommitted change; for an unknown repository it answers
    /// success and changes nothing. Setting the same map twice ends in the same state, so it
    /// is retried like a read. Needs lakeFS v1.37 or later
    /// ([server notes](crate::server_notes#updateobjectusermetadata)).
    ///
    /// # Errors
    /// [`ErrorKind::InvalidArgument`](crate::ErrorKind::InvalidArgument) before sending for a missing or empty argument;
    /// [`ErrorKind::NotFound`](crate::ErrorKind::NotFound) for an unknown branch or object; [`ErrorKind::Forbidden`](crate::ErrorKind::Forbidden) for a
    /// protected branch or a read-only repository.
    UpdateObjectUserMetadataRequest(UpdateObjectUserMetadataInput) => UpdateObjectUserMetadata {
        /// The repository (required).
        repository,
        /// The branch (required).
        branch,
        /// The object's path in the branch (required).
        path,
        /// The metadata that replaces the object's whole user metadata, the body's `set`
        /// (required; an empty map clears it).
        user_metadata: ObjectUserMetadata,
    }
}

impl<T> UpdateObjectUserMetadataRequest<T> {
    /// Adds one key and value to the new metadata.
    pub fn entry(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.input
            .user_metadata
            .get_or_insert_with(ObjectUserMetadata::new)
            .insert(key.into(), value.into());
        self
    }
}

impl<T: HttpTransport> UpdateObjectUserMetadataRequest<T> {
    /// Sends the request.
    ///
    /// # Errors
    /// See the type's documentation.
    pub async fn send(self) -> Result<(), Error> {
        let operation = Operation::UpdateObjectUserMetadata;
        let repository = required(operation, "repository", self.input.repository)?;
        let branch = required(operation, "branch", self.input.branch)?;
        let path = required(operation, "path", self.input.path)?;
        let set = present(operation, "set", self.input.user_metadata)?;
        let request = ApiRequest::new(operation, &["repositories"])
            .segment(&repository)
            .literal("branches")
            .segment(&branch)
            .literal("objects")
            .literal("stat")
            .literal("user_metadata")
            .query("path", &path)
            .json(&UpdateObjectUserMetadata::new(set))?;
        raw::send(&self.client, request, &self.options)
            .await
            .map(drop)
    }
}
