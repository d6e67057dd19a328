//! A process killed with SIGKILL mid-upload, resumed from its checkpoint by another: the
//! object is byte-exact and no part the checkpoint recorded is sent again.
//!
//! The killed process is this test binary run again (`crash_child`, selected by an
//! environment variable), uploading over loopback HTTP to an emulator served by the parent.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use lakefs::experimental::{Credentials, ExperimentalClient};
use lakefs::multipart::{Checkpoint, UploadConfig, UploadSource, Uploader};
use lakefs::transport::{BoxFuture, HttpTransport, HyperTransport, TransportError};
use lakefs_emulator::{
    serve, Emulator, DEFAULT_ACCESS_KEY_ID, DEFAULT_REPOSITORY, DEFAULT_SECRET_ACCESS_KEY,
};

const MIB: usize = 1024 * 1024;
const PARTS: usize = 12;
const CHILD: &str = "LAKEFS_CRASH_CHILD";

/// A transport that counts part PUTs (requests to the emulator's storage) and can slow them.
struct Counting {
    inner: HyperTransport,
    part_puts: Arc<AtomicUsize>,
    delay: Duration,
}

impl HttpTransport for Counting {
    fn send(
        &self,
        request: http::Request<Bytes>,
    ) -> BoxFuture<'_, Result<http::Response<Bytes>, TransportError>> {
        let is_part = request.uri().path().starts_with("/_storage/");
        Box::pin(async move {
            if is_part {
                self.part_puts.fetch_add(1, Ordering::SeqCst);
                tokio::time::sleep(self.delay).await;
            }
            self.inner.send(request).await
        })
    }
}

fn uploader(endpoint: &str, delay: Duration) -> (Uploader<Counting>, Arc<AtomicUsize>) {
    let part_puts = Arc::new(AtomicUsize::new(0));
    let transport = Counting {
        inner: HyperTransport::new().unwrap(),
        part_puts: Arc::clone(&part_puts),
        delay,
    };
    let client = ExperimentalClient::builder()
        .endpoint(endpoint)
        .credentials(Credentials::basic(
            DEFAULT_ACCESS_KEY_ID,
            DEFAULT_SECRET_ACCESS_KEY,
        ))
        .build_with_transport(transport)
        .unwrap();
    let config = UploadConfig::builder()
        .part_size(5 * MIB as u64)
        .concurrency(2)
        .build()
        .unwrap();
    (Uploader::new(client, config), part_puts)
}

/// The child: uploads slowly with a checkpoint until it is killed (run only by the test
/// below, as `crash_child --exact --ignored`).
#[tokio::test]
#[ignore = "the child process of a_killed_upload_resumes_byte_exact_without_resending_recorded_parts"]
async fn crash_child() {
    let Ok(args) = std::env::var(CHILD) else {
        panic!("run by the crash test only, with {CHILD} set");
    };
    let mut args = args.split('\n');
    let (endpoint, file, checkpoint) = (
        args.next().unwrap(),
        args.next().unwrap(),
        args.next().unwrap(),
    );
    let (uploader, _) = uploader(endpoint, Duration::from_millis(300));
    let result = uploader
        .upload(
            DEFAULT_REPOSITORY,
            "main",
            "crash/object.bin",
            UploadSource::file(file),
        )
        .checkpoint(checkpoint)
        .await;
    panic!("the child should have been killed, but its upload ended: {result:?}");
}

fn recorded_parts(checkpoint: &PathBuf) -> usize {
    Checkpoint::load(checkpoint).map_or(0, |c| c.parts.len())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_upload_resumes_byte_exact_without_resending_recorded_parts() {
    let emulator = Emulator::new();
    let running = serve(emulator.clone()).await.unwrap();
    let dir = std::env::temp_dir().join(format!("lakefs-crash-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("source.bin");
    let checkpoint = dir.join("upload.json");
    let mut rng = fastrand::Rng::with_seed(9);
    let mut content = vec![0u8; PARTS * 5 * MIB - 1234];
    rng.fill(&mut content);
    std::fs::write(&file, &content).unwrap();

    let mut child = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["crash_child", "--exact", "--ignored", "--nocapture"])
        .env(
            CHILD,
            format!(
                "{}\n{}\n{}",
                running.url(),
                file.display(),
                checkpoint.display()
            ),
        )
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Kill it (SIGKILL: no chance to clean up) once a few parts are recorded.
    let started = Instant::now();
    while recorded_parts(&checkpoint) < 3 {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the child recorded no parts"
        );
        assert!(child.try_wait().unwrap().is_none(), "the child ended early");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(
        emulator.open_uploads(),
        1,
        "the killed upload is still open"
    );

    let recorded = recorded_parts(&checkpoint);
    assert!((3..PARTS).contains(&recorded), "{recorded} parts recorded");
    let (uploader, part_puts) = uploader(running.url(), Duration::ZERO);
    uploader
        .resume(&checkpoint, UploadSource::file(&file))
        .await
        .unwrap();
    assert_eq!(
        part_puts.load(Ordering::SeqCst),
        PARTS - recorded,
        "exactly the parts the checkpoint did not record were sent"
    );
    let object = emulator
        .object(DEFAULT_REPOSITORY, "main", "crash/object.bin")
        .unwrap();
    assert!(object == content, "the object is byte-exact");
    assert!(!checkpoint.exists());
    assert_eq!(emulator.open_uploads(), 0);
    running.shutdown().await;
    let _ = std::fs::remove_dir_all(&dir);
}
