//! `getRepository` and `listRepositories` (lakeFS `pkg/api/controller.go:2186-2248`,
//! `:2494-2519`; `pkg/catalog/catalog.go:592-738`).

use http::StatusCode;
use serde::Serialize;

use super::listing::page;
use super::names::repository;
use super::{json, Answer, Failure, Query};
use crate::emulator::Emulator;
use crate::model::{Repository, State};

/// A repository as lakeFS answers it (schema `Repository`): `storage_id` (`""` on a server
/// with one blockstore) and `read_only` always present.
#[derive(Debug, Serialize)]
struct RepositoryJson<'a> {
    id: &'a str,
    creation_date: i64,
    default_branch: &'a str,
    storage_namespace: String,
    storage_id: &'static str,
    read_only: bool,
}

/// The answer for repository `id`.
fn repository_json<'a>(state: &State, id: &'a str, repo: &'a Repository) -> RepositoryJson<'a> {
    RepositoryJson {
        id,
        creation_date: repo.creation_date,
        default_branch: &repo.default_branch,
        storage_namespace: state.namespace(id),
        storage_id: "",
        read_only: repo.read_only,
    }
}

impl Emulator {
    /// `getRepository`: invalid name → 400 `argument repository: repository id: invalid
    /// value: validation error`; missing → 404 `repository not found`.
    pub(super) fn get_repository(&self, name: &str) -> Result<Answer, Failure> {
        let state = self.lock();
        let repo = repository(&state, name)?;
        Ok(json(StatusCode::OK, &repository_json(&state, name, repo)))
    }

    /// `listRepositories`: by id (byte order), `prefix`, `after` (exclusive), `search` (a
    /// substring), `amount`.
    pub(super) fn list_repositories(&self, query: &Query) -> Result<Answer, Failure> {
        let amount = query.amount()?;
        let (prefix, after, search) = (
            query.text("prefix"),
            query.text("after"),
            query.text("search"),
        );
        let state = self.lock();
        let mut ids: Vec<&String> = state
            .repositories
            .keys()
            .filter(|id| id.starts_with(prefix) && id.as_str() > after && id.contains(search))
            .collect();
        ids.sort();
        let results: Vec<RepositoryJson<'_>> = ids
            .into_iter()
            .take(amount + 1)
            .filter_map(|id| Some(repository_json(&state, id, state.repositories.get(id)?)))
            .collect();
        Ok(json(StatusCode::OK, &page(results, amount, |r| r.id)))
    }
}
