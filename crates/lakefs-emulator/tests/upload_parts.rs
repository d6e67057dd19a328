//! `uploadPart`, `uploadPartCopy`, part URL expiry and the link-address TTL, through raw
//! requests.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::Duration;

use http::StatusCode;
use lakefs_emulator::{EmulatedOperation, Emulator, Support, DEFAULT_OBJECT_PATH};
use lakefs_models::UploadTo;
use serde_json::json;

use common::*;

fn amz_date_seconds(url: &str) -> u64 {
    let date = url_param(url, "X-Amz-Date").unwrap();
    assert_eq!(date.len(), 16, "{date}");
    // YYYYMMDDTHHMMSSZ: compare as a number of the digits.
    date.replace(['T', 'Z'], "").parse().unwrap()
}

#[tokio::test]
async fn part_urls_carry_a_signed_expiry_that_the_store_enforces() {
    let api = Api::new(Emulator::new());
    let path = "expiry/object.bin";
    let upload = api.create(path, 2).await;
    let urls = upload.presigned_urls.clone().unwrap();
    for url in &urls {
        assert_eq!(url_param(url, "X-Amz-Expires").as_deref(), Some("900"));
        assert_eq!(
            url_param(url, "X-Amz-Algorithm").as_deref(),
            Some("AWS4-HMAC-SHA256")
        );
        assert!(url_param(url, "X-Amz-Signature").is_some());
    }
    let first = generated(5 * MIB, 1);
    let put = api.put_url(&urls[0], first.clone()).await;
    expect(&put, StatusCode::OK);
    let etag1 = etag(&put);

    // The date and lifetime are covered by the signature.
    let longer = urls[1].replace("X-Amz-Expires=900", "X-Amz-Expires=9000");
    let refused = api.put_url(&longer, "x").await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert_eq!(s3_error(&refused).0, "SignatureDoesNotMatch");
    let date = url_param(&urls[1], "X-Amz-Date").unwrap();
    let later = urls[1].replace(&date, "29991231T000000Z");
    assert_eq!(
        s3_error(&api.put_url(&later, "x").await).0,
        "SignatureDoesNotMatch"
    );

    // 15 minutes later, the second URL has expired.
    api.emulator.advance_clock(Duration::from_secs(15 * 60 + 5));
    let expired = api.put_url(&urls[1], "tail").await;
    assert_eq!(expired.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        s3_error(&expired),
        ("AccessDenied".to_owned(), "Request has expired".to_owned())
    );
    assert_eq!(
        expired.headers()["content-type"],
        "application/xml",
        "S3's XML error"
    );

    // uploadPart hands out a fresh URL, signed at the emulator's (advanced) time.
    let response = api
        .upload_part(&upload, path, "2", &upload.physical_address)
        .await;
    expect(&response, StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "application/json");
    let fresh: UploadTo = decode(&response);
    assert!(amz_date_seconds(&fresh.presigned_url) > amz_date_seconds(&urls[1]));
    assert_eq!(
        url_param(&fresh.presigned_url, "X-Amz-Expires").as_deref(),
        Some("900")
    );
    let put = api.put_url(&fresh.presigned_url, "tail").await;
    expect(&put, StatusCode::OK);
    let etag2 = etag(&put);
    assert_eq!(etag2, format!("\"{}\"", md5_hex(b"tail")));

    let stats = stats(&api.complete(&upload, path, &[(1, etag1), (2, etag2)]).await);
    assert_eq!(stats.size_bytes, Some(5 * 1024 * 1024 + 4));
    let object = api.emulator.object(REPO, MAIN, path).unwrap();
    assert_eq!(&object[..first.len()], &first[..]);
    assert_eq!(&object[first.len()..], b"tail");
}

#[tokio::test]
async fn the_part_url_lifetime_is_configurable() {
    let emulator = Emulator::new();
    assert_eq!(emulator.part_url_expiry(), Duration::from_secs(900));
    emulator.set_part_url_expiry(Duration::from_secs(60));
    let api = Api::new(emulator);
    let upload = api.create("short", 1).await;
    let url = &upload.presigned_urls.clone().unwrap()[0];
    assert_eq!(url_param(url, "X-Amz-Expires").as_deref(), Some("60"));
    api.emulator.advance_clock(Duration::from_secs(50));
    expect(&api.put_url(url, "early").await, StatusCode::OK);
    api.emulator.advance_clock(Duration::from_secs(12));
    let late = api.put_url(url, "late").await;
    assert_eq!(s3_error(&late).1, "Request has expired");
    // A URL from uploadPart gets the same lifetime.
    let fresh: UploadTo = decode(
        &api.upload_part(&upload, "short", "1", &upload.physical_address)
            .await,
    );
    assert_eq!(
        url_param(&fresh.presigned_url, "X-Amz-Expires").as_deref(),
        Some("60")
    );
    expect(
        &api.put_url(&fresh.presigned_url, "again").await,
        StatusCode::OK,
    );
}

#[tokio::test]
async fn upload_part_checks_what_lakefs_checks() {
    let api = Api::new(Emulator::new());
    let path = "checks/object";
    let upload = api.create(path, 1).await;
    let address = upload.physical_address.clone();
    let call = |part: &'static str, path: &'static str, address: String| {
        let api = api.clone();
        let upload = upload.clone();
        async move { api.upload_part(&upload, path, part, &address).await }
    };

    // The validator: the part number is an integer in 1..=10000.
    for part in ["0", "10001", "x", "-1"] {
        expect_failure(
            &call(part, "checks/object", address.clone()).await,
            StatusCode::BAD_REQUEST,
            "partNumber",
        );
    }
    // Any part number in range gets a URL, not only those create signed.
    let far: UploadTo = decode(&call("10000", "checks/object", address.clone()).await);
    expect(
        &api.put_url(&far.presigned_url, "far").await,
        StatusCode::OK,
    );
    let missing_path = api
        .put(
            &format!(
                "/repositories/{REPO}/branches/{MAIN}/staging/pmpu/{}/parts/1",
                upload.upload_id
            ),
            json!({ "physical_address": address }),
        )
        .await;
    expect_failure(&missing_path, StatusCode::BAD_REQUEST, "\"path\"");
    let no_body = api
        .put(
            &format!(
                "/repositories/{REPO}/branches/{MAIN}/staging/pmpu/{}/parts/1?path={path}",
                upload.upload_id
            ),
            json!({}),
        )
        .await;
    expect_failure(&no_body, StatusCode::BAD_REQUEST, "physical_address");

    // The link-address check complete uses.
    let relative = address.split_once("/example-repo/").unwrap().1.to_owned();
    expect_failure(
        &call("1", "checks/object", relative).await,
        StatusCode::BAD_REQUEST,
        "physical address must be relative to the storage namespace",
    );
    expect_failure(
        &call("1", "checks/other", address.clone()).await,
        StatusCode::BAD_REQUEST,
        "invalid address signature",
    );
    let unsigned = address.rsplit_once(',').unwrap().0.to_owned();
    expect_failure(
        &call("1", "checks/object", unsigned).await,
        StatusCode::BAD_REQUEST,
        "address is not signed",
    );
    let other_branch = api
        .put(
            &format!(
                "/repositories/{REPO}/branches/feature/staging/pmpu/{}/parts/1?path={path}",
                upload.upload_id
            ),
            json!({ "physical_address": address }),
        )
        .await;
    expect_failure(
        &other_branch,
        StatusCode::BAD_REQUEST,
        "invalid address signature",
    );
    let no_repo = api
        .put(
            &format!(
                "/repositories/nope/branches/{MAIN}/staging/pmpu/{}/parts/1?path={path}",
                upload.upload_id
            ),
            json!({ "physical_address": address }),
        )
        .await;
    expect_failure(&no_repo, StatusCode::NOT_FOUND, "repository not found");
    expect(
        &api.anonymous()
            .upload_part(&upload, path, "1", &address)
            .await,
        StatusCode::UNAUTHORIZED,
    );

    // lakeFS does not check the upload id (presigning does not contact S3): the PUT fails.
    let mut unknown = upload.clone();
    unknown.upload_id = "no-such-upload".into();
    let url: UploadTo = decode(&api.upload_part(&unknown, path, "1", &address).await);
    let put = api.put_url(&url.presigned_url, "x").await;
    assert_eq!(put.status(), StatusCode::NOT_FOUND);
    assert_eq!(s3_error(&put).0, "NoSuchUpload");

    // Storage without presigned multipart: 400 "operation not supported", not 501.
    api.emulator.set_presign_multipart(Support::NotImplemented);
    expect_failure(
        &call("1", "checks/object", address.clone()).await,
        StatusCode::BAD_REQUEST,
        "operation not supported",
    );
}

#[tokio::test]
async fn link_addresses_expire_after_24_hours() {
    let api = Api::new(Emulator::new());
    let upload = api.create("old", 1).await;
    let url = upload.presigned_urls.clone().unwrap()[0].clone();
    let put = api.put_url(&url, "data").await;
    api.emulator.advance_clock(Duration::from_secs(23 * 3600));
    expect(
        &api.upload_part(&upload, "old", "1", &upload.physical_address)
            .await,
        StatusCode::OK,
    );
    api.emulator.advance_clock(Duration::from_secs(3600 + 10));
    expect_failure(
        &api.upload_part(&upload, "old", "1", &upload.physical_address)
            .await,
        StatusCode::BAD_REQUEST,
        "link address expired",
    );
    expect_failure(
        &api.complete(&upload, "old", &[(1, etag(&put))]).await,
        StatusCode::BAD_REQUEST,
        "link address expired",
    );
    let abort = api
        .call(
            http::Method::DELETE,
            &format!(
                "/repositories/{REPO}/branches/{MAIN}/staging/pmpu/{}?path=old",
                upload.upload_id
            ),
            Some(json!({ "physical_address": upload.physical_address })),
        )
        .await;
    expect_failure(&abort, StatusCode::BAD_REQUEST, "link address expired");
}

#[tokio::test]
async fn a_server_without_upload_part_answers_its_routes_with_400() {
    let emulator = Emulator::new();
    emulator.set_operation_available(EmulatedOperation::UploadPart, false);
    emulator.set_operation_available(EmulatedOperation::UploadPartCopy, false);
    let api = Api::new(emulator);
    let upload = api.create("old-server", 1).await;
    for caller in [api.clone(), api.anonymous()] {
        let response = caller
            .upload_part(&upload, "old-server", "1", &upload.physical_address)
            .await;
        expect_failure(
            &response,
            StatusCode::BAD_REQUEST,
            "no matching operation was found",
        );
        let copy = caller
            .copy_part(
                &upload,
                "old-server",
                1,
                json!({"repository": REPO, "ref": MAIN, "path": DEFAULT_OBJECT_PATH}),
            )
            .await;
        expect_failure(
            &copy,
            StatusCode::BAD_REQUEST,
            "no matching operation was found",
        );
    }
    // The parts from create still work, and the route comes back when enabled.
    let url = &upload.presigned_urls.clone().unwrap()[0];
    expect(&api.put_url(url, "x").await, StatusCode::OK);
    api.emulator
        .set_operation_available(EmulatedOperation::UploadPart, true);
    expect(
        &api.upload_part(&upload, "old-server", "1", &upload.physical_address)
            .await,
        StatusCode::OK,
    );
    assert_eq!(EmulatedOperation::UploadPart.introduced_in(), "v1.55.0");
    assert_eq!(EmulatedOperation::ALL.len(), 18);
}

#[tokio::test]
async fn upload_part_copy_parts_complete_like_put_parts() {
    let emulator = Emulator::new();
    let source = generated(6 * MIB, 7);
    assert!(emulator.put_object(REPO, MAIN, "big/source.bin", source.clone()));
    let committed = emulator.commit(REPO, MAIN, "add source").unwrap();
    let api = Api::new(emulator);
    let path = "copied/object.bin";
    let upload = api.create(path, 0).await;
    assert!(upload.presigned_urls.is_none());

    // Part 1: the first 5 MiB of the source, read at the branch.
    let range_end = 5 * MIB - 1;
    let copy = api
        .copy_part(
            &upload,
            path,
            1,
            json!({"repository": REPO, "ref": MAIN, "path": "big/source.bin",
                   "range": format!("bytes=0-{range_end}")}),
        )
        .await;
    expect(&copy, StatusCode::NO_CONTENT);
    assert!(copy.body().is_empty());
    assert!(copy.headers().get("content-type").is_none());
    let etag1 = etag(&copy);
    assert_eq!(
        etag1,
        md5_hex(&source[..5 * MIB]),
        "lakeFS answers the ETag without quotes"
    );
    // Part 2: a whole object, at a commit id.
    let copy = api
        .copy_part(
            &upload,
            path,
            2,
            json!({"repository": REPO, "ref": committed, "path": DEFAULT_OBJECT_PATH}),
        )
        .await;
    expect(&copy, StatusCode::NO_CONTENT);
    let etag2 = etag(&copy);
    let small = api
        .emulator
        .object(REPO, MAIN, DEFAULT_OBJECT_PATH)
        .unwrap();
    assert_eq!(etag2, md5_hex(&small));

    // A copied part's ETag must match at complete, like a PUT part's.
    let wrong = api
        .complete(&upload, path, &[(1, etag1.clone()), (2, md5_hex(b"other"))])
        .await;
    expect_failure(&wrong, StatusCode::INTERNAL_SERVER_ERROR, "InvalidPart");
    let stats = stats(&api.complete(&upload, path, &[(1, etag1), (2, etag2)]).await);
    assert_eq!(
        stats.size_bytes,
        Some(i64::try_from(5 * MIB + small.len()).unwrap())
    );
    let object = api.emulator.object(REPO, MAIN, path).unwrap();
    assert_eq!(&object[..5 * MIB], &source[..5 * MIB]);
    assert_eq!(&object[5 * MIB..], &small[..]);
}

#[tokio::test]
async fn upload_part_copy_errors_are_the_servers() {
    let emulator = Emulator::new();
    emulator.put_object(REPO, MAIN, "staged.txt", "0123456789");
    let api = Api::new(emulator);
    let path = "copy/errors";
    let upload = api.create(path, 0).await;
    let copy = |source: serde_json::Value| {
        let api = api.clone();
        let upload = upload.clone();
        async move { api.copy_part(&upload, path, 1, source).await }
    };
    let source = |reference: &str, path: &str, range: Option<&str>| {
        let mut value = json!({"repository": REPO, "ref": reference, "path": path});
        if let Some(range) = range {
            value["range"] = json!(range);
        }
        value
    };

    // A staged object is read through its branch; text after the first range is ignored.
    let ok = copy(source(MAIN, "staged.txt", Some("bytes=2-4, 6-8"))).await;
    expect(&ok, StatusCode::NO_CONTENT);
    assert_eq!(etag(&ok), md5_hex(b"234"));

    expect_failure(
        &copy(source(MAIN, "missing.txt", None)).await,
        StatusCode::NOT_FOUND,
        "example-repo/main/missing.txt: not found",
    );
    expect_failure(
        &copy(source("no-such-ref", "staged.txt", None)).await,
        StatusCode::NOT_FOUND,
        "not found",
    );
    expect_failure(
        &copy(json!({"repository": "nope", "ref": MAIN, "path": "staged.txt"})).await,
        StatusCode::NOT_FOUND,
        "repository not found",
    );
    expect_failure(
        &copy(json!({"repository": REPO, "path": "staged.txt"})).await,
        StatusCode::BAD_REQUEST,
        "ref",
    );
    // The spec's pattern is the validator's (400); what lakeFS's Sscanf cannot read, or S3
    // refuses, is a 500.
    expect_failure(
        &copy(source(MAIN, "staged.txt", Some("bytes=abc"))).await,
        StatusCode::BAD_REQUEST,
        "range",
    );
    for range in ["bytes=5-", "bytes=-5"] {
        expect_failure(
            &copy(source(MAIN, "staged.txt", Some(range))).await,
            StatusCode::INTERNAL_SERVER_ERROR,
            "parse range",
        );
    }
    for range in ["bytes=5-10", "bytes=6-2"] {
        expect_failure(
            &copy(source(MAIN, "staged.txt", Some(range))).await,
            StatusCode::INTERNAL_SERVER_ERROR,
            "Range specified is not valid",
        );
    }
    // The address is checked as for uploadPart.
    let other_path = api
        .copy_part(&upload, "copy/other", 1, source(MAIN, "staged.txt", None))
        .await;
    expect_failure(
        &other_path,
        StatusCode::BAD_REQUEST,
        "invalid address signature",
    );
    // S3 knows no such upload: lakeFS passes that on as 500.
    let mut unknown = upload.clone();
    unknown.upload_id = "gone".into();
    expect_failure(
        &api.copy_part(&unknown, path, 1, source(MAIN, "staged.txt", None))
            .await,
        StatusCode::INTERNAL_SERVER_ERROR,
        "NoSuchUpload",
    );
    expect(
        &api.anonymous()
            .copy_part(&upload, path, 1, source(MAIN, "staged.txt", None))
            .await,
        StatusCode::UNAUTHORIZED,
    );
}
