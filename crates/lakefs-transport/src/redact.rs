use std::fmt;

use http::Uri;

/// A URI with everything secret removed: the query string (where a presigned URL carries its
/// signature and credentials) and any `user:password@` in the authority.
///
/// It is built once, when an error is made, so no later formatting can leak the original.
///
/// ```
/// use lakefs_transport::RedactedUri;
///
/// let uri: http::Uri = "https://bucket.s3.example/key?X-Amz-Signature=abc".parse().unwrap();
/// assert_eq!(RedactedUri::new(&uri).to_string(), "https://bucket.s3.example/key?<redacted>");
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct RedactedUri(String);

impl RedactedUri {
    /// Redacts `uri`.
    #[must_use]
    pub fn new(uri: &Uri) -> Self {
        let mut out = String::new();
        if let Some(scheme) = uri.scheme_str() {
            out.push_str(scheme);
            out.push_str("://");
        }
        if let Some(authority) = uri.authority() {
            // Keep host[:port] only: drop any userinfo.
            let text = authority.as_str();
            out.push_str(text.rsplit_once('@').map_or(text, |(_, host)| host));
        }
        out.push_str(uri.path());
        if uri.query().is_some() {
            out.push_str("?<redacted>");
        }
        Self(out)
    }

    /// The redacted text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl From<&Uri> for RedactedUri {
    fn from(uri: &Uri) -> Self {
        Self::new(uri)
    }
}

impl fmt::Display for RedactedUri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for RedactedUri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_query_and_userinfo() {
        let uri: Uri = "http://user:pw@host:9000/a/b%20c?sig=1&x=2"
            .parse()
            .unwrap();
        let redacted = RedactedUri::new(&uri);
        assert_eq!(redacted.as_str(), "http://host:9000/a/b%20c?<redacted>");
        assert!(!format!("{redacted:?}").contains("pw"));
    }

    #[test]
    fn keeps_uris_without_secrets() {
        let uri: Uri = "https://lakefs.example/api/v1/sts/login".parse().unwrap();
        assert_eq!(
            RedactedUri::new(&uri).as_str(),
            "https://lakefs.example/api/v1/sts/login"
        );
        let relative: Uri = "/only/a/path?q=1".parse().unwrap();
        assert_eq!(
            RedactedUri::new(&relative).as_str(),
            "/only/a/path?<redacted>"
        );
    }
}
