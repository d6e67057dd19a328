//! An in-memory emulator of the lakeFS `ExperimentalApi`, with the real server's semantics
//! (lakeFS v1.84.0, as `shared/lakefs-openapi/experimental.md` §5 describes them), and the
//! object store its presigned part URLs point at.
//!
//! * Repositories (optionally read-only) and branches (optionally protected or dirty) with a
//!   commit history; hard reset to any ref expression (`main`, a commit id, `main~1`).
//! * Users and their external principals: attach, detach, get, list with pagination.
//! * STS login: code and state checked, token lifetime honoured and capped.
//! * Presigned multipart uploads: create hands out signed part URLs served by the emulator
//!   itself; complete checks the address, ETags, order and S3's 5 MiB minimum; abort
//!   discards.
//! * Authentication: access keys, STS tokens and session cookies; 401 otherwise.
//! * Modes that answer 501, as servers without a feature do ([`Support`]).
//!
//! Use it in-process as a `FakeTransport` fallback, or over HTTP:
//!
//! ```
//! use lakefs_emulator::{serve, Emulator};
//!
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
//! let running = serve(Emulator::new()).await?;
//! println!("lakeFS emulator at {}", running.url());
//! running.shutdown().await;
//! # Ok::<(), std::io::Error>(())
//! # }).unwrap();
//! ```

#![forbid(unsafe_code)]

mod api;
#[cfg(feature = "s3")]
mod s3;
mod server;
mod state;
mod storage;

#[cfg(feature = "s3")]
pub use s3::{S3Error, S3Storage};
pub use server::{serve, serve_on, RunningEmulator};
pub use state::{
    Emulator, Support, DEFAULT_ACCESS_KEY_ID, DEFAULT_BRANCH, DEFAULT_REPOSITORY,
    DEFAULT_SECRET_ACCESS_KEY, DEFAULT_STS_CODE, DEFAULT_STS_STATE,
};
