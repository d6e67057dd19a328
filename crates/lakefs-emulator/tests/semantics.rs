//! The emulator's semantics, driven through the real client.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use bytes::Bytes;
use http::StatusCode;
use lakefs_emulator::*;
use lakefs_experimental::models::*;
use lakefs_experimental::{
    CookieScheme, Credentials, Error, ExperimentalClient, ListExternalPrincipals, RetryPolicy,
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
            .hard_reset_branch(DEFAULT_REPOSITORY, "main", "main", None)
            .await
            .unwrap_err();
        assert!(matches!(error, Error::Unauthorized { .. }), "{error:?}");
    }
    emulator.add_session_cookie("sess-1", "admin");
    for scheme in [
        CookieScheme::Internal,
        CookieScheme::Oidc,
        CookieScheme::Saml,
    ] {
        in_process_as(&emulator, Credentials::cookie(scheme, "sess-1"))
            .hard_reset_branch(DEFAULT_REPOSITORY, "main", "main", None)
            .await
            .unwrap();
    }
    // STS login needs no credentials, and its token then authenticates.
    let anonymous = in_process_as(&emulator, Credentials::None);
    let logged_in = anonymous
        .with_sts_login(&StsAuthRequest::new(
            DEFAULT_STS_CODE,
            DEFAULT_STS_STATE,
            "http://cb",
        ))
        .await
        .unwrap();
    logged_in
        .hard_reset_branch(DEFAULT_REPOSITORY, "main", "main", None)
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

    client
        .hard_reset_branch(repo, "main", "main~1", None)
        .await
        .unwrap();
    assert_eq!(emulator.head(repo, "main").unwrap(), first);
    client
        .hard_reset_branch(repo, "main", &second, None)
        .await
        .unwrap();
    assert_eq!(emulator.head(repo, "main").unwrap(), second);

    let error = client
        .hard_reset_branch(repo, "main", "no-such-ref", None)
        .await
        .unwrap_err();
    assert_eq!(status(&error), 404);
    let error = client
        .hard_reset_branch(repo, "main", "main~99", None)
        .await
        .unwrap_err();
    assert_eq!(status(&error), 404);
    let error = client
        .hard_reset_branch("no-repo", "main", "main", None)
        .await
        .unwrap_err();
    assert_eq!(status(&error), 404);
    let error = client
        .hard_reset_branch(repo, "no-branch", "main", None)
        .await
        .unwrap_err();
    assert_eq!(status(&error), 404);

    emulator.set_read_only(repo, true);
    let error = client
        .hard_reset_branch(repo, "main", "main~1", None)
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Forbidden { .. }), "{error:?}");
    client
        .hard_reset_branch(repo, "main", "main~1", Some(true))
        .await
        .unwrap();
    emulator.set_read_only(repo, false);

    emulator.protect_branch(repo, "main", true);
    let error = client
        .hard_reset_branch(repo, "main", "main", Some(true))
        .await
        .unwrap_err();
    assert!(
        matches!(error, Error::Forbidden { .. }),
        "force does not bypass protection: {error:?}"
    );
    emulator.protect_branch(repo, "main", false);

    emulator.set_dirty(repo, "main", true);
    let error = client
        .hard_reset_branch(repo, "main", "main", Some(true))
        .await
        .unwrap_err();
    assert!(
        matches!(error, Error::BadRequest { .. }),
        "force does not bypass dirtiness: {error:?}"
    );
}

#[tokio::test]
async fn external_principals_semantics() {
    let emulator = Emulator::new();
    let client = in_process(&emulator);
    let body =
        ExternalPrincipalCreation::new(Some([("ignored".to_owned(), "yes".to_owned())].into()));
    for i in 0..5 {
        client
            .create_user_external_principal(
                "alice",
                &format!("arn:aws:sts::1:assumed-role/r{i}"),
                Some(&body),
            )
            .await
            .unwrap();
    }
    client
        .create_user_external_principal("admin", "arn:aws:sts::1:assumed-role/admin", None)
        .await
        .unwrap();
    let error = client
        .create_user_external_principal("alice", "arn:aws:sts::1:assumed-role/r0", None)
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Conflict { .. }), "{error:?}");
    let error = client
        .create_user_external_principal("nobody", "arn:x", None)
        .await
        .unwrap_err();
    assert!(matches!(error, Error::NotFound { .. }), "{error:?}");

    let principal = client
        .get_external_principal("arn:aws:sts::1:assumed-role/r3")
        .await
        .unwrap();
    assert_eq!(
        (principal.user_id.as_str(), principal.settings),
        ("alice", None),
        "settings are never filled"
    );

    let page = client
        .list_user_external_principals("alice", &ListExternalPrincipals::new().amount(2))
        .await
        .unwrap();
    assert_eq!(page.results.len(), 2);
    assert!(page.pagination.has_more);
    assert_eq!(
        page.pagination.next_offset,
        "arn:aws:sts::1:assumed-role/r1"
    );
    assert_eq!(page.pagination.max_per_page, 0);
    let next = client
        .list_user_external_principals(
            "alice",
            &ListExternalPrincipals::new()
                .amount(2)
                .after(page.pagination.next_offset.clone()),
        )
        .await
        .unwrap();
    assert_eq!(next.results[0].id, "arn:aws:sts::1:assumed-role/r2");
    let all = client
        .list_all_user_external_principals("alice", Some("arn:aws:sts::1:assumed-role/r"))
        .await
        .unwrap();
    assert_eq!(all.len(), 5);
    let zero = client
        .list_user_external_principals("alice", &ListExternalPrincipals::new().amount(0))
        .await
        .unwrap();
    assert_eq!(zero.results.len(), 5, "amount 0 means the default of 100");
    let filtered = client
        .list_user_external_principals(
            "alice",
            &ListExternalPrincipals::new().prefix("arn:aws:sts::1:assumed-role/r4"),
        )
        .await
        .unwrap();
    assert_eq!(filtered.results.len(), 1);

    client
        .delete_user_external_principal("alice", "arn:aws:sts::1:assumed-role/r0")
        .await
        .unwrap();
    let error = client
        .delete_user_external_principal("alice", "arn:aws:sts::1:assumed-role/r0")
        .await
        .unwrap_err();
    assert!(matches!(error, Error::NotFound { .. }));
    let error = client
        .delete_user_external_principal("alice", "arn:aws:sts::1:assumed-role/admin")
        .await
        .unwrap_err();
    assert!(
        matches!(error, Error::NotFound { .. }),
        "another user's principal"
    );
    assert_eq!(emulator.principals_of("alice").len(), 4);

    emulator.set_external_principals(Support::NotImplemented);
    let error = client
        .get_external_principal("arn:aws:sts::1:assumed-role/r1")
        .await
        .unwrap_err();
    assert!(matches!(error, Error::NotImplemented { .. }), "{error:?}");
    let error = client
        .list_user_external_principals("alice", &ListExternalPrincipals::new())
        .await
        .unwrap_err();
    assert!(matches!(error, Error::NotImplemented { .. }));
}

#[tokio::test]
async fn sts_login_semantics() {
    let emulator = Emulator::new();
    let client = in_process_as(&emulator, Credentials::None);
    let before = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let token = client
        .sts_login(&StsAuthRequest::new(
            DEFAULT_STS_CODE,
            DEFAULT_STS_STATE,
            "http://cb",
        ))
        .await
        .unwrap();
    let expiry = token.token_expiration.unwrap() - before;
    assert!((3600..=3602).contains(&expiry), "default TTL: {expiry}");
    let capped = client
        .sts_login(
            &StsAuthRequest::new(DEFAULT_STS_CODE, DEFAULT_STS_STATE, "http://cb")
                .with_ttl_seconds(100_000),
        )
        .await
        .unwrap();
    assert!((43_200..=43_202).contains(&(capped.token_expiration.unwrap() - before)));
    let short = client
        .sts_login(
            &StsAuthRequest::new(DEFAULT_STS_CODE, DEFAULT_STS_STATE, "http://cb")
                .with_ttl_seconds(60),
        )
        .await
        .unwrap();
    assert!((60..=62).contains(&(short.token_expiration.unwrap() - before)));

    let error = client
        .sts_login(&StsAuthRequest::new(
            "wrong",
            DEFAULT_STS_STATE,
            "http://cb",
        ))
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Unauthorized { .. }));
    let error = client
        .sts_login(&StsAuthRequest::new(DEFAULT_STS_CODE, "wrong", "http://cb"))
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Unauthorized { .. }));
    emulator.add_sts_login("c", "s", "ghost");
    let error = client
        .sts_login(&StsAuthRequest::new("c", "s", "http://cb"))
        .await
        .unwrap_err();
    assert!(matches!(error, Error::NotFound { .. }), "{error:?}");
    emulator.set_sts(Support::NotImplemented);
    let error = client
        .sts_login(&StsAuthRequest::new(
            DEFAULT_STS_CODE,
            DEFAULT_STS_STATE,
            "http://cb",
        ))
        .await
        .unwrap_err();
    assert!(matches!(error, Error::NotImplemented { .. }));
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
        .create_presign_multipart_upload(repo, "main", "dir/obj.bin", Some(2))
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
    let mut body =
        CompletePresignMultipartUpload::new(upload.physical_address.clone(), parts(&etag1, "0123"));
    let error = client
        .complete_presign_multipart_upload(repo, "main", &upload.upload_id, "dir/obj.bin", &body)
        .await
        .unwrap_err();
    assert_eq!(
        status(&error),
        500,
        "S3's InvalidPart comes back as 500: {error}"
    );
    body.physical_address = upload.physical_address.replace(",", ",x");
    body.parts = parts(&etag1, &etag2);
    let error = client
        .complete_presign_multipart_upload(repo, "main", &upload.upload_id, "dir/obj.bin", &body)
        .await
        .unwrap_err();
    assert_eq!(status(&error), 400, "{error}");
    let error = client
        .complete_presign_multipart_upload(
            repo,
            "main",
            &upload.upload_id,
            "other/path",
            &CompletePresignMultipartUpload::new(
                upload.physical_address.clone(),
                parts(&etag1, &etag2),
            ),
        )
        .await
        .unwrap_err();
    assert_eq!(
        status(&error),
        400,
        "the address is signed for its path: {error}"
    );

    body.physical_address = upload.physical_address.clone();
    body.content_type = Some("application/x-test".into());
    body.user_metadata = Some([("k".to_owned(), "v".to_owned())].into());
    let stats = client
        .complete_presign_multipart_upload(repo, "main", &upload.upload_id, "dir/obj.bin", &body)
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
    let error = client
        .complete_presign_multipart_upload(repo, "main", &upload.upload_id, "dir/obj.bin", &body)
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
        .create_presign_multipart_upload(repo, "main", "small", Some(2))
        .await
        .unwrap();
    let urls = upload.presigned_urls.clone().unwrap();
    let (_, e1) = put_part(&client, &urls[0], Bytes::from_static(b"too small")).await;
    let (_, e2) = put_part(&client, &urls[1], Bytes::from_static(b"last")).await;
    let body = CompletePresignMultipartUpload::new(
        upload.physical_address.clone(),
        vec![
            UploadPart::new(1, e1.trim_matches('"')),
            UploadPart::new(2, e2.trim_matches('"')),
        ],
    );
    let error = client
        .complete_presign_multipart_upload(repo, "main", &upload.upload_id, "small", &body)
        .await
        .unwrap_err();
    assert!(error.to_string().contains("EntityTooSmall"), "{error}");

    assert_eq!(emulator.open_uploads(), 1);
    client
        .abort_presign_multipart_upload(
            repo,
            "main",
            &upload.upload_id,
            "small",
            &AbortPresignMultipartUpload::new(upload.physical_address.clone()),
        )
        .await
        .unwrap();
    assert_eq!(emulator.open_uploads(), 0);
    assert!(emulator.object(repo, "main", "small").is_none());
    let error = client
        .abort_presign_multipart_upload(
            repo,
            "main",
            &upload.upload_id,
            "small",
            &AbortPresignMultipartUpload::new(upload.physical_address),
        )
        .await
        .unwrap_err();
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
    let zero = client
        .create_presign_multipart_upload(DEFAULT_REPOSITORY, "main", "p", Some(0))
        .await
        .unwrap();
    assert_eq!(zero.presigned_urls, None, "no URLs for 0 parts");
    let error = client
        .create_presign_multipart_upload("nope", "main", "p", None)
        .await
        .unwrap_err();
    assert_eq!(status(&error), 404);
    let error = client
        .create_presign_multipart_upload(DEFAULT_REPOSITORY, "nope", "p", None)
        .await
        .unwrap_err();
    assert!(
        error.to_string().contains("branch 'nope' not found"),
        "{error}"
    );
    emulator.set_presign_multipart(Support::NotImplemented);
    let error = client
        .create_presign_multipart_upload(DEFAULT_REPOSITORY, "main", "p", Some(1))
        .await
        .unwrap_err();
    assert!(matches!(error, Error::NotImplemented { .. }), "{error:?}");
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
        .create_presign_multipart_upload(DEFAULT_REPOSITORY, "main", "over/http", Some(1))
        .await
        .unwrap();
    let url = &upload.presigned_urls.as_ref().unwrap()[0];
    assert!(
        url.starts_with(running.url()),
        "part URLs point at the server itself: {url}"
    );
    let (status, etag) = put_part(&client, url, Bytes::from_static(b"over http")).await;
    assert_eq!(status, StatusCode::OK);
    let body = CompletePresignMultipartUpload::new(
        upload.physical_address.clone(),
        vec![UploadPart::new(1, etag.trim_matches('"'))],
    );
    let stats = client
        .complete_presign_multipart_upload(
            DEFAULT_REPOSITORY,
            "main",
            &upload.upload_id,
            "over/http",
            &body,
        )
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
