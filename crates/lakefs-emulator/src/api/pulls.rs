//! Pull requests (lakeFS v1.35.0+; `pkg/api/controller.go:5846-6039`,
//! `pkg/catalog/catalog.go:3340-3504`): list, create, get, update, merge.

use bytes::Bytes;
use http::{Request, StatusCode};
use lakefs_models::{
    MergeResult, Pagination, PullRequest, PullRequestBasic, PullRequestCreation,
    PullRequestCreationResponse, PullRequestStatus,
};
use serde::Serialize;

use super::merge::merge_branches;
use super::{body, empty, fail, json, Answer, Failure, Query};
use crate::clock;
use crate::emulator::Emulator;
use crate::model::{Repository, State};

/// The page size lakeFS reports for pull-request lists (`controller.go:6180-6198`).
const MAX_PER_PAGE: i64 = 1000;

/// Pull-request ids are xids; anything else is a 400 (`pkg/graveler/validate.go:83-95`).
fn check_id(id: &str) -> Result<(), Failure> {
    if crate::xid::decode(id).is_some() {
        Ok(())
    } else {
        Err(fail(
            StatusCode::BAD_REQUEST,
            "argument pullRequestID: pull request id: invalid value: validation error",
        ))
    }
}

/// lakeFS branch ids: `^\w[-\w]*$` (`pkg/graveler/validate.go`).
fn check_branch_name(argument: &str, name: &str) -> Result<(), Failure> {
    let word = |c: char| c.is_alphanumeric() || c == '_';
    let mut chars = name.chars();
    if chars.next().is_some_and(word) && chars.all(|c| word(c) || c == '-') {
        Ok(())
    } else {
        Err(fail(
            StatusCode::BAD_REQUEST,
            format!("argument {argument}: branch id: invalid value: validation error"),
        ))
    }
}

fn repo_mut<'a>(state: &'a mut State, name: &str) -> Result<&'a mut Repository, Failure> {
    state
        .repositories
        .get_mut(name)
        .ok_or_else(|| fail(StatusCode::NOT_FOUND, "repository not found"))
}

fn pull_not_found() -> Failure {
    fail(StatusCode::NOT_FOUND, "pull request not found")
}

/// A `listPullRequests` item as lakeFS writes it: `apigen.PullRequest` with `Description` and
/// `MergedCommitId` nil, which `omitempty` leaves out (`pkg/api/controller.go`,
/// `ListPullRequests`). [`PullRequest`] always serializes `description`, so the list has its
/// own shape.
#[derive(Serialize)]
struct ListedPullRequest<'a> {
    id: &'a str,
    status: &'a PullRequestStatus,
    title: &'a str,
    creation_date: &'a str,
    author: &'a str,
    source_branch: &'a str,
    destination_branch: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    closed_date: Option<&'a str>,
}

impl<'a> From<&'a PullRequest> for ListedPullRequest<'a> {
    fn from(pull: &'a PullRequest) -> Self {
        Self {
            id: &pull.id,
            status: &pull.status,
            title: &pull.title,
            creation_date: &pull.creation_date,
            author: &pull.author,
            source_branch: &pull.source_branch,
            destination_branch: &pull.destination_branch,
            closed_date: pull.closed_date.as_deref(),
        }
    }
}

/// `PullRequestsList` with [`ListedPullRequest`] items.
#[derive(Serialize)]
struct ListedPullRequests<'a> {
    pagination: Pagination,
    results: Vec<ListedPullRequest<'a>>,
}

impl Emulator {
    /// `listPullRequests`: validator (400: `amount` in -1..=1000, `status` one of
    /// open/closed/all); unknown repository → 404. `status=open` lists open ones; **`closed`
    /// lists closed and merged ones**; `all` or absent lists all. Ordered by id, which is
    /// newest first (ids carry `year3000 − now`); `prefix` matches ids, `after` is exclusive;
    /// filtered-out ones do not count toward `amount` (absent or ≤ 0 → 100). Pagination
    /// reports `max_per_page` 1000.
    ///
    /// Items carry **no `description` key at all** and never `merged_commit_id`, exactly as
    /// lakeFS's list does: `ListPullRequests` (`pkg/api/controller.go:5863-5880`) builds each
    /// item with `Description: nil` ("to maintain permissions requirements") and
    /// `MergedCommitId: nil`, and the generated `apigen.PullRequestBasic`
    /// (`pkg/api/apigen/lakefs.gen.go`) tags `description` `omitempty`, so the key is left
    /// out, although the spec's `PullRequest` requires it. `status` and `title` are always
    /// present (`swag.String`, even for an empty title); `closed_date` when set.
    /// `getPullRequest` does send `description` (`""` when empty). Clients that require the
    /// field fail on this list, as they do against lakeFS (the official Python SDK 1.88,
    /// treeverse/lakeFS#9760).
    pub(super) fn list_pull_requests(
        &self,
        repository: &str,
        query: &Query,
    ) -> Result<Answer, Failure> {
        let prefix = query.get("prefix").unwrap_or("");
        let after = query.get("after").unwrap_or("");
        let amount = query.integer("amount")?;
        if amount.is_some_and(|a| !(-1..=1000).contains(&a)) {
            return Err(fail(
                StatusCode::BAD_REQUEST,
                "parameter \"amount\" in query has an error: number must be between -1 and 1000",
            ));
        }
        let status = query.get("status").unwrap_or("all");
        let wanted: fn(&PullRequestStatus) -> bool = match status {
            "all" => |_| true,
            "open" => |s| *s == PullRequestStatus::Open,
            "closed" => |s| matches!(s, PullRequestStatus::Closed | PullRequestStatus::Merged),
            other => {
                return Err(fail(
                    StatusCode::BAD_REQUEST,
                    format!("parameter \"status\" in query has an error: value is not one of the allowed values [\"open\",\"closed\",\"all\"] (value {other:?})"),
                ))
            }
        };
        let amount = match amount {
            Some(a) if a > 0 => usize::try_from(a.min(1000)).unwrap_or(1000),
            _ => 100,
        };
        let mut state = self.lock();
        let repo = repo_mut(&mut state, repository)?;
        let mut matching = repo
            .pulls
            .values()
            .filter(|p| p.id.starts_with(prefix) && p.id.as_str() > after && wanted(&p.status));
        let results: Vec<ListedPullRequest<'_>> = matching
            .by_ref()
            .take(amount)
            .map(ListedPullRequest::from)
            .collect();
        let has_more = matching.next().is_some();
        let next_offset = if has_more {
            results.last().map(|p| p.id.to_owned()).unwrap_or_default()
        } else {
            String::new()
        };
        let count = i64::try_from(results.len()).unwrap_or(i64::MAX);
        Ok(json(
            StatusCode::OK,
            &ListedPullRequests {
                pagination: Pagination::new(has_more, next_offset, count, MAX_PER_PAGE),
                results,
            },
        ))
    }

    /// `createPullRequest`: validator (400: `title`, `source_branch`, `destination_branch`
    /// required; an empty title is fine); branch names must be valid ids (400); source ==
    /// destination → 400 `source and destination branches are the same: same branch
    /// validation error`; unknown repository → 404; unknown source, then destination → 404
    /// `branch not found` (only branches; no protection or read-only check). There is no
    /// duplicate check: a second pull request for the same pair is created too. The new one
    /// is open, its author the caller (lakeFS: email if set, else username), its id an xid.
    /// Answers 201 `{"id": …}`.
    pub(super) fn create_pull_request(
        &self,
        repository: &str,
        author: &str,
        request: &Request<Bytes>,
    ) -> Result<Answer, Failure> {
        let creation: PullRequestCreation = body(request)?;
        check_branch_name("destination_branch", &creation.destination_branch)?;
        check_branch_name("source_branch", &creation.source_branch)?;
        if creation.source_branch == creation.destination_branch {
            return Err(fail(
                StatusCode::BAD_REQUEST,
                "source and destination branches are the same: same branch validation error",
            ));
        }
        let mut state = self.lock();
        let id = state.new_pull_request_id();
        let created = clock::rfc3339(state.now());
        let repo = repo_mut(&mut state, repository)?;
        for branch in [&creation.source_branch, &creation.destination_branch] {
            if !repo.branches.contains_key(branch) {
                return Err(fail(StatusCode::NOT_FOUND, "branch not found"));
            }
        }
        let mut pull = PullRequest::new(
            id.clone(),
            creation.title,
            author,
            creation.source_branch,
            creation.destination_branch,
            created,
        );
        pull.description = creation.description.unwrap_or_default();
        repo.pulls.insert(id.clone(), pull);
        Ok(json(
            StatusCode::CREATED,
            &PullRequestCreationResponse::new(id),
        ))
    }

    /// `getPullRequest`: an id that is not an xid → 400; unknown repository → 404; unknown
    /// id (or another repository's) → 404 `pull request not found`.
    pub(super) fn get_pull_request(&self, repository: &str, id: &str) -> Result<Answer, Failure> {
        check_id(id)?;
        let mut state = self.lock();
        let repo = repo_mut(&mut state, repository)?;
        let pull = repo.pulls.get(id).ok_or_else(pull_not_found)?;
        Ok(json(StatusCode::OK, pull))
    }

    /// `updatePullRequest`: validator (400: `status` one of open/closed/merged); bad id → 400;
    /// unknown repository or pull request → 404. Each field present replaces the old value.
    /// **No transition rules** (`graveler.go:3744-3786`): open ↔ closed, and even `merged`
    /// (which merges nothing and sets no `merged_commit_id`), are all accepted, merged ones
    /// included. `closed_date` becomes now whenever the new status is closed or merged;
    /// reopening keeps it. Success is **204**, though the spec declares 200
    /// (`controller.go:5976`).
    pub(super) fn update_pull_request(
        &self,
        repository: &str,
        id: &str,
        request: &Request<Bytes>,
    ) -> Result<Answer, Failure> {
        let update: PullRequestBasic = body(request)?;
        if let Some(PullRequestStatus::Other(other)) = &update.status {
            return Err(fail(
                StatusCode::BAD_REQUEST,
                format!("request body has an error: doesn't match schema: Error at \"/status\": value is not one of the allowed values [\"open\",\"closed\",\"merged\"] (value {other:?})"),
            ));
        }
        check_id(id)?;
        let mut state = self.lock();
        let now = clock::rfc3339(state.now());
        let repo = repo_mut(&mut state, repository)?;
        let pull = repo.pulls.get_mut(id).ok_or_else(pull_not_found)?;
        if let Some(title) = update.title {
            pull.title = title;
        }
        if let Some(description) = update.description {
            pull.description = description;
        }
        if let Some(status) = update.status {
            if matches!(
                status,
                PullRequestStatus::Closed | PullRequestStatus::Merged
            ) {
                pull.closed_date = Some(now);
            }
            pull.status = status;
        }
        Ok(empty(StatusCode::NO_CONTENT))
    }

    /// `mergePullRequest`: bad id → 400; unknown repository or pull request → 404 (looked up
    /// before authorization); not open (closed *or* merged) → **400 `bad pull request
    /// status`**; then the merge of the source branch's head into the destination
    /// ([`merge_branches`]: 403 read-only, 400 dirty destination or no changes, 409 conflict).
    /// The pull request becomes merged with `merged_commit_id` and `closed_date`. Answers
    /// 200 `{"reference": <merge commit id>}`; a repeat answers 400, not the reference.
    pub(super) fn merge_pull_request(
        &self,
        repository: &str,
        id: &str,
        committer: &str,
    ) -> Result<Answer, Failure> {
        check_id(id)?;
        let mut state = self.lock();
        let now = clock::rfc3339(state.now());
        let repo = repo_mut(&mut state, repository)?;
        let pull = repo.pulls.get(id).ok_or_else(pull_not_found)?;
        if pull.status != PullRequestStatus::Open {
            return Err(fail(StatusCode::BAD_REQUEST, "bad pull request status"));
        }
        let (source, destination) = (pull.source_branch.clone(), pull.destination_branch.clone());
        let commit = merge_branches(&mut state, repository, &source, &destination, committer)?;
        if let Some(pull) = repo_mut(&mut state, repository)?.pulls.get_mut(id) {
            pull.status = PullRequestStatus::Merged;
            pull.merged_commit_id = Some(commit.clone());
            pull.closed_date = Some(now);
        }
        Ok(json(StatusCode::OK, &MergeResult::new(commit)))
    }
}
