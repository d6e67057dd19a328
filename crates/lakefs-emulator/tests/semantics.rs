//! The emulator's semantics, driven through the real client.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use bytes::Bytes;
use http::StatusCode;
use lakefs_emulator::*;
use lakefs_experimental::models::UploadPart;
use lakefs_experimental::ExperimentalApi;
use lakefs_experimental::{
    CookieScheme, Credentials, Error, ErrorKind, ExperimentalClient, RetryPolicy,
};
use lakefs_transport::fake::FakeTransport;
use lakefs_transport::HttpTransport;

fn in_process(emulator: &Emulator) -> ExperimentalClient<FakeTransport> {
    in_process_as(
        emulator,
        Credentials::basic(DEFAULT_ACCESS_KEY_ID, DEFAULT_SECRET_ACCESS_KEY),
    )
}

fn in_process_as(
    emulator: &Emulator,
    credentials: Credentials,
) -> ExperimentalClient<FakeTransport> {
    let transport = FakeTransport::new();
    let handler = emulator.clone();
    transport.fallback(move |request, _| Ok(handler.handle(request)));
    ExperimentalClient::builder()
        .endpoint("http://lakefs.emulator")
        .credentials(credentials)
        .retry_policy(RetryPolicy::none())
        .build_with_transport(transport)
        .unwrap()
}

fn status(error: &Error) -> u16 {
    error.status().map(|s| s.as_u16()).unwrap_or(0)
}

#[tokio::test]
async fn authentication_is_required_except_for_sts_login() {
    let emulator = Emulator::new();
    for credentials in [
        Credentials::None,
        Credentials::basic(DEFAULT_ACCESS_KEY_ID, "wrong"),
        Credentials::bearer("not-a-token"),
        Credentials::cookie(CookieScheme::Internal, "nope"),
    ] {
        let error = in_process_as(&emulator, credentials)
            .hard_reset_branch()
            .repository(DEFAULT_REPOSITORY)
            .branch("main")
            .reference("main")
            .send()
            .await
            .unwrap_err();
        assert!(error.kind() == ErrorKind::Unauthorized, "{error:?}");
    }
    emulator.add_session_cookie("sess-1", "admin");
    for scheme in [
        CookieScheme::Internal,
        CookieScheme::Oidc,
        CookieScheme::Saml,
    ] {
        in_process_as(&emulator, Credentials::cookie(scheme, "sess-1"))
            .hard_reset_branch()
            .repository(DEFAULT_REPOSITORY)
            .branch("main")
            .reference("main")
            .send()
            .await
            .unwrap();
    }
    // STS login needs no credentials, and its token then authenticates.
    let anonymous = in_process_as(&emulator, Credentials::None);
    let logged_in = anonymous
        .sts_login()
        .code(DEFAULT_STS_CODE)
        .state(DEFAULT_STS_STATE)
        .redirect_uri("http://cb")
        .send_and_use()
        .await
        .unwrap();
    logged_in
        .hard_reset_branch()
        .repository(DEFAULT_REPOSITORY)
        .branch("main")
        .reference("main")
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn hard_reset_semantics() {
    let emulator = Emulator::new();
    let client = in_process(&emulator);
    let repo = DEFAULT_REPOSITORY;
    let first = emulator.head(repo, "main").unwrap();
    let second = emulator.commit(repo, "main", "more").unwrap();
    assert_ne!(first, second);
    // Most resets are of main in the default repository.
    let reset_main = |reference: &str| {
        client
            .hard_reset_branch()
            .repository(repo)
            .branch("main")
            .reference(reference)
    };

    reset_main("main~1").send().await.unwrap();
    assert_eq!(emulator.head(repo, "main").unwrap(), first);
    reset_main(&second).send().await.unwrap();
    assert_eq!(emulator.head(repo, "main").unwrap(), second);

    let error = reset_main("no-such-ref").send().await.unwrap_err();
    assert_eq!(status(&error), 404);
    let error = reset_main("main~99").send().await.unwrap_err();
    assert_eq!(status(&error), 404);
    let error = client
        .hard_reset_branch()
        .repository("no-repo")
        .branch("main")
        .reference("main")
        .send()
        .await
        .unwrap_err();
    assert_eq!(status(&error), 404);
    let error = client
        .hard_reset_branch()
        .repository(repo)
        .branch("no-branch")
        .reference("main")
        .send()
        .await
        .unwrap_err();
    assert_eq!(status(&error), 404);

    emulator.set_read_only(repo, true);
    let error = reset_main("main~1").send().await.unwrap_err();
    assert!(error.kind() == ErrorKind::Forbidden, "{error:?}");
    reset_main("main~1").force(true).send().await.unwrap();
    emulator.set_read_only(repo, false);

    emulator.protect_branch(repo, "main", true);
    let error = reset_main("main").force(true).send().await.unwrap_err();
    assert!(
        error.kind() == ErrorKind::Forbidden,
        "force does not bypass protection: {error:?}"
    );
    emulator.protect_branch(repo, "main", false);

    emulator.set_dirty(repo, "main", true);
    let error = reset_main("main").force(true).send().await.unwrap_err();
    assert!(
        error.kind() == ErrorKind::BadRequest,
        "force does not bypass dirtiness: {error:?}"
    );
}

#[tokio::test]
async fn external_principals_semantics() {
    let emulator = Emulator::new();
    let client = in_process(&emulator);
    for i in 0..5 {
        client
            .create_user_external_principal()
            .user_id("alice")
            .principal_id(format!("arn:aws:sts::1:assumed-role/r{i}"))
            .settings([("ignored".to_owned(), "yes".to_owned())].into())
            .send()
            .await
            .unwrap();
    }
    client
        .create_user_external_principal()
        .user_id("admin")
        .principal_id("arn:aws:sts::1:assumed-role/admin")
        .send()
        .await
        .unwrap();
    let error = client
        .create_user_external_principal()
        .user_id("alice")
        .principal_id("arn:aws:sts::1:assumed-role/r0")
        .send()
        .await
        .unwrap_err();
    assert!(error.kind() == ErrorKind::Conflict, "{error:?}");
    let error = client
        .create_user_external_principal()
        .user_id("nobody")
        .principal_id("arn:x")
        .send()
        .await
        .unwrap_err();
    assert!(error.kind() == ErrorKind::NotFound, "{error:?}");

    let principal = client
        .get_external_principal()
        .principal_id("arn:aws:sts::1:assumed-role/r3")
        .send()
        .await
        .unwrap();
    assert_eq!(
        (principal.user_id.as_str(), principal.settings),
        ("alice", None),
        "settings are never filled"
    );

    let list_alice = || client.list_user_external_principals().user_id("alice");
    let page = list_alice().amount(2).send().await.unwrap();
    assert_eq!(page.results.len(), 2);
    assert!(page.pagination.has_more);
    assert_eq!(
        page.pagination.next_offset,
        "arn:aws:sts::1:assumed-role/r1"
    );
    assert_eq!(page.pagination.max_per_page, 0);
    let next = list_alice()
        .amount(2)
        .after(&page.pagination.next_offset)
        .send()
        .await
        .unwrap();
    assert_eq!(next.results[0].id, "arn:aws:sts::1:assumed-role/r2");
    // Every page of a prefix, following next_offset to the end (an empty `after` is not sent).
    let mut all = Vec::new();
    let mut after = String::new();
    loop {
        let page = list_alice()
            .prefix("arn:aws:sts::1:assumed-role/r")
            .amount(2)
            .after(after)
            .send()
            .await
            .unwrap();
        all.extend(page.results);
        if !page.pagination.has_more {
            break;
        }
        after = page.pagination.next_offset;
    }
    assert_eq!(all.len(), 5);
    let zero = list_alice().amount(0).send().await.unwrap();
    assert_eq!(zero.results.len(), 5, "amount 0 means the default of 100");
    let filtered = list_alice()
        .prefix("arn:aws:sts::1:assumed-role/r4")
        .send()
        .await
        .unwrap();
    assert_eq!(filtered.results.len(), 1);

    let delete = |user_id: &str, principal_id: &str| {
        client
            .delete_user_external_principal()
            .user_id(user_id)
            .principal_id(principal_id)
    };
    delete("alice", "arn:aws:sts::1:assumed-role/r0")
        .send()
        .await
        .unwrap();
    let error = delete("alice", "arn:aws:sts::1:assumed-role/r0")
        .send()
        .await
        .unwrap_err();
    assert!(error.kind() == ErrorKind::NotFound);
    let error = delete("alice", "arn:aws:sts::1:assumed-role/admin")
        .send()
        .await
        .unwrap_err();
    assert!(
        error.kind() == ErrorKind::NotFound,
        "another user's principal"
    );
    assert_eq!(emulator.principals_of("alice").len(), 4);

    emulator.set_external_principals(Support::NotImplemented);
    let error = client
        .get_external_principal()
        .principal_id("arn:aws:sts::1:assumed-role/r1")
        .send()
        .await
        .unwrap_err();
    assert!(error.kind() == ErrorKind::NotImplemented, "{error:?}");
    let error = list_alice().send().await.unwrap_err();
    assert!(error.kind() == ErrorKind::NotImplemented);
}

#[tokio::test]
async fn sts_login_semantics() {
    let emulator = Emulator::new();
    let client = in_process_as(&emulator, Credentials::None);
    let login = |code: &str, state: &str| {
        client
            .sts_login()
            .code(code)
            .state(state)
            .redirect_uri("http://cb")
    };
    let before = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let token = login(DEFAULT_STS_CODE, DEFAULT_STS_STATE)
        .send()
        .await
        .unwrap();
    let expiry = token.token_expiration.unwrap() - before;
    assert!((3600..=3602).contains(&expiry), "default TTL: {expiry}");
    let capped = login(DEFAULT_STS_CODE, DEFAULT_STS_STATE)
        .ttl_seconds(100_000)
        .send()
        .await
        .unwrap();
    assert!((43_200..=43_202).contains(&(capped.token_expiration.unwrap() - before)));
    let short = login(DEFAULT_STS_CODE, DEFAULT_STS_STATE)
        .ttl_seconds(60)
        .send()
        .await
        .unwrap();
    assert!((60..=62).contains(&(short.token_expiration.unwrap() - before)));

    let error = login("wrong", DEFAULT_STS_STATE).send().await.unwrap_err();
    assert!(error.kind() == ErrorKind::Unauthorized);
    let error = login(DEFAULT_STS_CODE, "wrong").send().await.unwrap_err();
    assert!(error.kind() == ErrorKind::Unauthorized);
    emulator.add_sts_login("c", "s", "ghost");
    let error = login("c", "s").send().await.unwrap_err();
    assert!(error.kind() == ErrorKind::NotFound, "{error:?}");
    emulator.set_sts(Support::NotImplemented);
    let error = login(DEFAULT_STS_CODE, DEFAULT_STS_STATE)
        .send()
        .await
        .unwrap_err();
    assert!(error.kind() == ErrorKind::NotImplemented);
}

async fn put_part<T: HttpTransport>(
    client: &ExperimentalClient<T>,
    url: &str,
    bytes: Bytes,
) -> (StatusCode, String) {
    let response = client
        .transport()
        .send(http::Request::put(url).body(bytes).unwrap())
        .await
        .unwrap();
    let etag = response
        .headers()
        .get("etag")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (response.status(), etag)
}

#[tokio::test]
async fn presigned_multipart_semantics() {
    let emulator = Emulator::new();
    let client = in_process(&emulator);
    let repo = DEFAULT_REPOSITORY;
    let upload = client
        .create_presign_multipart_upload()
        .repository(repo)
        .branch("main")
        .path("dir/obj.bin")
        .parts(2)
        .send()
        .await
        .unwrap();
    assert!(upload
        .physical_address
        .starts_with("s3://emulator-bucket/example-repo/data/"));
    let urls = upload.presigned_urls.clone().unwrap();
    assert_eq!(urls.len(), 2);
    let first = Bytes::from(vec![1u8; 5 * 1024 * 1024]);
    let second = Bytes::from_static(b"tail");
    let (status1, etag1) = put_part(&client, &urls[0], first.clone()).await;
    let (_, etag2) = put_part(&client, &urls[1], second.clone()).await;
    assert_eq!(status1, StatusCode::OK);
    assert!(
        etag1.starts_with('"') && etag1.len() == 34,
        "quoted MD5: {etag1}"
    );

    // A tampered signature, and lakeFS credentials on a presigned PUT, are refused as S3 would.
    let tampered = urls[0].replace("X-Amz-Signature=", "X-Amz-Signature=0");
    assert_eq!(
        put_part(&client, &tampered, first.clone()).await.0,
        StatusCode::FORBIDDEN
    );
    let with_auth = http::Request::put(&urls[0])
        .header("authorization", "Basic eA==")
        .body(first.clone())
        .unwrap();
    assert_eq!(
        client.transport().send(with_auth).await.unwrap().status(),
        StatusCode::BAD_REQUEST
    );

    // Wrong ETag, wrong order, and a foreign address are refused.
    let parts = |e1: &str, e2: &str| {
        vec![
            UploadPart::new(1, e1.trim_matches('"')),
            UploadPart::new(2, e2.trim_matches('"')),
        ]
    };
    // Every complete below is of this upload; each call names the path, address and parts.
    let complete = || {
        client
            .complete_presign_multipart_upload()
            .repository(repo)
            .branch("main")
            .upload_id(&upload.upload_id)
    };
    let error = complete()
        .path("dir/obj.bin")
        .physical_address(&upload.physical_address)
        .parts(parts(&etag1, "0123"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        status(&error),
        500,
        "S3's InvalidPart comes back as 500: {error}"
    );
    let error = complete()
        .path("dir/obj.bin")
        .physical_address(upload.physical_address.replace(",", ",x"))
        .parts(parts(&etag1, &etag2))
        .send()
        .await
        .unwrap_err();
    assert_eq!(status(&error), 400, "{error}");
    let error = complete()
        .path("other/path")
        .physical_address(&upload.physical_address)
        .parts(parts(&etag1, &etag2))
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        status(&error),
        400,
        "the address is signed for its path: {error}"
    );

    let stats = complete()
        .path("dir/obj.bin")
        .physical_address(&upload.physical_address)
        .parts(parts(&etag1, &etag2))
        .content_type("application/x-test")
        .user_metadata([("k".to_owned(), "v".to_owned())].into())
        .send()
        .await
        .unwrap();
    assert_eq!(stats.size_bytes, Some(5 * 1024 * 1024 + 4));
    assert!(
        stats.physical_address.starts_with("data/"),
        "relative address: {}",
        stats.physical_address
    );
    assert!(stats.checksum.ends_with("-2"));
    assert_eq!(stats.content_type.as_deref(), Some("application/x-test"));
    let object = emulator.object(repo, "main", "dir/obj.bin").unwrap();
    assert_eq!(object.len(), first.len() + 4);
    assert_eq!(&object[..first.len()], &first[..]);
    assert_eq!(&object[first.len()..], b"tail");
    assert_eq!(emulator.open_uploads(), 0);

    // The upload is gone: completing or aborting again is a 404.
    let error = complete()
        .path("dir/obj.bin")
        .physical_address(&upload.physical_address)
        .parts(parts(&etag1, &etag2))
        .send()
        .await
        .unwrap_err();
    assert_eq!(status(&error), 404);
}

#[tokio::test]
async fn parts_below_5_mib_but_the_last_are_refused_and_abort_discards() {
    let emulator = Emulator::new();
    let client = in_process(&emulator);
    let repo = DEFAULT_REPOSITORY;
    let upload = client
        .create_presign_multipart_upload()
        .repository(repo)
        .branch("main")
        .path("small")
        .parts(2)
        .send()
        .await
        .unwrap();
    let urls = upload.presigned_urls.clone().unwrap();
    let (_, e1) = put_part(&client, &urls[0], Bytes::from_static(b"too small")).await;
    let (_, e2) = put_part(&client, &urls[1], Bytes::from_static(b"last")).await;
    let error = client
        .complete_presign_multipart_upload()
        .repository(repo)
        .branch("main")
        .upload_id(&upload.upload_id)
        .path("small")
        .physical_address(&upload.physical_address)
        .part(1, e1.trim_matches('"'))
        .part(2, e2.trim_matches('"'))
        .send()
        .await
        .unwrap_err();
    assert!(error.to_string().contains("EntityTooSmall"), "{error}");

    assert_eq!(emulator.open_uploads(), 1);
    let abort = || {
        client
            .abort_presign_multipart_upload()
            .repository(repo)
            .branch("main")
            .upload_id(&upload.upload_id)
            .path("small")
            .physical_address(&upload.physical_address)
    };
    abort().send().await.unwrap();
    assert_eq!(emulator.open_uploads(), 0);
    assert!(emulator.object(repo, "main", "small").is_none());
    let error = abort().send().await.unwrap_err();
    assert_eq!(status(&error), 404, "unknown upload");
    // Parts of an aborted upload are refused by the store.
    assert_eq!(
        put_part(&client, &urls[0], Bytes::from_static(b"x"))
            .await
            .0,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn create_checks_and_the_501_mode() {
    let emulator = Emulator::new();
    let client = in_process(&emulator);
    let create = |repository: &str, branch: &str| {
        client
            .create_presign_multipart_upload()
            .repository(repository)
            .branch(branch)
            .path("p")
    };
    let zero = create(DEFAULT_REPOSITORY, "main")
        .parts(0)
        .send()
        .await
        .unwrap();
    assert_eq!(zero.presigned_urls, None, "no URLs for 0 parts");
    let error = create("nope", "main").send().await.unwrap_err();
    assert_eq!(status(&error), 404);
    let error = create(DEFAULT_REPOSITORY, "nope").send().await.unwrap_err();
    assert!(
        error.to_string().contains("branch 'nope' not found"),
        "{error}"
    );
    emulator.set_presign_multipart(Support::NotImplemented);
    let error = create(DEFAULT_REPOSITORY, "main")
        .parts(1)
        .send()
        .await
        .unwrap_err();
    assert!(error.kind() == ErrorKind::NotImplemented, "{error:?}");
}

#[tokio::test]
async fn raw_requests_get_the_servers_validation_answers() {
    let emulator = Emulator::new();
    let auth = format!(
        "Basic {}",
        base64_encode(&format!(
            "{DEFAULT_ACCESS_KEY_ID}:{DEFAULT_SECRET_ACCESS_KEY}"
        ))
    );
    let send = |method: &str, uri: &str| {
        let request = http::Request::builder()
            .method(method)
            .uri(uri)
            .header("authorization", auth.as_str())
            .body(Bytes::new())
            .unwrap();
        emulator.handle(&request)
    };
    let missing = send(
        "PUT",
        "http://e/api/v1/repositories/example-repo/branches/main/hard_reset",
    );
    assert_eq!(missing.status(), StatusCode::BAD_REQUEST);
    let message: lakefs_experimental::models::Error =
        serde_json::from_slice(missing.body()).unwrap();
    assert!(message.message.contains("\"ref\""), "{}", message.message);
    assert_eq!(missing.headers()["content-type"], "application/json");
    let bad_bool = send(
        "PUT",
        "http://e/api/v1/repositories/example-repo/branches/main/hard_reset?ref=main&force=yes",
    );
    assert_eq!(bad_bool.status(), StatusCode::BAD_REQUEST);
    let unknown_route = send("GET", "http://e/api/v1/nothing/here");
    assert_eq!(
        unknown_route.status(),
        StatusCode::BAD_REQUEST,
        "unmatched routes are 400 on lakeFS"
    );
    let too_many = send(
        "POST",
        "http://e/api/v1/repositories/example-repo/branches/main/staging/pmpu?path=p&parts=10001",
    );
    assert_eq!(too_many.status(), StatusCode::BAD_REQUEST);
    let big_amount = send(
        "GET",
        "http://e/api/v1/auth/users/alice/external/principals/ls?amount=1001",
    );
    assert_eq!(
        big_amount.status(),
        StatusCode::BAD_REQUEST,
        "the spec's maximum is enforced by the validator"
    );
}

fn base64_encode(text: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(text)
}

#[tokio::test]
async fn serves_over_real_http_on_loopback() {
    let running = serve(Emulator::new()).await.unwrap();
    assert!(running.url().starts_with("http://127.0.0.1:"));
    let client = ExperimentalClient::builder()
        .endpoint(running.url())
        .credentials(Credentials::basic(
            DEFAULT_ACCESS_KEY_ID,
            DEFAULT_SECRET_ACCESS_KEY,
        ))
        .build()
        .unwrap();
    let upload = client
        .create_presign_multipart_upload()
        .repository(DEFAULT_REPOSITORY)
        .branch("main")
        .path("over/http")
        .parts(1)
        .send()
        .await
        .unwrap();
    let url = &upload.presigned_urls.as_ref().unwrap()[0];
    assert!(
        url.starts_with(running.url()),
        "part URLs point at the server itself: {url}"
    );
    let (status, etag) = put_part(&client, url, Bytes::from_static(b"over http")).await;
    assert_eq!(status, StatusCode::OK);
    let stats = client
        .complete_presign_multipart_upload()
        .repository(DEFAULT_REPOSITORY)
        .branch("main")
        .upload_id(&upload.upload_id)
        .path("over/http")
        .physical_address(&upload.physical_address)
        .part(1, etag.trim_matches('"'))
        .send()
        .await
        .unwrap();
    assert_eq!(stats.size_bytes, Some(9));
    assert_eq!(
        running
            .emulator()
            .object(DEFAULT_REPOSITORY, "main", "over/http")
            .unwrap(),
        "over http"
    );
    let address = running.address();
    running.shutdown().await;
    assert!(
        tokio::net::TcpStream::connect(address).await.is_err(),
        "the port is closed after shutdown"
    );
}
