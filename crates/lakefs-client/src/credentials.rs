//! The five security schemes of the spec.

use std::fmt;

use base64::Engine as _;
use http::header::{HeaderValue, AUTHORIZATION, COOKIE};
use http::HeaderMap;

use crate::Error;

/// A string that never shows itself in `Debug` or `Display`.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretString(String);

impl SecretString {
    /// Wraps a secret.
    #[must_use]
    pub fn new(secret: impl Into<String>) -> Self {
        Self(secret.into())
    }

    /// The secret itself. Call it only where the secret is put on the wire.
    #[must_use]
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl fmt::Display for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl From<String> for SecretString {
    fn from(secret: String) -> Self {
        Self(secret)
    }
}

impl From<&str> for SecretString {
    fn from(secret: &str) -> Self {
        Self(secret.to_owned())
    }
}

/// Which session cookie a [`Credentials::Cookie`] is sent as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CookieScheme {
    /// `cookie_auth`: cookie `internal_auth_session` (lakeFS's own UI login).
    Internal,
    /// `oidc_auth`: cookie `oidc_auth_session`.
    Oidc,
    /// `saml_auth`: cookie `saml_auth_session`.
    Saml,
}

impl CookieScheme {
    /// The cookie's name, as the spec declares it.
    #[must_use]
    pub const fn cookie_name(self) -> &'static str {
        match self {
            Self::Internal => "internal_auth_session",
            Self::Oidc => "oidc_auth_session",
            Self::Saml => "saml_auth_session",
        }
    }

    /// The spec's name for the security scheme.
    #[must_use]
    pub const fn scheme_name(self) -> &'static str {
        match self {
            Self::Internal => "cookie_auth",
            Self::Oidc => "oidc_auth",
            Self::Saml => "saml_auth",
        }
    }
}

/// How the client authenticates: one of the spec's five security schemes, or none.
///
/// `Debug` never shows a secret.
///
/// ```
/// use lakefs_client::Credentials;
///
/// let credentials = Credentials::basic("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG");
/// assert!(!format!("{credentials:?}").contains("wJalr"));
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Credentials {
    /// Send no credentials (only `stsLogin` works this way).
    #[default]
    None,
    /// `basic_auth`: an access key id and its secret access key.
    Basic {
        /// The access key id (not secret; shown in `Debug`).
        access_key_id: String,
        /// The secret access key.
        secret_access_key: SecretString,
    },
    /// `jwt_token`: a JWT sent as `Authorization: Bearer`, for example from `stsLogin`.
    Bearer(SecretString),
    /// `cookie_auth`, `oidc_auth` or `saml_auth`: a session cookie.
    Cookie {
        /// Which cookie.
        scheme: CookieScheme,
        /// Its value.
        value: SecretString,
    },
}

impl Credentials {
    /// `basic_auth` with an access key pair.
    #[must_use]
    pub fn basic(access_key_id: impl Into<String>, secret_access_key: impl Into<String>) -> Self {
        Self::Basic {
            access_key_id: access_key_id.into(),
            secret_access_key: SecretString::new(secret_access_key),
        }
    }

    /// `jwt_token` with a bearer token.
    #[must_use]
    pub fn bearer(token: impl Into<String>) -> Self {
        Self::Bearer(SecretString::new(token))
    }

    /// A session cookie of the given scheme.
    #[must_use]
    pub fn cookie(scheme: CookieScheme, value: impl Into<String>) -> Self {
        Self::Cookie {
            scheme,
            value: SecretString::new(value),
        }
    }

    /// The spec's name of the security scheme used, if any.
    #[must_use]
    pub fn scheme_name(&self) -> Option<&'static str> {
        match self {
            Self::None => None,
            Self::Basic { .. } => Some("basic_auth"),
            Self::Bearer(_) => Some("jwt_token"),
            Self::Cookie { scheme, .. } => Some(scheme.scheme_name()),
        }
    }

    /// The header these credentials travel in, ready to send, marked sensitive so that
    /// `http`'s own `Debug` hides it.
    pub(crate) fn header(&self) -> Result<Option<(http::HeaderName, HeaderValue)>, Error> {
        let (name, text) = match self {
            Self::None => return Ok(None),
            Self::Basic {
                access_key_id,
                secret_access_key,
            } => {
                let pair = format!("{access_key_id}:{}", secret_access_key.expose());
                let encoded = base64::engine::general_purpose::STANDARD.encode(pair);
                (AUTHORIZATION, format!("Basic {encoded}"))
            }
            Self::Bearer(token) => (AUTHORIZATION, format!("Bearer {}", token.expose())),
            Self::Cookie { scheme, value } => (
                COOKIE,
                format!("{}={}", scheme.cookie_name(), value.expose()),
            ),
        };
        let mut value = HeaderValue::from_str(&text).map_err(|_| {
            Error::invalid_credentials(
                "credentials contain characters not allowed in an HTTP header",
            )
        })?;
        value.set_sensitive(true);
        Ok(Some((name, value)))
    }

    /// Adds the credentials' header to `headers`.
    pub(crate) fn apply(&self, headers: &mut HeaderMap) -> Result<(), Error> {
        if let Some((name, value)) = self.header()? {
            headers.insert(name, value);
        }
        Ok(())
    }
}
