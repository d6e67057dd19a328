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
//!
//! Features: `hyper` (default) turns on the hyper + rustls transport; `fake` the in-memory
//! fake transport for tests.

pub use lakefs_models as models;
pub use lakefs_transport as transport;
