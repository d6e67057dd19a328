//! [`Uploader`], the front door: upload an object, resume one from a checkpoint, or drive an
//! upload's parts from several processes.
//!
//! The engine is split by job: `options` (`upload`, `resume` and their awaited builders),
//! `sessions` (the many-process API), `create` (create, the `uploadPart` probe, the fallback of
//! old servers), `whole` (one upload from create to complete), `run` and `put` (the parts in
//! flight, one part's PUT), `complete` (complete and the lost-answer resolution), `outcome`
//! (abort or keep resumable), `resume` (resume and its proof).

use std::sync::Arc;
use std::time::Duration;

use lakefs_experimental::ExperimentalClient;
use lakefs_transport::HttpTransport;

use crate::run::PartRun;
use crate::urls::PartUrls;
use crate::{ProgressSink, UploadConfig};

pub use lakefs_transport::BoxFuture;

/// lakeFS's link-address lifetime: an upload older than this can be neither completed nor
/// aborted through lakeFS (24 h since v1.80; 6 h before).
pub const LINK_ADDRESS_LIFETIME: Duration = Duration::from_secs(24 * 3600);

/// Uploads objects to lakeFS through presigned multipart uploads.
///
/// One upload: plan the parts; `createPresignMultipartUpload` with URLs for the first parts
/// (the presign window); read and PUT parts concurrently straight to the storage (never more
/// than `concurrency` in flight, a part's bytes read at most a few parts ahead of a free slot; no lakeFS
/// credentials on the PUTs), asking `uploadPart` for the URLs past the window and for fresh
/// ones when a URL is about to expire; retry transient part failures with backoff, re-sending
/// the same bytes; collect the ETags; `completePresignMultipartUpload` with the parts in
/// order. Any unrecoverable failure — or cancellation — aborts the upload once, unless a
/// checkpoint is kept, which leaves it resumable ([`resume`](Self::resume)).
///
/// API calls per upload: one create, one complete, and one `uploadPart` for every part past
/// the presign window (100 by default) and for every URL refresh (a URL lakeFS signs lives
/// 15 minutes by default).
///
/// Everything runs on the caller's task: no task is spawned, so dropping the future stops
/// every PUT. (The exceptions are bounded: a positional file read, an MD5 digest or a
/// checkpoint write runs on the blocking pool until it ends, and a dropped upload sends its
/// abort from a background task.)
///
/// ```no_run
/// use lakefs_experimental::ExperimentalClient;
/// use lakefs_multipart::{UploadConfig, UploadSource, Uploader};
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let client = ExperimentalClient::from_env()?.build()?;
/// let uploader = Uploader::new(client, UploadConfig::builder().concurrency(8).build()?);
/// let stats = uploader
///     .upload("my-repo", "main", "data/big.parquet", UploadSource::file("big.parquet"))
///     .content_type("application/x-parquet")
///     .checkpoint("big.parquet.upload.json")
///     .await?;
/// println!("{} bytes at {}", stats.size_bytes.unwrap_or(0), stats.physical_address);
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct Uploader<T, D = T> {
    pub(crate) client: ExperimentalClient<T>,
    /// Where part PUTs go: the client's transport, or the data plane's own.
    pub(crate) transport: Arc<D>,
    pub(crate) config: UploadConfig,
}

impl<T, D> Clone for Uploader<T, D> {
    fn clone(&self) -> Self {
        Self {
            client: self.client.clone(),
            transport: Arc::clone(&self.transport),
            config: self.config.clone(),
        }
    }
}

impl<T: HttpTransport + 'static> Uploader<T> {
    /// An uploader using `client` for the API calls and its transport for the part PUTs.
    #[must_use]
    pub fn new(client: ExperimentalClient<T>, config: UploadConfig) -> Self {
        let transport = Arc::clone(client.transport());
        Self {
            client,
            transport,
            config,
        }
    }
}

impl<T: HttpTransport + 'static, D: HttpTransport + 'static> Uploader<T, D> {
    /// The same uploader, sending part PUTs through `transport` — of any type — instead of
    /// the client's: for an object store behind another proxy, another CA or another network
    /// than the lakeFS API. lakeFS credentials never travel on it either way.
    ///
    /// ```no_run
    /// use lakefs_experimental::ExperimentalClient;
    /// use lakefs_multipart::{UploadConfig, Uploader};
    /// use lakefs_transport::Proxy;
    ///
    /// # fn run() -> Result<(), Box<dyn std::error::Error>> {
    /// let builder = ExperimentalClient::from_env()?;
    /// // The object store: the same trust and timeouts, but no proxy.
    /// let data = builder.transport_builder().proxy(Proxy::none()).build()?;
    /// let uploader = Uploader::new(builder.build()?, UploadConfig::default())
    ///     .with_data_transport(data);
    /// # Ok(()) }
    /// ```
    #[must_use]
    pub fn with_data_transport<D2: HttpTransport + 'static>(
        self,
        transport: impl Into<Arc<D2>>,
    ) -> Uploader<T, D2> {
        Uploader {
            client: self.client,
            transport: transport.into(),
            config: self.config,
        }
    }

    /// The configuration.
    #[must_use]
    pub fn config(&self) -> &UploadConfig {
        &self.config
    }

    /// The same uploader (transports, configuration and shared slots), reporting progress to
    /// `sink`.
    pub(crate) fn reporting_to(&self, sink: ProgressSink) -> Self {
        let mut config = self.config.clone();
        config.progress = Some(sink);
        Self {
            client: self.client.clone(),
            transport: Arc::clone(&self.transport),
            config,
        }
    }

    /// The lakeFS client.
    pub(crate) fn client(&self) -> &ExperimentalClient<T> {
        &self.client
    }

    /// The parts of `urls`' upload, sent through the data transport; `digest` computes each
    /// part's MD5 for a checkpoint.
    pub(crate) fn part_run<'a>(&'a self, urls: &'a PartUrls<T>, digest: bool) -> PartRun<'a, T, D> {
        PartRun {
            config: &self.config,
            transport: &self.transport,
            urls,
            schedule: urls.session().schedule,
            digest,
        }
    }
}
