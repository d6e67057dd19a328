//! Reading an object: `getObject` (its bytes, a byte range of them, or through a presigned
//! URL of the object store) and `headObject` (its headers).

use std::ops::RangeInclusive;
use std::time::Duration;

use bytes::Bytes;
use http::header::{
    CONTENT_LENGTH, CONTENT_RANGE, CONTENT_TYPE, ETAG, IF_NONE_MATCH, LAST_MODIFIED, LOCATION,
    RANGE,
};
use http::{HeaderMap, Request, Response, StatusCode, Uri};
use lakefs_client::raw::{self, request_builder, required, CallOptions, HttpTransport};
use lakefs_client::retry::{self, Attempt, Attempts, Outcome};
use lakefs_client::Client;

use crate::objects::ref_objects;
use crate::{Error, Operation};

/// What an object's read answered: its bytes (all of them, or the range asked for) and the
/// headers that describe them.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ObjectContent {
    /// The bytes: the whole object, or the range asked for; empty when not modified.
    pub body: Bytes,
    /// The range the body holds and the object's size, when a range was asked for
    /// (`Content-Range`).
    pub range: Option<ContentRange>,
    /// The object's ETag, without quotes.
    pub etag: Option<String>,
    /// The object's media type.
    pub content_type: Option<String>,
    /// When it was last modified, as the `Last-Modified` header says it (an HTTP date).
    pub last_modified: Option<String>,
    /// Whether the server answered 304: the object's ETag is the one given to
    /// [`if_none_match`](GetObjectRequest::if_none_match), and no body came.
    pub not_modified: bool,
}

impl std::fmt::Debug for ObjectContent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ObjectContent")
            .field("body", &format_args!("{} bytes", self.body.len()))
            .field("range", &self.range)
            .field("etag", &self.etag)
            .field("content_type", &self.content_type)
            .field("last_modified", &self.last_modified)
            .field("not_modified", &self.not_modified)
            .finish()
    }
}

/// A `Content-Range: bytes first-last/size` answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ContentRange {
    /// The first byte of the body, counted from 0.
    pub first: u64,
    /// The last byte of the body (inclusive).
    pub last: u64,
    /// The whole object's size.
    pub size: u64,
}

impl ContentRange {
    /// Parses `bytes first-last/size`.
    fn parse(value: &str) -> Option<Self> {
        let rest = value.trim().strip_prefix("bytes ")?;
        let (range, size) = rest.split_once('/')?;
        let (first, last) = range.split_once('-')?;
        Some(Self {
            first: first.trim().parse().ok()?,
            last: last.trim().parse().ok()?,
            size: size.trim().parse().ok()?,
        })
    }
}

/// An object's headers, the answer of `headObject`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ObjectHead {
    /// The object's size (or the range's, for a ranged HEAD), from `Content-Length`.
    pub content_length: Option<u64>,
    /// The range and the object's size, for a ranged HEAD.
    pub range: Option<ContentRange>,
    /// The object's ETag, without quotes.
    pub etag: Option<String>,
    /// The object's media type.
    pub content_type: Option<String>,
    /// When it was last modified (an HTTP date).
    pub last_modified: Option<String>,
}

fn header(headers: &HeaderMap, name: http::header::HeaderName) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

fn range_header(range: &RangeInclusive<u64>) -> String {
    format!("bytes={}-{}", range.start(), range.end())
}

/// Checks a byte range before sending: a range the server cannot read is an argument error.
fn check_range(operation: Operation, range: Option<&RangeInclusive<u64>>) -> Result<(), Error> {
    match range {
        Some(range) if range.start() > range.end() => Err(raw::invalid_argument(
            operation,
            "Range",
            format!("starts at {} after its end {}", range.start(), range.end()),
        )),
        _ => Ok(()),
    }
}

impl ObjectHead {
    fn from_headers(headers: &HeaderMap) -> Self {
        Self {
            content_length: header(headers, CONTENT_LENGTH).and_then(|v| v.parse().ok()),
            range: header(headers, CONTENT_RANGE).and_then(|v| ContentRange::parse(&v)),
            etag: header(headers, ETAG).map(|e| e.trim_matches('"').to_owned()),
            content_type: header(headers, CONTENT_TYPE),
            last_modified: header(headers, LAST_MODIFIED),
        }
    }
}

request_builder! {
    /// `getObject`: an object's bytes at a ref, or a byte range of them. Built by
    /// [`ObjectsApi::get_object`](crate::ObjectsApi::get_object).
    ///
    /// The body is read whole into memory: for large objects read ranges
    /// ([`range`](Self::range)). With [`presign`](Self::presign) lakeFS answers a redirect to
    /// a presigned URL of the object store, which is followed with a plain GET that carries
    /// none of the client's lakeFS credentials. A read, retried like one.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidArgument`](crate::ErrorKind::InvalidArgument) before sending for a
    /// missing or empty argument or a range that ends before it starts;
    /// [`ErrorKind::NotFound`](crate::ErrorKind::NotFound) for an unknown repository, ref or
    /// object; [`ErrorKind::ClientError`](crate::ErrorKind::ClientError) 416 for a range past
    /// the object's end; [`ErrorKind::BadRequest`](crate::ErrorKind::BadRequest) for `presign`
    /// on a blockstore that cannot presign.
    GetObjectRequest(GetObjectInput) => GetObject {
        /// The repository (required).
        repository,
        /// The ref: a branch, tag or commit id, the spec's `ref` (required).
        reference,
        /// The object's path (required).
        path,
        /// Only these bytes (first to last, inclusive; the `Range` header). The server clamps
        /// a range that runs past the end.
        range / set_range: RangeInclusive<u64>,
        /// Answer 304 without a body when the object's ETag is this one (`If-None-Match`).
        if_none_match / set_if_none_match,
        /// Read through a presigned URL of the object store instead of through lakeFS.
        presign / set_presign: bool,
    }
}

impl<T: HttpTransport> GetObjectRequest<T> {
    /// Sends the request.
    ///
    /// # Errors
    /// See the type's documentation.
    pub async fn send(self) -> Result<ObjectContent, Error> {
        let operation = Operation::GetObject;
        let repository = required(operation, "repository", self.input.repository)?;
        let reference = required(operation, "ref", self.input.reference)?;
        let path = required(operation, "path", self.input.path)?;
        check_range(operation, self.input.range.as_ref())?;
        let range = self.input.range.as_ref().map(range_header);
        let mut request = ref_objects(operation, &repository, &reference)
            .query("path", &path)
            .query_opt("presign", self.input.presign)
            .answering(StatusCode::FOUND)
            .answering(StatusCode::NOT_MODIFIED);
        if let Some(range) = &range {
            request = request.header(RANGE, "Range", range)?;
        }
        if let Some(etag) = self.input.if_none_match.as_deref() {
            let quoted = format!("\"{}\"", etag.trim_matches('"'));
            request = request.header(IF_NONE_MATCH, "If-None-Match", &quoted)?;
        }
        let mut response = raw::send(&self.client, request, &self.options).await?;
        if response.status() == StatusCode::FOUND {
            response =
                follow_presigned(&self.client, &self.options, operation, &response, range).await?;
        }
        Ok(ObjectContent {
            not_modified: response.status() == StatusCode::NOT_MODIFIED,
            range: header(response.headers(), CONTENT_RANGE).and_then(|v| ContentRange::parse(&v)),
            etag: header(response.headers(), ETAG).map(|e| e.trim_matches('"').to_owned()),
            content_type: header(response.headers(), CONTENT_TYPE),
            last_modified: header(response.headers(), LAST_MODIFIED),
            body: response.into_body(),
        })
    }
}

/// Follows lakeFS's redirect to a presigned URL of the object store: a plain GET (with the
/// `Range` asked for) through the client's transport, with none of the client's credentials,
/// retried like any read, under the call's timeout and retry policy.
async fn follow_presigned<T: HttpTransport>(
    client: &Client<T>,
    options: &CallOptions,
    operation: Operation,
    redirect: &Response<Bytes>,
    range: Option<String>,
) -> Result<Response<Bytes>, Error> {
    let location = redirect
        .headers()
        .get(LOCATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<Uri>().ok())
        .filter(|uri| uri.scheme().is_some() && uri.host().is_some())
        .ok_or_else(|| {
            raw::protocol(
                operation,
                "the 302 answer has no absolute Location to follow",
            )
        })?;
    let mut fetch = PresignedGet {
        client,
        operation,
        uri: location,
        range,
        timeout: options.timeout.unwrap_or(client.request_timeout()),
    };
    let policy = options.retry.as_ref().unwrap_or(client.retry_policy());
    retry::run(policy, &mut fetch).await
}

/// The attempts of one presigned GET, for the retry loop.
struct PresignedGet<'a, T> {
    client: &'a Client<T>,
    operation: Operation,
    uri: Uri,
    range: Option<String>,
    /// Limit for one attempt.
    timeout: Option<Duration>,
}

impl<T: HttpTransport> Attempts for PresignedGet<'_, T> {
    type Output = Response<Bytes>;
    type Error = Error;

    async fn attempt(&mut self, attempt: &mut Attempt) -> Outcome<Response<Bytes>, Error> {
        let mut request = Request::get(self.uri.clone());
        if let Some(range) = &self.range {
            request = request.header(RANGE, range);
        }
        let request = match request.body(Bytes::new()) {
            Ok(request) => request,
            Err(_) => {
                return Outcome::Done(Err(raw::protocol(
                    self.operation,
                    "the presigned URL cannot be requested",
                )))
            }
        };
        let send = self.client.transport().send(request);
        let result = match self.timeout {
            Some(after) => match tokio::time::timeout(after, send).await {
                Ok(result) => result,
                Err(_) => {
                    return Outcome::Retry {
                        error: raw::timeout(self.operation, after),
                        retry_after: None,
                    }
                }
            },
            None => send.await,
        };
        let error = match result {
            Ok(response) if response.status().is_success() => return Outcome::Done(Ok(response)),
            Ok(response) => {
                attempt.progressed();
                raw::error_from_response(self.operation, &response)
            }
            Err(source) => raw::transport_error(self.operation, source),
        };
        if error.is_retryable() {
            Outcome::Retry {
                error,
                retry_after: None,
            }
        } else {
            Outcome::Done(Err(error))
        }
    }
}

request_builder! {
    /// `headObject`: an object's headers (size, ETag, media type, modification time) without
    /// its bytes. Built by [`ObjectsApi::head_object`](crate::ObjectsApi::head_object). A
    /// read, retried like one.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidArgument`](crate::ErrorKind::InvalidArgument) before sending for a
    /// missing or empty argument; [`ErrorKind::NotFound`](crate::ErrorKind::NotFound) for an
    /// unknown repository, ref or object (a HEAD answer has no body, so no server message).
    HeadObjectRequest(HeadObjectInput) => HeadObject {
        /// The repository (required).
        repository,
        /// The ref: a branch, tag or commit id, the spec's `ref` (required).
        reference,
        /// The object's path (required).
        path,
        /// Only these bytes (first to last, inclusive; the `Range` header).
        range / set_range: RangeInclusive<u64>,
    }
}

impl<T: HttpTransport> HeadObjectRequest<T> {
    /// Sends the request.
    ///
    /// # Errors
    /// See the type's documentation.
    pub async fn send(self) -> Result<ObjectHead, Error> {
        let operation = Operation::HeadObject;
        let repository = required(operation, "repository", self.input.repository)?;
        let reference = required(operation, "ref", self.input.reference)?;
        let path = required(operation, "path", self.input.path)?;
        check_range(operation, self.input.range.as_ref())?;
        let mut request = ref_objects(operation, &repository, &reference).query("path", &path);
        if let Some(range) = self.input.range.as_ref().map(range_header) {
            request = request.header(RANGE, "Range", &range)?;
        }
        let response = raw::send(&self.client, request, &self.options).await?;
        Ok(ObjectHead::from_headers(response.headers()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_ranges_parse() {
        assert_eq!(
            ContentRange::parse("bytes 0-9/100"),
            Some(ContentRange {
                first: 0,
                last: 9,
                size: 100
            })
        );
        assert_eq!(ContentRange::parse("bytes */100"), None);
        assert_eq!(ContentRange::parse("items 0-1/2"), None);
    }
}
