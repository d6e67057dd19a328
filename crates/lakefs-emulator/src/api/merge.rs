//! Merging one branch into another, as `mergePullRequest` does through graveler
//! (`pkg/catalog/catalog.go:2062-2098`, `pkg/graveler/graveler.go:3115-3231`).

use std::collections::{BTreeMap, BTreeSet, HashSet, VecDeque};

use http::StatusCode;

use super::{fail, Failure};
use crate::model::{Commit, ObjectEntry, Repository, State};

/// `start` and its ancestors, nearest first.
fn ancestors(repo: &Repository, start: &str) -> Vec<String> {
    let mut seen = HashSet::new();
    let mut order = Vec::new();
    let mut queue = VecDeque::from([start.to_owned()]);
    while let Some(commit) = queue.pop_front() {
        if !seen.insert(commit.clone()) {
            continue;
        }
        if let Some(c) = repo.commits.get(&commit) {
            queue.extend(c.parents.iter().cloned());
        }
        order.push(commit);
    }
    order
}

/// Two versions of a path are the same object when their stats are (the address is unique
/// per write; a metadata update changes the stats too).
fn same(a: Option<&ObjectEntry>, b: Option<&ObjectEntry>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => a.stats == b.stats,
        (None, None) => true,
        _ => false,
    }
}

/// Merges the head commit of `source` into `destination` with a new commit (two parents:
/// destination, source; lakeFS always makes one) and returns its id. The commit is
/// `committer`'s, with lakeFS's default message `Merge '<source>' into '<destination>'` and
/// metadata `.lakefs.merge.strategy: default` (`pkg/catalog/catalog.go:2071-2073`,
/// `pkg/graveler/graveler.go:3185-3200`); its generation is one more than the higher
/// parent's. As graveler: read-only repository → 403; unknown branch → 404; destination with
/// uncommitted changes → 400 `uncommitted changes (dirty branch)`; nothing new on the source
/// since the merge base → 400 `no changes`; a path changed differently on both sides → 409
/// `conflict found` (strategy none: nothing is resolved). Branch protection does not block
/// merges, and the source's uncommitted changes are not merged.
pub(super) fn merge_branches(
    state: &mut State,
    repository: &str,
    source: &str,
    destination: &str,
    committer: &str,
) -> Result<String, Failure> {
    let id = state.new_commit_id();
    let now = state.now();
    let repo = state
        .repositories
        .get_mut(repository)
        .ok_or_else(|| fail(StatusCode::NOT_FOUND, "repository not found"))?;
    if repo.read_only {
        return Err(fail(StatusCode::FORBIDDEN, "read-only repository"));
    }
    let branch_not_found = || fail(StatusCode::NOT_FOUND, "branch not found");
    let source_head = repo
        .branches
        .get(source)
        .ok_or_else(branch_not_found)?
        .head
        .clone();
    let target = repo
        .branches
        .get(destination)
        .ok_or_else(branch_not_found)?;
    if target.dirty || !target.staged.is_empty() {
        return Err(fail(
            StatusCode::BAD_REQUEST,
            "uncommitted changes (dirty branch)",
        ));
    }
    let destination_head = target.head.clone();
    let destination_ancestors: HashSet<String> =
        ancestors(repo, &destination_head).into_iter().collect();
    let base = ancestors(repo, &source_head)
        .into_iter()
        .find(|c| destination_ancestors.contains(c));
    let empty = BTreeMap::new();
    let tree = |commit: Option<&String>| {
        commit
            .and_then(|c| repo.commits.get(c))
            .map_or(&empty, |c| &c.tree)
    };
    let (base_tree, source_tree, destination_tree) = (
        tree(base.as_ref()),
        tree(Some(&source_head)),
        tree(Some(&destination_head)),
    );
    let paths: BTreeSet<&String> = base_tree.keys().chain(source_tree.keys()).collect();
    let changes: Vec<(&String, Option<&ObjectEntry>)> = paths
        .into_iter()
        .filter(|p| !same(base_tree.get(*p), source_tree.get(*p)))
        .map(|p| (p, source_tree.get(p)))
        .collect();
    if changes.is_empty() {
        return Err(fail(
            StatusCode::BAD_REQUEST,
            format!("merge '{source}' into '{destination}': no changes"),
        ));
    }
    let conflict = changes.iter().any(|(path, theirs)| {
        let ours = destination_tree.get(*path);
        !same(ours, base_tree.get(*path)) && !same(ours, *theirs)
    });
    if conflict {
        return Err(fail(StatusCode::CONFLICT, "conflict found"));
    }
    let mut merged = destination_tree.clone();
    for (path, theirs) in changes {
        match theirs {
            Some(entry) => merged.insert(path.clone(), entry.clone()),
            None => merged.remove(path),
        };
    }
    let generation = |commit: &String| repo.commits.get(commit).map_or(0, |c| c.generation);
    let commit = Commit {
        generation: generation(&destination_head).max(generation(&source_head)) + 1,
        parents: vec![destination_head, source_head],
        tree: merged,
        committer: committer.to_owned(),
        message: format!("Merge '{source}' into '{destination}'"),
        creation_date: now,
        metadata: BTreeMap::from([(".lakefs.merge.strategy".into(), "default".into())]),
    };
    repo.add_commit(destination, id.clone(), commit);
    Ok(id)
}
