//! Checks the request the client really sends for each of the 19 stable operations, under
//! each of the spec's five security schemes, against lakeFS's OpenAPI spec
//! (`spec/lakefs-v1.84.0.yml`), with the checker the experimental operations are held to.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../../../spec/checker.rs"]
mod checker;

use bytes::Bytes;
use checker::{check, every_scheme, find, spec};
use http::StatusCode;
use lakefs_api::models::ResetType;
use lakefs_api::{BranchesApi, CommitsApi, ObjectsApi, Operation, RefsApi, RepositoriesApi};
use lakefs_client::Client;
use lakefs_transport::fake::{self, FakeTransport, RecordedRequest, ResponseExt};

const OBJECT: &str = r#"{"path":"a/b.csv","path_type":"object","physical_address":"s3://b/x","checksum":"abc","mtime":1,"size_bytes":3}"#;
const PAGE: &str = r#"{"has_more":false,"next_offset":"","results":1,"max_per_page":1000}"#;
const COMMIT: &str = r#"{"id":"c1","parents":["c0"],"committer":"alice","message":"m","creation_date":1,"meta_range_id":"r","metadata":{}}"#;

/// A success answer as lakeFS sends it for each stable operation.
fn success(operation: Operation) -> http::Response<Bytes> {
    let list = |item: &str| format!(r#"{{"pagination":{PAGE},"results":[{item}]}}"#);
    match operation {
        Operation::StatObject | Operation::CopyObject => fake::json(StatusCode::OK, OBJECT),
        Operation::UploadObject => fake::json(StatusCode::CREATED, OBJECT),
        Operation::ListObjects => fake::json(StatusCode::OK, list(OBJECT)),
        Operation::GetObject => {
            fake::response(StatusCode::OK, "abc").with_header("etag", "\"abc\"")
        }
        Operation::HeadObject => {
            fake::response(StatusCode::OK, "").with_header("content-length", "3")
        }
        Operation::DeleteObjects => fake::json(StatusCode::OK, r#"{"errors":[]}"#),
        Operation::Commit => fake::json(StatusCode::CREATED, COMMIT),
        Operation::GetCommit => fake::json(StatusCode::OK, COMMIT),
        Operation::LogCommits => fake::json(StatusCode::OK, list(COMMIT)),
        Operation::CreateBranch => fake::response(StatusCode::CREATED, "c1"),
        Operation::ListBranches => {
            fake::json(StatusCode::OK, list(r#"{"id":"main","commit_id":"c1"}"#))
        }
        Operation::GetBranch => fake::json(StatusCode::OK, r#"{"id":"main","commit_id":"c1"}"#),
        Operation::DiffBranch => fake::json(
            StatusCode::OK,
            list(r#"{"type":"added","path":"a/b.csv","path_type":"object","size_bytes":3}"#),
        ),
        Operation::GetRepository => fake::json(
            StatusCode::OK,
            r#"{"id":"r","creation_date":1,"default_branch":"main","storage_namespace":"s3://b/r"}"#,
        ),
        Operation::ListRepositories => fake::json(
            StatusCode::OK,
            list(
                r#"{"id":"r","creation_date":1,"default_branch":"main","storage_namespace":"s3://b/r"}"#,
            ),
        ),
        _ => fake::response(StatusCode::NO_CONTENT, ""),
    }
}

/// Calls `operation` with every argument it has set (optional ones included), so that each
/// one is checked against the spec.
async fn invoke(client: &Client<FakeTransport>, operation: Operation) {
    let result = match operation {
        Operation::StatObject => client
            .stat_object()
            .repository("r")
            .reference("main")
            .path("a/b c.csv")
            .user_metadata(true)
            .presign(false)
            .send()
            .await
            .map(drop),
        Operation::ListObjects => client
            .list_objects()
            .repository("r")
            .reference("main~1")
            .prefix("a/")
            .delimiter("/")
            .after("a/a")
            .amount(10)
            .user_metadata(false)
            .presign(false)
            .send()
            .await
            .map(drop),
        Operation::GetObject => client
            .get_object()
            .repository("r")
            .reference("main")
            .path("a/b.csv")
            .range(0..=2)
            .if_none_match("abc")
            .presign(false)
            .send()
            .await
            .map(drop),
        Operation::HeadObject => client
            .head_object()
            .repository("r")
            .reference("main")
            .path("a/b.csv")
            .range(0..=2)
            .send()
            .await
            .map(drop),
        Operation::DeleteObject => {
            client
                .delete_object()
                .repository("r")
                .branch("main")
                .path("a/b.csv")
                .force(false)
                .send()
                .await
        }
        Operation::UploadObject => client
            .upload_object()
            .repository("r")
            .branch("main")
            .path("a/b c.csv")
            .content(Bytes::from_static(b"abc"))
            .if_none_match("*")
            .force(false)
            .send()
            .await
            .map(drop),
        Operation::DeleteObjects => client
            .delete_objects()
            .repository("r")
            .branch("main")
            .paths(vec!["a".into(), "b".into()])
            .force(false)
            .send()
            .await
            .map(drop),
        Operation::CopyObject => client
            .copy_object()
            .repository("r")
            .branch("main")
            .dest_path("c.csv")
            .src_path("a/b.csv")
            .src_ref("dev")
            .force(false)
            .send()
            .await
            .map(drop),
        Operation::Commit => client
            .commit()
            .repository("r")
            .branch("main")
            .message("m")
            .meta("k", "v")
            .allow_empty(true)
            .date(1_700_000_000)
            .force(false)
            .send()
            .await
            .map(drop),
        Operation::GetCommit => client
            .get_commit()
            .repository("r")
            .commit_id("c1")
            .send()
            .await
            .map(drop),
        Operation::LogCommits => client
            .log_commits()
            .repository("r")
            .reference("main")
            .after("c0")
            .amount(5)
            .objects(vec!["a/b.csv".into(), "a/c.csv".into()])
            .prefixes(vec!["a/".into()])
            .limit(true)
            .first_parent(true)
            .since("2026-01-01T00:00:00Z")
            .stop_at("c0")
            .send()
            .await
            .map(drop),
        Operation::CreateBranch => client
            .create_branch()
            .repository("r")
            .name("dev")
            .source("main")
            .force(false)
            .send()
            .await
            .map(drop),
        Operation::ListBranches => client
            .list_branches()
            .repository("r")
            .prefix("d")
            .after("a")
            .amount(3)
            .send()
            .await
            .map(drop),
        Operation::GetBranch => client
            .get_branch()
            .repository("r")
            .branch("main")
            .send()
            .await
            .map(drop),
        Operation::DeleteBranch => {
            client
                .delete_branch()
                .repository("r")
                .branch("dev")
                .force(false)
                .send()
                .await
        }
        Operation::DiffBranch => client
            .diff_branch()
            .repository("r")
            .branch("main")
            .prefix("a/")
            .delimiter("/")
            .after("a/a")
            .amount(50)
            .send()
            .await
            .map(drop),
        Operation::ResetBranch => {
            client
                .reset_branch()
                .repository("r")
                .branch("main")
                .reset_type(ResetType::CommonPrefix)
                .path("a/")
                .force(false)
                .send()
                .await
        }
        Operation::GetRepository => client
            .get_repository()
            .repository("r")
            .send()
            .await
            .map(drop),
        Operation::ListRepositories => client
            .list_repositories()
            .prefix("r")
            .after("q")
            .amount(2)
            .send()
            .await
            .map(drop),
        other => panic!("no invocation for {other}"),
    };
    result.unwrap_or_else(|error| panic!("{operation}: {error}"));
}

fn only_request(transport: &FakeTransport) -> RecordedRequest {
    let mut requests = transport.requests();
    assert_eq!(requests.len(), 1, "one request");
    requests.remove(0)
}

#[tokio::test]
async fn every_stable_operation_sends_what_the_spec_declares() {
    let spec = spec();
    let credentials = every_scheme();
    for operation in Operation::STABLE {
        for credentials in &credentials {
            let transport = FakeTransport::new();
            transport.enqueue(operation.method(), "/{*path}", [Ok(success(operation))]);
            let client = Client::builder()
                .endpoint("http://lakefs.local")
                .credentials(credentials.clone())
                .build_with_transport(transport.clone())
                .unwrap();
            invoke(&client, operation).await;
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
fn the_stable_operations_are_the_spec_s_with_its_methods_and_security() {
    let spec = spec();
    for operation in Operation::STABLE {
        let (template, method, op) = find(&spec, operation.id());
        assert_eq!(
            method,
            operation.method().as_str(),
            "{operation} at {template}"
        );
        assert!(operation.is_authenticated(), "{operation}");
        assert!(
            op.get("security").is_none(),
            "{operation} declares its own security"
        );
    }
}
