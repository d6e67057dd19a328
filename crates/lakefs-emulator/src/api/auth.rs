//! Authentication: access keys (basic), STS tokens (bearer) and session cookies.

use base64::Engine as _;
use bytes::Bytes;
use http::{header, Request, StatusCode};

use super::{fail, Failure};
use crate::emulator::Emulator;

impl Emulator {
    /// The user the request authenticates as, or a 401.
    pub(super) fn authenticate(&self, request: &Request<Bytes>) -> Result<String, Failure> {
        let unauthorized = || fail(StatusCode::UNAUTHORIZED, "error authenticating request");
        let state = self.lock();
        let headers = request.headers();
        if let Some(value) = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
        {
            if let Some(encoded) = value.strip_prefix("Basic ") {
                let decoded = base64::engine::general_purpose::STANDARD
                    .decode(encoded.trim())
                    .map_err(|_| unauthorized())?;
                let pair = String::from_utf8(decoded).map_err(|_| unauthorized())?;
                let (key, secret) = pair.split_once(':').ok_or_else(unauthorized)?;
                return match state.access_keys.get(key) {
                    Some((expected, user)) if expected == secret => Ok(user.clone()),
                    _ => Err(unauthorized()),
                };
            }
            if let Some(token) = value.strip_prefix("Bearer ") {
                return match state.tokens.get(token.trim()) {
                    Some((user, expires)) if *expires > state.now() => Ok(user.clone()),
                    _ => Err(unauthorized()),
                };
            }
            return Err(unauthorized());
        }
        if let Some(cookies) = headers.get(header::COOKIE).and_then(|v| v.to_str().ok()) {
            for cookie in cookies.split(';') {
                if let Some((name, value)) = cookie.trim().split_once('=') {
                    if matches!(
                        name,
                        "internal_auth_session" | "oidc_auth_session" | "saml_auth_session"
                    ) {
                        if let Some(user) = state.session_cookies.get(value) {
                            return Ok(user.clone());
                        }
                    }
                }
            }
        }
        Err(unauthorized())
    }
}
