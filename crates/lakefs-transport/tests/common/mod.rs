//! Test kit on 127.0.0.1: a certificate authority made at test time (rcgen), an HTTPS server
//! speaking HTTP/1.1 and HTTP/2 by ALPN (optionally requiring a client certificate), and an
//! HTTP proxy doing `CONNECT` tunnels and forwarding, over plain TCP or TLS.
#![allow(dead_code, unreachable_pub, clippy::unwrap_used, clippy::expect_used)]

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose,
};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;

/// A certificate authority made for one test.
pub struct Pki {
    ca: CertifiedIssuer<'static, KeyPair>,
}

/// A certificate and its key, in PEM.
#[derive(Clone)]
pub struct Identity {
    pub cert_pem: String,
    pub key_pem: String,
}

impl Pki {
    pub fn new(name: &str) -> Self {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.distinguished_name.push(DnType::CommonName, name);
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let ca = CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap();
        Self { ca }
    }

    pub fn ca_pem(&self) -> String {
        self.ca.pem()
    }

    fn issue(&self, names: &[&str], usage: ExtendedKeyUsagePurpose) -> Identity {
        let names: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
        let mut params = CertificateParams::new(names.clone()).unwrap();
        params.distinguished_name.push(
            DnType::CommonName,
            names.first().cloned().unwrap_or_default(),
        );
        params.extended_key_usages = vec![usage];
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        let key = KeyPair::generate().unwrap();
        let cert = params.signed_by(&key, &self.ca).unwrap();
        Identity {
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
        }
    }

    /// A server certificate for these DNS names and IP addresses.
    pub fn server(&self, names: &[&str]) -> Identity {
        self.issue(names, ExtendedKeyUsagePurpose::ServerAuth)
    }

    /// A client certificate.
    pub fn client(&self, name: &str) -> Identity {
        self.issue(&[name], ExtendedKeyUsagePurpose::ClientAuth)
    }
}

fn certs(pem: &str) -> Vec<CertificateDer<'static>> {
    CertificateDer::pem_slice_iter(pem.as_bytes())
        .collect::<Result<_, _>>()
        .unwrap()
}

fn key(pem: &str) -> PrivateKeyDer<'static> {
    PrivateKeyDer::from_pem_slice(pem.as_bytes()).unwrap()
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// How the HTTPS server is set up.
#[derive(Clone)]
pub struct TlsServer {
    pub identity: Identity,
    /// Offer `h2` by ALPN (then `http/1.1`).
    pub h2: bool,
    /// Require a client certificate issued by this CA.
    pub client_ca_pem: Option<String>,
}

impl TlsServer {
    pub fn new(identity: Identity) -> Self {
        Self {
            identity,
            h2: false,
            client_ca_pem: None,
        }
    }

    pub fn acceptor(&self) -> TlsAcceptor {
        let builder = rustls::ServerConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .unwrap();
        let builder = match &self.client_ca_pem {
            Some(ca) => {
                let mut roots = rustls::RootCertStore::empty();
                for cert in certs(ca) {
                    roots.add(cert).unwrap();
                }
                let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
                    Arc::new(roots),
                    provider(),
                )
                .build()
                .unwrap();
                builder.with_client_cert_verifier(verifier)
            }
            None => builder.with_no_client_auth(),
        };
        let mut config = builder
            .with_single_cert(certs(&self.identity.cert_pem), key(&self.identity.key_pem))
            .unwrap();
        config.alpn_protocols = if self.h2 {
            vec![b"h2".to_vec(), b"http/1.1".to_vec()]
        } else {
            vec![b"http/1.1".to_vec()]
        };
        TlsAcceptor::from(Arc::new(config))
    }
}

/// What the echo service reports in response headers.
async fn echo(
    request: Request<Incoming>,
    tls_client_cert: bool,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let version = format!("{:?}", request.version());
    let path = request.uri().path().to_owned();
    let saw_proxy_auth = request
        .headers()
        .contains_key(http::header::PROXY_AUTHORIZATION);
    let saw_proxy_header = request.headers().contains_key("x-proxy-token");
    let body = request
        .into_body()
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    Ok(Response::builder()
        .status(StatusCode::OK)
        .header("x-version", version)
        .header("x-path", path)
        .header("x-client-cert", tls_client_cert.to_string())
        .header("x-saw-proxy-authorization", saw_proxy_auth.to_string())
        .header("x-saw-proxy-header", saw_proxy_header.to_string())
        .body(Full::new(body))
        .unwrap())
}

/// A running server and what it saw.
#[derive(Clone)]
pub struct Server {
    pub addr: SocketAddr,
    /// TCP connections accepted.
    pub connections: Arc<AtomicUsize>,
    /// TLS handshakes completed.
    pub handshakes: Arc<AtomicUsize>,
}

impl Server {
    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }

    pub fn handshakes(&self) -> usize {
        self.handshakes.load(Ordering::SeqCst)
    }
}

/// Serves HTTP/1.1 or HTTP/2 (by ALPN) on an accepted stream.
async fn serve<S>(io: S, h2: bool, client_cert: bool)
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let service = service_fn(move |request| echo(request, client_cert));
    if h2 {
        let _ = hyper::server::conn::http2::Builder::new(TokioExecutor::new())
            .serve_connection(TokioIo::new(io), service)
            .await;
    } else {
        let _ = hyper::server::conn::http1::Builder::new()
            .serve_connection(TokioIo::new(io), service)
            .await;
    }
}

/// The echo server over TLS.
pub async fn start_https(setup: TlsServer) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let server = Server {
        addr: listener.local_addr().unwrap(),
        connections: Arc::default(),
        handshakes: Arc::default(),
    };
    let acceptor = setup.acceptor();
    let (connections, handshakes) = (
        Arc::clone(&server.connections),
        Arc::clone(&server.handshakes),
    );
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            connections.fetch_add(1, Ordering::SeqCst);
            let acceptor = acceptor.clone();
            let handshakes = Arc::clone(&handshakes);
            tokio::spawn(async move {
                let Ok(tls) = acceptor.accept(stream).await else {
                    return;
                };
                handshakes.fetch_add(1, Ordering::SeqCst);
                let (_, session) = tls.get_ref();
                let h2 = session.alpn_protocol() == Some(b"h2");
                let client_cert = session.peer_certificates().is_some_and(|c| !c.is_empty());
                serve(tls, h2, client_cert).await;
            });
        }
    });
    server
}

/// The echo server over plain TCP (HTTP/1.1).
pub async fn start_http() -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let server = Server {
        addr: listener.local_addr().unwrap(),
        connections: Arc::default(),
        handshakes: Arc::default(),
    };
    let connections = Arc::clone(&server.connections);
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            connections.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(serve(stream, false, false));
        }
    });
    server
}

/// A request head the proxy received.
#[derive(Debug, Clone)]
pub struct ProxyRequest {
    pub method: String,
    pub target: String,
    pub headers: Vec<(String, String)>,
}

impl ProxyRequest {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// An HTTP proxy on 127.0.0.1 that sends every destination to `upstream`, whatever its host
/// (so a destination whose name does not resolve proves the request went through it).
#[derive(Clone)]
pub struct TestProxy {
    pub addr: SocketAddr,
    pub seen: Arc<Mutex<Vec<ProxyRequest>>>,
}

impl TestProxy {
    pub fn requests(&self) -> Vec<ProxyRequest> {
        self.seen.lock().unwrap().clone()
    }
}

/// Starts the proxy. With `require_auth`, requests without exactly this
/// `Proxy-Authorization` value get a 407. With `tls`, clients must speak TLS to the proxy.
pub async fn start_proxy(
    upstream: SocketAddr,
    require_auth: Option<&'static str>,
    tls: Option<TlsServer>,
) -> TestProxy {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let proxy = TestProxy {
        addr: listener.local_addr().unwrap(),
        seen: Arc::default(),
    };
    let seen = Arc::clone(&proxy.seen);
    let acceptor = tls.map(|setup| setup.acceptor());
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let seen = Arc::clone(&seen);
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                match acceptor {
                    Some(acceptor) => {
                        if let Ok(tls) = acceptor.accept(stream).await {
                            proxy_connection(tls, upstream, require_auth, seen).await;
                        }
                    }
                    None => proxy_connection(stream, upstream, require_auth, seen).await,
                }
            });
        }
    });
    proxy
}

async fn proxy_connection<S>(
    mut client: S,
    upstream: SocketAddr,
    require_auth: Option<&'static str>,
    seen: Arc<Mutex<Vec<ProxyRequest>>>,
) where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 4096];
    let end = loop {
        let Ok(read) = client.read(&mut chunk).await else {
            return;
        };
        if read == 0 {
            return;
        }
        buffer.extend_from_slice(&chunk[..read]);
        if let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break end;
        }
    };
    let head = String::from_utf8_lossy(&buffer[..end]).into_owned();
    let rest = buffer[end + 4..].to_vec();
    let mut lines = head.split("\r\n");
    let mut request_line = lines.next().unwrap_or_default().split(' ');
    let method = request_line.next().unwrap_or_default().to_owned();
    let target = request_line.next().unwrap_or_default().to_owned();
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned()))
        .collect();
    let request = ProxyRequest {
        method: method.clone(),
        target: target.clone(),
        headers: headers.clone(),
    };
    seen.lock().unwrap().push(request.clone());
    if let Some(expected) = require_auth {
        if request.header("proxy-authorization") != Some(expected) {
            let _ = client
                .write_all(
                    b"HTTP/1.1 407 Proxy Authentication Required\r\n\
                      Proxy-Authenticate: Basic realm=\"test\"\r\nContent-Length: 0\r\n\r\n",
                )
                .await;
            return;
        }
    }
    let Ok(mut origin) = TcpStream::connect(upstream).await else {
        let _ = client
            .write_all(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
            .await;
        return;
    };
    if method == "CONNECT" {
        if client
            .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
            .await
            .is_err()
        {
            return;
        }
    } else {
        // Forwarding: origin form, the proxy's own headers consumed, one request per
        // connection.
        let path = target
            .split_once("://")
            .and_then(|(_, rest)| rest.find('/').map(|i| rest[i..].to_owned()))
            .unwrap_or_else(|| "/".to_owned());
        let mut forwarded = format!("{method} {path} HTTP/1.1\r\n");
        for (name, value) in &headers {
            let lower = name.to_ascii_lowercase();
            if lower == "proxy-authorization" || lower == "connection" {
                continue;
            }
            forwarded.push_str(&format!("{name}: {value}\r\n"));
        }
        forwarded.push_str("Connection: close\r\n\r\n");
        if origin.write_all(forwarded.as_bytes()).await.is_err()
            || origin.write_all(&rest).await.is_err()
        {
            return;
        }
    }
    let _ = tokio::io::copy_bidirectional(&mut client, &mut origin).await;
}
