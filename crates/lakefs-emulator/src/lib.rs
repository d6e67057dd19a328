//! An in-memory emulator of the lakeFS `ExperimentalApi` — all 18 operations the
//! `experimental` tag holds in lakeFS v1.84.0 — and of the stable operations a data workflow
//! needs, with the real server's semantics (as `shared/lakefs-openapi/experimental.md` §5,
//! `docs/server-semantics-stable-operations.md` and lakeFS's source describe them), and the
//! object store its presigned URLs point at.
//!
//! * Repositories (optionally read-only) and branches (optionally protected or dirty) with a
//!   commit history whose commits hold their objects; hard reset to any ref expression
//!   (`main`, a commit id, `main~1`), which moves only the branch's commit and keeps its
//!   uncommitted objects, as lakeFS's does.
//! * Presigned multipart uploads: create hands out signed part URLs served by the emulator
//!   itself (or presigned for a real S3 server, feature `s3`); complete checks the address
//!   (signature, 24 h lifetime), ETags, order and S3's 5 MiB minimum; abort discards.
//! * `uploadPart` re-signs one part's URL; part URLs carry SigV4's `X-Amz-Date` and
//!   `X-Amz-Expires` (15 minutes by default, [`Emulator::set_part_url_expiry`]), covered by
//!   their signature, and the store refuses an expired one as S3 does (`403 AccessDenied`,
//!   "Request has expired"). `uploadPartCopy` copies a byte range of an object at any ref
//!   into a part.
//! * `updateObjectUserMetadata` replaces an object's user metadata on a branch.
//! * Objects: `statObject`, `listObjects` (prefix, delimiter, pagination), `getObject` (one
//!   byte range, `If-None-Match`, `presign=true` redirects to a presigned GET URL that expires
//!   like part URLs do, and that the store serves as S3 does: one range, `If-Match` on another
//!   ETag `412 PreconditionFailed`, `If-None-Match` on this one `304`), `headObject`,
//!   `deleteObject`, `deleteObjects`, `copyObject`.
//! * Commits and refs: `commit` (64-hex ids, `commit: no changes` on a clean branch),
//!   `getCommit` and `logCommits` on any ref expression (`main`, an id or its prefix, `main~1`,
//!   `main^2`, `main@`).
//! * Branches and repositories: `createBranch`, `listBranches`, `getBranch`, `deleteBranch`,
//!   `diffBranch` (uncommitted changes), `resetBranch`, `getRepository`, `listRepositories`.
//! * Pull requests: create, get, list (status filter, pagination), update, merge — a real
//!   three-way merge into the destination, with lakeFS's 400/403/409 refusals.
//! * Users and their external principals: attach, detach, get, list with pagination;
//!   `externalPrincipalLogin` for identities registered with
//!   [`Emulator::add_external_identity`].
//! * STS login: code and state checked, token lifetime honoured and capped.
//! * Authentication: access keys, STS and login tokens, session cookies; 401 otherwise.
//! * Modes that answer 501, as servers without a feature do ([`Support`]), and routes that are
//!   unknown (400), as on releases older than an operation
//!   ([`Emulator::set_operation_available`], e.g. no `uploadPart` before v1.55.0).
//! * A clock tests move forward without sleeping ([`Emulator::advance_clock`]): part URLs, link
//!   addresses and tokens expire by it, and the dates the emulator reports follow it.
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
//!
//! # Inside the crate
//!
//! Modules import only downward, so no import runs in a circle:
//! * leaves, importing nothing of the crate: `checksum`, `clock`, `operation`, `range`, `s3`,
//!   `xid`;
//! * `model` (the data) uses leaves only; `emulator` (the public handle), `refs` (ref
//!   expressions, and what a ref holds) and `signing` (address, part-URL and object-URL
//!   signatures, and the store's paths) use `model` and leaves;
//! * `setup` and `storage` (the part and object store) use those; `api/` (routing, handlers)
//!   uses all of them, and nothing imports `api` (`server` calls it through `Emulator`'s
//!   methods).

#![forbid(unsafe_code)]

mod api;
mod checksum;
mod clock;
mod emulator;
mod model;
mod operation;
mod range;
mod refs;
#[cfg(feature = "s3")]
mod s3;
mod server;
mod setup;
mod signing;
mod storage;
mod xid;

pub use emulator::Emulator;
pub use model::Support;
pub use operation::EmulatedOperation;
#[cfg(feature = "s3")]
pub use s3::{S3Error, S3Storage};
pub use server::{serve, serve_on, RunningEmulator};
pub use setup::{
    DEFAULT_ACCESS_KEY_ID, DEFAULT_BRANCH, DEFAULT_EXTERNAL_IDENTITY_TOKEN,
    DEFAULT_EXTERNAL_PRINCIPAL_ID, DEFAULT_FEATURE_BRANCH, DEFAULT_FEATURE_OBJECT_PATH,
    DEFAULT_OBJECT_PATH, DEFAULT_REPOSITORY, DEFAULT_SECRET_ACCESS_KEY, DEFAULT_STS_CODE,
    DEFAULT_STS_STATE,
};
