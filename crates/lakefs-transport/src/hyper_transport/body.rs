//! The request body hyper sends: the bytes in one frame, or — when the caller asked for
//! [`Progress`] — in slices of the same buffer (no copy), each counted as it is handed on.
//! And the response body hyper receives, counted frame by frame in a [`ReceiveProgress`]
//! when the caller asked for one.

use std::convert::Infallible;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::{Buf, Bytes};
use hyper::body::{Body, Frame, SizeHint};

use crate::{Progress, ReceiveProgress};

/// How much of a tracked body is handed to hyper at a time. hyper asks for the next slice
/// only when its write buffer has room, so the count follows the socket within a slice or
/// two.
const SLICE: usize = 256 * 1024;

/// A request body.
pub(crate) enum SendBody {
    /// The whole body in one frame.
    Whole(Option<Bytes>),
    /// The body in slices, each counted in `progress` as hyper takes it.
    Tracked { rest: Bytes, progress: Progress },
}

impl SendBody {
    pub(crate) fn new(body: Bytes, progress: Option<Progress>) -> Self {
        match progress {
            Some(progress) => Self::Tracked {
                rest: body,
                progress,
            },
            None => Self::Whole((!body.is_empty()).then_some(body)),
        }
    }
}

impl Body for SendBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        Poll::Ready(match self.get_mut() {
            Self::Whole(body) => body.take().map(|b| Ok(Frame::data(b))),
            Self::Tracked { rest, progress } => {
                if rest.is_empty() {
                    None
                } else {
                    let slice = rest.split_to(SLICE.min(rest.len()));
                    progress.add(slice.len() as u64);
                    Some(Ok(Frame::data(slice)))
                }
            }
        })
    }

    fn is_end_stream(&self) -> bool {
        match self {
            Self::Whole(body) => body.is_none(),
            Self::Tracked { rest, .. } => rest.is_empty(),
        }
    }

    fn size_hint(&self) -> SizeHint {
        let len = match self {
            Self::Whole(body) => body.as_ref().map_or(0, Bytes::len),
            Self::Tracked { rest, .. } => rest.len(),
        };
        SizeHint::with_exact(len as u64)
    }
}

/// A response body that counts each data frame in `progress` as it arrives, before handing
/// it on unchanged (no copy).
pub(crate) struct CountedBody<B> {
    inner: B,
    progress: ReceiveProgress,
}

impl<B> CountedBody<B> {
    pub(crate) fn new(inner: B, progress: ReceiveProgress) -> Self {
        Self { inner, progress }
    }
}

impl<B: Body + Unpin> Body for CountedBody<B> {
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<B::Data>, B::Error>>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.inner).poll_frame(cx);
        if let Poll::Ready(Some(Ok(frame))) = &polled {
            if let Some(data) = frame.data_ref() {
                this.progress.add(data.remaining() as u64);
            }
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}
