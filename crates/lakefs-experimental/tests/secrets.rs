//! Secrets never appear in `Debug` or `Display` of the client, its configuration or errors.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use http::StatusCode;
use lakefs_experimental::models::StsAuthRequest;
use lakefs_experimental::ExperimentalApi;
use lakefs_experimental::{CookieScheme, Credentials, ErrorKind, ExperimentalClient};
use lakefs_transport::fake::{self, FakeTransport};

const SECRETS: [&str; 5] = [
    "s3cr3t-key",
    "eyJhbGciOiJIUzI1NiJ9.tok",
    "cookie-val",
    "oidc-val",
    "saml-val",
];

fn all_credentials() -> Vec<Credentials> {
    vec![
        Credentials::basic("AKIAEXAMPLE", SECRETS[0]),
        Credentials::bearer(SECRETS[1]),
        Credentials::cookie(CookieScheme::Internal, SECRETS[2]),
        Credentials::cookie(CookieScheme::Oidc, SECRETS[3]),
        Credentials::cookie(CookieScheme::Saml, SECRETS[4]),
    ]
}

fn assert_clean(text: &str) {
    for secret in SECRETS {
        assert!(
            !text.contains(secret),
            "secret {secret:?} leaked in: {text}"
        );
    }
    // The base64 of the basic pair must not leak either.
    assert!(!text.contains("QUtJQUVYQU1QTEU6"), "{text}");
}

#[tokio::test]
async fn client_builder_credentials_and_errors_never_show_secrets() {
    for credentials in all_credentials() {
        assert_clean(&format!("{credentials:?}"));
        let builder = ExperimentalClient::builder()
            .endpoint("http://lakefs.test")
            .credentials(credentials.clone());
        assert_clean(&format!("{builder:?}"));

        let transport = FakeTransport::new();
        transport.fallback(|_, _| {
            Ok(fake::json(
                StatusCode::UNAUTHORIZED,
                r#"{"message":"authentication failed"}"#,
            ))
        });
        let client = ExperimentalClient::builder()
            .endpoint("http://lakefs.test")
            .credentials(credentials)
            .build_with_transport(transport.clone())
            .unwrap();
        assert_clean(&format!("{client:?}"));
        let error = client
            .hard_reset_branch()
            .repository("r")
            .branch("b")
            .reference("c")
            .send()
            .await
            .unwrap_err();
        assert!(error.kind() == ErrorKind::Unauthorized);
        assert_clean(&format!("{error} {error:?}"));
        // The request really carried the secret, so a leak would have been caught; and the
        // recorded headers' own Debug hides it (the header is marked sensitive).
        let headers = &transport.requests()[0].headers;
        let carried = headers.values().any(|v| {
            let v = String::from_utf8_lossy(v.as_bytes());
            SECRETS.iter().any(|s| v.contains(s)) || v.starts_with("Basic ")
        });
        assert!(carried, "no credential was sent");
        assert_clean(&format!("{headers:?}"));
    }
}

#[tokio::test]
async fn transport_errors_do_not_leak_credentials_or_queries() {
    let transport = FakeTransport::new(); // no routes: every request fails
    let client = ExperimentalClient::builder()
        .endpoint("http://lakefs.test")
        .credentials(Credentials::basic("AKIAEXAMPLE", SECRETS[0]))
        .build_with_transport(transport)
        .unwrap();
    let error = client
        .get_external_principal()
        .principal_id("arn:secret-principal")
        .send()
        .await
        .unwrap_err();
    assert!(error.kind() == ErrorKind::Transport);
    let text = format!("{error} {error:?}");
    assert_clean(&text);
    assert!(
        !text.contains("secret-principal"),
        "query values are redacted: {text}"
    );
}

#[tokio::test]
async fn sts_tokens_and_codes_stay_hidden() {
    let transport = FakeTransport::new();
    transport.fallback(|_, _| {
        Ok(fake::json(
            StatusCode::OK,
            format!(r#"{{"token":"{}"}}"#, SECRETS[1]),
        ))
    });
    let client = ExperimentalClient::builder()
        .endpoint("http://lakefs.test")
        .build_with_transport(transport)
        .unwrap();
    let request = StsAuthRequest::new("the-idp-code", "the-state", "https://app/cb");
    assert!(!format!("{request:?}").contains("the-idp-code"));
    let builder = client
        .sts_login()
        .code("the-idp-code")
        .state("the-state")
        .redirect_uri("https://app/cb");
    assert!(!format!("{builder:?}").contains("the-idp-code"));
    let token = builder.send().await.unwrap();
    assert_clean(&format!("{token:?}"));
    let logged_in = client.with_credentials(Credentials::bearer(token.token));
    assert_clean(&format!("{logged_in:?}"));
}

#[test]
fn endpoint_userinfo_is_refused_without_echoing_it() {
    let error = ExperimentalClient::builder()
        .endpoint("http://admin:hunter2@lakefs.test")
        .build_with_transport(FakeTransport::new())
        .unwrap_err();
    let text = format!("{error} {error:?}");
    assert!(!text.contains("hunter2"), "{text}");
    let builder = ExperimentalClient::builder().endpoint("http://admin:hunter2@lakefs.test");
    assert!(!format!("{builder:?}").contains("hunter2"));
}
