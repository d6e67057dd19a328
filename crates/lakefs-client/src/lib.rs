//! The lakeFS API client core, generic over the HTTP transport: the endpoint, the spec's five
//! credential schemes ([`Credentials`]), typed errors ([`Error`], matched by [`ErrorKind`]),
//! the retry policy and its one loop ([`retry`]), and the machinery that turns a request
//! builder into an HTTP exchange.
//!
//! A [`Client`] has no operations of its own: the crates that define them add them, each
//! as an extension trait named after the lakeFS API it covers, as the Python SDK
//! (`lakefs-sdk`) names its API classes — `lakefs_experimental::ExperimentalApi` (the 18
//! experimental operations) and the stable ones of `lakefs-api`. One client serves them all:
//! one set of credentials, one connection pool, one retry policy.
//!
//! ```
//! use lakefs_client::{Client, Credentials, RetryPolicy};
//! use lakefs_transport::fake::FakeTransport;
//!
//! // Against a real lakeFS: `Client::from_env()?.build()?` reads lakectl's variables.
//! let client = Client::builder()
//!     .endpoint("http://localhost:8000")
//!     .credentials(Credentials::basic("AKIAIOSFODNN7EXAMPLE", "secret"))
//!     .retry_policy(RetryPolicy::default().max_attempts(3))
//!     .build_with_transport(FakeTransport::new())?;
//! assert_eq!(client.base_url(), "http://localhost:8000/api/v1");
//! # Ok::<(), lakefs_client::Error>(())
//! ```

#![forbid(unsafe_code)]

mod builder;
mod call;
mod client;
pub mod concurrency;
mod credentials;
mod endpoint;
mod error;
#[cfg(feature = "lakectl")]
pub mod lakectl;
mod operation;
mod paginate;
pub mod raw;
mod request;
pub mod retry;

pub use builder::{ClientBuilder, ENV_ACCESS_KEY_ID, ENV_ENDPOINT, ENV_SECRET_ACCESS_KEY};
pub use client::Client;
pub use credentials::{CookieScheme, Credentials, SecretString};
pub use error::{Error, ErrorKind};
pub use operation::Operation;
pub use retry::RetryPolicy;

/// Re-exported so that users need not depend on the models crate directly.
pub use lakefs_models as models;
