//! The stable object writes (deleteObject, deleteObjects, copyObject) as lakeFS v1.84.0
//! answers them, driven with raw HTTP requests through the emulator
//! (`docs/server-semantics-stable-operations.md` §5-§7).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use http::StatusCode;
use serde_json::{json, Value};

use common::objects::*;
use common::*;

#[tokio::test]
async fn delete_object_tombstones_committed_objects_and_ignores_missing_ones() {
    let api = setup();
    let delete = |path: &str| {
        let api = api.clone();
        let url = format!("/repositories/{R}/branches/main/objects?path={}", q(path));
        async move { api.delete(&url).await }
    };
    expect(&delete("a.txt").await, StatusCode::NO_CONTENT);
    expect(&delete("a.txt").await, StatusCode::NO_CONTENT);
    expect(&delete("never-existed").await, StatusCode::NO_CONTENT);
    expect(&delete("c.csv").await, StatusCode::NO_CONTENT);
    expect(
        &api.get(&object_url("main", "a.txt")).await,
        StatusCode::NOT_FOUND,
    );
    expect(
        &api.get(&object_url("main@", "a.txt")).await,
        StatusCode::OK,
    );
    let diff: Value = decode(
        &api.get(&format!("/repositories/{R}/branches/main/diff"))
            .await,
    );
    assert_eq!(
        diff["results"],
        json!([{"path": "a.txt", "type": "removed", "path_type": "object", "size_bytes": 0}]),
        "an object only staged leaves no trace"
    );
    api.emulator.protect_branch(R, "main", true);
    expect_failure(
        &delete("b").await,
        StatusCode::FORBIDDEN,
        "cannot write to protected branch",
    );
    let no_branch = api
        .delete(&format!("/repositories/{R}/branches/nope/objects?path=b"))
        .await;
    expect_failure(&no_branch, StatusCode::NOT_FOUND, "branch not found");
    let no_repo = api
        .delete("/repositories/no-repo/branches/main/objects?path=b")
        .await;
    expect_failure(&no_repo, StatusCode::NOT_FOUND, "repository not found");
    let empty = api
        .delete(&format!("/repositories/{R}/branches/side/objects?path="))
        .await;
    expect_failure(
        &empty,
        StatusCode::BAD_REQUEST,
        "empty value is not allowed",
    );
}

#[tokio::test]
async fn delete_objects_answers_200_with_per_path_errors() {
    let api = setup();
    let delete = |branch: &str, paths: Value| {
        let api = api.clone();
        let url = format!("/repositories/{R}/branches/{branch}/objects/delete");
        async move { api.post(&url, json!({"paths": paths})).await }
    };
    let done = delete("side", json!(["a.txt", "b", "missing"])).await;
    expect(&done, StatusCode::OK);
    assert_eq!(decode::<Value>(&done), json!({"errors": []}));
    expect(
        &api.get(&object_url("side", "b")).await,
        StatusCode::NOT_FOUND,
    );
    assert_eq!(
        decode::<Value>(&delete("side", json!(["a.txt"])).await),
        json!({"errors": []})
    );

    // An empty path fails the whole batch, silently: nothing is deleted.
    assert_eq!(
        decode::<Value>(&delete("side", json!(["a/x", ""])).await),
        json!({"errors": []})
    );
    expect(&api.get(&object_url("side", "a/x")).await, StatusCode::OK);
    // A missing branch (or repository) is not found, which lakeFS ignores.
    assert_eq!(
        decode::<Value>(&delete("nope", json!(["a/x"])).await),
        json!({"errors": []})
    );

    api.emulator.protect_branch(R, "side", true);
    let protected: Value = decode(&delete("side", json!(["a/x", "ab/y"])).await);
    assert_eq!(
        protected,
        json!({"errors": [
            {"path": "a/x", "status_code": 403, "message": "cannot write to protected branch"},
            {"path": "ab/y", "status_code": 403, "message": "cannot write to protected branch"},
        ]})
    );
    let invalid: Value = decode(&delete("bad.name", json!(["x"])).await);
    assert_eq!(invalid["errors"][0]["status_code"], 500);

    let many: Vec<String> = (0..1001).map(|i| format!("p{i}")).collect();
    let refused = delete("main", json!(many)).await;
    expect_failure(
        &refused,
        StatusCode::BAD_REQUEST,
        "request size exceeded, max paths is set to 1000",
    );
}

#[tokio::test]
async fn copy_object_writes_a_new_address_with_the_same_content() {
    let api = setup();
    let copy = |branch: &str, dest: &str, body: Value| {
        let api = api.clone();
        let url = format!(
            "/repositories/{R}/branches/{branch}/objects/copy?dest_path={}",
            q(dest)
        );
        async move { api.post(&url, body).await }
    };
    let created = copy("side", "copies/a.txt", json!({"src_path": "a.txt"})).await;
    expect(&created, StatusCode::CREATED);
    let stats: Value = decode(&created);
    let source: Value = decode(
        &api.get(&format!(
            "/repositories/{R}/refs/main/objects/stat?path=a.txt"
        ))
        .await,
    );
    assert_eq!(stats["path"], "copies/a.txt");
    assert_eq!(stats["checksum"], source["checksum"]);
    assert_eq!(stats["size_bytes"], 31);
    assert_eq!(stats["metadata"], json!({}), "always present");
    assert_ne!(stats["physical_address"], source["physical_address"]);
    assert_eq!(
        api.get(&object_url("side", "copies/a.txt")).await.body(),
        CSV
    );
    let diff: Value = decode(
        &api.get(&format!("/repositories/{R}/branches/side/diff"))
            .await,
    );
    assert_eq!(diff["results"][0]["type"], "added");

    // From another ref: main's uncommitted object, to side.
    let from_main = copy(
        "side",
        "c.csv",
        json!({"src_path": "c.csv", "src_ref": "main"}),
    )
    .await;
    expect(&from_main, StatusCode::CREATED);
    let missing = copy("side", "x", json!({"src_path": "nope"})).await;
    expect_failure(&missing, StatusCode::NOT_FOUND, "not found");
    let no_branch = copy("nope", "x", json!({"src_path": "a.txt"})).await;
    expect_failure(&no_branch, StatusCode::NOT_FOUND, "branch 'nope' not found");
    let shallow = copy("side", "x", json!({"src_path": "a.txt", "shallow": true})).await;
    expect_failure(&shallow, StatusCode::NOT_IMPLEMENTED, "Not Implemented");
    let no_body = copy("side", "x", json!({})).await;
    expect_failure(&no_body, StatusCode::BAD_REQUEST, "src_path");
    api.emulator.protect_branch(R, "side", true);
    let protected = copy("side", "y", json!({"src_path": "a.txt"})).await;
    expect_failure(
        &protected,
        StatusCode::FORBIDDEN,
        "cannot write to protected branch",
    );
}
