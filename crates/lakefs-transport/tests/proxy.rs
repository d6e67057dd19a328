//! `HyperTransport` through a small HTTP proxy on 127.0.0.1: `CONNECT` tunnels for `https://`,
//! forwarding for `http://`, `NO_PROXY`, the environment variables (through
//! `Proxy::from_lookup`), credentials that reach the proxy only and never show, refusals,
//! and TLS to the proxy itself.
#![cfg(feature = "hyper")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use bytes::Bytes;
use common::{start_http, start_https, start_proxy, Pki, TlsServer};
use http::header::{HeaderName, HeaderValue};
use http::{Method, Request, StatusCode};
use lakefs_transport::{HttpTransport, HyperTransport, Proxy, TransportErrorKind};

fn get(uri: String) -> Request<Bytes> {
    Request::builder()
        .method(Method::GET)
        .uri(uri)
        .body(Bytes::new())
        .unwrap()
}

/// `Basic base64("alice:s3cr3t-pw")`.
const ALICE: &str = "Basic YWxpY2U6czNjcjN0LXB3";

#[tokio::test]
async fn https_goes_through_a_connect_tunnel_with_credentials_for_the_proxy_only() {
    let pki = Pki::new("ca");
    // `lakefs.test` resolves nowhere: only the proxy (which sends everything to the server)
    // can reach it.
    let server = start_https(TlsServer::new(pki.server(&["lakefs.test"]))).await;
    let proxy = start_proxy(server.addr, Some(ALICE), None).await;
    let transport = HyperTransport::builder()
        .proxy(
            Proxy::all(format!("http://alice:s3cr3t-pw@{}", proxy.addr)).header(
                HeaderName::from_static("x-proxy-token"),
                HeaderValue::from_static("t0ken"),
            ),
        )
        .add_root_certificates_pem(pki.ca_pem())
        .build()
        .unwrap();
    let response = transport
        .send(get("https://lakefs.test:8443/api/v1/x?sig=1".into()))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["x-path"], "/api/v1/x");
    // The destination saw neither the credentials nor the proxy header.
    assert_eq!(response.headers()["x-saw-proxy-authorization"], "false");
    assert_eq!(response.headers()["x-saw-proxy-header"], "false");

    let seen = proxy.requests();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].method, "CONNECT");
    assert_eq!(seen[0].target, "lakefs.test:8443");
    assert_eq!(seen[0].header("proxy-authorization"), Some(ALICE));
    assert_eq!(seen[0].header("x-proxy-token"), Some("t0ken"));

    // The tunnel is pooled like any connection.
    transport
        .send(get("https://lakefs.test:8443/again".into()))
        .await
        .unwrap();
    assert_eq!(proxy.requests().len(), 1);

    let debug = format!("{transport:?}");
    assert!(
        !debug.contains("s3cr3t-pw") && !debug.contains("t0ken"),
        "{debug}"
    );
    assert!(debug.contains(&proxy.addr.to_string()), "{debug}");
}

#[tokio::test]
async fn http_is_forwarded_in_absolute_form() {
    let server = start_http().await;
    let proxy = start_proxy(server.addr, Some(ALICE), None).await;
    let transport = HyperTransport::builder()
        .proxy(Proxy::http(proxy.addr.to_string()).basic_auth("alice", "s3cr3t-pw"))
        .build()
        .unwrap();
    let response = transport
        .send(
            Request::put("http://storage.test:9000/bucket/part?X-Amz-Signature=x")
                .body(Bytes::from_static(b"part bytes"))
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.body(), "part bytes");
    assert_eq!(response.headers()["x-path"], "/bucket/part");
    assert_eq!(response.headers()["x-saw-proxy-authorization"], "false");
    let seen = proxy.requests();
    assert_eq!(seen[0].method, "PUT");
    assert_eq!(
        seen[0].target,
        "http://storage.test:9000/bucket/part?X-Amz-Signature=x"
    );
    assert_eq!(seen[0].header("proxy-authorization"), Some(ALICE));
    assert_eq!(seen[0].header("host"), Some("storage.test:9000"));
}

#[tokio::test]
async fn no_proxy_hosts_bypass_it() {
    let pki = Pki::new("ca");
    let server = start_https(TlsServer::new(pki.server(&["localhost", "127.0.0.1"]))).await;
    let proxy = start_proxy(server.addr, None, None).await;
    let transport = HyperTransport::builder()
        .proxy(Proxy::all(proxy.addr.to_string()).no_proxy("localhost, .corp.example"))
        .add_root_certificates_pem(pki.ca_pem())
        .build()
        .unwrap();
    let port = server.addr.port();
    transport
        .send(get(format!("https://localhost:{port}/direct")))
        .await
        .unwrap();
    assert!(proxy.requests().is_empty(), "localhost bypasses the proxy");
    transport
        .send(get(format!("https://127.0.0.1:{port}/proxied")))
        .await
        .unwrap();
    assert_eq!(proxy.requests().len(), 1, "127.0.0.1 is not in NO_PROXY");
    assert_eq!(proxy.requests()[0].target, format!("127.0.0.1:{port}"));
}

#[tokio::test]
async fn environment_variables_choose_the_proxy() {
    let pki = Pki::new("ca");
    let server = start_https(TlsServer::new(pki.server(&["lakefs.test", "localhost"]))).await;
    let proxy = start_proxy(server.addr, None, None).await;
    let proxy_url = format!("http://{}", proxy.addr);
    let env = move |name: &str| match name {
        "https_proxy" => Some(proxy_url.clone()),
        "NO_PROXY" => Some("localhost".to_owned()),
        _ => None,
    };
    let transport = HyperTransport::builder()
        .proxy(Proxy::from_lookup(env))
        .add_root_certificates_pem(pki.ca_pem())
        .build()
        .unwrap();
    transport
        .send(get("https://lakefs.test/".into()))
        .await
        .unwrap();
    assert_eq!(proxy.requests().len(), 1);
    transport
        .send(get(format!("https://localhost:{}/", server.addr.port())))
        .await
        .unwrap();
    assert_eq!(proxy.requests().len(), 1, "NO_PROXY=localhost went direct");
    // HTTP_PROXY is unset: plain http goes direct (and fails to resolve here).
    let error = transport
        .send(get("http://lakefs.test/".into()))
        .await
        .unwrap_err();
    assert!(error.kind() == TransportErrorKind::Connect, "{error:?}");
}

#[tokio::test]
async fn a_refusing_proxy_is_a_proxy_error_without_credentials() {
    let pki = Pki::new("ca");
    let server = start_https(TlsServer::new(pki.server(&["lakefs.test"]))).await;
    let proxy = start_proxy(server.addr, Some(ALICE), None).await;
    let transport = HyperTransport::builder()
        .proxy(Proxy::all(format!("http://alice:wr0ng-pw@{}", proxy.addr)))
        .add_root_certificates_pem(pki.ca_pem())
        .build()
        .unwrap();
    let error = transport
        .send(get("https://lakefs.test/x?X-Amz-Signature=sig".into()))
        .await
        .unwrap_err();
    assert_eq!(error.kind(), TransportErrorKind::Proxy, "{error:?}");
    assert_eq!(
        error.proxy_status(),
        Some(StatusCode::PROXY_AUTHENTICATION_REQUIRED)
    );
    assert!(
        error
            .to_string()
            .contains(&format!("the proxy http://{}/ ", proxy.addr)),
        "{error}"
    );
    assert!(error.is_before_send());
    assert!(!error.is_retryable(), "other credentials are needed");
    let text = format!("{error} {error:?}");
    for secret in ["wr0ng-pw", "alice", "X-Amz-Signature", "sig"] {
        assert!(!text.contains(secret), "{secret} in {text}");
    }
}

#[tokio::test]
async fn an_unreachable_proxy_is_a_connect_error() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let gone = listener.local_addr().unwrap();
    drop(listener);
    let transport = HyperTransport::builder()
        .proxy(Proxy::all(format!("http://bob:hunter2@{gone}")))
        .build()
        .unwrap();
    let error = transport
        .send(get("https://lakefs.test/".into()))
        .await
        .unwrap_err();
    assert!(error.kind() == TransportErrorKind::Connect, "{error:?}");
    assert!(error.is_before_send() && error.is_retryable());
    let mut text = format!("{error} {error:?}");
    let mut source = std::error::Error::source(&error);
    while let Some(cause) = source {
        text.push_str(&format!(" / {cause}"));
        source = cause.source();
    }
    assert!(text.contains("proxy"), "{text}");
    assert!(!text.contains("hunter2") && !text.contains("bob"), "{text}");
}

#[tokio::test]
async fn the_proxy_itself_can_be_reached_over_tls() {
    let pki = Pki::new("ca");
    let server = start_https(TlsServer::new(pki.server(&["lakefs.test"]))).await;
    let proxy = start_proxy(
        server.addr,
        Some(ALICE),
        Some(TlsServer::new(pki.server(&["localhost"]))),
    )
    .await;
    let transport = HyperTransport::builder()
        .proxy(Proxy::all(format!(
            "https://alice:s3cr3t-pw@localhost:{}",
            proxy.addr.port()
        )))
        .add_root_certificates_pem(pki.ca_pem())
        .build()
        .unwrap();
    let response = transport
        .send(get("https://lakefs.test/over-tls".into()))
        .await
        .unwrap();
    assert_eq!(response.headers()["x-path"], "/over-tls");
    assert_eq!(proxy.requests()[0].method, "CONNECT");
}

#[tokio::test]
async fn proxies_can_be_turned_off() {
    let server = start_http().await;
    let proxy = start_proxy(server.addr, None, None).await;
    let proxy_url = format!("http://{}", proxy.addr);
    let env = move |name: &str| (name == "HTTP_PROXY").then(|| proxy_url.clone());
    // Proxy::none() wins over the environment.
    let off = HyperTransport::builder()
        .proxy(Proxy::none())
        .build()
        .unwrap();
    let response = off
        .send(get(format!("http://{}/direct", server.addr)))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let on = HyperTransport::builder()
        .proxy(Proxy::from_lookup(env))
        .build()
        .unwrap();
    assert!(proxy.requests().is_empty());
    on.send(get(format!("http://{}/via", server.addr)))
        .await
        .unwrap();
    assert_eq!(proxy.requests().len(), 1);
    let ignoring_env = HyperTransport::builder()
        .proxy_from_env(false)
        .build()
        .unwrap();
    assert!(format!("{ignoring_env:?}").contains("proxy_from_env: false"));
}

#[tokio::test]
async fn invalid_explicit_proxies_fail_the_build_without_echoing_credentials() {
    let error = HyperTransport::builder()
        .proxy(Proxy::all("socks5://carol:pa55@proxy:1080"))
        .build()
        .unwrap_err();
    let text = format!("{error} {error:?}");
    assert!(text.contains("SOCKS"), "{text}");
    assert!(!text.contains("pa55"), "{text}");
}
