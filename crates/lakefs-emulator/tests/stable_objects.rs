//! The stable object reads (statObject, listObjects, getObject, headObject) and presigned GET
//! URLs as lakeFS v1.84.0 answers them, driven with raw HTTP requests through the emulator
//! (`docs/server-semantics-stable-operations.md` §1-§4).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::Duration;

use http::{Method, StatusCode};
use lakefs_models::ObjectStats;
use serde_json::{json, Value};

use common::objects::*;
use common::*;

async fn list(api: &Api, query: &str) -> Value {
    let response = api
        .get(&format!("/repositories/{R}/refs/main/objects/ls?{query}"))
        .await;
    expect(&response, StatusCode::OK);
    decode(&response)
}

fn paths(page: &Value) -> Vec<String> {
    page["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["path"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn stat_object_always_answers_metadata_and_presigns_on_request() {
    let api = setup();
    let set_metadata = api
        .put(
            &format!("/repositories/{R}/branches/main/objects/stat/user_metadata?path=c.csv"),
            json!({"set": {"owner": "me"}}),
        )
        .await;
    expect(&set_metadata, StatusCode::NO_CONTENT);
    let stat = |query: String| {
        let api = api.clone();
        async move {
            api.get(&format!("/repositories/{R}/refs/main/objects/stat?{query}"))
                .await
        }
    };
    let plain: Value = decode(&stat("path=a.txt".into()).await);
    assert_eq!(plain["metadata"], json!({}), "metadata is always present");
    assert_eq!(plain["size_bytes"], 31);
    assert_eq!(plain["content_type"], "application/octet-stream");
    assert_eq!(plain["path_type"], "object");
    assert_eq!(plain["checksum"], md5_hex(CSV.as_bytes()));
    let address = plain["physical_address"].as_str().unwrap();
    assert!(
        address.starts_with(&format!("s3://emulator-bucket/{R}/data/")),
        "a full URI in the namespace: {address}"
    );
    assert!(plain.get("physical_address_expiry").is_none());

    let with: Value = decode(&stat("path=c.csv".into()).await);
    assert_eq!(with["metadata"], json!({"owner": "me"}));
    let without: Value = decode(&stat("path=c.csv&user_metadata=false".into()).await);
    assert_eq!(without["metadata"], json!({}));

    let signed: ObjectStats = decode(&stat("path=c.csv&presign=true".into()).await);
    let url = signed.physical_address.clone();
    assert!(
        url.starts_with("http://storage.emulator/_storage/objects/"),
        "{url}"
    );
    assert_eq!(url_param(&url, "X-Amz-Expires").as_deref(), Some("900"));
    let expiry = signed.physical_address_expiry.unwrap();
    assert!(
        (expiry - signed.mtime - 900).abs() <= 2,
        "15 minutes from now"
    );
    let read = api.get_url(&url).await;
    expect(&read, StatusCode::OK);
    assert_eq!(read.body(), CSV);
    assert_eq!(etag(&read), format!("\"{}\"", md5_hex(CSV.as_bytes())));
    let ranged = http::Request::get(&url).header("range", "bytes=3-6");
    let part = api
        .emulator
        .handle_async(&ranged.body(bytes::Bytes::new()).unwrap())
        .await;
    expect(&part, StatusCode::PARTIAL_CONTENT);
    assert_eq!(part.body(), "name");
    assert_eq!(
        header(&part, "content-range").as_deref(),
        Some("bytes 3-6/31")
    );
    // The store keeps no bytes nobody can reach: c.csv was only staged.
    let deleted = api
        .delete(&format!(
            "/repositories/{R}/branches/main/objects?path=c.csv"
        ))
        .await;
    expect(&deleted, StatusCode::NO_CONTENT);
    let gone = api.get_url(&url).await;
    assert_eq!(gone.status(), StatusCode::NOT_FOUND);
    assert_eq!(s3_error(&gone).0, "NoSuchKey");

    // Errors: the repository, the ref, the object; `path` must be present and not empty.
    let missing = stat("path=nope".into()).await;
    expect_failure(&missing, StatusCode::NOT_FOUND, "not found");
    let empty = stat("path=".into()).await;
    expect_failure(
        &empty,
        StatusCode::BAD_REQUEST,
        "empty value is not allowed",
    );
    let no_repo = api
        .get("/repositories/no-repo/refs/main/objects/stat?path=a.txt")
        .await;
    expect_failure(&no_repo, StatusCode::NOT_FOUND, "repository not found");
    let no_ref = api
        .get(&format!(
            "/repositories/{R}/refs/nope/objects/stat?path=a.txt"
        ))
        .await;
    assert_eq!(
        failure(&no_ref),
        (StatusCode::NOT_FOUND, "not found".into())
    );
    // main~1 is the repository's first, empty commit.
    let before = api
        .get(&format!(
            "/repositories/{R}/refs/main~1/objects/stat?path=b"
        ))
        .await;
    expect_failure(&before, StatusCode::NOT_FOUND, "not found");
    let past_the_first = api
        .get(&format!(
            "/repositories/{R}/refs/main~2/objects/stat?path=b"
        ))
        .await;
    expect_failure(&past_the_first, StatusCode::NOT_FOUND, "not found");
    let malformed = api
        .get(&format!(
            "/repositories/{R}/refs/main~x/objects/stat?path=b"
        ))
        .await;
    expect_failure(&malformed, StatusCode::BAD_REQUEST, "ref: invalid value");
}

#[tokio::test]
async fn presigned_get_urls_expire_like_part_urls() {
    let api = setup();
    api.emulator.set_part_url_expiry(Duration::from_secs(60));
    let response = api
        .get(&format!("{}&presign=true", object_url("main", "a.txt")))
        .await;
    expect(&response, StatusCode::FOUND);
    assert!(response.body().is_empty());
    let location = header(&response, "location").unwrap();
    assert_eq!(url_param(&location, "X-Amz-Expires").as_deref(), Some("60"));
    expect(&api.get_url(&location).await, StatusCode::OK);
    // A lakeFS credential that a redirect-following client carries over is ignored; an AWS one
    // next to the presigned query is refused, as S3 does.
    let mut with_basic = http::Request::get(&location);
    with_basic = with_basic.header("authorization", admin_auth());
    let answer = api
        .emulator
        .handle_async(&with_basic.body(bytes::Bytes::new()).unwrap())
        .await;
    expect(&answer, StatusCode::OK);
    let tampered = location.replace("X-Amz-Expires=60", "X-Amz-Expires=6000");
    let refused = api.get_url(&tampered).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert_eq!(s3_error(&refused).0, "SignatureDoesNotMatch");

    api.emulator.advance_clock(Duration::from_secs(61));
    let expired = api.get_url(&location).await;
    assert_eq!(expired.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        s3_error(&expired),
        ("AccessDenied".into(), "Request has expired".into())
    );
    // statObject's and listObjects' presigned addresses expire the same way.
    let stat: ObjectStats = decode(
        &api.get(&format!(
            "/repositories/{R}/refs/main/objects/stat?path=b&presign=true"
        ))
        .await,
    );
    expect(&api.get_url(&stat.physical_address).await, StatusCode::OK);
    let listed = list(&api, "prefix=b&presign=true").await;
    let url = listed["results"][0]["physical_address"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(listed["results"][0]["physical_address_expiry"].is_i64());
    api.emulator.advance_clock(Duration::from_secs(61));
    assert_eq!(api.get_url(&url).await.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        api.get_url(&stat.physical_address).await.status(),
        StatusCode::FORBIDDEN
    );
}

/// A GET of a presigned store URL with extra headers, no lakeFS credentials.
async fn get_url_with(
    api: &Api,
    url: &str,
    headers: &[(&str, &str)],
) -> http::Response<bytes::Bytes> {
    let mut request = http::Request::get(url);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    api.emulator
        .handle_async(&request.body(bytes::Bytes::new()).unwrap())
        .await
}

#[tokio::test]
async fn presigned_get_honours_if_match_and_if_none_match_as_s3_does() {
    let api = setup();
    api.emulator.set_part_url_expiry(Duration::from_secs(60));
    let stat: ObjectStats = decode(
        &api.get(&format!(
            "/repositories/{R}/refs/main/objects/stat?path=c.csv&presign=true"
        ))
        .await,
    );
    let url = stat.physical_address;
    let md5 = md5_hex(CSV.as_bytes());
    let quoted = format!("\"{md5}\"");

    // If-Match: the ETag quoted or not, in a list, or `*` is served; another is 412, also
    // for a range (preconditions come before the range, even an unsatisfiable one).
    for matching in [
        quoted.as_str(),
        md5.as_str(),
        "*",
        &format!("\"0123\", {quoted}"),
    ] {
        let served = get_url_with(&api, &url, &[("if-match", matching)]).await;
        expect(&served, StatusCode::OK);
        assert_eq!(served.body(), CSV, "If-Match: {matching}");
    }
    let ranged = get_url_with(&api, &url, &[("if-match", &quoted), ("range", "bytes=3-6")]).await;
    expect(&ranged, StatusCode::PARTIAL_CONTENT);
    assert_eq!(ranged.body(), "name");
    for range in ["bytes=3-6", "bytes=500-600"] {
        let failed = get_url_with(
            &api,
            &url,
            &[
                ("if-match", "\"d41d8cd98f00b204e9800998ecf8427e\""),
                ("range", range),
            ],
        )
        .await;
        assert_eq!(failed.status(), StatusCode::PRECONDITION_FAILED, "{range}");
        assert_eq!(
            s3_error(&failed),
            (
                "PreconditionFailed".into(),
                "At least one of the pre-conditions you specified did not hold".into()
            )
        );
        assert_eq!(
            header(&failed, "content-type").as_deref(),
            Some("application/xml")
        );
    }

    // If-None-Match naming the ETag (or `*`): 304 with the ETag and no body; another: served.
    for matching in [quoted.as_str(), md5.as_str(), "*"] {
        let unchanged = get_url_with(&api, &url, &[("if-none-match", matching)]).await;
        assert_eq!(unchanged.status(), StatusCode::NOT_MODIFIED, "{matching}");
        assert!(unchanged.body().is_empty());
        assert_eq!(etag(&unchanged), quoted);
        assert!(header(&unchanged, "last-modified").is_some());
    }
    let changed = get_url_with(
        &api,
        &url,
        &[("if-none-match", "\"0123\""), ("range", "bytes=0-1")],
    )
    .await;
    expect(&changed, StatusCode::PARTIAL_CONTENT);
    assert_eq!(changed.body(), "id");
    // Both: a failed If-Match wins.
    let both = get_url_with(
        &api,
        &url,
        &[("if-match", "\"0123\""), ("if-none-match", &quoted)],
    )
    .await;
    assert_eq!(both.status(), StatusCode::PRECONDITION_FAILED);

    // The signature, the expiry and the object are checked first.
    let tampered = url.replace("X-Amz-Expires=60", "X-Amz-Expires=6000");
    let refused = get_url_with(&api, &tampered, &[("if-match", "\"0123\"")]).await;
    assert_eq!(s3_error(&refused).0, "SignatureDoesNotMatch");
    let deleted = api
        .delete(&format!(
            "/repositories/{R}/branches/main/objects?path=c.csv"
        ))
        .await;
    expect(&deleted, StatusCode::NO_CONTENT);
    let gone = get_url_with(&api, &url, &[("if-match", "\"0123\"")]).await;
    assert_eq!(gone.status(), StatusCode::NOT_FOUND);
    assert_eq!(s3_error(&gone).0, "NoSuchKey");
    api.emulator.advance_clock(Duration::from_secs(61));
    let expired = get_url_with(&api, &url, &[("if-none-match", &quoted)]).await;
    assert_eq!(expired.status(), StatusCode::FORBIDDEN);
    assert_eq!(s3_error(&expired).1, "Request has expired");
}

#[tokio::test]
async fn list_objects_groups_common_prefixes_and_pages() {
    let api = setup();
    let all = list(&api, "").await;
    assert_eq!(paths(&all), ["a.txt", "a/x", "a/y/z", "ab/y", "b", "c.csv"]);
    assert_eq!(
        all["pagination"],
        json!({"has_more": false, "next_offset": "", "results": 6, "max_per_page": 1000})
    );
    let grouped = list(&api, "prefix=a&delimiter=/").await;
    assert_eq!(paths(&grouped), ["a.txt", "a/", "ab/"]);
    assert_eq!(
        grouped["results"][1],
        json!({"path": "a/", "path_type": "common_prefix", "physical_address": "", "checksum": "", "mtime": 0})
    );
    let object = &grouped["results"][0];
    assert!(
        object.get("metadata").is_none(),
        "no metadata, left out: {object}"
    );
    assert_eq!(object["size_bytes"], 31);
    assert_eq!(
        paths(&list(&api, "prefix=a/&delimiter=/").await),
        ["a/x", "a/y/"]
    );

    // Pages of two: next_offset is the last path (a common prefix too), `after` exclusive.
    let first = list(&api, "delimiter=/&amount=2").await;
    assert_eq!(paths(&first), ["a.txt", "a/"]);
    assert_eq!(first["pagination"]["has_more"], true);
    assert_eq!(first["pagination"]["next_offset"], "a/");
    let second = list(&api, "delimiter=/&amount=2&after=a/").await;
    assert_eq!(paths(&second), ["ab/", "b"]);
    let third = list(&api, "delimiter=/&amount=2&after=b").await;
    assert_eq!(paths(&third), ["c.csv"]);
    assert_eq!(third["pagination"]["has_more"], false);
    assert_eq!(third["pagination"]["next_offset"], "");

    // amount: 0 and -1 mean 100; above 1000 is the validator's 400.
    assert_eq!(paths(&list(&api, "amount=0").await).len(), 6);
    assert_eq!(paths(&list(&api, "amount=-1").await).len(), 6);
    let too_many = api
        .get(&format!(
            "/repositories/{R}/refs/main/objects/ls?amount=1001"
        ))
        .await;
    expect_failure(
        &too_many,
        StatusCode::BAD_REQUEST,
        "number must be at most 1000",
    );
    let too_few = api
        .get(&format!("/repositories/{R}/refs/main/objects/ls?amount=-2"))
        .await;
    expect_failure(
        &too_few,
        StatusCode::BAD_REQUEST,
        "number must be at least -1",
    );

    // A commit lists without the branch's uncommitted object; metadata shows when there is some.
    let committed = api
        .get(&format!("/repositories/{R}/refs/main@/objects/ls"))
        .await;
    assert_eq!(
        paths(&decode(&committed)),
        ["a.txt", "a/x", "a/y/z", "ab/y", "b"]
    );
    api.put(
        &format!("/repositories/{R}/branches/main/objects/stat/user_metadata?path=b"),
        json!({"set": {"k": "v"}}),
    )
    .await;
    let with = list(&api, "prefix=b").await;
    assert_eq!(with["results"][0]["metadata"], json!({"k": "v"}));
    let without = list(&api, "prefix=b&user_metadata=false").await;
    assert!(without["results"][0].get("metadata").is_none());
    let no_ref = api
        .get(&format!("/repositories/{R}/refs/nope/objects/ls"))
        .await;
    expect_failure(&no_ref, StatusCode::NOT_FOUND, "not found");
}

#[tokio::test]
async fn get_object_serves_ranges_and_lakefs_headers() {
    let api = setup();
    let whole = api.get(&object_url("main", "a.txt")).await;
    expect(&whole, StatusCode::OK);
    assert_eq!(whole.body(), CSV);
    let checksum = md5_hex(CSV.as_bytes());
    assert_eq!(etag(&whole), format!("\"{checksum}\""));
    assert_eq!(header(&whole, "content-length").as_deref(), Some("31"));
    assert_eq!(
        header(&whole, "content-type").as_deref(),
        Some("application/octet-stream")
    );
    assert_eq!(
        header(&whole, "content-disposition").as_deref(),
        Some("attachment")
    );
    assert_eq!(
        header(&whole, "cache-control").as_deref(),
        Some("no-store, must-revalidate")
    );
    assert_eq!(
        header(&whole, "x-content-type-options").as_deref(),
        Some("nosniff")
    );
    assert!(
        header(&whole, "accept-ranges").is_none(),
        "getObject sends no Accept-Ranges"
    );
    let modified = header(&whole, "last-modified").unwrap();
    assert!(
        modified.ends_with(" GMT") && modified.len() == 29,
        "{modified}"
    );

    let ranged = |range: &'static str| {
        let api = api.clone();
        async move {
            api.send(
                Method::GET,
                &object_url("main", "a.txt"),
                &[("range", range)],
                None,
            )
            .await
        }
    };
    let part = ranged("bytes=0-6").await;
    expect(&part, StatusCode::PARTIAL_CONTENT);
    assert_eq!(part.body(), "id,name");
    assert_eq!(
        header(&part, "content-range").as_deref(),
        Some("bytes 0-6/31")
    );
    assert_eq!(header(&part, "content-length").as_deref(), Some("7"));
    let clamped = ranged("bytes=25-200").await;
    expect(&clamped, StatusCode::PARTIAL_CONTENT);
    assert_eq!(
        header(&clamped, "content-range").as_deref(),
        Some("bytes 25-30/31")
    );
    assert_eq!(clamped.body(), "gamma\n");
    assert_eq!(ranged("bytes=-6").await.body(), "gamma\n");
    assert_eq!(ranged("bytes=28-").await.body(), "ma\n");

    let unsatisfiable = ranged("bytes=31-40").await;
    assert_eq!(
        header(&unsatisfiable, "content-range").as_deref(),
        Some("bytes */31")
    );
    expect_failure(
        &unsatisfiable,
        StatusCode::RANGE_NOT_SATISFIABLE,
        "Requested Range Not Satisfiable",
    );
    let several = ranged("bytes=0-1,3-4").await;
    assert!(header(&several, "content-range").is_none());
    expect_failure(
        &several,
        StatusCode::RANGE_NOT_SATISFIABLE,
        "Requested Range Not Satisfiable",
    );
    let reversed = ranged("bytes=5-3").await;
    assert_eq!(reversed.status(), StatusCode::RANGE_NOT_SATISFIABLE);
    let malformed = ranged("pages=1").await;
    expect_failure(
        &malformed,
        StatusCode::BAD_REQUEST,
        "parameter \"Range\" in header has an error",
    );

    let etag_value = format!("\"{checksum}\"");
    let not_modified = api
        .send(
            Method::GET,
            &object_url("main", "a.txt"),
            &[("if-none-match", etag_value.as_str())],
            None,
        )
        .await;
    expect(&not_modified, StatusCode::NOT_MODIFIED);
    assert!(not_modified.body().is_empty() && header(&not_modified, "etag").is_none());

    let missing = api.get(&object_url("main", "nope")).await;
    expect_failure(&missing, StatusCode::NOT_FOUND, "not found");
    let empty = api
        .get(&format!("/repositories/{R}/refs/main/objects?path="))
        .await;
    expect_failure(
        &empty,
        StatusCode::BAD_REQUEST,
        "empty value is not allowed",
    );
    // Any ref: a commit id prefix, main~1 (where the objects are not yet).
    let head = api.emulator.head(R, "main").unwrap();
    assert_eq!(api.get(&object_url(&head[..10], "a.txt")).await.body(), CSV);
    expect(
        &api.get(&object_url("main~1", "a.txt")).await,
        StatusCode::NOT_FOUND,
    );
}

#[tokio::test]
async fn head_object_sends_headers_without_a_body() {
    let api = setup();
    let head = |path: &str, range: Option<&'static str>| {
        let (api, url) = (api.clone(), object_url("main", path));
        async move {
            let headers: Vec<(&str, &str)> = range.map(|r| ("range", r)).into_iter().collect();
            api.send(Method::HEAD, &url, &headers, None).await
        }
    };
    let ok = head("a.txt", None).await;
    expect(&ok, StatusCode::OK);
    assert!(ok.body().is_empty());
    assert_eq!(header(&ok, "content-length").as_deref(), Some("31"));
    assert_eq!(header(&ok, "accept-ranges").as_deref(), Some("bytes"));
    assert_eq!(etag(&ok), format!("\"{}\"", md5_hex(CSV.as_bytes())));
    assert!(header(&ok, "content-disposition").is_none());
    let part = head("a.txt", Some("bytes=1-2")).await;
    expect(&part, StatusCode::PARTIAL_CONTENT);
    assert_eq!(
        header(&part, "content-range").as_deref(),
        Some("bytes 1-2/31")
    );
    assert_eq!(header(&part, "content-length").as_deref(), Some("2"));
    let unsatisfiable = head("a.txt", Some("bytes=40-")).await;
    assert_eq!(unsatisfiable.status(), StatusCode::RANGE_NOT_SATISFIABLE);
    assert!(
        header(&unsatisfiable, "content-range").is_none(),
        "no Content-Range on HEAD"
    );
    let missing = head("nope", None).await;
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    assert!(missing.body().is_empty(), "headObject errors have no body");
}
