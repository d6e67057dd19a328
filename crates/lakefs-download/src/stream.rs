//! [`ObjectReader`]: an object's bytes in order, fetched `concurrency` parts ahead — memory
//! within `(concurrency + 1) × part size` — and checked against the checksum as they pass.

use std::collections::VecDeque;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};

use bytes::Bytes;
use futures_util::future::BoxFuture;
use futures_util::{FutureExt as _, Stream};
use tokio::io::{AsyncRead, ReadBuf};
use tokio::task::JoinHandle;

use crate::config::DownloadConfig;
use crate::downloader::Started;
use crate::plan::Plan;
use crate::verify::{self, Expected, SequentialCheck};
use crate::{DownloadEvent, Error, ErrorKind, Route, Verification};

/// A part's bytes, and their MD5 when the parts are the object's upload parts.
type FetchedPart = (Bytes, Option<[u8; 16]>);

/// A spawned part, aborted when dropped (a reader dropped halfway leaves no task behind).
struct PartTask(JoinHandle<Result<FetchedPart, Error>>);

impl Drop for PartTask {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// An object's bytes, in order, as a [`Stream`] of chunks (one per part) or, with
/// [`into_async_read`](Self::into_async_read), as an [`AsyncRead`].
///
/// Up to `concurrency` parts are fetched ahead of the one being read. When the last byte has
/// passed, the checksum is checked: a mismatch ends the stream with an
/// [`ErrorKind::ChecksumMismatch`] error in place of its end (the bytes already handed on
/// cannot be taken back: a consumer that must not act on wrong bytes waits for the end).
/// [`verification`](Self::verification) then says what was proven.
pub struct ObjectReader {
    plan: Plan,
    route: Route,
    config: Arc<DownloadConfig>,
    spawn: Arc<dyn Fn(u32) -> PartTask + Send + Sync>,
    next_to_spawn: u32,
    window: VecDeque<PartTask>,
    /// Hashing of the previous chunk, on the blocking pool.
    hashing: Option<BoxFuture<'static, Option<SequentialCheck>>>,
    check: Option<SequentialCheck>,
    part_md5s: Vec<[u8; 16]>,
    verification: Option<Verification>,
    done: bool,
}

impl std::fmt::Debug for ObjectReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ObjectReader")
            .field("size", &self.plan.size)
            .field("part_size", &self.plan.part_size)
            .field("route", &self.route)
            .field("verification", &self.verification)
            .finish_non_exhaustive()
    }
}

impl ObjectReader {
    pub(crate) fn start<T: lakefs_transport::HttpTransport + 'static>(
        started: Started<T>,
        config: Arc<DownloadConfig>,
    ) -> Self {
        let Started {
            fetcher,
            plan,
            route,
        } = started;
        // A range of the object has nothing to be proven against: no hashing at all.
        let verify = config.verify && !plan.partial;
        let digest = plan.aligned && verify;
        let check = (verify && !plan.aligned).then(|| match plan.asserted_layout {
            Some(part_size) => SequentialCheck::with_layout(&plan.expected, plan.size, part_size),
            None => SequentialCheck::new(&plan.expected, plan.size, 1),
        });
        config.emit(&DownloadEvent::Started {
            object: fetcher.target.uri(),
            size: plan.size,
            part_size: plan.part_size,
            parts: plan.parts,
            route,
            resumed_bytes: 0,
        });
        let ranges = plan.clone();
        let slots = config.slots().cloned();
        let spawn = Arc::new(move |number: u32| {
            let fetcher = Arc::clone(&fetcher);
            let range = ranges.range(number);
            let slots = slots.clone();
            PartTask(tokio::spawn(async move {
                let _permit = match &slots {
                    Some(slots) => slots.acquire().await,
                    None => None,
                };
                let bytes = fetcher.fetch(number, range).await?;
                let md5 = if digest {
                    let hashed = bytes.clone();
                    Some(
                        tokio::task::spawn_blocking(move || crate::file::md5_of(&hashed))
                            .await
                            .map_err(|e| {
                                Error::new(ErrorKind::Io, "hashing a part failed").with_source(e)
                            })?,
                    )
                } else {
                    None
                };
                Ok((bytes, md5))
            }))
        });
        Self {
            plan,
            route,
            config,
            spawn,
            next_to_spawn: 1,
            window: VecDeque::new(),
            hashing: None,
            check,
            part_md5s: Vec::new(),
            verification: None,
            done: false,
        }
    }

    /// How many bytes the reader gives: the object's size, or the length of the
    /// [`range`](crate::ReadObject::range) asked for.
    #[must_use]
    pub fn size(&self) -> u64 {
        self.plan.size
    }

    /// How the bytes are read.
    #[must_use]
    pub fn route(&self) -> Route {
        self.route
    }

    /// What the check proved, once the stream has ended (`None` before);
    /// [`Verification::Skipped`] for a range of the object.
    #[must_use]
    pub fn verification(&self) -> Option<&Verification> {
        self.verification.as_ref()
    }

    /// The bytes as an [`AsyncRead`] (for `tokio::io::copy` to stdout, say). A checksum
    /// mismatch is an [`std::io::Error`] of kind `InvalidData` wrapping the [`Error`].
    pub fn into_async_read(self) -> ObjectAsyncRead {
        ObjectAsyncRead {
            reader: self,
            chunk: Bytes::new(),
        }
    }

    fn fill_window(&mut self) {
        while self.window.len() < self.config.parts_now() && self.next_to_spawn <= self.plan.parts {
            self.window.push_back((self.spawn)(self.next_to_spawn));
            self.next_to_spawn += 1;
        }
    }

    /// The end: the checksum decides between `None` (the end) and an error.
    fn conclude(&mut self) -> Option<Result<Bytes, Error>> {
        self.done = true;
        if !self.config.verify || self.plan.partial {
            self.verification = Some(Verification::Skipped);
            return None;
        }
        let result = if self.plan.aligned {
            if self.plan.size == 0 {
                SequentialCheck::new(&self.plan.expected, 0, 1).finish()
            } else {
                match verify::check_part_md5s(
                    &self.plan.expected,
                    self.plan.part_size,
                    self.plan.size,
                    &self.part_md5s,
                ) {
                    Some(verification) => Ok(verification),
                    None if self.plan.asserted_layout.is_some()
                        || matches!(self.plan.expected, Expected::Md5(_)) =>
                    {
                        Err(verify::Mismatch {
                            expected: self.plan.expected.display(),
                            actual: verify::etag_of_part_md5s(&self.part_md5s),
                        })
                    }
                    None => Ok(Verification::NotVerifiable {
                        reason: format!(
                            "the multipart ETag {} does not match {}-byte parts, and a stream cannot be read again to try other layouts",
                            self.plan.expected.display(),
                            self.plan.part_size
                        ),
                    }),
                }
            }
        } else {
            match self.check.take() {
                Some(check) => check.finish(),
                // Hashing a chunk failed (its task panicked, or the runtime is stopping).
                None => Ok(Verification::NotVerifiable {
                    reason: "hashing the bytes failed".to_owned(),
                }),
            }
        };
        match result {
            Ok(verification) => {
                self.config.emit(&DownloadEvent::Finished {
                    size: self.plan.size,
                    verification: verification.clone(),
                });
                self.verification = Some(verification);
                None
            }
            Err(mismatch) => Some(Err(Error::new(
                ErrorKind::ChecksumMismatch,
                format!(
                    "the bytes do not match the object's checksum (expected {}, the bytes give {})",
                    mismatch.expected, mismatch.actual
                ),
            ))),
        }
    }
}

impl Stream for ObjectReader {
    type Item = Result<Bytes, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        if this.done {
            return Poll::Ready(None);
        }
        // The previous chunk's hashing finishes before the next chunk is handed on.
        if let Some(hashing) = &mut this.hashing {
            this.check = ready!(hashing.poll_unpin(cx));
            this.hashing = None;
        }
        this.fill_window();
        let Some(front) = this.window.front_mut() else {
            return Poll::Ready(this.conclude());
        };
        let joined = ready!(front.0.poll_unpin(cx));
        this.window.pop_front();
        this.fill_window();
        let (bytes, md5) = match joined {
            Ok(Ok(part)) => part,
            Ok(Err(error)) => {
                this.done = true;
                this.window.clear();
                return Poll::Ready(Some(Err(error)));
            }
            Err(join) => {
                this.done = true;
                this.window.clear();
                return Poll::Ready(Some(Err(
                    Error::new(ErrorKind::Io, "a part's task failed").with_source(join)
                )));
            }
        };
        let number = this.next_to_spawn - u32::try_from(this.window.len()).unwrap_or(0) - 1;
        if let Some(md5) = md5 {
            this.part_md5s.push(md5);
        }
        if let Some(mut check) = this.check.take() {
            let chunk = bytes.clone();
            this.hashing = Some(
                async move {
                    tokio::task::spawn_blocking(move || {
                        check.update(&chunk);
                        check
                    })
                    .await
                    .ok()
                }
                .boxed(),
            );
        }
        this.config.emit(&DownloadEvent::PartFinished {
            part_number: number,
            bytes: bytes.len() as u64,
        });
        Poll::Ready(Some(Ok(bytes)))
    }
}

/// An [`ObjectReader`] as an [`AsyncRead`], from [`ObjectReader::into_async_read`].
#[derive(Debug)]
pub struct ObjectAsyncRead {
    reader: ObjectReader,
    chunk: Bytes,
}

impl ObjectAsyncRead {
    /// What the check proved, once every byte has been read.
    #[must_use]
    pub fn verification(&self) -> Option<&Verification> {
        self.reader.verification()
    }
}

impl AsyncRead for ObjectAsyncRead {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let this = &mut *self;
        while this.chunk.is_empty() {
            match ready!(Pin::new(&mut this.reader).poll_next(cx)) {
                Some(Ok(chunk)) => this.chunk = chunk,
                Some(Err(error)) => {
                    let kind = if error.kind() == ErrorKind::ChecksumMismatch {
                        std::io::ErrorKind::InvalidData
                    } else {
                        std::io::ErrorKind::Other
                    };
                    return Poll::Ready(Err(std::io::Error::new(kind, error)));
                }
                None => return Poll::Ready(Ok(())),
            }
        }
        let n = this.chunk.len().min(buf.remaining());
        buf.put_slice(&this.chunk.split_to(n));
        Poll::Ready(Ok(()))
    }
}
