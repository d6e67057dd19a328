//! `externalPrincipalLogin` (lakeFS v1.18.0+; `pkg/api/controller.go:813-855`,
//! `pkg/authentication/service.go:129-150`).
//!
//! lakeFS forwards `identityRequest` unchanged to an external authentication service, which
//! answers the external principal it proves (lakeFS's AWS IAM client sends
//! `{"identity_token": base64(JSON of a presigned sts:GetCallerIdentity)}`). The emulator is
//! its own authentication service: identities registered with
//! [`Emulator::add_external_identity`] are matched against `identity_token` verbatim, or
//! against the `access_key_id` inside such a base64 JSON token.

use base64::Engine as _;
use bytes::Bytes;
use http::{Request, StatusCode};
use lakefs_models::ExternalLoginInformation;

use super::sts::issue_token;
use super::{body, fail, json, Answer, Failure};
use crate::emulator::Emulator;
use crate::model::State;

/// `auth.login_duration`, the default token lifetime: 7 days.
const DEFAULT_LOGIN_DURATION: i64 = 7 * 24 * 3600;
/// `auth.login_max_duration`, the cap: 14 days (`pkg/config/defaults.go:73-74`).
const MAX_LOGIN_DURATION: i64 = 14 * 24 * 3600;

/// The principal an identity token proves, as the external authentication service would.
fn principal_of<'a>(state: &'a State, token: &str) -> Option<&'a String> {
    if let Some(principal) = state.external_identities.get(token) {
        return Some(principal);
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(token.trim())
        .or_else(|_| base64::engine::general_purpose::URL_SAFE.decode(token.trim()))
        .ok()?;
    let info: serde_json::Value = serde_json::from_slice(&decoded).ok()?;
    state
        .external_identities
        .get(info.get("access_key_id")?.as_str()?)
}

impl Emulator {
    /// No authentication. Order: validator (400 when a body lacks `identityRequest`; the body
    /// itself is optional); external principals unsupported → 501; the authentication
    /// service: no `identity_token` string → 400 `invalid request`, an unknown identity → 401
    /// `invalid token format` (how lakeFS maps the service's 400 and 401); the principal
    /// attached to no user → 404. The token's lifetime is `token_expiration_duration`
    /// seconds, 7 days when absent or ≤ 0, at most 14 days (`controller.go:833-840`); the
    /// token authenticates as the principal's user.
    pub(super) fn external_principal_login(
        &self,
        request: &Request<Bytes>,
    ) -> Result<Answer, Failure> {
        let login: ExternalLoginInformation = if request.body().iter().all(u8::is_ascii_whitespace)
        {
            ExternalLoginInformation::new(serde_json::Map::new())
        } else {
            body(request)?
        };
        self.principals_supported()?;
        let mut state = self.lock();
        let token = login
            .identity_request
            .get("identity_token")
            .and_then(serde_json::Value::as_str)
            .ok_or_else(|| fail(StatusCode::BAD_REQUEST, "invalid request"))?;
        let principal = principal_of(&state, token)
            .ok_or_else(|| fail(StatusCode::UNAUTHORIZED, "invalid token format"))?
            .clone();
        let user = state
            .principals
            .get(&principal)
            .cloned()
            .ok_or_else(|| fail(StatusCode::NOT_FOUND, "external principal not found"))?;
        let ttl = match login.token_expiration_duration {
            Some(seconds) if seconds > 0 => seconds.min(MAX_LOGIN_DURATION),
            _ => DEFAULT_LOGIN_DURATION,
        };
        Ok(json(StatusCode::OK, &issue_token(&mut state, user, ttl)))
    }
}
