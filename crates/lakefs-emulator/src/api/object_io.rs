//! `getObject` and `headObject` (lakeFS `pkg/api/controller.go:4802-5069`): an object's bytes
//! or headers at any ref, single byte ranges (`pkg/httputil/range.go:30-105`), `If-None-Match`,
//! and `presign=true` redirects to a presigned GET URL.

use bytes::Bytes;
use http::{header, HeaderValue, Request, Response, StatusCode};

use super::objects::entry_at;
use super::{fail, Answer, Failure, Query};
use crate::clock;
use crate::emulator::Emulator;
use crate::model::ObjectEntry;
use crate::range::{parse_range, RangeError};

/// The spec's pattern for the `Range` header, which its validator enforces (400).
const RANGE_PATTERN: &str = r"^bytes=((\d*-\d*,? ?)+)$";

/// Content types lakeFS serves `inline`; others are an `attachment`
/// (`safeContentTypesForInline`, `controller.go:78-101`).
const INLINE_TYPES: [&str; 22] = [
    "image/jpeg",
    "image/jpg",
    "image/png",
    "image/gif",
    "image/webp",
    "image/svg+xml",
    "application/pdf",
    "text/plain",
    "text/markdown",
    "text/x-markdown",
    "text/html",
    "text/css",
    "text/javascript",
    "application/javascript",
    "application/json",
    "application/xml",
    "text/xml",
    "video/mp4",
    "video/webm",
    "audio/mpeg",
    "audio/wav",
    "audio/webm",
];

/// Whether `value` matches the spec's `^bytes=((\d*-\d*,? ?)+)$`.
fn matches_range_pattern(value: &str) -> bool {
    let Some(mut rest) = value.strip_prefix("bytes=") else {
        return false;
    };
    let digits =
        |text: &str| text.len() - text.trim_start_matches(|c: char| c.is_ascii_digit()).len();
    let mut groups = 0;
    while !rest.is_empty() {
        rest = &rest[digits(rest)..];
        let Some(after_dash) = rest.strip_prefix('-') else {
            return false;
        };
        rest = &after_dash[digits(after_dash)..];
        rest = rest.strip_prefix(',').unwrap_or(rest);
        rest = rest.strip_prefix(' ').unwrap_or(rest);
        groups += 1;
    }
    groups > 0
}

/// The `Range` header, checked against the spec's pattern as the validator does.
fn range_header(request: &Request<Bytes>) -> Result<Option<&str>, Failure> {
    let Some(value) = request.headers().get(header::RANGE) else {
        return Ok(None);
    };
    match value.to_str() {
        Ok(text) if matches_range_pattern(text) => Ok(Some(text)),
        _ => Err(fail(
            StatusCode::BAD_REQUEST,
            format!(
                "parameter \"Range\" in header has an error: string doesn't match the regular expression \"{RANGE_PATTERN}\""
            ),
        )),
    }
}

/// The object's `ETag`: its checksum, quoted unless it already is (`httputil.ETag`).
fn etag(entry: &ObjectEntry) -> String {
    let checksum = &entry.stats.checksum;
    if checksum.starts_with('"') {
        checksum.clone()
    } else {
        format!("\"{checksum}\"")
    }
}

/// The object's content type; `application/octet-stream` when none was stored.
fn content_type(entry: &ObjectEntry) -> String {
    entry
        .stats
        .content_type
        .clone()
        .filter(|t| !t.is_empty())
        .unwrap_or_else(|| "application/octet-stream".into())
}

/// Sets a header (a value that is no valid header is left out).
fn set(response: &mut Answer, name: header::HeaderName, value: &str) {
    if let Ok(value) = HeaderValue::from_str(value) {
        response.headers_mut().insert(name, value);
    }
}

/// The headers getObject and headObject share.
fn object_headers(entry: &ObjectEntry) -> Answer {
    let mut response = Response::new(Bytes::new());
    set(&mut response, header::ETAG, &etag(entry));
    set(
        &mut response,
        header::LAST_MODIFIED,
        &clock::http_date(entry.stats.mtime),
    );
    set(&mut response, header::CONTENT_TYPE, &content_type(entry));
    set(
        &mut response,
        header::CACHE_CONTROL,
        "no-store, must-revalidate",
    );
    set(&mut response, header::EXPIRES, "0");
    response
}

/// The object's size in bytes.
fn size_of(entry: &ObjectEntry) -> i64 {
    entry.stats.size_bytes.unwrap_or(0)
}

/// What getObject serves once its checks passed: the object's bytes (whole, or a range)
/// still to be read.
pub(super) enum Read {
    /// The answer is complete (304, 302, 416).
    Done(Answer),
    /// Serve `range` (inclusive) of `entry`'s bytes, or all of them, with `headers`.
    Bytes {
        headers: Answer,
        entry: Box<ObjectEntry>,
        range: Option<(i64, i64)>,
    },
}

impl Emulator {
    /// getObject's checks (`controller.go:4945-5069`): validator (400: `path` present and
    /// not empty, `Range` matching the spec's pattern), the object as statObject finds it
    /// (JSON 400/404), `If-None-Match` equal to the quoted ETag → 304 without headers or body;
    /// `presign=true` → 302 with `Location` (before any range); then the headers (`ETag`,
    /// `Last-Modified`, `Content-Type`, no-cache and security headers, `Content-Disposition`
    /// `inline` for safe types else `attachment`, no `Accept-Ranges`) and the range: bad →
    /// 416, unsatisfiable → 416 with `Content-Range: bytes */SIZE`, both with the JSON
    /// `Requested Range Not Satisfiable`.
    pub(super) fn begin_get_object(
        &self,
        repository: &str,
        reference: &str,
        query: &Query,
        request: &Request<Bytes>,
    ) -> Result<Read, Failure> {
        let path = query.required_non_empty("path")?;
        let presign = query.boolean("presign")?.unwrap_or(false);
        let range = range_header(request)?;
        let state = self.lock();
        let entry = entry_at(&state, repository, reference, path)?;
        let etag = etag(entry);
        let if_none_match = request.headers().get(header::IF_NONE_MATCH);
        if if_none_match.is_some_and(|v| v.as_bytes() == etag.as_bytes()) {
            return Ok(Read::Done(super::empty(StatusCode::NOT_MODIFIED)));
        }
        if presign && !state.presign_reads {
            return Err(super::presign_unsupported());
        }
        if presign {
            let (url, _) = state.presign_get(repository, entry);
            let mut response = super::empty(StatusCode::FOUND);
            set(&mut response, header::LOCATION, &url);
            return Ok(Read::Done(response));
        }
        let mut headers = object_headers(entry);
        for (name, value) in [
            ("x-content-type-options", "nosniff"),
            ("x-frame-options", "SAMEORIGIN"),
            ("content-security-policy", "default-src 'none'"),
        ] {
            headers
                .headers_mut()
                .insert(name, HeaderValue::from_static(value));
        }
        let disposition = if INLINE_TYPES.contains(&content_type(entry).as_str()) {
            "inline"
        } else {
            "attachment"
        };
        set(&mut headers, header::CONTENT_DISPOSITION, disposition);
        let size = size_of(entry);
        let range = match range.map(|r| parse_range(r, size)).transpose() {
            Ok(range) => range,
            Err(error) => {
                if error == RangeError::Unsatisfiable {
                    set(
                        &mut headers,
                        header::CONTENT_RANGE,
                        &format!("bytes */{size}"),
                    );
                }
                let body = super::json(
                    StatusCode::RANGE_NOT_SATISFIABLE,
                    &lakefs_models::Error::new("Requested Range Not Satisfiable"),
                );
                let (parts, body) = body.into_parts();
                *headers.status_mut() = parts.status;
                headers.headers_mut().extend(parts.headers);
                *headers.body_mut() = body;
                return Ok(Read::Done(headers));
            }
        };
        Ok(Read::Bytes {
            headers,
            entry: Box::new(entry.clone()),
            range,
        })
    }

    /// `getObject` with the bytes in memory. An object stored on S3 (feature `s3`) can only be
    /// read through [`handle_async`](Emulator::handle_async).
    pub(super) fn get_object(
        &self,
        repository: &str,
        reference: &str,
        query: &Query,
        request: &Request<Bytes>,
    ) -> Result<Answer, Failure> {
        match self.begin_get_object(repository, reference, query, request)? {
            Read::Done(answer) => Ok(answer),
            Read::Bytes { entry, .. } if entry.parts.is_empty() && entry.s3_key.is_some() => {
                Err(fail(
                    StatusCode::NOT_IMPLEMENTED,
                    "this object is stored on S3: serve the emulator over HTTP (handle_async)",
                ))
            }
            Read::Bytes {
                headers,
                entry,
                range,
            } => Ok(finish_get(headers, &entry.bytes(), range)),
        }
    }

    /// `getObject` when objects may live on the S3 server behind the emulator: their bytes
    /// are read from there.
    #[cfg(feature = "s3")]
    pub(super) async fn get_object_from_s3(
        &self,
        s3: &crate::s3::S3Storage,
        repository: &str,
        reference: &str,
        request: &Request<Bytes>,
    ) -> Result<Answer, Failure> {
        let query = Query::parse(request);
        match self.begin_get_object(repository, reference, &query, request)? {
            Read::Done(answer) => Ok(answer),
            Read::Bytes {
                headers,
                entry,
                range,
            } => {
                let bytes = match &entry.s3_key {
                    Some(key) if entry.parts.is_empty() => {
                        s3.get_object(key).await.map_err(|error| {
                            fail(StatusCode::INTERNAL_SERVER_ERROR, error.to_string())
                        })?
                    }
                    _ => entry.bytes(),
                };
                Ok(finish_get(headers, &bytes, range))
            }
        }
    }

    /// `headObject` (`controller.go:4802-4853`): getObject's checks without presign or
    /// `If-None-Match`; 200 with `ETag`, `Last-Modified`, `Accept-Ranges: bytes`,
    /// `Content-Type`, `Cache-Control`, `Expires` and `Content-Length`, no body; a range → 206
    /// with `Content-Range`; any range error → 416 without `Content-Range`. The caller turns
    /// every failure into its bare status.
    pub(super) fn head_object(
        &self,
        repository: &str,
        reference: &str,
        query: &Query,
        request: &Request<Bytes>,
    ) -> Result<Answer, Failure> {
        let path = query.required_non_empty("path")?;
        let range = range_header(request)?;
        let state = self.lock();
        let entry = entry_at(&state, repository, reference, path)?;
        let mut response = object_headers(entry);
        set(&mut response, header::ACCEPT_RANGES, "bytes");
        let size = size_of(entry);
        match range.map(|r| parse_range(r, size)).transpose() {
            Err(_) => Ok(super::empty(StatusCode::RANGE_NOT_SATISFIABLE)),
            Ok(Some((start, end))) => {
                *response.status_mut() = StatusCode::PARTIAL_CONTENT;
                let content_range = format!("bytes {start}-{end}/{size}");
                set(&mut response, header::CONTENT_RANGE, &content_range);
                let length = (end - start + 1).to_string();
                set(&mut response, header::CONTENT_LENGTH, &length);
                Ok(response)
            }
            Ok(None) => {
                set(&mut response, header::CONTENT_LENGTH, &size.to_string());
                Ok(response)
            }
        }
    }
}

/// The 200 with all of `bytes`, or the 206 with `range` of them and `Content-Range`.
fn finish_get(mut response: Answer, bytes: &Bytes, range: Option<(i64, i64)>) -> Answer {
    let size = bytes.len();
    let body = match range {
        Some((start, end)) => {
            *response.status_mut() = StatusCode::PARTIAL_CONTENT;
            let content_range = format!("bytes {start}-{end}/{size}");
            set(&mut response, header::CONTENT_RANGE, &content_range);
            let start = usize::try_from(start).unwrap_or(0).min(size);
            let end = usize::try_from(end + 1).unwrap_or(0).clamp(start, size);
            bytes.slice(start..end)
        }
        None => bytes.clone(),
    };
    set(
        &mut response,
        header::CONTENT_LENGTH,
        &body.len().to_string(),
    );
    *response.body_mut() = body;
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_spec_pattern() {
        for good in [
            "bytes=0-9",
            "bytes=-5",
            "bytes=3-",
            "bytes=0-1,3-4",
            "bytes=0-1, 3-4",
            "bytes=-",
        ] {
            assert!(matches_range_pattern(good), "{good}");
        }
        for bad in [
            "bytes=",
            "bytes=a-b",
            "0-9",
            "bytes=0",
            "items=0-1",
            "bytes=0-1;",
        ] {
            assert!(!matches_range_pattern(bad), "{bad}");
        }
    }
}
