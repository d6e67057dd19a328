//! `logCommits` (lakeFS `pkg/api/controller.go:4751-4800`, `pkg/catalog/catalog.go:1470-1698`,
//! `pkg/graveler/ref/commit_iterator.go`): a ref's history, newest first.

use std::collections::{BinaryHeap, HashSet};

use http::StatusCode;

use super::commits::CommitJson;
use super::listing::page;
use super::names::{check_ref, check_repository, repository};
use super::{fail, json, Answer, Failure, Query};
use crate::clock;
use crate::emulator::Emulator;
use crate::model::{Commit, Repository};
use crate::refs::RefError;

/// A path filter of the log: an object's path, or a prefix.
enum PathFilter<'a> {
    Object(&'a str),
    Prefix(&'a str),
}

/// Whether `commit` changes a path the filters name, compared with its first parent.
fn touches(repo: &Repository, commit: &Commit, filters: &[PathFilter<'_>]) -> bool {
    let empty = Default::default();
    let parent = commit
        .parents
        .first()
        .and_then(|p| repo.commits.get(p))
        .map_or(&empty, |p| &p.tree);
    let differs = |path: &str| {
        let (ours, theirs) = (commit.tree.get(path), parent.get(path));
        match (ours, theirs) {
            (Some(a), Some(b)) => a.stats != b.stats,
            (None, None) => false,
            _ => true,
        }
    };
    filters.iter().any(|filter| match filter {
        PathFilter::Object(path) => differs(path),
        PathFilter::Prefix(prefix) => commit
            .tree
            .keys()
            .chain(parent.keys())
            .filter(|p| p.starts_with(prefix))
            .any(|p| differs(p)),
    })
}

/// The commits reachable from `start`, as lakeFS's commit iterator walks them: always the
/// newest `creation_date` of those whose children were emitted (ties: the larger id), each
/// once; with `first_parent` only first parents; commits older than `since` are neither
/// emitted nor walked.
fn walk<'a>(
    repo: &'a Repository,
    start: &'a str,
    first_parent: bool,
    since: Option<i64>,
) -> Vec<(&'a str, &'a Commit)> {
    let mut queue = BinaryHeap::new();
    let mut seen = HashSet::new();
    let recent = |commit: &Commit| since.is_none_or(|since| commit.creation_date >= since);
    if let Some(commit) = repo.commits.get(start) {
        if recent(commit) {
            queue.push((commit.creation_date, start));
        }
    }
    let mut out = Vec::new();
    while let Some((_, id)) = queue.pop() {
        let Some(commit) = repo.commits.get(id) else {
            continue;
        };
        out.push((id, commit));
        let parents = if first_parent {
            &commit.parents[..commit.parents.len().min(1)]
        } else {
            &commit.parents[..]
        };
        for parent in parents {
            if !seen.insert(parent.as_str()) {
                continue;
            }
            if let Some(record) = repo.commits.get(parent) {
                if recent(record) {
                    queue.push((record.creation_date, parent.as_str()));
                }
            }
        }
    }
    out
}

impl Emulator {
    /// `logCommits`: validator (400: `amount`, booleans), names (400: repository, a ref with
    /// whitespace), repository (404), the ref (404 `ref: not found`; 400 `ref: ref: invalid
    /// value: validation error` when malformed or a staging area), `stop_at` (404 `stop_at:
    /// not found`), `after` (404 `from ref: not found`; the log is skipped up to and including
    /// it, and a commit not in this history leaves nothing). Then the history newest first
    /// ([`walk`]); with `objects` / `prefixes` (empty strings dropped) only commits with one
    /// parent that change one of them — merge commits and the first commit never; stop after
    /// `amount` (`limit=true`: then `has_more` is false) or at the `stop_at` commit, which is
    /// included.
    pub(super) fn log_commits(
        &self,
        repository_name: &str,
        reference: &str,
        query: &Query,
    ) -> Result<Answer, Failure> {
        let amount = query.amount()?;
        let limit = query.boolean("limit")?.unwrap_or(false);
        let first_parent = query.boolean("first_parent")?.unwrap_or(false);
        let since = match query.text("since") {
            "" => None,
            text => Some(clock::parse_rfc3339(text).ok_or_else(|| {
                fail(
                    StatusCode::BAD_REQUEST,
                    format!("parameter \"since\" in query has an error: string \"{text}\" is not a valid date-time"),
                )
            })?),
        };
        let mut filters: Vec<PathFilter<'_>> = Vec::new();
        filters.extend(
            query
                .all("objects")
                .into_iter()
                .filter(|p| !p.is_empty())
                .map(PathFilter::Object),
        );
        filters.extend(
            query
                .all("prefixes")
                .into_iter()
                .filter(|p| !p.is_empty())
                .map(PathFilter::Prefix),
        );
        // The catalog checks the names before it looks the repository up.
        check_repository(repository_name)?;
        check_ref("ref", reference)?;
        let state = self.lock();
        let repo = repository(&state, repository_name)?;
        let commit_of = |what: &str, reference: &str| {
            repo.resolve_commit(reference).map_err(|error| match error {
                RefError::NotFound => fail(StatusCode::NOT_FOUND, format!("{what}: not found")),
                RefError::Invalid => fail(
                    StatusCode::BAD_REQUEST,
                    format!("{what}: ref: invalid value: validation error"),
                ),
            })
        };
        let start = commit_of("ref", reference)?;
        let stop_at = match query.text("stop_at") {
            "" => None,
            stop => Some(commit_of("stop_at", stop)?),
        };
        let mut history = walk(repo, &start, first_parent, since)
            .into_iter()
            .peekable();
        if let Some(after) = query.get("after").filter(|a| !a.is_empty()) {
            let from = commit_of("from ref", after)?;
            for (id, _) in history.by_ref() {
                if id == from {
                    break;
                }
            }
        }
        let mut commits = Vec::new();
        for (id, commit) in history {
            if !filters.is_empty()
                && (commit.parents.len() != 1 || !touches(repo, commit, &filters))
            {
                continue;
            }
            commits.push(CommitJson::new(id, commit));
            let found_all = (limit && commits.len() >= amount)
                || commits.len() > amount
                || stop_at.as_deref() == Some(id);
            if found_all {
                break;
            }
        }
        Ok(json(StatusCode::OK, &page(commits, amount, CommitJson::id)))
    }
}
