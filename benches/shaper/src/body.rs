//! Bodies: the shaping wrapper, and the bodies the server answers with.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::task::{ready, Context, Poll};

use bytes::Bytes;
use hyper::body::{Body, Frame, Incoming, SizeHint};
use tokio::time::{Instant, Sleep};

use crate::bucket::Limits;
use crate::CHUNK;

/// The period of the synthetic content: byte `i` of every synthetic object is `i % 251`.
const PERIOD: usize = 251;

/// Frames of synthetic content are this long at most (shaping splits them further).
const SYNTHETIC_FRAME: usize = 256 * 1024;

/// Byte `offset` of every synthetic object the sink serves (and of the self-check's uploads).
pub fn pattern_byte(offset: u64) -> u8 {
    (offset % PERIOD as u64) as u8
}

/// One buffer of the pattern, sliced (without copying) into every synthetic frame.
fn pattern() -> &'static Bytes {
    static PATTERN: OnceLock<Bytes> = OnceLock::new();
    PATTERN.get_or_init(|| {
        (0..SYNTHETIC_FRAME + PERIOD)
            .map(|i| pattern_byte(i as u64))
            .collect()
    })
}

/// The bodies this crate sends: nothing, a small buffer, synthetic bytes, or an upstream's
/// answer (or a client's request) as it streams.
#[derive(Debug)]
pub enum AnyBody {
    /// No bytes.
    Empty,
    /// One buffer (an error document).
    Full(Option<Bytes>),
    /// Bytes `[pos, end)` of the synthetic pattern ([`pattern_byte`]).
    Synthetic {
        /// The next byte's offset.
        pos: u64,
        /// One past the last byte's offset.
        end: u64,
    },
    /// A body hyper received.
    Incoming(Incoming),
}

impl AnyBody {
    /// Bytes `[start, end)` of the synthetic pattern.
    pub fn synthetic(start: u64, end: u64) -> Self {
        AnyBody::Synthetic {
            pos: start,
            end: end.max(start),
        }
    }
}

impl Body for AnyBody {
    type Data = Bytes;
    type Error = hyper::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, hyper::Error>>> {
        match self.get_mut() {
            AnyBody::Empty => Poll::Ready(None),
            AnyBody::Full(bytes) => Poll::Ready(bytes.take().map(|b| Ok(Frame::data(b)))),
            AnyBody::Synthetic { pos, end } => {
                if *pos >= *end {
                    return Poll::Ready(None);
                }
                let len = (*end - *pos).min(SYNTHETIC_FRAME as u64) as usize;
                let offset = (*pos % PERIOD as u64) as usize;
                *pos += len as u64;
                Poll::Ready(Some(Ok(Frame::data(pattern().slice(offset..offset + len)))))
            }
            AnyBody::Incoming(body) => Pin::new(body).poll_frame(cx),
        }
    }

    fn is_end_stream(&self) -> bool {
        match self {
            AnyBody::Empty => true,
            AnyBody::Full(bytes) => bytes.is_none(),
            AnyBody::Synthetic { pos, end } => pos >= end,
            AnyBody::Incoming(body) => body.is_end_stream(),
        }
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            AnyBody::Empty => SizeHint::with_exact(0),
            AnyBody::Full(bytes) => {
                SizeHint::with_exact(bytes.as_ref().map_or(0, |b| b.len() as u64))
            }
            AnyBody::Synthetic { pos, end } => SizeHint::with_exact(end.saturating_sub(*pos)),
            AnyBody::Incoming(body) => body.size_hint(),
        }
    }
}

impl From<Infallible> for AnyBody {
    fn from(never: Infallible) -> Self {
        match never {}
    }
}

/// A body whose data frames pass through token buckets: each frame is split into chunks of at
/// most [`CHUNK`] bytes, and each chunk is held back until both buckets have its tokens. The
/// inner body is not polled meanwhile, so a request body's sender is slowed by TCP backpressure
/// and a response's receiver gets the bytes no faster than the limits allow.
#[derive(Debug)]
pub struct Shaped<B> {
    inner: B,
    limits: Limits,
    /// What is left of the frame being split.
    pending: Bytes,
    /// A chunk waiting for its tokens.
    ready: Option<Bytes>,
    sleep: Pin<Box<Sleep>>,
    /// Bytes passed, counted as they pass.
    counter: Arc<AtomicU64>,
}

impl<B> Shaped<B> {
    /// Shapes `inner` by `limits`, adding the bytes that pass to `counter`.
    pub fn new(inner: B, limits: Limits, counter: Arc<AtomicU64>) -> Self {
        Shaped {
            inner,
            limits,
            pending: Bytes::new(),
            ready: None,
            sleep: Box::pin(tokio::time::sleep_until(Instant::now())),
            counter,
        }
    }

    fn pass(&self, chunk: Bytes) -> Poll<Option<Result<Frame<Bytes>, <B as Body>::Error>>>
    where
        B: Body,
    {
        self.counter
            .fetch_add(chunk.len() as u64, Ordering::Relaxed);
        Poll::Ready(Some(Ok(Frame::data(chunk))))
    }
}

impl<B> Body for Shaped<B>
where
    B: Body<Data = Bytes> + Unpin,
{
    type Data = Bytes;
    type Error = B::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, B::Error>>> {
        let this = self.get_mut();
        loop {
            if this.ready.is_some() {
                ready!(this.sleep.as_mut().poll(cx));
                if let Some(chunk) = this.ready.take() {
                    return this.pass(chunk);
                }
            }
            if this.pending.is_empty() {
                match ready!(Pin::new(&mut this.inner).poll_frame(cx)) {
                    Some(Ok(frame)) => match frame.into_data() {
                        Ok(data) if this.limits.is_unlimited() => return this.pass(data),
                        Ok(data) => this.pending = data,
                        Err(frame) => return Poll::Ready(Some(Ok(frame))),
                    },
                    other => return Poll::Ready(other),
                }
                continue;
            }
            let chunk = this.pending.split_to(this.pending.len().min(CHUNK));
            let at = this.limits.reserve(chunk.len());
            if at <= Instant::now() {
                return this.pass(chunk);
            }
            this.sleep.as_mut().reset(at);
            this.ready = Some(chunk);
        }
    }

    fn is_end_stream(&self) -> bool {
        self.pending.is_empty() && self.ready.is_none() && self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        let held = (self.pending.len() + self.ready.as_ref().map_or(0, Bytes::len)) as u64;
        let inner = self.inner.size_hint();
        let mut hint = SizeHint::new();
        hint.set_lower(inner.lower() + held);
        if let Some(upper) = inner.upper() {
            hint.set_upper(upper + held);
        }
        hint
    }
}

/// Reads `body` to its end, discarding the bytes; answers how many there were.
pub async fn drain<B>(mut body: B) -> Result<u64, B::Error>
where
    B: Body<Data = Bytes> + Unpin,
{
    use http_body_util::BodyExt;
    let mut total = 0;
    while let Some(frame) = body.frame().await {
        if let Ok(data) = frame?.into_data() {
            total += data.len() as u64;
        }
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bucket::TokenBucket;
    use http_body_util::BodyExt;

    const MIB: u64 = 1 << 20;

    #[tokio::test]
    async fn synthetic_bytes_follow_the_pattern_at_any_offset() {
        let body = AnyBody::synthetic(1000, 1000 + 600_000);
        let bytes = body.collect().await.unwrap().to_bytes();
        assert_eq!(bytes.len(), 600_000);
        for (i, b) in bytes.iter().enumerate() {
            assert_eq!(*b, pattern_byte(1000 + i as u64), "byte {i}");
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_shaped_body_splits_frames_and_passes_at_the_rate() {
        let counter = Arc::new(AtomicU64::new(0));
        let limits = Limits {
            connection: Some(Arc::new(TokenBucket::new(4 * MIB))),
            link: None,
        };
        let mut body = Shaped::new(AnyBody::synthetic(0, 8 * MIB), limits, counter.clone());
        let start = Instant::now();
        let mut frames = 0;
        let mut total = 0;
        while let Some(frame) = body.frame().await {
            let data = frame.unwrap().into_data().unwrap();
            assert!(data.len() <= CHUNK);
            assert_eq!(data[0], pattern_byte(total));
            total += data.len() as u64;
            frames += 1;
        }
        assert_eq!(total, 8 * MIB);
        assert_eq!(frames, 8 * MIB as usize / CHUNK);
        assert_eq!(counter.load(Ordering::Relaxed), 8 * MIB);
        let expected = (8 * MIB - crate::bucket::MIN_BURST) as f64 / (4 * MIB) as f64;
        let took = start.elapsed().as_secs_f64();
        assert!(
            (took - expected).abs() < 0.001,
            "took {took} s, expected {expected} s"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn an_unshaped_body_passes_frames_whole_and_at_once() {
        let counter = Arc::new(AtomicU64::new(0));
        let body = Shaped::new(
            AnyBody::synthetic(0, MIB),
            Limits::default(),
            counter.clone(),
        );
        let start = Instant::now();
        assert_eq!(drain(body).await.unwrap(), MIB);
        assert_eq!(start.elapsed(), std::time::Duration::ZERO);
        assert_eq!(counter.load(Ordering::Relaxed), MIB);
    }
}
