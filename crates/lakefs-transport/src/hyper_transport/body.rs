//! The request body hyper sends: the bytes in one frame, or — when the caller asked for
//! [`Progress`] — in slices of the same buffer (no copy), each counted as it is handed on,
//! 256 KiB at first and larger while the socket takes them fast.
//! And the response body hyper receives, counted frame by frame in a [`ReceiveProgress`]
//! when the caller asked for one.

use std::convert::Infallible;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::{Buf, Bytes};
use hyper::body::{Body, Frame, SizeHint};

use crate::{Progress, ReceiveProgress};

/// How much of a tracked body is handed to hyper at first. hyper asks for the next slice
/// only when its write buffer has room, so the count follows the socket within a slice or
/// two.
const SLICE: usize = 256 * 1024;

/// The largest slice: slices double while the socket takes them within [`FAST`], up to this.
const MAX_SLICE: usize = 2 * 1024 * 1024;

/// A slice taken within this of the one before drained fast: the next may be twice as large
/// (at most [`MAX_SLICE`] a `FAST` apart is 200 MB/s and up). Slower, the slices go back to
/// [`SLICE`]. The count then moves at least every few milliseconds on a fast link and every
/// 256 KiB on a slow one, as with fixed slices: a stall is told as soon, while a fast socket
/// gets writes of 2 MiB rather than 512 KiB (on loopback and to s3s-fs, 256 KiB slices cost
/// the PUT a few percent against a bare loop's single frame).
const FAST: Duration = Duration::from_millis(10);

/// A request body.
pub(crate) enum SendBody {
    /// The whole body in one frame.
    Whole(Option<Bytes>),
    /// The body in slices, each counted in `progress` as hyper takes it.
    Tracked(Box<Tracked>),
}

/// A body handed on in slices: what is left, the count, the next slice's size and when
/// hyper took the last one.
pub(crate) struct Tracked {
    rest: Bytes,
    progress: Progress,
    slice: usize,
    taken: Option<Instant>,
}

impl Tracked {
    /// The next slice, counted; its size from how fast the last one was taken.
    fn next_slice(&mut self) -> Bytes {
        let now = Instant::now();
        if let Some(taken) = self.taken {
            self.slice = if now.duration_since(taken) < FAST {
                (self.slice * 2).min(MAX_SLICE)
            } else {
                SLICE
            };
        }
        self.taken = Some(now);
        let slice = self.rest.split_to(self.slice.min(self.rest.len()));
        self.progress.add(slice.len() as u64);
        slice
    }
}

impl SendBody {
    pub(crate) fn new(body: Bytes, progress: Option<Progress>) -> Self {
        match progress {
            Some(progress) => Self::Tracked(Box::new(Tracked {
                rest: body,
                progress,
                slice: SLICE,
                taken: None,
            })),
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
            Self::Tracked(tracked) => {
                (!tracked.rest.is_empty()).then(|| Ok(Frame::data(tracked.next_slice())))
            }
        })
    }

    fn is_end_stream(&self) -> bool {
        match self {
            Self::Whole(body) => body.is_none(),
            Self::Tracked(tracked) => tracked.rest.is_empty(),
        }
    }

    fn size_hint(&self) -> SizeHint {
        let len = match self {
            Self::Whole(body) => body.as_ref().map_or(0, Bytes::len),
            Self::Tracked(tracked) => tracked.rest.len(),
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

#[cfg(test)]
mod tests {
    use super::*;

    fn next(body: &mut SendBody) -> Option<usize> {
        let mut cx = Context::from_waker(std::task::Waker::noop());
        match Pin::new(body).poll_frame(&mut cx) {
            Poll::Ready(Some(Ok(frame))) => frame.into_data().ok().map(|d| d.len()),
            _ => None,
        }
    }

    #[test]
    fn slices_grow_while_taken_fast_and_shrink_when_slow_every_byte_counted() {
        // Taken back to back: 256 KiB, then doubling up to 2 MiB (tried a few times, in case
        // the test thread is descheduled for 10 ms on a loaded machine).
        let grows = (0..5).any(|_| {
            let mut body = SendBody::new(Bytes::from(vec![0u8; 8 << 20]), Some(Progress::new()));
            let sizes: Vec<usize> = (0..5).filter_map(|_| next(&mut body)).collect();
            sizes == [256 << 10, 512 << 10, 1 << 20, 2 << 20, 2 << 20]
        });
        assert!(grows);
        // Taken after a while: the socket is slow, back to 256 KiB; every byte counted once.
        let progress = Progress::new();
        let mut body = SendBody::new(Bytes::from(vec![0u8; 8 << 20]), Some(progress.clone()));
        let mut total = 0;
        while let Some(len) = next(&mut body) {
            assert!(len <= MAX_SLICE);
            total += len;
            std::thread::sleep(FAST * 2);
            if !body.is_end_stream() {
                assert_eq!(next(&mut body), Some(SLICE));
                total += SLICE;
            }
        }
        assert!(body.is_end_stream());
        assert_eq!((total, progress.bytes()), (8 << 20, 8 << 20));
    }
}
