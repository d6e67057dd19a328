//! The transport options of `ClientBuilder` reach the transport `build()` makes: a proxy (and
//! its credentials, which never show), private roots and a client certificate over real TLS,
//! the server name override, accepting invalid certificates, the response size cap, and the
//! pool, keepalive and HTTP/2 settings. Servers run on 127.0.0.1.
//!
//! The certificates below are test-only, made once with openssl (valid until 2126): a CA, a
//! server certificate for `localhost` and `127.0.0.1`, and a client certificate.
#![cfg(feature = "hyper")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use lakefs_experimental::ExperimentalApi;
use std::io::{Read, Write};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use lakefs_experimental::{Credentials, Error, ErrorKind, ExperimentalClient};
use lakefs_transport::rustls;
use lakefs_transport::{Proxy, TransportError, TransportErrorKind};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const CA_PEM: &str = "\
-----BEGIN CERTIFICATE-----
MIIBnjCCAUWgAwIBAgIUWdIwN5ENgM6M5Kxfth3EhVLpg6QwCgYIKoZIzj0EAwIw
HDEaMBgGA1UEAwwRbGFrZWZzLXJzIHRlc3QgQ0EwIBcNMjYxMTIzMTI0MzM0WhgP
MjEyNjEwMzAxMjQzMzRaMBwxGjAYBgNVBAMMEWxha2Vmcy1ycyB0ZXN0IENBMFkw
EwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEx57O2BsLxZPc8b39sTQJnoZDFjHQN0R6
CKiikIs73wIrZI8RdZTnmCUCL/PFWpRkCPLPVx0H35N+sLy7EYzhfqNjMGEwHQYD
VR0OBBYEFCtcncwEEQTZ+SE9CP6bjeHqiTXDMB8GA1UdIwQYMBaAFCtcncwEEQTZ
+SE9CP6bjeHqiTXDMA8GA1UdEwEB/wQFMAMBAf8wDgYDVR0PAQH/BAQDAgEGMAoG
CCqGSM49BAMCA0cAMEQCIDtP3gUx7mw1PV9VeqLMZdCXdU/fOBr4rAwv7p5hNcRZ
AiBg2tQ78Y4SKvKvknAQch1/Stmuncq2S+TKx6qniNxNhg==
-----END CERTIFICATE-----
";

const SERVER_PEM: &str = "\
-----BEGIN CERTIFICATE-----
MIIB0zCCAXmgAwIBAgIULB6d5Mt0NjQBOlTV2yihHUjfD3IwCgYIKoZIzj0EAwIw
HDEaMBgGA1UEAwwRbGFrZWZzLXJzIHRlc3QgQ0EwIBcNMjYxMTIzMTI0MzM0WhgP
MjEyNjEwMzAxMjQzMzRaMCAxHjAcBgNVBAMMFWxha2Vmcy1ycyB0ZXN0IHNlcnZl
cjBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABLszmKlaJhneGqzqnH2EGdisHL8k
n+rnPJ7lGONjuTPNzjgrtK4M6YFYbnAsHEmC98l1dn2AB0cI/C4PMRXHlsqjgZIw
gY8wGgYDVR0RBBMwEYIJbG9jYWxob3N0hwR/AAABMBMGA1UdJQQMMAoGCCsGAQUF
BwMBMAwGA1UdEwEB/wQCMAAwDgYDVR0PAQH/BAQDAgeAMB0GA1UdDgQWBBTz5LdD
wQ+b+G88Aq7STIz9XMTEDDAfBgNVHSMEGDAWgBQrXJ3MBBEE2fkhPQj+m43h6ok1
wzAKBggqhkjOPQQDAgNIADBFAiEAxRFWJ9Aztw4twhvSXnTo5iN09HuzuMFwFdY8
yEYzDGwCIG0R93NdT2VH0jKr+qFriZXAY59Hv30oVG2wKURfAh2w
-----END CERTIFICATE-----
";

const SERVER_KEY: &str = "\
-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgD9e52dklIwXU1FKw
G0qpDBhZS5TN6vlCWXZiXkaeB+GhRANCAAS7M5ipWiYZ3hqs6px9hBnYrBy/JJ/q
5zye5RjjY7kzzc44K7SuDOmBWG5wLBxJgvfJdXZ9gAdHCPwuDzEVx5bK
-----END PRIVATE KEY-----
";

const CLIENT_PEM: &str = "\
-----BEGIN CERTIFICATE-----
MIIBtDCCAVugAwIBAgIULB6d5Mt0NjQBOlTV2yihHUjfD3MwCgYIKoZIzj0EAwIw
HDEaMBgGA1UEAwwRbGFrZWZzLXJzIHRlc3QgQ0EwIBcNMjYxMTIzMTI0MzM0WhgP
MjEyNjEwMzAxMjQzMzRaMCAxHjAcBgNVBAMMFWxha2Vmcy1ycyB0ZXN0IGNsaWVu
dDBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABLcqu7Ccakx9cO6EogPcx3yHQsRg
T//jPHtOGRGnEw1O+Uhw7s10B2iPiVaJBb7Zv+3q34YydZyWRgywDXhBPFCjdTBz
MBMGA1UdJQQMMAoGCCsGAQUFBwMCMAwGA1UdEwEB/wQCMAAwDgYDVR0PAQH/BAQD
AgeAMB0GA1UdDgQWBBRp2fG2OlmP4CglFUi116wP7uLhMzAfBgNVHSMEGDAWgBQr
XJ3MBBEE2fkhPQj+m43h6ok1wzAKBggqhkjOPQQDAgNHADBEAiAsPZPgoMaBmnec
x15XzOWOQrxVKe2dMBciAAi7SGoGsAIgMm4DzrSSaUnr4AEhsrSabclpwgPYkj9H
vbs9722jcd0=
-----END CERTIFICATE-----
";

const CLIENT_KEY: &str = "\
-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgnlFCqDqQk8TROPWG
AYyg4mG/GXjkPxPd2qtT4on3ijahRANCAAS3KruwnGpMfXDuhKID3Md8h0LEYE//
4zx7ThkRpxMNTvlIcO7NdAdoj4lWiQW+2b/t6t+GMnWclkYMsA14QTxQ
-----END PRIVATE KEY-----
";

const PRINCIPAL: &str = r#"{"id":"p","user_id":"alice"}"#;

/// One HTTP/1.1 answer: the principal JSON (or `body_len` bytes of padding), and the
/// connection closed.
fn answer(body_len: Option<usize>) -> Vec<u8> {
    let body = body_len.map_or_else(|| PRINCIPAL.to_owned(), |n| " ".repeat(n));
    format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// A plain HTTP server on 127.0.0.1 that answers every request with `answer(body_len)` and
/// records the request heads: it stands in for a forwarding proxy (requests arrive in
/// absolute form) or for lakeFS itself.
async fn start_plain(body_len: Option<usize>) -> (SocketAddr, Arc<Mutex<Vec<String>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let heads = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&heads);
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let seen = Arc::clone(&seen);
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut byte = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") {
                    match stream.read(&mut byte).await {
                        Ok(1) => head.push(byte[0]),
                        _ => return,
                    }
                }
                seen.lock()
                    .unwrap()
                    .push(String::from_utf8_lossy(&head).into_owned());
                let _ = stream.write_all(&answer(body_len)).await;
            });
        }
    });
    (addr, heads)
}

fn certificates(pem: &str) -> Vec<rustls::pki_types::CertificateDer<'static>> {
    use rustls::pki_types::pem::PemObject;
    rustls::pki_types::CertificateDer::pem_slice_iter(pem.as_bytes())
        .collect::<Result<_, _>>()
        .unwrap()
}

/// An HTTPS server on 127.0.0.1 (a blocking rustls server on its own thread) that requires a
/// client certificate from the test CA when `mutual`, and answers `answer(None)`.
fn start_tls(mutual: bool) -> SocketAddr {
    use rustls::pki_types::pem::PemObject;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ServerConfig::builder_with_provider(Arc::clone(&provider))
        .with_safe_default_protocol_versions()
        .unwrap();
    let builder = if mutual {
        let mut roots = rustls::RootCertStore::empty();
        roots.add(certificates(CA_PEM).remove(0)).unwrap();
        let verifier =
            rustls::server::WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
                .build()
                .unwrap();
        builder.with_client_cert_verifier(verifier)
    } else {
        builder.with_no_client_auth()
    };
    let key = rustls::pki_types::PrivateKeyDer::from_pem_slice(SERVER_KEY.as_bytes()).unwrap();
    let config = Arc::new(
        builder
            .with_single_cert(certificates(SERVER_PEM), key)
            .unwrap(),
    );
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { return };
            let config = Arc::clone(&config);
            std::thread::spawn(move || {
                let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
                let connection = rustls::ServerConnection::new(config).unwrap();
                let mut tls = rustls::StreamOwned::new(connection, stream);
                let mut head = Vec::new();
                let mut byte = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") {
                    match tls.read(&mut byte) {
                        Ok(1) => head.push(byte[0]),
                        _ => return,
                    }
                }
                let _ = tls.write_all(&answer(None));
                let _ = tls.flush();
                tls.conn.send_close_notify();
                let _ = tls.flush();
            });
        }
    });
    addr
}

async fn principal<T: lakefs_transport::HttpTransport>(
    client: &ExperimentalClient<T>,
) -> Result<(), Error> {
    client
        .get_external_principal()
        .principal_id("p")
        .send()
        .await
        .map(drop)
}

fn transport_error(error: &Error) -> &TransportError {
    match error.transport_error() {
        Some(source) if error.kind() == ErrorKind::Transport => source,
        _ => panic!("not a transport error: {error:?}"),
    }
}

#[tokio::test]
async fn the_proxy_option_forwards_calls_and_hides_its_credentials() {
    let (proxy, heads) = start_plain(None).await;
    let builder = ExperimentalClient::builder()
        .endpoint("http://lakefs.test:8000")
        .credentials(Credentials::basic("AKIAEXAMPLE", "lakefs-secret"))
        .proxy(Proxy::all(format!("http://proxyuser:pr0xy-pw@{proxy}")));
    let debug = format!("{builder:?}");
    let client = builder.build().unwrap();
    principal(&client).await.unwrap();

    let heads = heads.lock().unwrap().clone();
    assert_eq!(heads.len(), 1);
    assert!(
        heads[0].starts_with(
            "GET http://lakefs.test:8000/api/v1/auth/external/principals?principalId=p HTTP/1.1"
        ),
        "{}",
        heads[0]
    );
    // base64("proxyuser:pr0xy-pw")
    assert!(
        heads[0].contains("proxy-authorization: Basic cHJveHl1c2VyOnByMHh5LXB3"),
        "{}",
        heads[0]
    );
    for text in [debug, format!("{client:?} {:?}", client.transport())] {
        assert!(!text.contains("pr0xy-pw"), "{text}");
        assert!(!text.contains("lakefs-secret"), "{text}");
        assert!(text.contains(&proxy.to_string()), "{text}");
    }
}

#[tokio::test]
async fn proxies_from_a_lookup_and_no_proxy() {
    let (proxy, heads) = start_plain(None).await;
    let (direct, direct_heads) = start_plain(None).await;
    let proxy_url = format!("http://{proxy}");
    let env = move |name: &str| match name {
        "HTTP_PROXY" => Some(proxy_url.clone()),
        "NO_PROXY" => Some("127.0.0.1".to_owned()),
        _ => None,
    };
    let via = ExperimentalClient::builder()
        .endpoint("http://lakefs.test:8000")
        .proxy(Proxy::from_lookup(env.clone()))
        .build()
        .unwrap();
    principal(&via).await.unwrap();
    assert_eq!(heads.lock().unwrap().len(), 1);

    let bypassing = ExperimentalClient::builder()
        .endpoint(format!("http://127.0.0.1:{}", direct.port()))
        .proxy(Proxy::from_lookup(env))
        .build()
        .unwrap();
    principal(&bypassing).await.unwrap();
    assert_eq!(
        heads.lock().unwrap().len(),
        1,
        "NO_PROXY bypasses the proxy"
    );
    assert_eq!(direct_heads.lock().unwrap().len(), 1);

    let off = ExperimentalClient::builder()
        .endpoint(format!("http://127.0.0.1:{}", direct.port()))
        .proxy_from_env(false);
    assert!(format!("{off:?}").contains("proxy_from_env: false"));
}

#[tokio::test]
async fn private_roots_and_a_client_certificate_over_tls() {
    let server = start_tls(true);
    let endpoint = format!("https://localhost:{}", server.port());
    let base = || {
        ExperimentalClient::builder()
            .endpoint(endpoint.clone())
            .proxy(Proxy::none())
            .retry_policy(lakefs_experimental::RetryPolicy::none())
    };

    // The test CA is not trusted by default.
    let error = principal(&base().build().unwrap()).await.unwrap_err();
    assert!(
        transport_error(&error).kind() == TransportErrorKind::Tls,
        "{error:?}"
    );

    // Trusted, but without a client certificate the server refuses the handshake.
    let error = principal(&base().add_root_certificates_pem(CA_PEM).build().unwrap())
        .await
        .unwrap_err();
    let source = transport_error(&error);
    assert!(source.kind() == TransportErrorKind::Tls, "{error:?}");
    assert!(source.is_before_send());

    let client = base()
        .tls_built_in_roots(false)
        .add_root_certificates_pem(CA_PEM)
        .client_identity_pem(CLIENT_PEM, CLIENT_KEY)
        .build()
        .unwrap();
    principal(&client).await.unwrap();
    let debug = format!("{:?}", client.transport());
    assert!(debug.contains("client_identity: true"), "{debug}");
    assert!(!debug.contains("PRIVATE KEY"), "{debug}");
}

#[tokio::test]
async fn the_server_name_override_and_accepting_invalid_certificates() {
    let server = start_tls(false);
    let endpoint = format!("https://127.0.0.1:{}", server.port());
    let base = || {
        ExperimentalClient::builder()
            .endpoint(endpoint.clone())
            .proxy(Proxy::none())
            .retry_policy(lakefs_experimental::RetryPolicy::none())
    };
    principal(&base().add_root_certificates_pem(CA_PEM).build().unwrap())
        .await
        .unwrap();
    // The certificate names localhost and 127.0.0.1, not this name.
    let error = principal(
        &base()
            .add_root_certificates_pem(CA_PEM)
            .tls_server_name("lakefs.example")
            .build()
            .unwrap(),
    )
    .await
    .unwrap_err();
    assert!(
        transport_error(&error).kind() == TransportErrorKind::Tls,
        "{error:?}"
    );
    principal(
        &base()
            .add_root_certificates_pem(CA_PEM)
            .tls_server_name("localhost")
            .build()
            .unwrap(),
    )
    .await
    .unwrap();
    // Untrusted CA, accepted on explicit request.
    principal(&base().danger_accept_invalid_certs(true).build().unwrap())
        .await
        .unwrap();
}

#[tokio::test]
async fn the_response_size_cap_applies() {
    let (server, _) = start_plain(Some(4096)).await;
    let client = ExperimentalClient::builder()
        .endpoint(format!("http://{server}"))
        .proxy(Proxy::none())
        .max_response_body(1024)
        .retry_policy(lakefs_experimental::RetryPolicy::none())
        .build()
        .unwrap();
    let error = principal(&client).await.unwrap_err();
    assert!(
        transport_error(&error).body_limit() == Some(1024),
        "{error:?}"
    );
}

#[tokio::test]
async fn pool_keepalive_and_http2_settings_reach_the_transport() {
    let builder = ExperimentalClient::builder()
        .endpoint("https://lakefs.example")
        .connect_timeout(Duration::from_secs(3))
        .http2(true)
        .tcp_keepalive(Duration::from_secs(20))
        .pool_idle_timeout(Duration::from_secs(30))
        .pool_max_idle_per_host(7)
        .configure_transport(|t| t.https_only(true));
    let client = builder.clone().build().unwrap();
    let debug = format!("{:?}", client.transport());
    for expected in [
        "connect_timeout: Some(3s)",
        "request_timeout: None",
        "http2: true",
        "tcp_keepalive: Some(20s)",
        "pool_idle_timeout: Some(30s)",
        "pool_max_idle_per_host: 7",
        "https_only: true",
    ] {
        assert!(debug.contains(expected), "{expected} in {debug}");
    }
    // A data-plane transport starts from the same settings, with changes of its own.
    let data = builder.transport_builder().http2(false).build().unwrap();
    let debug = format!("{data:?}");
    assert!(debug.contains("http2: false"), "{debug}");
    assert!(debug.contains("pool_max_idle_per_host: 7"), "{debug}");
    // No whole-request deadline: the engine detects stalled part PUTs by their progress.
    assert!(debug.contains("request_timeout: None"), "{debug}");
}

#[tokio::test]
async fn unusable_transport_options_fail_the_build() {
    let base = || ExperimentalClient::builder().endpoint("https://lakefs.example");
    for (builder, expected) in [
        (base().add_root_certificates_pem("junk"), "no CERTIFICATE"),
        (
            base().client_identity_pem(CLIENT_PEM, "junk"),
            "no usable private key",
        ),
        (
            base().client_identity_pem(CLIENT_PEM, SERVER_KEY),
            "identity",
        ),
        (
            base().tls_server_name("no spaces allowed"),
            "TLS server name",
        ),
        (
            base().proxy(Proxy::all("socks5://u:leak@proxy:1080")),
            "SOCKS",
        ),
    ] {
        let error = builder.build().unwrap_err();
        assert!(error.kind() == ErrorKind::TransportConfig, "{error:?}");
        let mut text = format!("{error} {error:?}");
        let mut source = std::error::Error::source(&error);
        while let Some(cause) = source {
            text.push_str(&format!(" / {cause}"));
            source = cause.source();
        }
        assert!(text.contains(expected), "{expected} in {text}");
        assert!(
            !text.contains("leak") && !text.contains("PRIVATE"),
            "{text}"
        );
    }
}
