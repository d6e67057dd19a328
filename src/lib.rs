//! # lakefs
//!
//! A Rust SDK for the lakeFS experimental API, with a concurrent presigned multipart upload
//! engine. This crate is a facade: it re-exports the workspace's crates so that one
//! dependency brings everything; each can also be used on its own.
//!
//! | module | crate | what it holds |
//! |---|---|---|
//! | [`models`] | `lakefs-models` | serde types, one per schema of the OpenAPI spec |
//! | [`transport`] | `lakefs-transport` | the `HttpTransport` trait, the hyper transport, the fake |
//! | [`experimental`] | `lakefs-experimental` | the 18 `ExperimentalApi` operations as request builders, auth, errors, retries |
//! | [`multipart`] | `lakefs-multipart` | the concurrent presigned multipart upload engine |
//!
//! Features: `hyper` (default) turns on the hyper + rustls transport; `fake` the in-memory
//! fake transport for tests.

#![forbid(unsafe_code)]

pub use lakefs_experimental as experimental;
pub use lakefs_models as models;
pub use lakefs_multipart as multipart;
pub use lakefs_transport as transport;

/// The README's code examples, compiled as doctests so they cannot rot.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
