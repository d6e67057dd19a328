//! `stsLogin` (lakeFS `pkg/api/controller.go:857-883`, `pkg/authentication/service.go:101-126`).

use bytes::Bytes;
use http::{Request, StatusCode};
use lakefs_models::{AuthenticationToken, StsAuthRequest};

use super::{body, fail, json, not_implemented, Answer, Failure};
use crate::emulator::Emulator;
use crate::model::{State, Support};

/// A token for `user`, valid `ttl` seconds from now on the emulator's clock (zero or less: it
/// is already expired, as lakeFS would issue it), usable as `Authorization: Bearer`.
pub(super) fn issue_token(state: &mut State, user: String, ttl: i64) -> AuthenticationToken {
    let expires = state.now().saturating_add(ttl);
    let token = format!("emu.{}.{}", state.new_id("t"), fastrand::u64(..));
    state.tokens.insert(token.clone(), (user, expires));
    AuthenticationToken::new(token, Some(expires))
}

impl Emulator {
    /// 501 without an external authentication API; unknown code/state → 401; no such user →
    /// 404; `ttl_seconds` absent → 3600, capped at 43200.
    pub(super) fn sts_login(&self, request: &Request<Bytes>) -> Result<Answer, Failure> {
        let login: StsAuthRequest = body(request)?;
        let mut state = self.lock();
        if state.sts == Support::NotImplemented {
            return Err(not_implemented(
                "STS login (no external authentication API configured)",
            ));
        }
        let user = state
            .sts_logins
            .get(&(login.code.clone(), login.state.clone()))
            .cloned()
            .ok_or_else(|| {
                fail(
                    StatusCode::UNAUTHORIZED,
                    "invalid authorization code or state",
                )
            })?;
        if !state.users.contains_key(&user) {
            return Err(fail(
                StatusCode::NOT_FOUND,
                "no lakeFS user for this external identity",
            ));
        }
        let ttl = login.ttl_seconds.unwrap_or(3600).min(43_200);
        Ok(json(StatusCode::OK, &issue_token(&mut state, user, ttl)))
    }
}
