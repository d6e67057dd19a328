//! Helpers shared by the integration tests.
#![allow(dead_code, unreachable_pub, clippy::unwrap_used)]

use bytes::Bytes;
use http::StatusCode;
use lakefs_experimental::models::*;
use lakefs_experimental::ExperimentalApi;
use lakefs_experimental::{
    Credentials, Error, ExperimentalClient, Operation, PullRequestFilter, RetryPolicy,
};
use lakefs_transport::fake::{self, FakeTransport, RecordedRequest, ResponseExt};

pub const ENDPOINT: &str = "http://lakefs.test:8000";

pub fn client(transport: &FakeTransport) -> ExperimentalClient<FakeTransport> {
    client_with(
        transport,
        Credentials::basic("AKIAEXAMPLE", "wJalrXUtnFEMI"),
    )
}

pub fn client_with(
    transport: &FakeTransport,
    credentials: Credentials,
) -> ExperimentalClient<FakeTransport> {
    ExperimentalClient::builder()
        .endpoint(ENDPOINT)
        .credentials(credentials)
        .retry_policy(RetryPolicy::default().max_attempts(4))
        .build_with_transport(transport.clone())
        .unwrap()
}

pub fn only_request(transport: &FakeTransport) -> RecordedRequest {
    let requests = transport.requests();
    assert_eq!(
        requests.len(),
        1,
        "expected exactly one request, got {requests:?}"
    );
    requests.into_iter().next().unwrap()
}

pub fn body_json(request: &RecordedRequest) -> serde_json::Value {
    serde_json::from_slice(&request.body).unwrap()
}

pub const OBJECT_STATS: &str = r#"{"path":"dir/my file.parquet","path_type":"object","physical_address":"data/g1/o1,sig","checksum":"abc-2","size_bytes":10485761,"mtime":1700000000,"metadata":{"k":"v"},"content_type":"application/x-parquet"}"#;

pub const PULL_REQUEST: &str = r#"{"id":"d0hvt7o3s4m1j0h0k2g0","status":"open","title":"t","description":"d","creation_date":"2026-11-23T10:00:00Z","author":"alice@example.com","source_branch":"feature","destination_branch":"main"}"#;

/// The identity request of `externalPrincipalLogin`, shaped as lakeFS's AWS client sends it.
pub fn identity_request() -> serde_json::Map<String, serde_json::Value> {
    let serde_json::Value::Object(map) =
        serde_json::json!({"identity_token": "eyJtZXRob2QiOiJQT1NUIn0="})
    else {
        unreachable!()
    };
    map
}

/// Calls `operation` with fixed, awkward arguments (slashes, spaces, unicode, `?#%+`).
pub async fn invoke(
    client: &ExperimentalClient<FakeTransport>,
    operation: Operation,
) -> Result<(), Error> {
    match operation {
        Operation::CreatePresignMultipartUpload => client
            .create_presign_multipart_upload()
            .repository("repo")
            .branch("feature/x")
            .path("dir/my file?#%+é.parquet")
            .parts(3)
            .send()
            .await
            .map(drop),
        Operation::CompletePresignMultipartUpload => client
            .complete_presign_multipart_upload()
            .repository("repo")
            .branch("feature/x")
            .upload_id("upload/id+1")
            .path("dir/my file.parquet")
            .physical_address("s3://bucket/ns/data/g1/o1,sig")
            .part(1, "etag1")
            .part(2, "etag2")
            .content_type("application/x-parquet")
            .user_metadata([("k".to_owned(), "v".to_owned())].into())
            .send()
            .await
            .map(drop),
        Operation::AbortPresignMultipartUpload => {
            client
                .abort_presign_multipart_upload()
                .repository("repo")
                .branch("main")
                .upload_id("up1")
                .path("a b")
                .physical_address("s3://bucket/ns/data/g1/o1,sig")
                .send()
                .await
        }
        Operation::UploadPart => client
            .upload_part()
            .repository("repo")
            .branch("feature/x")
            .upload_id("upload/id+1")
            .part_number(10_000)
            .path("dir/my file.parquet")
            .physical_address("s3://bucket/ns/data/g1/o1,sig")
            .send()
            .await
            .map(drop),
        Operation::UploadPartCopy => client
            .upload_part_copy()
            .repository("repo")
            .branch("main")
            .upload_id("up1")
            .part_number(2)
            .path("big/obj")
            .physical_address("s3://bucket/ns/data/g1/o1,sig")
            .copy_source(
                CopyPartSource::new("other repo", "main~1", "src/a b")
                    .with_byte_range(0, 5_242_879),
            )
            .send()
            .await
            .map(drop),
        Operation::CreateUserExternalPrincipal => {
            client
                .create_user_external_principal()
                .user_id("alice@example.com")
                .principal_id("arn:aws:sts::123:assumed-role/r/s")
                .settings([("role".to_owned(), "r".to_owned())].into())
                .send()
                .await
        }
        Operation::DeleteUserExternalPrincipal => {
            client
                .delete_user_external_principal()
                .user_id("alice")
                .principal_id("arn:aws:sts::123:assumed-role/r")
                .send()
                .await
        }
        Operation::GetExternalPrincipal => client
            .get_external_principal()
            .principal_id("arn:aws:sts::123:assumed-role/r")
            .send()
            .await
            .map(drop),
        Operation::ListUserExternalPrincipals => client
            .list_user_external_principals()
            .user_id("alice")
            .prefix("arn:")
            .after("arn:1")
            .amount(2)
            .send()
            .await
            .map(drop),
        Operation::ExternalPrincipalLogin => client
            .external_principal_login()
            .identity_request(identity_request())
            .token_expiration_duration(3600)
            .send()
            .await
            .map(drop),
        Operation::HardResetBranch => {
            client
                .hard_reset_branch()
                .repository("repo")
                .branch("feature/x")
                .reference("main~1")
                .force(true)
                .send()
                .await
        }
        Operation::UpdateObjectUserMetadata => {
            client
                .update_object_user_metadata()
                .repository("repo")
                .branch("feature/x")
                .path("dir/my file.parquet")
                .entry("owner", "data eng")
                .entry("é", "ü")
                .send()
                .await
        }
        Operation::StsLogin => client
            .sts_login()
            .code("code-1")
            .state("state-1")
            .redirect_uri("https://app/cb")
            .ttl_seconds(600)
            .send()
            .await
            .map(drop),
        Operation::ListPullRequests => client
            .list_pull_requests()
            .repository("repo")
            .prefix("d0")
            .after("d0a")
            .amount(5)
            .status(PullRequestFilter::Closed)
            .send()
            .await
            .map(drop),
        Operation::CreatePullRequest => client
            .create_pull_request()
            .repository("repo")
            .title("Add October's data")
            .description("two new partitions")
            .source_branch("feature/x")
            .destination_branch("main")
            .send()
            .await
            .map(drop),
        Operation::GetPullRequest => client
            .get_pull_request()
            .repository("repo")
            .pull_request("d0hvt7o3s4m1j0h0k2g0")
            .send()
            .await
            .map(drop),
        Operation::UpdatePullRequest => {
            client
                .update_pull_request()
                .repository("repo")
                .pull_request("d0hvt7o3s4m1j0h0k2g0")
                .title("New title")
                .status(PullRequestStatus::Closed)
                .send()
                .await
        }
        Operation::MergePullRequest => client
            .merge_pull_request()
            .repository("repo")
            .pull_request("d0hvt7o3s4m1j0h0k2g0")
            .send()
            .await
            .map(drop),
        other => panic!("no invocation for {other}"),
    }
}

/// A success answer as the real server sends it for each operation (204 where lakeFS
/// answers 204 although the spec declares 200 or 201).
pub fn success(operation: Operation) -> http::Response<Bytes> {
    match operation {
        Operation::CreatePresignMultipartUpload => fake::json(
            StatusCode::CREATED,
            r#"{"upload_id":"u1","physical_address":"s3://b/ns/data/g1/o1,sig","presigned_urls":["https://s3/1?sig=a","https://s3/2?sig=b","https://s3/3?sig=c"]}"#,
        ),
        Operation::CompletePresignMultipartUpload => fake::json(StatusCode::OK, OBJECT_STATS),
        Operation::UploadPart => fake::json(
            StatusCode::OK,
            r#"{"presigned_url":"https://s3/b/k?partNumber=10000&uploadId=u&X-Amz-Signature=abc"}"#,
        ),
        Operation::UploadPartCopy => fake::response(StatusCode::NO_CONTENT, "")
            .with_header("etag", "9b2cf535f27731c974343645a3985328"),
        Operation::GetExternalPrincipal => fake::json(
            StatusCode::OK,
            r#"{"id":"arn:aws:sts::123:assumed-role/r","user_id":"alice"}"#,
        ),
        Operation::ListUserExternalPrincipals => fake::json(
            StatusCode::OK,
            r#"{"pagination":{"has_more":false,"next_offset":"","results":1,"max_per_page":0},"results":[{"id":"arn:2","user_id":"alice"}]}"#,
        ),
        Operation::StsLogin | Operation::ExternalPrincipalLogin => fake::json(
            StatusCode::OK,
            r#"{"token":"eyJ.jwt","token_expiration":1700003600}"#,
        ),
        Operation::CreateUserExternalPrincipal => fake::response(StatusCode::CREATED, ""),
        Operation::ListPullRequests => fake::json(
            StatusCode::OK,
            // List items carry no description on the real server.
            r#"{"pagination":{"has_more":false,"next_offset":"","results":1,"max_per_page":1000},"results":[{"id":"d0b","status":"merged","title":"t","creation_date":"2026-11-23T10:00:00Z","author":"alice","source_branch":"feature","destination_branch":"main","closed_date":"2026-11-23T11:00:00Z"}]}"#,
        ),
        Operation::CreatePullRequest => {
            fake::json(StatusCode::CREATED, r#"{"id":"d0hvt7o3s4m1j0h0k2g0"}"#)
        }
        Operation::GetPullRequest => fake::json(StatusCode::OK, PULL_REQUEST),
        Operation::MergePullRequest => fake::json(StatusCode::OK, r#"{"reference":"c0ffee"}"#),
        _ => fake::response(StatusCode::NO_CONTENT, ""),
    }
}
