//! What the stable operations do beyond sending a request: follow a presigned redirect without
//! lakeFS's credentials, retry only what is safe to repeat, refuse bad arguments before any
//! request, read what lakeFS answers outside JSON.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use bytes::Bytes;
use http::{Method, StatusCode};
use lakefs_api::{BranchesApi, CommitsApi, ErrorKind, ObjectsApi, RetryPolicy};
use lakefs_client::{Client, Credentials};
use lakefs_transport::fake::{self, FakeTransport, Fault, ResponseExt};

fn client(transport: &FakeTransport) -> Client<FakeTransport> {
    Client::builder()
        .endpoint("http://lakefs.local")
        .credentials(Credentials::basic("AKIAEXAMPLE", "s3cr3t"))
        .retry_policy(RetryPolicy::default().max_attempts(3))
        .build_with_transport(transport.clone())
        .unwrap()
}

#[tokio::test(start_paused = true)]
async fn a_presigned_read_follows_the_redirect_without_lakefs_credentials() {
    let transport = FakeTransport::new();
    let location = "https://store.example/bucket/data/x?X-Amz-Signature=deadbeef";
    transport.enqueue(
        Method::GET,
        "/api/v1/repositories/{repo}/refs/{ref}/objects",
        [Ok(
            fake::response(StatusCode::FOUND, "").with_header("location", location)
        )],
    );
    transport.enqueue(
        Method::GET,
        "/bucket/data/x",
        [
            Ok(fake::response(StatusCode::SERVICE_UNAVAILABLE, "")),
            Ok(fake::response(StatusCode::PARTIAL_CONTENT, "bcd")
                .with_header("content-range", "bytes 1-3/10")
                .with_header("etag", "\"e1\"")),
        ],
    );
    let content = client(&transport)
        .get_object()
        .repository("r")
        .reference("main")
        .path("x")
        .range(1..=3)
        .presign(true)
        .send()
        .await
        .unwrap();
    assert_eq!(content.body, Bytes::from("bcd"));
    assert_eq!(content.etag.as_deref(), Some("e1"));
    let range = content.range.unwrap();
    assert_eq!((range.first, range.last, range.size), (1, 3, 10));
    let requests = transport.requests();
    assert_eq!(
        requests.len(),
        3,
        "lakeFS once, the store twice (a 503 is retried)"
    );
    assert!(requests[0].headers.contains_key("authorization"));
    for store in &requests[1..] {
        assert_eq!(store.uri.host(), Some("store.example"));
        assert!(
            !store.headers.contains_key("authorization") && !store.headers.contains_key("cookie"),
            "lakeFS credentials must never reach the store: {:?}",
            store.headers
        );
        assert_eq!(store.headers["range"], "bytes=1-3");
    }
}

#[tokio::test(start_paused = true)]
async fn a_store_refusal_of_a_presigned_read_names_no_signature() {
    let transport = FakeTransport::new();
    transport.enqueue(
        Method::GET,
        "/api/v1/repositories/{repo}/refs/{ref}/objects",
        [Ok(fake::response(StatusCode::FOUND, "").with_header(
            "location",
            "https://store.example/b/k?X-Amz-Signature=deadbeef",
        ))],
    );
    transport.enqueue(
        Method::GET,
        "/b/k",
        [Ok(fake::response(
            StatusCode::FORBIDDEN,
            "<Error><Code>AccessDenied</Code><Message>Request has expired</Message><Signature>deadbeef</Signature></Error>",
        ))],
    );
    let error = client(&transport)
        .get_object()
        .repository("r")
        .reference("main")
        .path("k")
        .presign(true)
        .send()
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Forbidden);
    let text = format!("{error} {error:?}");
    assert!(!text.contains("deadbeef"), "{text}");
}

#[tokio::test]
async fn not_modified_is_an_answer_without_a_body() {
    let transport = FakeTransport::new();
    transport.enqueue(
        Method::GET,
        "/{*path}",
        [Ok(fake::response(StatusCode::NOT_MODIFIED, ""))],
    );
    let content = client(&transport)
        .get_object()
        .repository("r")
        .reference("main")
        .path("k")
        .if_none_match("e1")
        .send()
        .await
        .unwrap();
    assert!(content.not_modified && content.body.is_empty());
    assert_eq!(transport.requests()[0].headers["if-none-match"], "\"e1\"");
}

#[tokio::test(start_paused = true)]
async fn a_lost_answer_repeats_a_delete_but_never_a_commit() {
    let transport = FakeTransport::new();
    transport.enqueue(
        Method::DELETE,
        "/{*path}",
        [
            Err(Fault::ResetAfterHandling),
            Ok(fake::response(StatusCode::NO_CONTENT, "")),
        ],
    );
    client(&transport)
        .delete_object()
        .repository("r")
        .branch("main")
        .path("k")
        .send()
        .await
        .unwrap();
    assert_eq!(transport.requests().len(), 2);

    let transport = FakeTransport::new();
    transport.enqueue(
        Method::POST,
        "/{*path}",
        [
            Err(Fault::ResetAfterHandling),
            Ok(fake::json(StatusCode::CREATED, "{}")),
        ],
    );
    let error = client(&transport)
        .commit()
        .repository("r")
        .branch("main")
        .message("m")
        .send()
        .await
        .unwrap_err();
    assert!(error.is_ambiguous(), "{error}");
    assert_eq!(
        transport.requests().len(),
        1,
        "a commit is never repeated blindly"
    );
}

#[tokio::test]
async fn bad_arguments_are_refused_before_any_request() {
    let transport = FakeTransport::new();
    let client = client(&transport);
    let too_many: Vec<String> = (0..1001).map(|i| format!("p{i}")).collect();
    let (start, end) = (5, 1);
    let cases = [
        (
            client
                .delete_objects()
                .repository("r")
                .branch("main")
                .paths(too_many)
                .send()
                .await
                .unwrap_err(),
            "paths",
        ),
        (
            client
                .delete_objects()
                .repository("r")
                .branch("main")
                .paths(vec!["a".into(), String::new()])
                .send()
                .await
                .unwrap_err(),
            "paths",
        ),
        (
            client
                .get_object()
                .repository("r")
                .reference("main")
                .path("k")
                .range(start..=end)
                .send()
                .await
                .unwrap_err(),
            "Range",
        ),
        (
            client
                .reset_branch()
                .repository("r")
                .branch("main")
                .reset_type(lakefs_api::models::ResetType::Object)
                .send()
                .await
                .unwrap_err(),
            "path",
        ),
        (
            client
                .commit()
                .repository("r")
                .branch("main")
                .send()
                .await
                .unwrap_err(),
            "message",
        ),
        (
            client
                .list_objects()
                .repository("r")
                .reference("main")
                .amount(1001)
                .send()
                .await
                .unwrap_err(),
            "amount",
        ),
    ];
    for (error, argument) in cases {
        assert_eq!(error.kind(), ErrorKind::InvalidArgument, "{error}");
        assert_eq!(error.argument(), Some(argument), "{error}");
    }
    assert!(transport.requests().is_empty());
}

#[tokio::test]
async fn create_branch_answers_the_commit_id_lakefs_sends_as_text() {
    let transport = FakeTransport::new();
    transport.enqueue(
        Method::POST,
        "/{*path}",
        [Ok(fake::response(StatusCode::CREATED, "a1b2c3")
            .with_header(
                "content-type",
                "text/plain; charset=utf-8",
            ))],
    );
    let id = client(&transport)
        .create_branch()
        .repository("r")
        .name("dev")
        .source("main")
        .send()
        .await
        .unwrap();
    assert_eq!(id, "a1b2c3");
}

#[tokio::test(start_paused = true)]
async fn a_stalled_store_is_given_up_under_the_call_s_timeout_and_retry_policy() {
    let transport = FakeTransport::new();
    transport.enqueue(
        Method::GET,
        "/api/v1/repositories/{repo}/refs/{ref}/objects",
        [Ok(fake::response(StatusCode::FOUND, "").with_header(
            "location",
            "https://store.example/b/k?X-Amz-Signature=deadbeef",
        ))],
    );
    transport.enqueue(Method::GET, "/b/k", [Err(Fault::Stall)]);
    let started = tokio::time::Instant::now();
    let error = client(&transport)
        .get_object()
        .repository("r")
        .reference("main")
        .path("k")
        .presign(true)
        .timeout(std::time::Duration::from_secs(2))
        .retry_policy(RetryPolicy::none())
        .send()
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Timeout, "{error}");
    assert_eq!(started.elapsed(), std::time::Duration::from_secs(2));
    assert_eq!(transport.requests().len(), 2, "lakeFS once, the store once");
    assert!(!format!("{error} {error:?}").contains("deadbeef"));
}
