//! The crate's error type: one [`Error`] with an [`ErrorKind`] to match on, its context (the
//! operation, the status, the server's message) once, and its cause through
//! [`source()`](std::error::Error::source).

use std::fmt;
use std::time::Duration;

use http::StatusCode;
use lakefs_models::StagingLocation;
use lakefs_transport::TransportError;

use crate::Operation;

mod kind;

pub use kind::ErrorKind;

/// Everything that can go wrong calling the experimental API.
///
/// Match on [`kind()`](Self::kind); the context is there once: [`operation()`](Self::operation),
/// [`status()`](Self::status), [`server_message()`](Self::server_message). The server's
/// message is the `message` of the spec's `Error` body when the body is one, otherwise a
/// description of what came back ("a 512-byte text/html body", "an empty body") — never the
/// body itself, which may hold what a proxy echoed of the request. A success answer's body
/// never appears in an error either: it may hold a token or presigned URLs. No error carries
/// a credential or a URL query string.
///
/// An error that wraps another returns it from [`source()`](std::error::Error::source) and
/// does not repeat its text, so that error reports (anyhow, eyre) print each cause once.
pub struct Error {
    inner: Box<Inner>,
}

struct Inner {
    kind: ErrorKind,
    operation: Option<Operation>,
    status: Option<StatusCode>,
    /// The server's message, or what was wrong.
    message: String,
    from_lakefs: bool,
    detail: Detail,
    source: Option<TransportError>,
}

/// What only some kinds carry.
#[derive(Debug)]
enum Detail {
    None,
    RetryAfter(Option<Duration>),
    StagingLocation(StagingLocation),
    After(Duration),
    Argument(&'static str),
    Endpoint(String),
}

impl Error {
    fn new(kind: ErrorKind, operation: Option<Operation>, message: impl Into<String>) -> Self {
        Self {
            inner: Box::new(Inner {
                kind,
                operation,
                status: None,
                message: message.into(),
                from_lakefs: false,
                detail: Detail::None,
                source: None,
            }),
        }
    }

    fn with_detail(mut self, detail: Detail) -> Self {
        self.inner.detail = detail;
        self
    }

    /// A non-2xx answer of `status` with the server's `message`; `from_lakefs` when the body
    /// was lakeFS's error JSON.
    pub(crate) fn answer(
        operation: Operation,
        status: StatusCode,
        message: String,
        from_lakefs: bool,
    ) -> Self {
        let mut error = Self::new(ErrorKind::of_status(status), Some(operation), message);
        error.inner.status = Some(status);
        error.inner.from_lakefs = from_lakefs;
        error
    }

    /// The same answer, with the server's `Retry-After`.
    pub(crate) fn with_retry_after(self, retry_after: Option<Duration>) -> Self {
        self.with_detail(Detail::RetryAfter(retry_after))
    }

    /// The same answer, with the `StagingLocation` body the spec declares for complete's 409.
    pub(crate) fn with_staging_location(self, location: StagingLocation) -> Self {
        self.with_detail(Detail::StagingLocation(location))
    }

    /// The exchange failed in the transport.
    pub(crate) fn transport(operation: Operation, source: TransportError) -> Self {
        let mut error = Self::new(ErrorKind::Transport, Some(operation), "");
        error.inner.source = Some(source);
        error
    }

    /// No answer within `after`.
    pub(crate) fn timeout(operation: Operation, after: Duration) -> Self {
        Self::new(ErrorKind::Timeout, Some(operation), "").with_detail(Detail::After(after))
    }

    /// A success answer of `status` that is not what the spec declares.
    pub(crate) fn decode(operation: Operation, status: StatusCode, reason: String) -> Self {
        let mut error = Self::new(ErrorKind::Decode, Some(operation), reason);
        error.inner.status = Some(status);
        error
    }

    /// An answer that breaks the API's contract.
    pub(crate) fn protocol(operation: Operation, reason: impl Into<String>) -> Self {
        Self::new(ErrorKind::Protocol, Some(operation), reason)
    }

    /// `argument` of `operation` is invalid, for `reason`.
    pub(crate) fn invalid_argument(
        operation: Operation,
        argument: &'static str,
        reason: impl Into<String>,
    ) -> Self {
        Self::new(ErrorKind::InvalidArgument, Some(operation), reason)
            .with_detail(Detail::Argument(argument))
    }

    /// The endpoint (already without any query string) is unusable, for `reason`.
    pub(crate) fn invalid_endpoint(endpoint: String, reason: &'static str) -> Self {
        Self::new(ErrorKind::InvalidEndpoint, None, reason).with_detail(Detail::Endpoint(endpoint))
    }

    /// The credentials cannot be sent, for `reason`.
    pub(crate) fn invalid_credentials(reason: &'static str) -> Self {
        Self::new(ErrorKind::InvalidCredentials, None, reason)
    }

    /// A required setting is missing.
    pub(crate) fn missing_config(what: impl Into<String>) -> Self {
        Self::new(ErrorKind::MissingConfig, None, what)
    }

    /// The default transport could not be built.
    pub(crate) fn transport_config(source: TransportError) -> Self {
        let mut error = Self::new(ErrorKind::TransportConfig, None, "");
        error.inner.source = Some(source);
        error
    }

    /// What kind of failure this is.
    #[must_use]
    pub fn kind(&self) -> ErrorKind {
        self.inner.kind
    }

    /// The operation that failed, when the error concerns one.
    #[must_use]
    pub fn operation(&self) -> Option<Operation> {
        self.inner.operation
    }

    /// The HTTP status of the answer, when there was one.
    #[must_use]
    pub fn status(&self) -> Option<StatusCode> {
        self.inner.status
    }

    /// The server's message, when the answer was an error status: the `message` of lakeFS's
    /// error JSON, or a description of another body (empty for a `StagingLocation` body).
    #[must_use]
    pub fn server_message(&self) -> Option<&str> {
        (self.inner.status.is_some() && self.inner.kind != ErrorKind::Decode)
            .then_some(self.inner.message.as_str())
    }

    /// Whether the error answer's body was lakeFS's error JSON — an answer of lakeFS itself,
    /// not of something in front of it (a proxy, a load balancer) that cannot say whether
    /// lakeFS acted (see [`is_ambiguous`](Self::is_ambiguous)).
    #[must_use]
    pub fn is_from_lakefs(&self) -> bool {
        self.inner.from_lakefs
    }

    /// The server's `Retry-After`, for [`ErrorKind::TooManyRequests`] when it sent one.
    #[must_use]
    pub fn retry_after(&self) -> Option<Duration> {
        match self.inner.detail {
            Detail::RetryAfter(after) => after,
            _ => None,
        }
    }

    /// The `StagingLocation` body of a 409, when the server sent one instead of an error.
    #[must_use]
    pub fn staging_location(&self) -> Option<&StagingLocation> {
        match &self.inner.detail {
            Detail::StagingLocation(location) => Some(location),
            _ => None,
        }
    }

    /// The invalid argument's name as the spec spells it, for [`ErrorKind::InvalidArgument`].
    #[must_use]
    pub fn argument(&self) -> Option<&'static str> {
        match self.inner.detail {
            Detail::Argument(argument) => Some(argument),
            _ => None,
        }
    }

    /// The limit that passed without an answer, for [`ErrorKind::Timeout`].
    #[must_use]
    pub fn timeout_after(&self) -> Option<Duration> {
        match self.inner.detail {
            Detail::After(after) => Some(after),
            _ => None,
        }
    }

    /// The transport's failure, for [`ErrorKind::Transport`] and
    /// [`ErrorKind::TransportConfig`] (also the [`source`](std::error::Error::source)).
    #[must_use]
    pub fn transport_error(&self) -> Option<&TransportError> {
        self.inner.source.as_ref()
    }

    /// Whether the same call may succeed later: too many requests, 502/503/504, a 5xx or a
    /// 408 that a proxy in front of lakeFS sent (its body is not lakeFS's error JSON),
    /// timeouts and retryable transport failures. Whether repeating it is *safe* also depends
    /// on the operation ([`Operation::is_idempotent`]); the client's retry loop checks both.
    #[must_use]
    pub fn is_retryable(&self) -> bool {
        let from_proxy = !self.inner.from_lakefs;
        match (self.inner.kind, self.inner.status) {
            (ErrorKind::TooManyRequests | ErrorKind::Timeout, _) => true,
            (ErrorKind::ServerError, Some(status)) => {
                is_gateway_status(status) || (from_proxy && status.is_server_error())
            }
            (ErrorKind::ClientError, Some(status)) => {
                from_proxy && status == StatusCode::REQUEST_TIMEOUT
            }
            (ErrorKind::Transport, _) => self
                .transport_error()
                .is_some_and(TransportError::is_retryable),
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
        match self.inner.kind {
            ErrorKind::TooManyRequests => true,
            ErrorKind::Transport => self
                .transport_error()
                .is_some_and(TransportError::is_before_send),
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
        let from_proxy = !self.inner.from_lakefs;
        match (self.inner.kind, self.inner.status) {
            (ErrorKind::Timeout, _) => true,
            (ErrorKind::Transport, _) => !self
                .transport_error()
                .is_some_and(TransportError::is_before_send),
            (ErrorKind::ServerError, Some(status)) => is_gateway_status(status) || from_proxy,
            (ErrorKind::ClientError, _) => from_proxy,
            _ => false,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = &*self.inner;
        if let Some(operation) = inner.operation {
            write!(f, "{operation}: ")?;
        }
        let message = &inner.message;
        let status = inner
            .status
            .map_or_else(String::new, |status| status.as_u16().to_string());
        match inner.kind {
            ErrorKind::BadRequest => write!(f, "bad request (400): {message}"),
            ErrorKind::Unauthorized => write!(f, "unauthorized (401): {message}"),
            ErrorKind::Forbidden => write!(f, "forbidden (403): {message}"),
            ErrorKind::NotFound => write!(f, "not found (404): {message}"),
            ErrorKind::Conflict => write!(f, "conflict (409): {message}"),
            ErrorKind::TooManyRequests => {
                write!(f, "too many requests ({status})")?;
                match self.retry_after() {
                    Some(after) => write!(f, ", retry after {after:?}"),
                    None => Ok(()),
                }
            }
            ErrorKind::NotImplemented => {
                write!(f, "not supported by this lakeFS server (501): {message}")
            }
            ErrorKind::ClientError => write!(f, "client error ({status}): {message}"),
            ErrorKind::ServerError => write!(f, "server error ({status}): {message}"),
            ErrorKind::Transport => f.write_str("the HTTP exchange failed"),
            ErrorKind::Timeout => match self.timeout_after() {
                Some(after) => write!(f, "no answer within {after:?}"),
                None => f.write_str("no answer in time"),
            },
            ErrorKind::Decode => write!(
                f,
                "the {status} answer is not what the spec declares: {message}"
            ),
            ErrorKind::Protocol => {
                write!(f, "the server's answer breaks the API contract: {message}")
            }
            ErrorKind::InvalidArgument => write!(
                f,
                "invalid argument `{}`: {message}",
                self.argument().unwrap_or("?")
            ),
            ErrorKind::InvalidEndpoint => match &inner.detail {
                Detail::Endpoint(endpoint) => {
                    write!(f, "invalid lakeFS endpoint {endpoint:?}: {message}")
                }
                _ => write!(f, "invalid lakeFS endpoint: {message}"),
            },
            ErrorKind::InvalidCredentials => write!(f, "invalid credentials: {message}"),
            ErrorKind::MissingConfig => write!(f, "missing configuration: {message}"),
            ErrorKind::TransportConfig => f.write_str("could not build the HTTP transport"),
        }
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = &*self.inner;
        let mut debug = f.debug_struct("Error");
        debug.field("kind", &inner.kind);
        if let Some(operation) = inner.operation {
            debug.field("operation", &operation);
        }
        if let Some(status) = inner.status {
            debug
                .field("status", &status)
                .field("from_lakefs", &inner.from_lakefs);
        }
        if !inner.message.is_empty() {
            debug.field("message", &inner.message);
        }
        match &inner.detail {
            Detail::None => {}
            Detail::RetryAfter(after) => {
                debug.field("retry_after", after);
            }
            Detail::StagingLocation(location) => {
                debug.field("staging_location", location);
            }
            Detail::After(after) => {
                debug.field("after", after);
            }
            Detail::Argument(argument) => {
                debug.field("argument", argument);
            }
            Detail::Endpoint(endpoint) => {
                debug.field("endpoint", endpoint);
            }
        }
        if let Some(source) = &inner.source {
            debug.field("source", source);
        }
        debug.finish()
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.inner
            .source
            .as_ref()
            .map(|source| source as &(dyn std::error::Error + 'static))
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

#[cfg(test)]
mod tests {
    use std::error::Error as _;

    use super::*;

    #[test]
    fn errors_expose_their_cause_once() {
        let cause = TransportError::timeout(
            lakefs_transport::RedactedUri::new(&"http://h/p?sig=x".parse().unwrap()),
            lakefs_transport::TimeoutPhase::Connect,
            Duration::from_secs(1),
        );
        let cause_text = cause.to_string();
        let error = Error::transport(Operation::GetPullRequest, cause);
        assert_eq!(error.kind(), ErrorKind::Transport);
        assert!(!error.to_string().contains(&cause_text), "{error}");
        assert_eq!(error.source().unwrap().to_string(), cause_text);
        assert!(error.proves_not_applied() && error.is_retryable() && !error.is_ambiguous());
        let config = Error::transport_config(TransportError::config("bad roots", None));
        assert!(!config.to_string().contains("bad roots"));
        assert!(config.source().unwrap().to_string().contains("bad roots"));
    }

    #[test]
    fn the_kind_follows_the_status_and_the_text_names_the_operation_once() {
        let answer = |status: u16, from_lakefs| {
            Error::answer(
                Operation::StatObject,
                StatusCode::from_u16(status).unwrap(),
                "m".into(),
                from_lakefs,
            )
        };
        assert_eq!(answer(404, true).kind(), ErrorKind::NotFound);
        assert_eq!(answer(420, true).kind(), ErrorKind::TooManyRequests);
        assert_eq!(answer(412, true).kind(), ErrorKind::ClientError);
        assert_eq!(answer(302, true).kind(), ErrorKind::ServerError);
        assert_eq!(
            answer(404, true).to_string(),
            "statObject: not found (404): m"
        );
        assert_eq!(answer(500, true).server_message(), Some("m"));
        // Only lakeFS's own refusal proves it did not act.
        assert!(!answer(500, true).is_ambiguous() && answer(500, false).is_ambiguous());
        assert!(answer(503, true).is_ambiguous() && answer(503, true).is_retryable());
        assert!(answer(408, false).is_retryable() && !answer(408, true).is_retryable());
        let argument = Error::invalid_argument(Operation::StatObject, "path", "is empty");
        assert_eq!(argument.argument(), Some("path"));
        assert_eq!(
            argument.to_string(),
            "statObject: invalid argument `path`: is empty"
        );
    }
}
