//! `HyperTransport` TLS on 127.0.0.1 with a CA made at test time: extra roots, client
//! certificates, the server name override, accepting invalid certificates, HTTP/2 by ALPN,
//! and a connect timeout that covers the handshake.
#![cfg(feature = "hyper")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::Duration;

use bytes::Bytes;
use common::{start_https, Pki, TlsServer};
use http::{Method, Request, StatusCode, Version};
use lakefs_transport::{
    HttpTransport, HyperTransport, HyperTransportBuilder, Proxy, TimeoutPhase, TransportErrorKind,
};

fn get(uri: String) -> Request<Bytes> {
    Request::builder()
        .method(Method::GET)
        .uri(uri)
        .body(Bytes::new())
        .unwrap()
}

/// Tests must not depend on the proxy variables of whoever runs them.
fn builder() -> HyperTransportBuilder {
    HyperTransport::builder().proxy(Proxy::none())
}

#[tokio::test]
async fn a_private_ca_is_refused_by_default_and_trusted_once_added() {
    let pki = Pki::new("private CA");
    let server = start_https(TlsServer::new(pki.server(&["localhost"]))).await;
    let uri = format!(
        "https://localhost:{}/hello?X-Amz-Signature=s3cr3t",
        server.addr.port()
    );

    let error = builder()
        .build()
        .unwrap()
        .send(get(uri.clone()))
        .await
        .unwrap_err();
    assert!(error.kind() == TransportErrorKind::Tls, "{error:?}");
    assert!(error.is_before_send(), "a refused handshake sent nothing");
    assert!(!error.is_retryable());
    assert!(!format!("{error} {error:?}").contains("s3cr3t"));

    let trusting = builder()
        .add_root_certificates_pem(pki.ca_pem())
        .build()
        .unwrap();
    let response = trusting.send(get(uri.clone())).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["x-path"], "/hello");

    // Only the private CA: still fine; the public roots are not needed.
    let only_private = builder()
        .tls_built_in_roots(false)
        .add_root_certificates_pem(pki.ca_pem())
        .build()
        .unwrap();
    assert_eq!(
        only_private.send(get(uri)).await.unwrap().status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn another_cas_certificate_is_still_refused() {
    let (trusted, other) = (Pki::new("trusted"), Pki::new("other"));
    let server = start_https(TlsServer::new(other.server(&["localhost"]))).await;
    let error = builder()
        .add_root_certificates_pem(trusted.ca_pem())
        .build()
        .unwrap()
        .send(get(format!("https://localhost:{}/", server.addr.port())))
        .await
        .unwrap_err();
    assert!(error.kind() == TransportErrorKind::Tls, "{error:?}");
}

#[tokio::test]
async fn bad_pem_and_missing_roots_fail_the_build() {
    let no_roots = builder().tls_built_in_roots(false).build().unwrap_err();
    assert!(no_roots.kind() == TransportErrorKind::Config, "{no_roots}");
    assert!(
        no_roots.to_string().contains("no root certificates"),
        "{no_roots}"
    );

    let garbage = builder()
        .add_root_certificates_pem("not a certificate")
        .build()
        .unwrap_err();
    assert!(garbage.to_string().contains("no CERTIFICATE"), "{garbage}");

    let pki = Pki::new("ca");
    let client = pki.client("alice");
    let other_key = pki.client("bob").key_pem;
    let mismatched = builder()
        .client_identity_pem(&client.cert_pem, &other_key)
        .build()
        .unwrap_err();
    assert!(
        mismatched
            .to_string()
            .contains("do not form a usable identity"),
        "{mismatched}"
    );
    let no_key = builder()
        .client_identity_pem(&client.cert_pem, "-----BEGIN NOTHING-----\n")
        .build()
        .unwrap_err();
    let text = format!("{no_key} {no_key:?}");
    assert!(text.contains("no usable private key"), "{text}");

    let bad_name = builder()
        .tls_server_name("not a name!")
        .build()
        .unwrap_err();
    assert!(bad_name.kind() == TransportErrorKind::Config, "{bad_name}");

    let combined = builder()
        .tls_config(
            rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(
                rustls::crypto::ring::default_provider(),
            ))
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(rustls::RootCertStore::empty())
            .with_no_client_auth(),
        )
        .add_root_certificates_pem(pki.ca_pem())
        .build()
        .unwrap_err();
    assert!(combined.to_string().contains("tls_config"), "{combined}");
}

#[tokio::test]
async fn client_certificates_are_required_and_accepted() {
    let pki = Pki::new("mtls CA");
    let mut setup = TlsServer::new(pki.server(&["localhost"]));
    setup.client_ca_pem = Some(pki.ca_pem());
    let server = start_https(setup).await;
    let uri = format!("https://localhost:{}/mtls", server.addr.port());

    let without = builder()
        .add_root_certificates_pem(pki.ca_pem())
        .build()
        .unwrap();
    let error = without.send(get(uri.clone())).await.unwrap_err();
    assert!(error.kind() == TransportErrorKind::Tls, "{error:?}");
    assert!(
        error.is_before_send(),
        "a refused client certificate means the server never took the request"
    );

    // A certificate from another CA is refused too.
    let stranger = Pki::new("stranger").client("mallory");
    let wrong = builder()
        .add_root_certificates_pem(pki.ca_pem())
        .client_identity_pem(&stranger.cert_pem, &stranger.key_pem)
        .build()
        .unwrap();
    let error = wrong.send(get(uri.clone())).await.unwrap_err();
    assert!(error.kind() == TransportErrorKind::Tls, "{error:?}");

    let identity = pki.client("alice");
    let with = builder()
        .add_root_certificates_pem(pki.ca_pem())
        .client_identity_pem(&identity.cert_pem, &identity.key_pem)
        .build()
        .unwrap();
    let response = with.send(get(uri)).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["x-client-cert"], "true");
    let debug = format!("{with:?}");
    assert!(debug.contains("client_identity: true"), "{debug}");
    assert!(!debug.contains("PRIVATE KEY"), "{debug}");
    assert!(!debug.contains(&identity.key_pem[40..80]), "{debug}");
}

#[tokio::test]
async fn the_server_name_override_verifies_another_name() {
    let pki = Pki::new("ca");
    // The certificate names an internal host only; the server is reached by IP address.
    let server = start_https(TlsServer::new(pki.server(&["lakefs.internal"]))).await;
    let uri = format!("https://127.0.0.1:{}/by-ip", server.addr.port());

    let plain = builder()
        .add_root_certificates_pem(pki.ca_pem())
        .build()
        .unwrap();
    let error = plain.send(get(uri.clone())).await.unwrap_err();
    assert!(error.kind() == TransportErrorKind::Tls, "{error:?}");

    let overridden = builder()
        .add_root_certificates_pem(pki.ca_pem())
        .tls_server_name("lakefs.internal")
        .build()
        .unwrap();
    assert_eq!(
        overridden.send(get(uri.clone())).await.unwrap().status(),
        StatusCode::OK
    );

    let wrong_name = builder()
        .add_root_certificates_pem(pki.ca_pem())
        .tls_server_name("other.internal")
        .build()
        .unwrap();
    assert_eq!(
        wrong_name.send(get(uri)).await.unwrap_err().kind(),
        TransportErrorKind::Tls
    );
}

#[tokio::test]
async fn accepting_invalid_certificates_is_explicit() {
    let pki = Pki::new("untrusted");
    let server = start_https(TlsServer::new(pki.server(&["somewhere.else"]))).await;
    let uri = format!("https://127.0.0.1:{}/", server.addr.port());
    let transport = builder().danger_accept_invalid_certs(true).build().unwrap();
    assert_eq!(
        transport.send(get(uri)).await.unwrap().status(),
        StatusCode::OK
    );
    assert!(format!("{transport:?}").contains("accept_invalid_certs: true"));
}

#[tokio::test]
async fn http2_is_negotiated_by_alpn_when_enabled() {
    let pki = Pki::new("ca");
    let mut setup = TlsServer::new(pki.server(&["localhost"]));
    setup.h2 = true;
    let server = start_https(setup).await;
    let uri = format!("https://localhost:{}/h2", server.addr.port());

    let h1 = builder()
        .add_root_certificates_pem(pki.ca_pem())
        .build()
        .unwrap();
    let response = h1.send(get(uri.clone())).await.unwrap();
    assert_eq!(
        response.version(),
        Version::HTTP_11,
        "HTTP/2 is off by default"
    );
    assert_eq!(response.headers()["x-version"], "HTTP/1.1");

    let h2 = builder()
        .add_root_certificates_pem(pki.ca_pem())
        .http2(true)
        .build()
        .unwrap();
    // The first request learns (by ALPN) that the host speaks HTTP/2; from then on,
    // concurrent requests share its one multiplexed connection.
    let first = h2.send(get(uri.clone())).await.unwrap();
    assert_eq!(first.version(), Version::HTTP_2);
    let before = server.connections();
    let responses = futures_join_all(
        (0..8)
            .map(|i| {
                let h2 = h2.clone();
                let uri = format!("{uri}/{i}");
                async move {
                    h2.send(
                        Request::put(uri)
                            .body(Bytes::from(vec![7u8; 100_000]))
                            .unwrap(),
                    )
                    .await
                }
            })
            .collect(),
    )
    .await;
    for response in responses {
        let response = response.unwrap();
        assert_eq!(response.version(), Version::HTTP_2);
        assert_eq!(response.headers()["x-version"], "HTTP/2.0");
        assert_eq!(response.body().len(), 100_000);
    }
    assert_eq!(
        server.connections(),
        before,
        "no new connection: one HTTP/2 connection"
    );
}

#[tokio::test]
async fn http2_falls_back_to_http1_when_the_server_does_not_offer_it() {
    let pki = Pki::new("ca");
    let server = start_https(TlsServer::new(pki.server(&["localhost"]))).await;
    let transport = builder()
        .add_root_certificates_pem(pki.ca_pem())
        .http2(true)
        .build()
        .unwrap();
    let response = transport
        .send(get(format!("https://localhost:{}/", server.addr.port())))
        .await
        .unwrap();
    assert_eq!(response.version(), Version::HTTP_11);
}

#[tokio::test]
async fn the_connect_timeout_covers_the_tls_handshake() {
    // Accepts TCP connections and never answers the ClientHello.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((stream, _)) = listener.accept().await {
            held.push(stream);
        }
    });
    let transport = builder()
        .connect_timeout(Duration::from_millis(300))
        .request_timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let started = std::time::Instant::now();
    let error = transport
        .send(get(format!("https://localhost:{}/", addr.port())))
        .await
        .unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(
        error.timeout_phase() == Some(TimeoutPhase::Connect),
        "{error:?}"
    );
    assert!(error.is_before_send() && error.is_retryable());
}

/// Awaits every future (a tiny `join_all`, to need no futures crate).
async fn futures_join_all<F: std::future::Future + Send + 'static>(
    futures: Vec<F>,
) -> Vec<F::Output>
where
    F::Output: Send + 'static,
{
    let handles: Vec<_> = futures.into_iter().map(tokio::spawn).collect();
    let mut out = Vec::new();
    for handle in handles {
        out.push(handle.await.unwrap());
    }
    out
}
