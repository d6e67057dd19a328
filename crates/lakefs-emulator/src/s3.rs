//! Parts on a real S3-compatible server (feature `s3`), as lakeFS does in production: the
//! multipart upload is created there, part URLs are presigned for it (at create and by
//! `uploadPart`, with the emulator's part URL lifetime and clock), complete, abort and
//! `uploadPartCopy` (a SigV4-signed `UploadPartCopy` with `x-amz-copy-source`) go there too.

use std::fmt;
use std::time::Duration;

use bytes::Bytes;
use http::{Method, Request, StatusCode};
use lakefs_transport::{HttpTransport, HyperTransport};
use rusty_s3::actions::CreateMultipartUpload;
use rusty_s3::{Bucket, Credentials, S3Action, UrlStyle};

/// How long a signed S3 call of the emulator's own stays valid.
const CALL_EXPIRY: Duration = Duration::from_secs(300);

/// Attempts of one S3 call answered `500`, `502`, `503` or `504` (the AWS SDK's standard
/// retry mode, which lakeFS's S3 adapter uses, makes three).
const S3_ATTEMPTS: u32 = 3;

/// The first retry's mean wait; it doubles, with ±50 % jitter.
const S3_BACKOFF: Duration = Duration::from_millis(50);

fn retryable(status: StatusCode) -> bool {
    matches!(status.as_u16(), 500 | 502 | 503 | 504)
}

/// A failed S3 call.
#[derive(Debug)]
pub struct S3Error {
    /// What the emulator was doing.
    pub operation: &'static str,
    /// The HTTP status, if the server answered.
    pub status: Option<StatusCode>,
    /// S3's error `Code` (never the rest of the body, which may echo a signature), or the
    /// transport's error.
    pub detail: String,
}

impl fmt::Display for S3Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.status {
            Some(status) => write!(
                f,
                "S3 {} answered {status}: {}",
                self.operation, self.detail
            ),
            None => write!(f, "S3 {} failed: {}", self.operation, self.detail),
        }
    }
}

impl std::error::Error for S3Error {}

/// An S3-compatible bucket that stores the emulator's multipart uploads.
pub struct S3Storage {
    bucket: Bucket,
    credentials: Credentials,
    transport: HyperTransport,
}

impl fmt::Debug for S3Storage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("S3Storage")
            .field("endpoint", &self.bucket.base_url().as_str())
            .field("bucket", &self.bucket.name())
            .finish_non_exhaustive()
    }
}

impl S3Storage {
    /// A path-style bucket at `endpoint` (e.g. `http://127.0.0.1:8014`). Part URLs are valid
    /// for the emulator's part URL lifetime ([`Emulator::set_part_url_expiry`](crate::Emulator::set_part_url_expiry),
    /// 15 minutes by default, as lakeFS's).
    ///
    /// # Errors
    /// When the endpoint is not an http(s) URL with a host, or the HTTP client cannot be built.
    pub fn new(
        endpoint: &str,
        bucket: &str,
        region: &str,
        access_key_id: &str,
        secret_access_key: &str,
    ) -> Result<Self, S3Error> {
        let invalid = |detail: String| S3Error {
            operation: "setup",
            status: None,
            detail,
        };
        let url = url::Url::parse(endpoint).map_err(|e| invalid(format!("endpoint: {e}")))?;
        let bucket = Bucket::new(url, UrlStyle::Path, bucket.to_owned(), region.to_owned())
            .map_err(|e| invalid(format!("bucket: {e}")))?;
        // GetObject reads whole objects back: allow large bodies.
        let transport = HyperTransport::builder()
            .max_response_body(usize::MAX >> 1)
            .build()
            .map_err(|e| invalid(e.to_string()))?;
        Ok(Self {
            bucket,
            credentials: Credentials::new(access_key_id, secret_access_key),
            transport,
        })
    }

    /// The bucket's name.
    #[must_use]
    pub fn bucket_name(&self) -> &str {
        self.bucket.name()
    }

    async fn call(
        &self,
        operation: &'static str,
        method: Method,
        url: url::Url,
        body: Bytes,
    ) -> Result<http::Response<Bytes>, S3Error> {
        self.call_with(operation, method, url, &[], body).await
    }

    /// As `call`, with headers (which the URL's signature covers).
    async fn call_with(
        &self,
        operation: &'static str,
        method: Method,
        url: url::Url,
        headers: &[(&str, &str)],
        body: Bytes,
    ) -> Result<http::Response<Bytes>, S3Error> {
        let fail = |status, detail| S3Error {
            operation,
            status,
            detail,
        };
        let mut attempt = 1;
        loop {
            let mut request = Request::builder().method(&method).uri(url.as_str());
            for (name, value) in headers {
                request = request.header(*name, *value);
            }
            let request = request
                .body(body.clone())
                .map_err(|e| fail(None, e.to_string()))?;
            let response = self
                .transport
                .send(request)
                .await
                .map_err(|e| fail(None, e.to_string()))?;
            let status = response.status();
            if status.is_success() {
                return Ok(response);
            }
            // lakeFS's S3 client (the AWS SDK's standard mode) retries throttling and server
            // errors, three attempts in all; an answer of these statuses means nothing was done.
            if attempt < S3_ATTEMPTS && retryable(status) {
                let backoff = S3_BACKOFF * 2u32.pow(attempt - 1);
                tokio::time::sleep(backoff.mul_f64(0.5 + fastrand::f64())).await;
                attempt += 1;
                continue;
            }
            return Err(fail(Some(status), s3_error_code(response.body())));
        }
    }

    /// Creates the bucket; an existing one is fine.
    ///
    /// # Errors
    /// When the server refuses for another reason.
    pub async fn create_bucket(&self) -> Result<(), S3Error> {
        let url = self
            .bucket
            .create_bucket(&self.credentials)
            .sign(CALL_EXPIRY);
        match self
            .call("CreateBucket", Method::PUT, url, Bytes::new())
            .await
        {
            Err(error) if error.detail.starts_with("BucketAlready") => Ok(()),
            other => other.map(drop),
        }
    }

    pub(crate) async fn create_upload(&self, key: &str) -> Result<String, S3Error> {
        let url = self
            .bucket
            .create_multipart_upload(Some(&self.credentials), key)
            .sign(CALL_EXPIRY);
        let response = self
            .call("CreateMultipartUpload", Method::POST, url, Bytes::new())
            .await?;
        let text = String::from_utf8_lossy(response.body());
        let parsed = CreateMultipartUpload::parse_response(&text).map_err(|e| S3Error {
            operation: "CreateMultipartUpload",
            status: Some(response.status()),
            detail: format!("unexpected answer: {e}"),
        })?;
        Ok(parsed.upload_id().to_owned())
    }

    /// A presigned `UploadPart` URL, signed at `now` (Unix seconds, the emulator's clock) and
    /// valid for `expiry`.
    pub(crate) fn presign_part(
        &self,
        key: &str,
        upload_id: &str,
        part_number: u16,
        expiry: Duration,
        now: i64,
    ) -> String {
        let time = jiff::Timestamp::from_second(now).unwrap_or_else(|_| jiff::Timestamp::now());
        self.bucket
            .upload_part(Some(&self.credentials), key, part_number, upload_id)
            .sign_with_time(expiry, &time)
            .to_string()
    }

    /// A presigned `GetObject` URL of `key`, signed at `now` (Unix seconds, the emulator's
    /// clock) and valid for `expiry`: what lakeFS hands out for `presign=true` reads.
    pub(crate) fn presign_get(&self, key: &str, expiry: Duration, now: i64) -> String {
        let time = jiff::Timestamp::from_second(now).unwrap_or_else(|_| jiff::Timestamp::now());
        self.bucket
            .get_object(Some(&self.credentials), key)
            .sign_with_time(expiry, &time)
            .to_string()
    }

    /// Uploads `body` as a part (the emulator's own `UploadPart`); returns S3's ETag.
    pub(crate) async fn upload_part(
        &self,
        key: &str,
        upload_id: &str,
        part_number: u16,
        body: Bytes,
    ) -> Result<String, S3Error> {
        let url = self
            .bucket
            .upload_part(Some(&self.credentials), key, part_number, upload_id)
            .sign(CALL_EXPIRY);
        let response = self.call("UploadPart", Method::PUT, url, body).await?;
        Ok(response
            .headers()
            .get(http::header::ETAG)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned())
    }

    /// S3's `UploadPartCopy`: the part is `source_key` of this bucket, or its `range`
    /// (`bytes=first-last`). rusty-s3 has no such action, but it signs an `UploadPart` with
    /// extra signed headers, and `UploadPartCopy` is exactly that with `x-amz-copy-source`
    /// (and `x-amz-copy-source-range`). Returns the ETag of `CopyPartResult`.
    pub(crate) async fn upload_part_copy(
        &self,
        key: &str,
        upload_id: &str,
        part_number: u16,
        source_key: &str,
        range: Option<&str>,
    ) -> Result<String, S3Error> {
        const KEY: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
            .remove(b'/')
            .remove(b'-')
            .remove(b'_')
            .remove(b'.')
            .remove(b'~');
        let source = format!(
            "{}/{}",
            self.bucket.name(),
            percent_encoding::utf8_percent_encode(source_key, KEY)
        );
        let mut headers = vec![("x-amz-copy-source", source.as_str())];
        if let Some(range) = range {
            headers.push(("x-amz-copy-source-range", range));
        }
        let mut action =
            self.bucket
                .upload_part(Some(&self.credentials), key, part_number, upload_id);
        for (name, value) in &headers {
            action.headers_mut().insert(*name, *value);
        }
        let url = action.sign(CALL_EXPIRY);
        let response = self
            .call_with("UploadPartCopy", Method::PUT, url, &headers, Bytes::new())
            .await?;
        // S3 may answer 200 with an error document when the copy fails late.
        let text = String::from_utf8_lossy(response.body());
        if text.contains("<Error>") {
            return Err(S3Error {
                operation: "UploadPartCopy",
                status: Some(response.status()),
                detail: s3_error_code(response.body()),
            });
        }
        text.split_once("<ETag>")
            .and_then(|(_, rest)| rest.split_once("</ETag>"))
            .map(|(etag, _)| etag.replace("&quot;", "\"").replace("&#34;", "\""))
            .ok_or_else(|| S3Error {
                operation: "UploadPartCopy",
                status: Some(response.status()),
                detail: "no ETag in the answer".into(),
            })
    }

    /// Completes the upload with the parts as given; returns the object's ETag and size.
    pub(crate) async fn complete(
        &self,
        key: &str,
        upload_id: &str,
        parts: &[(u32, String)],
    ) -> Result<(String, u64), S3Error> {
        let url = self
            .bucket
            .complete_multipart_upload(Some(&self.credentials), key, upload_id, std::iter::empty())
            .sign(CALL_EXPIRY);
        // Built here rather than by rusty-s3, which numbers parts 1, 2, 3…: the client's own
        // part numbers must reach S3 unchanged.
        let mut body = String::from("<CompleteMultipartUpload>");
        for (number, etag) in parts {
            body.push_str(&format!(
                "<Part><PartNumber>{number}</PartNumber><ETag>\"{}\"</ETag></Part>",
                xml_escape(etag.trim_matches('"'))
            ));
        }
        body.push_str("</CompleteMultipartUpload>");
        let response = self
            .call(
                "CompleteMultipartUpload",
                Method::POST,
                url,
                Bytes::from(body),
            )
            .await?;
        // S3 may answer 200 with an error document when completion fails late.
        let text = String::from_utf8_lossy(response.body());
        if text.contains("<Error>") {
            return Err(S3Error {
                operation: "CompleteMultipartUpload",
                status: Some(response.status()),
                detail: s3_error_code(response.body()),
            });
        }
        let head = self
            .bucket
            .head_object(Some(&self.credentials), key)
            .sign(CALL_EXPIRY);
        let response = self
            .call("HeadObject", Method::HEAD, head, Bytes::new())
            .await?;
        let header = |name| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let etag = header(http::header::ETAG).unwrap_or_default();
        let size = header(http::header::CONTENT_LENGTH)
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        Ok((etag.trim_matches('"').to_owned(), size))
    }

    pub(crate) async fn abort(&self, key: &str, upload_id: &str) -> Result<(), S3Error> {
        let url = self
            .bucket
            .abort_multipart_upload(Some(&self.credentials), key, upload_id)
            .sign(CALL_EXPIRY);
        self.call("AbortMultipartUpload", Method::DELETE, url, Bytes::new())
            .await
            .map(drop)
    }

    /// The object stored at `key`.
    ///
    /// # Errors
    /// When S3 does not answer it.
    pub async fn get_object(&self, key: &str) -> Result<Bytes, S3Error> {
        let url = self
            .bucket
            .get_object(Some(&self.credentials), key)
            .sign(CALL_EXPIRY);
        Ok(self
            .call("GetObject", Method::GET, url, Bytes::new())
            .await?
            .into_body())
    }

    /// Stores `bytes` at `key` with one `PutObject`, replacing what is there: for tests of
    /// readers whose object changes under them at the store.
    ///
    /// # Errors
    /// When S3 does not answer it.
    pub async fn put_object(&self, key: &str, bytes: Bytes) -> Result<(), S3Error> {
        let url = self
            .bucket
            .put_object(Some(&self.credentials), key)
            .sign(CALL_EXPIRY);
        self.call("PutObject", Method::PUT, url, bytes)
            .await
            .map(drop)
    }

    /// How many parts S3 holds for an upload (an aborted upload holds none).
    ///
    /// # Errors
    /// When S3 does not answer it (S3 itself answers `NoSuchUpload` for an aborted upload).
    pub async fn count_parts(&self, key: &str, upload_id: &str) -> Result<usize, S3Error> {
        let url = self
            .bucket
            .list_parts(Some(&self.credentials), key, upload_id)
            .sign(CALL_EXPIRY);
        let response = self
            .call("ListParts", Method::GET, url, Bytes::new())
            .await?;
        // Counted rather than parsed: some S3-compatible servers leave out fields (the part's
        // ETag) that strict parsers require.
        Ok(String::from_utf8_lossy(response.body())
            .matches("<Part>")
            .count())
    }
}

/// S3's error `Code` from an XML error body. Nothing else is kept: S3 echoes the request's
/// signature in `SignatureDoesNotMatch` answers.
fn s3_error_code(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    text.split_once("<Code>")
        .and_then(|(_, rest)| rest.split_once("</Code>"))
        .map_or_else(
            || format!("({} byte answer)", body.len()),
            |(code, _)| code.to_owned(),
        )
}

fn xml_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
