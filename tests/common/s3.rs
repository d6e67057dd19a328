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

#[path = "../../benches/support/s3.rs"]
mod server;

pub use server::{S3Server, S3_KEY, S3_SECRET};

/// Each test starts its own s3s-fs on a port found free just before: one at a
/// time, so that two of them cannot pick the same port.
pub static ONE_SERVER_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
pub const BUCKET: &str = "lakefs-it";

/// s3s-fs for a test (the benchmarks' helper, the same binary search and start); `None`,
/// with a note, when it is not installed — a failure instead under `LAKEFS_REQUIRE_S3=1`.
pub fn start_s3() -> Option<S3Server> {
    match S3Server::start() {
        Ok(Some(server)) => Some(server),
        Ok(None) => {
            let required = std::env::var("LAKEFS_REQUIRE_S3").is_ok_and(|v| v == "1");
            assert!(
                !required,
                "LAKEFS_REQUIRE_S3=1 but no s3s-fs binary (set S3S_FS_BIN or put it on PATH)"
            );
            eprintln!("SKIPPED: s3s-fs is not installed (cargo install s3s-fs --version 0.14.1 --locked --features binary)");
            None
        }
        Err(error) => panic!("cannot start s3s-fs: {error}"),
    }
}
