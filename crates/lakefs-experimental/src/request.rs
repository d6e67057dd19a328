//! Building one API request, and turning an answer into a value or an [`Error`].

use bytes::Bytes;
use http::{Response, StatusCode};
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::retry::parse_retry_after;
use crate::{Error, Operation};

/// Everything but RFC 3986's unreserved characters is escaped, in path segments and query
/// values alike: `/`, `?`, `#`, `%`, `+`, spaces and non-ASCII can never change the meaning.
const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Percent-encodes one path segment or query value.
pub(crate) fn encode(component: &str) -> String {
    utf8_percent_encode(component, COMPONENT).to_string()
}

/// One request to the API, before the endpoint and credentials are added.
#[derive(Debug)]
pub(crate) struct ApiRequest {
    pub(crate) operation: Operation,
    /// The path below the base path, each segment already encoded, starting with `/`.
    pub(crate) path: String,
    /// Query parameters, encoded when the URI is built; unset optionals are simply absent.
    pub(crate) query: Vec<(&'static str, String)>,
    /// The JSON body, if the operation has one.
    pub(crate) body: Option<Bytes>,
}

impl ApiRequest {
    /// A request for `operation` whose path starts with these literal segments.
    pub(crate) fn new(operation: Operation, segments: &[&str]) -> Self {
        let mut path = String::new();
        for segment in segments {
            path.push('/');
            path.push_str(segment);
        }
        Self {
            operation,
            path,
            query: Vec::new(),
            body: None,
        }
    }

    /// Appends a path segment that comes from the caller, encoded.
    pub(crate) fn segment(mut self, value: &str) -> Self {
        self.path.push('/');
        self.path.push_str(&encode(value));
        self
    }

    /// Appends a literal path segment.
    pub(crate) fn literal(mut self, value: &'static str) -> Self {
        self.path.push('/');
        self.path.push_str(value);
        self
    }

    /// Adds a query parameter.
    pub(crate) fn query(mut self, name: &'static str, value: impl ToString) -> Self {
        self.query.push((name, value.to_string()));
        self
    }

    /// Adds a query parameter when it is set.
    pub(crate) fn query_opt(self, name: &'static str, value: Option<impl ToString>) -> Self {
        match value {
            Some(value) => self.query(name, value),
            None => self,
        }
    }

    /// Sets the JSON body.
    pub(crate) fn json(mut self, body: &impl Serialize) -> Result<Self, Error> {
        let bytes = serde_json::to_vec(body).map_err(|e| Error::InvalidArgument {
            operation: self.operation,
            argument: "body",
            reason: format!("cannot be encoded as JSON: {e}"),
        })?;
        self.body = Some(Bytes::from(bytes));
        Ok(self)
    }

    /// The path and query, encoded, to append to the base path.
    pub(crate) fn path_and_query(&self) -> String {
        let mut out = self.path.clone();
        for (index, (name, value)) in self.query.iter().enumerate() {
            out.push(if index == 0 { '?' } else { '&' });
            out.push_str(name);
            out.push('=');
            out.push_str(&encode(value));
        }
        out
    }
}

/// The longest server text kept in an error.
const SNIPPET_CHARS: usize = 200;

/// A short, single-line excerpt of a body that is not the spec's `Error` JSON.
pub(crate) fn snippet(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let collapsed = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if collapsed.is_empty() {
        return "(empty body)".into();
    }
    match collapsed.char_indices().nth(SNIPPET_CHARS) {
        Some((cut, _)) => format!("{}…", &collapsed[..cut]),
        None => collapsed,
    }
}

/// The server's message: the `message` of an `Error` body, else a snippet of the body.
fn server_message(body: &[u8]) -> String {
    match serde_json::from_slice::<lakefs_models::Error>(body) {
        Ok(error) => {
            let mut message = error.message;
            if let Some((cut, _)) = message.char_indices().nth(SNIPPET_CHARS * 5) {
                message.truncate(cut);
                message.push('…');
            }
            message
        }
        Err(_) => snippet(body),
    }
}

/// Turns a non-2xx answer into the matching [`Error`] variant.
pub(crate) fn error_from_response(operation: Operation, response: &Response<Bytes>) -> Error {
    let status = response.status();
    let body = response.body();
    match status.as_u16() {
        400 => Error::BadRequest {
            operation,
            message: server_message(body),
        },
        401 => Error::Unauthorized {
            operation,
            message: server_message(body),
        },
        403 => Error::Forbidden {
            operation,
            message: server_message(body),
        },
        404 => Error::NotFound {
            operation,
            message: server_message(body),
        },
        409 => {
            // The real server sends `Error`; the spec declares `StagingLocation` for complete.
            if let Ok(error) = serde_json::from_slice::<lakefs_models::Error>(body) {
                Error::Conflict {
                    operation,
                    message: error.message,
                    staging_location: None,
                }
            } else if let Ok(location) =
                serde_json::from_slice::<lakefs_models::StagingLocation>(body)
            {
                Error::Conflict {
                    operation,
                    message: String::new(),
                    staging_location: Some(location),
                }
            } else {
                Error::Conflict {
                    operation,
                    message: snippet(body),
                    staging_location: None,
                }
            }
        }
        420 | 429 => Error::TooManyRequests {
            operation,
            status,
            retry_after: response
                .headers()
                .get(http::header::RETRY_AFTER)
                .and_then(parse_retry_after),
        },
        501 => Error::NotImplemented {
            operation,
            message: server_message(body),
        },
        402..=499 => Error::ClientError {
            operation,
            status,
            message: server_message(body),
        },
        _ => Error::ServerError {
            operation,
            status,
            message: server_message(body),
        },
    }
}

/// Decodes a success answer's JSON body.
pub(crate) fn decode<T: DeserializeOwned>(
    operation: Operation,
    response: &Response<Bytes>,
) -> Result<T, Error> {
    serde_json::from_slice(response.body()).map_err(|source| Error::Decode {
        operation,
        status: response.status(),
        source,
        snippet: snippet(response.body()),
    })
}

/// The `Retry-After` of a 503 answer, which lakeFS and proxies may send.
pub(crate) fn retry_after(response: &Response<Bytes>) -> Option<std::time::Duration> {
    if response.status() == StatusCode::SERVICE_UNAVAILABLE {
        response
            .headers()
            .get(http::header::RETRY_AFTER)
            .and_then(parse_retry_after)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_every_reserved_character() {
        assert_eq!(
            encode("feature/x y?#%+é"),
            "feature%2Fx%20y%3F%23%25%2B%C3%A9"
        );
        assert_eq!(encode("a-b.c_d~e"), "a-b.c_d~e");
    }

    #[test]
    fn snippets_are_short_and_single_line() {
        assert_eq!(snippet(b""), "(empty body)");
        assert_eq!(
            snippet(b"<html>\n  <b>Bad\tGateway</b>\n</html>"),
            "<html> <b>Bad Gateway</b> </html>"
        );
        let long = "x".repeat(1000);
        let cut = snippet(long.as_bytes());
        assert_eq!(cut.chars().count(), SNIPPET_CHARS + 1);
        assert!(cut.ends_with('…'));
        let unicode = "é".repeat(300);
        assert!(snippet(unicode.as_bytes()).starts_with("éé"));
    }

    #[test]
    fn query_is_built_in_order_and_encoded() {
        let request = ApiRequest::new(Operation::HardResetBranch, &["repositories"])
            .segment("my repo")
            .literal("hard_reset")
            .query("ref", "main~1")
            .query_opt("force", Some(true))
            .query_opt("absent", None::<bool>);
        assert_eq!(
            request.path_and_query(),
            "/repositories/my%20repo/hard_reset?ref=main~1&force=true"
        );
    }
}
