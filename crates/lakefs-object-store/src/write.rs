//! Writes: `put` (one `uploadObject` when small or conditional, the presigned multipart engine
//! otherwise), `put_multipart` (a push-style writer over the engine), and copies.

use std::pin::Pin;
use std::task::{Context, Poll};

use async_trait::async_trait;
use bytes::Bytes;
use futures_util::FutureExt;
use http::StatusCode;
use lakefs_api::ObjectsApi;
use lakefs_models::ObjectStats;
use lakefs_multipart::UploadSource;
use lakefs_transport::HttpTransport;
use object_store::path::Path;
use object_store::{
    CopyMode, CopyOptions, MultipartUpload, ObjectStoreExt, PutMode, PutMultipartOptions,
    PutOptions, PutPayload, PutResult, Result, UploadPart,
};
use tokio::io::{AsyncRead, ReadBuf};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use crate::error::{self, from_api, not_implemented};
use crate::{Inner, LakeFsStore};

fn put_result(stats: &ObjectStats) -> PutResult {
    PutResult {
        e_tag: Some(stats.checksum.trim_matches('"').to_owned()),
        version: None,
        extensions: Default::default(),
    }
}

fn refuse_attributes(attributes: &object_store::Attributes) -> Result<()> {
    if attributes.is_empty() {
        Ok(())
    } else {
        Err(object_store::Error::NotSupported {
            source: "object attributes are not written to lakeFS by this store".into(),
        })
    }
}

/// `uploadObject`: the bytes through lakeFS in one call; `create_only` sends
/// `If-None-Match: *`, which lakeFS checks atomically when it stages the entry.
pub(crate) async fn upload_object<T: HttpTransport + 'static>(
    inner: &Inner<T>,
    key: &str,
    content: Bytes,
    create_only: bool,
) -> Result<PutResult> {
    let mut request = inner
        .client
        .upload_object()
        .repository(&inner.repository)
        .branch(&inner.reference)
        .path(key)
        .content(content);
    if create_only {
        request = request.if_none_match("*");
    }
    match request.send().await {
        Ok(stats) => Ok(put_result(&stats)),
        Err(e) if create_only && e.status() == Some(StatusCode::PRECONDITION_FAILED) => {
            Err(object_store::Error::AlreadyExists {
                path: key.to_owned(),
                source: Box::new(e),
            })
        }
        Err(e) => Err(from_api(key, e)),
    }
}

pub(crate) async fn put<T: HttpTransport + 'static>(
    inner: &Inner<T>,
    location: &Path,
    payload: PutPayload,
    opts: PutOptions,
) -> Result<PutResult> {
    refuse_attributes(&opts.attributes)?;
    let key = location.as_ref();
    let small = payload.content_length() <= inner.config.small_put;
    match opts.mode {
        // lakeFS v1.84 answers 501 to `If-Match` on uploadObject and linkPhysicalAddress.
        PutMode::Update(_) => Err(not_implemented(
            "put_opts with PutMode::Update (lakeFS does not implement If-Match on writes)",
        )),
        PutMode::Create => upload_object(inner, key, Bytes::from(payload), true).await,
        PutMode::Overwrite if small => upload_object(inner, key, Bytes::from(payload), false).await,
        PutMode::Overwrite => inner
            .uploader
            .upload(
                &inner.repository,
                &inner.reference,
                key,
                UploadSource::bytes(Bytes::from(payload)),
            )
            .await
            .map(|stats| put_result(&stats))
            .map_err(error::generic),
    }
}

pub(crate) async fn copy<T: HttpTransport + 'static>(
    inner: &Inner<T>,
    from: &Path,
    to: &Path,
    options: CopyOptions,
) -> Result<()> {
    match options.mode {
        CopyMode::Overwrite => inner
            .client
            .copy_object()
            .repository(&inner.repository)
            .branch(&inner.reference)
            .src_path(from.as_ref())
            .src_ref(&inner.reference)
            .dest_path(to.as_ref())
            .send()
            .await
            .map(drop)
            .map_err(|e| from_api(from.as_ref(), e)),
        CopyMode::Create => {
            // copyObject has no condition: read the bytes and write them with
            // `If-None-Match: *`, atomic at the destination, for objects of a bounded size.
            let stats = crate::read::stat(inner, from.as_ref()).await?;
            let limit = inner.config.small_put.saturating_mul(16);
            let size = stats.size_bytes.unwrap_or(0);
            if usize::try_from(size).map_or(true, |s| s > limit) {
                return Err(object_store::Error::NotSupported {
                    source: format!(
                        "copy_if_not_exists of {size} bytes: lakeFS's copyObject has no \
                         condition, and this store copies through the client only up to {limit}"
                    )
                    .into(),
                });
            }
            let store = LakeFsStore {
                inner: std::sync::Arc::new(Inner {
                    client: inner.client.clone(),
                    repository: inner.repository.clone(),
                    reference: inner.reference.clone(),
                    uploader: inner.uploader.clone(),
                    downloader: inner.downloader.clone(),
                    config: inner.config.clone(),
                    no_presign: std::sync::atomic::AtomicBool::new(
                        inner.no_presign.load(std::sync::atomic::Ordering::Relaxed),
                    ),
                }),
            };
            let bytes = store.get(from).await?.bytes().await?;
            upload_object(inner, to.as_ref(), bytes, true)
                .await
                .map(drop)
        }
    }
}

/// A chunk of a part handed to the engine; `taken` is told once the engine has read it all.
struct Chunk {
    bytes: Bytes,
    taken: Option<oneshot::Sender<()>>,
}

/// The engine's source: the chunks of `put_part`, in the order of the calls.
struct ChannelReader {
    chunks: mpsc::UnboundedReceiver<Chunk>,
    current: Option<Chunk>,
}

impl AsyncRead for ChannelReader {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        loop {
            if let Some(chunk) = &mut self.current {
                if !chunk.bytes.is_empty() {
                    let n = chunk.bytes.len().min(buf.remaining());
                    buf.put_slice(&chunk.bytes.split_to(n));
                    if chunk.bytes.is_empty() {
                        if let Some(taken) = self.current.take().and_then(|c| c.taken) {
                            let _ = taken.send(());
                        }
                    }
                    return Poll::Ready(Ok(()));
                }
                if let Some(taken) = self.current.take().and_then(|c| c.taken) {
                    let _ = taken.send(());
                }
            }
            match self.chunks.poll_recv(cx) {
                Poll::Ready(Some(chunk)) => self.current = Some(chunk),
                // End of the object: `complete` closed the channel.
                Poll::Ready(None) => return Poll::Ready(Ok(())),
                Poll::Pending => return Poll::Pending,
            }
        }
    }
}

type Running = JoinHandle<Result<ObjectStats, lakefs_multipart::Error>>;

/// `put_multipart`'s writer: parts are pushed, in the order of the `put_part` calls, into the
/// upload engine running as a task (its parts sized and sent by it, straight to the store,
/// with its bounded parts in flight). A `put_part` future resolves once the engine has taken
/// the part's bytes: awaiting it — as `WriteMultipart` does — bounds memory to the parts in
/// flight plus those awaited. Nothing is staged before `complete`; `abort`, or dropping the
/// writer, aborts the storage's multipart upload.
struct LakeFsUpload<T> {
    inner: std::sync::Arc<Inner<T>>,
    key: String,
    sender: Option<mpsc::UnboundedSender<Chunk>>,
    task: Option<Running>,
    cancel: Option<oneshot::Sender<()>>,
    bytes: u64,
}

impl<T> std::fmt::Debug for LakeFsUpload<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LakeFsUpload")
            .field("path", &self.key)
            .field("bytes", &self.bytes)
            .finish_non_exhaustive()
    }
}

pub(crate) fn put_multipart<T: HttpTransport + 'static>(
    inner: &std::sync::Arc<Inner<T>>,
    location: &Path,
    opts: PutMultipartOptions,
) -> Result<Box<dyn MultipartUpload>> {
    refuse_attributes(&opts.attributes)?;
    let key = location.as_ref().to_owned();
    let (sender, chunks) = mpsc::unbounded_channel();
    let (cancel, cancelled) = oneshot::channel::<()>();
    let reader = ChannelReader {
        chunks,
        current: None,
    };
    let uploader = inner.uploader.clone();
    let (repository, branch, path) = (
        inner.repository.clone(),
        inner.reference.clone(),
        key.clone(),
    );
    let task = tokio::spawn(async move {
        let cancelled = async move {
            // A dropped sender (complete) is no cancellation.
            if cancelled.await.is_err() {
                std::future::pending::<()>().await;
            }
        };
        uploader
            .upload(&repository, &branch, &path, UploadSource::stream(reader))
            .cancel_on(cancelled)
            .await
    });
    Ok(Box::new(LakeFsUpload {
        inner: std::sync::Arc::clone(inner),
        key,
        sender: Some(sender),
        task: Some(task),
        cancel: Some(cancel),
        bytes: 0,
    }))
}

impl<T> LakeFsUpload<T> {
    /// Cancels the engine (it aborts the storage's upload) and waits for it, keeping the
    /// channel open meanwhile so that the engine never sees an end of data.
    async fn cancel_and_wait(&mut self) {
        if let Some(cancel) = self.cancel.take() {
            let _ = cancel.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
        self.sender = None;
    }
}

#[async_trait]
impl<T: HttpTransport + 'static> MultipartUpload for LakeFsUpload<T> {
    fn put_part(&mut self, data: PutPayload) -> UploadPart {
        let Some(sender) = &self.sender else {
            return async { Err(error::message("the upload was completed or aborted")) }.boxed();
        };
        self.bytes += data.content_length() as u64;
        let chunks: Vec<Bytes> = data.into_iter().filter(|b| !b.is_empty()).collect();
        let count = chunks.len();
        let mut taken = None;
        for (index, bytes) in chunks.into_iter().enumerate() {
            let ack = if index + 1 == count {
                let (tx, rx) = oneshot::channel();
                taken = Some(rx);
                Some(tx)
            } else {
                None
            };
            if sender.send(Chunk { bytes, taken: ack }).is_err() {
                return async {
                    Err(error::message(
                        "the upload engine stopped; complete() reports why",
                    ))
                }
                .boxed();
            }
        }
        async move {
            match taken {
                None => Ok(()),
                Some(rx) => rx.await.map_err(|_| {
                    error::message("the upload engine stopped; complete() reports why")
                }),
            }
        }
        .boxed()
    }

    async fn complete(&mut self) -> Result<PutResult> {
        if self.bytes == 0 {
            // An empty object: no multipart upload can hold it; one uploadObject call.
            self.cancel_and_wait().await;
            return upload_object(&self.inner, &self.key, Bytes::new(), false).await;
        }
        self.cancel = None;
        self.sender = None; // the end of the object
        let task = self
            .task
            .take()
            .ok_or_else(|| error::message("the upload was completed or aborted"))?;
        match task.await {
            Ok(Ok(stats)) => Ok(put_result(&stats)),
            Ok(Err(e)) => Err(error::generic(e)),
            Err(e) => Err(error::generic(e)),
        }
    }

    async fn abort(&mut self) -> Result<()> {
        self.cancel_and_wait().await;
        Ok(())
    }
}

impl<T> Drop for LakeFsUpload<T> {
    fn drop(&mut self) {
        // Dropped without complete: cancel the engine (it aborts), and keep the channel open
        // until it has stopped, so that it never completes a partial object.
        if let Some(cancel) = self.cancel.take() {
            let _ = cancel.send(());
        }
        if let (Some(task), Some(sender)) = (self.task.take(), self.sender.take()) {
            if let Ok(handle) = tokio::runtime::Handle::try_current() {
                handle.spawn(async move {
                    let _ = task.await;
                    drop(sender);
                });
            }
        }
    }
}
