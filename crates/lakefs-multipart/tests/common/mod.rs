//! Shared by the engine's integration tests: a client of the emulator over any transport,
//! deterministic data, and error reports.
#![allow(dead_code, unreachable_pub, clippy::unwrap_used)]

use bytes::Bytes;
use lakefs_emulator::{DEFAULT_ACCESS_KEY_ID, DEFAULT_SECRET_ACCESS_KEY};
use lakefs_experimental::{Credentials, ExperimentalClient};
use lakefs_transport::HttpTransport;

/// A client with the emulator's default credentials, over `transport`.
pub fn emulator_client<T: HttpTransport>(transport: T) -> ExperimentalClient<T> {
    ExperimentalClient::builder()
        .endpoint("http://lakefs.emulator")
        .credentials(Credentials::basic(
            DEFAULT_ACCESS_KEY_ID,
            DEFAULT_SECRET_ACCESS_KEY,
        ))
        .build_with_transport(transport)
        .unwrap()
}

/// Deterministic pseudo-random bytes.
pub fn data(len: usize, seed: u64) -> Bytes {
    let mut out = vec![0u8; len];
    fastrand::Rng::with_seed(seed).fill(&mut out);
    Bytes::from(out)
}

/// The error and its causes, as an error report prints them.
pub fn report(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(next) = cause {
        text.push_str("\ncaused by: ");
        text.push_str(&next.to_string());
        cause = next.source();
    }
    text
}

/// Writes `bytes` to `path` keeping its modification time: a change that no size or mtime
/// check sees.
pub fn rewrite_keeping_mtime(path: &std::path::Path, bytes: &[u8]) {
    let modified = std::fs::metadata(path).unwrap().modified().unwrap();
    std::fs::write(path, bytes).unwrap();
    std::fs::File::options()
        .write(true)
        .open(path)
        .unwrap()
        .set_modified(modified)
        .unwrap();
}
