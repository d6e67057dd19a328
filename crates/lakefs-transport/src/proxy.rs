//! [`Proxy`]: which HTTP proxy a [`HyperTransport`](crate::HyperTransport) goes through, and
//! for which destinations.

use std::fmt;
use std::sync::Arc;

use base64::Engine as _;
use http::header::{HeaderMap, HeaderName, HeaderValue, PROXY_AUTHORIZATION};
use http::Uri;
use hyper_util::client::proxy::matcher::Matcher;

use crate::{RedactedUri, TransportError};

/// The proxy configuration of a [`HyperTransport`](crate::HyperTransport): an HTTP proxy for
/// `http://` destinations, one for `https://` destinations (often the same), the hosts that
/// bypass them, and what the proxy alone is sent (credentials, extra headers).
///
/// * `https://` destinations go through an HTTP `CONNECT` tunnel: the proxy sees the host and
///   port, never the request; TLS runs end to end through the tunnel.
/// * `http://` destinations are forwarded: the request goes to the proxy in absolute form.
/// * The proxy itself may be `http://host:port` (the usual) or `https://host:port` (TLS to
///   the proxy, verified with the transport's roots); a URL without a scheme means `http://`.
///   SOCKS proxies are not supported.
/// * Credentials (`http://user:password@proxy:3128` or [`basic_auth`](Self::basic_auth)) and
///   [`header`](Self::header)s go in the `CONNECT` request, or on forwarded requests, and
///   nowhere else. `Debug` shows neither; errors and logs never carry them.
///
/// By default a transport reads the proxy from the environment the way curl does
/// ([`Proxy::from_env`]); an explicit proxy replaces it and [`Proxy::none`] turns proxies off.
///
/// ```
/// use lakefs_transport::{HyperTransport, Proxy};
///
/// let proxy = Proxy::all("http://user:secret@proxy.corp:3128")
///     .no_proxy("localhost, .internal.corp, 10.0.0.0/8");
/// assert!(!format!("{proxy:?}").contains("secret"));
/// let transport = HyperTransport::builder().proxy(proxy).build()?;
/// # Ok::<(), lakefs_transport::TransportError>(())
/// ```
#[derive(Clone, Default)]
#[must_use]
pub struct Proxy {
    http: Option<String>,
    https: Option<String>,
    no_proxy: Option<String>,
    basic_auth: Option<(String, String)>,
    headers: HeaderMap,
    /// Read from the environment: an unusable value is ignored with a warning rather than
    /// failing the build.
    from_env: bool,
}

/// The environment variables [`Proxy::from_env`] reads, in order of preference per role.
const ENV_HTTPS: [&str; 2] = ["HTTPS_PROXY", "https_proxy"];
const ENV_HTTP: [&str; 2] = ["HTTP_PROXY", "http_proxy"];
const ENV_ALL: [&str; 2] = ["ALL_PROXY", "all_proxy"];
const ENV_NO: [&str; 2] = ["NO_PROXY", "no_proxy"];

impl Proxy {
    /// No proxy at all, whatever the environment says.
    pub fn none() -> Self {
        Self::default()
    }

    /// One proxy for every destination, `http://` and `https://`.
    pub fn all(url: impl Into<String>) -> Self {
        let url = url.into();
        Self {
            http: Some(url.clone()),
            https: Some(url),
            ..Self::default()
        }
    }

    /// A proxy for `http://` destinations only.
    pub fn http(url: impl Into<String>) -> Self {
        Self::none().with_http(url)
    }

    /// A proxy for `https://` destinations only.
    pub fn https(url: impl Into<String>) -> Self {
        Self::none().with_https(url)
    }

    /// The proxies of the environment, as curl reads them: `HTTPS_PROXY` (or `https_proxy`)
    /// for `https://` destinations, `HTTP_PROXY` (or `http_proxy`) for `http://` ones,
    /// `ALL_PROXY` for either when the specific one is unset, and `NO_PROXY` (a comma-separated
    /// list of hosts, domains with their subdomains, IP addresses or networks, or `*`) for the
    /// destinations that bypass them. Empty variables count as unset. In a CGI program
    /// (`REQUEST_METHOD` is set) `HTTP_PROXY` is ignored, since a client's `Proxy:` header
    /// would arrive in it ("httpoxy").
    ///
    /// Read once, when the transport is built. A value that is not a usable `http://` or
    /// `https://` proxy URL (a SOCKS proxy, say) is ignored with a warning.
    pub fn from_env() -> Self {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// As [`from_env`](Self::from_env), reading the variables through `lookup` (so that tests,
    /// or programs keeping their settings elsewhere, need not touch the process environment).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Self {
        let cgi = lookup("REQUEST_METHOD").is_some();
        let first = |names: [&str; 2]| {
            names
                .into_iter()
                .filter(|name| !(cgi && *name == "HTTP_PROXY"))
                .find_map(|name| lookup(name).filter(|value| !value.trim().is_empty()))
        };
        let all = first(ENV_ALL);
        Self {
            http: first(ENV_HTTP).or_else(|| all.clone()),
            https: first(ENV_HTTPS).or(all),
            no_proxy: first(ENV_NO),
            basic_auth: None,
            headers: HeaderMap::new(),
            from_env: true,
        }
    }

    /// Sends `http://` destinations through `url`.
    pub fn with_http(mut self, url: impl Into<String>) -> Self {
        self.http = Some(url.into());
        self
    }

    /// Sends `https://` destinations through `url`.
    pub fn with_https(mut self, url: impl Into<String>) -> Self {
        self.https = Some(url.into());
        self
    }

    /// The destinations that bypass the proxy, in `NO_PROXY` syntax: comma-separated hosts
    /// (`example.com` also matches its subdomains; a leading dot is allowed), IP addresses,
    /// networks (`10.0.0.0/8`), or `*` for all. Replaces any earlier list.
    pub fn no_proxy(mut self, list: impl Into<String>) -> Self {
        self.no_proxy = Some(list.into());
        self
    }

    /// Authenticates to the proxy with HTTP basic authentication (`Proxy-Authorization`),
    /// instead of any `user:password@` in the proxy URL.
    pub fn basic_auth(mut self, user: impl Into<String>, password: impl Into<String>) -> Self {
        self.basic_auth = Some((user.into(), password.into()));
        self
    }

    /// Sends this header to the proxy (in the `CONNECT` request, or on forwarded `http://`
    /// requests), as the Python client's `proxy_headers` does. The value is marked sensitive.
    pub fn header(mut self, name: HeaderName, mut value: HeaderValue) -> Self {
        value.set_sensitive(true);
        self.headers.append(name, value);
        self
    }

    /// Whether no destination goes through a proxy.
    #[must_use]
    pub fn is_none(&self) -> bool {
        self.http.is_none() && self.https.is_none()
    }

    /// Checks the configuration and prepares it for the connector. `None` when no
    /// destination goes through a proxy.
    pub(crate) fn resolve(&self) -> Result<Option<Arc<ResolvedProxy>>, TransportError> {
        let http = self.checked_url(self.http.as_deref(), "HTTP_PROXY")?;
        let https = self.checked_url(self.https.as_deref(), "HTTPS_PROXY")?;
        if http.is_none() && https.is_none() {
            return Ok(None);
        }
        let mut builder = Matcher::builder();
        if let Some(url) = http {
            builder = builder.http(url);
        }
        if let Some(url) = https {
            builder = builder.https(url);
        }
        if let Some(list) = &self.no_proxy {
            builder = builder.no(list.as_str());
        }
        let auth = match &self.basic_auth {
            Some((user, password)) => {
                let encoded =
                    base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
                let mut value =
                    HeaderValue::try_from(format!("Basic {encoded}")).map_err(|_| {
                        TransportError::config(
                            "the proxy credentials cannot be sent in a header",
                            None,
                        )
                    })?;
                value.set_sensitive(true);
                Some(value)
            }
            None => None,
        };
        Ok(Some(Arc::new(ResolvedProxy {
            matcher: builder.build(),
            auth,
            headers: self.headers.clone(),
        })))
    }

    /// `url` with a scheme, if it is a usable proxy URL. From the environment an unusable one
    /// is dropped with a warning; given explicitly it is an error.
    fn checked_url(
        &self,
        url: Option<&str>,
        variable: &'static str,
    ) -> Result<Option<String>, TransportError> {
        let Some(url) = url.map(str::trim).filter(|url| !url.is_empty()) else {
            return Ok(None);
        };
        let url = if url.contains("://") {
            url.to_owned()
        } else {
            format!("http://{url}")
        };
        let problem = match url.parse::<Uri>() {
            Err(_) => Some("the proxy URL is not a valid URL"),
            Ok(uri) if !matches!(uri.scheme_str(), Some("http" | "https")) => Some(
                "unsupported proxy scheme: only http:// and https:// proxies are supported \
                 (not SOCKS)",
            ),
            Ok(uri) if uri.host().is_none_or(str::is_empty) => Some("the proxy URL has no host"),
            Ok(_) => None,
        };
        match problem {
            None => Ok(Some(url)),
            Some(reason) if self.from_env => {
                // Neither the value nor its credentials are logged: only which variable.
                tracing::warn!(
                    variable,
                    "ignoring the proxy from the environment: {reason}"
                );
                Ok(None)
            }
            Some(reason) => Err(TransportError::config(reason, None)),
        }
    }
}

impl fmt::Debug for Proxy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let show = |url: &Option<String>| url.as_deref().map(redact_proxy_url);
        let credentials = self.basic_auth.is_some()
            || [&self.http, &self.https]
                .into_iter()
                .flatten()
                .any(|url| url_authority(url).contains('@'));
        let header_names: Vec<&str> = self.headers.keys().map(HeaderName::as_str).collect();
        f.debug_struct("Proxy")
            .field("http", &show(&self.http))
            .field("https", &show(&self.https))
            .field("no_proxy", &self.no_proxy)
            .field("credentials", &credentials)
            .field("headers", &header_names)
            .field("from_env", &self.from_env)
            .finish()
    }
}

/// The authority part of a URL-ish string (between `://` and the next `/`).
fn url_authority(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    rest.split(['/', '?', '#']).next().unwrap_or(rest)
}

/// A proxy URL for display: scheme, host and port, never credentials.
fn redact_proxy_url(url: &str) -> String {
    let with_scheme = if url.contains("://") {
        url.to_owned()
    } else {
        format!("http://{url}")
    };
    match with_scheme.parse::<Uri>() {
        Ok(uri) => RedactedUri::new(&uri).to_string(),
        Err(_) => {
            // Not a URI: show at most the host part after any `user:password@`.
            let authority = url_authority(url);
            let host = authority
                .rsplit_once('@')
                .map_or(authority, |(_, host)| host);
            format!("<invalid proxy URL for {host}>")
        }
    }
}

/// A checked proxy configuration, shared by the transport and its connector.
pub(crate) struct ResolvedProxy {
    matcher: Matcher,
    /// From [`Proxy::basic_auth`]; otherwise the proxy URL's credentials are used.
    auth: Option<HeaderValue>,
    headers: HeaderMap,
}

/// The proxy one destination goes through.
pub(crate) struct ProxyRoute<'a> {
    /// The proxy (scheme, host and port; no credentials).
    pub(crate) uri: Uri,
    auth: Option<HeaderValue>,
    headers: &'a HeaderMap,
}

impl ResolvedProxy {
    /// The proxy for `destination`, unless it bypasses them.
    pub(crate) fn route(&self, destination: &Uri) -> Option<ProxyRoute<'_>> {
        let intercept = self.matcher.intercept(destination)?;
        let auth = self.auth.clone().or_else(|| {
            intercept.basic_auth().cloned().map(|mut value| {
                value.set_sensitive(true);
                value
            })
        });
        Some(ProxyRoute {
            uri: intercept.uri().clone(),
            auth,
            headers: &self.headers,
        })
    }
}

impl ProxyRoute<'_> {
    /// The headers the proxy alone must see: `Proxy-Authorization` and the extra headers.
    pub(crate) fn headers(&self) -> impl Iterator<Item = (&HeaderName, &HeaderValue)> {
        self.auth
            .as_ref()
            .map(|auth| (&PROXY_AUTHORIZATION, auth))
            .into_iter()
            .chain(self.headers.iter())
    }

    /// Adds [`headers`](Self::headers) to a request forwarded through the proxy.
    pub(crate) fn apply(&self, headers: &mut HeaderMap) {
        for (name, value) in self.headers() {
            headers.insert(name.clone(), value.clone());
        }
    }
}

impl fmt::Debug for ResolvedProxy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The matcher's own Debug shows proxy URLs without credentials.
        f.debug_struct("ResolvedProxy")
            .field("matcher", &self.matcher)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::TransportErrorKind;

    fn resolved(proxy: &Proxy) -> Arc<ResolvedProxy> {
        proxy.resolve().unwrap().unwrap()
    }

    #[test]
    fn env_lookup_follows_curl() {
        let env = |vars: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                vars.iter()
                    .find(|(k, _)| *k == name)
                    .map(|(_, v)| (*v).to_owned())
            }
        };
        let proxy = Proxy::from_lookup(env(&[
            ("https_proxy", "http://secure:3128"),
            ("HTTP_PROXY", "plain:8080"),
            ("NO_PROXY", "localhost,.internal"),
        ]));
        let table = resolved(&proxy);
        let route = |uri: &str| {
            table
                .route(&uri.parse().unwrap())
                .map(|r| r.uri.to_string())
        };
        assert_eq!(
            route("https://lakefs.example/api").as_deref(),
            Some("http://secure:3128/")
        );
        assert_eq!(
            route("http://s3.example/b").as_deref(),
            Some("http://plain:8080/")
        );
        assert_eq!(route("http://localhost:8000/"), None);
        assert_eq!(route("https://a.internal/"), None);

        let all = Proxy::from_lookup(env(&[("ALL_PROXY", "http://every:1")]));
        assert!(resolved(&all)
            .route(&"https://x/".parse().unwrap())
            .is_some());

        let cgi = Proxy::from_lookup(env(&[
            ("REQUEST_METHOD", "GET"),
            ("HTTP_PROXY", "http://attacker:1"),
        ]));
        assert!(cgi.is_none());
        assert!(Proxy::from_lookup(env(&[("HTTPS_PROXY", "  ")])).is_none());
    }

    #[test]
    fn unusable_urls_fail_when_explicit_and_are_skipped_from_env() {
        for bad in ["socks5://proxy:1080", "http://", "http://exa mple:1"] {
            let error = Proxy::all(bad).resolve().unwrap_err();
            assert!(error.kind() == TransportErrorKind::Config, "{bad}: {error}");
        }
        let from_env = Proxy::from_lookup(|name| {
            (name == "ALL_PROXY").then(|| "socks5://u:pw@proxy:1080".to_owned())
        });
        assert!(from_env.resolve().unwrap().is_none());
    }

    #[test]
    fn credentials_never_show_in_debug() {
        let proxy = Proxy::all("http://alice:pa55word@proxy:3128")
            .with_https("https://bob:t0ps3cret@secure:443")
            .basic_auth("carol", "hunter2")
            .header(
                HeaderName::from_static("x-proxy-token"),
                HeaderValue::from_static("tok3n"),
            );
        let text = format!("{proxy:?} {:?}", proxy.resolve().unwrap());
        for secret in ["pa55word", "t0ps3cret", "hunter2", "tok3n", "alice", "bob"] {
            assert!(!text.contains(secret), "{secret} in {text}");
        }
        assert!(text.contains("proxy:3128"), "{text}");
        assert!(text.contains("credentials: true"), "{text}");
        let broken = Proxy::all("http://u:leaked@exa mple:1");
        assert!(!format!("{broken:?}").contains("leaked"));
    }

    #[test]
    fn explicit_basic_auth_replaces_url_credentials() {
        let proxy = Proxy::all("http://url:cred@proxy:3128").basic_auth("user", "pw");
        let resolved = resolved(&proxy);
        let route = resolved.route(&"https://x/".parse().unwrap()).unwrap();
        let headers: Vec<_> = route.headers().collect();
        assert_eq!(headers.len(), 1);
        assert_eq!(headers[0].0, PROXY_AUTHORIZATION);
        assert_eq!(headers[0].1, "Basic dXNlcjpwdw==");
        assert!(headers[0].1.is_sensitive());

        let from_url = resolved_route_auth("http://url:cred@proxy:3128");
        assert_eq!(from_url.as_deref(), Some("Basic dXJsOmNyZWQ="));
        assert_eq!(resolved_route_auth("http://proxy:3128"), None);
    }

    fn resolved_route_auth(url: &str) -> Option<String> {
        let resolved = resolved(&Proxy::all(url));
        let route = resolved.route(&"http://x/".parse().unwrap()).unwrap();
        let value = route
            .headers()
            .find(|(name, _)| **name == PROXY_AUTHORIZATION)
            .map(|(_, value)| value.to_str().unwrap().to_owned());
        value
    }
}
