use std::fmt;

use serde::{Deserialize, Serialize};

use crate::redact::Secret;

/// Request body of `stsLogin` (schema `StsAuthRequest`).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StsAuthRequest {
    /// Authorization code from the identity provider.
    pub code: String,
    /// State value from the identity provider flow.
    pub state: String,
    /// Redirect URI used in the identity provider flow.
    pub redirect_uri: String,
    /// Token lifetime in seconds. The server defaults to 3600 and caps it at 43200 (12 h).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttl_seconds: Option<i64>,
}

impl StsAuthRequest {
    /// A login request with the server's default token lifetime.
    #[must_use]
    pub fn new(
        code: impl Into<String>,
        state: impl Into<String>,
        redirect_uri: impl Into<String>,
    ) -> Self {
        Self {
            code: code.into(),
            state: state.into(),
            redirect_uri: redirect_uri.into(),
            ttl_seconds: None,
        }
    }

    /// Asks for a token valid for `ttl_seconds` (the server caps it at 43200).
    #[must_use]
    pub fn with_ttl_seconds(mut self, ttl_seconds: i64) -> Self {
        self.ttl_seconds = Some(ttl_seconds);
        self
    }
}

impl fmt::Debug for StsAuthRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StsAuthRequest")
            .field("code", &Secret)
            .field("state", &Secret)
            .field("redirect_uri", &self.redirect_uri)
            .field("ttl_seconds", &self.ttl_seconds)
            .finish()
    }
}

/// Answer of `stsLogin` (schema `AuthenticationToken`).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthenticationToken {
    /// A JWT to send as `Authorization: Bearer <token>`.
    pub token: String,
    /// When the token expires, in Unix seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_expiration: Option<i64>,
}

impl fmt::Debug for AuthenticationToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthenticationToken")
            .field("token", &Secret)
            .field("token_expiration", &self.token_expiration)
            .finish()
    }
}
