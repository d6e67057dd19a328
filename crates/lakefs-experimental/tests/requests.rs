//! The exact request each of the 18 operations sends over `FakeTransport`, and how its
//! answer is decoded.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::*;
use futures_util::TryStreamExt;
use http::{Method, StatusCode};
use lakefs_experimental::models::*;
use lakefs_experimental::ExperimentalApi;
use lakefs_experimental::{
    CookieScheme, Credentials, Error, ErrorKind, Operation, PullRequestFilter,
};
use lakefs_transport::fake::{self, FakeTransport, ResponseExt};
use serde_json::json;

const BASIC: &str = "Basic QUtJQUVYQU1QTEU6d0phbHJYVXRuRkVNSQ=="; // AKIAEXAMPLE:wJalrXUtnFEMI

/// The request `operation` sends, answered with its success.
async fn sent_by(operation: Operation) -> fake::RecordedRequest {
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
        .create_presign_multipart_upload()
        .repository("repo")
        .branch("feature/x")
        .path("dir/my file?#%+é.parquet")
        .parts(3)
        .send()
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
        .starts_with("lakefs-rust-sdk/"));
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
        .create_presign_multipart_upload()
        .repository("r")
        .branch("b")
        .path("p")
        .send()
        .await
        .unwrap();
    assert_eq!(upload.presigned_urls, None);
    assert_eq!(only_request(&transport).uri.query(), Some("path=p"));
}

#[tokio::test]
async fn complete_request_and_answer() {
    let request = sent_by(Operation::CompletePresignMultipartUpload).await;
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
        .complete_presign_multipart_upload()
        .repository("r")
        .branch("b")
        .upload_id("u")
        .path("p")
        .physical_address("a")
        .parts(vec![UploadPart::new(1, "e")])
        .send()
        .await
        .unwrap();
    assert_eq!(stats.size_bytes, Some(10_485_761));
    assert_eq!(stats.path_type, PathType::Object);
    assert_eq!(stats.metadata.unwrap()["k"], "v");
    // Optional fields are omitted when unset.
    assert_eq!(
        body_json(&only_request(&transport)),
        json!({"physical_address": "a", "parts": [{"part_number": 1, "etag": "e"}]})
    );
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
async fn upload_part_request_and_answer() {
    let request = sent_by(Operation::UploadPart).await;
    assert_eq!(request.method, Method::PUT);
    assert_eq!(
        request.uri.path(),
        "/api/v1/repositories/repo/branches/feature%2Fx/staging/pmpu/upload%2Fid%2B1/parts/10000"
    );
    assert_eq!(request.uri.query(), Some("path=dir%2Fmy%20file.parquet"));
    assert_eq!(
        body_json(&request),
        json!({"physical_address": "s3://bucket/ns/data/g1/o1,sig"})
    );
    let transport = answering(
        Operation::UploadPart,
        vec![Ok(success(Operation::UploadPart))],
    );
    let url = client(&transport)
        .upload_part()
        .repository("r")
        .branch("b")
        .upload_id("u")
        .part_number(1)
        .path("p")
        .physical_address("a")
        .send()
        .await
        .unwrap();
    assert!(url.presigned_url.contains("partNumber=10000"));
    assert!(!format!("{url:?}").contains("X-Amz-Signature"));
}

#[tokio::test]
async fn upload_part_copy_request_and_etag() {
    let transport = answering(
        Operation::UploadPartCopy,
        vec![Ok(fake::response(StatusCode::NO_CONTENT, "")
            .with_header("etag", "\"9b2cf535f27731c974343645a3985328\""))],
    );
    // Quoted (as S3 sends it) or unquoted (as lakeFS v1.84.0 sends it): the same ETag.
    let quoted = invoke_copy(&transport).await.unwrap();
    let request = only_request(&transport);
    assert_eq!(request.method, Method::PUT);
    assert_eq!(
        request.uri.path(),
        "/api/v1/repositories/repo/branches/main/staging/pmpu/up1/parts/2/copy"
    );
    assert_eq!(request.uri.query(), Some("path=big%2Fobj"));
    assert_eq!(
        body_json(&request),
        json!({
            "physical_address": "s3://bucket/ns/data/g1/o1,sig",
            "copy_source": {"repository": "other repo", "ref": "main~1", "path": "src/a b", "range": "bytes=0-5242879"},
        })
    );
    let transport = answering(
        Operation::UploadPartCopy,
        vec![Ok(success(Operation::UploadPartCopy))],
    );
    assert_eq!(invoke_copy(&transport).await.unwrap(), quoted);
    assert_eq!(quoted, "9b2cf535f27731c974343645a3985328");

    let transport = answering(
        Operation::UploadPartCopy,
        vec![Ok(fake::response(StatusCode::NO_CONTENT, ""))],
    );
    let error = invoke_copy(&transport).await.unwrap_err();
    assert!(
        error.kind() == ErrorKind::Protocol && error.to_string().contains("ETag"),
        "{error}"
    );
}

async fn invoke_copy(transport: &FakeTransport) -> Result<String, Error> {
    client(transport)
        .upload_part_copy()
        .repository("repo")
        .branch("main")
        .upload_id("up1")
        .part_number(2)
        .path("big/obj")
        .physical_address("s3://bucket/ns/data/g1/o1,sig")
        .copy_source(
            CopyPartSource::new("other repo", "main~1", "src/a b").with_byte_range(0, 5_242_879),
        )
        .send()
        .await
}

#[tokio::test]
async fn update_object_user_metadata_request() {
    let request = sent_by(Operation::UpdateObjectUserMetadata).await;
    assert_eq!(request.method, Method::PUT);
    assert_eq!(
        request.uri.path(),
        "/api/v1/repositories/repo/branches/feature%2Fx/objects/stat/user_metadata"
    );
    assert_eq!(request.uri.query(), Some("path=dir%2Fmy%20file.parquet"));
    assert_eq!(
        body_json(&request),
        json!({"set": {"owner": "data eng", "é": "ü"}})
    );
    // The spec declares 201, the server answers 204: both are success.
    for status in [StatusCode::CREATED, StatusCode::NO_CONTENT] {
        let transport = answering(
            Operation::UpdateObjectUserMetadata,
            vec![Ok(fake::response(status, ""))],
        );
        client(&transport)
            .update_object_user_metadata()
            .repository("r")
            .branch("b")
            .path("p")
            .user_metadata(ObjectUserMetadata::new())
            .send()
            .await
            .unwrap();
        assert_eq!(body_json(&only_request(&transport)), json!({"set": {}}));
    }
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

    // Without settings, nothing is sent but the query.
    let transport = answering(
        Operation::CreateUserExternalPrincipal,
        vec![Ok(success(Operation::CreateUserExternalPrincipal))],
    );
    client(&transport)
        .create_user_external_principal()
        .user_id("u")
        .principal_id("p")
        .send()
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
        .get_external_principal()
        .principal_id("arn:aws:sts::123:assumed-role/r")
        .send()
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
async fn list_principals_request_with_and_without_paging() {
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
        .list_user_external_principals()
        .user_id("alice")
        .prefix("")
        .send()
        .await
        .unwrap();
    assert_eq!(page.results.len(), 1);
    assert_eq!(
        only_request(&transport).uri.query(),
        None,
        "empty prefix and unset options are omitted"
    );
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
async fn logins_send_no_credentials() {
    for credentials in [
        Credentials::basic("a", "b"),
        Credentials::bearer("jwt"),
        Credentials::cookie(CookieScheme::Internal, "c"),
    ] {
        for (operation, path, body) in [
            (
                Operation::StsLogin,
                "/api/v1/sts/login",
                json!({"code": "code-1", "state": "state-1", "redirect_uri": "https://app/cb", "ttl_seconds": 600}),
            ),
            (
                Operation::ExternalPrincipalLogin,
                "/api/v1/auth/external/principal/login",
                json!({"identityRequest": identity_request(), "token_expiration_duration": 3600}),
            ),
        ] {
            let transport = answering(operation, vec![Ok(success(operation))]);
            invoke(&client_with(&transport, credentials.clone()), operation)
                .await
                .unwrap();
            let request = only_request(&transport);
            assert_eq!(
                (request.method.clone(), request.uri.path()),
                (Method::POST, path)
            );
            assert!(
                !request.headers.contains_key("authorization")
                    && !request.headers.contains_key("cookie"),
                "{operation}"
            );
            assert_eq!(body_json(&request), body, "{operation}");
        }
    }
}

#[tokio::test]
async fn send_and_use_logs_in_with_the_token_as_bearer() {
    for login in [Operation::StsLogin, Operation::ExternalPrincipalLogin] {
        let transport = FakeTransport::new();
        transport.enqueue(Method::POST, "/{*p}", [Ok(success(login))]);
        transport.enqueue(
            Method::GET,
            "/{*p}",
            [Ok(success(Operation::GetPullRequest))],
        );
        let anonymous = client_with(&transport, Credentials::None);
        let client = if login == Operation::StsLogin {
            anonymous
                .sts_login()
                .code("c")
                .state("s")
                .redirect_uri("r")
                .send_and_use()
                .await
        } else {
            anonymous
                .external_principal_login()
                .identity_request(identity_request())
                .send_and_use()
                .await
        }
        .unwrap();
        client
            .get_pull_request()
            .repository("r")
            .pull_request("p")
            .send()
            .await
            .unwrap();
        assert_eq!(
            transport.requests()[1].headers["authorization"],
            "Bearer eyJ.jwt"
        );
    }
}

#[tokio::test]
async fn pull_request_requests() {
    let request = sent_by(Operation::ListPullRequests).await;
    assert_eq!(
        (request.method.clone(), request.uri.path()),
        (Method::GET, "/api/v1/repositories/repo/pulls")
    );
    assert_eq!(
        request.uri.query(),
        Some("prefix=d0&after=d0a&amount=5&status=closed")
    );

    let request = sent_by(Operation::CreatePullRequest).await;
    assert_eq!(
        (request.method.clone(), request.uri.path()),
        (Method::POST, "/api/v1/repositories/repo/pulls")
    );
    assert_eq!(
        body_json(&request),
        json!({"title": "Add October's data", "description": "two new partitions", "source_branch": "feature/x", "destination_branch": "main"})
    );

    let request = sent_by(Operation::GetPullRequest).await;
    assert_eq!(
        (request.method.clone(), request.uri.path()),
        (
            Method::GET,
            "/api/v1/repositories/repo/pulls/d0hvt7o3s4m1j0h0k2g0"
        )
    );

    let request = sent_by(Operation::UpdatePullRequest).await;
    assert_eq!(
        (request.method.clone(), request.uri.path()),
        (
            Method::PATCH,
            "/api/v1/repositories/repo/pulls/d0hvt7o3s4m1j0h0k2g0"
        )
    );
    assert_eq!(
        body_json(&request),
        json!({"title": "New title", "status": "closed"}),
        "only what is set is sent"
    );

    let request = sent_by(Operation::MergePullRequest).await;
    assert_eq!(
        (request.method.clone(), request.uri.path()),
        (
            Method::PUT,
            "/api/v1/repositories/repo/pulls/d0hvt7o3s4m1j0h0k2g0/merge"
        )
    );
    assert!(request.body.is_empty());
}

#[tokio::test]
async fn pull_request_answers_decode() {
    let transport = FakeTransport::new();
    transport.enqueue(
        Method::GET,
        "/api/v1/repositories/r/pulls",
        [Ok(success(Operation::ListPullRequests))],
    );
    transport.enqueue(
        Method::GET,
        "/api/v1/repositories/r/pulls/{id}",
        [Ok(success(Operation::GetPullRequest))],
    );
    transport.enqueue(
        Method::POST,
        "/{*p}",
        [Ok(success(Operation::CreatePullRequest))],
    );
    transport.enqueue(
        Method::PUT,
        "/{*p}",
        [Ok(success(Operation::MergePullRequest))],
    );
    let client = client(&transport);
    let page = client
        .list_pull_requests()
        .repository("r")
        .send()
        .await
        .unwrap();
    assert_eq!(page.results[0].status, PullRequestStatus::Merged);
    assert_eq!(page.results[0].description, "", "absent in list items");
    assert_eq!(page.pagination.max_per_page, 1000);
    assert!(
        transport.requests()[0].uri.query().is_none(),
        "status unset: not sent"
    );
    let pr = client
        .get_pull_request()
        .repository("r")
        .pull_request("d0hvt7o3s4m1j0h0k2g0")
        .send()
        .await
        .unwrap();
    assert_eq!(
        (pr.status, pr.description.as_str()),
        (PullRequestStatus::Open, "d")
    );
    let created = client
        .create_pull_request()
        .repository("r")
        .title("t")
        .source_branch("a")
        .destination_branch("b")
        .send()
        .await
        .unwrap();
    assert_eq!(created.id, "d0hvt7o3s4m1j0h0k2g0");
    let merged = client
        .merge_pull_request()
        .repository("r")
        .pull_request(&created.id)
        .send()
        .await
        .unwrap();
    assert_eq!(merged.reference, "c0ffee");
    assert_eq!(PullRequestFilter::default().as_str(), "all");
}

fn principal_page(ids: &[&str], has_more: bool, next: &str) -> fake::Reply {
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
async fn principal_stream_walks_every_page() {
    let transport = answering(
        Operation::ListUserExternalPrincipals,
        vec![
            principal_page(&["a1", "a2"], true, "a2"),
            principal_page(&["a3"], true, "a3"),
            principal_page(&[], false, ""),
        ],
    );
    let all: Vec<ExternalPrincipal> = client(&transport)
        .list_user_external_principals()
        .user_id("alice")
        .prefix("a")
        .amount(2)
        .into_stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(
        all.iter().map(|p| p.id.as_str()).collect::<Vec<_>>(),
        ["a1", "a2", "a3"]
    );
    let requests = transport.requests();
    let afters: Vec<_> = requests.iter().map(|r| r.query("after")).collect();
    assert_eq!(afters, [None, Some("a2".into()), Some("a3".into())]);
    assert!(requests
        .iter()
        .all(|r| r.query("prefix").as_deref() == Some("a")
            && r.query("amount").as_deref() == Some("2")));
}

#[tokio::test]
async fn streams_refuse_a_cursor_that_does_not_move() {
    let transport = answering(
        Operation::ListUserExternalPrincipals,
        vec![
            principal_page(&["a1"], true, "a1"),
            principal_page(&["a1"], true, "a1"),
        ],
    );
    let error = client(&transport)
        .list_user_external_principals()
        .user_id("alice")
        .into_stream()
        .try_collect::<Vec<_>>()
        .await
        .unwrap_err();
    assert!(error.kind() == ErrorKind::Protocol, "{error}");
    assert_eq!(transport.requests().len(), 2);
}

#[tokio::test]
async fn pull_request_stream_follows_next_offset_and_keeps_the_filter() {
    let page = |ids: &[&str], has_more: bool| {
        let results: Vec<_> = ids
            .iter()
            .map(|id| json!({"id": id, "status": "open", "title": id, "creation_date": "2026-11-23T10:00:00Z", "author": "a", "source_branch": "s", "destination_branch": "d"}))
            .collect();
        let next = if has_more { ids[ids.len() - 1] } else { "" };
        Ok(fake::json(
            StatusCode::OK,
            json!({"pagination": {"has_more": has_more, "next_offset": next, "results": ids.len(), "max_per_page": 1000}, "results": results}).to_string(),
        ))
    };
    let transport = answering(
        Operation::ListPullRequests,
        vec![page(&["p3", "p2"], true), page(&["p1"], false)],
    );
    let titles: Vec<String> = client(&transport)
        .list_pull_requests()
        .repository("r")
        .status(PullRequestFilter::Open)
        .into_stream()
        .map_ok(|pr| pr.title)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(titles, ["p3", "p2", "p1"]);
    let requests = transport.requests();
    assert_eq!(requests[1].uri.query(), Some("after=p2&status=open"));
    // An invalid argument surfaces as the stream's first item, and nothing is sent.
    let transport = FakeTransport::new();
    let first = client(&transport)
        .list_pull_requests()
        .amount(5000)
        .repository("r")
        .into_stream()
        .try_collect::<Vec<_>>()
        .await
        .unwrap_err();
    assert!(
        first.kind() == ErrorKind::InvalidArgument && first.argument() == Some("amount"),
        "{first}"
    );
    assert!(transport.requests().is_empty());
}
