//! Redaction of secrets for `Debug` output.

use std::fmt;

/// Returns `url` without its query string and fragment, which is where a presigned URL carries
/// its signature and credentials. A `?<redacted>` marker shows that something was removed.
///
/// ```
/// assert_eq!(
///     lakefs_models::redact_url("https://b.s3.amazonaws.com/k?X-Amz-Signature=abc"),
///     "https://b.s3.amazonaws.com/k?<redacted>",
/// );
/// assert_eq!(lakefs_models::redact_url("https://host/k"), "https://host/k");
/// ```
#[must_use]
pub fn redact_url(url: &str) -> String {
    match url.find(['?', '#']) {
        Some(at) => format!("{}?<redacted>", &url[..at]),
        None => url.to_owned(),
    }
}

/// `Debug` helper that prints a URL with its query string redacted.
pub(crate) struct RedactedUrl<'a>(pub(crate) &'a str);

impl fmt::Debug for RedactedUrl<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&redact_url(self.0), f)
    }
}

/// `Debug` helper that prints a placeholder instead of a secret value.
pub(crate) struct Secret;

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}
