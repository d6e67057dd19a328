//! The stable lakeFS operations a data workflow needs, generic over the HTTP transport:
//! upload with `lakefs-multipart`, then check, commit and read with these.
//!
//! Each operation is a method of an extension trait of the lakeFS [`Client`] named after the
//! Python SDK's API classes; bring the ones you use into scope (or `use lakefs_api::*`):
//!
//! | trait | operations |
//! |---|---|
//! | [`ObjectsApi`] | `stat_object`, `list_objects`, `get_object`, `head_object`, `delete_object`, `delete_objects`, `copy_object` |
//! | [`CommitsApi`] | `commit`, `get_commit` |
//! | [`RefsApi`] | `log_commits` |
//! | [`BranchesApi`] | `create_branch`, `list_branches`, `get_branch`, `delete_branch`, `diff_branch`, `reset_branch` |
//! | [`RepositoriesApi`] | `get_repository`, `list_repositories` |
//!
//! They share everything with the experimental operations of `lakefs-experimental`: the same
//! client (credentials, connection pool, retry policy), the same builders (every argument
//! named; a missing one is an [`ErrorKind::InvalidArgument`] before anything is sent), the
//! same [`Error`]. Listings are one page with `send()` or every item with `into_stream()`.
//! What lakeFS does beyond the spec for each of them is in
//! `docs/server-semantics-stable-operations.md`.
//!
//! ```
//! use lakefs_api::{BranchesApi, CommitsApi, ObjectsApi};
//! use lakefs_client::{Client, Credentials};
//! use lakefs_emulator::{Emulator, DEFAULT_ACCESS_KEY_ID, DEFAULT_SECRET_ACCESS_KEY};
//! use lakefs_transport::fake::FakeTransport;
//!
//! # tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap().block_on(async {
//! // An in-memory lakeFS behind an in-memory transport; against a real one, build the client
//! // with `Client::from_env()?.build()?` (lakectl's variables) instead.
//! let lakefs = Emulator::new();
//! lakefs.put_object("example-repo", "main", "data/a.csv", "x,y\n1,2\n");
//! let transport = FakeTransport::new();
//! let server = lakefs.clone();
//! transport.fallback(move |request, _| Ok(server.handle(request)));
//! let client = Client::builder()
//!     .endpoint("http://lakefs.local")
//!     .credentials(Credentials::basic(DEFAULT_ACCESS_KEY_ID, DEFAULT_SECRET_ACCESS_KEY))
//!     .build_with_transport(transport)?;
//!
//! // Check what is staged, commit it, read it back from the commit.
//! let changes = client.diff_branch().repository("example-repo").branch("main").send().await?;
//! assert_eq!(changes.results.len(), 1);
//! let commit = client
//!     .commit()
//!     .repository("example-repo")
//!     .branch("main")
//!     .message("add a.csv")
//!     .send()
//!     .await?;
//! let content = client
//!     .get_object()
//!     .repository("example-repo")
//!     .reference(&commit.id)
//!     .path("data/a.csv")
//!     .send()
//!     .await?;
//! assert_eq!(content.body, "x,y\n1,2\n");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # }).unwrap();
//! ```

#![forbid(unsafe_code)]

mod api;
pub mod branches;
pub mod commits;
pub mod object_io;
pub mod object_upload;
pub mod objects;
pub mod repositories;

pub use api::{BranchesApi, CommitsApi, ObjectsApi, RefsApi, RepositoriesApi};
pub use lakefs_client::{models, Client, Error, ErrorKind, Operation, RetryPolicy};
pub use object_io::{ContentRange, ObjectContent, ObjectHead};
pub use objects::MAX_DELETE_PATHS;
