//! The crate's error type.

use std::time::Duration;

use http::StatusCode;
use lakefs_models::StagingLocation;
use lakefs_transport::TransportError;

use crate::Operation;

/// Everything that can go wrong calling the experimental API.
///
/// Variants for HTTP statuses carry the [`Operation`], the status and the server's message:
/// the `message` of the spec's `Error` body when the body is one, otherwise a description of
/// what came back ("a 512-byte text/html body", "an empty body") — never the body itself,
/// which may hold what a proxy echoed of the request. A success answer's body never appears in
/// an error either: it may hold a token or presigned URLs. No variant carries a credential or
/// a URL query string.
///
/// An error that wraps another returns it from [`source()`](std::error::Error::source) and
/// does not repeat its text, so that error reports (anyhow, eyre) print each cause once.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// 400: the server rejected the request (validation, dirty branch, bad address token…).
    #[error("{operation}: bad request (400): {message}")]
    BadRequest {
        /// The failed operation.
        operation: Operation,
        /// The server's message.
        message: String,
    },
    /// 401: not authenticated, or — as lakeFS also answers — not permitted.
    #[error("{operation}: unauthorized (401): {message}")]
    Unauthorized {
        /// The failed operation.
        operation: Operation,
        /// The server's message.
        message: String,
    },
    /// 403: forbidden (protected branch, read-only repository).
    #[error("{operation}: forbidden (403): {message}")]
    Forbidden {
        /// The failed operation.
        operation: Operation,
        /// The server's message.
        message: String,
    },
    /// 404: the repository, branch, user, principal, upload or ref does not exist.
    #[error("{operation}: not found (404): {message}")]
    NotFound {
        /// The failed operation.
        operation: Operation,
        /// The server's message.
        message: String,
    },
    /// 409: conflict (already attached; for complete, a conflict with a commit).
    #[error("{operation}: conflict (409): {message}")]
    Conflict {
        /// The failed operation.
        operation: Operation,
        /// The server's message (empty when the body was a `StagingLocation`).
        message: String,
        /// The `StagingLocation` body the spec declares for complete's 409, if one came.
        staging_location: Option<StagingLocation>,
    },
    /// 420 (servers before v1.64.1) or 429: too many requests.
    #[error("{operation}: too many requests ({status}){}", retry_after.map(|d| format!(", retry after {d:?}")).unwrap_or_default())]
    TooManyRequests {
        /// The failed operation.
        operation: Operation,
        /// 420 or 429.
        status: StatusCode,
        /// The server's `Retry-After`, if it sent one.
        retry_after: Option<Duration>,
    },
    /// 501: this server does not support the operation (presigned multipart on a blockstore
    /// other than S3, external principals without an RBAC auth service, STS without an
    /// external authentication API).
    #[error("{operation}: not supported by this lakeFS server (501): {message}")]
    NotImplemented {
        /// The failed operation.
        operation: Operation,
        /// The server's message.
        message: String,
    },
    /// Any other 4xx.
    #[error("{operation}: client error ({status}): {message}")]
    ClientError {
        /// The failed operation.
        operation: Operation,
        /// The status.
        status: StatusCode,
        /// The server's message.
        message: String,
        /// Whether the body was lakeFS's error JSON — an answer of lakeFS itself. Anything
        /// else came from something in front of it (a proxy, a load balancer) that cannot say
        /// whether lakeFS acted (see [`Error::is_ambiguous`]).
        from_lakefs: bool,
    },
    /// 5xx (501 aside), and any status the spec does not foresee (1xx, 3xx).
    #[error("{operation}: server error ({status}): {message}")]
    ServerError {
        /// The failed operation.
        operation: Operation,
        /// The status.
        status: StatusCode,
        /// The server's message.
        message: String,
        /// Whether the body was lakeFS's error JSON — an answer of lakeFS itself, not of a
        /// proxy in front of it (Cloudflare's 520–527, an HTML 500 of a load balancer).
        from_lakefs: bool,
    },
    /// The request or response did not make it across the network (the cause is the
    /// [`source`](std::error::Error::source)).
    #[error("{operation}: the HTTP exchange failed")]
    Transport {
        /// The failed operation.
        operation: Operation,
        /// What went wrong (its text never holds a URL query string).
        #[source]
        source: TransportError,
    },
    /// No answer within the client's request timeout.
    #[error("{operation}: no answer within {after:?}")]
    Timeout {
        /// The failed operation.
        operation: Operation,
        /// The configured limit.
        after: Duration,
    },
    /// A success answer whose body is not what the spec declares. `reason` says where and
    /// what (a missing field, a wrong type, a syntax error at line and column), with every
    /// value taken from the body left out: it may be a token or a presigned URL.
    #[error("{operation}: the {status} answer is not what the spec declares: {reason}")]
    Decode {
        /// The failed operation.
        operation: Operation,
        /// The status of the answer.
        status: StatusCode,
        /// What was wrong, without any of the body's values.
        reason: String,
    },
    /// The server's answer breaks the API's contract (for example a list cursor that does not
    /// move forward).
    #[error("{operation}: the server's answer breaks the API contract: {reason}")]
    Protocol {
        /// The failed operation.
        operation: Operation,
        /// What was wrong.
        reason: String,
    },
    /// An argument is invalid; nothing was sent.
    #[error("{operation}: invalid argument `{argument}`: {reason}")]
    InvalidArgument {
        /// The operation that was not called.
        operation: Operation,
        /// The argument's name as the spec spells it.
        argument: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// The endpoint is not an `http://` or `https://` URL with a host.
    #[error("invalid lakeFS endpoint {endpoint:?}: {reason}")]
    InvalidEndpoint {
        /// The endpoint as given (without any query string).
        endpoint: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The credentials cannot be sent.
    #[error("invalid credentials: {reason}")]
    InvalidCredentials {
        /// What is wrong with them.
        reason: &'static str,
    },
    /// A required setting is missing (for example an environment variable for `from_env`).
    #[error("missing configuration: {what}")]
    MissingConfig {
        /// What is missing, e.g. the environment variable's name.
        what: String,
    },
    /// The default HTTP transport could not be built (the cause is the
    /// [`source`](std::error::Error::source)).
    #[error("could not build the HTTP transport")]
    TransportConfig(#[source] TransportError),
}

impl Error {
    /// The operation that failed, when the error concerns one.
    #[must_use]
    pub fn operation(&self) -> Option<Operation> {
        match self {
            Self::BadRequest { operation, .. }
            | Self::Unauthorized { operation, .. }
            | Self::Forbidden { operation, .. }
            | Self::NotFound { operation, .. }
            | Self::Conflict { operation, .. }
            | Self::TooManyRequests { operation, .. }
            | Self::NotImplemented { operation, .. }
            | Self::ClientError { operation, .. }
            | Self::ServerError { operation, .. }
            | Self::Transport { operation, .. }
            | Self::Timeout { operation, .. }
            | Self::Decode { operation, .. }
            | Self::Protocol { operation, .. }
            | Self::InvalidArgument { operation, .. } => Some(*operation),
            Self::InvalidEndpoint { .. }
            | Self::InvalidCredentials { .. }
            | Self::MissingConfig { .. }
            | Self::TransportConfig(_) => None,
        }
    }

    /// The HTTP status of the answer, when there was one.
    #[must_use]
    pub fn status(&self) -> Option<StatusCode> {
        Some(match self {
            Self::BadRequest { .. } => StatusCode::BAD_REQUEST,
            Self::Unauthorized { .. } => StatusCode::UNAUTHORIZED,
            Self::Forbidden { .. } => StatusCode::FORBIDDEN,
            Self::NotFound { .. } => StatusCode::NOT_FOUND,
            Self::Conflict { .. } => StatusCode::CONFLICT,
            Self::NotImplemented { .. } => StatusCode::NOT_IMPLEMENTED,
            Self::TooManyRequests { status, .. }
            | Self::ClientError { status, .. }
            | Self::ServerError { status, .. }
            | Self::Decode { status, .. } => *status,
            _ => return None,
        })
    }

    /// The server's message, when the answer carried one.
    #[must_use]
    pub fn server_message(&self) -> Option<&str> {
        match self {
            Self::BadRequest { message, .. }
            | Self::Unauthorized { message, .. }
            | Self::Forbidden { message, .. }
            | Self::NotFound { message, .. }
            | Self::Conflict { message, .. }
            | Self::NotImplemented { message, .. }
            | Self::ClientError { message, .. }
            | Self::ServerError { message, .. } => Some(message),
            _ => None,
        }
    }

    /// Whether the same call may succeed later: too many requests, 502/503/504, a 5xx or a
    /// 408 that a proxy in front of lakeFS sent (its body is not lakeFS's error JSON),
    /// timeouts and retryable transport failures. Whether repeating it is *safe* also depends
    /// on the operation ([`Operation::is_idempotent`]); the client's retry loop checks both.
    #[must_use]
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::TooManyRequests { .. } | Self::Timeout { .. } => true,
            Self::ServerError {
                status,
                from_lakefs,
                ..
            } => is_gateway_status(*status) || (!from_lakefs && status.is_server_error()),
            Self::ClientError {
                status,
                from_lakefs,
                ..
            } => !from_lakefs && *status == StatusCode::REQUEST_TIMEOUT,
            Self::Transport { source, .. } => source.is_retryable(),
            _ => false,
        }
    }

    /// Whether the failure proves the server did not act on the request, so that even a
    /// non-idempotent operation may be sent again: the connection was never made, or lakeFS
    /// refused with 420/429 (its rate limiter answers before any handler runs).
    ///
    /// A 503 proves nothing: lakeFS answers it when its KV store throttles a write that may be
    /// one of several, and a proxy in front (Envoy, Istio) answers it after an upstream reset,
    /// when the handler may already have run. So a 503 is retried only where a repeat is safe.
    #[must_use]
    pub fn proves_not_applied(&self) -> bool {
        match self {
            Self::TooManyRequests { .. } => true,
            Self::Transport { source, .. } => source.is_before_send(),
            _ => false,
        }
    }

    /// Whether the request may have reached lakeFS and its outcome is unknown: the
    /// connection failed mid-request, no answer came in time, a 502, 503 or 504 came (a
    /// proxy's, or lakeFS's own 503 when its KV store throttles a write that may be one of
    /// several), or any other 5xx or unforeseen 4xx whose body is not lakeFS's error JSON
    /// (Cloudflare's 520–527, a load balancer's HTML page, a proxy's 408 or 499): only an
    /// answer that is provably lakeFS's own refusal proves that it did not act.
    ///
    /// After an ambiguous failure of a call that is not idempotent (a complete, a commit, a
    /// merge) find out what happened before acting on it as a failure.
    #[must_use]
    pub fn is_ambiguous(&self) -> bool {
        match self {
            Self::Timeout { .. } => true,
            Self::Transport { source, .. } => !source.is_before_send(),
            Self::ServerError {
                status,
                from_lakefs,
                ..
            } => is_gateway_status(*status) || !from_lakefs,
            Self::ClientError { from_lakefs, .. } => !from_lakefs,
            _ => false,
        }
    }
}

/// 502, 503, 504: what a gateway answers when the server behind it failed, was overloaded or
/// did not answer in time.
fn is_gateway_status(status: StatusCode) -> bool {
    matches!(
        status,
        StatusCode::BAD_GATEWAY | StatusCode::SERVICE_UNAVAILABLE | StatusCode::GATEWAY_TIMEOUT
    )
}
