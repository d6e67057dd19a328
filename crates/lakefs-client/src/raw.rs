//! What a crate that adds lakeFS operations to the [`Client`] builds them
//! with (the name follows OpenDAL's `raw`): the request and its path and query encoding,
//! sending it under the client's credentials, retry policy and timeout, decoding the answer,
//! the checks of required arguments, pagination, and the [`request_builder!`] macro that
//! writes each operation's builder.
//!
//! Calling lakeFS needs none of it; `lakefs-experimental` and `lakefs-api` are written with
//! it, and a new operation is written the same way (see `docs/architecture.md`).

use crate::{Client, Error, Operation};

pub use crate::call::{check_amount, login, present, required, CallOptions, LoginInput};
pub use crate::paginate::{collect, items, stream, Listing};
pub use crate::request::{decode, describe_body, ApiRequest};
pub use crate::{listing, request_builder};
/// Re-exported for the macros' expansions.
pub use futures_util::Stream;
/// Re-exported for the macros' expansions.
pub use lakefs_transport::HttpTransport;

/// Sends `request` with the client's credentials, under its retry policy and timeout (or the
/// call's overrides in `options`): the answer of any status, or the failure to get one.
///
/// # Errors
/// [`ErrorKind::Transport`](crate::ErrorKind::Transport) or
/// [`ErrorKind::Timeout`](crate::ErrorKind::Timeout) when no answer came (after the retries
/// the operation allows), and any error status as its kind.
pub async fn send<T: HttpTransport>(
    client: &Client<T>,
    request: ApiRequest,
    options: &CallOptions,
) -> Result<http::Response<bytes::Bytes>, Error> {
    client.execute(request, options).await
}

/// An invalid argument of `operation`: named as the spec spells it, with what is wrong.
#[must_use]
pub fn invalid_argument(
    operation: Operation,
    argument: &'static str,
    reason: impl Into<String>,
) -> Error {
    Error::invalid_argument(operation, argument, reason)
}

/// An error answer of `operation` (lakeFS's, or an object store's to a presigned request),
/// typed by its status, with the server's message and never its body.
#[must_use]
pub fn error_from_response(operation: Operation, response: &http::Response<bytes::Bytes>) -> Error {
    crate::request::error_from_response(operation, response)
}

/// A failure of the transport during `operation`.
#[must_use]
pub fn transport_error(operation: Operation, source: lakefs_transport::TransportError) -> Error {
    Error::transport(operation, source)
}

/// No answer to `operation` within `after`.
#[must_use]
pub fn timeout(operation: Operation, after: std::time::Duration) -> Error {
    Error::timeout(operation, after)
}

/// A success answer of `operation` that breaks the API's contract (a header the spec
/// promises is missing, a list cursor that does not move).
#[must_use]
pub fn protocol(operation: Operation, reason: impl Into<String>) -> Error {
    Error::protocol(operation, reason)
}
