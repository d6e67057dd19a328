//! The download engine against s3s-fs, an S3 server this project did not write, behind the
//! lakeFS emulator: presigned ranged GETs to a real S3 implementation, byte-exact and proven;
//! an object rewritten at the store mid-download refused; a wrong byte caught; URLs that the
//! server refuses as expired (s3s-fs enforces `X-Amz-Expires`) refreshed.
//!
//! s3s-fs ignores `If-Match`, so these tests also show that the engine's own check of each
//! answer's `ETag` catches what a store that honours it would refuse.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use common::s3::{start_s3, S3Server, BUCKET, ONE_SERVER_AT_A_TIME, S3_KEY, S3_SECRET};
use http::{Request, Response};
use lakefs::client::{Client, Credentials};
use lakefs::download::{DownloadConfig, DownloadEvent, Downloader, ErrorKind, Route, Verification};
use lakefs::multipart::{UploadConfig, UploadSource, Uploader};
use lakefs::transport::{BoxFuture, HttpTransport, HyperTransport, TransportError};
use lakefs_emulator::{
    serve, Emulator, RunningEmulator, S3Storage, DEFAULT_ACCESS_KEY_ID, DEFAULT_REPOSITORY,
    DEFAULT_SECRET_ACCESS_KEY,
};

const MIB: usize = 1024 * 1024;

type Hook = Box<dyn Fn(usize, &mut Response<Bytes>) -> BoxFuture<'static, ()> + Send + Sync>;

/// A `HyperTransport` whose answers to GETs of the S3 server a test may change, delay or
/// count.
struct Tampering {
    inner: HyperTransport,
    s3_endpoint: String,
    gets: AtomicUsize,
    delay: Mutex<Duration>,
    statuses: Mutex<Vec<u16>>,
    hook: Mutex<Option<Arc<Hook>>>,
}

impl HttpTransport for Tampering {
    fn send(
        &self,
        request: Request<Bytes>,
    ) -> BoxFuture<'_, Result<Response<Bytes>, TransportError>> {
        Box::pin(async move {
            let store_get = request.method() == http::Method::GET
                && request.uri().to_string().starts_with(&self.s3_endpoint);
            if !store_get {
                return self.inner.send(request).await;
            }
            let delay = *self.delay.lock().unwrap();
            tokio::time::sleep(delay).await;
            let index = self.gets.fetch_add(1, Ordering::SeqCst);
            let mut response = self.inner.send(request).await?;
            self.statuses
                .lock()
                .unwrap()
                .push(response.status().as_u16());
            let hook = self.hook.lock().unwrap().clone();
            if let Some(hook) = hook {
                hook(index, &mut response).await;
            }
            Ok(response)
        })
    }

    fn reports_receive_progress(&self) -> bool {
        self.inner.reports_receive_progress()
    }
}

struct Setup {
    _server: S3Server,
    running: RunningEmulator,
    s3: Arc<S3Storage>,
    transport: Arc<Tampering>,
    client: Client<Arc<Tampering>>,
    dir: std::path::PathBuf,
}

impl Drop for Setup {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

async fn setup(name: &str) -> Option<Setup> {
    let server = start_s3()?;
    let storage = S3Storage::new(&server.endpoint, BUCKET, "us-east-1", S3_KEY, S3_SECRET).unwrap();
    storage.create_bucket().await.unwrap();
    let emulator = Emulator::new();
    emulator.set_s3_storage(storage);
    let running = serve(emulator).await.unwrap();
    let s3 = running.emulator().s3_storage().unwrap();
    let transport = Arc::new(Tampering {
        inner: HyperTransport::builder()
            .max_response_body(64 * MIB)
            .build()
            .unwrap(),
        s3_endpoint: server.endpoint.clone(),
        gets: AtomicUsize::new(0),
        delay: Mutex::new(Duration::ZERO),
        statuses: Mutex::new(Vec::new()),
        hook: Mutex::new(None),
    });
    let client = Client::builder()
        .endpoint(running.url())
        .credentials(Credentials::basic(
            DEFAULT_ACCESS_KEY_ID,
            DEFAULT_SECRET_ACCESS_KEY,
        ))
        .build_with_transport(Arc::clone(&transport))
        .unwrap();
    let dir =
        std::env::temp_dir().join(format!("lakefs-download-s3-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    Some(Setup {
        _server: server,
        running,
        s3,
        transport,
        client,
        dir,
    })
}

impl Setup {
    /// Uploads `data` through the emulator in parts of `part_size`: its bytes land on S3.
    /// Returns the S3 key.
    async fn upload(&self, path: &str, data: Bytes, part_size: u64) -> String {
        let uploader = Uploader::new(
            self.client.clone(),
            UploadConfig::builder()
                .part_size(part_size)
                .build()
                .unwrap(),
        );
        let stats = uploader
            .upload(DEFAULT_REPOSITORY, "main", path, UploadSource::bytes(data))
            .await
            .unwrap();
        self.transport.gets.store(0, Ordering::SeqCst);
        format!("{DEFAULT_REPOSITORY}/{}", stats.physical_address)
    }

    fn on_store_get(
        &self,
        hook: impl Fn(usize, &mut Response<Bytes>) -> BoxFuture<'static, ()> + Send + Sync + 'static,
    ) {
        *self.transport.hook.lock().unwrap() = Some(Arc::new(Box::new(hook)));
        self.transport.gets.store(0, Ordering::SeqCst);
    }

    fn files(&self) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(&self.dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        names
    }
}

fn generated(len: usize, seed: u64) -> Bytes {
    let mut bytes = vec![0u8; len];
    fastrand::Rng::with_seed(seed).fill(&mut bytes);
    Bytes::from(bytes)
}

fn recorder() -> (
    Arc<Mutex<Vec<DownloadEvent>>>,
    impl Fn(&DownloadEvent) + Send + Sync,
) {
    let events = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&events);
    (events, move |event: &DownloadEvent| {
        sink.lock().unwrap().push(event.clone())
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn objects_on_s3s_fs_arrive_byte_exact_and_proven() {
    let _one_at_a_time = ONE_SERVER_AT_A_TIME.lock().await;
    let Some(setup) = setup("exact").await else {
        return;
    };
    let data = generated(40 * MIB + 3, 31);
    setup
        .upload("d/big.bin", data.clone(), 8 * MIB as u64)
        .await;
    let downloader = Downloader::new(setup.client.clone(), DownloadConfig::default());
    let destination = setup.dir.join("big.bin");
    let done = downloader
        .download(DEFAULT_REPOSITORY, "main", "d/big.bin", &destination)
        .await
        .unwrap();
    assert!(
        std::fs::read(&destination).unwrap() == data,
        "the file differs"
    );
    assert_eq!(done.route, Route::Presigned);
    assert_eq!(
        done.part_size,
        8 * MIB as u64,
        "aligned with the upload's parts"
    );
    assert!(
        matches!(done.verification, Verification::MultipartEtag { layout } if layout.parts == 6),
        "{:?}",
        done.verification
    );
    assert_eq!(
        setup
            .transport
            .statuses
            .lock()
            .unwrap()
            .iter()
            .filter(|s| **s == 206)
            .count(),
        6
    );

    // The same bytes as an ordered stream.
    let mut reader = downloader
        .read(DEFAULT_REPOSITORY, "main", "d/big.bin")
        .await
        .unwrap()
        .into_async_read();
    let mut read = Vec::new();
    tokio::io::copy(&mut reader, &mut read).await.unwrap();
    assert!(read == data, "the stream differs");
    assert!(reader.verification().unwrap().is_verified());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_object_rewritten_at_the_store_midway_is_refused() {
    let _one_at_a_time = ONE_SERVER_AT_A_TIME.lock().await;
    let Some(setup) = setup("rewritten").await else {
        return;
    };
    let key = setup
        .upload("d/r.bin", generated(24 * MIB, 32), 8 * MIB as u64)
        .await;
    let s3 = Arc::clone(&setup.s3);
    setup.on_store_get(move |index, _| {
        let s3 = Arc::clone(&s3);
        let key = key.clone();
        Box::pin(async move {
            if index == 0 {
                s3.put_object(&key, generated(24 * MIB, 33)).await.unwrap();
            }
        })
    });
    let config = DownloadConfig::builder().concurrency(1).build().unwrap();
    let downloader = Downloader::new(setup.client.clone(), config);
    let destination = setup.dir.join("r.bin");
    let error = downloader
        .download(DEFAULT_REPOSITORY, "main", "d/r.bin", &destination)
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::ObjectChanged, "{error}");
    assert!(error.to_string().contains("another version"), "{error}");
    assert!(setup.files().is_empty(), "left behind: {:?}", setup.files());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_byte_from_s3_is_caught() {
    let _one_at_a_time = ONE_SERVER_AT_A_TIME.lock().await;
    let Some(setup) = setup("wrong").await else {
        return;
    };
    // One part: the multipart ETag "…-1" fixes the layout, so a mismatch is certain.
    setup
        .upload("d/one.bin", generated(3 * MIB, 34), 8 * MIB as u64)
        .await;
    setup
        .upload("d/three.bin", generated(20 * MIB, 35), 8 * MIB as u64)
        .await;
    setup.on_store_get(|index, response| {
        if index == 0 {
            let mut body = response.body().to_vec();
            body[12_345] ^= 0x20;
            *response.body_mut() = Bytes::from(body);
        }
        Box::pin(async {})
    });
    let downloader = Downloader::new(setup.client.clone(), DownloadConfig::default());
    let error = downloader
        .download(
            DEFAULT_REPOSITORY,
            "main",
            "d/one.bin",
            setup.dir.join("one.bin"),
        )
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::ChecksumMismatch, "{error}");
    assert!(setup.files().is_empty(), "left behind: {:?}", setup.files());

    // Three parts of a stated size: a mismatch too.
    setup.on_store_get(|index, response| {
        if index == 1 {
            let mut body = response.body().to_vec();
            body[0] ^= 0x01;
            *response.body_mut() = Bytes::from(body);
        }
        Box::pin(async {})
    });
    let error = downloader
        .download(
            DEFAULT_REPOSITORY,
            "main",
            "d/three.bin",
            setup.dir.join("three.bin"),
        )
        .upload_part_size(8 * MIB as u64)
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::ChecksumMismatch, "{error}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn urls_that_s3s_fs_refuses_as_expired_are_refreshed() {
    let _one_at_a_time = ONE_SERVER_AT_A_TIME.lock().await;
    let Some(setup) = setup("expiry").await else {
        return;
    };
    let data = generated(5 * MIB, 36);
    setup.upload("d/e.bin", data.clone(), 8 * MIB as u64).await;
    // Presigned URLs live 2 s; each GET starts 1.1 s after the last: the third meets an
    // expired URL (X-Amz-Expires counts whole seconds).
    setup
        .running
        .emulator()
        .set_part_url_expiry(Duration::from_secs(2));
    *setup.transport.delay.lock().unwrap() = Duration::from_millis(1100);
    let (events, sink) = recorder();
    let config = DownloadConfig::builder()
        .part_size(MIB as u64)
        .concurrency(1)
        .on_progress(sink)
        .build()
        .unwrap();
    let downloader = Downloader::new(setup.client.clone(), config);
    let destination = setup.dir.join("e.bin");
    let done = downloader
        .download(DEFAULT_REPOSITORY, "main", "d/e.bin", &destination)
        .await
        .unwrap();
    assert!(std::fs::read(&destination).unwrap() == data);
    assert!(done.verification.is_verified());
    let statuses = setup.transport.statuses.lock().unwrap().clone();
    assert!(
        statuses.contains(&403),
        "s3s-fs never refused a URL as expired: {statuses:?}"
    );
    let refreshed = events
        .lock()
        .unwrap()
        .iter()
        .filter(|e| matches!(e, DownloadEvent::UrlRefreshed))
        .count();
    assert!(refreshed >= 1, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 206).count(), 5);
}
