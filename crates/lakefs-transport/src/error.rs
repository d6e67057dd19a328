//! The transport's error type: one [`TransportError`] with a [`TransportErrorKind`] to match
//! on, the (redacted) URI once, and the cause through [`source()`](std::error::Error::source).

use std::fmt;
use std::time::Duration;

use http::StatusCode;

use crate::RedactedUri;

/// A boxed error, the cause a [`TransportError`] may carry.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Which timeout fired.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeoutPhase {
    /// Establishing the connection (TCP and TLS).
    Connect,
    /// The whole exchange: sending the request and receiving the full response.
    Request,
}

impl fmt::Display for TimeoutPhase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Connect => "connect",
            Self::Request => "request",
        })
    }
}

/// What kind of failure a [`TransportError`] is: the value callers match on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TransportErrorKind {
    /// The connection could not be established (refused, unreachable, DNS failure, a proxy
    /// that could not be reached or answered garbage, a reset during a handshake); the
    /// request was never sent.
    Connect,
    /// A timeout fired before the exchange finished ([`TransportError::timeout_phase`] says
    /// which, [`TransportError::timeout`] after how long).
    Timeout,
    /// The TLS handshake failed (untrusted certificate, a client certificate the server
    /// refused, protocol mismatch, a plain-HTTP peer), before any byte of the request was
    /// sent.
    Tls,
    /// The connection failed while the request or response was in flight (reset, closed
    /// early).
    Io,
    /// The proxy would not open a tunnel to the destination: it answered the `CONNECT`
    /// request with a status other than 2xx ([`TransportError::proxy_status`]: 407, it wants
    /// other credentials; 403, the destination is not allowed; 502/503/504, it could not
    /// reach the destination). The request itself was never sent.
    Proxy,
    /// The response body could not be read to its end.
    Body,
    /// The response body was larger than the transport accepts
    /// ([`TransportError::body_limit`]).
    BodyTooLarge,
    /// The request could not be sent as given (no host, unsupported scheme, HTTPS required).
    InvalidRequest,
    /// The transport could not be built from its configuration.
    Config,
}

/// A failure to exchange a request and a response. HTTP error statuses are not errors at this
/// layer: they arrive as responses.
///
/// Match on [`kind()`](Self::kind). The URI it names has its query string and userinfo
/// removed ([`RedactedUri`]), so neither `Display` nor `Debug` can leak a presigned URL's
/// signature; the underlying cause (an I/O or TLS error) comes from
/// [`source()`](std::error::Error::source) and is not repeated in the text.
///
/// A custom [`HttpTransport`](crate::HttpTransport) builds its errors with the constructors
/// ([`connect`](Self::connect), [`io`](Self::io), [`timeout`](Self::timeout), …).
pub struct TransportError {
    kind: TransportErrorKind,
    uri: Option<RedactedUri>,
    detail: Detail,
    source: Option<BoxError>,
}

/// What only some kinds carry.
#[derive(Debug, Clone)]
enum Detail {
    None,
    Timeout {
        phase: TimeoutPhase,
        after: Duration,
    },
    Proxy {
        proxy: RedactedUri,
        status: StatusCode,
    },
    Limit(usize),
    Reason(&'static str),
}

impl TransportError {
    fn new(kind: TransportErrorKind, uri: Option<RedactedUri>, detail: Detail) -> Self {
        Self {
            kind,
            uri,
            detail,
            source: None,
        }
    }

    fn with_source(mut self, source: impl Into<BoxError>) -> Self {
        self.source = Some(source.into());
        self
    }

    /// The connection to `uri` could not be established; the request was never sent.
    #[must_use]
    pub fn connect(uri: RedactedUri, source: impl Into<BoxError>) -> Self {
        Self::new(TransportErrorKind::Connect, Some(uri), Detail::None).with_source(source)
    }

    /// The `phase` timeout of `after` fired talking to `uri`.
    #[must_use]
    pub fn timeout(uri: RedactedUri, phase: TimeoutPhase, after: Duration) -> Self {
        Self::new(
            TransportErrorKind::Timeout,
            Some(uri),
            Detail::Timeout { phase, after },
        )
    }

    /// The TLS handshake with `uri` failed, before any byte of the request was sent.
    #[must_use]
    pub fn tls(uri: RedactedUri, source: impl Into<BoxError>) -> Self {
        Self::new(TransportErrorKind::Tls, Some(uri), Detail::None).with_source(source)
    }

    /// The connection to `uri` failed while the request or response was in flight.
    #[must_use]
    pub fn io(uri: RedactedUri, source: impl Into<BoxError>) -> Self {
        Self::new(TransportErrorKind::Io, Some(uri), Detail::None).with_source(source)
    }

    /// The proxy (scheme, host and port only) answered `status` to the `CONNECT` for `uri`.
    #[must_use]
    pub fn proxy(uri: RedactedUri, proxy: RedactedUri, status: StatusCode) -> Self {
        Self::new(
            TransportErrorKind::Proxy,
            Some(uri),
            Detail::Proxy { proxy, status },
        )
    }

    /// The response body from `uri` could not be read to its end.
    #[must_use]
    pub fn body(uri: RedactedUri, source: impl Into<BoxError>) -> Self {
        Self::new(TransportErrorKind::Body, Some(uri), Detail::None).with_source(source)
    }

    /// The response body from `uri` exceeds `limit` bytes.
    #[must_use]
    pub fn body_too_large(uri: RedactedUri, limit: usize) -> Self {
        Self::new(
            TransportErrorKind::BodyTooLarge,
            Some(uri),
            Detail::Limit(limit),
        )
    }

    /// The request to `uri` cannot be sent as given, for `reason`.
    #[must_use]
    pub fn invalid_request(uri: RedactedUri, reason: &'static str) -> Self {
        Self::new(
            TransportErrorKind::InvalidRequest,
            Some(uri),
            Detail::Reason(reason),
        )
    }

    /// The transport cannot be built, for `reason` (and the underlying cause, if any).
    #[must_use]
    pub fn config(reason: &'static str, source: Option<BoxError>) -> Self {
        let error = Self::new(TransportErrorKind::Config, None, Detail::Reason(reason));
        match source {
            Some(source) => error.with_source(source),
            None => error,
        }
    }

    /// What kind of failure this is.
    #[must_use]
    pub fn kind(&self) -> TransportErrorKind {
        self.kind
    }

    /// The (redacted) URI the failed request was going to, if the error concerns one.
    #[must_use]
    pub fn uri(&self) -> Option<&RedactedUri> {
        self.uri.as_ref()
    }

    /// Which timeout fired, for [`TransportErrorKind::Timeout`].
    #[must_use]
    pub fn timeout_phase(&self) -> Option<TimeoutPhase> {
        match self.detail {
            Detail::Timeout { phase, .. } => Some(phase),
            _ => None,
        }
    }

    /// The limit that fired, for [`TransportErrorKind::Timeout`].
    #[must_use]
    pub fn timeout_after(&self) -> Option<Duration> {
        match self.detail {
            Detail::Timeout { after, .. } => Some(after),
            _ => None,
        }
    }

    /// The proxy's answer to `CONNECT`, for [`TransportErrorKind::Proxy`].
    #[must_use]
    pub fn proxy_status(&self) -> Option<StatusCode> {
        match self.detail {
            Detail::Proxy { status, .. } => Some(status),
            _ => None,
        }
    }

    /// The configured body limit in bytes, for [`TransportErrorKind::BodyTooLarge`].
    #[must_use]
    pub fn body_limit(&self) -> Option<usize> {
        match self.detail {
            Detail::Limit(limit) => Some(limit),
            _ => None,
        }
    }

    /// Whether sending the same request again may succeed: connection failures, resets,
    /// timeouts and a proxy that could not reach the destination (502, 503, 504) or is busy
    /// (429) may; TLS failures, other proxy refusals, invalid requests and oversized bodies
    /// will not.
    ///
    /// Whether a retry is *safe* (the request may have reached the server) is for the caller
    /// to decide from the operation and [`is_before_send`](Self::is_before_send).
    #[must_use]
    pub fn is_retryable(&self) -> bool {
        use TransportErrorKind as K;
        match self.kind {
            K::Connect | K::Timeout | K::Io | K::Body => true,
            K::Proxy => self
                .proxy_status()
                .is_some_and(|status| matches!(status.as_u16(), 429 | 502 | 503 | 504)),
            _ => false,
        }
    }

    /// Whether the request certainly never reached the server (it failed before or while
    /// connecting: DNS, TCP, the proxy's `CONNECT`, the TLS handshake, the connect timeout),
    /// so even a non-idempotent request may be repeated.
    #[must_use]
    pub fn is_before_send(&self) -> bool {
        use TransportErrorKind as K;
        match self.kind {
            K::Connect | K::Tls | K::Proxy | K::InvalidRequest | K::Config => true,
            K::Timeout => self.timeout_phase() == Some(TimeoutPhase::Connect),
            _ => false,
        }
    }
}

impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use TransportErrorKind as K;
        let uri = DisplayUri(self.uri.as_ref());
        match (&self.kind, &self.detail) {
            (K::Connect, _) => write!(f, "could not connect to {uri}"),
            (K::Timeout, Detail::Timeout { phase, after }) => {
                write!(f, "{phase} timeout after {after:?} talking to {uri}")
            }
            (K::Tls, _) => write!(f, "TLS handshake with {uri} failed"),
            (K::Io, _) => write!(f, "connection to {uri} failed mid-request"),
            (K::Proxy, Detail::Proxy { proxy, status }) => write!(
                f,
                "the proxy {proxy} refused to open a tunnel to {uri}: {status}"
            ),
            (K::Body, _) => write!(f, "reading the response body from {uri} failed"),
            (K::BodyTooLarge, Detail::Limit(limit)) => write!(
                f,
                "the response body from {uri} exceeds the limit of {limit} bytes (raise it with \
                 ClientBuilder::max_response_body or HyperTransportBuilder::max_response_body)"
            ),
            (K::InvalidRequest, Detail::Reason(reason)) => {
                write!(f, "cannot send a request to {uri}: {reason}")
            }
            (K::Config, Detail::Reason(reason)) => {
                write!(f, "invalid transport configuration: {reason}")
            }
            (kind, _) => write!(f, "{kind:?} failure talking to {uri}"),
        }
    }
}

impl fmt::Debug for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut debug = f.debug_struct("TransportError");
        debug.field("kind", &self.kind);
        if let Some(uri) = &self.uri {
            debug.field("uri", uri);
        }
        match &self.detail {
            Detail::None => {}
            Detail::Timeout { phase, after } => {
                debug.field("phase", phase).field("after", after);
            }
            Detail::Proxy { proxy, status } => {
                debug.field("proxy", proxy).field("status", status);
            }
            Detail::Limit(limit) => {
                debug.field("limit", limit);
            }
            Detail::Reason(reason) => {
                debug.field("reason", reason);
            }
        }
        if let Some(source) = &self.source {
            debug.field("source", source);
        }
        debug.finish()
    }
}

impl std::error::Error for TransportError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|source| source as &(dyn std::error::Error + 'static))
    }
}

struct DisplayUri<'a>(Option<&'a RedactedUri>);

impl fmt::Display for DisplayUri<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(uri) => uri.fmt(f),
            None => f.write_str("the server"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn uri() -> RedactedUri {
        RedactedUri::new(
            &"https://user:pw@s3.example/b/k?X-Amz-Signature=secret"
                .parse()
                .unwrap(),
        )
    }

    #[test]
    fn one_kind_and_the_uri_once_without_its_secrets() {
        let io = std::io::Error::from(std::io::ErrorKind::ConnectionReset);
        let error = TransportError::io(uri(), io);
        assert_eq!(error.kind(), TransportErrorKind::Io);
        let text = format!("{error} {error:?}");
        assert!(!text.contains("secret") && !text.contains("pw"), "{text}");
        assert_eq!(
            error.to_string(),
            "connection to https://s3.example/b/k?<redacted> failed mid-request"
        );
        assert!(std::error::Error::source(&error).is_some());
        assert!(error.is_retryable() && !error.is_before_send());
    }

    #[test]
    fn timeouts_say_their_phase_and_only_a_connect_timeout_is_before_send() {
        let connect = TransportError::timeout(uri(), TimeoutPhase::Connect, Duration::from_secs(3));
        let request = TransportError::timeout(uri(), TimeoutPhase::Request, Duration::from_secs(3));
        assert_eq!(connect.timeout_phase(), Some(TimeoutPhase::Connect));
        assert_eq!(request.timeout_after(), Some(Duration::from_secs(3)));
        assert!(connect.is_before_send() && !request.is_before_send());
        assert!(connect.is_retryable() && request.is_retryable());
    }

    #[test]
    fn a_proxy_refusal_is_retryable_only_when_the_proxy_may_pass_later() {
        let proxy = |status: u16| {
            TransportError::proxy(
                uri(),
                RedactedUri::new(&"http://proxy:3128".parse().unwrap()),
                StatusCode::from_u16(status).unwrap(),
            )
        };
        assert!(proxy(503).is_retryable() && proxy(429).is_retryable());
        assert!(!proxy(407).is_retryable() && !proxy(403).is_retryable());
        assert!(proxy(407).is_before_send());
        assert_eq!(
            proxy(407).proxy_status(),
            Some(StatusCode::PROXY_AUTHENTICATION_REQUIRED)
        );
    }
}
