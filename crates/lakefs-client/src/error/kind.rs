//! [`ErrorKind`]: what callers match on.

use http::StatusCode;

#[cfg(doc)]
use super::Error;

/// What kind of failure an [`Error`] is: the value callers match on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// 400: the server rejected the request (validation, dirty branch, bad address token…).
    BadRequest,
    /// 401: not authenticated, or — as lakeFS also answers — not permitted.
    Unauthorized,
    /// 403: forbidden (protected branch, read-only repository).
    Forbidden,
    /// 404: the repository, branch, user, principal, upload or ref does not exist.
    NotFound,
    /// 409: conflict (already attached; for complete, a conflict with a commit —
    /// [`Error::staging_location`] holds the `StagingLocation` body the spec declares for it,
    /// if one came).
    Conflict,
    /// 420 (servers before v1.64.1) or 429: too many requests ([`Error::retry_after`]).
    TooManyRequests,
    /// 501: this server does not support the operation (presigned multipart on a blockstore
    /// other than S3, external principals without an RBAC auth service, STS without an
    /// external authentication API).
    NotImplemented,
    /// Any other 4xx.
    ClientError,
    /// 5xx (501 aside), and any status the spec does not foresee (1xx, 3xx).
    ServerError,
    /// The request or response did not make it across the network (the cause is the
    /// [`source`](std::error::Error::source), a [`TransportError`](lakefs_transport::TransportError)).
    Transport,
    /// No answer within the client's request timeout.
    Timeout,
    /// A success answer whose body is not what the spec declares.
    Decode,
    /// The server's answer breaks the API's contract (for example a list cursor that does not
    /// move forward).
    Protocol,
    /// An argument is invalid ([`Error::argument`] names it); nothing was sent.
    InvalidArgument,
    /// The endpoint is not an `http://` or `https://` URL with a host.
    InvalidEndpoint,
    /// The credentials cannot be sent.
    InvalidCredentials,
    /// A required setting is missing (for example an environment variable for `from_env`).
    MissingConfig,
    /// The default HTTP transport could not be built (the cause is the
    /// [`source`](std::error::Error::source)).
    TransportConfig,
}

impl ErrorKind {
    /// The kind of a non-2xx answer with `status`.
    pub(crate) fn of_status(status: StatusCode) -> Self {
        match status.as_u16() {
            400 => Self::BadRequest,
            401 => Self::Unauthorized,
            403 => Self::Forbidden,
            404 => Self::NotFound,
            409 => Self::Conflict,
            420 | 429 => Self::TooManyRequests,
            501 => Self::NotImplemented,
            402..=499 => Self::ClientError,
            _ => Self::ServerError,
        }
    }
}
