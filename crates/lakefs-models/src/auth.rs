use std::fmt;

use serde::{Deserialize, Serialize};

use crate::redact::Secret;

/// Request body of `stsLogin` (schema `StsAuthRequest`).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
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
#[non_exhaustive]
pub struct AuthenticationToken {
    /// A JWT to send as `Authorization: Bearer <token>`.
    pub token: String,
    /// When the token expires, in Unix seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_expiration: Option<i64>,
}

impl AuthenticationToken {
    /// A token, with its expiry in Unix seconds when known.
    #[must_use]
    pub fn new(token: impl Into<String>, token_expiration: Option<i64>) -> Self {
        Self {
            token: token.into(),
            token_expiration,
        }
    }
}

impl fmt::Debug for AuthenticationToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthenticationToken")
            .field("token", &Secret)
            .field("token_expiration", &self.token_expiration)
            .finish()
    }
}

/// Request body of `externalPrincipalLogin` (schema `ExternalLoginInformation`).
///
/// `identityRequest` is whatever the server's external authenticator expects; for AWS IAM it
/// is a presigned `sts:GetCallerIdentity` request (method, URL and signed headers), which is a
/// credential while it is valid. `Debug` therefore shows only its keys.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ExternalLoginInformation {
    /// Requested lifetime of the token, in seconds (the server applies its own default and cap).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_expiration_duration: Option<i64>,
    /// The identity request, forwarded to the external authenticator.
    #[serde(rename = "identityRequest")]
    pub identity_request: serde_json::Map<String, serde_json::Value>,
}

impl ExternalLoginInformation {
    /// A login with this identity request and the server's default token lifetime.
    #[must_use]
    pub fn new(identity_request: serde_json::Map<String, serde_json::Value>) -> Self {
        Self {
            token_expiration_duration: None,
            identity_request,
        }
    }

    /// Asks for a token valid for `seconds`.
    #[must_use]
    pub fn with_token_expiration_duration(mut self, seconds: i64) -> Self {
        self.token_expiration_duration = Some(seconds);
        self
    }
}

impl fmt::Debug for ExternalLoginInformation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let keys: Vec<&String> = self.identity_request.keys().collect();
        f.debug_struct("ExternalLoginInformation")
            .field("token_expiration_duration", &self.token_expiration_duration)
            .field("identity_request_keys", &keys)
            .finish_non_exhaustive()
    }
}
