//! Files under way at once that follow the part slots' limit: a directory transfer with
//! `-c auto` starts more files as the controller allows more parts, and fewer when it sheds —
//! so many small files (one part each) get the same adaptive concurrency as one big file.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_util::stream::{FuturesUnordered, Stream, StreamExt};
use lakefs_multipart::PartSlots;

/// Runs the futures of `jobs`, at most `slots.limit()` at once (read each time one ends), and
/// yields their outputs as they end — `buffer_unordered` with a limit that moves.
pub(crate) fn admit<I>(jobs: I, slots: PartSlots) -> Admit<I>
where
    I: Iterator,
    I::Item: Future,
{
    Admit {
        jobs,
        slots,
        running: FuturesUnordered::new(),
    }
}

/// The stream [`admit`] returns.
pub(crate) struct Admit<I: Iterator>
where
    I::Item: Future,
{
    jobs: I,
    slots: PartSlots,
    running: FuturesUnordered<I::Item>,
}

impl<I> Stream for Admit<I>
where
    I: Iterator + Unpin,
    I::Item: Future,
{
    type Item = <I::Item as Future>::Output;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        while this.running.len() < this.slots.limit().max(1) {
            match this.jobs.next() {
                Some(job) => this.running.push(job),
                None => break,
            }
        }
        // `None` from the set when it is empty and no job is left: the end.
        this.running.poll_next_unpin(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    #[tokio::test]
    async fn never_more_than_the_limit_and_every_job_runs() {
        let slots = PartSlots::new(3);
        let (now, most) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let jobs = (0..20).map(|n| {
            let (now, most) = (Arc::clone(&now), Arc::clone(&most));
            async move {
                let running = now.fetch_add(1, Ordering::SeqCst) + 1;
                most.fetch_max(running, Ordering::SeqCst);
                tokio::task::yield_now().await;
                now.fetch_sub(1, Ordering::SeqCst);
                n
            }
        });
        let mut outputs: Vec<i32> = admit(jobs, slots).collect().await;
        outputs.sort_unstable();
        assert_eq!(outputs, (0..20).collect::<Vec<_>>());
        assert_eq!(most.load(Ordering::SeqCst), 3);
    }
}
