//! An [`object_store::ObjectStore`] for a lakeFS repository and ref, built from the SDK's
//! [`Client`]: DataFusion, Polars, delta-rs, Lance and arrow's Parquet reader can then read
//! and write lakeFS directly.
//!
//! - **Writes** go to the object store, not through lakeFS: `put_multipart` runs the SDK's
//!   presigned multipart upload engine (parts PUT straight to the store, bounded parts in
//!   flight and memory), and a large `put` does too. A small `put` — below
//!   [`StoreConfig::small_put`] — is one `uploadObject` call (its bytes through lakeFS: one
//!   round trip instead of three). Writes land **uncommitted** on the branch, lakeFS's model:
//!   commit after the job ([`LakeFsStore::commit`]).
//! - **Reads** are `statObject` with a presigned URL — the conditions checked against its
//!   answer —, then the SDK's download engine reads that very version: ranged GETs of the URL
//!   straight from the store, parts in parallel (the engine's part size and concurrency),
//!   each pinned to the checksum; a whole object proven against it. Where the blockstore
//!   cannot presign, through `getObject`.
//! - `list` / `list_with_delimiter` / `list_with_offset` are `listObjects`; deletes are
//!   `deleteObjects` (1,000 paths a call); copies are `copyObject`; rename is copy + delete.
//!
//! # Conditions, as lakeFS honours them
//!
//! | option | lakeFS | here |
//! |---|---|---|
//! | `PutMode::Create` | `If-None-Match: *` on `uploadObject`, checked atomically when staging | `AlreadyExists` when the path has an object |
//! | `PutMode::Update` | `If-Match` answers 501 (v1.84, `BuildConditionFromParams`) | `NotImplemented`, nothing written |
//! | `CopyMode::Create` | `copyObject` has no condition | the bytes read and written with `uploadObject` + `If-None-Match: *` (up to [`StoreConfig::small_put`] × 16), else `NotSupported` |
//! | `if_match`, `if_none_match`, `if_modified_since`, `if_unmodified_since` | | checked against `statObject`'s answer; the engine then reads that version only (`If-Match` on its checksum; a changed object is `Precondition`) |
//! | `GetOptions::version` | (refs, not versions: bind a store to a commit) | `NotSupported` |
//!
//! Never a silent last-writer-wins: a condition lakeFS cannot keep is refused.
//!
//! # Example: write, commit, read back from the commit
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use lakefs_object_store::LakeFsStore;
//! use object_store::{path::Path, ObjectStore, ObjectStoreExt};
//!
//! # let running = lakefs_emulator::serve(lakefs_emulator::Emulator::new()).await?;
//! # let client = lakefs_client::Client::builder()
//! #     .endpoint(running.url())
//! #     .credentials(lakefs_client::Credentials::basic(
//! #         lakefs_emulator::DEFAULT_ACCESS_KEY_ID,
//! #         lakefs_emulator::DEFAULT_SECRET_ACCESS_KEY,
//! #     ))
//! #     .build()?;
//! // let client = lakefs_client::Client::from_env()?.build()?;
//! let store = LakeFsStore::new(client, "example-repo", "main");
//! let path = Path::from("tables/x/part-0.csv");
//! store.put(&path, "id,name\n1,a\n".into()).await?;
//!
//! // Uncommitted until committed: commit, then read from the commit.
//! let commit = store.commit("write table x").await?;
//! let at_commit = store.at_ref(&commit.id);
//! let bytes = at_commit.get(&path).await?.bytes().await?;
//! assert_eq!(&bytes[..], b"id,name\n1,a\n");
//! # Ok(()) }
//! ```

#![forbid(unsafe_code)]

mod error;
mod list;
mod multipart_store;
mod read;
mod write;

use std::fmt;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use async_trait::async_trait;
use futures_util::stream::BoxStream;
use lakefs_api::CommitsApi;
use lakefs_client::Client;
use lakefs_download::{DownloadConfig, Downloader};
use lakefs_models::Commit;
use lakefs_multipart::{UploadConfig, Uploader};
use lakefs_transport::HttpTransport;
use object_store::path::Path;
use object_store::{
    CopyOptions, GetOptions, GetResult, ListResult, MultipartUpload, ObjectMeta, ObjectStore,
    PutMultipartOptions, PutOptions, PutPayload, PutResult, Result,
};

pub use multipart_store::MULTIPART_ID_PREFIX;

/// Settings of a [`LakeFsStore`] beyond its engines'.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct StoreConfig {
    /// A `put` of at most this many bytes is one `uploadObject` call (through lakeFS); a
    /// larger one goes through the presigned multipart engine, straight to the store.
    /// Default 8 MiB (see the measurements in docs/object-store.md).
    pub small_put: usize,
}

impl StoreConfig {
    /// The settings with [`small_put`](Self::small_put) set to `bytes` (`0`: every `put`
    /// through the multipart engine; `usize::MAX`: every `put` one `uploadObject`).
    #[must_use]
    pub fn with_small_put(mut self, bytes: usize) -> Self {
        self.small_put = bytes;
        self
    }
}

impl Default for StoreConfig {
    fn default() -> Self {
        Self { small_put: 8 << 20 }
    }
}

/// An [`ObjectStore`] (and [`MultipartStore`](object_store::multipart::MultipartStore)) over
/// one lakeFS repository at one ref. Writes need the ref to be a branch; reads work at any
/// ref (a branch — its uncommitted objects included —, a tag, a commit).
pub struct LakeFsStore<T> {
    inner: Arc<Inner<T>>,
}

pub(crate) struct Inner<T> {
    pub(crate) client: Client<T>,
    pub(crate) repository: String,
    pub(crate) reference: String,
    pub(crate) uploader: Uploader<T>,
    pub(crate) downloader: Downloader<T>,
    pub(crate) config: StoreConfig,
    /// Set once the blockstore refused to presign: reads then go through `getObject`.
    pub(crate) no_presign: AtomicBool,
}

impl<T> Clone for LakeFsStore<T> {
    fn clone(&self) -> Self {
        Self {
            inner: Arc::clone(&self.inner),
        }
    }
}

impl<T> fmt::Debug for LakeFsStore<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LakeFsStore")
            .field("repository", &self.inner.repository)
            .field("reference", &self.inner.reference)
            .field("config", &self.inner.config)
            .finish_non_exhaustive()
    }
}

impl<T> fmt::Display for LakeFsStore<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "LakeFS(lakefs://{}/{})",
            self.inner.repository, self.inner.reference
        )
    }
}

impl<T: HttpTransport + 'static> LakeFsStore<T> {
    /// A store over `repository` at `reference` (a branch for writes), with the engines'
    /// default settings.
    pub fn new(
        client: Client<T>,
        repository: impl Into<String>,
        reference: impl Into<String>,
    ) -> Self {
        Self::with_config(
            client,
            repository,
            reference,
            UploadConfig::default(),
            DownloadConfig::default(),
            StoreConfig::default(),
        )
    }

    /// A store over `lakefs://repository/reference` (a trailing `/` or path is refused).
    ///
    /// # Errors
    /// `object_store::Error::Generic` for a URL of another form.
    pub fn from_url(client: Client<T>, url: &str) -> Result<Self> {
        let rest = url
            .strip_prefix("lakefs://")
            .ok_or_else(|| error::message("a lakeFS store URL starts with lakefs://"))?;
        match rest.split_once('/') {
            Some((repository, reference))
                if !repository.is_empty() && !reference.is_empty() && !reference.contains('/') =>
            {
                Ok(Self::new(client, repository, reference))
            }
            _ => Err(error::message(
                "a lakeFS store URL is lakefs://<repository>/<ref>",
            )),
        }
    }

    /// A store with the upload and download engines' settings and the store's own.
    pub fn with_config(
        client: Client<T>,
        repository: impl Into<String>,
        reference: impl Into<String>,
        upload: UploadConfig,
        download: DownloadConfig,
        config: StoreConfig,
    ) -> Self {
        let uploader = Uploader::new(client.clone(), upload);
        let downloader = Downloader::new(client.clone(), download);
        Self {
            inner: Arc::new(Inner {
                client,
                repository: repository.into(),
                reference: reference.into(),
                uploader,
                downloader,
                config,
                no_presign: AtomicBool::new(false),
            }),
        }
    }

    /// The same store at another ref of the repository (a commit id, a tag, a branch) —
    /// to read back what a commit holds.
    #[must_use]
    pub fn at_ref(&self, reference: &str) -> Self {
        Self {
            inner: Arc::new(Inner {
                client: self.inner.client.clone(),
                repository: self.inner.repository.clone(),
                reference: reference.to_owned(),
                uploader: self.inner.uploader.clone(),
                downloader: self.inner.downloader.clone(),
                config: self.inner.config.clone(),
                no_presign: AtomicBool::new(false),
            }),
        }
    }

    /// The repository.
    #[must_use]
    pub fn repository(&self) -> &str {
        &self.inner.repository
    }

    /// The ref (the branch that writes go to).
    #[must_use]
    pub fn reference(&self) -> &str {
        &self.inner.reference
    }

    /// The client, for the rest of the SDK (branches, merges, diffs).
    #[must_use]
    pub fn client(&self) -> &Client<T> {
        &self.inner.client
    }

    /// Commits what was written to the branch — the end of a job ("write a table, then
    /// commit"): everything staged on the branch, by this store or anyone else, becomes one
    /// commit. Read it back with [`at_ref`](Self::at_ref)`(&commit.id)`.
    ///
    /// # Errors
    /// The lakeFS error as an `object_store::Error` (`Generic` for 400 "no changes").
    pub async fn commit(&self, message: &str) -> Result<Commit> {
        self.commit_with(message, &[]).await
    }

    /// As [`commit`](Self::commit), with commit metadata (`key`, `value`) pairs.
    ///
    /// # Errors
    /// As [`commit`](Self::commit).
    pub async fn commit_with(&self, message: &str, metadata: &[(&str, &str)]) -> Result<Commit> {
        let mut request = self
            .inner
            .client
            .commit()
            .repository(&self.inner.repository)
            .branch(&self.inner.reference)
            .message(message);
        for (key, value) in metadata {
            request = request.meta(*key, *value);
        }
        request
            .send()
            .await
            .map_err(|e| error::from_api(&self.inner.reference, e))
    }
}

#[async_trait]
impl<T: HttpTransport + 'static> ObjectStore for LakeFsStore<T> {
    async fn put_opts(
        &self,
        location: &Path,
        payload: PutPayload,
        opts: PutOptions,
    ) -> Result<PutResult> {
        write::put(&self.inner, location, payload, opts).await
    }

    async fn put_multipart_opts(
        &self,
        location: &Path,
        opts: PutMultipartOptions,
    ) -> Result<Box<dyn MultipartUpload>> {
        write::put_multipart(&self.inner, location, opts)
    }

    async fn get_opts(&self, location: &Path, options: GetOptions) -> Result<GetResult> {
        read::get(&self.inner, location, options).await
    }

    fn delete_stream(
        &self,
        locations: BoxStream<'static, Result<Path>>,
    ) -> BoxStream<'static, Result<Path>> {
        list::delete_stream(Arc::clone(&self.inner), locations)
    }

    fn list(&self, prefix: Option<&Path>) -> BoxStream<'static, Result<ObjectMeta>> {
        list::list(Arc::clone(&self.inner), prefix, None)
    }

    fn list_with_offset(
        &self,
        prefix: Option<&Path>,
        offset: &Path,
    ) -> BoxStream<'static, Result<ObjectMeta>> {
        list::list(Arc::clone(&self.inner), prefix, Some(offset))
    }

    async fn list_with_delimiter(&self, prefix: Option<&Path>) -> Result<ListResult> {
        list::list_with_delimiter(&self.inner, prefix).await
    }

    async fn copy_opts(&self, from: &Path, to: &Path, options: CopyOptions) -> Result<()> {
        write::copy(&self.inner, from, to, options).await
    }
}
