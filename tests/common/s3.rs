//! s3s-fs, an S3 server this project did not write, started on a free loopback port for a
//! test. The binary is found through `S3S_FS_BIN` or on `PATH` (`.ci/run` installs it).
//! Without it a test says so and passes, unless `LAKEFS_REQUIRE_S3=1` (set by CI) makes that
//! a failure.
#![allow(
    dead_code,
    unreachable_pub,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const S3_KEY: &str = "s3-test-access-key";

/// Each test starts its own s3s-fs on a port found free just before: one at a
/// time, so that two of them cannot pick the same port.
pub static ONE_SERVER_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
pub const S3_SECRET: &str = "s3-test-secret-key-0123456789";
pub const BUCKET: &str = "lakefs-it";

/// s3s-fs running on a free loopback port over a temporary directory; killed on drop.
pub struct S3Server {
    child: Child,
    pub root: PathBuf,
    pub endpoint: String,
}

impl Drop for S3Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

fn find_binary() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("S3S_FS_BIN") {
        return Some(PathBuf::from(path));
    }
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join("s3s-fs"))
        .find(|p| p.is_file())
}

pub fn start_s3() -> Option<S3Server> {
    let Some(binary) = find_binary() else {
        let required = std::env::var("LAKEFS_REQUIRE_S3").is_ok_and(|v| v == "1");
        assert!(
            !required,
            "LAKEFS_REQUIRE_S3=1 but no s3s-fs binary (set S3S_FS_BIN or put it on PATH)"
        );
        eprintln!("SKIPPED: s3s-fs is not installed (cargo install s3s-fs --version 0.14.1 --locked --features binary)");
        return None;
    };
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let root = std::env::temp_dir().join(format!("lakefs-s3-{}-{port}", std::process::id()));
    std::fs::create_dir_all(&root).unwrap();
    let child = Command::new(&binary)
        .args([
            "--host",
            "127.0.0.1",
            "--port",
            &port.to_string(),
            "--access-key",
            S3_KEY,
            "--secret-key",
            S3_SECRET,
        ])
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
        assert!(
            Instant::now() < deadline,
            "s3s-fs did not listen on port {port} within 20 s"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    Some(server)
}
