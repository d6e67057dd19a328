//! `uploadPart` and `uploadPartCopy` with parts on a real S3-compatible server (feature `s3`),
//! and reads of the objects completed there (getObject, presigned GET URLs):
//! s3s-fs, which verifies SigV4 signatures (presigned URLs included), started on 127.0.0.1.
//!
//! The server binary is found through `S3S_FS_BIN` or on `PATH`. Without it the test says
//! `SKIPPED` and passes, unless `LAKEFS_REQUIRE_S3=1` makes that a failure.
#![cfg(feature = "s3")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::StatusCode;
use lakefs_emulator::{Emulator, S3Storage, DEFAULT_OBJECT_PATH};
use lakefs_models::UploadTo;
use lakefs_transport::{HttpTransport, HyperTransport};
use serde_json::json;

use common::*;

const S3_KEY: &str = "s3-parts-access-key";
const S3_SECRET: &str = "s3-parts-secret-key-0123456789";
const BUCKET: &str = "lakefs-parts";

/// s3s-fs on a free loopback port over a temporary directory; killed on drop.
struct S3Server {
    child: Child,
    root: PathBuf,
    endpoint: String,
}

impl Drop for S3Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

fn start_s3() -> Option<S3Server> {
    let binary = std::env::var_os("S3S_FS_BIN")
        .map(PathBuf::from)
        .or_else(|| {
            std::env::split_paths(&std::env::var_os("PATH")?)
                .map(|dir| dir.join("s3s-fs"))
                .find(|p| p.is_file())
        });
    let Some(binary) = binary else {
        let required = std::env::var("LAKEFS_REQUIRE_S3").is_ok_and(|v| v == "1");
        assert!(!required, "LAKEFS_REQUIRE_S3=1 but no s3s-fs binary");
        eprintln!("SKIPPED: s3s-fs is not installed (set S3S_FS_BIN or put it on PATH)");
        return None;
    };
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let root = std::env::temp_dir().join(format!("lakefs-s3-parts-{}-{port}", std::process::id()));
    std::fs::create_dir_all(&root).unwrap();
    let child = Command::new(&binary)
        .args(["--host", "127.0.0.1", "--port", &port.to_string()])
        .args(["--access-key", S3_KEY, "--secret-key", S3_SECRET])
        .arg(&root)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", binary.display()));
    let server = S3Server {
        child,
        root,
        endpoint: format!("http://127.0.0.1:{port}"),
    };
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "s3s-fs did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    Some(server)
}

async fn put_to_s3(transport: &HyperTransport, url: &str, body: Bytes) -> String {
    let response = transport
        .send(http::Request::put(url).body(body).unwrap())
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK, "{:?}", response.body());
    response.headers()["etag"].to_str().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upload_part_and_upload_part_copy_on_s3() {
    let Some(server) = start_s3() else { return };
    let storage = S3Storage::new(&server.endpoint, BUCKET, "us-east-1", S3_KEY, S3_SECRET).unwrap();
    storage.create_bucket().await.unwrap();
    let emulator = Emulator::new();
    emulator.set_s3_storage(storage);
    emulator.set_part_url_expiry(Duration::from_secs(600));
    let api = Api::new(emulator);
    let transport = HyperTransport::builder().build().unwrap();

    // Upload 1: part 1 PUT to a URL from uploadPart (SigV4, signed by the emulator for S3),
    // part 2 copied from an object the emulator holds in memory.
    let path = "s3/first.bin";
    let upload = api.create(path, 1).await;
    let created_url = &upload.presigned_urls.clone().unwrap()[0];
    assert!(created_url.starts_with(&server.endpoint), "{created_url}");
    assert_eq!(
        url_param(created_url, "X-Amz-Expires").as_deref(),
        Some("600")
    );
    let response = api
        .upload_part(&upload, path, "1", &upload.physical_address)
        .await;
    expect(&response, StatusCode::OK);
    let fresh: UploadTo = decode(&response);
    assert!(fresh.presigned_url.starts_with(&server.endpoint));
    assert!(url_param(&fresh.presigned_url, "X-Amz-Date").is_some());
    assert_eq!(
        url_param(&fresh.presigned_url, "X-Amz-Expires").as_deref(),
        Some("600")
    );
    let first = generated(5 * MIB, 3);
    let etag1 = put_to_s3(&transport, &fresh.presigned_url, first.clone()).await;
    let copy = api
        .copy_part(
            &upload,
            path,
            2,
            json!({"repository": REPO, "ref": MAIN, "path": DEFAULT_OBJECT_PATH}),
        )
        .await;
    expect(&copy, StatusCode::NO_CONTENT);
    let small = api
        .emulator
        .object(REPO, MAIN, DEFAULT_OBJECT_PATH)
        .unwrap();
    assert_eq!(etag(&copy), md5_hex(&small));
    stats(
        &api.complete(&upload, path, &[(1, etag1), (2, etag(&copy))])
            .await,
    );
    let key = |address: &str| {
        address
            .strip_prefix(&format!("s3://{BUCKET}/"))
            .unwrap()
            .to_owned()
    };
    let stored = api
        .emulator
        .s3_storage()
        .unwrap()
        .get_object(&key(&upload.physical_address))
        .await
        .unwrap();
    assert_eq!(&stored[..5 * MIB], &first[..]);
    assert_eq!(&stored[5 * MIB..], &small[..]);

    // Upload 2: S3's own UploadPartCopy (x-amz-copy-source, signed) of a range of the object
    // upload 1 made, then a part from create's URL.
    let path2 = "s3/second.bin";
    let upload2 = api.create(path2, 2).await;
    let copy = api
        .copy_part(
            &upload2,
            path2,
            1,
            json!({"repository": REPO, "ref": MAIN, "path": path,
                   "range": format!("bytes=1-{}", 5 * MIB)}),
        )
        .await;
    expect(&copy, StatusCode::NO_CONTENT);
    let copied = stored.slice(1..=5 * MIB);
    assert_eq!(
        etag(&copy),
        md5_hex(&copied),
        "unquoted, as lakeFS answers it"
    );
    let tail = Bytes::from_static(b"the end");
    let etag2 = put_to_s3(
        &transport,
        &upload2.presigned_urls.clone().unwrap()[1],
        tail.clone(),
    )
    .await;
    stats(
        &api.complete(&upload2, path2, &[(1, etag(&copy)), (2, etag2)])
            .await,
    );
    let stored2 = api
        .emulator
        .s3_storage()
        .unwrap()
        .get_object(&key(&upload2.physical_address))
        .await
        .unwrap();
    assert_eq!(&stored2[..5 * MIB], &copied[..]);
    assert_eq!(&stored2[5 * MIB..], &tail[..]);

    // A range S3 refuses comes back as 500, as lakeFS passes S3's errors on.
    let upload3 = api.create("s3/third.bin", 0).await;
    let refused = api
        .copy_part(
            &upload3,
            "s3/third.bin",
            1,
            json!({"repository": REPO, "ref": MAIN, "path": path, "range": "bytes=0-999999999"}),
        )
        .await;
    expect_failure(
        &refused,
        StatusCode::INTERNAL_SERVER_ERROR,
        "UploadPartCopy",
    );
    // Handled in-process without the async path, S3 operations say how to reach them.
    let sync = api.emulator.handle(
        &http::Request::post(format!(
            "http://lakefs/api/v1/repositories/{REPO}/branches/{MAIN}/staging/pmpu?path=x"
        ))
        .header("authorization", admin_auth())
        .body(Bytes::new())
        .unwrap(),
    );
    expect_failure(&sync, StatusCode::NOT_IMPLEMENTED, "handle_async");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn objects_on_s3_are_read_from_there_and_presigned_for_it() {
    let Some(server) = start_s3() else { return };
    let storage = S3Storage::new(&server.endpoint, BUCKET, "us-east-1", S3_KEY, S3_SECRET).unwrap();
    storage.create_bucket().await.unwrap();
    let emulator = Emulator::new();
    emulator.set_s3_storage(storage);
    emulator.set_part_url_expiry(Duration::from_secs(300));
    let api = Api::new(emulator);
    let transport = HyperTransport::builder().build().unwrap();
    let path = "s3/read.bin";
    let upload = api.create(path, 1).await;
    let content = generated(4096, 9);
    let etag1 = put_to_s3(
        &transport,
        &upload.presigned_urls.clone().unwrap()[0],
        content.clone(),
    )
    .await;
    stats(&api.complete(&upload, path, &[(1, etag1)]).await);

    // getObject reads the bytes from S3, whole or a range.
    let object = format!("/repositories/{REPO}/refs/{MAIN}/objects?path={}", q(path));
    let whole = api.get(&object).await;
    expect(&whole, StatusCode::OK);
    assert_eq!(whole.body(), &content);
    let part = api
        .send(
            http::Method::GET,
            &object,
            &[("range", "bytes=10-19")],
            None,
        )
        .await;
    expect(&part, StatusCode::PARTIAL_CONTENT);
    assert_eq!(part.body(), &content.slice(10..20));

    // presign=true: S3's own presigned GET URL, with the emulator's lifetime.
    let redirect = api.get(&format!("{object}&presign=true")).await;
    expect(&redirect, StatusCode::FOUND);
    let location = header(&redirect, "location").unwrap();
    assert!(location.starts_with(&server.endpoint), "{location}");
    assert_eq!(
        url_param(&location, "X-Amz-Expires").as_deref(),
        Some("300")
    );
    let fetched = transport
        .send(http::Request::get(&location).body(Bytes::new()).unwrap())
        .await
        .unwrap();
    assert_eq!(fetched.status(), StatusCode::OK);
    assert_eq!(fetched.body(), &content);
    let stat: lakefs_models::ObjectStats = decode(
        &api.get(&format!(
            "/repositories/{REPO}/refs/{MAIN}/objects/stat?path={}&presign=true",
            q(path)
        ))
        .await,
    );
    assert!(stat.physical_address.starts_with(&server.endpoint));
    assert!(stat.physical_address_expiry.is_some());
    // Objects the emulator holds in memory keep URLs of its own store.
    let own = api
        .get(&format!(
            "/repositories/{REPO}/refs/{MAIN}/objects/stat?path={}&presign=true",
            q(DEFAULT_OBJECT_PATH)
        ))
        .await;
    let own: lakefs_models::ObjectStats = decode(&own);
    assert!(
        own.physical_address.contains("/_storage/objects/"),
        "{}",
        own.physical_address
    );
}

/// An HTTP/1.1 server on loopback that answers `503 SlowDown` to its first `shed` requests and
/// `200` after; returns its URL and the count of requests it saw.
async fn shedding_server(shed: usize) -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let seen = std::sync::Arc::new(AtomicUsize::new(0));
    let counter = seen.clone();
    tokio::spawn(async move {
        loop {
            let Ok((mut stream, _)) = listener.accept().await else {
                return;
            };
            let counter = counter.clone();
            tokio::spawn(async move {
                let mut buffer = vec![0u8; 64 * 1024];
                let mut head = Vec::new();
                loop {
                    let n = stream.read(&mut buffer).await.unwrap_or(0);
                    if n == 0 {
                        return;
                    }
                    head.extend_from_slice(&buffer[..n]);
                    // Bodyless calls (CreateBucket has an empty body): one request per head.
                    while let Some(end) = head.windows(4).position(|w| w == b"\r\n\r\n") {
                        head.drain(..end + 4);
                        let index = counter.fetch_add(1, Ordering::SeqCst);
                        let answer = if index < shed {
                            let body = "<Error><Code>SlowDown</Code><Message>Please reduce \
                                        your request rate.</Message></Error>";
                            format!(
                                "HTTP/1.1 503 Service Unavailable\r\ncontent-length: {}\r\n\r\n{body}",
                                body.len()
                            )
                        } else {
                            "HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n".to_owned()
                        };
                        if stream.write_all(answer.as_bytes()).await.is_err() {
                            return;
                        }
                    }
                }
            });
        }
    });
    (url, seen)
}

/// lakeFS's S3 client retries `503 SlowDown` (three attempts in all); so does the emulator's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_calls_are_retried_after_slow_down_three_attempts_in_all() {
    use std::sync::atomic::Ordering;
    let (url, seen) = shedding_server(2).await;
    let storage = S3Storage::new(&url, BUCKET, "us-east-1", S3_KEY, S3_SECRET).unwrap();
    storage
        .create_bucket()
        .await
        .expect("the third attempt succeeds");
    assert_eq!(seen.load(Ordering::SeqCst), 3);

    let (url, seen) = shedding_server(usize::MAX).await;
    let storage = S3Storage::new(&url, BUCKET, "us-east-1", S3_KEY, S3_SECRET).unwrap();
    let error = storage.create_bucket().await.expect_err("always shed");
    assert_eq!(seen.load(Ordering::SeqCst), 3, "three attempts, no more");
    assert_eq!(error.status, Some(StatusCode::SERVICE_UNAVAILABLE));
    assert!(error.to_string().contains("SlowDown"), "{error}");
}
