//! The object store behind the presigned URLs: answers part PUTs like S3's `UploadPart` and
//! object GETs like S3's `GetObject`, including S3's refusal of an expired presigned URL.

use bytes::Bytes;
use http::{header, Request, Response, StatusCode};

use crate::checksum::md5_hex;
use crate::clock;
use crate::emulator::Emulator;
use crate::signing::OBJECTS_PREFIX;

/// S3's XML error document.
fn s3_error(status: StatusCode, code: &str, message: &str) -> Response<Bytes> {
    s3_error_with(status, code, message, "")
}

/// S3's XML error document; `extra` holds further elements, as S3 adds for some errors.
fn s3_error_with(status: StatusCode, code: &str, message: &str, extra: &str) -> Response<Bytes> {
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code><Message>{message}</Message>{extra}</Error>"
    );
    let mut response = Response::new(Bytes::from(body));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("application/xml"),
    );
    response
}

/// A request to the store: a part PUT, or an object GET (`objects/…`).
pub(crate) fn serve(emulator: &Emulator, request: &Request<Bytes>, rest: &str) -> Response<Bytes> {
    match rest.strip_prefix(OBJECTS_PREFIX) {
        Some(key) if request.method() == http::Method::GET => get_object(emulator, request, key),
        _ => put_part(emulator, request, rest),
    }
}

/// The presigned query parameters of a storage request.
struct Presigned {
    date: String,
    expires: String,
    signature: String,
}

impl Presigned {
    fn parse(request: &Request<Bytes>) -> Self {
        let query: Vec<(String, String)> =
            form_urlencoded::parse(request.uri().query().unwrap_or("").as_bytes())
                .into_owned()
                .collect();
        let param = |name: &str| {
            query
                .iter()
                .find_map(|(k, v)| (k == name).then(|| v.clone()))
                .unwrap_or_default()
        };
        Self {
            date: param("X-Amz-Date"),
            expires: param("X-Amz-Expires"),
            signature: param("X-Amz-Signature"),
        }
    }

    /// S3's `403 AccessDenied` "Request has expired" once the URL's lifetime has passed on
    /// the emulator's clock (date and lifetime are covered by the signature, checked first).
    fn expired(&self, now: i64) -> Option<Response<Bytes>> {
        let signed_at = clock::parse_amz_date(&self.date).unwrap_or(0);
        let lifetime: i64 = self.expires.parse().unwrap_or(0);
        if now <= signed_at.saturating_add(lifetime) {
            return None;
        }
        Some(s3_error_with(
            StatusCode::FORBIDDEN,
            "AccessDenied",
            "Request has expired",
            &format!(
                "<X-Amz-Expires>{lifetime}</X-Amz-Expires><Expires>{}</Expires><ServerTime>{}</ServerTime>",
                clock::rfc3339(signed_at.saturating_add(lifetime)),
                clock::rfc3339(now)
            ),
        ))
    }
}

/// S3's answer to a presigned URL whose signature does not match.
fn signature_mismatch() -> Response<Bytes> {
    s3_error(
        StatusCode::FORBIDDEN,
        "SignatureDoesNotMatch",
        "The request signature we calculated does not match the signature you provided.",
    )
}

/// `GET /_storage/objects/{key}?X-Amz-Date=…&X-Amz-Expires=…&X-Amz-Signature=…`, a presigned
/// GET URL from statObject, listObjects or getObject: checks the signature (which covers the
/// key, date and lifetime), then the expiry (`403 AccessDenied` "Request has expired"), then
/// the object (`404 NoSuchKey`, also once no branch or commit holds it). 200 with the bytes,
/// the quoted ETag, `Content-Type`, `Content-Length` and `Last-Modified`. Then, as S3: an
/// `If-Match` naming another ETag is `412 PreconditionFailed`, an `If-None-Match` naming this
/// one `304 Not Modified` without a body (ETags compared without their quotes, `*` matching
/// any); then one `Range` as S3 serves it (206 with `Content-Range`, an unsatisfiable one
/// `416 InvalidRange`).
///
/// An AWS `Authorization` header with the presigned query is refused as S3 does; any other
/// one (a lakeFS `Basic` or `Bearer` header) is ignored: HTTP clients keep it when they follow
/// getObject's redirect to the same host, which the emulator's store is and S3 is not.
fn get_object(emulator: &Emulator, request: &Request<Bytes>, encoded_key: &str) -> Response<Bytes> {
    let aws_authorization = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("AWS"));
    if aws_authorization {
        return s3_error(
            StatusCode::BAD_REQUEST,
            "InvalidArgument",
            "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter should be specified",
        );
    }
    let key = percent_encoding::percent_decode_str(encoded_key)
        .decode_utf8_lossy()
        .into_owned();
    let presigned = Presigned::parse(request);
    let state = emulator.lock();
    let expected = state.object_signature(&key, &presigned.date, &presigned.expires);
    if presigned.signature != expected {
        return signature_mismatch();
    }
    if let Some(expired) = presigned.expired(state.now()) {
        return expired;
    }
    let Some(entry) = state
        .stored_object(&key)
        .filter(|e| !e.parts.is_empty() || e.s3_key.is_none())
    else {
        return s3_error(
            StatusCode::NOT_FOUND,
            "NoSuchKey",
            "The specified key does not exist.",
        );
    };
    let stats = &entry.stats;
    let etag = format!("\"{}\"", stats.checksum.trim_matches('"'));
    let mut response = Response::new(Bytes::new());
    if precondition(request, header::IF_MATCH, &etag) == Some(false) {
        return s3_error_with(
            StatusCode::PRECONDITION_FAILED,
            "PreconditionFailed",
            "At least one of the pre-conditions you specified did not hold",
            "<Condition>If-Match</Condition>",
        );
    }
    if precondition(request, header::IF_NONE_MATCH, &etag) == Some(true) {
        // S3: 304 with the object's ETag and Last-Modified, and no body.
        *response.status_mut() = StatusCode::NOT_MODIFIED;
        insert(&mut response, header::ETAG, &etag);
        insert(
            &mut response,
            header::LAST_MODIFIED,
            &clock::http_date(stats.mtime),
        );
        return response;
    }
    let len = entry.len();
    let size = i64::try_from(len).unwrap_or(i64::MAX);
    let range = request
        .headers()
        .get(header::RANGE)
        .and_then(|v| v.to_str().ok());
    let body = match range.map(|r| crate::range::parse_range(r, size)) {
        None | Some(Err(crate::range::RangeError::Bad)) => entry.bytes(),
        Some(Err(crate::range::RangeError::Unsatisfiable)) => {
            return s3_error(
                StatusCode::RANGE_NOT_SATISFIABLE,
                "InvalidRange",
                "The requested range is not satisfiable",
            )
        }
        Some(Ok((start, end))) => {
            *response.status_mut() = StatusCode::PARTIAL_CONTENT;
            insert(
                &mut response,
                header::CONTENT_RANGE,
                &format!("bytes {start}-{end}/{size}"),
            );
            let start = usize::try_from(start).unwrap_or(0).min(len);
            let end = usize::try_from(end + 1).unwrap_or(0).clamp(start, len);
            entry.range(start, end)
        }
    };
    insert(&mut response, header::ETAG, &etag);
    insert(
        &mut response,
        header::LAST_MODIFIED,
        &clock::http_date(stats.mtime),
    );
    insert(
        &mut response,
        header::CONTENT_TYPE,
        stats
            .content_type
            .as_deref()
            .unwrap_or("application/octet-stream"),
    );
    insert(
        &mut response,
        header::CONTENT_LENGTH,
        &body.len().to_string(),
    );
    insert(&mut response, header::ACCEPT_RANGES, "bytes");
    *response.body_mut() = body;
    response
}

/// Whether the ETag list of the request's `name` header (`If-Match`, `If-None-Match`) names
/// `etag`; `None` without the header. Entity tags are compared with their quotes (and a weak
/// `W/` prefix) stripped, as S3 does; `*` matches any object.
fn precondition(request: &Request<Bytes>, name: header::HeaderName, etag: &str) -> Option<bool> {
    let mut values = request.headers().get_all(name).iter().peekable();
    values.peek()?;
    let etag = etag.trim_matches('"');
    Some(
        values
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(|tag| tag.trim().trim_start_matches("W/").trim_matches('"'))
            .any(|tag| tag == "*" || tag == etag),
    )
}

/// Sets a header (a value that is no valid header is left out).
fn insert(response: &mut Response<Bytes>, name: header::HeaderName, value: &str) {
    if let Ok(value) = header::HeaderValue::from_str(value) {
        response.headers_mut().insert(name, value);
    }
}

/// `PUT /_storage/{upload_id}/{part}?X-Amz-Date=…&X-Amz-Expires=…&X-Amz-Signature=…`: checks
/// the signature (which covers the date and lifetime), then the expiry against the emulator's
/// clock (S3: `403 AccessDenied` "Request has expired"), then the upload (`404
/// NoSuchUpload`); stores the part and answers its quoted MD5 as the ETag.
pub(crate) fn put_part(
    emulator: &Emulator,
    request: &Request<Bytes>,
    rest: &str,
) -> Response<Bytes> {
    if request.method() != http::Method::PUT {
        return s3_error(
            StatusCode::METHOD_NOT_ALLOWED,
            "MethodNotAllowed",
            "only PUT of parts is supported",
        );
    }
    // A presigned request carries its authorization in the query: S3 refuses a second one.
    if request.headers().contains_key(header::AUTHORIZATION) {
        return s3_error(
            StatusCode::BAD_REQUEST,
            "InvalidArgument",
            "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter should be specified",
        );
    }
    let Some((upload_id, part)) = rest.split_once('/') else {
        return s3_error(
            StatusCode::NOT_FOUND,
            "NoSuchKey",
            "The specified key does not exist.",
        );
    };
    let Ok(part_number) = part.parse::<u32>() else {
        return s3_error(
            StatusCode::BAD_REQUEST,
            "InvalidArgument",
            "Part number must be an integer between 1 and 10000",
        );
    };
    let presigned = Presigned::parse(request);
    let mut state = emulator.lock();
    let expected =
        state.part_signature(upload_id, part_number, &presigned.date, &presigned.expires);
    if presigned.signature != expected {
        return signature_mismatch();
    }
    if let Some(expired) = presigned.expired(state.now()) {
        return expired;
    }
    let Some(upload) = state.uploads.get_mut(upload_id) else {
        return s3_error(
            StatusCode::NOT_FOUND,
            "NoSuchUpload",
            "The specified multipart upload does not exist.",
        );
    };
    let md5 = md5_hex(&[request.body()]);
    upload
        .parts
        .insert(part_number, (request.body().clone(), md5.clone()));
    let mut response = Response::new(Bytes::new());
    if let Ok(value) = header::HeaderValue::from_str(&format!("\"{md5}\"")) {
        response.headers_mut().insert(header::ETAG, value);
    }
    response
}
