//! The object store behind the presigned part URLs: answers like S3's `UploadPart`.

use bytes::Bytes;
use http::{header, Request, Response, StatusCode};

use crate::state::{md5_hex, Emulator};

fn s3_error(status: StatusCode, code: &str, message: &str) -> Response<Bytes> {
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code><Message>{message}</Message></Error>"
    );
    let mut response = Response::new(Bytes::from(body));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("application/xml"),
    );
    response
}

/// `PUT /_storage/{upload_id}/{part}?X-Amz-Signature=…`: stores the part and answers its
/// quoted MD5 as the ETag.
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
    let signature = form_urlencoded::parse(request.uri().query().unwrap_or("").as_bytes())
        .find_map(|(k, v)| (k == "X-Amz-Signature").then(|| v.into_owned()));
    let mut state = emulator.lock();
    if signature.as_deref() != Some(state.part_signature(upload_id, part_number).as_str()) {
        return s3_error(
            StatusCode::FORBIDDEN,
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match the signature you provided.",
        );
    }
    let Some(upload) = state.uploads.get_mut(upload_id) else {
        return s3_error(
            StatusCode::NOT_FOUND,
            "NoSuchUpload",
            "The specified multipart upload does not exist.",
        );
    };
    if part_number == 0 || part_number > upload.presigned_parts {
        return s3_error(
            StatusCode::FORBIDDEN,
            "AccessDenied",
            "no URL was presigned for this part",
        );
    }
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
