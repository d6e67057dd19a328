//! The facade end to end over real HTTP: the emulator on 127.0.0.1, the hyper transport, the
//! multipart engine from a file.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use lakefs::experimental::{Credentials, ExperimentalClient};
use lakefs::multipart::{UploadConfig, UploadSource, Uploader};
use lakefs_emulator::{
    serve, Emulator, DEFAULT_ACCESS_KEY_ID, DEFAULT_REPOSITORY, DEFAULT_SECRET_ACCESS_KEY,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_uploads_byte_exact_over_loopback_http() {
    let running = serve(Emulator::new()).await.unwrap();
    let client = ExperimentalClient::builder()
        .endpoint(running.url())
        .credentials(Credentials::basic(
            DEFAULT_ACCESS_KEY_ID,
            DEFAULT_SECRET_ACCESS_KEY,
        ))
        .build()
        .unwrap();
    let size = 64 * 1024 * 1024 + 4321;
    let mut rng = fastrand::Rng::with_seed(64);
    let mut source = vec![0u8; size];
    rng.fill(&mut source);
    let file = std::env::temp_dir().join(format!("lakefs-e2e-{}", std::process::id()));
    std::fs::write(&file, &source).unwrap();

    let uploader = Uploader::new(
        client,
        UploadConfig::builder().concurrency(4).build().unwrap(),
    );
    let stats = uploader
        .upload(
            DEFAULT_REPOSITORY,
            "main",
            "e2e/file.bin",
            UploadSource::file(&file),
        )
        .await
        .unwrap();
    std::fs::remove_file(&file).unwrap();

    assert_eq!(stats.size_bytes, Some(size as i64));
    assert!(stats.checksum.ends_with("-9"), "{}", stats.checksum);
    let object = running
        .emulator()
        .object(DEFAULT_REPOSITORY, "main", "e2e/file.bin")
        .unwrap();
    assert!(object == source, "the object differs from the file");
    assert_eq!(running.emulator().open_uploads(), 0);
    running.shutdown().await;
}
