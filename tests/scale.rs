//! A 10,000-part upload whose part URLs are 2 KB long (as lakeFS signs them with session
//! tokens), over the fake transport: create hands out only the presign window, the other
//! 9,900 URLs come from `uploadPart` as parts start. The source is a sparse file mapped into
//! memory (48.8 GiB of zeros that occupy no RAM); the fake never touches the bytes.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../benches/support/mod.rs"]
mod support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use bytes::Bytes;
use http::{Method, StatusCode};
use lakefs::experimental::{ExperimentalClient, RetryPolicy};
use lakefs::multipart::{UploadConfig, UploadSource, Uploader, DEFAULT_PRESIGN_WINDOW};
use lakefs::transport::fake::{self, FakeTransport, ResponseExt};

const MIB: u64 = support::MIB;
const PARTS: u64 = 10_000;

/// A presigned URL of about 2 KB, as S3 signs it with an STS session token.
fn long_url(part: u64) -> String {
    format!(
        "http://s3.fake/bucket/data/object?partNumber={part}&uploadId=u&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Security-Token={}&X-Amz-Signature=ab",
        "T".repeat(1900)
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_parts_with_two_kilobyte_urls() {
    let transport = FakeTransport::new();
    transport.set_recording(false);
    let asked = Arc::new(AtomicUsize::new(usize::MAX));
    let seen = Arc::clone(&asked);
    transport.route(
        Method::POST,
        "/api/v1/repositories/{r}/branches/{b}/staging/pmpu",
        move |request, _| {
            let parts: usize = fake::query_pairs(request.uri())
                .into_iter()
                .find(|(k, _)| k == "parts")
                .and_then(|(_, v)| v.parse().ok())
                .unwrap_or(0);
            seen.store(parts, Ordering::SeqCst);
            let urls: Vec<String> = (1..=parts as u64).map(long_url).collect();
            let body = serde_json::json!({
                "upload_id": "u",
                "physical_address": "s3://bucket/data/object,sig",
                "presigned_urls": urls,
            });
            Ok(fake::json(StatusCode::CREATED, body.to_string()))
        },
    );
    let signed = transport.route(
        Method::PUT,
        "/api/v1/repositories/{r}/branches/{b}/staging/pmpu/{id}/parts/{n}",
        |_, params| {
            let part: u64 = params.get("n").unwrap().parse().unwrap();
            let body = serde_json::json!({ "presigned_url": long_url(part) });
            Ok(fake::json(StatusCode::OK, body.to_string()))
        },
    );
    let stored = transport.route(Method::PUT, "/bucket/data/object", |_, _| {
        Ok(fake::response(StatusCode::OK, Bytes::new())
            .with_header("etag", "\"0123456789abcdef0123456789abcdef\""))
    });
    let completed = transport.route(
        Method::PUT,
        "/api/v1/repositories/{r}/branches/{b}/staging/pmpu/{id}",
        |request, _| {
            let body: serde_json::Value = serde_json::from_slice(request.body()).unwrap();
            assert_eq!(body["parts"].as_array().unwrap().len(), PARTS as usize);
            Ok(fake::json(
                StatusCode::OK,
                r#"{"path":"big","path_type":"object","physical_address":"data/object,sig","checksum":"c-10000","size_bytes":52428800000,"mtime":0}"#,
            ))
        },
    );
    let client = ExperimentalClient::builder()
        .endpoint("http://lakefs.fake")
        .retry_policy(RetryPolicy::none())
        .build_with_transport(transport)
        .unwrap();
    let config = UploadConfig::builder()
        .part_size(5 * MIB)
        .concurrency(8)
        .build()
        .unwrap();
    let stats = Uploader::new(client, config)
        .upload(
            "repo",
            "main",
            "big",
            UploadSource::bytes(support::sparse_bytes(PARTS * 5 * MIB)),
        )
        .await
        .unwrap();
    assert_eq!(stats.checksum, "c-10000");
    assert_eq!(
        asked.load(Ordering::SeqCst),
        DEFAULT_PRESIGN_WINDOW as usize
    );
    assert_eq!(
        signed.calls(),
        (PARTS - u64::from(DEFAULT_PRESIGN_WINDOW)) as usize
    );
    assert_eq!(stored.calls(), PARTS as usize);
    assert_eq!(completed.calls(), 1);
}
