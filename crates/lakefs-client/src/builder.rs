//! [`ClientBuilder`]: a client's endpoint, credentials, retries and timeouts, the options of
//! the transport it builds, and reading them from lakectl's environment variables.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use http::header::HeaderValue;
use lakefs_transport::HttpTransport;

use crate::client::{Client, Config};
use crate::endpoint::{parse_endpoint, redact_endpoint};
use crate::{Credentials, Error, RetryPolicy};

/// The lakeFS CLI's environment variable for the server URL.
pub const ENV_ENDPOINT: &str = "LAKECTL_SERVER_ENDPOINT_URL";
/// The lakeFS CLI's environment variable for the access key id.
pub const ENV_ACCESS_KEY_ID: &str = "LAKECTL_CREDENTIALS_ACCESS_KEY_ID";
/// The lakeFS CLI's environment variable for the secret access key.
pub const ENV_SECRET_ACCESS_KEY: &str = "LAKECTL_CREDENTIALS_SECRET_ACCESS_KEY";

impl Client<()> {
    /// Starts configuring a client.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// A builder filled from the variables lakeFS's own CLI uses: the endpoint from
    /// `LAKECTL_SERVER_ENDPOINT_URL` and basic credentials from
    /// `LAKECTL_CREDENTIALS_ACCESS_KEY_ID` and `LAKECTL_CREDENTIALS_SECRET_ACCESS_KEY`.
    ///
    /// # Errors
    /// [`ErrorKind::MissingConfig`](crate::ErrorKind::MissingConfig) naming every variable that is unset, empty or not Unicode.
    pub fn from_env() -> Result<ClientBuilder, Error> {
        ClientBuilder::from_lookup(|name| std::env::var(name).ok())
    }
}

/// Configures an [`Client`].
///
/// Defaults: no credentials, user agent `lakefs-rust-sdk/<version>`, [`RetryPolicy::default`],
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
/// use lakefs_client::{Credentials, Client};
/// use lakefs_transport::Proxy;
///
/// # fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let client = Client::builder()
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
                Err(Error::missing_config(format!(
                    "environment variable{} {} not set (or empty or not Unicode)",
                    if missing.len() > 1 { "s" } else { "" },
                    missing.join(", ")
                )))
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
    /// # use lakefs_client::Client;
    /// let builder = Client::builder()
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
    /// # use lakefs_client::Client;
    /// # use lakefs_transport::Proxy;
    /// let builder = Client::from_env()?.http2(true);
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
    /// [`ErrorKind::TransportConfig`](crate::ErrorKind::TransportConfig) if the transport cannot be built (a PEM document without a
    /// certificate, a key that does not match its certificate, an unusable proxy URL…).
    #[cfg(feature = "hyper")]
    pub fn build(self) -> Result<Client<lakefs_transport::HyperTransport>, Error> {
        let transport = self
            .transport_builder()
            .request_timeout(None)
            .build()
            .map_err(Error::transport_config)?;
        self.build_with_transport(transport)
    }

    /// Builds a client over `transport`.
    ///
    /// # Errors
    /// [`ErrorKind::MissingConfig`](crate::ErrorKind::MissingConfig) without an endpoint, [`ErrorKind::InvalidEndpoint`](crate::ErrorKind::InvalidEndpoint) for an
    /// endpoint that is not an `http`/`https` URL with a host (or that carries a query string
    /// or a `user:password@`), [`ErrorKind::InvalidCredentials`](crate::ErrorKind::InvalidCredentials) for credentials that cannot be
    /// put in a header.
    pub fn build_with_transport<T: HttpTransport>(self, transport: T) -> Result<Client<T>, Error> {
        let endpoint = self.endpoint.ok_or_else(|| {
            Error::missing_config("the lakeFS endpoint (ClientBuilder::endpoint)")
        })?;
        let (scheme, authority, base_path) = parse_endpoint(&endpoint)?;
        // Fail now, not at the first call, on credentials that cannot be sent.
        self.credentials.header()?;
        let user_agent = self
            .user_agent
            .unwrap_or_else(|| format!("lakefs-rust-sdk/{}", env!("CARGO_PKG_VERSION")));
        let user_agent = HeaderValue::from_str(&user_agent)
            .map_err(|_| Error::missing_config("a user agent made of visible ASCII characters"))?;
        Ok(Client {
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

#[cfg(test)]
mod tests {
    use super::*;

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
