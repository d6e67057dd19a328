//! Every operation over `FakeTransport`: the exact request, success decoding, each error
//! status, malformed answers and retries.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::Duration;

use common::*;
use http::{Method, StatusCode};
use lakefs_experimental::models::*;
use lakefs_experimental::{
    CookieScheme, Credentials, Error, ExperimentalClient, ListExternalPrincipals, Operation,
};
use lakefs_transport::fake::{self, FakeTransport, Fault, ResponseExt};
use serde_json::json;

const BASIC: &str = "Basic QUtJQUVYQU1QTEU6d0phbHJYVXRuRkVNSQ=="; // AKIAEXAMPLE:wJalrXUtnFEMI

/// The request `operation` sends, answered with its success.
async fn sent_by(operation: Operation) -> lakefs_transport::fake::RecordedRequest {
    let transport = answering(operation, vec![Ok(success(operation))]);
    invoke(&client(&transport), operation).await.unwrap();
    only_request(&transport)
}

fn answering(operation: Operation, replies: Vec<fake::Reply>) -> FakeTransport {
    let transport = FakeTransport::new();
    transport.enqueue(operation.method(), "/{*path}", replies);
    transport
}

#[tokio::test]
async fn create_presign_multipart_upload_request_and_answer() {
    let transport = answering(
        Operation::CreatePresignMultipartUpload,
        vec![Ok(success(Operation::CreatePresignMultipartUpload))],
    );
    let upload = client(&transport)
        .create_presign_multipart_upload("repo", "feature/x", "dir/my file?#%+é.parquet", Some(3))
        .await
        .unwrap();
    assert_eq!(upload.upload_id, "u1");
    assert_eq!(upload.presigned_urls.unwrap().len(), 3);
    let request = only_request(&transport);
    assert_eq!(request.method, Method::POST);
    assert_eq!(
        request.uri.to_string(),
        "http://lakefs.test:8000/api/v1/repositories/repo/branches/feature%2Fx/staging/pmpu?path=dir%2Fmy%20file%3F%23%25%2B%C3%A9.parquet&parts=3"
    );
    assert_eq!(request.query("path").unwrap(), "dir/my file?#%+é.parquet");
    assert_eq!(request.headers["authorization"], BASIC);
    assert_eq!(request.headers["accept"], "application/json");
    assert!(request.headers["user-agent"]
        .to_str()
        .unwrap()
        .starts_with("lakefs-rs/"));
    assert!(request.body.is_empty());
    assert!(!request.headers.contains_key("content-type"));
}

#[tokio::test]
async fn create_omits_parts_when_unset() {
    let transport = answering(
        Operation::CreatePresignMultipartUpload,
        vec![Ok(fake::json(
            StatusCode::CREATED,
            r#"{"upload_id":"u","physical_address":"p"}"#,
        ))],
    );
    let upload = client(&transport)
        .create_presign_multipart_upload("r", "b", "p", None)
        .await
        .unwrap();
    assert_eq!(upload.presigned_urls, None);
    assert_eq!(only_request(&transport).uri.query(), Some("path=p"));
}

#[tokio::test]
async fn complete_request_and_answer() {
    let transport = answering(
        Operation::CompletePresignMultipartUpload,
        vec![Ok(success(Operation::CompletePresignMultipartUpload))],
    );
    invoke(
        &client(&transport),
        Operation::CompletePresignMultipartUpload,
    )
    .await
    .unwrap();
    let request = only_request(&transport);
    assert_eq!(request.method, Method::PUT);
    assert_eq!(
        request.uri.path(),
        "/api/v1/repositories/repo/branches/feature%2Fx/staging/pmpu/upload%2Fid%2B1"
    );
    assert_eq!(request.uri.query(), Some("path=dir%2Fmy%20file.parquet"));
    assert_eq!(request.headers["content-type"], "application/json");
    assert_eq!(
        body_json(&request),
        json!({
            "physical_address": "s3://bucket/ns/data/g1/o1,sig",
            "parts": [{"part_number": 1, "etag": "etag1"}, {"part_number": 2, "etag": "etag2"}],
            "user_metadata": {"k": "v"},
            "content_type": "application/x-parquet",
        })
    );
    let transport = answering(
        Operation::CompletePresignMultipartUpload,
        vec![Ok(success(Operation::CompletePresignMultipartUpload))],
    );
    let stats = client(&transport)
        .complete_presign_multipart_upload(
            "r",
            "b",
            "u",
            "p",
            &CompletePresignMultipartUpload::new("a", vec![UploadPart::new(1, "e")]),
        )
        .await
        .unwrap();
    assert_eq!(stats.size_bytes, Some(10_485_761));
    assert_eq!(stats.path_type, PathType::Object);
    assert_eq!(stats.metadata.unwrap()["k"], "v");
}

#[tokio::test]
async fn abort_request() {
    let request = sent_by(Operation::AbortPresignMultipartUpload).await;
    assert_eq!(request.method, Method::DELETE);
    assert_eq!(
        request.uri.path(),
        "/api/v1/repositories/repo/branches/main/staging/pmpu/up1"
    );
    assert_eq!(request.uri.query(), Some("path=a%20b"));
    assert_eq!(
        body_json(&request),
        json!({"physical_address": "s3://bucket/ns/data/g1/o1,sig"})
    );
}

#[tokio::test]
async fn create_user_external_principal_request() {
    let request = sent_by(Operation::CreateUserExternalPrincipal).await;
    assert_eq!(request.method, Method::POST);
    assert_eq!(
        request.uri.path(),
        "/api/v1/auth/users/alice%40example.com/external/principals"
    );
    assert_eq!(
        request.query("principalId").unwrap(),
        "arn:aws:sts::123:assumed-role/r/s"
    );
    assert_eq!(
        request.uri.query(),
        Some("principalId=arn%3Aaws%3Asts%3A%3A123%3Aassumed-role%2Fr%2Fs")
    );
    assert_eq!(body_json(&request), json!({"settings": {"role": "r"}}));

    // Without a body, nothing is sent but the query.
    let transport = answering(
        Operation::CreateUserExternalPrincipal,
        vec![Ok(success(Operation::CreateUserExternalPrincipal))],
    );
    client(&transport)
        .create_user_external_principal("u", "p", None)
        .await
        .unwrap();
    let request = only_request(&transport);
    assert!(request.body.is_empty() && !request.headers.contains_key("content-type"));
}

#[tokio::test]
async fn delete_and_get_external_principal_requests() {
    let request = sent_by(Operation::DeleteUserExternalPrincipal).await;
    assert_eq!(request.method, Method::DELETE);
    assert_eq!(
        request.uri.path(),
        "/api/v1/auth/users/alice/external/principals"
    );
    assert_eq!(
        request.query("principalId").unwrap(),
        "arn:aws:sts::123:assumed-role/r"
    );
    assert!(request.body.is_empty());

    let transport = answering(
        Operation::GetExternalPrincipal,
        vec![Ok(success(Operation::GetExternalPrincipal))],
    );
    let principal = client(&transport)
        .get_external_principal("arn:aws:sts::123:assumed-role/r")
        .await
        .unwrap();
    assert_eq!(
        principal,
        ExternalPrincipal::new("arn:aws:sts::123:assumed-role/r", "alice")
    );
    let request = only_request(&transport);
    assert_eq!(
        (request.method, request.uri.path()),
        (Method::GET, "/api/v1/auth/external/principals")
    );
}

#[tokio::test]
async fn list_request_with_and_without_paging() {
    let request = sent_by(Operation::ListUserExternalPrincipals).await;
    assert_eq!(
        request.uri.path(),
        "/api/v1/auth/users/alice/external/principals/ls"
    );
    assert_eq!(
        request.uri.query(),
        Some("prefix=arn%3A&after=arn%3A1&amount=2")
    );

    let transport = answering(
        Operation::ListUserExternalPrincipals,
        vec![Ok(success(Operation::ListUserExternalPrincipals))],
    );
    let page = client(&transport)
        .list_user_external_principals("alice", &ListExternalPrincipals::new().prefix(""))
        .await
        .unwrap();
    assert_eq!(page.results.len(), 1);
    assert_eq!(
        only_request(&transport).uri.query(),
        None,
        "empty prefix and unset options are omitted"
    );
}

fn page(ids: &[&str], has_more: bool, next: &str) -> fake::Reply {
    let results: Vec<_> = ids
        .iter()
        .map(|id| json!({"id": id, "user_id": "alice"}))
        .collect();
    Ok(fake::json(
        StatusCode::OK,
        json!({"pagination": {"has_more": has_more, "next_offset": next, "results": ids.len(), "max_per_page": 0}, "results": results}).to_string(),
    ))
}

#[tokio::test]
async fn list_all_walks_every_page() {
    let transport = answering(
        Operation::ListUserExternalPrincipals,
        vec![
            page(&["a1", "a2"], true, "a2"),
            page(&["a3"], true, "a3"),
            page(&[], false, ""),
        ],
    );
    let all = client(&transport)
        .list_all_user_external_principals("alice", Some("a"))
        .await
        .unwrap();
    assert_eq!(
        all.iter().map(|p| p.id.as_str()).collect::<Vec<_>>(),
        ["a1", "a2", "a3"]
    );
    let afters: Vec<_> = transport
        .requests()
        .iter()
        .map(|r| r.query("after"))
        .collect();
    assert_eq!(afters, [None, Some("a2".into()), Some("a3".into())]);
    assert!(transport
        .requests()
        .iter()
        .all(|r| r.query("prefix").as_deref() == Some("a")));
}

#[tokio::test]
async fn list_all_refuses_a_cursor_that_does_not_move() {
    let transport = answering(
        Operation::ListUserExternalPrincipals,
        vec![page(&["a1"], true, "a1"), page(&["a1"], true, "a1")],
    );
    let error = client(&transport)
        .list_all_user_external_principals("alice", None)
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Protocol { .. }), "{error}");
    assert_eq!(transport.requests().len(), 2);
}

#[tokio::test]
async fn hard_reset_request() {
    let request = sent_by(Operation::HardResetBranch).await;
    assert_eq!(request.method, Method::PUT);
    assert_eq!(
        request.uri.path(),
        "/api/v1/repositories/repo/branches/feature%2Fx/hard_reset"
    );
    assert_eq!(request.uri.query(), Some("ref=main~1&force=true"));
    assert!(request.body.is_empty());
}

#[tokio::test]
async fn sts_login_sends_no_credentials() {
    for credentials in [
        Credentials::basic("a", "b"),
        Credentials::bearer("jwt"),
        Credentials::cookie(CookieScheme::Internal, "c"),
    ] {
        let transport = answering(Operation::StsLogin, vec![Ok(success(Operation::StsLogin))]);
        let token = client_with(&transport, credentials)
            .sts_login(
                &StsAuthRequest::new("code-1", "state-1", "https://app/cb").with_ttl_seconds(600),
            )
            .await
            .unwrap();
        assert_eq!(token.token, "eyJ.jwt");
        assert_eq!(token.token_expiration, Some(1_700_003_600));
        let request = only_request(&transport);
        assert_eq!(
            (request.method.clone(), request.uri.path()),
            (Method::POST, "/api/v1/sts/login")
        );
        assert!(
            !request.headers.contains_key("authorization")
                && !request.headers.contains_key("cookie")
        );
        assert_eq!(
            body_json(&request),
            json!({"code": "code-1", "state": "state-1", "redirect_uri": "https://app/cb", "ttl_seconds": 600})
        );
    }
}

#[tokio::test]
async fn with_sts_login_uses_the_token_as_bearer() {
    let transport = FakeTransport::new();
    transport.enqueue(
        Method::POST,
        "/api/v1/sts/login",
        [Ok(success(Operation::StsLogin))],
    );
    transport.enqueue(
        Method::PUT,
        "/{*p}",
        [Ok(success(Operation::HardResetBranch))],
    );
    let client = client_with(&transport, Credentials::None)
        .with_sts_login(&StsAuthRequest::new("c", "s", "r"))
        .await
        .unwrap();
    client
        .hard_reset_branch("r", "b", "main", None)
        .await
        .unwrap();
    assert_eq!(
        transport.requests()[1].headers["authorization"],
        "Bearer eyJ.jwt"
    );
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
        for operation in Operation::ALL
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

/// The error statuses the spec declares per operation (v1.84.0), plus 501 and 503 which
/// arrive as `default`.
fn declared_errors(operation: Operation) -> Vec<u16> {
    let mut statuses = vec![400, 401];
    statuses.extend(match operation {
        Operation::CompletePresignMultipartUpload | Operation::CreateUserExternalPrincipal => {
            vec![404, 409]
        }
        Operation::HardResetBranch => vec![403, 404],
        Operation::StsLogin => vec![],
        _ => vec![404],
    });
    statuses.extend([420, 429, 500, 501]);
    statuses
}

fn assert_variant(error: &Error, status: u16, operation: Operation) {
    let ok = match status {
        400 => matches!(error, Error::BadRequest { .. }),
        401 => matches!(error, Error::Unauthorized { .. }),
        403 => matches!(error, Error::Forbidden { .. }),
        404 => matches!(error, Error::NotFound { .. }),
        409 => matches!(error, Error::Conflict { .. }),
        420 | 429 => matches!(error, Error::TooManyRequests { .. }),
        501 => matches!(error, Error::NotImplemented { .. }),
        _ => matches!(error, Error::ServerError { .. }),
    };
    assert!(ok, "{operation} {status}: got {error:?}");
    assert_eq!(error.operation(), Some(operation));
    assert_eq!(error.status().map(|s| s.as_u16()), Some(status));
}

#[tokio::test(start_paused = true)]
async fn every_declared_error_status_is_typed_with_the_server_message() {
    for operation in Operation::ALL {
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
async fn non_json_error_bodies_become_short_snippets() {
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
        matches!(
            error,
            Error::ServerError {
                status: StatusCode::BAD_GATEWAY,
                ..
            }
        ),
        "{error:?}"
    );
    let message = error.server_message().unwrap();
    assert!(
        message.starts_with("<html><body><h1>502 Bad Gateway</h1>")
            && message.chars().count() <= 201,
        "{message}"
    );

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
        matches!(
            error,
            Error::ClientError {
                status: StatusCode::IM_A_TEAPOT,
                ..
            }
        ),
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
    match error {
        Error::Conflict {
            staging_location: Some(location),
            ..
        } => {
            assert_eq!(location.physical_address.as_deref(), Some("s3://b/x"));
        }
        other => panic!("{other:?}"),
    }
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
        matches!(&error, Error::Conflict { staging_location: None, message, .. } if message == "conflict with a commit")
    );
}

#[tokio::test]
async fn malformed_success_json_is_a_decode_error() {
    for operation in [
        Operation::CreatePresignMultipartUpload,
        Operation::CompletePresignMultipartUpload,
        Operation::GetExternalPrincipal,
        Operation::ListUserExternalPrincipals,
        Operation::StsLogin,
    ] {
        let status = if operation == Operation::CreatePresignMultipartUpload {
            StatusCode::CREATED
        } else {
            StatusCode::OK
        };
        let transport = answering(
            operation,
            vec![Ok(fake::json(status, r#"{"unexpected": tru"#))],
        );
        let error = invoke(&client(&transport), operation).await.unwrap_err();
        assert!(
            matches!(error, Error::Decode { .. }),
            "{operation}: {error:?}"
        );
        assert!(error.to_string().contains("unexpected"), "{error}");
        assert!(!error.is_retryable());
    }
    // Valid JSON of the wrong shape names the missing field.
    let transport = answering(
        Operation::StsLogin,
        vec![Ok(fake::json(StatusCode::OK, r#"{"tok":"x"}"#))],
    );
    let error = invoke(&client(&transport), Operation::StsLogin)
        .await
        .unwrap_err();
    assert!(error.to_string().contains("token"), "{error}");
}

#[tokio::test(start_paused = true)]
async fn retries_429_and_503_then_succeeds_for_every_operation() {
    for operation in Operation::ALL {
        let transport = answering(
            operation,
            vec![
                Ok(fake::response(StatusCode::TOO_MANY_REQUESTS, "")),
                Ok(fake::json(
                    StatusCode::SERVICE_UNAVAILABLE,
                    r#"{"message":"throttled"}"#,
                )),
                Ok(fake::response(StatusCode::from_u16(420).unwrap(), "")),
                Ok(success(operation)),
            ],
        );
        invoke(&client(&transport), operation)
            .await
            .unwrap_or_else(|e| panic!("{operation}: {e}"));
        assert_eq!(transport.requests().len(), 4, "{operation}");
    }
}

#[tokio::test(start_paused = true)]
async fn no_retry_on_400() {
    for operation in Operation::ALL {
        let transport = answering(
            operation,
            vec![
                Ok(fake::json(StatusCode::BAD_REQUEST, r#"{"message":"no"}"#)),
                Ok(success(operation)),
            ],
        );
        let error = invoke(&client(&transport), operation).await.unwrap_err();
        assert!(matches!(error, Error::BadRequest { .. }));
        assert_eq!(transport.requests().len(), 1, "{operation}");
    }
}

#[tokio::test(start_paused = true)]
async fn ambiguous_failures_are_retried_only_for_idempotent_operations() {
    // Written out, not derived from `is_idempotent`, so that a wrong classification fails.
    let idempotent = [
        Operation::GetExternalPrincipal,
        Operation::ListUserExternalPrincipals,
        Operation::HardResetBranch,
    ];
    for operation in Operation::ALL {
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
                matches!(error, Error::Transport { .. }),
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
    assert!(matches!(
        error,
        Error::ServerError {
            status: StatusCode::SERVICE_UNAVAILABLE,
            ..
        }
    ));
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
        matches!(error, Error::TooManyRequests { retry_after: Some(d), .. } if d == Duration::from_secs(120)),
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
    let error = client.get_external_principal("p").await.unwrap_err();
    assert!(
        matches!(error, Error::Timeout { after, .. } if after == Duration::from_secs(2)),
        "{error:?}"
    );
    assert!(error.is_retryable());
}

#[tokio::test]
async fn bad_arguments_fail_before_any_request() {
    let transport = FakeTransport::new();
    let client = client(&transport);
    let body = CompletePresignMultipartUpload::new(
        "a",
        vec![UploadPart::new(2, "e"), UploadPart::new(1, "e")],
    );
    let errors = vec![
        client
            .create_presign_multipart_upload("", "b", "p", None)
            .await
            .unwrap_err(),
        client
            .create_presign_multipart_upload("r", "b", "p", Some(10_001))
            .await
            .unwrap_err(),
        client
            .create_presign_multipart_upload("r", "b", "", Some(1))
            .await
            .unwrap_err(),
        client
            .complete_presign_multipart_upload("r", "b", "u", "p", &body)
            .await
            .unwrap_err(),
        client
            .complete_presign_multipart_upload(
                "r",
                "b",
                "u",
                "p",
                &CompletePresignMultipartUpload::new("a", vec![]),
            )
            .await
            .unwrap_err(),
        client
            .abort_presign_multipart_upload(
                "r",
                "b",
                "",
                "p",
                &AbortPresignMultipartUpload::new("a"),
            )
            .await
            .unwrap_err(),
        client.get_external_principal("").await.unwrap_err(),
        client
            .list_user_external_principals("u", &ListExternalPrincipals::new().amount(1001))
            .await
            .unwrap_err(),
        client
            .list_user_external_principals("u", &ListExternalPrincipals::new().amount(-2))
            .await
            .unwrap_err(),
        client
            .hard_reset_branch("r", "b", "", None)
            .await
            .unwrap_err(),
        client
            .sts_login(&StsAuthRequest::new("", "s", "r"))
            .await
            .unwrap_err(),
    ];
    let expected_arguments = [
        "repository",
        "parts",
        "path",
        "parts",
        "parts",
        "uploadId",
        "principalId",
        "amount",
        "amount",
        "ref",
        "code",
    ];
    for (error, argument) in errors.iter().zip(expected_arguments) {
        assert!(
            matches!(error, Error::InvalidArgument { argument: a, .. } if *a == argument),
            "{error:?}"
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
        .hard_reset_branch("r", "b", "c", Some(false))
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
