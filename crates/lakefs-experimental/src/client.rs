//! The client, its builder and the request loop with retries.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::header::{HeaderValue, ACCEPT, CONTENT_TYPE, USER_AGENT};
use http::uri::{Authority, Scheme};
use http::{Request, Response, Uri};
use lakefs_transport::{HttpTransport, RedactedUri};

use crate::call::CallOptions;
use crate::request::{error_from_response, retry_after, ApiRequest};
use crate::{Credentials, Error, RetryPolicy};

/// The lakeFS CLI's environment variable for the server URL.
pub const ENV_ENDPOINT: &str = "LAKECTL_SERVER_ENDPOINT_URL";
/// The lakeFS CLI's environment variable for the access key id.
pub const ENV_ACCESS_KEY_ID: &str = "LAKECTL_CREDENTIALS_ACCESS_KEY_ID";
/// The lakeFS CLI's environment variable for the secret access key.
pub const ENV_SECRET_ACCESS_KEY: &str = "LAKECTL_CREDENTIALS_SECRET_ACCESS_KEY";

/// A client for the 18 `ExperimentalApi` operations, generic over the HTTP transport.
///
/// Cheap to clone: clones share the transport and configuration. Each operation is a method
/// that returns a request builder: name the arguments, then `send()` it.
///
/// ```
/// use lakefs_experimental::{Credentials, ExperimentalClient};
/// use lakefs_transport::fake::FakeTransport;
///
/// let client = ExperimentalClient::builder()
///     .endpoint("http://localhost:8000")
///     .credentials(Credentials::basic("AKIAEXAMPLE", "secret"))
///     .build_with_transport(FakeTransport::new())?;
/// assert_eq!(client.base_url(), "http://localhost:8000/api/v1");
/// # Ok::<(), lakefs_experimental::Error>(())
/// ```
pub struct ExperimentalClient<T> {
    transport: Arc<T>,
    config: Arc<Config>,
}

impl<T> Clone for ExperimentalClient<T> {
    fn clone(&self) -> Self {
        Self {
            transport: Arc::clone(&self.transport),
            config: Arc::clone(&self.config),
        }
    }
}

#[derive(Clone)]
struct Config {
    scheme: Scheme,
    authority: Authority,
    /// Without a trailing slash, e.g. `/api/v1`.
    base_path: String,
    credentials: Credentials,
    user_agent: HeaderValue,
    retry: RetryPolicy,
    timeout: Option<Duration>,
}

impl<T> fmt::Debug for ExperimentalClient<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ExperimentalClient")
            .field("base_url", &self.base_url())
            .field("credentials", &self.config.credentials)
            .field("retry", &self.config.retry)
            .field("timeout", &self.config.timeout)
            .finish_non_exhaustive()
    }
}

impl ExperimentalClient<()> {
    /// Starts configuring a client.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// A builder filled from the variables lakeFS's own CLI uses: the endpoint from
    /// `LAKECTL_SERVER_ENDPOINT_URL` and basic credentials from
    /// `LAKECTL_CREDENTIALS_ACCESS_KEY_ID` and `LAKECTL_CREDENTIALS_SECRET_ACCESS_KEY`.
    ///
    /// # Errors
    /// [`Error::MissingConfig`] naming every variable that is unset, empty or not Unicode.
    pub fn from_env() -> Result<ClientBuilder, Error> {
        ClientBuilder::from_lookup(|name| std::env::var(name).ok())
    }
}

impl<T: HttpTransport> ExperimentalClient<T> {
    /// The transport, for requests that are not API calls (the upload engine's part PUTs go
    /// through it, without the client's credentials).
    #[must_use]
    pub fn transport(&self) -> &T {
        &self.transport
    }

    /// The transport, shared.
    #[must_use]
    pub fn shared_transport(&self) -> Arc<T> {
        Arc::clone(&self.transport)
    }

    /// The retry policy of API calls.
    pub fn retry_policy(&self) -> &RetryPolicy {
        &self.config.retry
    }

    /// Sends `request`, retrying what may be retried, and returns the 2xx answer.
    pub(crate) async fn execute(
        &self,
        request: ApiRequest,
        options: &CallOptions,
    ) -> Result<Response<Bytes>, Error> {
        let uri = self.uri_for(&request)?;
        let retry = options.retry.as_ref().unwrap_or(&self.config.retry);
        let mut call = Call {
            client: self,
            request: &request,
            uri: &uri,
            timeout: options.timeout.unwrap_or(self.config.timeout),
        };
        crate::retry::run(retry, &mut call).await
    }

    async fn attempt(
        &self,
        request: &ApiRequest,
        uri: &Uri,
        timeout: Option<Duration>,
    ) -> Result<Response<Bytes>, Error> {
        let operation = request.operation;
        let mut builder = Request::builder()
            .method(operation.method())
            .uri(uri.clone())
            .header(USER_AGENT, self.config.user_agent.clone())
            .header(ACCEPT, HeaderValue::from_static("application/json"));
        if request.body.is_some() {
            builder = builder.header(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        }
        let mut http_request = builder
            .body(request.body.clone().unwrap_or_default())
            .map_err(|_| Error::InvalidArgument {
                operation,
                argument: "request",
                reason: "could not be assembled into an HTTP request".into(),
            })?;
        if operation.is_authenticated() {
            self.config.credentials.apply(http_request.headers_mut())?;
        }
        let send = self.transport.send(http_request);
        let result = match timeout {
            Some(after) => tokio::time::timeout(after, send)
                .await
                .map_err(|_| Error::Timeout { operation, after })?,
            None => send.await,
        };
        result.map_err(|source| Error::Transport { operation, source })
    }

    fn uri_for(&self, request: &ApiRequest) -> Result<Uri, Error> {
        let path_and_query = format!("{}{}", self.config.base_path, request.path_and_query());
        Uri::builder()
            .scheme(self.config.scheme.clone())
            .authority(self.config.authority.clone())
            .path_and_query(path_and_query)
            .build()
            .map_err(|_| Error::InvalidArgument {
                operation: request.operation,
                argument: "path",
                reason: "does not form a valid URI".into(),
            })
    }
}

impl<T> ExperimentalClient<T> {
    /// The API's base URL, e.g. `http://localhost:8000/api/v1`.
    #[must_use]
    pub fn base_url(&self) -> String {
        format!(
            "{}://{}{}",
            self.config.scheme, self.config.authority, self.config.base_path
        )
    }

    /// The same client with other credentials (for example the token from `sts_login`).
    #[must_use]
    pub fn with_credentials(&self, credentials: Credentials) -> Self {
        let config = Config {
            credentials,
            ..Config::clone(&self.config)
        };
        Self {
            transport: Arc::clone(&self.transport),
            config: Arc::new(config),
        }
    }

    /// The same client with another retry policy for every call (one call can also override
    /// it with its builder's `retry_policy`).
    #[must_use]
    pub fn with_retry_policy(&self, retry: RetryPolicy) -> Self {
        let config = Config {
            retry,
            ..Config::clone(&self.config)
        };
        Self {
            transport: Arc::clone(&self.transport),
            config: Arc::new(config),
        }
    }
}

/// Configures an [`ExperimentalClient`].
///
/// Defaults: no credentials, user agent `lakefs-rs/<version>`, [`RetryPolicy::default`],
/// a 60 s timeout per attempt, and for the default transport a 10 s connect timeout (TCP,
/// proxy and TLS handshake together) and the other defaults of
/// [`HyperTransportBuilder`](lakefs_transport::HyperTransportBuilder): proxies from
/// `HTTPS_PROXY` / `HTTP_PROXY` / `NO_PROXY`, HTTP/1.1, built-in root certificates.
///
/// The transport options (proxy, roots, client certificate, server name, HTTP/2, keepalive,
/// pool, response size cap) configure the transport [`build`](Self::build) makes; a client
/// made with [`build_with_transport`](Self::build_with_transport) ignores them.
///
/// ```no_run
/// use lakefs_experimental::{Credentials, ExperimentalClient};
/// use lakefs_transport::Proxy;
///
/// # fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let client = ExperimentalClient::builder()
///     .endpoint("https://lakefs.corp.example")
///     .credentials(Credentials::basic("AKIA...", "secret"))
///     .proxy(Proxy::all("http://proxy.corp.example:3128").no_proxy(".corp.example"))
///     .add_root_certificates_pem(std::fs::read("corp-ca.pem")?)
///     .client_identity_pem(std::fs::read("me.crt")?, std::fs::read("me.key")?)
///     .build()?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
#[must_use]
pub struct ClientBuilder {
    endpoint: Option<String>,
    credentials: Credentials,
    user_agent: Option<String>,
    retry: RetryPolicy,
    timeout: Option<Duration>,
    connect_timeout: Option<Duration>,
    /// The options of the transport `build` makes (its connect timeout aside).
    #[cfg(feature = "hyper")]
    transport: lakefs_transport::HyperTransportBuilder,
}

impl Default for ClientBuilder {
    fn default() -> Self {
        Self {
            endpoint: None,
            credentials: Credentials::None,
            user_agent: None,
            retry: RetryPolicy::default(),
            timeout: Some(Duration::from_secs(60)),
            connect_timeout: Some(Duration::from_secs(10)),
            #[cfg(feature = "hyper")]
            transport: lakefs_transport::HyperTransportBuilder::default(),
        }
    }
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let endpoint = self.endpoint.as_deref().map(redact_endpoint);
        let mut debug = f.debug_struct("ClientBuilder");
        debug
            .field("endpoint", &endpoint)
            .field("credentials", &self.credentials)
            .field("user_agent", &self.user_agent)
            .field("retry", &self.retry)
            .field("timeout", &self.timeout)
            .field("connect_timeout", &self.connect_timeout);
        // Redacted by the transport builder: no proxy credentials, no key material.
        #[cfg(feature = "hyper")]
        debug.field("transport", &self.transport);
        debug.finish()
    }
}

fn redact_endpoint(endpoint: &str) -> String {
    endpoint
        .parse::<Uri>()
        .map(|uri| RedactedUri::new(&uri).to_string())
        .unwrap_or_else(|_| "<not a URL>".into())
}

impl ClientBuilder {
    pub(crate) fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, Error> {
        let read = |name: &'static str| lookup(name).filter(|value| !value.is_empty()).ok_or(name);
        let endpoint = read(ENV_ENDPOINT);
        let access_key_id = read(ENV_ACCESS_KEY_ID);
        let secret = read(ENV_SECRET_ACCESS_KEY);
        match (endpoint, access_key_id, secret) {
            (Ok(endpoint), Ok(access_key_id), Ok(secret)) => Ok(Self::default()
                .endpoint(endpoint)
                .credentials(Credentials::basic(access_key_id, secret))),
            (endpoint, access_key_id, secret) => {
                let missing: Vec<&str> = [endpoint.err(), access_key_id.err(), secret.err()]
                    .into_iter()
                    .flatten()
                    .collect();
                Err(Error::MissingConfig {
                    what: format!(
                        "environment variable{} {} not set (or empty or not Unicode)",
                        if missing.len() > 1 { "s" } else { "" },
                        missing.join(", ")
                    ),
                })
            }
        }
    }

    /// The lakeFS server: `http://host:8000` or `http://host:8000/api/v1` alike (`/api/v1` is
    /// added when the URL has no path, as lakeFS's own clients do).
    pub fn endpoint(mut self, endpoint: impl Into<String>) -> Self {
        self.endpoint = Some(endpoint.into());
        self
    }

    /// The credentials sent with every call but `sts_login`.
    pub fn credentials(mut self, credentials: Credentials) -> Self {
        self.credentials = credentials;
        self
    }

    /// The `User-Agent` header.
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = Some(user_agent.into());
        self
    }

    /// How failed calls are retried ([`RetryPolicy::none`] turns retries off).
    pub fn retry_policy(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// Limit for one attempt of one call; `None` waits forever.
    pub fn timeout(mut self, timeout: impl Into<Option<Duration>>) -> Self {
        self.timeout = timeout.into();
        self
    }

    /// Limit for establishing a connection: DNS, TCP, a proxy's `CONNECT` and the TLS
    /// handshake together (used by [`build`](Self::build)'s transport).
    pub fn connect_timeout(mut self, timeout: impl Into<Option<Duration>>) -> Self {
        self.connect_timeout = timeout.into();
        self
    }

    /// Sends requests through this proxy configuration instead of the environment's
    /// (`Proxy::none()` turns proxies off); see [`Proxy`](lakefs_transport::Proxy). The
    /// Python client's `proxy` and `proxy_headers`.
    #[cfg(feature = "hyper")]
    pub fn proxy(mut self, proxy: lakefs_transport::Proxy) -> Self {
        self.transport = self.transport.proxy(proxy);
        self
    }

    /// Whether, without an explicit [`proxy`](Self::proxy), the proxy comes from
    /// `HTTPS_PROXY` / `HTTP_PROXY` / `ALL_PROXY` / `NO_PROXY` (default: yes).
    #[cfg(feature = "hyper")]
    pub fn proxy_from_env(mut self, enabled: bool) -> Self {
        self.transport = self.transport.proxy_from_env(enabled);
        self
    }

    /// Trusts the CA certificates of this PEM document as well (the Python client's
    /// `ssl_ca_cert`); see
    /// [`HyperTransportBuilder::add_root_certificates_pem`](lakefs_transport::HyperTransportBuilder::add_root_certificates_pem).
    #[cfg(feature = "hyper")]
    pub fn add_root_certificates_pem(mut self, pem: impl AsRef<[u8]>) -> Self {
        self.transport = self.transport.add_root_certificates_pem(pem);
        self
    }

    /// Whether the built-in root certificates are trusted (default: yes); off, only those of
    /// [`add_root_certificates_pem`](Self::add_root_certificates_pem) are.
    #[cfg(feature = "hyper")]
    pub fn tls_built_in_roots(mut self, enabled: bool) -> Self {
        self.transport = self.transport.tls_built_in_roots(enabled);
        self
    }

    /// Presents this client certificate (PEM chain, PEM key) for mutual TLS (the Python
    /// client's `cert_file` / `key_file`).
    #[cfg(feature = "hyper")]
    pub fn client_identity_pem(
        mut self,
        certificate_chain: impl AsRef<[u8]>,
        private_key: impl AsRef<[u8]>,
    ) -> Self {
        self.transport = self
            .transport
            .client_identity_pem(certificate_chain, private_key);
        self
    }

    /// Verifies the server's certificate (and sends SNI) for this name instead of the
    /// endpoint's host (the Python client's `tls_server_name`).
    #[cfg(feature = "hyper")]
    pub fn tls_server_name(mut self, name: impl Into<String>) -> Self {
        self.transport = self.transport.tls_server_name(name);
        self
    }

    /// **Dangerous**: accepts any server certificate (the Python client's
    /// `verify_ssl = False`). For throwaway test servers only; logs a warning when built.
    #[cfg(feature = "hyper")]
    pub fn danger_accept_invalid_certs(mut self, accept: bool) -> Self {
        self.transport = self.transport.danger_accept_invalid_certs(accept);
        self
    }

    /// Offers HTTP/2 by ALPN to `https://` endpoints (default: off, HTTP/1.1).
    #[cfg(feature = "hyper")]
    pub fn http2(mut self, enabled: bool) -> Self {
        self.transport = self.transport.http2(enabled);
        self
    }

    /// TCP keepalive probes after this much idle time (default 60 s; `None`: off).
    #[cfg(feature = "hyper")]
    pub fn tcp_keepalive(mut self, idle: impl Into<Option<Duration>>) -> Self {
        self.transport = self.transport.tcp_keepalive(idle);
        self
    }

    /// How long idle pooled connections are kept (default 90 s; `None`: until closed).
    #[cfg(feature = "hyper")]
    pub fn pool_idle_timeout(mut self, timeout: impl Into<Option<Duration>>) -> Self {
        self.transport = self.transport.pool_idle_timeout(timeout);
        self
    }

    /// How many idle connections are kept per host (default 64; the Python client's
    /// `connection_pool_maxsize`).
    #[cfg(feature = "hyper")]
    pub fn pool_max_idle_per_host(mut self, max: usize) -> Self {
        self.transport = self.transport.pool_max_idle_per_host(max);
        self
    }

    /// The largest response body accepted, in bytes (default 16 MiB); a larger one fails
    /// the call with a `BodyTooLarge` transport error.
    #[cfg(feature = "hyper")]
    pub fn max_response_body(mut self, bytes: usize) -> Self {
        self.transport = self.transport.max_response_body(bytes);
        self
    }

    /// Changes any other setting of the transport [`build`](Self::build) makes (the connect
    /// timeout is [`connect_timeout`](Self::connect_timeout)'s; the request timeout is the
    /// client's per-attempt [`timeout`](Self::timeout)).
    ///
    /// ```
    /// # use lakefs_experimental::ExperimentalClient;
    /// let builder = ExperimentalClient::builder()
    ///     .endpoint("https://lakefs.example")
    ///     .configure_transport(|transport| transport.https_only(true));
    /// ```
    #[cfg(feature = "hyper")]
    pub fn configure_transport(
        mut self,
        configure: impl FnOnce(
            lakefs_transport::HyperTransportBuilder,
        ) -> lakefs_transport::HyperTransportBuilder,
    ) -> Self {
        self.transport = configure(self.transport);
        self
    }

    /// The transport settings configured so far, connect timeout included: a start for a
    /// second transport that shares them, such as the upload engine's data-plane transport
    /// for presigned part PUTs, with changes of its own:
    ///
    /// ```no_run
    /// # use lakefs_experimental::ExperimentalClient;
    /// # use lakefs_transport::Proxy;
    /// let builder = ExperimentalClient::from_env()?.http2(true);
    /// let data_plane = builder
    ///     .transport_builder()
    ///     .http2(false) // the object store: HTTP/1.1, one connection per part in flight
    ///     .proxy(Proxy::none())
    ///     .build()?;
    /// let client = builder.build()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[cfg(feature = "hyper")]
    pub fn transport_builder(&self) -> lakefs_transport::HyperTransportBuilder {
        // No whole-request deadline: a big part may take long; the upload engine detects a
        // stalled PUT by its progress, and API calls have the client's own timeout.
        self.transport
            .clone()
            .connect_timeout(self.connect_timeout)
            .request_timeout(None)
    }

    /// Builds a client over a [`HyperTransport`](lakefs_transport::HyperTransport) made
    /// with the transport options above (its request timeout off: the client's per-attempt
    /// [`timeout`](Self::timeout) applies).
    ///
    /// # Errors
    /// As [`build_with_transport`](Self::build_with_transport), and
    /// [`Error::TransportConfig`] if the transport cannot be built (a PEM document without a
    /// certificate, a key that does not match its certificate, an unusable proxy URL…).
    #[cfg(feature = "hyper")]
    pub fn build(self) -> Result<ExperimentalClient<lakefs_transport::HyperTransport>, Error> {
        let transport = self
            .transport_builder()
            .request_timeout(None)
            .build()
            .map_err(Error::TransportConfig)?;
        self.build_with_transport(transport)
    }

    /// Builds a client over `transport`.
    ///
    /// # Errors
    /// [`Error::MissingConfig`] without an endpoint, [`Error::InvalidEndpoint`] for an
    /// endpoint that is not an `http`/`https` URL with a host (or that carries a query string
    /// or a `user:password@`), [`Error::InvalidCredentials`] for credentials that cannot be
    /// put in a header.
    pub fn build_with_transport<T: HttpTransport>(
        self,
        transport: T,
    ) -> Result<ExperimentalClient<T>, Error> {
        let endpoint = self.endpoint.ok_or_else(|| Error::MissingConfig {
            what: "the lakeFS endpoint (ClientBuilder::endpoint)".into(),
        })?;
        let (scheme, authority, base_path) = parse_endpoint(&endpoint)?;
        // Fail now, not at the first call, on credentials that cannot be sent.
        self.credentials.header()?;
        let user_agent = self
            .user_agent
            .unwrap_or_else(|| format!("lakefs-rs/{}", env!("CARGO_PKG_VERSION")));
        let user_agent = HeaderValue::from_str(&user_agent).map_err(|_| Error::MissingConfig {
            what: "a user agent made of visible ASCII characters".into(),
        })?;
        Ok(ExperimentalClient {
            transport: Arc::new(transport),
            config: Arc::new(Config {
                scheme,
                authority,
                base_path,
                credentials: self.credentials,
                user_agent,
                retry: self.retry,
                timeout: self.timeout,
            }),
        })
    }
}

fn parse_endpoint(endpoint: &str) -> Result<(Scheme, Authority, String), Error> {
    let invalid = |reason| Error::InvalidEndpoint {
        endpoint: redact_endpoint(endpoint),
        reason,
    };
    let uri: Uri = endpoint
        .trim()
        .parse()
        .map_err(|_| invalid("not a valid URL"))?;
    let scheme = uri
        .scheme()
        .cloned()
        .ok_or_else(|| invalid("needs a scheme, http:// or https://"))?;
    if scheme != Scheme::HTTP && scheme != Scheme::HTTPS {
        return Err(invalid("the scheme must be http or https"));
    }
    let authority = uri
        .authority()
        .cloned()
        .ok_or_else(|| invalid("needs a host"))?;
    if authority.as_str().contains('@') {
        return Err(invalid(
            "must not carry user:password@; pass credentials with ClientBuilder::credentials",
        ));
    }
    if authority.host().is_empty() {
        return Err(invalid("needs a host"));
    }
    if uri.query().is_some() {
        return Err(invalid("must not have a query string"));
    }
    let path = uri.path().trim_end_matches('/');
    let base_path = if path.is_empty() {
        "/api/v1".to_owned()
    } else {
        path.to_owned()
    };
    Ok((scheme, authority, base_path))
}

/// One API call's attempts, for the retry loop: a failure is retried when it may be mended and
/// repeating the operation is safe (it is idempotent, or the failure proves lakeFS did not act).
struct Call<'a, T> {
    client: &'a ExperimentalClient<T>,
    request: &'a ApiRequest,
    uri: &'a Uri,
    timeout: Option<Duration>,
}

impl<T: HttpTransport> crate::retry::Attempts for Call<'_, T> {
    type Output = Response<Bytes>;
    type Error = Error;

    async fn attempt(
        &mut self,
        attempt: &mut crate::retry::Attempt,
    ) -> crate::retry::Outcome<Response<Bytes>, Error> {
        use crate::retry::Outcome;
        let operation = self.request.operation;
        let (error, server_wait) = match self
            .client
            .attempt(self.request, self.uri, self.timeout)
            .await
        {
            Ok(response) if response.status().is_success() => return Outcome::Done(Ok(response)),
            Ok(response) => {
                // An answer, even an error, is progress: the server is there.
                attempt.progressed();
                let error = error_from_response(operation, &response);
                let wait = match &error {
                    Error::TooManyRequests { retry_after, .. } => *retry_after,
                    _ => retry_after(&response),
                };
                (error, wait)
            }
            Err(error) => (error, None),
        };
        let safe = operation.is_idempotent() || error.proves_not_applied();
        if error.is_retryable() && safe {
            Outcome::Retry {
                error,
                retry_after: server_wait,
            }
        } else {
            Outcome::Done(Err(error))
        }
    }

    fn before_retry(&mut self, error: &Error, number: u32, wait: Duration) {
        tracing::debug!(
            operation = self.request.operation.id(),
            attempt = number,
            ?wait,
            error = %error,
            "retrying a lakeFS call"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base(endpoint: &str) -> Result<String, Error> {
        parse_endpoint(endpoint).map(|(s, a, p)| format!("{s}://{a}{p}"))
    }

    #[test]
    fn endpoints_with_and_without_api_path() {
        assert_eq!(
            base("http://localhost:8000").unwrap(),
            "http://localhost:8000/api/v1"
        );
        assert_eq!(
            base("http://localhost:8000/").unwrap(),
            "http://localhost:8000/api/v1"
        );
        assert_eq!(
            base("http://localhost:8000/api/v1").unwrap(),
            "http://localhost:8000/api/v1"
        );
        assert_eq!(
            base("https://lakefs.example/api/v1/").unwrap(),
            "https://lakefs.example/api/v1"
        );
        assert_eq!(
            base("https://proxy.example/lakefs/api/v1").unwrap(),
            "https://proxy.example/lakefs/api/v1"
        );
    }

    #[test]
    fn bad_endpoints_say_what_is_wrong() {
        for (endpoint, expected) in [
            ("localhost:8000", "scheme"),
            ("ftp://host", "http or https"),
            ("http://user:pw@host", "user:password@"),
            ("http://host?x=1", "query string"),
            ("not a url", "not a valid URL"),
        ] {
            let error = base(endpoint).unwrap_err().to_string();
            assert!(error.contains(expected), "{endpoint}: {error}");
            assert!(!error.contains("pw"), "{error}");
        }
    }

    #[test]
    fn from_env_names_every_missing_variable() {
        let error = ClientBuilder::from_lookup(|name| {
            (name == ENV_ENDPOINT).then(|| "http://h:8000".to_owned())
        })
        .unwrap_err()
        .to_string();
        assert!(
            error.contains(ENV_ACCESS_KEY_ID) && error.contains(ENV_SECRET_ACCESS_KEY),
            "{error}"
        );
        assert!(!error.contains(ENV_ENDPOINT), "{error}");

        let empty = ClientBuilder::from_lookup(|name| {
            Some(if name == ENV_SECRET_ACCESS_KEY {
                String::new()
            } else {
                "x".into()
            })
        })
        .unwrap_err()
        .to_string();
        assert!(
            empty.contains(ENV_SECRET_ACCESS_KEY) && empty.contains("variable "),
            "{empty}"
        );

        let builder = ClientBuilder::from_lookup(|name| {
            Some(match name {
                ENV_ENDPOINT => "http://h:8000".into(),
                ENV_ACCESS_KEY_ID => "AKIA".into(),
                _ => "s3cr3t".into(),
            })
        })
        .unwrap();
        assert_eq!(builder.credentials, Credentials::basic("AKIA", "s3cr3t"));
        assert!(!format!("{builder:?}").contains("s3cr3t"));
    }
}
