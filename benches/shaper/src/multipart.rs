//! The sink's answers to S3's multipart calls, so that whole-process uploaders (rclone,
//! aws-cli, a lakeFS emulator keeping its objects "on S3") can run against it unchanged:
//!
//! - `POST /bucket/key?uploads` (CreateMultipartUpload) answers an
//!   `InitiateMultipartUploadResult` with a fresh `UploadId`;
//! - `POST /bucket/key?uploadId=…` (CompleteMultipartUpload) answers a
//!   `CompleteMultipartUploadResult` whose `ETag` is the one a later `HEAD` or `GET` of the
//!   synthetic object shows (the sink keeps no objects: every key reads as the same bytes);
//! - `GET /bucket?uploads` or `?list-type=2` answer empty listings.
//!
//! Nothing is checked: no signature, no part list. The part `PUT`s are the ordinary sink `PUT`.

use std::sync::atomic::{AtomicU64, Ordering};

use hyper::{header, Response, StatusCode};

use crate::{synthetic_etag, AnyBody};

/// Upload ids handed out so far (for distinct ids).
static UPLOADS: AtomicU64 = AtomicU64::new(0);

/// What a query string asks of the sink beyond object reads and writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Call {
    /// `POST ?uploads`.
    Create,
    /// `POST ?uploadId=…`.
    Complete,
    /// `GET ?uploads` (ListMultipartUploads) or `GET ?list-type=2` / `?prefix=` (ListObjects).
    List,
}

impl Call {
    /// The call a request's method and query make, if any.
    pub(crate) fn of(method: &hyper::Method, query: Option<&str>) -> Option<Self> {
        let keys = || {
            query
                .unwrap_or("")
                .split('&')
                .map(|pair| pair.split('=').next().unwrap_or(""))
        };
        match *method {
            hyper::Method::POST if keys().any(|k| k == "uploads") => Some(Self::Create),
            hyper::Method::POST if keys().any(|k| k == "uploadId") => Some(Self::Complete),
            hyper::Method::GET
                if keys().any(|k| k == "uploads" || k == "list-type" || k == "prefix") =>
            {
                Some(Self::List)
            }
            _ => None,
        }
    }

    /// The answer, for the object at `path` (`/bucket/key…`) of the sink's `object_size`.
    pub(crate) fn answer(&self, path: &str, object_size: u64) -> Response<AnyBody> {
        let mut segments = path.trim_start_matches('/').splitn(2, '/');
        let bucket = xml_escape(segments.next().unwrap_or(""));
        let key = xml_escape(segments.next().unwrap_or(""));
        let body = match self {
            Self::Create => {
                let id = UPLOADS.fetch_add(1, Ordering::Relaxed) + 1;
                format!(
                    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<InitiateMultipartUploadResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">\
                     <Bucket>{bucket}</Bucket><Key>{key}</Key>\
                     <UploadId>sink-upload-{id:08}</UploadId></InitiateMultipartUploadResult>"
                )
            }
            Self::Complete => format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<CompleteMultipartUploadResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">\
                 <Location>/{bucket}/{key}</Location><Bucket>{bucket}</Bucket><Key>{key}</Key>\
                 <ETag>{}</ETag></CompleteMultipartUploadResult>",
                xml_escape(&synthetic_etag(b"", object_size))
            ),
            Self::List => format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">\
                 <Name>{bucket}</Name><KeyCount>0</KeyCount><IsTruncated>false</IsTruncated>\
                 </ListBucketResult>"
            ),
        };
        let length = body.len().to_string();
        let mut response = Response::new(AnyBody::Full(Some(body.into())));
        *response.status_mut() = StatusCode::OK;
        for (name, value) in [
            (header::CONTENT_TYPE, "application/xml"),
            (header::CONTENT_LENGTH, length.as_str()),
        ] {
            if let Ok(value) = header::HeaderValue::from_str(value) {
                response.headers_mut().insert(name, value);
            }
        }
        response
    }
}

fn xml_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;
    use hyper::Method;

    #[test]
    fn queries_name_the_calls_s3_clients_make() {
        assert_eq!(Call::of(&Method::POST, Some("uploads")), Some(Call::Create));
        assert_eq!(
            Call::of(&Method::POST, Some("uploads=")),
            Some(Call::Create)
        );
        assert_eq!(
            Call::of(
                &Method::POST,
                Some("uploadId=abc&x-id=CompleteMultipartUpload")
            ),
            Some(Call::Complete)
        );
        assert_eq!(
            Call::of(&Method::GET, Some("list-type=2&prefix=a")),
            Some(Call::List)
        );
        // Part PUTs and ranged GETs stay ordinary sink traffic.
        assert_eq!(
            Call::of(&Method::PUT, Some("partNumber=1&uploadId=x")),
            None
        );
        assert_eq!(Call::of(&Method::GET, Some("X-Amz-Signature=abc")), None);
        assert_eq!(Call::of(&Method::POST, None), None);
    }

    #[test]
    fn answers_carry_the_bucket_key_and_the_objects_etag() {
        let create = Call::Create.answer("/bench/a&b.bin", 10);
        let AnyBody::Full(Some(body)) = create.body() else {
            panic!("no body")
        };
        let text = String::from_utf8_lossy(body);
        assert!(text.contains("<Bucket>bench</Bucket><Key>a&amp;b.bin</Key>"));
        assert!(text.contains("<UploadId>sink-upload-"));
        let complete = Call::Complete.answer("/bench/k", 10);
        let AnyBody::Full(Some(body)) = complete.body() else {
            panic!("no body")
        };
        let etag = xml_escape(&synthetic_etag(b"", 10));
        assert!(String::from_utf8_lossy(body).contains(&format!("<ETag>{etag}</ETag>")));
    }
}
