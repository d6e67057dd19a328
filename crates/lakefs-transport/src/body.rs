//! [`ResponseBody`]: a response body as it arrives, chunk by chunk, for
//! [`HttpTransport::send_streaming`](crate::HttpTransport::send_streaming).

use std::collections::VecDeque;
use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::{Bytes, BytesMut};

use crate::TransportError;

/// A source of response body chunks, for transports that implement
/// [`send_streaming`](crate::HttpTransport::send_streaming) themselves.
///
/// `Poll::Ready(None)` ends the body (every byte arrived); `Poll::Ready(Some(Err(_)))` says
/// it broke off (a [`Body`](crate::TransportErrorKind::Body) error, or a
/// [`Timeout`](crate::TransportErrorKind::Timeout) once the request may have been sent), and
/// nothing is polled after it.
pub trait BodyStream: Send {
    /// The next chunk, as [`Future::poll`](std::future::Future::poll) would give it.
    fn poll_chunk(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Bytes, TransportError>>>;
}

/// A response body that arrives in chunks: read it with [`next_chunk`](Self::next_chunk)
/// until `None` (all of it) or an error (it broke off).
///
/// Dropping it before the end abandons the rest of the body (and, with
/// [`HyperTransport`](crate::HyperTransport), the connection it came on).
///
/// ```
/// # tokio_test_block_on(async {
/// use lakefs_transport::{Bytes, ResponseBody};
///
/// let mut body = ResponseBody::from_chunks([Bytes::from("he"), Bytes::from("llo")]);
/// assert_eq!(body.next_chunk().await.unwrap().unwrap(), "he");
/// assert_eq!(body.collect_at_most(1024).await.unwrap(), "llo");
/// # });
/// # fn tokio_test_block_on<F: std::future::Future>(f: F) -> F::Output {
/// #     let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
/// #     let mut f = std::pin::pin!(f);
/// #     loop { if let std::task::Poll::Ready(v) = f.as_mut().poll(&mut cx) { return v; } }
/// # }
/// ```
pub struct ResponseBody {
    inner: Inner,
}

enum Inner {
    Chunks(VecDeque<Bytes>),
    Stream(Pin<Box<dyn BodyStream>>),
}

impl fmt::Debug for ResponseBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.inner {
            Inner::Chunks(chunks) => f
                .debug_struct("ResponseBody")
                .field("buffered", &chunks.iter().map(Bytes::len).sum::<usize>())
                .finish(),
            Inner::Stream(_) => f.debug_struct("ResponseBody").finish_non_exhaustive(),
        }
    }
}

impl ResponseBody {
    /// A body that has all arrived: `bytes` as one chunk (none when empty).
    #[must_use]
    pub fn full(bytes: Bytes) -> Self {
        Self::from_chunks([bytes])
    }

    /// A body that has all arrived, in these chunks (empty ones skipped).
    #[must_use]
    pub fn from_chunks(chunks: impl IntoIterator<Item = Bytes>) -> Self {
        Self {
            inner: Inner::Chunks(chunks.into_iter().filter(|c| !c.is_empty()).collect()),
        }
    }

    /// A body read from `stream` as it arrives.
    #[must_use]
    pub fn from_stream(stream: impl BodyStream + 'static) -> Self {
        Self {
            inner: Inner::Stream(Box::pin(stream)),
        }
    }

    /// Polls for the next chunk: `None` once the whole body has arrived.
    pub fn poll_chunk(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Bytes, TransportError>>> {
        match &mut self.inner {
            Inner::Chunks(chunks) => Poll::Ready(chunks.pop_front().map(Ok)),
            Inner::Stream(stream) => stream.as_mut().poll_chunk(cx),
        }
    }

    /// The next chunk of the body (never empty): `None` once the whole body has arrived,
    /// `Some(Err(_))` if it broke off.
    pub async fn next_chunk(&mut self) -> Option<Result<Bytes, TransportError>> {
        std::future::poll_fn(|cx| self.poll_chunk(cx)).await
    }

    /// The first `limit` bytes of the body (all of it when shorter); the rest is left
    /// unread. For an error answer's text, whose length the caller does not control.
    ///
    /// # Errors
    /// The body broke off before `limit` bytes or its end.
    pub async fn collect_at_most(mut self, limit: usize) -> Result<Bytes, TransportError> {
        let mut first: Option<Bytes> = None;
        let mut joined: Option<BytesMut> = None;
        let mut len = 0;
        while len < limit {
            let Some(chunk) = self.next_chunk().await else {
                break;
            };
            let mut chunk = chunk?;
            chunk.truncate(limit - len);
            len += chunk.len();
            if let Some(buffer) = joined.as_mut() {
                buffer.extend_from_slice(&chunk);
            } else if let Some(earlier) = first.take() {
                let mut buffer = BytesMut::with_capacity(earlier.len() + chunk.len());
                buffer.extend_from_slice(&earlier);
                buffer.extend_from_slice(&chunk);
                joined = Some(buffer);
            } else {
                first = Some(chunk);
            }
        }
        Ok(joined.map(BytesMut::freeze).or(first).unwrap_or_default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block_on<F: std::future::Future>(f: F) -> F::Output {
        let waker = std::task::Waker::noop();
        let mut cx = Context::from_waker(waker);
        let mut f = std::pin::pin!(f);
        loop {
            if let Poll::Ready(v) = f.as_mut().poll(&mut cx) {
                return v;
            }
        }
    }

    #[test]
    fn collect_at_most_keeps_a_prefix() {
        let body = ResponseBody::from_chunks(["abc", "", "def", "gh"].map(Bytes::from));
        assert_eq!(
            block_on(body.collect_at_most(5)).ok(),
            Some(Bytes::from("abcde"))
        );
        let body = ResponseBody::full(Bytes::from_static(b"abc"));
        assert_eq!(
            block_on(body.collect_at_most(10)).ok(),
            Some(Bytes::from("abc"))
        );
        let mut empty = ResponseBody::full(Bytes::new());
        assert!(block_on(empty.next_chunk()).is_none());
    }
}
