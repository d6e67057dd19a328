//! [`HyperTransportBuilder`]: timeouts, pool, proxies, trust, client certificates and HTTP/2
//! of a [`HyperTransport`].

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioTimer};

use super::connect::Connector;
use super::tls::{self, TlsOptions};
use super::{HyperTransport, Settings};
use crate::{Proxy, TransportError};

/// Configures a [`HyperTransport`].
///
/// Defaults: connect timeout 10 s (TCP, proxy and TLS handshake together), request timeout
/// 300 s (a 64 MiB part at 2 Mbit/s still fits), idle connections kept 90 s, up to 64 idle
/// connections per host, TCP keepalive probes after 60 s idle, response bodies up to 16 MiB,
/// `http` and `https` both allowed, TCP_NODELAY on, HTTP/1.1 only (see
/// [`http2`](Self::http2)), proxies from the environment ([`Proxy::from_env`]), roots from
/// the `webpki-roots` or `native-roots` feature.
///
/// `Debug` shows the settings without secrets: no proxy credentials or header values, no
/// key material.
#[derive(Clone)]
#[must_use]
pub struct HyperTransportBuilder {
    connect_timeout: Option<Duration>,
    request_timeout: Option<Duration>,
    pool_idle_timeout: Option<Duration>,
    pool_max_idle_per_host: usize,
    tcp_keepalive: Option<Duration>,
    http2_keep_alive_interval: Option<Duration>,
    max_response_body: usize,
    https_only: bool,
    http2: bool,
    /// `None`: from the environment at build time, unless `proxy_from_env` is off.
    proxy: Option<Proxy>,
    proxy_from_env: bool,
    tls: TlsOptions,
    tls_server_name: Option<String>,
}

impl fmt::Debug for HyperTransportBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HyperTransportBuilder")
            .field("connect_timeout", &self.connect_timeout)
            .field("request_timeout", &self.request_timeout)
            .field("pool_idle_timeout", &self.pool_idle_timeout)
            .field("pool_max_idle_per_host", &self.pool_max_idle_per_host)
            .field("tcp_keepalive", &self.tcp_keepalive)
            .field("http2_keep_alive_interval", &self.http2_keep_alive_interval)
            .field("max_response_body", &self.max_response_body)
            .field("https_only", &self.https_only)
            .field("http2", &self.http2)
            .field("proxy", &self.proxy)
            .field("proxy_from_env", &self.proxy_from_env)
            .field("tls", &self.tls)
            .field("tls_server_name", &self.tls_server_name)
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
            tcp_keepalive: Some(Duration::from_secs(60)),
            http2_keep_alive_interval: None,
            max_response_body: 16 * 1024 * 1024,
            https_only: false,
            http2: false,
            proxy: None,
            proxy_from_env: true,
            tls: TlsOptions::default(),
            tls_server_name: None,
        }
    }
}

impl HyperTransportBuilder {
    /// Limit for opening a connection: DNS, TCP, the proxy's `CONNECT` and the TLS handshake
    /// together; `None` waits forever. Its expiry is a [`TransportErrorKind::Timeout`](crate::TransportErrorKind::Timeout) in the
    /// [`Connect`](crate::TimeoutPhase::Connect) phase: the request was never sent.
    pub fn connect_timeout(mut self, timeout: impl Into<Option<Duration>>) -> Self {
        self.connect_timeout = timeout.into();
        self
    }

    /// Limit for one whole exchange (connect, send the request, receive the full response);
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

    /// How many idle connections are kept per host (the Python client's
    /// `connection_pool_maxsize`). Set it at least to the upload concurrency; 0 closes every
    /// connection after its request.
    pub fn pool_max_idle_per_host(mut self, max: usize) -> Self {
        self.pool_max_idle_per_host = max;
        self
    }

    /// Sends TCP keepalive probes after a connection has been idle this long (`SO_KEEPALIVE`,
    /// `TCP_KEEPIDLE`), so that NAT gateways and firewalls keep pooled connections open and
    /// dead peers are noticed; `None` turns keepalive off.
    pub fn tcp_keepalive(mut self, idle: impl Into<Option<Duration>>) -> Self {
        self.tcp_keepalive = idle.into();
        self
    }

    /// Sends HTTP/2 PING frames this often on HTTP/2 connections (`None`, the default, sends
    /// none); a connection whose ping is not answered within 20 s is closed.
    pub fn http2_keep_alive_interval(mut self, interval: impl Into<Option<Duration>>) -> Self {
        self.http2_keep_alive_interval = interval.into();
        self
    }

    /// The largest response body accepted, in bytes; a larger one is a
    /// [`TransportErrorKind::BodyTooLarge`](crate::TransportErrorKind::BodyTooLarge).
    pub fn max_response_body(mut self, bytes: usize) -> Self {
        self.max_response_body = bytes;
        self
    }

    /// Refuse plain `http://` URIs.
    pub fn https_only(mut self, https_only: bool) -> Self {
        self.https_only = https_only;
        self
    }

    /// Offer HTTP/2 in the TLS handshake (ALPN `h2`, then `http/1.1`): servers that choose it
    /// get every request to their host multiplexed on one connection; others, and every
    /// plain `http://` URI, use HTTP/1.1. Off by default: on loopback, HTTP/1.1 with a pool of
    /// connections is as fast for API calls and faster for large part PUTs (README,
    /// "Performance").
    pub fn http2(mut self, enabled: bool) -> Self {
        self.http2 = enabled;
        self
    }

    /// Send requests through this proxy configuration instead of the environment's; see
    /// [`Proxy`]. `Proxy::none()` turns proxies off.
    pub fn proxy(mut self, proxy: Proxy) -> Self {
        self.proxy = Some(proxy);
        self
    }

    /// Whether, without an explicit [`proxy`](Self::proxy), the proxy is read from
    /// `HTTPS_PROXY` / `HTTP_PROXY` / `ALL_PROXY` / `NO_PROXY` when the transport is built
    /// (default: yes).
    pub fn proxy_from_env(mut self, enabled: bool) -> Self {
        self.proxy_from_env = enabled;
        self
    }

    /// Trust the CA certificates in this PEM document (one or more `CERTIFICATE` blocks), in
    /// addition to the built-in roots (or instead of them, with
    /// [`tls_built_in_roots(false)`](Self::tls_built_in_roots)). May be called more than
    /// once. Checked by [`build`](Self::build). The Python client's `ssl_ca_cert`.
    pub fn add_root_certificates_pem(mut self, pem: impl AsRef<[u8]>) -> Self {
        self.tls.extra_roots_pem.push(pem.as_ref().to_vec());
        self
    }

    /// Whether the roots of the `webpki-roots` or `native-roots` feature are trusted (default:
    /// yes). Off, only the certificates of
    /// [`add_root_certificates_pem`](Self::add_root_certificates_pem) are.
    pub fn tls_built_in_roots(mut self, enabled: bool) -> Self {
        self.tls.without_built_in_roots = !enabled;
        self
    }

    /// Present this client certificate when a server asks for one (mutual TLS): a PEM
    /// certificate chain (leaf first) and its PEM private key (PKCS#8, PKCS#1 or SEC1).
    /// Checked by [`build`](Self::build); neither `Debug` nor any error shows the key. The
    /// Python client's `cert_file` / `key_file`.
    pub fn client_identity_pem(
        mut self,
        certificate_chain: impl AsRef<[u8]>,
        private_key: impl AsRef<[u8]>,
    ) -> Self {
        self.tls.identity_pem = Some((
            certificate_chain.as_ref().to_vec(),
            private_key.as_ref().to_vec(),
        ));
        self
    }

    /// Use this name for SNI and to verify the certificate of every `https://` server this
    /// transport talks to, instead of the host in the URI (for a server reached by IP address
    /// or through a tunnel, whose certificate names another host). A DNS name or an IP
    /// address. The Python client's `tls_server_name`.
    pub fn tls_server_name(mut self, name: impl Into<String>) -> Self {
        self.tls_server_name = Some(name.into());
        self
    }

    /// **Dangerous**: accept any server certificate, expired, self-signed or for another
    /// name. Anyone on the path can then impersonate the server and read the credentials
    /// sent to it. For tests against throwaway servers only; [`build`](Self::build) logs a
    /// warning. Off by default. The Python client's `verify_ssl = False`.
    pub fn danger_accept_invalid_certs(mut self, accept: bool) -> Self {
        self.tls.accept_invalid_certs = accept;
        self
    }

    /// Use this rustls configuration instead of building one from the root and client
    /// certificate options (which must then be left unset). Its ALPN protocols are replaced
    /// according to [`http2`](Self::http2).
    pub fn tls_config(mut self, config: rustls::ClientConfig) -> Self {
        self.tls.custom = Some(config);
        self
    }

    /// Builds the transport. Reads the proxy environment variables now (unless a proxy was
    /// given or [`proxy_from_env`](Self::proxy_from_env) is off).
    ///
    /// # Errors
    /// [`TransportErrorKind::Config`](crate::TransportErrorKind::Config) when a setting is unusable: a PEM document without a
    /// certificate, a client key that does not match, a server name that is neither a DNS
    /// name nor an IP address, an explicit proxy URL that is not `http://` or `https://`,
    /// `tls_config` combined with root or client certificate options, or no root certificate
    /// at all (no root feature and no extra roots).
    pub fn build(self) -> Result<HyperTransport, TransportError> {
        let tls_config = self.tls.client_config(self.http2)?;
        let server_name = self
            .tls_server_name
            .as_deref()
            .map(tls::server_name)
            .transpose()?;
        let proxy = match &self.proxy {
            Some(proxy) => proxy.resolve()?,
            None if self.proxy_from_env => Proxy::from_env().resolve()?,
            None => None,
        };
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_nodelay(true);
        http.set_keepalive(self.tcp_keepalive);
        // The connector applies the connect timeout to TCP, proxy and TLS together.
        http.set_connect_timeout(None);
        let connector = Connector::new(
            http,
            tls_config,
            server_name,
            proxy.clone(),
            self.connect_timeout,
        );
        let mut client = Client::builder(TokioExecutor::new());
        client
            .pool_idle_timeout(self.pool_idle_timeout)
            .pool_max_idle_per_host(self.pool_max_idle_per_host)
            .pool_timer(TokioTimer::new())
            .timer(TokioTimer::new());
        if let Some(interval) = self.http2_keep_alive_interval {
            client
                .http2_keep_alive_interval(interval)
                .http2_keep_alive_timeout(Duration::from_secs(20));
        }
        let client = client.build(connector);
        // Keep the settings for `Debug`, without the key material.
        let mut built_from = self;
        for pem in &mut built_from.tls.extra_roots_pem {
            pem.clear();
        }
        if let Some((chain, key)) = &mut built_from.tls.identity_pem {
            chain.clear();
            key.clear();
        }
        Ok(HyperTransport {
            client,
            settings: Arc::new(Settings {
                request_timeout: built_from.request_timeout,
                max_response_body: built_from.max_response_body,
                https_only: built_from.https_only,
                proxy,
                built_from,
            }),
        })
    }
}
