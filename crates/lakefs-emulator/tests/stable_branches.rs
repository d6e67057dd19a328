//! The stable branch and repository operations (createBranch, listBranches, getBranch,
//! deleteBranch, diffBranch, resetBranch, getRepository, listRepositories) as lakeFS v1.84.0
//! answers them, driven with raw HTTP requests through the emulator
//! (`docs/server-semantics-stable-operations.md` §11-§18).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use http::StatusCode;
use lakefs_emulator::{Emulator, DEFAULT_FEATURE_BRANCH, DEFAULT_OBJECT_PATH};
use serde_json::{json, Value};

use common::*;

async fn create(api: &Api, name: &str, source: &str) -> http::Response<bytes::Bytes> {
    api.post(
        &format!("/repositories/{REPO}/branches"),
        json!({"name": name, "source": source}),
    )
    .await
}

async fn branches(api: &Api, query: &str) -> Value {
    let response = api
        .get(&format!("/repositories/{REPO}/branches?{query}"))
        .await;
    expect(&response, StatusCode::OK);
    decode(&response)
}

fn ids(page: &Value, field: &str) -> Vec<String> {
    page["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item[field].as_str().unwrap().to_owned())
        .collect()
}

async fn diff(api: &Api, branch: &str, query: &str) -> Value {
    let response = api
        .get(&format!(
            "/repositories/{REPO}/branches/{branch}/diff?{query}"
        ))
        .await;
    expect(&response, StatusCode::OK);
    decode(&response)
}

async fn reset(api: &Api, branch: &str, body: Value) -> http::Response<bytes::Bytes> {
    api.put(&format!("/repositories/{REPO}/branches/{branch}"), body)
        .await
}

#[tokio::test]
async fn create_branch_answers_the_commit_id_as_text() {
    let api = Api::new(Emulator::new());
    let head = api.emulator.head(REPO, MAIN).unwrap();
    api.emulator.put_object(REPO, MAIN, "staged.csv", "s");
    let created = create(&api, "dev", MAIN).await;
    expect(&created, StatusCode::CREATED);
    assert_eq!(
        created.body(),
        head.as_str(),
        "plain text, no JSON, no newline"
    );
    assert_eq!(
        header(&created, "content-type").as_deref(),
        Some("text/plain; charset=utf-8")
    );
    assert_eq!(api.emulator.head(REPO, "dev").unwrap(), head);
    assert!(
        api.emulator.object(REPO, "dev", "staged.csv").is_none(),
        "uncommitted changes stay on the source"
    );

    let again = create(&api, "dev", MAIN).await;
    expect_failure(
        &again,
        StatusCode::CONFLICT,
        "branch already exists: not unique",
    );
    let unknown = create(&api, "dev2", "nope").await;
    expect_failure(
        &unknown,
        StatusCode::NOT_FOUND,
        "source reference 'nope': not found",
    );
    let invalid = create(&api, "-dev", MAIN).await;
    expect_failure(
        &invalid,
        StatusCode::BAD_REQUEST,
        "argument branch: branch id: invalid value: validation error: branch id must consist of letters, digits, underscores and dashes, and cannot start with a dash",
    );
    let like_a_commit = create(&api, &head, MAIN).await;
    expect_failure(
        &like_a_commit,
        StatusCode::CONFLICT,
        &format!("commit ID {head}: conflict found"),
    );
    let staging = create(&api, "dev3", "main$").await;
    expect_failure(
        &staging,
        StatusCode::INTERNAL_SERVER_ERROR,
        "can't create a branch without commit",
    );

    // Any ref as source: ~N, a commit-id prefix.
    let older = create(&api, "older", "main~1").await;
    expect(&older, StatusCode::CREATED);
    let parent = api.emulator.commit_parents(REPO, &head).unwrap()[0].clone();
    assert_eq!(older.body(), parent.as_str());
    let by_prefix = create(&api, "by-prefix", &head[..7]).await;
    assert_eq!(by_prefix.body(), head.as_str());

    let hidden = api
        .post(
            &format!("/repositories/{REPO}/branches"),
            json!({"name": "hidden", "source": MAIN, "hidden": true}),
        )
        .await;
    expect(&hidden, StatusCode::CREATED);
    assert!(!ids(&branches(&api, "").await, "id").contains(&"hidden".to_owned()));
    assert!(ids(&branches(&api, "show_hidden=true").await, "id").contains(&"hidden".to_owned()));

    api.emulator.set_read_only(REPO, true);
    expect_failure(
        &create(&api, "ro", MAIN).await,
        StatusCode::FORBIDDEN,
        "read-only repository",
    );
    let forced = api
        .post(
            &format!("/repositories/{REPO}/branches"),
            json!({"name": "ro", "source": MAIN, "force": true}),
        )
        .await;
    expect(&forced, StatusCode::CREATED);
}

#[tokio::test]
async fn list_get_and_delete_branches() {
    let api = Api::new(Emulator::new());
    for name in ["b-1", "b-2", "b-3"] {
        expect(&create(&api, name, MAIN).await, StatusCode::CREATED);
    }
    let all = branches(&api, "").await;
    assert_eq!(ids(&all, "id"), ["b-1", "b-2", "b-3", "feature", "main"]);
    assert_eq!(
        all["results"][4]["commit_id"],
        api.emulator.head(REPO, MAIN).unwrap().as_str()
    );
    let page = branches(&api, "prefix=b-&amount=2").await;
    assert_eq!(ids(&page, "id"), ["b-1", "b-2"]);
    assert_eq!(
        page["pagination"],
        json!({"has_more": true, "next_offset": "b-2", "results": 2, "max_per_page": 1000})
    );
    let rest = branches(&api, "prefix=b-&amount=2&after=b-2").await;
    assert_eq!(ids(&rest, "id"), ["b-3"]);
    assert_eq!(rest["pagination"]["has_more"], false);
    let too_many = api
        .get(&format!("/repositories/{REPO}/branches?amount=5000"))
        .await;
    expect_failure(
        &too_many,
        StatusCode::BAD_REQUEST,
        "number must be at most 1000",
    );

    let got: Value = decode(&api.get(&format!("/repositories/{REPO}/branches/b-1")).await);
    assert_eq!(
        got,
        json!({"id": "b-1", "commit_id": api.emulator.head(REPO, "b-1").unwrap()})
    );
    let missing = api
        .get(&format!("/repositories/{REPO}/branches/nope"))
        .await;
    expect_failure(&missing, StatusCode::NOT_FOUND, "branch not found");
    let head = api.emulator.head(REPO, MAIN).unwrap();
    let commit = api
        .get(&format!("/repositories/{REPO}/branches/{head}"))
        .await;
    expect_failure(&commit, StatusCode::NOT_FOUND, "branch not found");
    let no_repo = api.get("/repositories/no-repo/branches/main").await;
    expect_failure(&no_repo, StatusCode::NOT_FOUND, "repository not found");

    let delete = |branch: &str, force: bool| {
        let api = api.clone();
        let url = format!("/repositories/{REPO}/branches/{branch}?force={force}");
        async move { api.delete(&url).await }
    };
    expect_failure(
        &delete(MAIN, false).await,
        StatusCode::FORBIDDEN,
        "cannot delete repository default branch",
    );
    expect_failure(
        &delete(MAIN, true).await,
        StatusCode::FORBIDDEN,
        "cannot delete repository default branch",
    );
    api.emulator.protect_branch(REPO, "b-1", true);
    api.emulator.put_object(REPO, "b-1", "wip", "w");
    expect(&delete("b-1", false).await, StatusCode::NO_CONTENT);
    expect_failure(
        &delete("b-1", false).await,
        StatusCode::NOT_FOUND,
        "branch not found",
    );
    expect_failure(
        &delete("bad.name", false).await,
        StatusCode::BAD_REQUEST,
        "argument name: branch id",
    );
    api.emulator.set_read_only(REPO, true);
    expect_failure(
        &delete("b-2", false).await,
        StatusCode::FORBIDDEN,
        "read-only repository",
    );
    expect(&delete("b-2", true).await, StatusCode::NO_CONTENT);
    assert_eq!(ids(&branches(&api, "prefix=b-").await, "id"), ["b-3"]);
}

#[tokio::test]
async fn diff_branch_lists_uncommitted_changes() {
    let api = Api::new(Emulator::new());
    let e = &api.emulator;
    for path in ["dir/a", "dir/b", "foo", "keep"] {
        e.put_object(REPO, MAIN, path, "committed");
    }
    e.commit(REPO, MAIN, "base");
    assert_eq!(diff(&api, MAIN, "").await["results"], json!([]));
    e.put_object(REPO, MAIN, "dir/a", "changed!");
    e.put_object(REPO, MAIN, "dir/c", "new");
    e.put_object(REPO, MAIN, "foo.txt", "new");
    e.put_object(REPO, MAIN, "foo/bar", "new");
    e.put_object(REPO, MAIN, "gone-again", "x");
    for path in ["dir/b", "gone-again"] {
        let url = format!("/repositories/{REPO}/branches/{MAIN}/objects?path={path}");
        expect(&api.delete(&url).await, StatusCode::NO_CONTENT);
    }
    let all = diff(&api, MAIN, "").await;
    assert_eq!(
        all["results"],
        json!([
            {"path": "dir/a", "type": "changed", "path_type": "object", "size_bytes": 8},
            {"path": "dir/b", "type": "removed", "path_type": "object", "size_bytes": 0},
            {"path": "dir/c", "type": "added", "path_type": "object", "size_bytes": 3},
            {"path": "foo.txt", "type": "added", "path_type": "object", "size_bytes": 3},
            {"path": "foo/bar", "type": "added", "path_type": "object", "size_bytes": 3},
        ]),
        "an object created and deleted again is no change"
    );
    assert_eq!(all["pagination"]["results"], 5);
    let grouped = diff(&api, MAIN, "delimiter=/").await;
    assert_eq!(ids(&grouped, "path"), ["dir/", "foo.txt", "foo/"]);
    assert_eq!(
        grouped["results"][0],
        json!({"path": "dir/", "type": "prefix_changed", "path_type": "common_prefix"})
    );
    assert_eq!(
        ids(&diff(&api, MAIN, "prefix=dir/").await, "path"),
        ["dir/a", "dir/b", "dir/c"]
    );

    // Pages with a delimiter: after the object `foo.txt` comes `foo/`. (lakeFS resumes at
    // UpperBoundForPrefix(after), which would also skip keys starting with `foo.txt`; paging
    // here is what lakeFS means to do, as listObjects does it.)
    let first = diff(&api, MAIN, "delimiter=/&amount=2").await;
    assert_eq!(ids(&first, "path"), ["dir/", "foo.txt"]);
    assert_eq!(first["pagination"]["next_offset"], "foo.txt");
    let second = diff(&api, MAIN, "delimiter=/&amount=2&after=foo.txt").await;
    assert_eq!(ids(&second, "path"), ["foo/"]);
    assert_eq!(second["pagination"]["has_more"], false);
    let after_group = diff(&api, MAIN, "delimiter=/&after=dir/").await;
    assert_eq!(ids(&after_group, "path"), ["foo.txt", "foo/"]);
    let plain_pages = diff(&api, MAIN, "amount=2&after=dir/b").await;
    assert_eq!(ids(&plain_pages, "path"), ["dir/c", "foo.txt"]);

    let missing = api
        .get(&format!("/repositories/{REPO}/branches/nope/diff"))
        .await;
    expect_failure(&missing, StatusCode::NOT_FOUND, "branch not found");
    assert_eq!(
        diff(&api, DEFAULT_FEATURE_BRANCH, "").await["results"],
        json!([])
    );
}

#[tokio::test]
async fn reset_branch_drops_uncommitted_changes() {
    let api = Api::new(Emulator::new());
    let e = &api.emulator;
    e.put_object(REPO, MAIN, DEFAULT_OBJECT_PATH, "overwritten");
    e.put_object(REPO, MAIN, "dir/a", "a");
    e.put_object(REPO, MAIN, "dir/b", "b");
    e.put_object(REPO, MAIN, "top", "t");

    expect(
        &reset(
            &api,
            MAIN,
            json!({"type": "object", "path": DEFAULT_OBJECT_PATH}),
        )
        .await,
        StatusCode::NO_CONTENT,
    );
    assert_eq!(
        e.object(REPO, MAIN, DEFAULT_OBJECT_PATH).unwrap(),
        "id,name\n1,alpha\n2,beta\n3,gamma\n",
        "the committed object is back"
    );
    expect(
        &reset(
            &api,
            MAIN,
            json!({"type": "object", "path": "never-touched"}),
        )
        .await,
        StatusCode::NO_CONTENT,
    );
    expect(
        &reset(&api, MAIN, json!({"type": "common_prefix", "path": "dir/"})).await,
        StatusCode::NO_CONTENT,
    );
    assert_eq!(
        diff(&api, MAIN, "").await["results"],
        json!([{"path": "top", "type": "added", "path_type": "object", "size_bytes": 1}])
    );
    e.set_dirty(REPO, MAIN, true);
    expect(
        &reset(&api, MAIN, json!({"type": "reset"})).await,
        StatusCode::NO_CONTENT,
    );
    assert_eq!(diff(&api, MAIN, "").await["results"], json!([]));
    let hard_reset = api
        .call(
            http::Method::PUT,
            &format!("/repositories/{REPO}/branches/{MAIN}/hard_reset?ref={MAIN}"),
            None,
        )
        .await;
    expect(&hard_reset, StatusCode::NO_CONTENT);

    let bad_type = reset(&api, MAIN, json!({"type": "everything"})).await;
    expect_failure(
        &bad_type,
        StatusCode::BAD_REQUEST,
        "value is not one of the allowed values",
    );
    let no_path = reset(&api, MAIN, json!({"type": "object"})).await;
    expect_failure(
        &no_path,
        StatusCode::BAD_REQUEST,
        "argument path: missing path",
    );
    let missing = reset(&api, "nope", json!({"type": "object", "path": "x"})).await;
    expect_failure(
        &missing,
        StatusCode::NOT_FOUND,
        "getting branch: branch not found",
    );
    let missing = reset(&api, "nope", json!({"type": "reset"})).await;
    assert_eq!(
        failure(&missing),
        (StatusCode::NOT_FOUND, "branch not found".into())
    );
    e.protect_branch(REPO, MAIN, true);
    let protected = reset(&api, MAIN, json!({"type": "reset"})).await;
    expect_failure(
        &protected,
        StatusCode::FORBIDDEN,
        "cannot write to protected branch",
    );
}

#[tokio::test]
async fn repositories_get_and_list() {
    let api = Api::new(Emulator::new());
    api.emulator.add_repository("analytics", "trunk");
    api.emulator.add_repository("archive", "main");
    api.emulator.set_read_only("archive", true);
    let repo: Value = decode(&api.get("/repositories/analytics").await);
    assert_eq!(repo["id"], "analytics");
    assert_eq!(repo["default_branch"], "trunk");
    assert_eq!(repo["storage_namespace"], "s3://emulator-bucket/analytics");
    assert_eq!(
        (repo["storage_id"].clone(), repo["read_only"].clone()),
        (json!(""), json!(false))
    );
    assert!(repo["creation_date"].as_i64().unwrap() > 1_600_000_000);
    let no_repo = api.get("/repositories/no-repo").await;
    expect_failure(&no_repo, StatusCode::NOT_FOUND, "repository not found");
    let invalid = api.get("/repositories/No_Repo").await;
    expect_failure(
        &invalid,
        StatusCode::BAD_REQUEST,
        "argument repository: repository id: invalid value",
    );

    let list = |query: &str| {
        let api = api.clone();
        let url = format!("/repositories?{query}");
        async move {
            let response = api.get(&url).await;
            expect(&response, StatusCode::OK);
            decode::<Value>(&response)
        }
    };
    let all = list("").await;
    assert_eq!(ids(&all, "id"), ["analytics", "archive", REPO]);
    assert_eq!(all["results"][1]["read_only"], true);
    let page = list("amount=1").await;
    assert_eq!(ids(&page, "id"), ["analytics"]);
    assert_eq!(page["pagination"]["next_offset"], "analytics");
    assert_eq!(
        ids(&list("after=analytics&amount=1").await, "id"),
        ["archive"]
    );
    assert_eq!(ids(&list("prefix=ar").await, "id"), ["archive"]);
    assert_eq!(ids(&list("search=repo").await, "id"), [REPO]);
    let unauthenticated = api.anonymous().get("/repositories").await;
    assert_eq!(unauthenticated.status(), StatusCode::UNAUTHORIZED);
}
