//! Behaviour every one of the 18 operations shares over `FakeTransport`: credentials, typed
//! error statuses, malformed answers, retries as classified, timeouts, per-call overrides
//! and argument checks. The exact request of each operation is in `requests.rs`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use lakefs_experimental::ExperimentalApi;
use std::time::Duration;

use common::*;
use http::{Method, StatusCode};
use lakefs_experimental::models::*;
use lakefs_experimental::{
    CookieScheme, Credentials, Error, ErrorKind, ExperimentalClient, Operation, RetryPolicy,
};
use lakefs_transport::fake::{self, FakeTransport, Fault, ResponseExt};

const BASIC: &str = "Basic QUtJQUVYQU1QTEU6d0phbHJYVXRuRkVNSQ=="; // AKIAEXAMPLE:wJalrXUtnFEMI

fn answering(operation: Operation, replies: Vec<fake::Reply>) -> FakeTransport {
    let transport = FakeTransport::new();
    transport.enqueue(operation.method(), "/{*path}", replies);
    transport
}

#[tokio::test]
async fn every_auth_scheme_travels_as_the_spec_declares() {
    let cases = [
        (
            Credentials::basic("AKIAEXAMPLE", "wJalrXUtnFEMI"),
            "authorization",
            BASIC.to_owned(),
        ),
        (
            Credentials::bearer("eyJ.a.b"),
            "authorization",
            "Bearer eyJ.a.b".to_owned(),
        ),
        (
            Credentials::cookie(CookieScheme::Internal, "s1"),
            "cookie",
            "internal_auth_session=s1".to_owned(),
        ),
        (
            Credentials::cookie(CookieScheme::Oidc, "s2"),
            "cookie",
            "oidc_auth_session=s2".to_owned(),
        ),
        (
            Credentials::cookie(CookieScheme::Saml, "s3"),
            "cookie",
            "saml_auth_session=s3".to_owned(),
        ),
    ];
    for (credentials, header, expected) in cases {
        for operation in Operation::EXPERIMENTAL
            .into_iter()
            .filter(|op| op.is_authenticated())
        {
            let transport = answering(operation, vec![Ok(success(operation))]);
            invoke(&client_with(&transport, credentials.clone()), operation)
                .await
                .unwrap();
            let request = only_request(&transport);
            assert_eq!(request.headers[header], expected.as_str(), "{operation}");
            assert!(
                request.headers[header].is_sensitive(),
                "{operation}: header not marked sensitive"
            );
            let other = if header == "cookie" {
                "authorization"
            } else {
                "cookie"
            };
            assert!(!request.headers.contains_key(other), "{operation}");
        }
    }
}

/// The error statuses the spec declares per operation (v1.84.0), plus 420 (servers before
/// v1.64.1), and 500 and 501 which arrive as `default`.
fn declared_errors(operation: Operation) -> Vec<u16> {
    let mut statuses = vec![400, 401];
    statuses.extend(match operation {
        Operation::CompletePresignMultipartUpload | Operation::CreateUserExternalPrincipal => {
            vec![404, 409]
        }
        Operation::HardResetBranch
        | Operation::UpdatePullRequest
        | Operation::ExternalPrincipalLogin => vec![403, 404],
        Operation::CreatePullRequest => vec![403, 404, 409],
        Operation::MergePullRequest => vec![403, 404, 409, 412],
        Operation::StsLogin => vec![],
        _ => vec![404],
    });
    statuses.extend([420, 429, 500, 501]);
    statuses
}

fn assert_variant(error: &Error, status: u16, operation: Operation) {
    let ok = match status {
        400 => error.kind() == ErrorKind::BadRequest,
        401 => error.kind() == ErrorKind::Unauthorized,
        403 => error.kind() == ErrorKind::Forbidden,
        404 => error.kind() == ErrorKind::NotFound,
        409 => error.kind() == ErrorKind::Conflict,
        420 | 429 => error.kind() == ErrorKind::TooManyRequests,
        501 => error.kind() == ErrorKind::NotImplemented,
        412 => error.kind() == ErrorKind::ClientError,
        _ => error.kind() == ErrorKind::ServerError,
    };
    assert!(ok, "{operation} {status}: got {error:?}");
    assert_eq!(error.operation(), Some(operation));
    assert_eq!(error.status().map(|s| s.as_u16()), Some(status));
}

#[tokio::test(start_paused = true)]
async fn every_declared_error_status_is_typed_with_the_server_message() {
    for operation in Operation::EXPERIMENTAL {
        for status in declared_errors(operation) {
            let code = StatusCode::from_u16(status).unwrap();
            let body = if matches!(status, 420 | 429) {
                String::new()
            } else {
                format!(r#"{{"message":"boom {status}"}}"#)
            };
            // Enough replies for every retry.
            let transport = answering(
                operation,
                (0..4).map(|_| Ok(fake::json(code, body.clone()))).collect(),
            );
            let error = invoke(&client(&transport), operation).await.unwrap_err();
            assert_variant(&error, status, operation);
            if !body.is_empty() {
                assert_eq!(
                    error.server_message(),
                    Some(format!("boom {status}").as_str())
                );
                assert!(
                    error.to_string().contains(&format!("boom {status}")),
                    "{error}"
                );
                assert!(error.to_string().contains(operation.id()), "{error}");
            }
        }
    }
}

#[tokio::test]
async fn non_json_error_bodies_are_described_never_echoed() {
    let html = format!(
        "<html><body><h1>502 Bad Gateway</h1>{}</body></html>",
        "x".repeat(5000)
    );
    let transport = answering(
        Operation::CompletePresignMultipartUpload,
        vec![Ok(fake::response(StatusCode::BAD_GATEWAY, html))],
    );
    let error = invoke(
        &client(&transport),
        Operation::CompletePresignMultipartUpload,
    )
    .await
    .unwrap_err();
    assert!(
        error.kind() == ErrorKind::ServerError && error.status() == Some(StatusCode::BAD_GATEWAY),
        "{error:?}"
    );
    let message = error.server_message().unwrap();
    assert_eq!(
        message,
        "(a 5050-byte untyped body that is not lakeFS's error JSON)"
    );
    assert!(!format!("{error} {error:?}").contains("<html>"));

    let transport = answering(
        Operation::GetExternalPrincipal,
        vec![Ok(fake::response(StatusCode::NOT_FOUND, ""))],
    );
    let error = invoke(&client(&transport), Operation::GetExternalPrincipal)
        .await
        .unwrap_err();
    assert_eq!(error.server_message(), Some("(empty body)"));

    let transport = answering(
        Operation::HardResetBranch,
        vec![Ok(fake::response(
            StatusCode::IM_A_TEAPOT,
            "short and stout",
        ))],
    );
    let error = invoke(&client(&transport), Operation::HardResetBranch)
        .await
        .unwrap_err();
    assert!(
        error.kind() == ErrorKind::ClientError && error.status() == Some(StatusCode::IM_A_TEAPOT),
        "{error:?}"
    );
}

#[tokio::test]
async fn conflict_on_complete_decodes_error_or_staging_location() {
    let transport = answering(
        Operation::CompletePresignMultipartUpload,
        vec![Ok(fake::json(
            StatusCode::CONFLICT,
            r#"{"physical_address":"s3://b/x","presigned_url":null}"#,
        ))],
    );
    let error = invoke(
        &client(&transport),
        Operation::CompletePresignMultipartUpload,
    )
    .await
    .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Conflict, "{error:?}");
    let location = error.staging_location().expect("a StagingLocation body");
    assert_eq!(location.physical_address.as_deref(), Some("s3://b/x"));
    let transport = answering(
        Operation::CompletePresignMultipartUpload,
        vec![Ok(fake::json(
            StatusCode::CONFLICT,
            r#"{"message":"conflict with a commit"}"#,
        ))],
    );
    let error = invoke(
        &client(&transport),
        Operation::CompletePresignMultipartUpload,
    )
    .await
    .unwrap_err();
    assert!(
        error.kind() == ErrorKind::Conflict
            && error.staging_location().is_none()
            && error.server_message() == Some("conflict with a commit")
    );
}

#[tokio::test]
async fn malformed_success_json_is_a_decode_error() {
    for operation in [
        Operation::CreatePresignMultipartUpload,
        Operation::CompletePresignMultipartUpload,
        Operation::UploadPart,
        Operation::GetExternalPrincipal,
        Operation::ListUserExternalPrincipals,
        Operation::ExternalPrincipalLogin,
        Operation::StsLogin,
        Operation::ListPullRequests,
        Operation::CreatePullRequest,
        Operation::GetPullRequest,
        Operation::MergePullRequest,
    ] {
        let status = success(operation).status();
        let transport = answering(
            operation,
            vec![Ok(fake::json(status, r#"{"unexpected": tru"#))],
        );
        let error = invoke(&client(&transport), operation).await.unwrap_err();
        assert!(error.kind() == ErrorKind::Decode, "{operation}: {error:?}");
        assert!(error.to_string().contains("line 1 column"), "{error}");
        assert!(std::error::Error::source(&error).is_none());
        assert!(!error.is_retryable());
    }
    // Valid JSON of the wrong shape names the missing field, and never shows a value of the
    // body: an STS answer the client cannot decode must not print its token, a create answer
    // its presigned URLs.
    for (operation, body) in [
        (
            Operation::StsLogin,
            r#"{"tok":"eyJhbGciOiJIUzI1NiJ9.secret"}"#,
        ),
        (
            Operation::StsLogin,
            r#"{"token":"eyJhbGciOiJIUzI1NiJ9.secret","token_expiration":"eyJhbGciOiJIUzI1NiJ9.secret"}"#,
        ),
        (
            Operation::CreatePresignMultipartUpload,
            r#"{"upload_id":"u","physical_address":7,"presigned_urls":["https://s3/p?X-Amz-Signature=deadbeef"]}"#,
        ),
        (
            Operation::CreatePresignMultipartUpload,
            r#"{"upload_id":"u","presigned_urls":"https://s3/p?X-Amz-Signature=deadbeef"}"#,
        ),
    ] {
        let transport = answering(
            operation,
            vec![Ok(fake::json(success(operation).status(), body))],
        );
        let error = invoke(&client(&transport), operation).await.unwrap_err();
        let text = format!("{error} {error:?}");
        assert!(error.kind() == ErrorKind::Decode, "{text}");
        assert!(
            !text.contains("eyJ") && !text.contains("deadbeef"),
            "a body value leaked: {text}"
        );
    }
    let transport = answering(
        Operation::StsLogin,
        vec![Ok(fake::json(StatusCode::OK, r#"{"tok":"x"}"#))],
    );
    let error = invoke(&client(&transport), Operation::StsLogin)
        .await
        .unwrap_err();
    assert!(
        error.to_string().contains("missing field `token`"),
        "{error}"
    );
}

#[tokio::test(start_paused = true)]
async fn retries_429_for_every_operation_and_503_only_where_a_repeat_is_safe() {
    for operation in Operation::EXPERIMENTAL {
        let transport = answering(
            operation,
            vec![
                Ok(fake::response(StatusCode::TOO_MANY_REQUESTS, "")),
                Ok(fake::response(StatusCode::from_u16(420).unwrap(), "")),
                Ok(success(operation)),
            ],
        );
        invoke(&client(&transport), operation)
            .await
            .unwrap_or_else(|e| panic!("{operation}: {e}"));
        assert_eq!(transport.requests().len(), 3, "{operation}");

        // A 503 may come from a proxy after the handler ran (Envoy's "upstream reset").
        let transport = answering(
            operation,
            vec![
                Ok(fake::response(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "upstream connect error or disconnect/reset before headers",
                )),
                Ok(success(operation)),
            ],
        );
        let result = invoke(&client(&transport), operation).await;
        assert_eq!(result.is_ok(), operation.is_idempotent(), "{operation}");
        let expected = if operation.is_idempotent() { 2 } else { 1 };
        assert_eq!(transport.requests().len(), expected, "{operation}");
    }
}

#[tokio::test(start_paused = true)]
async fn no_retry_on_400() {
    for operation in Operation::EXPERIMENTAL {
        let transport = answering(
            operation,
            vec![
                Ok(fake::json(StatusCode::BAD_REQUEST, r#"{"message":"no"}"#)),
                Ok(success(operation)),
            ],
        );
        let error = invoke(&client(&transport), operation).await.unwrap_err();
        assert!(error.kind() == ErrorKind::BadRequest);
        assert_eq!(transport.requests().len(), 1, "{operation}");
    }
}

#[tokio::test(start_paused = true)]
async fn ambiguous_failures_are_retried_only_for_idempotent_operations() {
    // Written out, not derived from `is_idempotent`, so that a wrong classification fails.
    let idempotent = [
        Operation::GetExternalPrincipal,
        Operation::ListUserExternalPrincipals,
        Operation::ExternalPrincipalLogin,
        Operation::HardResetBranch,
        Operation::UploadPart,
        Operation::UploadPartCopy,
        Operation::UpdateObjectUserMetadata,
        Operation::ListPullRequests,
        Operation::GetPullRequest,
        Operation::UpdatePullRequest,
    ];
    for operation in Operation::EXPERIMENTAL {
        assert_eq!(
            operation.is_idempotent(),
            idempotent.contains(&operation),
            "{operation}"
        );
        let transport = answering(
            operation,
            vec![Err(Fault::ResetAfterHandling), Ok(success(operation))],
        );
        let result = invoke(&client(&transport), operation).await;
        if operation.is_idempotent() {
            result.unwrap_or_else(|e| panic!("{operation}: {e}"));
            assert_eq!(transport.requests().len(), 2, "{operation}");
        } else {
            let error = result.unwrap_err();
            assert!(
                error.kind() == ErrorKind::Transport,
                "{operation}: {error:?}"
            );
            assert_eq!(
                transport.requests().len(),
                1,
                "{operation} must not be repeated blindly"
            );
        }
        // A 502 from a proxy is just as ambiguous.
        let transport = answering(
            operation,
            vec![
                Ok(fake::response(StatusCode::BAD_GATEWAY, "")),
                Ok(success(operation)),
            ],
        );
        let result = invoke(&client(&transport), operation).await;
        assert_eq!(result.is_ok(), operation.is_idempotent(), "{operation}");
        // A refused connection proves nothing was sent: every operation retries it.
        let transport = answering(
            operation,
            vec![Err(Fault::ConnectionRefused), Ok(success(operation))],
        );
        invoke(&client(&transport), operation)
            .await
            .unwrap_or_else(|e| panic!("{operation}: {e}"));
    }
}

#[tokio::test(start_paused = true)]
async fn retries_give_up_after_max_attempts_and_honour_retry_after() {
    let transport = answering(
        Operation::HardResetBranch,
        (0..10)
            .map(|_| {
                Ok(fake::response(StatusCode::SERVICE_UNAVAILABLE, "")
                    .with_header("retry-after", "3"))
            })
            .collect(),
    );
    let started = tokio::time::Instant::now();
    let error = invoke(&client(&transport), Operation::HardResetBranch)
        .await
        .unwrap_err();
    assert_eq!(error.status(), Some(StatusCode::SERVICE_UNAVAILABLE));
    assert_eq!(error.kind(), ErrorKind::ServerError);
    assert_eq!(transport.requests().len(), 4, "max_attempts is 4");
    assert_eq!(
        started.elapsed(),
        Duration::from_secs(9),
        "three waits of Retry-After: 3"
    );

    let transport = answering(
        Operation::GetExternalPrincipal,
        vec![Ok(
            fake::response(StatusCode::TOO_MANY_REQUESTS, "").with_header("retry-after", "120")
        )],
    );
    let error = invoke(&client(&transport), Operation::GetExternalPrincipal)
        .await
        .unwrap_err();
    assert!(
        error.kind() == ErrorKind::TooManyRequests
            && error.retry_after() == Some(Duration::from_secs(120)),
        "a Retry-After beyond the 60 s budget is not waited for: {error:?}"
    );
    assert_eq!(transport.requests().len(), 1);
}

#[tokio::test(start_paused = true)]
async fn per_attempt_timeout() {
    let transport = FakeTransport::new();
    transport.route(Method::GET, "/{*p}", |_, _| {
        Ok(success(Operation::GetExternalPrincipal))
    });
    transport.set_latency(lakefs_transport::fake::Latency::fixed(Duration::from_secs(
        30,
    )));
    let client = ExperimentalClient::builder()
        .endpoint(ENDPOINT)
        .timeout(Duration::from_secs(2))
        .retry_policy(lakefs_experimental::RetryPolicy::none())
        .build_with_transport(transport.clone())
        .unwrap();
    let error = client
        .get_external_principal()
        .principal_id("p")
        .send()
        .await
        .unwrap_err();
    assert!(
        error.timeout_after() == Some(Duration::from_secs(2)),
        "{error:?}"
    );
    assert!(error.is_retryable());
}

#[tokio::test(start_paused = true)]
async fn timeout_and_retry_policy_can_be_overridden_per_call() {
    let transport = FakeTransport::new();
    transport.route(Method::GET, "/{*p}", |_, _| {
        Ok(success(Operation::GetPullRequest))
    });
    transport.set_latency(lakefs_transport::fake::Latency::fixed(Duration::from_secs(
        30,
    )));
    // The client would give up after 2 s and never retry ...
    let client = ExperimentalClient::builder()
        .endpoint(ENDPOINT)
        .timeout(Duration::from_secs(2))
        .retry_policy(RetryPolicy::none())
        .build_with_transport(transport.clone())
        .unwrap();
    // ... but this call waits up to 60 s per attempt,
    client
        .get_pull_request()
        .repository("r")
        .pull_request("p")
        .timeout(Duration::from_secs(60))
        .send()
        .await
        .unwrap();
    // and this one, with a 10 s limit, is tried three times.
    let started = tokio::time::Instant::now();
    let error = client
        .get_pull_request()
        .repository("r")
        .pull_request("p")
        .timeout(Duration::from_secs(10))
        .retry_policy(
            RetryPolicy::default()
                .max_attempts(3)
                .initial_backoff(Duration::ZERO)
                .max_backoff(Duration::ZERO),
        )
        .send()
        .await
        .unwrap_err();
    assert!(
        error.timeout_after() == Some(Duration::from_secs(10)),
        "{error:?}"
    );
    assert_eq!(
        transport.requests().len(),
        4,
        "one call, then three attempts"
    );
    assert_eq!(started.elapsed(), Duration::from_secs(30));
    // The client's own settings are unchanged by the overrides.
    let error = client
        .get_pull_request()
        .repository("r")
        .pull_request("p")
        .send()
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Timeout);
}

#[tokio::test]
async fn bad_arguments_fail_before_any_request() {
    let transport = FakeTransport::new();
    let client = client(&transport);
    let errors = vec![
        (
            client
                .create_presign_multipart_upload()
                .branch("b")
                .path("p")
                .send()
                .await
                .map(drop),
            "repository",
        ),
        (
            client
                .create_presign_multipart_upload()
                .repository("r")
                .branch("b")
                .path("p")
                .parts(10_001)
                .send()
                .await
                .map(drop),
            "parts",
        ),
        (
            client
                .create_presign_multipart_upload()
                .repository("r")
                .branch("b")
                .path("")
                .parts(1)
                .send()
                .await
                .map(drop),
            "path",
        ),
        (
            client
                .complete_presign_multipart_upload()
                .repository("r")
                .branch("b")
                .upload_id("u")
                .path("p")
                .physical_address("a")
                .part(2, "e")
                .part(1, "e")
                .send()
                .await
                .map(drop),
            "parts",
        ),
        (
            client
                .complete_presign_multipart_upload()
                .repository("r")
                .branch("b")
                .upload_id("u")
                .path("p")
                .physical_address("a")
                .parts(vec![])
                .send()
                .await
                .map(drop),
            "parts",
        ),
        (
            client
                .complete_presign_multipart_upload()
                .repository("r")
                .branch("b")
                .upload_id("u")
                .path("p")
                .part(1, "e")
                .send()
                .await
                .map(drop),
            "physical_address",
        ),
        (
            client
                .abort_presign_multipart_upload()
                .repository("r")
                .branch("b")
                .upload_id("")
                .path("p")
                .physical_address("a")
                .send()
                .await,
            "uploadId",
        ),
        (
            client
                .upload_part()
                .repository("r")
                .branch("b")
                .upload_id("u")
                .path("p")
                .physical_address("a")
                .send()
                .await
                .map(drop),
            "partNumber",
        ),
        (
            client
                .upload_part()
                .repository("r")
                .branch("b")
                .upload_id("u")
                .part_number(0)
                .path("p")
                .physical_address("a")
                .send()
                .await
                .map(drop),
            "partNumber",
        ),
        (
            client
                .upload_part_copy()
                .repository("r")
                .branch("b")
                .upload_id("u")
                .part_number(1)
                .path("p")
                .physical_address("a")
                .send()
                .await
                .map(drop),
            "copy_source",
        ),
        (
            client
                .upload_part_copy()
                .repository("r")
                .branch("b")
                .upload_id("u")
                .part_number(1)
                .path("p")
                .physical_address("a")
                .copy_source(CopyPartSource::new("r", "", "p"))
                .send()
                .await
                .map(drop),
            "copy_source.ref",
        ),
        (
            client
                .upload_part_copy()
                .repository("r")
                .branch("b")
                .upload_id("u")
                .part_number(1)
                .path("p")
                .physical_address("a")
                .copy_source({
                    let mut source = CopyPartSource::new("r", "main", "p");
                    source.range = Some("bytes=100-".into());
                    source
                })
                .send()
                .await
                .map(drop),
            "copy_source.range",
        ),
        (
            client
                .update_object_user_metadata()
                .repository("r")
                .branch("b")
                .path("p")
                .send()
                .await,
            "set",
        ),
        (
            client.get_external_principal().send().await.map(drop),
            "principalId",
        ),
        (
            client
                .create_user_external_principal()
                .user_id("u")
                .send()
                .await,
            "principalId",
        ),
        (
            client
                .delete_user_external_principal()
                .principal_id("p")
                .send()
                .await,
            "userId",
        ),
        (
            client
                .list_user_external_principals()
                .user_id("u")
                .amount(1001)
                .send()
                .await
                .map(drop),
            "amount",
        ),
        (
            client
                .list_user_external_principals()
                .user_id("u")
                .amount(-2)
                .send()
                .await
                .map(drop),
            "amount",
        ),
        (
            client
                .external_principal_login()
                .token_expiration_duration(5)
                .send()
                .await
                .map(drop),
            "identityRequest",
        ),
        (
            client
                .hard_reset_branch()
                .repository("r")
                .branch("b")
                .reference("")
                .send()
                .await,
            "ref",
        ),
        (
            client
                .sts_login()
                .code("")
                .state("s")
                .redirect_uri("r")
                .send()
                .await
                .map(drop),
            "code",
        ),
        (
            client
                .sts_login()
                .code("c")
                .state("s")
                .send()
                .await
                .map(drop),
            "redirect_uri",
        ),
        (
            client.list_pull_requests().send().await.map(drop),
            "repository",
        ),
        (
            client
                .create_pull_request()
                .repository("r")
                .title("t")
                .source_branch("a")
                .send()
                .await
                .map(drop),
            "destination_branch",
        ),
        (
            client
                .get_pull_request()
                .repository("r")
                .send()
                .await
                .map(drop),
            "pull_request",
        ),
        (
            client
                .update_pull_request()
                .pull_request("p")
                .title("t")
                .send()
                .await,
            "repository",
        ),
        (
            client
                .merge_pull_request()
                .repository("r")
                .pull_request("")
                .send()
                .await
                .map(drop),
            "pull_request",
        ),
    ];
    for (result, argument) in errors {
        let error = result.unwrap_err();
        assert!(
            error.argument() == Some(argument),
            "expected {argument}: {error:?}"
        );
        assert!(error.to_string().contains(argument), "{error}");
    }
    assert!(transport.requests().is_empty(), "nothing may be sent");
}

#[tokio::test]
async fn endpoint_with_api_path_is_not_doubled() {
    let transport = answering(
        Operation::HardResetBranch,
        vec![Ok(success(Operation::HardResetBranch))],
    );
    let client = ExperimentalClient::builder()
        .endpoint("https://lakefs.example/api/v1/")
        .build_with_transport(transport.clone())
        .unwrap();
    client
        .hard_reset_branch()
        .repository("r")
        .branch("b")
        .reference("c")
        .force(false)
        .send()
        .await
        .unwrap();
    assert_eq!(
        only_request(&transport).uri.to_string(),
        "https://lakefs.example/api/v1/repositories/r/branches/b/hard_reset?ref=c&force=false"
    );
    assert!(ExperimentalClient::builder()
        .build_with_transport(FakeTransport::new())
        .unwrap_err()
        .to_string()
        .contains("endpoint"));
}

/// Never answers the first `hang` requests; answers the rest through `inner`.
struct HangFirst {
    hang: std::sync::atomic::AtomicUsize,
    inner: FakeTransport,
}

impl lakefs_transport::HttpTransport for HangFirst {
    fn send(
        &self,
        request: http::Request<bytes::Bytes>,
    ) -> lakefs_transport::BoxFuture<
        '_,
        Result<http::Response<bytes::Bytes>, lakefs_transport::TransportError>,
    > {
        let hang = self
            .hang
            .fetch_update(
                std::sync::atomic::Ordering::SeqCst,
                std::sync::atomic::Ordering::SeqCst,
                |n| n.checked_sub(1),
            )
            .is_ok();
        if hang {
            return Box::pin(std::future::pending());
        }
        self.inner.send(request)
    }
}

#[tokio::test(start_paused = true)]
async fn a_timed_out_idempotent_call_is_retried_with_the_defaults() {
    // Before: the 60 s attempt timeout used up the 60 s budget, so a timeout was never retried.
    for hangs in [1, 3] {
        let inner = FakeTransport::new();
        inner.route(Method::GET, "/{*p}", |_, _| {
            Ok(success(Operation::GetPullRequest))
        });
        let transport = HangFirst {
            hang: std::sync::atomic::AtomicUsize::new(hangs),
            inner: inner.clone(),
        };
        let client = ExperimentalClient::builder()
            .endpoint(ENDPOINT)
            .build_with_transport(transport)
            .unwrap();
        let started = tokio::time::Instant::now();
        client
            .get_pull_request()
            .repository("r")
            .pull_request("p")
            .send()
            .await
            .unwrap_or_else(|e| panic!("{hangs} timeouts: {e}"));
        assert_eq!(inner.requests().len(), 1);
        assert!(started.elapsed() >= Duration::from_secs(60) * hangs as u32);
    }
    // A non-idempotent call is not repeated after a timeout: its outcome is unknown.
    let inner = FakeTransport::new();
    let transport = HangFirst {
        hang: std::sync::atomic::AtomicUsize::new(1),
        inner: inner.clone(),
    };
    let client = ExperimentalClient::builder()
        .endpoint(ENDPOINT)
        .build_with_transport(transport)
        .unwrap();
    let error = client
        .merge_pull_request()
        .repository("r")
        .pull_request("p")
        .send()
        .await
        .unwrap_err();
    assert!(
        error.kind() == ErrorKind::Timeout && error.is_ambiguous(),
        "{error}"
    );
    assert!(inner.requests().is_empty());
}
