use std::time::Duration;

use crate::RedactedUri;

/// A boxed error, the source type of [`TransportError`] variants.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Which timeout fired.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeoutPhase {
    /// Establishing the connection (TCP and TLS).
    Connect,
    /// The whole exchange: sending the request and receiving the full response.
    Request,
}

impl std::fmt::Display for TimeoutPhase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Connect => "connect",
            Self::Request => "request",
        })
    }
}

/// A failure to exchange a request and a response. HTTP error statuses are not errors at this
/// layer: they arrive as responses.
///
/// Every variant names the URI with its query string and userinfo removed
/// ([`RedactedUri`]), so neither `Display` nor `Debug` can leak a presigned URL's signature.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TransportError {
    /// The connection could not be established (refused, unreachable, DNS failure, a proxy
    /// that could not be reached or answered garbage, a reset during a handshake); the
    /// request was never sent.
    #[error("could not connect to {uri}")]
    Connect {
        /// Where the request was going.
        uri: RedactedUri,
        /// The underlying cause.
        #[source]
        source: BoxError,
    },
    /// A timeout fired before the exchange finished.
    #[error("{phase} timeout after {after:?} talking to {uri}")]
    Timeout {
        /// Where the request was going.
        uri: RedactedUri,
        /// Which timeout fired.
        phase: TimeoutPhase,
        /// The configured limit.
        after: Duration,
    },
    /// The TLS handshake failed (untrusted certificate, a client certificate the server
    /// refused, protocol mismatch, a plain-HTTP peer), before any byte of the request was
    /// sent.
    #[error("TLS handshake with {uri} failed")]
    Tls {
        /// Where the request was going.
        uri: RedactedUri,
        /// The underlying cause.
        #[source]
        source: BoxError,
    },
    /// The connection failed while the request or response was in flight (reset, closed early).
    #[error("connection to {uri} failed mid-request")]
    Io {
        /// Where the request was going.
        uri: RedactedUri,
        /// The underlying cause.
        #[source]
        source: BoxError,
    },
    /// The proxy would not open a tunnel to the destination: it answered the `CONNECT`
    /// request with a status other than 2xx (407: it wants other credentials; 403: the
    /// destination is not allowed; 502/503/504: it could not reach the destination). The
    /// request itself was never sent.
    #[error("the proxy {proxy} refused to open a tunnel to {uri}: {status}")]
    Proxy {
        /// Where the request was going.
        uri: RedactedUri,
        /// The proxy (scheme, host and port: never its credentials).
        proxy: RedactedUri,
        /// The proxy's answer to `CONNECT`.
        status: http::StatusCode,
    },
    /// The response body could not be read to its end.
    #[error("reading the response body from {uri} failed")]
    Body {
        /// Where the request was going.
        uri: RedactedUri,
        /// The underlying cause.
        #[source]
        source: BoxError,
    },
    /// The response body was larger than the transport accepts.
    #[error("the response body from {uri} exceeds the limit of {limit} bytes (raise it with ClientBuilder::max_response_body or HyperTransportBuilder::max_response_body)")]
    BodyTooLarge {
        /// Where the request was going.
        uri: RedactedUri,
        /// The configured limit in bytes.
        limit: usize,
    },
    /// The request could not be sent as given (no host, unsupported scheme, HTTPS required).
    #[error("cannot send a request to {uri}: {reason}")]
    InvalidRequest {
        /// Where the request was going.
        uri: RedactedUri,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The transport could not be built from its configuration.
    #[error("invalid transport configuration: {reason}")]
    Config {
        /// What is wrong.
        reason: &'static str,
        /// The underlying cause, if any.
        #[source]
        source: Option<BoxError>,
    },
}

impl TransportError {
    /// Whether sending the same request again may succeed: connection failures, resets,
    /// timeouts and a proxy that could not reach the destination (502, 503, 504) or is busy
    /// (429) may; TLS failures, other proxy refusals, invalid requests and oversized bodies
    /// will not.
    ///
    /// Whether a retry is *safe* (the request may have reached the server) is for the caller
    /// to decide from the operation and [`is_before_send`](Self::is_before_send).
    #[must_use]
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Connect { .. } | Self::Timeout { .. } | Self::Io { .. } | Self::Body { .. } => {
                true
            }
            Self::Proxy { status, .. } => matches!(status.as_u16(), 429 | 502 | 503 | 504),
            _ => false,
        }
    }

    /// Whether the request certainly never reached the server (it failed before or while
    /// connecting: DNS, TCP, the proxy's `CONNECT`, the TLS handshake, the connect timeout),
    /// so even a non-idempotent request may be repeated.
    #[must_use]
    pub fn is_before_send(&self) -> bool {
        matches!(
            self,
            Self::Connect { .. }
                | Self::Tls { .. }
                | Self::Proxy { .. }
                | Self::InvalidRequest { .. }
                | Self::Config { .. }
                | Self::Timeout {
                    phase: TimeoutPhase::Connect,
                    ..
                }
        )
    }

    /// The (redacted) URI the failed request was going to, if the error concerns one.
    #[must_use]
    pub fn uri(&self) -> Option<&RedactedUri> {
        match self {
            Self::Connect { uri, .. }
            | Self::Timeout { uri, .. }
            | Self::Tls { uri, .. }
            | Self::Proxy { uri, .. }
            | Self::Io { uri, .. }
            | Self::Body { uri, .. }
            | Self::BodyTooLarge { uri, .. }
            | Self::InvalidRequest { uri, .. } => Some(uri),
            Self::Config { .. } => None,
        }
    }
}
