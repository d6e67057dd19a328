//! [`HyperTransport`]: hyper-util's pooled client over rustls.

use std::error::Error as StdError;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::header::{HeaderValue, CONTENT_LENGTH};
use http::{Method, Request, Response, Uri};
use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

use crate::{BoxFuture, HttpTransport, RedactedUri, TimeoutPhase, TransportError};

/// The production transport: a pooled HTTP/1.1 client (hyper-util) with rustls TLS.
///
/// Cheap to clone: clones share the connection pool. Build it with
/// [`HyperTransport::builder`]; [`HyperTransport::new`] uses the defaults.
///
/// ```no_run
/// use std::time::Duration;
/// use lakefs_transport::HyperTransport;
///
/// let transport = HyperTransport::builder()
///     .connect_timeout(Duration::from_secs(5))
///     .request_timeout(Duration::from_secs(120))
///     .pool_max_idle_per_host(32)
///     .build()?;
/// # Ok::<(), lakefs_transport::TransportError>(())
/// ```
#[derive(Clone)]
pub struct HyperTransport {
    client: Client<HttpsConnector<HttpConnector>, Full<Bytes>>,
    settings: Arc<Settings>,
}

#[derive(Debug, Clone)]
struct Settings {
    connect_timeout: Option<Duration>,
    request_timeout: Option<Duration>,
    max_response_body: usize,
    https_only: bool,
}

impl fmt::Debug for HyperTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HyperTransport")
            .field("connect_timeout", &self.settings.connect_timeout)
            .field("request_timeout", &self.settings.request_timeout)
            .field("max_response_body", &self.settings.max_response_body)
            .finish_non_exhaustive()
    }
}

impl HyperTransport {
    /// A transport with the default settings (see [`HyperTransportBuilder`]).
    ///
    /// # Errors
    /// When no root certificates can be loaded (only possible with `native-roots`).
    pub fn new() -> Result<Self, TransportError> {
        Self::builder().build()
    }

    /// Starts configuring a transport.
    pub fn builder() -> HyperTransportBuilder {
        HyperTransportBuilder::default()
    }
}

/// Configures a [`HyperTransport`].
///
/// Defaults: connect timeout 10 s, request timeout 300 s (a 64 MiB part at 2 Mbit/s still
/// fits), idle connections kept 90 s, up to 64 idle connections per host, response bodies up
/// to 16 MiB, `http` and `https` both allowed, TCP_NODELAY on.
#[derive(Clone)]
#[must_use]
pub struct HyperTransportBuilder {
    connect_timeout: Option<Duration>,
    request_timeout: Option<Duration>,
    pool_idle_timeout: Option<Duration>,
    pool_max_idle_per_host: usize,
    max_response_body: usize,
    https_only: bool,
    tls_config: Option<rustls::ClientConfig>,
}

impl fmt::Debug for HyperTransportBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HyperTransportBuilder")
            .field("connect_timeout", &self.connect_timeout)
            .field("request_timeout", &self.request_timeout)
            .field("pool_idle_timeout", &self.pool_idle_timeout)
            .field("pool_max_idle_per_host", &self.pool_max_idle_per_host)
            .field("max_response_body", &self.max_response_body)
            .field("https_only", &self.https_only)
            .field("custom_tls_config", &self.tls_config.is_some())
            .finish()
    }
}

impl Default for HyperTransportBuilder {
    fn default() -> Self {
        Self {
            connect_timeout: Some(Duration::from_secs(10)),
            request_timeout: Some(Duration::from_secs(300)),
            pool_idle_timeout: Some(Duration::from_secs(90)),
            pool_max_idle_per_host: 64,
            max_response_body: 16 * 1024 * 1024,
            https_only: false,
            tls_config: None,
        }
    }
}

impl HyperTransportBuilder {
    /// Limit for establishing a connection, TCP and TLS; `None` waits forever.
    pub fn connect_timeout(mut self, timeout: impl Into<Option<Duration>>) -> Self {
        self.connect_timeout = timeout.into();
        self
    }

    /// Limit for one whole exchange (send the request, receive the full response);
    /// `None` waits forever.
    pub fn request_timeout(mut self, timeout: impl Into<Option<Duration>>) -> Self {
        self.request_timeout = timeout.into();
        self
    }

    /// How long an idle pooled connection is kept; `None` keeps it until the peer closes it.
    pub fn pool_idle_timeout(mut self, timeout: impl Into<Option<Duration>>) -> Self {
        self.pool_idle_timeout = timeout.into();
        self
    }

    /// How many idle connections are kept per host. Set it at least to the upload concurrency.
    pub fn pool_max_idle_per_host(mut self, max: usize) -> Self {
        self.pool_max_idle_per_host = max;
        self
    }

    /// The largest response body accepted, in bytes; a larger one is a
    /// [`TransportError::BodyTooLarge`].
    pub fn max_response_body(mut self, bytes: usize) -> Self {
        self.max_response_body = bytes;
        self
    }

    /// Refuse plain `http://` URIs.
    pub fn https_only(mut self, https_only: bool) -> Self {
        self.https_only = https_only;
        self
    }

    /// Use this rustls configuration (custom roots, client certificates) instead of the one
    /// the `webpki-roots` or `native-roots` feature provides.
    pub fn tls_config(mut self, config: rustls::ClientConfig) -> Self {
        self.tls_config = Some(config);
        self
    }

    /// Builds the transport.
    ///
    /// # Errors
    /// [`TransportError::Config`] when no TLS configuration is available: no `tls_config`
    /// was given and neither root-certificate feature is on, or the system's store could not
    /// be read (`native-roots`).
    pub fn build(self) -> Result<HyperTransport, TransportError> {
        let tls_config = match self.tls_config {
            Some(config) => config,
            None => default_tls_config()?,
        };
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_nodelay(true);
        http.set_connect_timeout(self.connect_timeout);
        let connector = hyper_rustls::HttpsConnectorBuilder::new().with_tls_config(tls_config);
        let connector = if self.https_only {
            connector.https_only()
        } else {
            connector.https_or_http()
        };
        let connector = connector.enable_http1().wrap_connector(http);
        let client = Client::builder(TokioExecutor::new())
            .pool_idle_timeout(self.pool_idle_timeout)
            .pool_max_idle_per_host(self.pool_max_idle_per_host)
            .build(connector);
        Ok(HyperTransport {
            client,
            settings: Arc::new(Settings {
                connect_timeout: self.connect_timeout,
                request_timeout: self.request_timeout,
                max_response_body: self.max_response_body,
                https_only: self.https_only,
            }),
        })
    }
}

fn default_tls_config() -> Result<rustls::ClientConfig, TransportError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| TransportError::Config {
            reason: "the ring crypto provider offers no safe TLS version",
            source: Some(Box::new(e)),
        })?;
    #[cfg(feature = "native-roots")]
    {
        let loaded = rustls_native_certs_roots()?;
        Ok(builder.with_root_certificates(loaded).with_no_client_auth())
    }
    #[cfg(all(feature = "webpki-roots", not(feature = "native-roots")))]
    {
        let roots = rustls::RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        };
        Ok(builder.with_root_certificates(roots).with_no_client_auth())
    }
    #[cfg(not(any(feature = "webpki-roots", feature = "native-roots")))]
    {
        let _ = builder;
        Err(TransportError::Config {
            reason: "no root certificates: enable the `webpki-roots` or `native-roots` feature, \
                     or pass `HyperTransportBuilder::tls_config`",
            source: None,
        })
    }
}

#[cfg(feature = "native-roots")]
fn rustls_native_certs_roots() -> Result<rustls::RootCertStore, TransportError> {
    let loaded = rustls_native_certs::load_native_certs();
    let mut roots = rustls::RootCertStore::empty();
    let (added, _ignored) = roots.add_parsable_certificates(loaded.certs);
    if added == 0 {
        return Err(TransportError::Config {
            reason: "the system certificate store holds no usable root certificate",
            source: loaded
                .errors
                .into_iter()
                .next()
                .map(|e| Box::new(e) as crate::BoxError),
        });
    }
    Ok(roots)
}

impl HttpTransport for HyperTransport {
    fn send(
        &self,
        request: Request<Bytes>,
    ) -> BoxFuture<'_, Result<Response<Bytes>, TransportError>> {
        Box::pin(self.exchange(request))
    }
}

impl HyperTransport {
    async fn exchange(&self, request: Request<Bytes>) -> Result<Response<Bytes>, TransportError> {
        // Redacted only when an error needs it: no allocation on the success path.
        let target = request.uri().clone();
        let redacted = || RedactedUri::new(&target);
        if request.uri().host().is_none() {
            return Err(TransportError::InvalidRequest {
                uri: redacted(),
                reason: "the URI has no host",
            });
        }
        if self.settings.https_only && request.uri().scheme() != Some(&http::uri::Scheme::HTTPS) {
            return Err(TransportError::InvalidRequest {
                uri: redacted(),
                reason: "this transport is configured for HTTPS only",
            });
        }
        let (mut parts, body) = request.into_parts();
        // A Content-Length on every byte body, and on bodiless PUT/POST (S3 and lakeFS both
        // answer 411 without one); chunked encoding is never used.
        if !body.is_empty() || matches!(parts.method, Method::PUT | Method::POST | Method::PATCH) {
            parts
                .headers
                .insert(CONTENT_LENGTH, HeaderValue::from(body.len()));
        }
        let request = Request::from_parts(parts, Full::new(body));
        let limit = self.settings.max_response_body;
        let exchange = async {
            let response =
                self.client.request(request).await.map_err(|e| {
                    classify_client_error(&target, self.settings.connect_timeout, e)
                })?;
            let (parts, body) = response.into_parts();
            let collected = Limited::new(body, limit).collect().await.map_err(|e| {
                if e.is::<LengthLimitError>() {
                    TransportError::BodyTooLarge {
                        uri: redacted(),
                        limit,
                    }
                } else {
                    TransportError::Body {
                        uri: redacted(),
                        source: e,
                    }
                }
            })?;
            Ok(Response::from_parts(parts, collected.to_bytes()))
        };
        match self.settings.request_timeout {
            Some(after) => tokio::time::timeout(after, exchange)
                .await
                .unwrap_or_else(|_| {
                    Err(TransportError::Timeout {
                        uri: redacted(),
                        phase: TimeoutPhase::Request,
                        after,
                    })
                }),
            None => exchange.await,
        }
    }
}

/// Sorts a hyper-util client error into the transport's categories by walking its source
/// chain (the TLS error hides inside an `io::Error` from tokio-rustls).
fn classify_client_error(
    uri: &Uri,
    connect_timeout: Option<Duration>,
    error: hyper_util::client::legacy::Error,
) -> TransportError {
    let uri = RedactedUri::new(uri);
    if source_chain(&error).any(is_tls_error) {
        return TransportError::Tls {
            uri,
            source: Box::new(error),
        };
    }
    if error.is_connect() {
        if source_chain(&error).any(|e| {
            e.downcast_ref::<std::io::Error>()
                .is_some_and(|io| io.kind() == std::io::ErrorKind::TimedOut)
        }) {
            return TransportError::Timeout {
                uri,
                phase: TimeoutPhase::Connect,
                after: connect_timeout.unwrap_or_default(),
            };
        }
        return TransportError::Connect {
            uri,
            source: Box::new(error),
        };
    }
    TransportError::Io {
        uri,
        source: Box::new(error),
    }
}

fn source_chain<'a>(
    error: &'a (dyn StdError + 'static),
) -> impl Iterator<Item = &'a (dyn StdError + 'static)> {
    std::iter::successors(Some(error), |&e: &&'a (dyn StdError + 'static)| {
        // io::Error::source skips the wrapped error itself; look inside it too.
        match e
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
        {
            Some(inner) => Some(inner as &(dyn StdError + 'static)),
            None => e.source(),
        }
    })
}

fn is_tls_error(error: &(dyn StdError + 'static)) -> bool {
    error.downcast_ref::<rustls::Error>().is_some()
}
