//! Checks the request the client really sends for each of the 18 operations against the
//! official OpenAPI spec: method, path template, path and query parameters with their types,
//! ranges and enums, body properties (through `allOf` and nested objects) with their types
//! and required fields, and the security scheme.
//!
//! The spec is `spec/lakefs-v1.84.0.yml` of this repository (an unchanged copy of lakeFS's
//! `api/swagger.yml` at v1.84.0), or the file `LAKEFS_OPENAPI_SPEC` names.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../../../spec/checker.rs"]
mod checker;
mod common;

use checker::{check, every_scheme, find, spec};
use common::*;
use lakefs_experimental::Operation;
use lakefs_transport::fake::{FakeTransport, RecordedRequest};
use serde_json::Value;

#[tokio::test]
async fn every_operation_sends_what_the_spec_declares() {
    let spec = spec();
    let credentials = every_scheme();
    for operation in Operation::EXPERIMENTAL {
        for credentials in &credentials {
            let transport = FakeTransport::new();
            transport.enqueue(operation.method(), "/{*path}", [Ok(success(operation))]);
            invoke(&client_with(&transport, credentials.clone()), operation)
                .await
                .unwrap();
            let request = only_request(&transport);
            check(&spec, operation, &request).unwrap_or_else(|problem| {
                panic!(
                    "{operation} does not conform to the spec: {problem}\nrequest: {} {}",
                    request.method, request.uri
                )
            });
        }
    }
}

#[test]
fn the_client_has_exactly_the_spec_s_18_experimental_operations() {
    let spec = spec();
    let mut tagged: Vec<&str> = spec["paths"]
        .as_object()
        .unwrap()
        .values()
        .flat_map(|item| item.as_object().unwrap().values())
        .filter(|op| {
            op["tags"]
                .as_array()
                .is_some_and(|tags| tags.iter().any(|t| t == "experimental"))
        })
        .filter_map(|op| op["operationId"].as_str())
        .collect();
    tagged.sort_unstable();
    let mut ours: Vec<&str> = Operation::EXPERIMENTAL.iter().map(|op| op.id()).collect();
    ours.sort_unstable();
    assert_eq!(ours, tagged);
    assert_eq!(ours.len(), 18);
    for operation in Operation::EXPERIMENTAL {
        let (template, method, op) = find(&spec, operation.id());
        assert_eq!(
            method,
            operation.method().as_str(),
            "{operation} at {template}"
        );
        let unauthenticated = op
            .get("security")
            .and_then(Value::as_array)
            .is_some_and(Vec::is_empty);
        assert_eq!(
            operation.is_authenticated(),
            !unauthenticated,
            "{operation}"
        );
    }
}

#[test]
fn the_checker_rejects_what_breaks_the_spec() {
    // The checker itself must be able to fail: feed it requests that break the contract.
    let spec = spec();
    let request = |method: &str, uri: &str, body: &str, auth: Option<&str>| {
        let mut headers = http::HeaderMap::new();
        if let Some(auth) = auth {
            headers.insert("authorization", auth.parse().unwrap());
        }
        if !body.is_empty() {
            headers.insert("content-type", "application/json".parse().unwrap());
        }
        RecordedRequest {
            method: method.parse().unwrap(),
            uri: uri.parse().unwrap(),
            headers,
            body: bytes::Bytes::from(body.to_owned()),
        }
    };
    let base = "http://h/api/v1/repositories/r/branches/b";
    let cases = [
        (
            Operation::HardResetBranch,
            request(
                "POST",
                &format!("{base}/hard_reset?ref=x"),
                "",
                Some("Basic x"),
            ),
            "method",
        ),
        (
            Operation::HardResetBranch,
            request("PUT", &format!("{base}/hard_reset"), "", Some("Basic x")),
            "required query parameter ref",
        ),
        (
            Operation::HardResetBranch,
            request(
                "PUT",
                &format!("{base}/hard_reset?ref=x&force=yes"),
                "",
                Some("Basic x"),
            ),
            "true/false",
        ),
        (
            Operation::HardResetBranch,
            request(
                "PUT",
                &format!("{base}/hard_reset?ref=x&extra=1"),
                "",
                Some("Basic x"),
            ),
            "not declared",
        ),
        (
            Operation::HardResetBranch,
            request("PUT", &format!("{base}/hard_reset?ref=x"), "", None),
            "satisfy no scheme",
        ),
        (
            Operation::HardResetBranch,
            request("PUT", &format!("{base}/reset?ref=x"), "", Some("Basic x")),
            "segment",
        ),
        (
            Operation::StsLogin,
            request(
                "POST",
                "http://h/api/v1/sts/login",
                r#"{"code":"c","state":"s","redirect_uri":"r"}"#,
                Some("Basic x"),
            ),
            "security: []",
        ),
        (
            Operation::StsLogin,
            request(
                "POST",
                "http://h/api/v1/sts/login",
                r#"{"code":"c","state":"s"}"#,
                None,
            ),
            "redirect_uri",
        ),
        (
            Operation::StsLogin,
            request(
                "POST",
                "http://h/api/v1/sts/login",
                r#"{"code":"c","state":"s","redirect_uri":"r","ttl":1}"#,
                None,
            ),
            "ttl",
        ),
        (
            Operation::StsLogin,
            request("POST", "http://h/api/v1/sts/login", "", None),
            "requires a body",
        ),
        (
            Operation::CreatePresignMultipartUpload,
            request(
                "POST",
                &format!("{base}/staging/pmpu?path=p&parts=x"),
                "",
                Some("Bearer t"),
            ),
            "integer",
        ),
        (
            Operation::ListUserExternalPrincipals,
            request(
                "GET",
                "http://h/api/v1/auth/users/u/external/principals/ls?amount=5000",
                "",
                Some("Bearer t"),
            ),
            "maximum",
        ),
        (
            Operation::CompletePresignMultipartUpload,
            request(
                "PUT",
                &format!("{base}/staging/pmpu/u?path=p"),
                r#"{"physical_address":"a","parts":[{"etag":"e"}]}"#,
                Some("Bearer t"),
            ),
            "part_number",
        ),
    ];
    let cases = cases.into_iter().chain([
        (
            Operation::ListPullRequests,
            request(
                "GET",
                "http://h/api/v1/repositories/r/pulls?status=merged",
                "",
                Some("Bearer t"),
            ),
            "not one of",
        ),
        (
            Operation::UploadPart,
            request(
                "PUT",
                &format!("{base}/staging/pmpu/u/parts/10001?path=p"),
                r#"{"physical_address":"a"}"#,
                Some("Bearer t"),
            ),
            "above the maximum",
        ),
        (
            Operation::UploadPartCopy,
            request(
                "PUT",
                &format!("{base}/staging/pmpu/u/parts/1/copy?path=p"),
                r#"{"physical_address":"a","copy_source":{"repository":"r","path":"p"}}"#,
                Some("Bearer t"),
            ),
            "copy_source.ref",
        ),
        (
            Operation::UploadPartCopy,
            request(
                "PUT",
                &format!("{base}/staging/pmpu/u/parts/1/copy?path=p"),
                r#"{"physical_address":"a","copy_source":{"repository":"r","ref":"m","path":"p","range":"0-5"}}"#,
                Some("Bearer t"),
            ),
            "does not match",
        ),
        (
            Operation::UploadPartCopy,
            request(
                "PUT",
                &format!("{base}/staging/pmpu/u/parts/1/copy?path=p"),
                r#"{"copy_source":{"repository":"r","ref":"m","path":"p"}}"#,
                Some("Bearer t"),
            ),
            "physical_address",
        ),
        (
            Operation::UpdatePullRequest,
            request(
                "PATCH",
                "http://h/api/v1/repositories/r/pulls/p",
                r#"{"status":"done"}"#,
                Some("Bearer t"),
            ),
            "status=done",
        ),
        (
            Operation::ExternalPrincipalLogin,
            request(
                "POST",
                "http://h/api/v1/auth/external/principal/login",
                r#"{"token_expiration_duration":5}"#,
                None,
            ),
            "identityRequest",
        ),
    ]);
    for (operation, request, expected) in cases {
        let problem = check(&spec, operation, &request).expect_err(expected);
        assert!(
            problem.contains(expected),
            "{operation}: expected {expected:?}, got {problem:?}"
        );
    }
}
