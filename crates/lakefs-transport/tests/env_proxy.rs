//! The proxy environment variables, for real. Environment variables are global to the
//! process, so this file holds a single test (its own process): nothing else reads them
//! while it changes them. Other tests use `Proxy::from_lookup`.
#![cfg(feature = "hyper")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use bytes::Bytes;
use common::{start_http, start_proxy};
use http::Request;
use lakefs_transport::{HttpTransport, HyperTransport};

fn get(uri: String) -> Request<Bytes> {
    Request::get(uri).body(Bytes::new()).unwrap()
}

#[tokio::test]
async fn http_proxy_and_no_proxy_are_read_from_the_environment_by_default() {
    let server = start_http().await;
    let proxy = start_proxy(server.addr, None, None).await;
    for name in [
        "ALL_PROXY",
        "all_proxy",
        "HTTPS_PROXY",
        "https_proxy",
        "http_proxy",
        "no_proxy",
    ] {
        std::env::remove_var(name);
    }
    std::env::set_var("HTTP_PROXY", format!("http://{}", proxy.addr));
    std::env::set_var("NO_PROXY", "localhost");

    let from_env = HyperTransport::new().unwrap();
    let ignoring = HyperTransport::builder()
        .proxy_from_env(false)
        .build()
        .unwrap();
    std::env::remove_var("HTTP_PROXY");
    std::env::remove_var("NO_PROXY");
    // Read at build time: later changes do not matter.
    from_env
        .send(get("http://storage.test/via-env".into()))
        .await
        .unwrap();
    assert_eq!(proxy.requests().len(), 1);
    from_env
        .send(get(format!(
            "http://localhost:{}/direct",
            server.addr.port()
        )))
        .await
        .unwrap();
    assert_eq!(proxy.requests().len(), 1, "NO_PROXY=localhost goes direct");
    ignoring
        .send(get(format!(
            "http://127.0.0.1:{}/direct",
            server.addr.port()
        )))
        .await
        .unwrap();
    assert_eq!(proxy.requests().len(), 1, "proxy_from_env(false)");
}
