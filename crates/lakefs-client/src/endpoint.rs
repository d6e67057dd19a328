//! The lakeFS endpoint: parsed into scheme, authority and API base path, and shown without
//! its user info or query.

use http::uri::{Authority, Scheme};
use http::Uri;

use lakefs_transport::RedactedUri;

use crate::Error;

pub(crate) fn redact_endpoint(endpoint: &str) -> String {
    endpoint
        .parse::<Uri>()
        .map(|uri| RedactedUri::new(&uri).to_string())
        .unwrap_or_else(|_| "<not a URL>".into())
}

pub(crate) fn parse_endpoint(endpoint: &str) -> Result<(Scheme, Authority, String), Error> {
    let invalid = |reason| Error::invalid_endpoint(redact_endpoint(endpoint), reason);
    let uri: Uri = endpoint
        .trim()
        .parse()
        .map_err(|_| invalid("not a valid URL"))?;
    let scheme = uri
        .scheme()
        .cloned()
        .ok_or_else(|| invalid("needs a scheme, http:// or https://"))?;
    if scheme != Scheme::HTTP && scheme != Scheme::HTTPS {
        return Err(invalid("the scheme must be http or https"));
    }
    let authority = uri
        .authority()
        .cloned()
        .ok_or_else(|| invalid("needs a host"))?;
    if authority.as_str().contains('@') {
        return Err(invalid(
            "must not carry user:password@; pass credentials with ClientBuilder::credentials",
        ));
    }
    if authority.host().is_empty() {
        return Err(invalid("needs a host"));
    }
    if uri.query().is_some() {
        return Err(invalid("must not have a query string"));
    }
    let path = uri.path().trim_end_matches('/');
    let base_path = if path.is_empty() {
        "/api/v1".to_owned()
    } else {
        path.to_owned()
    };
    Ok((scheme, authority, base_path))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base(endpoint: &str) -> Result<String, Error> {
        parse_endpoint(endpoint).map(|(s, a, p)| format!("{s}://{a}{p}"))
    }

    #[test]
    fn endpoints_with_and_without_api_path() {
        assert_eq!(
            base("http://localhost:8000").unwrap(),
            "http://localhost:8000/api/v1"
        );
        assert_eq!(
            base("http://localhost:8000/").unwrap(),
            "http://localhost:8000/api/v1"
        );
        assert_eq!(
            base("http://localhost:8000/api/v1").unwrap(),
            "http://localhost:8000/api/v1"
        );
        assert_eq!(
            base("https://lakefs.example/api/v1/").unwrap(),
            "https://lakefs.example/api/v1"
        );
        assert_eq!(
            base("https://proxy.example/lakefs/api/v1").unwrap(),
            "https://proxy.example/lakefs/api/v1"
        );
    }

    #[test]
    fn bad_endpoints_say_what_is_wrong() {
        for (endpoint, expected) in [
            ("localhost:8000", "scheme"),
            ("ftp://host", "http or https"),
            ("http://user:pw@host", "user:password@"),
            ("http://host?x=1", "query string"),
            ("not a url", "not a valid URL"),
        ] {
            let error = base(endpoint).unwrap_err().to_string();
            assert!(error.contains(expected), "{endpoint}: {error}");
            assert!(!error.contains("pw"), "{error}");
        }
    }
}
