//! Raw requests to the emulator, in-process through `Emulator::handle_async`, decoded with
//! `lakefs_models` (no client crate involved).
#![allow(
    dead_code,
    unreachable_pub,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

pub mod objects;

use base64::Engine as _;
use bytes::Bytes;
use http::{Method, Request, Response, StatusCode};
use lakefs_emulator::{
    Emulator, DEFAULT_ACCESS_KEY_ID, DEFAULT_BRANCH, DEFAULT_REPOSITORY, DEFAULT_SECRET_ACCESS_KEY,
};
use lakefs_models::{
    CompletePresignMultipartUpload, ObjectStats, PresignMultipartUpload, UploadPart,
};
use serde::de::DeserializeOwned;
use serde_json::Value;

pub const REPO: &str = DEFAULT_REPOSITORY;
pub const MAIN: &str = DEFAULT_BRANCH;
pub const MIB: usize = 1024 * 1024;

/// The default administrator's `Authorization` header.
pub fn admin_auth() -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!(
            "{DEFAULT_ACCESS_KEY_ID}:{DEFAULT_SECRET_ACCESS_KEY}"
        ))
    )
}

/// A path segment, percent-encoded.
pub fn seg(text: &str) -> String {
    percent_encoding::utf8_percent_encode(text, percent_encoding::NON_ALPHANUMERIC).to_string()
}

/// A query value, form-encoded.
pub fn q(text: &str) -> String {
    form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// Sends requests to one emulator as the default administrator (or as given).
#[derive(Clone)]
pub struct Api {
    pub emulator: Emulator,
    pub auth: Option<String>,
}

impl Api {
    pub fn new(emulator: Emulator) -> Self {
        Self {
            emulator,
            auth: Some(admin_auth()),
        }
    }

    pub fn anonymous(&self) -> Self {
        Self {
            emulator: self.emulator.clone(),
            auth: None,
        }
    }

    pub fn with_auth(&self, auth: impl Into<String>) -> Self {
        Self {
            emulator: self.emulator.clone(),
            auth: Some(auth.into()),
        }
    }

    /// `method` on `/api/v1` + `path` (which may carry a query), with an optional JSON body.
    pub async fn call(&self, method: Method, path: &str, body: Option<Value>) -> Response<Bytes> {
        self.send(method, path, &[], body).await
    }

    /// As `call`, with extra request headers.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<Value>,
    ) -> Response<Bytes> {
        let mut request = Request::builder()
            .method(method)
            .uri(format!("http://lakefs.emulator/api/v1{path}"));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        if let Some(auth) = &self.auth {
            request = request.header("authorization", auth.as_str());
        }
        let body = match body {
            Some(value) => {
                request = request.header("content-type", "application/json");
                Bytes::from(serde_json::to_vec(&value).unwrap())
            }
            None => Bytes::new(),
        };
        self.emulator
            .handle_async(&request.body(body).unwrap())
            .await
    }

    pub async fn get(&self, path: &str) -> Response<Bytes> {
        self.call(Method::GET, path, None).await
    }

    pub async fn post(&self, path: &str, body: Value) -> Response<Bytes> {
        self.call(Method::POST, path, Some(body)).await
    }

    pub async fn put(&self, path: &str, body: Value) -> Response<Bytes> {
        self.call(Method::PUT, path, Some(body)).await
    }

    pub async fn patch(&self, path: &str, body: Value) -> Response<Bytes> {
        self.call(Method::PATCH, path, Some(body)).await
    }

    pub async fn delete(&self, path: &str) -> Response<Bytes> {
        self.call(Method::DELETE, path, None).await
    }

    /// A GET of a presigned URL (the emulator's store), with no lakeFS credentials.
    pub async fn get_url(&self, url: &str) -> Response<Bytes> {
        let request = Request::get(url).body(Bytes::new()).unwrap();
        self.emulator.handle_async(&request).await
    }

    /// A PUT of `bytes` to a presigned part URL, with no lakeFS credentials.
    pub async fn put_url(&self, url: &str, bytes: impl Into<Bytes>) -> Response<Bytes> {
        let request = Request::put(url).body(bytes.into()).unwrap();
        self.emulator.handle_async(&request).await
    }

    /// Creates an upload of `path` on main with `parts` part URLs.
    pub async fn create(&self, path: &str, parts: u32) -> PresignMultipartUpload {
        let response = self
            .call(
                Method::POST,
                &format!(
                    "/repositories/{REPO}/branches/{MAIN}/staging/pmpu?path={}&parts={parts}",
                    q(path)
                ),
                None,
            )
            .await;
        expect(&response, StatusCode::CREATED);
        decode(&response)
    }

    /// `uploadPart` on main.
    pub async fn upload_part(
        &self,
        upload: &PresignMultipartUpload,
        path: &str,
        part: &str,
        address: &str,
    ) -> Response<Bytes> {
        self.put(
            &format!(
                "/repositories/{REPO}/branches/{MAIN}/staging/pmpu/{}/parts/{part}?path={}",
                upload.upload_id,
                q(path)
            ),
            serde_json::json!({ "physical_address": address }),
        )
        .await
    }

    /// `uploadPartCopy` on main.
    pub async fn copy_part(
        &self,
        upload: &PresignMultipartUpload,
        path: &str,
        part: u32,
        copy_source: Value,
    ) -> Response<Bytes> {
        self.put(
            &format!(
                "/repositories/{REPO}/branches/{MAIN}/staging/pmpu/{}/parts/{part}/copy?path={}",
                upload.upload_id,
                q(path)
            ),
            serde_json::json!({
                "physical_address": upload.physical_address,
                "copy_source": copy_source,
            }),
        )
        .await
    }

    /// `completePresignMultipartUpload` on main with `(part number, ETag)`s.
    pub async fn complete(
        &self,
        upload: &PresignMultipartUpload,
        path: &str,
        parts: &[(u32, String)],
    ) -> Response<Bytes> {
        let body = CompletePresignMultipartUpload::new(
            upload.physical_address.clone(),
            parts
                .iter()
                .map(|(n, etag)| UploadPart::new(*n, etag.trim_matches('"')))
                .collect(),
        );
        self.put(
            &format!(
                "/repositories/{REPO}/branches/{MAIN}/staging/pmpu/{}?path={}",
                upload.upload_id,
                q(path)
            ),
            serde_json::to_value(body).unwrap(),
        )
        .await
    }
}

/// Asserts the status, showing the body when it differs.
pub fn expect(response: &Response<Bytes>, status: StatusCode) {
    assert_eq!(
        response.status(),
        status,
        "body: {}",
        String::from_utf8_lossy(response.body())
    );
}

pub fn decode<T: DeserializeOwned>(response: &Response<Bytes>) -> T {
    serde_json::from_slice(response.body()).unwrap_or_else(|e| {
        panic!(
            "cannot decode {}: {e}",
            String::from_utf8_lossy(response.body())
        )
    })
}

/// The status and the `Error` message of a failed call.
pub fn failure(response: &Response<Bytes>) -> (StatusCode, String) {
    assert_eq!(
        response
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap()),
        Some("application/json"),
        "{response:?}"
    );
    let error: lakefs_models::Error = decode(response);
    (response.status(), error.message)
}

/// Asserts a failure's status and that its message contains `text`.
pub fn expect_failure(response: &Response<Bytes>, status: StatusCode, text: &str) {
    let (actual, message) = failure(response);
    assert_eq!(actual, status, "message: {message}");
    assert!(
        message.contains(text),
        "{message:?} should contain {text:?}"
    );
}

/// A response header, if present.
pub fn header(response: &Response<Bytes>, name: &str) -> Option<String> {
    response
        .headers()
        .get(name)
        .map(|v| v.to_str().unwrap().to_owned())
}

/// The `ETag` header.
pub fn etag(response: &Response<Bytes>) -> String {
    response
        .headers()
        .get("etag")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default()
}

/// S3's XML error `Code` and `Message`.
pub fn s3_error(response: &Response<Bytes>) -> (String, String) {
    let text = String::from_utf8_lossy(response.body()).into_owned();
    let field = |name: &str| {
        text.split_once(&format!("<{name}>"))
            .and_then(|(_, rest)| rest.split_once(&format!("</{name}>")))
            .map(|(value, _)| value.to_owned())
            .unwrap_or_default()
    };
    (field("Code"), field("Message"))
}

/// A query parameter of a URL.
pub fn url_param(url: &str, name: &str) -> Option<String> {
    let query = url.split_once('?')?.1;
    form_urlencoded::parse(query.as_bytes()).find_map(|(k, v)| (k == name).then(|| v.into_owned()))
}

pub fn md5_hex(bytes: &[u8]) -> String {
    use md5::{Digest, Md5};
    Md5::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

pub fn generated(len: usize, seed: u64) -> Bytes {
    let mut bytes = vec![0u8; len];
    fastrand::Rng::with_seed(seed).fill(&mut bytes);
    Bytes::from(bytes)
}

/// The stats complete answered.
pub fn stats(response: &Response<Bytes>) -> ObjectStats {
    expect(response, StatusCode::OK);
    decode(response)
}
