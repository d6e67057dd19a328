//! The emulator as lakeFS runs in production: multipart uploads live on a real S3-compatible
//! server (s3s-fs, started here on 127.0.0.1), part URLs are SigV4-presigned for it, and the
//! engine PUTs parts straight to it.
//!
//! The server binary is found through `S3S_FS_BIN` or on `PATH` (`.ci/run` installs it). Without
//! it the test says so and passes, unless `LAKEFS_REQUIRE_S3=1` (set by CI) makes that a failure.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use lakefs::experimental::ExperimentalApi;
use std::path::Path;
use std::time::Duration;

use bytes::Bytes;
use lakefs::experimental::{Credentials, ExperimentalClient};
use lakefs::multipart::{
    ErrorKind, ObjectOptions, ProgressEvent, UploadConfig, UploadSource, Uploader,
};
use lakefs::transport::{HttpTransport, HyperTransport};
mod common;
use common::s3::{start_s3, S3Server, BUCKET, ONE_SERVER_AT_A_TIME, S3_KEY, S3_SECRET};
use lakefs_emulator::{
    serve, Emulator, S3Storage, DEFAULT_ACCESS_KEY_ID, DEFAULT_REPOSITORY,
    DEFAULT_SECRET_ACCESS_KEY,
};

/// Multipart uploads s3s-fs still holds: its `.upload-<id>.json` records and part files.
fn open_uploads_on(root: &Path) -> Vec<String> {
    std::fs::read_dir(root)
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|name| name.starts_with(".upload"))
        .collect()
}

fn generated(len: usize, seed: u64) -> Bytes {
    let mut bytes = vec![0u8; len];
    fastrand::Rng::with_seed(seed).fill(&mut bytes);
    Bytes::from(bytes)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uploads_through_presigned_s3_urls_and_aborts_leave_nothing_behind() {
    let _one_at_a_time = ONE_SERVER_AT_A_TIME.lock().await;
    let Some(s3_server) = start_s3() else { return };
    let storage =
        S3Storage::new(&s3_server.endpoint, BUCKET, "us-east-1", S3_KEY, S3_SECRET).unwrap();
    storage.create_bucket().await.unwrap();
    let emulator = Emulator::new();
    emulator.set_s3_storage(storage);
    let running = serve(emulator).await.unwrap();
    let s3 = running.emulator().s3_storage().unwrap();
    let client = ExperimentalClient::builder()
        .endpoint(running.url())
        .credentials(Credentials::basic(
            DEFAULT_ACCESS_KEY_ID,
            DEFAULT_SECRET_ACCESS_KEY,
        ))
        .build()
        .unwrap();

    // 1. ≥ 64 MiB through the engine, read back from S3 byte-exact.
    let source = generated(64 * 1024 * 1024 + 12_345, 7);
    let uploader = Uploader::new(
        client.clone(),
        UploadConfig::builder().concurrency(4).build().unwrap(),
    );
    let stats = uploader
        .upload(
            DEFAULT_REPOSITORY,
            "main",
            "it/big.bin",
            UploadSource::bytes(source.clone()),
        )
        .await
        .unwrap();
    assert_eq!(stats.size_bytes, Some(source.len() as i64));
    assert!(
        stats.checksum.ends_with("-9"),
        "S3's multipart ETag: {}",
        stats.checksum
    );
    let key = format!("{DEFAULT_REPOSITORY}/{}", stats.physical_address);
    let stored = s3.get_object(&key).await.unwrap();
    assert_eq!(stored.len(), source.len());
    assert!(stored == source, "the object on S3 differs from the source");

    // 2. An upload the engine gives up on (the source fails mid-way) is aborted on S3.
    let failing = tokio::io::AsyncReadExt::chain(
        std::io::Cursor::new(vec![1u8; 10 * 1024 * 1024]),
        FailingReader,
    );
    let error = uploader
        .upload(
            DEFAULT_REPOSITORY,
            "main",
            "it/broken.bin",
            UploadSource::reader(failing, 20 * 1024 * 1024),
        )
        .await
        .unwrap_err();
    assert!(
        error.kind() == ErrorKind::Source && error.part_number() == Some(2),
        "{error}"
    );
    assert!(error.abort().is_aborted(), "{error}");

    // 3. An upload aborted through the API after a part landed: S3 keeps nothing of it.
    let created = client
        .create_presign_multipart_upload()
        .repository(DEFAULT_REPOSITORY)
        .branch("main")
        .path("it/aborted.bin")
        .parts(2)
        .send()
        .await
        .unwrap();
    let urls = created.presigned_urls.clone().unwrap();
    assert!(
        urls[0].starts_with(&s3_server.endpoint) && urls[0].contains("X-Amz-Signature="),
        "presigned for S3"
    );
    let transport = HyperTransport::new().unwrap();
    let put = |url: &str| {
        http::Request::put(url)
            .body(Bytes::from(vec![2u8; 5 * 1024 * 1024]))
            .unwrap()
    };
    let response = transport.send(put(&urls[0])).await.unwrap();
    assert!(
        response.status().is_success(),
        "S3 accepted the presigned PUT: {}",
        response.status()
    );
    // s3s-fs checks SigV4: a URL whose signature was tampered with is refused.
    let at = urls[1].find("X-Amz-Signature=").unwrap() + "X-Amz-Signature=".len();
    let mut tampered = urls[1].clone();
    let flipped = if &tampered[at..=at] == "0" { "1" } else { "0" };
    tampered.replace_range(at..=at, flipped);
    match transport.send(put(&tampered)).await {
        Ok(response) => assert!(response.status().is_client_error(), "{}", response.status()),
        Err(error) => assert!(error.is_retryable(), "{error}"),
    }
    let aborted_key = created
        .physical_address
        .strip_prefix(&format!("s3://{BUCKET}/"))
        .unwrap()
        .to_owned();
    assert_eq!(
        s3.count_parts(&aborted_key, &created.upload_id)
            .await
            .unwrap(),
        1
    );
    client
        .abort_presign_multipart_upload()
        .repository(DEFAULT_REPOSITORY)
        .branch("main")
        .upload_id(&created.upload_id)
        .path("it/aborted.bin")
        .physical_address(&created.physical_address)
        .send()
        .await
        .unwrap();
    assert_eq!(
        s3.count_parts(&aborted_key, &created.upload_id)
            .await
            .unwrap_or(0),
        0
    );
    // A part of an aborted upload is refused (the server may answer before reading the body
    // and close the connection, which the client sees as a broken pipe).
    match transport.send(put(&urls[1])).await {
        Ok(late) => assert!(
            !late.status().is_success(),
            "accepted a part of an aborted upload"
        ),
        Err(error) => assert!(error.is_retryable(), "{error}"),
    }

    assert_eq!(
        open_uploads_on(&s3_server.root),
        Vec::<String>::new(),
        "no multipart upload is left on S3"
    );
    assert_eq!(running.emulator().open_uploads(), 0);
    running.shutdown().await;
}

/// Fails every read.
struct FailingReader;

impl tokio::io::AsyncRead for FailingReader {
    fn poll_read(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
        _: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::task::Poll::Ready(Err(std::io::Error::other("disk on fire")))
    }
}

/// Holds back the first PUT of every part for `delay`, so that it starts after its URL
/// expired.
struct LatePuts {
    inner: HyperTransport,
    delay: Duration,
    delayed: std::sync::Mutex<std::collections::HashSet<String>>,
    /// Part PUTs sent, and `uploadPart` calls (fresh URLs) made.
    part_puts: std::sync::atomic::AtomicUsize,
    resigned: std::sync::atomic::AtomicUsize,
}

impl HttpTransport for LatePuts {
    fn send(
        &self,
        request: http::Request<Bytes>,
    ) -> lakefs::transport::BoxFuture<
        '_,
        Result<http::Response<Bytes>, lakefs::transport::TransportError>,
    > {
        let part = request
            .uri()
            .query()
            .filter(|q| q.contains("X-Amz-Signature") && q.contains("partNumber="))
            .and_then(|q| q.split('&').find(|p| p.starts_with("partNumber=")))
            .map(str::to_owned);
        let first_time = part
            .clone()
            .is_some_and(|p| self.delayed.lock().unwrap().insert(p));
        let counter = if part.is_some() {
            Some(&self.part_puts)
        } else if request.uri().path().contains("/parts/") {
            Some(&self.resigned)
        } else {
            None
        };
        if let Some(counter) = counter {
            counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        }
        Box::pin(async move {
            if first_time {
                tokio::time::sleep(self.delay).await;
            }
            self.inner.send(request).await
        })
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn part_urls_that_expire_on_s3_are_signed_again() {
    let _one_at_a_time = ONE_SERVER_AT_A_TIME.lock().await;
    let Some(s3_server) = start_s3() else { return };
    let storage =
        S3Storage::new(&s3_server.endpoint, BUCKET, "us-east-1", S3_KEY, S3_SECRET).unwrap();
    storage.create_bucket().await.unwrap();
    let emulator = Emulator::new();
    emulator.set_s3_storage(storage);
    // Part URLs valid 2 s, as `blockstore.s3.pre_signed_expiry: 2s` would sign them.
    emulator.set_part_url_expiry(Duration::from_secs(2));
    let running = serve(emulator).await.unwrap();
    let s3 = running.emulator().s3_storage().unwrap();
    let transport = std::sync::Arc::new(LatePuts {
        inner: HyperTransport::new().unwrap(),
        delay: Duration::from_secs(3),
        delayed: Default::default(),
        part_puts: Default::default(),
        resigned: Default::default(),
    });
    let client = ExperimentalClient::builder()
        .endpoint(running.url())
        .credentials(Credentials::basic(
            DEFAULT_ACCESS_KEY_ID,
            DEFAULT_SECRET_ACCESS_KEY,
        ))
        .build_with_transport(std::sync::Arc::clone(&transport))
        .unwrap();
    let source = generated(3 * 5 * 1024 * 1024 + 99, 11);

    // Without a refresh margin, every first PUT starts 3 s after its 2 s URL was signed: s3s-fs
    // refuses it ("Request has expired"; it may answer before reading the body and close the
    // connection, which the client sees as a broken pipe), and the engine signs a fresh URL and
    // sends the part again.
    let config = UploadConfig::builder()
        .part_size(5 * 1024 * 1024)
        .concurrency(4)
        .url_refresh_margin(Duration::ZERO)
        .build()
        .unwrap();
    let stats = Uploader::new(client.clone(), config)
        .upload(
            DEFAULT_REPOSITORY,
            "main",
            "it/expiring.bin",
            UploadSource::bytes(source.clone()),
        )
        .await
        .unwrap();
    let load = |counter: &std::sync::atomic::AtomicUsize| {
        counter.load(std::sync::atomic::Ordering::SeqCst)
    };
    assert_eq!(
        load(&transport.part_puts),
        8,
        "every part: one refused PUT, one stored"
    );
    assert_eq!(load(&transport.resigned), 4, "one fresh URL per part");
    let key = format!("{DEFAULT_REPOSITORY}/{}", stats.physical_address);
    assert!(
        s3.get_object(&key).await.unwrap() == source,
        "byte-exact on S3"
    );
    assert_eq!(open_uploads_on(&s3_server.root), Vec::<String>::new());
    running.shutdown().await;
}

/// The emulator on s3s-fs, served over HTTP, and a client of it over `transport`.
async fn on_s3<T: HttpTransport + 'static>(
    s3_server: &S3Server,
    transport: impl FnOnce() -> T,
) -> (lakefs_emulator::RunningEmulator, ExperimentalClient<T>) {
    let storage =
        S3Storage::new(&s3_server.endpoint, BUCKET, "us-east-1", S3_KEY, S3_SECRET).unwrap();
    storage.create_bucket().await.unwrap();
    let emulator = Emulator::new();
    emulator.set_s3_storage(storage);
    let running = serve(emulator).await.unwrap();
    let client = ExperimentalClient::builder()
        .endpoint(running.url())
        .credentials(Credentials::basic(
            DEFAULT_ACCESS_KEY_ID,
            DEFAULT_SECRET_ACCESS_KEY,
        ))
        .build_with_transport(transport())
        .unwrap();
    (running, client)
}

/// The object at `physical_address`, read back from s3s-fs. The address is relative to the
/// storage namespace (`data/…`, as complete answers it) or the full URI (as statObject does).
async fn read_back(running: &lakefs_emulator::RunningEmulator, physical_address: &str) -> Bytes {
    let relative = physical_address
        .rfind("data/")
        .map_or(physical_address, |at| &physical_address[at..]);
    let key = format!("{DEFAULT_REPOSITORY}/{relative}");
    running
        .emulator()
        .s3_storage()
        .unwrap()
        .get_object(&key)
        .await
        .unwrap()
}

const MIB: usize = 1024 * 1024;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_s3_a_session_completed_with_parts_that_do_not_cover_it_is_refused() {
    let _one_at_a_time = ONE_SERVER_AT_A_TIME.lock().await;
    let Some(s3_server) = start_s3() else { return };
    let (running, client) = on_s3(&s3_server, || HyperTransport::new().unwrap()).await;
    let uploader = Uploader::new(
        client,
        UploadConfig::builder()
            .part_size(5 * MIB as u64)
            .build()
            .unwrap(),
    );
    let source = generated(3 * 5 * MIB + 99, 21);
    let session = uploader
        .begin(
            DEFAULT_REPOSITORY,
            "main",
            "it/session.bin",
            source.len() as u64,
        )
        .await
        .unwrap();
    let parts = uploader
        .upload_parts(&session, 1..=4, UploadSource::bytes(source.clone()))
        .await
        .unwrap();
    let ends: Vec<_> = parts
        .iter()
        .filter(|p| p.part_number == 1 || p.part_number == 4)
        .cloned()
        .collect();
    let error = uploader
        .complete(&session, ends, &ObjectOptions::new())
        .await
        .unwrap_err();
    assert!(
        error.kind() == ErrorKind::PartsMismatch
            && error.to_string().contains("missing parts 2 and 3"),
        "{error}"
    );
    let stats = uploader
        .complete(&session, parts, &ObjectOptions::new())
        .await
        .unwrap();
    assert!(stats.checksum.ends_with("-4"), "{}", stats.checksum);
    assert!(read_back(&running, &stats.physical_address).await == source);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_s3_a_resume_of_a_source_changed_outside_the_fingerprint_stages_the_source_as_it_is() {
    let _one_at_a_time = ONE_SERVER_AT_A_TIME.lock().await;
    let Some(s3_server) = start_s3() else { return };
    let (running, client) = on_s3(&s3_server, || HyperTransport::new().unwrap()).await;
    let dir = std::env::temp_dir().join(format!("lakefs-s3-resume-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (file, checkpoint) = (dir.join("source.bin"), dir.join("upload.json"));
    let source = generated(3 * 5 * MIB, 22);
    std::fs::write(&file, &source).unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let tx = std::sync::Mutex::new(Some(tx));
    let first = Uploader::new(
        client.clone(),
        UploadConfig::builder()
            .part_size(5 * MIB as u64)
            .concurrency(1)
            .on_progress(move |event| {
                if matches!(event, ProgressEvent::PartFinished { .. }) {
                    if let Some(tx) = tx.lock().unwrap().take() {
                        let _ = tx.send(());
                    }
                }
            })
            .build()
            .unwrap(),
    );
    let error = first
        .upload(
            DEFAULT_REPOSITORY,
            "main",
            "it/mixed.bin",
            UploadSource::file(&file),
        )
        .checkpoint(&checkpoint)
        .cancel_on(async move {
            let _ = rx.await;
        })
        .await
        .unwrap_err();
    assert!(checkpoint.exists(), "{error}");

    let mut rewritten = source.to_vec();
    rewritten[100_000] ^= 0xff;
    rewritten[5 * MIB..].copy_from_slice(&generated(2 * 5 * MIB, 23));
    let modified = std::fs::metadata(&file).unwrap().modified().unwrap();
    std::fs::write(&file, &rewritten).unwrap();
    std::fs::File::options()
        .write(true)
        .open(&file)
        .unwrap()
        .set_modified(modified)
        .unwrap();

    let resumer = Uploader::new(
        client,
        UploadConfig::builder()
            .part_size(5 * MIB as u64)
            .build()
            .unwrap(),
    );
    let stats = resumer
        .resume(&checkpoint, UploadSource::file(&file))
        .await
        .unwrap();
    assert!(
        read_back(&running, &stats.physical_address).await == rewritten,
        "S3 holds the source as it is, not old part 1 with new parts 2–3"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A proxy in front of lakeFS that forwards complete, then answers it with Cloudflare's 520.
struct Cloudflare {
    inner: HyperTransport,
    answered: std::sync::atomic::AtomicBool,
}

impl HttpTransport for Cloudflare {
    fn send(
        &self,
        request: http::Request<Bytes>,
    ) -> lakefs::transport::BoxFuture<
        '_,
        Result<http::Response<Bytes>, lakefs::transport::TransportError>,
    > {
        let complete = request.method() == http::Method::PUT
            && request.uri().path().contains("/staging/pmpu/");
        Box::pin(async move {
            let response = self.inner.send(request).await?;
            if complete
                && !self
                    .answered
                    .swap(true, std::sync::atomic::Ordering::SeqCst)
            {
                let mut html = http::Response::new(Bytes::from_static(
                    b"<html><h1>520: Web server is returning an unknown error</h1></html>",
                ));
                *html.status_mut() = http::StatusCode::from_u16(520).unwrap();
                return Ok(html);
            }
            Ok(response)
        })
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_s3_a_complete_answered_520_by_a_proxy_is_resolved_not_aborted() {
    let _one_at_a_time = ONE_SERVER_AT_A_TIME.lock().await;
    let Some(s3_server) = start_s3() else { return };
    let (running, client) = on_s3(&s3_server, || Cloudflare {
        inner: HyperTransport::new().unwrap(),
        answered: std::sync::atomic::AtomicBool::new(false),
    })
    .await;
    let uploader = Uploader::new(
        client,
        UploadConfig::builder()
            .part_size(5 * MIB as u64)
            .build()
            .unwrap(),
    );
    let source = generated(2 * 5 * MIB + 5, 24);
    let stats = uploader
        .upload(
            DEFAULT_REPOSITORY,
            "main",
            "it/proxied.bin",
            UploadSource::bytes(source.clone()),
        )
        .await
        .unwrap();
    assert!(read_back(&running, &stats.physical_address).await == source);
    assert!(
        open_uploads_on(&s3_server.root).is_empty(),
        "completed, never aborted"
    );
}
