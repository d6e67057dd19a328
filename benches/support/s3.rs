//! s3s-fs, an S3 server this project did not write, as a benchmark's object store: started
//! on a free loopback port over a fresh directory, killed (and its directory removed) on
//! drop. The binary is `S3S_FS_BIN`, or `s3s-fs` on `PATH` or in
//! `~/.cache/lakefs-rs-ci-tools/bin`.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The credentials s3s-fs is started with.
pub const S3_KEY: &str = "bench-access-key";
pub const S3_SECRET: &str = "bench-secret-key-0123456789";

/// s3s-fs on a free loopback port over a temporary directory; killed on drop.
pub struct S3Server {
    child: Child,
    /// The directory s3s-fs stores buckets and objects in.
    pub root: PathBuf,
    /// `http://127.0.0.1:<port>`.
    pub endpoint: String,
}

impl Drop for S3Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

impl S3Server {
    /// The s3s-fs binary, if there is one.
    pub fn binary() -> Option<PathBuf> {
        if let Some(path) = std::env::var_os("S3S_FS_BIN") {
            return Some(PathBuf::from(path));
        }
        let path = std::env::var_os("PATH").unwrap_or_default();
        let home = std::env::var_os("HOME").map(PathBuf::from);
        std::env::split_paths(&path)
            .chain(home.map(|h| h.join(".cache/lakefs-rs-ci-tools/bin")))
            .map(|dir| dir.join("s3s-fs"))
            .find(|p| p.is_file())
    }

    /// Starts s3s-fs over a fresh directory in the system's temporary directory; `None`
    /// without a binary.
    pub fn start() -> std::io::Result<Option<Self>> {
        Self::start_in(&std::env::temp_dir())
    }

    /// Starts s3s-fs over a fresh directory in `parent`; `None` without a binary.
    pub fn start_in(parent: &Path) -> std::io::Result<Option<Self>> {
        let Some(binary) = Self::binary() else {
            return Ok(None);
        };
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let root = parent.join(format!("lakefs-bench-s3-{}-{port}", std::process::id()));
        std::fs::create_dir_all(&root)?;
        let child = Command::new(&binary)
            .args(["--host", "127.0.0.1", "--port", &port.to_string()])
            .args(["--access-key", S3_KEY, "--secret-key", S3_SECRET])
            .arg(&root)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()?;
        let server = Self {
            child,
            root,
            endpoint: format!("http://127.0.0.1:{port}"),
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            if Instant::now() > deadline {
                return Err(std::io::Error::other(format!(
                    "s3s-fs did not listen on port {port} within 20 s"
                )));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(Some(server))
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Removes the objects stored in `bucket` so far (a benchmark that uploads the same
    /// bytes many times would otherwise fill the disk), keeping the bucket.
    pub fn empty_bucket(&self, bucket: &str) -> std::io::Result<()> {
        for entry in std::fs::read_dir(self.root.join(bucket))? {
            let path = entry?.path();
            if path.is_dir() {
                std::fs::remove_dir_all(&path)?;
            } else {
                std::fs::remove_file(&path)?;
            }
        }
        Ok(())
    }
}
