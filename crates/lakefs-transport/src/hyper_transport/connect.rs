//! The connector of [`HyperTransport`](super::HyperTransport): TCP and DNS through
//! hyper-util's `HttpConnector`, then an optional proxy (TLS to it, a `CONNECT` tunnel through
//! it), then TLS to the destination with ALPN — all of it under the connect timeout.

use std::fmt;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use http::{StatusCode, Uri};
use hyper_util::client::legacy::connect::{Connected, Connection, HttpConnector};
use hyper_util::rt::TokioIo;
use rustls::pki_types::ServerName;
use rustls::ClientConfig;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;
use tokio_rustls::TlsConnector;
use tower_service::Service;

use super::tls::ALPN_H2;
use crate::proxy::{ProxyRoute, ResolvedProxy};
use crate::{BoxError, RedactedUri};

/// The largest `CONNECT` response head read from a proxy.
const MAX_PROXY_RESPONSE_HEAD: usize = 16 * 1024;

/// Opens connections for hyper-util's pooled client. Cheap to clone.
#[derive(Clone)]
pub(super) struct Connector {
    inner: Arc<Inner>,
}

struct Inner {
    tcp: HttpConnector,
    tls: TlsConnector,
    /// For `https://` proxies: the same trust, offering HTTP/1.1 only.
    proxy_tls: TlsConnector,
    server_name: Option<ServerName<'static>>,
    proxy: Option<Arc<ResolvedProxy>>,
    timeout: Option<Duration>,
}

impl Connector {
    pub(super) fn new(
        tcp: HttpConnector,
        tls: ClientConfig,
        server_name: Option<ServerName<'static>>,
        proxy: Option<Arc<ResolvedProxy>>,
        timeout: Option<Duration>,
    ) -> Self {
        let mut proxy_tls = tls.clone();
        proxy_tls.alpn_protocols = vec![super::tls::ALPN_HTTP1.to_vec()];
        Self {
            inner: Arc::new(Inner {
                tcp,
                tls: TlsConnector::from(Arc::new(tls)),
                proxy_tls: TlsConnector::from(Arc::new(proxy_tls)),
                server_name,
                proxy,
                timeout,
            }),
        }
    }
}

impl Service<Uri> for Connector {
    type Response = Conn;
    type Error = ConnectError;
    type Future = Pin<Box<dyn Future<Output = Result<Conn, ConnectError>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, destination: Uri) -> Self::Future {
        let inner = Arc::clone(&self.inner);
        Box::pin(async move {
            match inner.timeout {
                Some(after) => tokio::time::timeout(after, inner.connect(destination))
                    .await
                    .unwrap_or_else(|_| Err(ConnectError::new(ConnectErrorKind::Timeout(after)))),
                None => inner.connect(destination).await,
            }
        })
    }
}

impl Inner {
    async fn connect(&self, destination: Uri) -> Result<Conn, ConnectError> {
        let https = match destination.scheme_str() {
            Some("https") => true,
            Some("http") => false,
            _ => {
                return Err(ConnectError::new(ConnectErrorKind::Destination(
                    "the scheme is neither http nor https",
                )))
            }
        };
        let host = destination
            .host()
            .filter(|host| !host.is_empty())
            .ok_or_else(|| {
                ConnectError::new(ConnectErrorKind::Destination("the URI has no host"))
            })?;
        let route = self
            .proxy
            .as_ref()
            .and_then(|proxy| proxy.route(&destination));
        let Some(route) = route else {
            let stream = Stream::Tcp(self.tcp(destination.clone(), None).await?);
            return if https {
                self.tls(host, stream).await
            } else {
                Ok(Conn::new(stream, false, false))
            };
        };
        let proxy = RedactedUri::new(&route.uri);
        let tcp = self.tcp(route.uri.clone(), Some(&proxy)).await?;
        let mut stream = Stream::Tcp(tcp);
        if route.uri.scheme_str() == Some("https") {
            let name = route.uri.host().unwrap_or_default();
            let name = super::tls::server_name(name).map_err(|e| {
                ConnectError::new(ConnectErrorKind::ProxyTls)
                    .proxy(&proxy)
                    .source(e)
            })?;
            let tls = self.proxy_tls.connect(name, stream).await.map_err(|e| {
                ConnectError::new(ConnectErrorKind::ProxyTls)
                    .proxy(&proxy)
                    .source(e)
            })?;
            stream = Stream::Tls(Box::new(tls));
        }
        if !https {
            // Forwarded: hyper-util writes the request in absolute form to the proxy.
            return Ok(Conn::new(stream, true, false));
        }
        let port = destination.port_u16().unwrap_or(443);
        tunnel(&mut stream, host, port, &route, &proxy).await?;
        self.tls(host, stream).await
    }

    async fn tcp(&self, to: Uri, proxy: Option<&RedactedUri>) -> Result<TcpStream, ConnectError> {
        let mut tcp = self.tcp.clone();
        let connected = async {
            std::future::poll_fn(|cx| tcp.poll_ready(cx)).await?;
            tcp.call(to).await
        }
        .await;
        match connected {
            Ok(io) => Ok(io.into_inner()),
            Err(e) => {
                let error = ConnectError::new(ConnectErrorKind::Tcp).source(e);
                Err(match proxy {
                    Some(proxy) => error.proxy(proxy),
                    None => error,
                })
            }
        }
    }

    async fn tls(&self, host: &str, stream: Stream) -> Result<Conn, ConnectError> {
        let name = match &self.server_name {
            Some(name) => name.clone(),
            None => super::tls::server_name(host)
                .map_err(|e| ConnectError::new(ConnectErrorKind::Tls).source(e))?,
        };
        let tls = self
            .tls
            .connect(name, stream)
            .await
            .map_err(|e| ConnectError::new(ConnectErrorKind::Tls).source(e))?;
        let h2 = tls.get_ref().1.alpn_protocol() == Some(ALPN_H2);
        Ok(Conn::new(Stream::Tls(Box::new(tls)), false, h2))
    }
}

/// Opens a `CONNECT` tunnel to `host:port` through the proxy `stream` is connected to.
async fn tunnel(
    stream: &mut Stream,
    host: &str,
    port: u16,
    route: &ProxyRoute<'_>,
    proxy: &RedactedUri,
) -> Result<(), ConnectError> {
    let io_error = |e: io::Error| {
        ConnectError::new(ConnectErrorKind::ProxyProtocol)
            .proxy(proxy)
            .source(e)
    };
    let mut head =
        format!("CONNECT {host}:{port} HTTP/1.1\r\nHost: {host}:{port}\r\n").into_bytes();
    for (name, value) in route.headers() {
        head.extend_from_slice(name.as_str().as_bytes());
        head.extend_from_slice(b": ");
        head.extend_from_slice(value.as_bytes());
        head.extend_from_slice(b"\r\n");
    }
    head.extend_from_slice(b"\r\n");
    stream.write_all(&head).await.map_err(io_error)?;
    stream.flush().await.map_err(io_error)?;
    drop(head);

    // A 2xx answer to CONNECT has no body, and the proxy sends nothing more until the client
    // speaks, so reading whole chunks cannot swallow bytes of the tunnel.
    let mut response = Vec::with_capacity(512);
    let mut chunk = [0u8; 1024];
    let end = loop {
        let read = stream.read(&mut chunk).await.map_err(io_error)?;
        if read == 0 {
            return Err(io_error(io::ErrorKind::UnexpectedEof.into()));
        }
        response.extend_from_slice(&chunk[..read]);
        if let Some(end) = response.windows(4).position(|w| w == b"\r\n\r\n") {
            break end;
        }
        if response.len() > MAX_PROXY_RESPONSE_HEAD {
            return Err(ConnectError::new(ConnectErrorKind::ProxyProtocol).proxy(proxy));
        }
    };
    let status = parse_status_line(&response[..end])
        .ok_or_else(|| ConnectError::new(ConnectErrorKind::ProxyProtocol).proxy(proxy))?;
    if status.is_success() {
        Ok(())
    } else {
        Err(ConnectError::new(ConnectErrorKind::ProxyRefused(status)).proxy(proxy))
    }
}

/// The status of an `HTTP/1.x NNN reason` line.
fn parse_status_line(head: &[u8]) -> Option<StatusCode> {
    let line = head.split(|&b| b == b'\r').next()?;
    let mut parts = line.splitn(3, |&b| b == b' ');
    let version = parts.next()?;
    if !version.starts_with(b"HTTP/1.") {
        return None;
    }
    StatusCode::from_bytes(parts.next()?).ok()
}

/// Why a connection could not be opened. Carries no URI query, credential or header value.
#[derive(Debug)]
pub(super) struct ConnectError {
    pub(super) kind: ConnectErrorKind,
    /// The proxy involved, if the failure concerns it.
    pub(super) proxy: Option<RedactedUri>,
    source: Option<BoxError>,
}

/// The stage a connection failed at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum ConnectErrorKind {
    /// DNS or TCP (to the destination, or to the proxy when `proxy` is set).
    Tcp,
    /// The TLS handshake with an `https://` proxy.
    ProxyTls,
    /// The proxy's answer to `CONNECT` was not HTTP, or the connection broke during it.
    ProxyProtocol,
    /// The proxy answered `CONNECT` with this non-2xx status.
    ProxyRefused(StatusCode),
    /// The TLS handshake with the destination.
    Tls,
    /// The connect timeout fired (TCP, proxy and TLS together).
    Timeout(Duration),
    /// The destination URI cannot be connected to.
    Destination(&'static str),
}

impl ConnectError {
    fn new(kind: ConnectErrorKind) -> Self {
        Self {
            kind,
            proxy: None,
            source: None,
        }
    }

    fn proxy(mut self, proxy: &RedactedUri) -> Self {
        self.proxy = Some(proxy.clone());
        self
    }

    fn source(mut self, source: impl Into<BoxError>) -> Self {
        self.source = Some(source.into());
        self
    }
}

impl fmt::Display for ConnectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let proxy = self
            .proxy
            .as_ref()
            .map_or_else(String::new, |p| format!(" {p}"));
        match self.kind {
            ConnectErrorKind::Tcp if self.proxy.is_some() => {
                write!(f, "connecting to the proxy{proxy} failed")
            }
            ConnectErrorKind::Tcp => f.write_str("TCP connection failed"),
            ConnectErrorKind::ProxyTls => write!(f, "TLS handshake with the proxy{proxy} failed"),
            ConnectErrorKind::ProxyProtocol => {
                write!(f, "the proxy{proxy} did not answer CONNECT with HTTP")
            }
            ConnectErrorKind::ProxyRefused(status) => {
                write!(f, "the proxy{proxy} answered CONNECT with {status}")
            }
            ConnectErrorKind::Tls => f.write_str("TLS handshake failed"),
            ConnectErrorKind::Timeout(after) => write!(f, "connect timeout after {after:?}"),
            ConnectErrorKind::Destination(reason) => f.write_str(reason),
        }
    }
}

impl std::error::Error for ConnectError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

/// A connection: plain TCP, or TLS over a stream (TCP, or a tunnel through an `https://`
/// proxy).
pub(super) enum Stream {
    Tcp(TcpStream),
    Tls(Box<TlsStream<Stream>>),
}

impl AsyncRead for Stream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Self::Tcp(s) => Pin::new(s).poll_read(cx, buf),
            Self::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Stream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Self::Tcp(s) => Pin::new(s).poll_write(cx, buf),
            Self::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Self::Tcp(s) => Pin::new(s).poll_write_vectored(cx, bufs),
            Self::Tls(s) => Pin::new(s.as_mut()).poll_write_vectored(cx, bufs),
        }
    }

    fn is_write_vectored(&self) -> bool {
        match self {
            Self::Tcp(s) => s.is_write_vectored(),
            Self::Tls(s) => s.is_write_vectored(),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Self::Tcp(s) => Pin::new(s).poll_flush(cx),
            Self::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Self::Tcp(s) => Pin::new(s).poll_shutdown(cx),
            Self::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}

/// An open connection as hyper-util's client sees it.
pub(super) struct Conn {
    io: TokioIo<Stream>,
    /// Forwarded through a proxy: requests go in absolute form.
    proxied: bool,
    /// ALPN chose HTTP/2.
    h2: bool,
}

impl Conn {
    fn new(stream: Stream, proxied: bool, h2: bool) -> Self {
        Self {
            io: TokioIo::new(stream),
            proxied,
            h2,
        }
    }
}

impl Connection for Conn {
    fn connected(&self) -> Connected {
        let connected = Connected::new().proxy(self.proxied);
        if self.h2 {
            connected.negotiated_h2()
        } else {
            connected
        }
    }
}

impl hyper::rt::Read for Conn {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: hyper::rt::ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_read(cx, buf)
    }
}

impl hyper::rt::Write for Conn {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().io).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        hyper::rt::Write::is_write_vectored(&self.io)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_lines() {
        assert_eq!(
            parse_status_line(b"HTTP/1.1 200 Connection established"),
            Some(StatusCode::OK)
        );
        assert_eq!(
            parse_status_line(b"HTTP/1.0 407 Proxy Authentication Required\r\nX: y"),
            Some(StatusCode::PROXY_AUTHENTICATION_REQUIRED)
        );
        assert_eq!(parse_status_line(b"SSH-2.0-OpenSSH"), None);
        assert_eq!(parse_status_line(b"HTTP/1.1 abc"), None);
    }

    #[test]
    fn errors_show_the_proxy_without_credentials() {
        let proxy = RedactedUri::new(&"http://u:pw@proxy:3128/".parse().unwrap());
        let error = ConnectError::new(ConnectErrorKind::ProxyRefused(
            StatusCode::PROXY_AUTHENTICATION_REQUIRED,
        ))
        .proxy(&proxy);
        let text = format!("{error} {error:?}");
        assert!(text.contains("proxy:3128"), "{text}");
        assert!(!text.contains("pw"), "{text}");
    }
}
