//! External principals: attach, detach, get, list.

use http::StatusCode;
use lakefs_models::{ExternalPrincipal, ExternalPrincipalList, Pagination};

use super::{empty, fail, json, not_implemented, Answer, Failure, Query};
use crate::emulator::Emulator;
use crate::model::Support;

impl Emulator {
    /// 501 unless the server runs an RBAC auth service with external principals enabled
    /// (`pkg/api/controller.go:6465-6468`); open-source lakeFS always says no.
    pub(super) fn principals_supported(&self) -> Result<(), Failure> {
        match self.lock().external_principals {
            Support::Enabled => Ok(()),
            Support::NotImplemented => Err(not_implemented("external principals")),
        }
    }

    pub(super) fn attach_principal(&self, user: &str, query: &Query) -> Result<Answer, Failure> {
        let principal = query.required("principalId")?;
        self.principals_supported()?;
        // The request body (ExternalPrincipalCreation) is ignored, as by the real server.
        let mut state = self.lock();
        if !state.users.contains_key(user) {
            return Err(fail(
                StatusCode::NOT_FOUND,
                format!("user '{user}' not found"),
            ));
        }
        if state.principals.contains_key(principal) {
            return Err(fail(
                StatusCode::CONFLICT,
                "external principal already attached",
            ));
        }
        state
            .principals
            .insert(principal.to_owned(), user.to_owned());
        Ok(empty(StatusCode::CREATED))
    }

    pub(super) fn detach_principal(&self, user: &str, query: &Query) -> Result<Answer, Failure> {
        let principal = query.required("principalId")?;
        self.principals_supported()?;
        let mut state = self.lock();
        match state.principals.get(principal) {
            Some(owner) if owner == user => {
                state.principals.remove(principal);
                Ok(empty(StatusCode::NO_CONTENT))
            }
            _ => Err(fail(StatusCode::NOT_FOUND, "external principal not found")),
        }
    }

    pub(super) fn get_principal(&self, query: &Query) -> Result<Answer, Failure> {
        let principal = query.required("principalId")?;
        self.principals_supported()?;
        let state = self.lock();
        let user = state
            .principals
            .get(principal)
            .ok_or_else(|| fail(StatusCode::NOT_FOUND, "external principal not found"))?;
        Ok(json(
            StatusCode::OK,
            &ExternalPrincipal::new(principal, user.clone()),
        ))
    }

    pub(super) fn list_principals(&self, user: &str, query: &Query) -> Result<Answer, Failure> {
        let prefix = query.get("prefix").unwrap_or("");
        let after = query.get("after").unwrap_or("");
        let amount = query.integer("amount")?;
        if amount.is_some_and(|a| !(-1..=1000).contains(&a)) {
            return Err(fail(
                StatusCode::BAD_REQUEST,
                "parameter \"amount\" in query has an error: number must be between -1 and 1000",
            ));
        }
        self.principals_supported()?;
        // amount absent or ≤ 0 → 100; > 1000 → 1000 (the validator already refuses > 1000).
        let amount = match amount {
            Some(a) if a > 0 => usize::try_from(a.min(1000)).unwrap_or(1000),
            _ => 100,
        };
        let state = self.lock();
        if !state.users.contains_key(user) {
            return Err(fail(
                StatusCode::NOT_FOUND,
                format!("user '{user}' not found"),
            ));
        }
        let mut matching = state.principals.iter().filter(|(id, owner)| {
            owner.as_str() == user && id.starts_with(prefix) && id.as_str() > after
        });
        let results: Vec<ExternalPrincipal> = matching
            .by_ref()
            .take(amount)
            .map(|(id, owner)| ExternalPrincipal::new(id.clone(), owner.clone()))
            .collect();
        let has_more = matching.next().is_some();
        let next_offset = if has_more {
            results.last().map(|p| p.id.clone()).unwrap_or_default()
        } else {
            String::new()
        };
        Ok(json(
            StatusCode::OK,
            &ExternalPrincipalList::new(
                Pagination::new(
                    has_more,
                    next_offset,
                    i64::try_from(results.len()).unwrap_or(i64::MAX),
                    0,
                ),
                results,
            ),
        ))
    }
}
