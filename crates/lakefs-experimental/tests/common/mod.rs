//! Helpers shared by the integration tests.
#![allow(dead_code, unreachable_pub, clippy::unwrap_used)]

use bytes::Bytes;
use http::StatusCode;
use lakefs_experimental::models::*;
use lakefs_experimental::{
    Credentials, Error, ExperimentalClient, ListExternalPrincipals, Operation, RetryPolicy,
};
use lakefs_transport::fake::{self, FakeTransport, RecordedRequest};

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

/// Calls `operation` with fixed, awkward arguments (slashes, spaces, unicode, `?#%+`).
pub async fn invoke(
    client: &ExperimentalClient<FakeTransport>,
    operation: Operation,
) -> Result<(), Error> {
    match operation {
        Operation::CreatePresignMultipartUpload => client
            .create_presign_multipart_upload(
                "repo",
                "feature/x",
                "dir/my file?#%+é.parquet",
                Some(3),
            )
            .await
            .map(drop),
        Operation::CompletePresignMultipartUpload => {
            let mut body = CompletePresignMultipartUpload::new(
                "s3://bucket/ns/data/g1/o1,sig",
                vec![UploadPart::new(1, "etag1"), UploadPart::new(2, "etag2")],
            );
            body.content_type = Some("application/x-parquet".into());
            body.user_metadata = Some([("k".to_owned(), "v".to_owned())].into());
            client
                .complete_presign_multipart_upload(
                    "repo",
                    "feature/x",
                    "upload/id+1",
                    "dir/my file.parquet",
                    &body,
                )
                .await
                .map(drop)
        }
        Operation::AbortPresignMultipartUpload => {
            client
                .abort_presign_multipart_upload(
                    "repo",
                    "main",
                    "up1",
                    "a b",
                    &AbortPresignMultipartUpload::new("s3://bucket/ns/data/g1/o1,sig"),
                )
                .await
        }
        Operation::CreateUserExternalPrincipal => {
            let body =
                ExternalPrincipalCreation::new(Some([("role".to_owned(), "r".to_owned())].into()));
            client
                .create_user_external_principal(
                    "alice@example.com",
                    "arn:aws:sts::123:assumed-role/r/s",
                    Some(&body),
                )
                .await
        }
        Operation::DeleteUserExternalPrincipal => {
            client
                .delete_user_external_principal("alice", "arn:aws:sts::123:assumed-role/r")
                .await
        }
        Operation::GetExternalPrincipal => client
            .get_external_principal("arn:aws:sts::123:assumed-role/r")
            .await
            .map(drop),
        Operation::ListUserExternalPrincipals => client
            .list_user_external_principals(
                "alice",
                &ListExternalPrincipals::new()
                    .prefix("arn:")
                    .after("arn:1")
                    .amount(2),
            )
            .await
            .map(drop),
        Operation::HardResetBranch => {
            client
                .hard_reset_branch("repo", "feature/x", "main~1", Some(true))
                .await
        }
        Operation::StsLogin => client
            .sts_login(
                &StsAuthRequest::new("code-1", "state-1", "https://app/cb").with_ttl_seconds(600),
            )
            .await
            .map(drop),
        other => panic!("no invocation for {other}"),
    }
}

/// A success answer as the spec declares it for each operation.
pub fn success(operation: Operation) -> http::Response<Bytes> {
    match operation {
        Operation::CreatePresignMultipartUpload => fake::json(
            StatusCode::CREATED,
            r#"{"upload_id":"u1","physical_address":"s3://b/ns/data/g1/o1,sig","presigned_urls":["https://s3/1?sig=a","https://s3/2?sig=b","https://s3/3?sig=c"]}"#,
        ),
        Operation::CompletePresignMultipartUpload => fake::json(StatusCode::OK, OBJECT_STATS),
        Operation::GetExternalPrincipal => fake::json(
            StatusCode::OK,
            r#"{"id":"arn:aws:sts::123:assumed-role/r","user_id":"alice"}"#,
        ),
        Operation::ListUserExternalPrincipals => fake::json(
            StatusCode::OK,
            r#"{"pagination":{"has_more":false,"next_offset":"","results":1,"max_per_page":0},"results":[{"id":"arn:2","user_id":"alice"}]}"#,
        ),
        Operation::StsLogin => fake::json(
            StatusCode::OK,
            r#"{"token":"eyJ.jwt","token_expiration":1700003600}"#,
        ),
        Operation::CreateUserExternalPrincipal => fake::response(StatusCode::CREATED, ""),
        _ => fake::response(StatusCode::NO_CONTENT, ""),
    }
}
