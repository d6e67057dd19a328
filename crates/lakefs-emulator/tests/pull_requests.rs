//! The five pull-request operations and the emulator's merge (and a hard reset's effect on
//! it), through raw requests.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::Duration;

use http::StatusCode;
use lakefs_emulator::{
    Emulator, DEFAULT_FEATURE_BRANCH, DEFAULT_FEATURE_OBJECT_PATH, DEFAULT_OBJECT_PATH,
};
use lakefs_models::{
    MergeResult, PullRequest, PullRequestCreationResponse, PullRequestStatus, PullRequestsList,
};
use serde_json::{json, Value};

use common::*;

const FEATURE: &str = DEFAULT_FEATURE_BRANCH;

async fn create(api: &Api, title: &str, source: &str, destination: &str) -> String {
    let response = api
        .post(
            &format!("/repositories/{REPO}/pulls"),
            json!({"title": title, "description": format!("about {title}"),
                   "source_branch": source, "destination_branch": destination}),
        )
        .await;
    expect(&response, StatusCode::CREATED);
    decode::<PullRequestCreationResponse>(&response).id
}

async fn get(api: &Api, id: &str) -> PullRequest {
    let response = api.get(&format!("/repositories/{REPO}/pulls/{id}")).await;
    expect(&response, StatusCode::OK);
    decode(&response)
}

async fn list(api: &Api, query: &str) -> PullRequestsList {
    let response = api.get(&format!("/repositories/{REPO}/pulls{query}")).await;
    expect(&response, StatusCode::OK);
    decode(&response)
}

async fn update(api: &Api, id: &str, body: Value) -> http::Response<bytes::Bytes> {
    api.patch(&format!("/repositories/{REPO}/pulls/{id}"), body)
        .await
}

async fn merge(api: &Api, id: &str) -> http::Response<bytes::Bytes> {
    api.call(
        http::Method::PUT,
        &format!("/repositories/{REPO}/pulls/{id}/merge"),
        None,
    )
    .await
}

/// `YYYY-MM-DDTHH:MM:SSZ`.
fn assert_rfc3339(date: &str) {
    let b = date.as_bytes();
    assert!(
        date.len() == 20
            && b[4] == b'-'
            && b[7] == b'-'
            && b[10] == b'T'
            && b[13] == b':'
            && b[16] == b':'
            && b[19] == b'Z',
        "{date}"
    );
}

#[tokio::test]
async fn pull_request_lifecycle_from_creation_to_merge() {
    let api = Api::new(Emulator::new());
    let main_before = api.emulator.head(REPO, MAIN).unwrap();
    let feature_head = api.emulator.head(REPO, FEATURE).unwrap();
    assert!(api
        .emulator
        .object(REPO, MAIN, DEFAULT_FEATURE_OBJECT_PATH)
        .is_none());

    let id = create(&api, "Add the feature data", FEATURE, MAIN).await;
    assert_eq!(id.len(), 20, "an xid: {id}");
    let pull = get(&api, &id).await;
    assert_eq!(pull.id, id);
    assert_eq!(pull.status, PullRequestStatus::Open);
    assert_eq!(pull.title, "Add the feature data");
    assert_eq!(pull.description, "about Add the feature data");
    assert_eq!(pull.author, "admin");
    assert_eq!(
        (
            pull.source_branch.as_str(),
            pull.destination_branch.as_str()
        ),
        (FEATURE, MAIN)
    );
    assert_rfc3339(&pull.creation_date);
    assert_eq!((pull.merged_commit_id, pull.closed_date), (None, None));

    // Listed, without the fields lakeFS's list leaves out (the model decodes an absent
    // description as empty).
    let listed = api.get(&format!("/repositories/{REPO}/pulls")).await;
    let raw: Value = decode(&listed);
    assert_eq!(raw["results"][0].get("description"), None);
    let page: PullRequestsList = decode(&listed);
    assert_eq!(page.results[0].description, "");
    assert_eq!(page.results.len(), 1);
    assert_eq!(page.results[0].id, id);
    assert_eq!(page.pagination.max_per_page, 1000);
    assert!(!page.pagination.has_more);
    assert_eq!(list(&api, "?status=open").await.results.len(), 1);
    assert_eq!(list(&api, "?status=closed").await.results.len(), 0);

    // Update: 204, and only the fields sent change.
    let response = update(&api, &id, json!({"title": "Feature data"})).await;
    expect(&response, StatusCode::NO_CONTENT);
    assert!(response.body().is_empty());
    let pull = get(&api, &id).await;
    assert_eq!(pull.title, "Feature data");
    assert_eq!(pull.description, "about Add the feature data");
    expect(
        &update(&api, &id, json!({"description": "new words"})).await,
        StatusCode::NO_CONTENT,
    );
    assert_eq!(get(&api, &id).await.description, "new words");

    // Merge: a new commit on main with both parents, containing the feature's object.
    let response = merge(&api, &id).await;
    expect(&response, StatusCode::OK);
    let result: MergeResult = decode(&response);
    let main_after = api.emulator.head(REPO, MAIN).unwrap();
    assert_eq!(result.reference, main_after);
    assert_eq!(
        api.emulator.commit_parents(REPO, &main_after).unwrap(),
        vec![main_before, feature_head.clone()]
    );
    assert_eq!(
        api.emulator.object(REPO, MAIN, DEFAULT_FEATURE_OBJECT_PATH),
        api.emulator
            .object(REPO, FEATURE, DEFAULT_FEATURE_OBJECT_PATH)
    );
    assert!(api
        .emulator
        .object(REPO, MAIN, DEFAULT_OBJECT_PATH)
        .is_some());
    assert_eq!(api.emulator.head(REPO, FEATURE).unwrap(), feature_head);

    let pull = get(&api, &id).await;
    assert_eq!(pull.status, PullRequestStatus::Merged);
    assert_eq!(pull.merged_commit_id.as_deref(), Some(main_after.as_str()));
    assert_rfc3339(pull.closed_date.as_deref().unwrap());
    assert_eq!(api.emulator.pull_request(REPO, &id).unwrap(), pull);

    // Merged: listed as closed, without merged_commit_id; merging again is a 400.
    let closed = list(&api, "?status=closed").await;
    assert_eq!(closed.results.len(), 1);
    assert_eq!(closed.results[0].status, PullRequestStatus::Merged);
    assert_eq!(closed.results[0].merged_commit_id, None);
    assert!(list(&api, "?status=open").await.results.is_empty());
    expect_failure(
        &merge(&api, &id).await,
        StatusCode::BAD_REQUEST,
        "bad pull request status",
    );
    assert_eq!(api.emulator.head(REPO, MAIN).unwrap(), main_after);
}

#[tokio::test]
async fn listing_filters_by_status_and_pages_newest_first() {
    let api = Api::new(Emulator::new());
    let mut created = Vec::new();
    for n in 0..5 {
        created.push(create(&api, &format!("pr {n}"), FEATURE, MAIN).await);
        // Ids carry year 3000 minus the creation second: later ones sort first.
        api.emulator.advance_clock(Duration::from_secs(2));
    }
    for id in [&created[1], &created[3]] {
        expect(
            &update(&api, id, json!({"status": "closed"})).await,
            StatusCode::NO_CONTENT,
        );
    }

    let all = list(&api, "").await;
    let ids: Vec<&str> = all.results.iter().map(|p| p.id.as_str()).collect();
    let newest_first: Vec<&str> = created.iter().rev().map(String::as_str).collect();
    assert_eq!(ids, newest_first);
    assert_eq!(list(&api, "?status=all").await.results.len(), 5);
    let open = list(&api, "?status=open").await;
    assert_eq!(open.results.len(), 3);
    assert!(open
        .results
        .iter()
        .all(|p| p.status == PullRequestStatus::Open));
    let closed = list(&api, "?status=closed").await;
    assert_eq!(closed.results.len(), 2);

    // Pages of two, following next_offset.
    let mut seen = Vec::new();
    let mut after = String::new();
    loop {
        let page = list(&api, &format!("?amount=2&after={after}")).await;
        assert!(page.results.len() <= 2);
        assert_eq!(
            page.pagination.results,
            i64::try_from(page.results.len()).unwrap()
        );
        seen.extend(page.results.iter().map(|p| p.id.clone()));
        if !page.pagination.has_more {
            assert_eq!(page.pagination.next_offset, "");
            break;
        }
        assert_eq!(&page.pagination.next_offset, seen.last().unwrap());
        after = page.pagination.next_offset;
    }
    assert_eq!(seen, newest_first);
    // Filtered-out statuses do not count toward the amount.
    let page = list(&api, "?status=closed&amount=1").await;
    assert_eq!(page.results[0].id, created[3]);
    assert!(page.pagination.has_more);
    // The prefix matches ids.
    let prefix = &created[2][..20];
    let matched = list(&api, &format!("?prefix={prefix}")).await;
    assert_eq!(matched.results.len(), 1);
    assert_eq!(list(&api, "?prefix=zzz").await.results.len(), 0);
    // amount ≤ 0 means the default, 100.
    assert_eq!(list(&api, "?amount=0").await.results.len(), 5);
    assert_eq!(list(&api, "?amount=-1").await.results.len(), 5);

    for bad in ["?status=merged", "?amount=1001", "?amount=x"] {
        expect(
            &api.get(&format!("/repositories/{REPO}/pulls{bad}")).await,
            StatusCode::BAD_REQUEST,
        );
    }
    expect_failure(
        &api.get("/repositories/nope/pulls").await,
        StatusCode::NOT_FOUND,
        "repository not found",
    );
    expect(
        &api.anonymous()
            .get(&format!("/repositories/{REPO}/pulls"))
            .await,
        StatusCode::UNAUTHORIZED,
    );
}

/// The keys of one raw JSON object, sorted.
fn keys(item: &Value) -> Vec<&str> {
    let mut keys: Vec<&str> = item
        .as_object()
        .unwrap_or_else(|| panic!("not an object: {item}"))
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    keys
}

/// lakeFS v1.84.0's `ListPullRequests` (`pkg/api/controller.go:5863-5880`) builds each item
/// with `Description: nil` and `MergedCommitId: nil`, and the generated
/// `apigen.PullRequestBasic`/`apigen.PullRequest` (`pkg/api/apigen/lakefs.gen.go`) tag both
/// `omitempty`: the keys are absent, not empty (treeverse/lakeFS#9760: the official Python SDK
/// cannot decode that). `status` and `title` are always sent (`swag.String`, even an empty
/// title), `closed_date` once set. `getPullRequest` sends `description` (`swag.String`, so
/// `""` too) and `merged_commit_id`.
#[tokio::test]
async fn list_pull_requests_items_omit_description_as_lakefs_does() {
    let api = Api::new(Emulator::new());
    let merged = create(&api, "merged", FEATURE, MAIN).await;
    expect(&merge(&api, &merged).await, StatusCode::OK);
    let response = api
        .post(
            &format!("/repositories/{REPO}/pulls"),
            json!({"title": "", "source_branch": FEATURE, "destination_branch": MAIN}),
        )
        .await;
    expect(&response, StatusCode::CREATED);
    let bare = decode::<PullRequestCreationResponse>(&response).id;

    let listed = api.get(&format!("/repositories/{REPO}/pulls")).await;
    expect(&listed, StatusCode::OK);
    let raw: Value = decode(&listed);
    let items = raw["results"].as_array().unwrap();
    assert_eq!(items.len(), 2, "{raw}");
    let item = |id: &str| {
        items
            .iter()
            .find(|item| item["id"] == id)
            .unwrap_or_else(|| panic!("{id} not listed: {raw}"))
    };
    let always = [
        "author",
        "creation_date",
        "destination_branch",
        "id",
        "source_branch",
        "status",
        "title",
    ];
    assert_eq!(keys(item(&bare)), always, "{raw}");
    let mut with_closed_date = always.to_vec();
    with_closed_date.insert(1, "closed_date");
    assert_eq!(keys(item(&merged)), with_closed_date, "{raw}");
    assert_eq!(item(&bare)["title"], "");
    assert_eq!(item(&merged)["status"], "merged");
    for query in ["?status=open", "?status=closed", "?amount=1", "?prefix="] {
        let page: Value = decode(&api.get(&format!("/repositories/{REPO}/pulls{query}")).await);
        for item in page["results"].as_array().unwrap() {
            assert_eq!(item.get("description"), None, "{query}: {item}");
        }
    }

    // getPullRequest carries the description, even an empty one, and the merge commit.
    let got: Value = decode(&api.get(&format!("/repositories/{REPO}/pulls/{bare}")).await);
    assert_eq!(got["description"], "", "{got}");
    let got: Value = decode(
        &api.get(&format!("/repositories/{REPO}/pulls/{merged}"))
            .await,
    );
    assert_eq!(got["description"], "about merged", "{got}");
    assert!(got["merged_commit_id"].is_string(), "{got}");

    // This crate's model tolerates the absence (an empty description).
    let page: PullRequestsList = decode(&listed);
    assert!(page.results.iter().all(|p| p.description.is_empty()));
}

async fn hard_reset(api: &Api, branch: &str, reference: &str) -> http::Response<bytes::Bytes> {
    api.call(
        http::Method::PUT,
        &format!(
            "/repositories/{REPO}/branches/{branch}/hard_reset?ref={}",
            q(reference)
        ),
        None,
    )
    .await
}

/// lakeFS v1.84.0's `Graveler.ResetHard` (`pkg/graveler/graveler.go:2576-2635`) only sets
/// `branch.CommitID`; the staging token stays, so uncommitted objects survive and are read on
/// top of the new commit. Only sealed changes (`isSealedEmpty`) refuse the reset. Merging into
/// the branch afterwards is refused as dirty: `Merge` → `prepareForCommitIDUpdate` →
/// `isUncommittedEmpty` (`graveler.go:1480-1494`) counts the staging token.
#[tokio::test]
async fn hard_reset_keeps_uncommitted_objects_as_lakefs_does() {
    let api = Api::new(Emulator::new());
    let emulator = &api.emulator;
    let first = emulator.head(REPO, MAIN).unwrap();
    emulator.put_object(REPO, MAIN, "committed.txt", "committed");
    let second = emulator.commit(REPO, MAIN, "second").unwrap();
    // Uncommitted: a new object, and a new version of a committed one.
    emulator.put_object(REPO, MAIN, "wip.txt", "uncommitted");
    emulator.put_object(REPO, MAIN, DEFAULT_OBJECT_PATH, "staged version");
    let wip_stats = emulator.object_stats(REPO, MAIN, "wip.txt").unwrap();

    // Staged objects do not refuse the reset; they stay, on top of the older commit.
    expect(
        &hard_reset(&api, MAIN, &format!("{MAIN}~1")).await,
        StatusCode::NO_CONTENT,
    );
    assert_eq!(emulator.head(REPO, MAIN).unwrap(), first);
    assert_eq!(
        emulator.object(REPO, MAIN, "wip.txt").unwrap(),
        "uncommitted"
    );
    assert_eq!(
        emulator.object_stats(REPO, MAIN, "wip.txt").unwrap(),
        wip_stats
    );
    assert_eq!(
        emulator.object(REPO, MAIN, DEFAULT_OBJECT_PATH).unwrap(),
        "staged version"
    );
    assert!(
        emulator.object(REPO, MAIN, "committed.txt").is_none(),
        "committed only in the commit left behind"
    );
    let stat = api
        .get(&format!(
            "/repositories/{REPO}/refs/{MAIN}/objects/stat?path=wip.txt"
        ))
        .await;
    expect(&stat, StatusCode::OK);

    // So a merge into the branch is refused as dirty, and changes nothing.
    let id = create(&api, "into the reset branch", FEATURE, MAIN).await;
    expect_failure(
        &merge(&api, &id).await,
        StatusCode::BAD_REQUEST,
        "uncommitted changes (dirty branch)",
    );
    assert_eq!(emulator.head(REPO, MAIN).unwrap(), first);
    assert_eq!(get(&api, &id).await.status, PullRequestStatus::Open);

    // Back to the second commit: its object is there again, the staged ones still are.
    expect(
        &hard_reset(&api, MAIN, &second).await,
        StatusCode::NO_CONTENT,
    );
    assert_eq!(emulator.head(REPO, MAIN).unwrap(), second);
    assert_eq!(
        emulator.object(REPO, MAIN, "committed.txt").unwrap(),
        "committed"
    );
    assert_eq!(
        emulator.object(REPO, MAIN, "wip.txt").unwrap(),
        "uncommitted"
    );

    // Only sealed changes refuse a hard reset, with graveler's `<branch>: ErrDirtyBranch`.
    emulator.set_dirty(REPO, MAIN, true);
    expect_failure(
        &hard_reset(&api, MAIN, &first).await,
        StatusCode::BAD_REQUEST,
        "main: uncommitted changes (dirty branch)",
    );
    emulator.set_dirty(REPO, MAIN, false);
    assert_eq!(emulator.head(REPO, MAIN).unwrap(), second);

    // Once the staged objects are committed, the merge goes through.
    let committed = emulator.commit(REPO, MAIN, "wip").unwrap();
    let feature_head = emulator.head(REPO, FEATURE).unwrap();
    expect(&merge(&api, &id).await, StatusCode::OK);
    let merged = emulator.head(REPO, MAIN).unwrap();
    assert_eq!(
        emulator.commit_parents(REPO, &merged).unwrap(),
        vec![committed, feature_head]
    );
    assert_eq!(
        emulator.object(REPO, MAIN, "wip.txt").unwrap(),
        "uncommitted"
    );
}

#[tokio::test]
async fn creation_is_validated_as_lakefs_does() {
    let api = Api::new(Emulator::new());
    let post = |body: Value| {
        let api = api.clone();
        async move { api.post(&format!("/repositories/{REPO}/pulls"), body).await }
    };
    expect_failure(
        &post(json!({"title": "t", "source_branch": MAIN, "destination_branch": MAIN})).await,
        StatusCode::BAD_REQUEST,
        "source and destination branches are the same",
    );
    expect_failure(
        &post(json!({"title": "t", "source_branch": "nope", "destination_branch": MAIN})).await,
        StatusCode::NOT_FOUND,
        "branch not found",
    );
    expect_failure(
        &post(json!({"title": "t", "source_branch": FEATURE, "destination_branch": "nope"})).await,
        StatusCode::NOT_FOUND,
        "branch not found",
    );
    expect_failure(
        &post(json!({"title": "t", "source_branch": "bad/name", "destination_branch": MAIN})).await,
        StatusCode::BAD_REQUEST,
        "source_branch",
    );
    expect_failure(
        &post(json!({"source_branch": FEATURE, "destination_branch": MAIN})).await,
        StatusCode::BAD_REQUEST,
        "title",
    );
    let no_repo = api
        .post(
            "/repositories/nope/pulls",
            json!({"title": "t", "source_branch": FEATURE, "destination_branch": MAIN}),
        )
        .await;
    expect_failure(&no_repo, StatusCode::NOT_FOUND, "repository not found");
    expect(
        &api.anonymous()
            .post(
                &format!("/repositories/{REPO}/pulls"),
                json!({"title": "t", "source_branch": FEATURE, "destination_branch": MAIN}),
            )
            .await,
        StatusCode::UNAUTHORIZED,
    );
    // No duplicate check, and an empty title is fine; the author is whoever called.
    let first =
        post(json!({"title": "", "source_branch": FEATURE, "destination_branch": MAIN})).await;
    let second =
        post(json!({"title": "", "source_branch": FEATURE, "destination_branch": MAIN})).await;
    expect(&first, StatusCode::CREATED);
    expect(&second, StatusCode::CREATED);
    assert_ne!(
        decode::<PullRequestCreationResponse>(&first).id,
        decode::<PullRequestCreationResponse>(&second).id
    );
    api.emulator.add_user("bob");
    api.emulator.add_access_key("AKIABOB", "bob-secret", "bob");
    let bob = api.with_auth(format!("Basic {}", {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD.encode("AKIABOB:bob-secret")
    }));
    let id = create(&bob, "by bob", FEATURE, MAIN).await;
    assert_eq!(get(&api, &id).await.author, "bob");
}

#[tokio::test]
async fn get_and_update_errors_and_free_status_transitions() {
    let api = Api::new(Emulator::new());
    api.emulator.add_repository("other", "main");
    let id = create(&api, "t", FEATURE, MAIN).await;
    expect_failure(
        &api.get(&format!("/repositories/{REPO}/pulls/not-an-xid"))
            .await,
        StatusCode::BAD_REQUEST,
        "pull request id",
    );
    expect_failure(
        &api.get(&format!("/repositories/{REPO}/pulls/00000000000000000000"))
            .await,
        StatusCode::NOT_FOUND,
        "pull request not found",
    );
    expect_failure(
        &api.get(&format!("/repositories/other/pulls/{id}")).await,
        StatusCode::NOT_FOUND,
        "pull request not found",
    );
    expect_failure(
        &api.get(&format!("/repositories/nope/pulls/{id}")).await,
        StatusCode::NOT_FOUND,
        "repository not found",
    );
    expect(
        &update(&api, &id, json!({"status": "bogus"})).await,
        StatusCode::BAD_REQUEST,
    );
    expect(
        &update(&api, "bad", json!({})).await,
        StatusCode::BAD_REQUEST,
    );
    expect(
        &update(&api, "00000000000000000000", json!({})).await,
        StatusCode::NOT_FOUND,
    );

    // Closing sets closed_date; reopening keeps it; no transition is refused.
    expect(
        &update(&api, &id, json!({"status": "closed"})).await,
        StatusCode::NO_CONTENT,
    );
    let closed = get(&api, &id).await;
    assert_eq!(closed.status, PullRequestStatus::Closed);
    let closed_date = closed.closed_date.clone().unwrap();
    expect_failure(
        &merge(&api, &id).await,
        StatusCode::BAD_REQUEST,
        "bad pull request status",
    );
    expect(
        &update(&api, &id, json!({"status": "open"})).await,
        StatusCode::NO_CONTENT,
    );
    let reopened = get(&api, &id).await;
    assert_eq!(reopened.status, PullRequestStatus::Open);
    assert_eq!(reopened.closed_date.as_deref(), Some(closed_date.as_str()));
    // PATCH to merged marks it merged without merging anything.
    let main_head = api.emulator.head(REPO, MAIN).unwrap();
    expect(
        &update(&api, &id, json!({"status": "merged"})).await,
        StatusCode::NO_CONTENT,
    );
    let merged = get(&api, &id).await;
    assert_eq!(merged.status, PullRequestStatus::Merged);
    assert_eq!(merged.merged_commit_id, None);
    assert_eq!(api.emulator.head(REPO, MAIN).unwrap(), main_head);
    expect(
        &update(&api, &id, json!({"status": "open"})).await,
        StatusCode::NO_CONTENT,
    );
    expect(&merge(&api, &id).await, StatusCode::OK);
}

#[tokio::test]
async fn merge_refuses_what_graveler_refuses() {
    let api = Api::new(Emulator::new());
    let id = create(&api, "t", FEATURE, MAIN).await;

    // Uncommitted changes on the destination.
    api.emulator.put_object(REPO, MAIN, "wip.txt", "wip");
    expect_failure(
        &merge(&api, &id).await,
        StatusCode::BAD_REQUEST,
        "uncommitted changes",
    );
    api.emulator.commit(REPO, MAIN, "wip");
    // Read-only repository.
    api.emulator.set_read_only(REPO, true);
    expect_failure(&merge(&api, &id).await, StatusCode::FORBIDDEN, "read-only");
    api.emulator.set_read_only(REPO, false);
    // Nothing new on the source.
    let nothing = create(&api, "nothing", MAIN, FEATURE).await;
    api.emulator.add_branch(REPO, "same", MAIN);
    let same = create(&api, "same", "same", MAIN).await;
    expect_failure(
        &merge(&api, &same).await,
        StatusCode::BAD_REQUEST,
        "no changes",
    );
    // The source's uncommitted changes are not merged.
    api.emulator
        .put_object(REPO, "same", "uncommitted.txt", "x");
    expect_failure(
        &merge(&api, &same).await,
        StatusCode::BAD_REQUEST,
        "no changes",
    );

    // Both sides changed one path: 409, nothing merged.
    api.emulator
        .put_object(REPO, FEATURE, DEFAULT_OBJECT_PATH, "feature's version");
    api.emulator.commit(REPO, FEATURE, "change on feature");
    api.emulator
        .put_object(REPO, MAIN, DEFAULT_OBJECT_PATH, "main's version");
    api.emulator.commit(REPO, MAIN, "change on main");
    let head = api.emulator.head(REPO, MAIN).unwrap();
    expect_failure(
        &merge(&api, &id).await,
        StatusCode::CONFLICT,
        "conflict found",
    );
    assert_eq!(api.emulator.head(REPO, MAIN).unwrap(), head);
    assert_eq!(get(&api, &id).await.status, PullRequestStatus::Open);

    // Writing the same bytes on both sides is still a conflict: they are different objects.
    api.emulator
        .put_object(REPO, FEATURE, DEFAULT_OBJECT_PATH, "main's version");
    api.emulator.commit(REPO, FEATURE, "take main's version");
    expect_failure(
        &merge(&api, &id).await,
        StatusCode::CONFLICT,
        "conflict found",
    );

    // With the feature's change reset away, it merges (protection does not block merges), and
    // main's own changes stay.
    let reset = api
        .call(
            http::Method::PUT,
            &format!("/repositories/{REPO}/branches/{FEATURE}/hard_reset?ref={FEATURE}~2"),
            None,
        )
        .await;
    expect(&reset, StatusCode::NO_CONTENT);
    api.emulator.protect_branch(REPO, MAIN, true);
    let response = merge(&api, &id).await;
    expect(&response, StatusCode::OK);
    assert_eq!(
        api.emulator
            .object(REPO, MAIN, DEFAULT_OBJECT_PATH)
            .unwrap(),
        "main's version"
    );
    assert!(api.emulator.object(REPO, MAIN, "wip.txt").is_some());
    assert!(api
        .emulator
        .object(REPO, MAIN, DEFAULT_FEATURE_OBJECT_PATH)
        .is_some());

    // The reverse direction now has main's changes to bring over.
    expect(&merge(&api, &nothing).await, StatusCode::OK);
    assert!(api.emulator.object(REPO, FEATURE, "wip.txt").is_some());
    expect_failure(
        &merge(&api, "00000000000000000000").await,
        StatusCode::NOT_FOUND,
        "pull request not found",
    );
    expect(
        &merge(&api.anonymous(), &id).await,
        StatusCode::UNAUTHORIZED,
    );
}
