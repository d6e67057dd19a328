//! The stable commit, ref, branch and repository operations (commit, getCommit, logCommits,
//! createBranch, listBranches, getBranch, deleteBranch, diffBranch, resetBranch, getRepository,
//! listRepositories) as lakeFS v1.84.0 answers them, driven with raw HTTP requests through the
//! emulator (`docs/server-semantics-stable-operations.md` §8-§18).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use http::StatusCode;
use lakefs_emulator::{Emulator, DEFAULT_BRANCH, DEFAULT_FEATURE_BRANCH};
use serde_json::{json, Value};

use common::*;

fn is_commit_id(id: &Value) -> bool {
    id.as_str()
        .is_some_and(|id| id.len() == 64 && id.bytes().all(|b| b.is_ascii_hexdigit()))
}

async fn commit(api: &Api, branch: &str, body: Value) -> (StatusCode, Value) {
    let response = api
        .post(
            &format!("/repositories/{REPO}/branches/{branch}/commits"),
            body,
        )
        .await;
    (response.status(), decode(&response))
}

async fn log(api: &Api, reference: &str, query: &str) -> Value {
    let response = api
        .get(&format!(
            "/repositories/{REPO}/refs/{reference}/commits?{query}"
        ))
        .await;
    expect(&response, StatusCode::OK);
    decode(&response)
}

fn ids(page: &Value) -> Vec<String> {
    page["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap().to_owned())
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

#[tokio::test]
async fn commit_answers_lakefs_commits_and_refuses_a_clean_branch() {
    let api = Api::new(Emulator::new());
    let parent = api.emulator.head(REPO, MAIN).unwrap();
    let (status, refused) = commit(&api, MAIN, json!({"message": "nothing"})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(refused["message"], "commit: no changes");

    api.emulator.put_object(REPO, MAIN, "new.csv", "a,b\n");
    let (status, created) = commit(
        &api,
        MAIN,
        json!({"message": "add new.csv", "metadata": {"source": "test"}, "date": 1_700_000_000}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert!(is_commit_id(&created["id"]), "{created}");
    assert_eq!(created["parents"], json!([parent]));
    assert_eq!(created["committer"], "admin");
    assert_eq!(created["message"], "add new.csv");
    assert_eq!(created["creation_date"], 1_700_000_000);
    assert_eq!(created["metadata"], json!({"source": "test"}));
    assert_eq!(created["version"], 1);
    assert!(is_commit_id(&created["meta_range_id"]));
    let parent_commit: Value = decode(
        &api.get(&format!("/repositories/{REPO}/commits/{parent}"))
            .await,
    );
    assert_eq!(
        created["generation"],
        parent_commit["generation"].as_i64().unwrap() + 1
    );
    assert_eq!(
        api.emulator.head(REPO, MAIN).unwrap(),
        created["id"].as_str().unwrap()
    );
    assert_eq!(
        diff(&api, MAIN, "").await["results"],
        json!([]),
        "staging emptied"
    );

    // allow_empty commits the parent's content; an empty message is fine.
    let (status, empty) = commit(&api, MAIN, json!({"message": "", "allow_empty": true})).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(empty["meta_range_id"], created["meta_range_id"]);
    assert_eq!(empty["metadata"], json!({}));
    // A repeat without changes is refused; so are uncommitted changes that net to nothing (a
    // deletion undone by resetting the object).
    let (status, _) = commit(&api, MAIN, json!({"message": "x"})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    api.emulator.put_object(REPO, MAIN, "tmp.csv", "t");
    let deleted = api
        .delete(&format!(
            "/repositories/{REPO}/branches/{MAIN}/objects?path=tmp.csv"
        ))
        .await;
    expect(&deleted, StatusCode::NO_CONTENT);
    let (status, _) = commit(&api, MAIN, json!({"message": "x"})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    let (status, no_message) = commit(&api, MAIN, json!({"allow_empty": true})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{no_message}");
    let (status, missing) = commit(&api, "nope", json!({"message": "m"})).await;
    assert_eq!(
        (status, missing["message"].as_str()),
        (StatusCode::NOT_FOUND, Some("branch not found"))
    );
    api.emulator.put_object(REPO, MAIN, "more.csv", "x");
    api.emulator.protect_branch(REPO, MAIN, true);
    let (status, protected) = commit(&api, MAIN, json!({"message": "m"})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(protected["message"], "cannot commit to protected branch");
    api.emulator.protect_branch(REPO, MAIN, false);
    api.emulator.set_read_only(REPO, true);
    let (status, _) = commit(&api, MAIN, json!({"message": "m"})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = commit(&api, MAIN, json!({"message": "m", "force": true})).await;
    assert_eq!(status, StatusCode::CREATED);
}

#[tokio::test]
async fn get_commit_resolves_any_ref() {
    let api = Api::new(Emulator::new());
    let head = api.emulator.head(REPO, MAIN).unwrap();
    let get = |reference: String| {
        let api = api.clone();
        async move {
            api.get(&format!("/repositories/{REPO}/commits/{reference}"))
                .await
        }
    };
    let by_branch: Value = decode(&get(MAIN.into()).await);
    assert_eq!(by_branch["id"], head.as_str());
    assert_eq!(by_branch["message"], "add data");
    assert_eq!(
        decode::<Value>(&get(head[..8].to_owned()).await)["id"],
        head.as_str()
    );
    let initial: Value = decode(&get(format!("{MAIN}~1")).await);
    assert_eq!(
        (
            initial["message"].clone(),
            initial["committer"].clone(),
            initial["parents"].clone()
        ),
        (json!("Repository created"), json!(""), json!([]))
    );
    assert_eq!(
        (
            initial["generation"].clone(),
            initial["meta_range_id"].clone()
        ),
        (json!(1), json!(""))
    );
    assert_eq!(initial["metadata"], json!({}));
    expect_failure(
        &get("nope".into()).await,
        StatusCode::NOT_FOUND,
        "commit not found",
    );
    expect_failure(
        &get(format!("{MAIN}~5")).await,
        StatusCode::NOT_FOUND,
        "commit not found",
    );
    let staging = get(format!("{MAIN}$")).await;
    assert_eq!(
        staging.status(),
        StatusCode::INTERNAL_SERVER_ERROR,
        "as lakeFS's handler maps it"
    );
    let no_repo = api.get("/repositories/no-repo/commits/main").await;
    expect_failure(&no_repo, StatusCode::NOT_FOUND, "repository not found");

    // A merge commit: destination then source, lakeFS's message and metadata.
    let pull = api
        .post(
            &format!("/repositories/{REPO}/pulls"),
            json!({"title": "t", "source_branch": DEFAULT_FEATURE_BRANCH, "destination_branch": DEFAULT_BRANCH}),
        )
        .await;
    let id: Value = decode(&pull);
    let merged = api
        .put(
            &format!(
                "/repositories/{REPO}/pulls/{}/merge",
                id["id"].as_str().unwrap()
            ),
            json!({}),
        )
        .await;
    expect(&merged, StatusCode::OK);
    let merge: Value = decode(&get(MAIN.into()).await);
    assert_eq!(merge["message"], "Merge 'feature' into 'main'");
    assert_eq!(
        merge["metadata"],
        json!({".lakefs.merge.strategy": "default"})
    );
    assert_eq!(merge["parents"][0], head.as_str());
    assert_eq!(merge["generation"], 4, "one more than the feature commit's");
    let second_parent: Value = decode(&get(format!("{MAIN}^2")).await);
    assert_eq!(second_parent["message"], "add feature data");
}

#[tokio::test]
async fn log_commits_pages_newest_first_and_filters() {
    let api = Api::new(Emulator::new());
    let mut made = Vec::new();
    for (i, path) in ["logs/a", "logs/b", "other/c"].iter().enumerate() {
        api.emulator.put_object(REPO, MAIN, path, format!("{i}"));
        let (_, created) = commit(
            &api,
            MAIN,
            json!({"message": format!("c{i}"), "date": 1_800_000_000 + i}),
        )
        .await;
        made.push(created["id"].as_str().unwrap().to_owned());
    }
    let all = log(&api, MAIN, "").await;
    let messages: Vec<&str> = all["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["message"].as_str().unwrap())
        .collect();
    assert_eq!(
        messages,
        ["c2", "c1", "c0", "add data", "Repository created"]
    );
    assert_eq!(all["pagination"]["has_more"], false);

    let first = log(&api, MAIN, "amount=2").await;
    assert_eq!(ids(&first), [made[2].clone(), made[1].clone()]);
    assert_eq!(first["pagination"]["next_offset"], made[1].as_str());
    assert_eq!(first["pagination"]["has_more"], true);
    let next = log(&api, MAIN, &format!("amount=2&after={}", made[1])).await;
    assert_eq!(ids(&next)[0], made[0]);
    let limited = log(&api, MAIN, "amount=2&limit=true").await;
    assert_eq!(ids(&limited).len(), 2);
    assert_eq!(
        limited["pagination"]["has_more"], false,
        "limit reports no more"
    );
    let stopped = log(&api, MAIN, &format!("stop_at={}", made[1])).await;
    assert_eq!(
        ids(&stopped),
        [made[2].clone(), made[1].clone()],
        "stop_at is included"
    );
    assert_eq!(
        ids(&log(&api, &format!("{MAIN}~1"), "amount=1").await),
        [made[1].clone()]
    );

    let objects = log(&api, MAIN, "objects=logs/b&objects=other/c").await;
    assert_eq!(ids(&objects), [made[2].clone(), made[1].clone()]);
    let prefixes = log(&api, MAIN, "prefixes=logs/").await;
    assert_eq!(ids(&prefixes), [made[1].clone(), made[0].clone()]);
    let since = log(&api, MAIN, "since=2027-01-15T08:00:01Z").await;
    assert_eq!(
        ids(&since),
        [made[2].clone(), made[1].clone()],
        "1_800_000_001 and later"
    );

    // Merge commits: first_parent stays on main; filters never return them.
    api.emulator
        .put_object(REPO, DEFAULT_FEATURE_BRANCH, "logs/feature", "f");
    commit(
        &api,
        DEFAULT_FEATURE_BRANCH,
        json!({"message": "on feature", "date": 1_900_000_000}),
    )
    .await;
    let pull: Value = decode(
        &api.post(
            &format!("/repositories/{REPO}/pulls"),
            json!({"title": "t", "source_branch": DEFAULT_FEATURE_BRANCH, "destination_branch": MAIN}),
        )
        .await,
    );
    expect(
        &api.put(
            &format!(
                "/repositories/{REPO}/pulls/{}/merge",
                pull["id"].as_str().unwrap()
            ),
            json!({}),
        )
        .await,
        StatusCode::OK,
    );
    let everything = log(&api, MAIN, "").await;
    assert_eq!(
        everything["results"][0]["parents"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    assert_eq!(
        everything["results"][1]["message"], "on feature",
        "the newest parent next"
    );
    assert_eq!(everything["pagination"]["results"], 8);
    let main_line = log(&api, MAIN, "first_parent=true").await;
    assert_eq!(main_line["pagination"]["results"], 6);
    let filtered = log(&api, MAIN, "prefixes=logs/").await;
    let messages: Vec<&str> = filtered["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["message"].as_str().unwrap())
        .collect();
    assert_eq!(messages, ["on feature", "c1", "c0"]);

    let unknown = api
        .get(&format!("/repositories/{REPO}/refs/nope/commits"))
        .await;
    expect_failure(&unknown, StatusCode::NOT_FOUND, "ref: not found");
    let staging = api
        .get(&format!("/repositories/{REPO}/refs/main$/commits"))
        .await;
    expect_failure(&staging, StatusCode::BAD_REQUEST, "ref: ref: invalid value");
    let bad_after = api
        .get(&format!(
            "/repositories/{REPO}/refs/main/commits?after=nope"
        ))
        .await;
    expect_failure(&bad_after, StatusCode::NOT_FOUND, "from ref: not found");
    let bad_stop = api
        .get(&format!(
            "/repositories/{REPO}/refs/main/commits?stop_at=nope"
        ))
        .await;
    expect_failure(&bad_stop, StatusCode::NOT_FOUND, "stop_at: not found");
}

#[tokio::test]
async fn upload_commit_delete_commit_and_the_log_shows_both() {
    let api = Api::new(Emulator::new());
    let path = "workflow/data.bin";
    let upload = api.create(path, 1).await;
    let bytes = generated(1024, 7);
    let put = api
        .put_url(&upload.presigned_urls.clone().unwrap()[0], bytes.clone())
        .await;
    expect(&put, StatusCode::OK);
    stats(&api.complete(&upload, path, &[(1, etag(&put))]).await);
    let added = diff(&api, MAIN, "").await;
    assert_eq!(
        added["results"],
        json!([{"path": path, "type": "added", "path_type": "object", "size_bytes": 1024}])
    );

    let (status, first) = commit(&api, MAIN, json!({"message": "upload"})).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(
        diff(&api, MAIN, "").await["results"],
        json!([]),
        "nothing uncommitted"
    );
    let object = api
        .get(&format!(
            "/repositories/{REPO}/refs/{}/objects?path={}",
            first["id"].as_str().unwrap(),
            q(path)
        ))
        .await;
    assert_eq!(object.body(), &bytes);

    let deleted = api
        .delete(&format!(
            "/repositories/{REPO}/branches/{MAIN}/objects?path={}",
            q(path)
        ))
        .await;
    expect(&deleted, StatusCode::NO_CONTENT);
    let removed = diff(&api, MAIN, "").await;
    assert_eq!(
        removed["results"],
        json!([{"path": path, "type": "removed", "path_type": "object", "size_bytes": 0}])
    );
    let (status, second) = commit(&api, MAIN, json!({"message": "delete"})).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(second["parents"], json!([first["id"]]));

    let history = log(&api, MAIN, "amount=2").await;
    assert_eq!(
        ids(&history),
        [
            second["id"].as_str().unwrap(),
            first["id"].as_str().unwrap()
        ]
    );
    let touched = log(&api, MAIN, &format!("objects={}", q(path))).await;
    assert_eq!(ids(&touched).len(), 2, "both commits change the object");
    let at_first = api
        .get(&format!(
            "/repositories/{REPO}/refs/{MAIN}~1/objects/stat?path={}",
            q(path)
        ))
        .await;
    expect(&at_first, StatusCode::OK);
    let now = api
        .get(&format!(
            "/repositories/{REPO}/refs/{MAIN}/objects/stat?path={}",
            q(path)
        ))
        .await;
    expect(&now, StatusCode::NOT_FOUND);
}
