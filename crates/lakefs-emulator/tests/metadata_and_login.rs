//! `updateObjectUserMetadata`, `externalPrincipalLogin`, and the emulator's advanceable clock,
//! through raw requests.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::{Duration, UNIX_EPOCH};

use base64::Engine as _;
use http::StatusCode;
use lakefs_emulator::{
    Emulator, Support, DEFAULT_EXTERNAL_IDENTITY_TOKEN, DEFAULT_EXTERNAL_PRINCIPAL_ID,
    DEFAULT_OBJECT_PATH, DEFAULT_STS_CODE, DEFAULT_STS_STATE,
};
use lakefs_models::{AuthenticationToken, ExternalPrincipal, PullRequest};
use serde_json::{json, Value};

use common::*;

fn metadata_path(branch: &str, path: &str) -> String {
    format!(
        "/repositories/{REPO}/branches/{branch}/objects/stat/user_metadata?path={}",
        q(path)
    )
}

fn emulator_now(emulator: &Emulator) -> i64 {
    i64::try_from(emulator.now().duration_since(UNIX_EPOCH).unwrap().as_secs()).unwrap()
}

#[tokio::test]
async fn user_metadata_is_replaced_wholesale() {
    let api = Api::new(Emulator::new());
    let before = api
        .emulator
        .object_stats(REPO, MAIN, DEFAULT_OBJECT_PATH)
        .unwrap();

    // A committed object: 204 (the spec says 201), and the change is staged on the branch.
    let response = api
        .put(
            &metadata_path(MAIN, DEFAULT_OBJECT_PATH),
            json!({"set": {"owner": "data-team", "tier": "gold"}}),
        )
        .await;
    expect(&response, StatusCode::NO_CONTENT);
    assert!(response.body().is_empty());
    let after = api
        .emulator
        .object_stats(REPO, MAIN, DEFAULT_OBJECT_PATH)
        .unwrap();
    assert_eq!(
        after.metadata,
        Some(
            [
                ("owner".into(), "data-team".into()),
                ("tier".into(), "gold".into())
            ]
            .into()
        )
    );
    assert_eq!(
        (
            &after.physical_address,
            &after.checksum,
            after.size_bytes,
            after.mtime
        ),
        (
            &before.physical_address,
            &before.checksum,
            before.size_bytes,
            before.mtime
        ),
        "nothing else changes"
    );
    // Replaced, not merged; `{}` clears.
    expect(
        &api.put(
            &metadata_path(MAIN, DEFAULT_OBJECT_PATH),
            json!({"set": {"k": "v"}}),
        )
        .await,
        StatusCode::NO_CONTENT,
    );
    assert_eq!(
        api.emulator
            .object_stats(REPO, MAIN, DEFAULT_OBJECT_PATH)
            .unwrap()
            .metadata,
        Some([("k".into(), "v".into())].into())
    );
    expect(
        &api.put(
            &metadata_path(MAIN, DEFAULT_OBJECT_PATH),
            json!({"set": {}}),
        )
        .await,
        StatusCode::NO_CONTENT,
    );
    assert_eq!(
        api.emulator
            .object_stats(REPO, MAIN, DEFAULT_OBJECT_PATH)
            .unwrap()
            .metadata,
        Some(Default::default())
    );
    // The other branch still sees the committed object as it was.
    assert_eq!(
        api.emulator
            .object_stats(REPO, "feature", DEFAULT_OBJECT_PATH)
            .unwrap()
            .metadata,
        before.metadata
    );
    // An uploaded (staged) object too.
    let upload = api.create("up/loaded", 1).await;
    let put = api
        .put_url(&upload.presigned_urls.clone().unwrap()[0], "abc")
        .await;
    stats(&api.complete(&upload, "up/loaded", &[(1, etag(&put))]).await);
    expect(
        &api.put(
            &metadata_path(MAIN, "up/loaded"),
            json!({"set": {"a": "b"}}),
        )
        .await,
        StatusCode::NO_CONTENT,
    );
    assert_eq!(
        api.emulator
            .object_stats(REPO, MAIN, "up/loaded")
            .unwrap()
            .metadata,
        Some([("a".into(), "b".into())].into())
    );
}

#[tokio::test]
async fn user_metadata_errors_are_the_servers() {
    let api = Api::new(Emulator::new());
    let set = json!({"set": {"k": "v"}});
    expect_failure(
        &api.put(&metadata_path(MAIN, "missing"), set.clone()).await,
        StatusCode::NOT_FOUND,
        "update user metadata on example-repo/main/missing: not found",
    );
    expect_failure(
        &api.put(&metadata_path("nope", DEFAULT_OBJECT_PATH), set.clone())
            .await,
        StatusCode::NOT_FOUND,
        "branch not found",
    );
    // lakeFS's bug: an unknown repository answers 204 and changes nothing.
    expect(
        &api.put(
            &format!("/repositories/nope/branches/{MAIN}/objects/stat/user_metadata?path=x"),
            set.clone(),
        )
        .await,
        StatusCode::NO_CONTENT,
    );
    for body in [json!({}), json!({"set": {"k": 1}}), json!({"set": "x"})] {
        expect(
            &api.put(&metadata_path(MAIN, DEFAULT_OBJECT_PATH), body)
                .await,
            StatusCode::BAD_REQUEST,
        );
    }
    expect_failure(
        &api.put(
            &format!("/repositories/{REPO}/branches/{MAIN}/objects/stat/user_metadata"),
            set.clone(),
        )
        .await,
        StatusCode::BAD_REQUEST,
        "\"path\"",
    );
    expect(
        &api.anonymous()
            .put(&metadata_path(MAIN, DEFAULT_OBJECT_PATH), set.clone())
            .await,
        StatusCode::UNAUTHORIZED,
    );
    api.emulator.protect_branch(REPO, MAIN, true);
    expect_failure(
        &api.put(&metadata_path(MAIN, DEFAULT_OBJECT_PATH), set.clone())
            .await,
        StatusCode::FORBIDDEN,
        "cannot write to protected branch",
    );
    api.emulator.protect_branch(REPO, MAIN, false);
    api.emulator.set_read_only(REPO, true);
    expect_failure(
        &api.put(&metadata_path(MAIN, DEFAULT_OBJECT_PATH), set)
            .await,
        StatusCode::FORBIDDEN,
        "read-only repository",
    );
}

async fn login(api: &Api, body: Option<Value>) -> http::Response<bytes::Bytes> {
    api.anonymous()
        .call(http::Method::POST, "/auth/external/principal/login", body)
        .await
}

#[tokio::test]
async fn external_principal_login_maps_an_identity_to_a_user() {
    let api = Api::new(Emulator::new());
    let identity = json!({"identityRequest": {"identity_token": DEFAULT_EXTERNAL_IDENTITY_TOKEN}});

    // The identity is known, but its principal is attached to no user yet.
    expect_failure(
        &login(&api, Some(identity.clone())).await,
        StatusCode::NOT_FOUND,
        "external principal",
    );
    let attach = api
        .call(
            http::Method::POST,
            &format!(
                "/auth/users/alice/external/principals?principalId={}",
                q(DEFAULT_EXTERNAL_PRINCIPAL_ID)
            ),
            None,
        )
        .await;
    expect(&attach, StatusCode::CREATED);

    let response = login(&api, Some(identity.clone())).await;
    expect(&response, StatusCode::OK);
    let token: AuthenticationToken = decode(&response);
    let now = emulator_now(&api.emulator);
    let expiry = token.token_expiration.unwrap();
    assert!(
        (expiry - (now + 7 * 24 * 3600)).abs() <= 2,
        "7 days by default"
    );
    // The token authenticates as alice.
    let as_alice = api.with_auth(format!("Bearer {}", token.token));
    let principal = as_alice
        .get(&format!(
            "/auth/external/principals?principalId={}",
            q(DEFAULT_EXTERNAL_PRINCIPAL_ID)
        ))
        .await;
    expect(&principal, StatusCode::OK);
    assert_eq!(decode::<ExternalPrincipal>(&principal).user_id, "alice");
    let pull = as_alice
        .post(
            &format!("/repositories/{REPO}/pulls"),
            json!({"title": "t", "source_branch": "feature", "destination_branch": MAIN}),
        )
        .await;
    let id: Value = decode(&pull);
    let pull: PullRequest = decode(
        &api.get(&format!(
            "/repositories/{REPO}/pulls/{}",
            id["id"].as_str().unwrap()
        ))
        .await,
    );
    assert_eq!(pull.author, "alice");

    // Requested lifetimes: honoured, capped at 14 days; ≤ 0 means the default.
    for (asked, expected) in [
        (60, 60),
        (30 * 24 * 3600, 14 * 24 * 3600),
        (0, 7 * 24 * 3600),
    ] {
        let mut body = identity.clone();
        body["token_expiration_duration"] = json!(asked);
        let token: AuthenticationToken = decode(&login(&api, Some(body)).await);
        let now = emulator_now(&api.emulator);
        assert!(
            (token.token_expiration.unwrap() - (now + expected)).abs() <= 2,
            "{asked}"
        );
    }
    // A 60-second token stops working after 60 seconds of the emulator's clock.
    let mut body = identity.clone();
    body["token_expiration_duration"] = json!(60);
    let short: AuthenticationToken = decode(&login(&api, Some(body)).await);
    let as_short = api.with_auth(format!("Bearer {}", short.token));
    let path = format!(
        "/auth/external/principals?principalId={}",
        q(DEFAULT_EXTERNAL_PRINCIPAL_ID)
    );
    expect(&as_short.get(&path).await, StatusCode::OK);
    api.emulator.advance_clock(Duration::from_secs(61));
    expect(&as_short.get(&path).await, StatusCode::UNAUTHORIZED);
    expect(&as_alice.get(&path).await, StatusCode::OK);
}

#[tokio::test]
async fn external_principal_login_errors_and_the_aws_iam_token_shape() {
    let api = Api::new(Emulator::new());
    api.emulator
        .add_external_identity("AKIAEXTERNAL", "arn:aws:iam::1:role/reader");
    let attach = api
        .call(
            http::Method::POST,
            "/auth/users/admin/external/principals?principalId=arn%3Aaws%3Aiam%3A%3A1%3Arole%2Freader",
            None,
        )
        .await;
    expect(&attach, StatusCode::CREATED);
    // What lakeFS's AWS IAM client sends: base64 of a JSON presigned GetCallerIdentity.
    let info = json!({"method": "POST", "host": "sts.amazonaws.com", "region": "us-east-1",
        "action": "GetCallerIdentity", "date": "20261123T120000Z", "expiration_duration": "60",
        "access_key_id": "AKIAEXTERNAL", "signature": "abc", "signed_headers": ["host"],
        "version": "2011-06-15", "algorithm": "AWS4-HMAC-SHA256", "security_token": "t"});
    let encoded = base64::engine::general_purpose::STANDARD.encode(info.to_string());
    let response = login(
        &api,
        Some(json!({"identityRequest": {"identity_token": encoded}})),
    )
    .await;
    expect(&response, StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "application/json");

    expect_failure(
        &login(
            &api,
            Some(json!({"identityRequest": {"identity_token": "unknown"}})),
        )
        .await,
        StatusCode::UNAUTHORIZED,
        "invalid token format",
    );
    expect_failure(
        &login(&api, Some(json!({"identityRequest": {}}))).await,
        StatusCode::BAD_REQUEST,
        "invalid request",
    );
    expect_failure(
        &login(&api, None).await,
        StatusCode::BAD_REQUEST,
        "invalid request",
    );
    expect(
        &login(&api, Some(json!({"token_expiration_duration": 5}))).await,
        StatusCode::BAD_REQUEST,
    );
    api.emulator
        .set_external_principals(Support::NotImplemented);
    expect(
        &login(
            &api,
            Some(json!({"identityRequest": {"identity_token": "unknown"}})),
        )
        .await,
        StatusCode::NOT_IMPLEMENTED,
    );
}

#[tokio::test]
async fn the_clock_moves_every_time_the_emulator_reads() {
    let api = Api::new(Emulator::new());
    let year = Duration::from_secs(366 * 24 * 3600);
    let start = emulator_now(&api.emulator);
    let sts = api
        .anonymous()
        .post(
            "/sts/login",
            json!({"code": DEFAULT_STS_CODE, "state": DEFAULT_STS_STATE, "redirect_uri": "http://cb"}),
        )
        .await;
    let token: AuthenticationToken = decode(&sts);
    let as_alice = api.with_auth(format!("Bearer {}", token.token));
    expect(
        &as_alice.get(&format!("/repositories/{REPO}/pulls")).await,
        StatusCode::OK,
    );

    api.emulator.advance_clock(year);
    assert!(emulator_now(&api.emulator) >= start + 366 * 24 * 3600);
    // The STS token (one hour) has expired.
    expect(
        &as_alice.get(&format!("/repositories/{REPO}/pulls")).await,
        StatusCode::UNAUTHORIZED,
    );
    // Dates reported move too: a pull request's creation date, an object's mtime.
    let created: Value = decode(
        &api.post(
            &format!("/repositories/{REPO}/pulls"),
            json!({"title": "t", "source_branch": "feature", "destination_branch": MAIN}),
        )
        .await,
    );
    let pull: PullRequest = decode(
        &api.get(&format!(
            "/repositories/{REPO}/pulls/{}",
            created["id"].as_str().unwrap()
        ))
        .await,
    );
    let this_year: i64 = pull.creation_date[..4].parse().unwrap();
    let system_year = 1970 + start / 31_556_952;
    assert!(
        this_year > system_year,
        "{} vs {system_year}",
        pull.creation_date
    );
    let upload = api.create("later", 1).await;
    let put = api
        .put_url(&upload.presigned_urls.clone().unwrap()[0], "x")
        .await;
    let stats = stats(&api.complete(&upload, "later", &[(1, etag(&put))]).await);
    assert!(stats.mtime >= start + 366 * 24 * 3600);
}
