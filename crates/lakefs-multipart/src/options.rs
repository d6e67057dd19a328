//! Per-object options, and the builders an upload and a resume are configured on before they
//! are awaited.

use std::collections::BTreeMap;
use std::future::{Future, IntoFuture};
use std::path::{Path, PathBuf};

use lakefs_experimental::models::ObjectStats;
use lakefs_transport::HttpTransport;

use crate::error::{Error, UploadFailure};
use crate::uploader::{BoxFuture, Uploader};
use crate::UploadSource;
use crate::{ProgressEvent, ProgressSink};

/// What an object is: its media type and user metadata, recorded when completing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[must_use]
pub struct ObjectOptions {
    pub(crate) content_type: Option<String>,
    pub(crate) user_metadata: BTreeMap<String, String>,
}

impl ObjectOptions {
    /// No content type (lakeFS records `application/octet-stream`), no metadata.
    pub fn new() -> Self {
        Self::default()
    }

    /// The object's media type.
    pub fn content_type(mut self, content_type: impl Into<String>) -> Self {
        self.content_type = Some(content_type.into());
        self
    }

    /// Adds one user metadata entry.
    pub fn metadata(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.user_metadata.insert(key.into(), value.into());
        self
    }

    /// The options a checkpoint recorded.
    pub(crate) fn recorded(
        content_type: Option<String>,
        user_metadata: &BTreeMap<String, String>,
    ) -> Self {
        Self {
            content_type,
            user_metadata: user_metadata.clone(),
        }
    }

    pub(crate) fn check(&self) -> Result<(), UploadFailure> {
        if self.user_metadata.keys().any(String::is_empty) {
            return Err(UploadFailure::Invalid(
                "user metadata keys must not be empty".into(),
            ));
        }
        Ok(())
    }
}

/// One upload, configured per object; `.await` it.
#[must_use = "an upload does nothing until it is awaited"]
pub struct Upload<'a, T, D = T> {
    pub(crate) uploader: &'a Uploader<T, D>,
    pub(crate) repository: &'a str,
    pub(crate) branch: &'a str,
    pub(crate) path: &'a str,
    pub(crate) source: UploadSource,
    pub(crate) options: ObjectOptions,
    pub(crate) checkpoint: Option<PathBuf>,
    pub(crate) cancel: Option<BoxFuture<'a, ()>>,
    pub(crate) progress: Option<ProgressSink>,
}

impl<'a, T, D> Upload<'a, T, D> {
    /// Receives this upload's progress events, instead of the uploader's callback (if it has
    /// one): one [`Uploader`] serves many objects, each with its own progress.
    pub fn on_progress(
        mut self,
        callback: impl Fn(&ProgressEvent) + Send + Sync + 'static,
    ) -> Self {
        self.progress = Some(ProgressSink::new(callback));
        self
    }

    /// The object's media type, recorded when completing.
    pub fn content_type(mut self, content_type: impl Into<String>) -> Self {
        self.options = self.options.content_type(content_type);
        self
    }

    /// Adds one user metadata entry, recorded when completing.
    pub fn metadata(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.options = self.options.metadata(key, value);
        self
    }

    /// The object's media type and metadata at once.
    pub fn options(mut self, options: ObjectOptions) -> Self {
        self.options = options;
        self
    }

    /// Keeps a checkpoint at `path`: written after every finished part, removed when the
    /// upload completes. A failed or cancelled upload is then not aborted but left to be
    /// resumed with [`Uploader::resume`]. Needs a file or bytes source.
    pub fn checkpoint(mut self, path: impl AsRef<Path>) -> Self {
        self.checkpoint = Some(path.as_ref().to_owned());
        self
    }

    /// Gives up when `cancel` completes (for example a `CancellationToken::cancelled()` or
    /// `ctrl_c()`): the upload is aborted — or, with a checkpoint, left resumable — and the
    /// error is [`ErrorKind::Cancelled`](crate::ErrorKind::Cancelled).
    pub fn cancel_on(mut self, cancel: impl Future<Output = ()> + Send + 'a) -> Self {
        self.cancel = Some(Box::pin(cancel));
        self
    }
}

impl<'a, T: HttpTransport + 'static, D: HttpTransport + 'static> IntoFuture for Upload<'a, T, D> {
    type Output = Result<ObjectStats, Error>;
    type IntoFuture = BoxFuture<'a, Self::Output>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(async move {
            // A per-upload callback: the same uploader (its transports and slots shared),
            // reporting to it.
            let own = self.progress.map(|sink| self.uploader.reporting_to(sink));
            own.as_ref()
                .unwrap_or(self.uploader)
                .run_upload(
                    (self.repository, self.branch, self.path),
                    self.source,
                    self.options,
                    self.checkpoint,
                    self.cancel,
                )
                .await
        })
    }
}

/// The resumption of an upload from its checkpoint; `.await` it.
#[must_use = "a resumption does nothing until it is awaited"]
pub struct Resume<'a, T, D = T> {
    pub(crate) uploader: &'a Uploader<T, D>,
    pub(crate) checkpoint: PathBuf,
    pub(crate) source: UploadSource,
    pub(crate) cancel: Option<BoxFuture<'a, ()>>,
    pub(crate) progress: Option<ProgressSink>,
}

impl<'a, T, D> Resume<'a, T, D> {
    /// Receives this resumption's progress events, instead of the uploader's callback.
    pub fn on_progress(
        mut self,
        callback: impl Fn(&ProgressEvent) + Send + Sync + 'static,
    ) -> Self {
        self.progress = Some(ProgressSink::new(callback));
        self
    }

    /// Gives up when `cancel` completes, leaving the upload resumable again.
    pub fn cancel_on(mut self, cancel: impl Future<Output = ()> + Send + 'a) -> Self {
        self.cancel = Some(Box::pin(cancel));
        self
    }
}

impl<'a, T: HttpTransport + 'static, D: HttpTransport + 'static> IntoFuture for Resume<'a, T, D> {
    type Output = Result<ObjectStats, Error>;
    type IntoFuture = BoxFuture<'a, Self::Output>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(async move {
            let own = self.progress.map(|sink| self.uploader.reporting_to(sink));
            own.as_ref()
                .unwrap_or(self.uploader)
                .run_resume(self.checkpoint, self.source, self.cancel)
                .await
        })
    }
}

impl<T: HttpTransport + 'static, D: HttpTransport + 'static> Uploader<T, D> {
    /// Uploads `source` to `path` on `branch` of `repository`. Name the object's content
    /// type, metadata, checkpoint or a cancellation on the returned builder, then `.await` it
    /// for the staged object's stats.
    pub fn upload<'a>(
        &'a self,
        repository: &'a str,
        branch: &'a str,
        path: &'a str,
        source: UploadSource,
    ) -> Upload<'a, T, D> {
        Upload {
            uploader: self,
            repository,
            branch,
            path,
            source,
            options: ObjectOptions::new(),
            checkpoint: None,
            cancel: None,
            progress: None,
        }
    }

    /// Resumes the upload the checkpoint at `checkpoint` describes: refuses a `source` that
    /// changed, signs fresh URLs for the parts not yet stored, sends only those, completes,
    /// and removes the checkpoint. Await the returned builder.
    pub fn resume(&self, checkpoint: impl Into<PathBuf>, source: UploadSource) -> Resume<'_, T, D> {
        Resume {
            uploader: self,
            checkpoint: checkpoint.into(),
            source,
            cancel: None,
            progress: None,
        }
    }
}
