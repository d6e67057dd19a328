//! The object store behind the presigned part URLs: answers like S3's `UploadPart`, including
//! S3's refusal of an expired presigned URL.

use bytes::Bytes;
use http::{header, Request, Response, StatusCode};

use crate::checksum::md5_hex;
use crate::clock;
use crate::emulator::Emulator;

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
    let query: Vec<(String, String)> =
        form_urlencoded::parse(request.uri().query().unwrap_or("").as_bytes())
            .into_owned()
            .collect();
    let param = |name: &str| {
        query
            .iter()
            .find_map(|(k, v)| (k == name).then_some(v.as_str()))
    };
    let (date, expires) = (
        param("X-Amz-Date").unwrap_or(""),
        param("X-Amz-Expires").unwrap_or(""),
    );
    let mut state = emulator.lock();
    if param("X-Amz-Signature")
        != Some(
            state
                .part_signature(upload_id, part_number, date, expires)
                .as_str(),
        )
    {
        return s3_error(
            StatusCode::FORBIDDEN,
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match the signature you provided.",
        );
    }
    // Both are covered by the signature just checked, so they parse.
    let signed_at = clock::parse_amz_date(date).unwrap_or(0);
    let lifetime: i64 = expires.parse().unwrap_or(0);
    let now = state.now();
    if now > signed_at.saturating_add(lifetime) {
        return s3_error_with(
            StatusCode::FORBIDDEN,
            "AccessDenied",
            "Request has expired",
            &format!(
                "<X-Amz-Expires>{lifetime}</X-Amz-Expires><Expires>{}</Expires><ServerTime>{}</ServerTime>",
                clock::rfc3339(signed_at.saturating_add(lifetime)),
                clock::rfc3339(now)
            ),
        );
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
