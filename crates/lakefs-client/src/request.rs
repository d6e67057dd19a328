//! Building one API request, and turning an answer into a value or an [`Error`].

use bytes::Bytes;
use http::header::{HeaderName, HeaderValue};
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
pub struct ApiRequest {
    pub(crate) operation: Operation,
    /// The path below the base path, each segment already encoded, starting with `/`.
    pub(crate) path: String,
    /// Query parameters, encoded when the URI is built; unset optionals are simply absent.
    pub(crate) query: Vec<(&'static str, String)>,
    /// The body, if the operation has one (JSON unless `binary`).
    pub(crate) body: Option<Bytes>,
    /// Whether the body is bytes sent as `application/octet-stream` rather than JSON.
    pub(crate) binary: bool,
    /// Headers of the operation beyond the client's own (`Range`, `If-None-Match`).
    pub(crate) headers: Vec<(HeaderName, HeaderValue)>,
    /// Statuses other than 2xx that are answers of the operation, not failures (a
    /// `getObject`'s 302 redirect to the store, its 304 Not Modified).
    pub(crate) answers: Vec<StatusCode>,
}

impl ApiRequest {
    /// A request for `operation` whose path starts with these literal segments.
    pub fn new(operation: Operation, segments: &[&str]) -> Self {
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
            binary: false,
            headers: Vec::new(),
            answers: Vec::new(),
        }
    }

    /// The operation this request is for.
    #[must_use]
    pub fn operation(&self) -> Operation {
        self.operation
    }

    /// Adds a header (one the operation declares, like `Range`); `value` must be a valid
    /// header value.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidArgument`](crate::ErrorKind::InvalidArgument) naming `argument` when
    /// `value` cannot be sent in a header.
    pub fn header(
        mut self,
        name: HeaderName,
        argument: &'static str,
        value: &str,
    ) -> Result<Self, Error> {
        let value = HeaderValue::from_str(value).map_err(|_| {
            Error::invalid_argument(
                self.operation,
                argument,
                "contains characters not allowed in an HTTP header",
            )
        })?;
        self.headers.push((name, value));
        Ok(self)
    }

    /// Takes `status` as an answer of the operation rather than a failure.
    #[must_use]
    pub fn answering(mut self, status: StatusCode) -> Self {
        self.answers.push(status);
        self
    }

    /// Whether `status` is an answer (2xx, or one taken with [`answering`](Self::answering)).
    pub(crate) fn is_answer(&self, status: StatusCode) -> bool {
        status.is_success() || self.answers.contains(&status)
    }

    /// Appends a path segment that comes from the caller, encoded.
    pub fn segment(mut self, value: &str) -> Self {
        self.path.push('/');
        self.path.push_str(&encode(value));
        self
    }

    /// Appends a literal path segment.
    pub fn literal(mut self, value: &'static str) -> Self {
        self.path.push('/');
        self.path.push_str(value);
        self
    }

    /// Adds a query parameter.
    pub fn query(mut self, name: &'static str, value: impl ToString) -> Self {
        self.query.push((name, value.to_string()));
        self
    }

    /// Adds a query parameter when it is set.
    pub fn query_opt(self, name: &'static str, value: Option<impl ToString>) -> Self {
        match value {
            Some(value) => self.query(name, value),
            None => self,
        }
    }

    /// Sets the JSON body.
    pub fn json(mut self, body: &impl Serialize) -> Result<Self, Error> {
        let bytes = serde_json::to_vec(body).map_err(|e| {
            Error::invalid_argument(
                self.operation,
                "body",
                format!("cannot be encoded as JSON: {e}"),
            )
        })?;
        self.body = Some(Bytes::from(bytes));
        Ok(self)
    }

    /// Sets a binary body, sent as `application/octet-stream` (`uploadObject`'s content).
    #[must_use]
    pub fn octet_stream(mut self, body: Bytes) -> Self {
        self.body = Some(body);
        self.binary = true;
        self
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

/// The longest server message kept in an error.
const MESSAGE_CHARS: usize = 1000;

/// What an answer's body was, without its content: `(empty body)`, or `(a 512-byte
/// text/html body that is not lakeFS's error JSON)`.
pub fn describe_body(response: &Response<Bytes>) -> String {
    let body = response.body();
    if body.iter().all(u8::is_ascii_whitespace) {
        return "(empty body)".into();
    }
    let kind = response
        .headers()
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.split(';').next().unwrap_or(v).trim())
        .filter(|v| !v.is_empty() && v.len() <= 64 && v.bytes().all(|b| b.is_ascii_graphic()))
        .unwrap_or("untyped");
    format!(
        "(a {}-byte {kind} body that is not lakeFS's error JSON)",
        body.len()
    )
}

/// The server's message, and whether it was lakeFS's own error JSON (else a description of
/// the body some proxy sent).
fn message_and_origin(response: &Response<Bytes>) -> (String, bool) {
    match lakefs_message(response) {
        Some(message) => (message, true),
        None => (describe_body(response), false),
    }
}

/// The `message` of lakeFS's error JSON, when the body is one: proof that lakeFS itself
/// answered, not a proxy in front of it.
fn lakefs_message(response: &Response<Bytes>) -> Option<String> {
    match serde_json::from_slice::<lakefs_models::Error>(response.body()) {
        Ok(error) => {
            let mut message: String = error
                .message
                .chars()
                .map(|c| if c.is_control() { ' ' } else { c })
                .collect();
            if let Some((cut, _)) = message.char_indices().nth(MESSAGE_CHARS) {
                message.truncate(cut);
                message.push('…');
            }
            Some(message)
        }
        Err(_) => None,
    }
}

/// Turns a non-2xx answer into an [`Error`] of the status's kind.
pub(crate) fn error_from_response(operation: Operation, response: &Response<Bytes>) -> Error {
    let status = response.status();
    match status.as_u16() {
        // The real server sends `Error`; the spec declares `StagingLocation` for complete.
        409 if lakefs_message(response).is_none() => {
            match serde_json::from_slice::<lakefs_models::StagingLocation>(response.body()) {
                Ok(location) => Error::answer(operation, status, String::new(), true)
                    .with_staging_location(location),
                Err(_) => Error::answer(operation, status, describe_body(response), false),
            }
        }
        420 | 429 => {
            let (message, from_lakefs) = message_and_origin(response);
            Error::answer(operation, status, message, from_lakefs).with_retry_after(
                response
                    .headers()
                    .get(http::header::RETRY_AFTER)
                    .and_then(parse_retry_after),
            )
        }
        _ => {
            let (message, from_lakefs) = message_and_origin(response);
            Error::answer(operation, status, message, from_lakefs)
        }
    }
}

/// Decodes a success answer's JSON body.
pub fn decode<T: DeserializeOwned>(
    operation: Operation,
    response: &Response<Bytes>,
) -> Result<T, Error> {
    serde_json::from_slice(response.body())
        .map_err(|error| Error::decode(operation, response.status(), decode_reason(&error)))
}

/// What a JSON error says, with every quoted value of the body left out: serde_json quotes
/// the strings it found (`invalid type: string "eyJ…", expected …`), and such a string may
/// be a token or a presigned URL. Field names, which it puts in backticks, are kept.
pub(crate) fn decode_reason(error: &serde_json::Error) -> String {
    let text = error.to_string();
    let mut out = String::with_capacity(text.len());
    let mut in_quotes = false;
    let mut escaped = false;
    for c in text.chars() {
        if in_quotes {
            match (escaped, c) {
                (false, '\\') => escaped = true,
                (false, '"') => {
                    in_quotes = false;
                    out.push_str("…\"");
                }
                _ => escaped = false,
            }
        } else if c == '"' {
            in_quotes = true;
            out.push('"');
        } else {
            out.push(c);
        }
    }
    if in_quotes {
        out.push_str("…\"");
    }
    out
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
    fn bodies_are_described_not_quoted() {
        let html = http::Response::builder()
            .header("content-type", "text/html; charset=utf-8")
            .body(Bytes::from_static(b"<html>secret-ish</html>"))
            .unwrap();
        assert_eq!(
            describe_body(&html),
            "(a 23-byte text/html body that is not lakeFS's error JSON)"
        );
        let empty = http::Response::new(Bytes::from_static(b" \n"));
        assert_eq!(describe_body(&empty), "(empty body)");
    }

    #[test]
    fn decode_reasons_keep_field_names_and_drop_values() {
        let error = serde_json::from_str::<lakefs_models::AuthenticationToken>(
            r#"{"token": 12, "token_expiration": "eyJ.secret"}"#,
        )
        .unwrap_err();
        let reason = decode_reason(&error);
        assert!(!reason.contains("eyJ"), "{reason}");
        let missing =
            serde_json::from_str::<lakefs_models::AuthenticationToken>(r#"{"tok":"eyJ.secret"}"#)
                .unwrap_err();
        let reason = decode_reason(&missing);
        assert!(
            reason.contains("token") && !reason.contains("eyJ"),
            "{reason}"
        );
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
