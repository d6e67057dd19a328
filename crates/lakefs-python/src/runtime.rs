//! The tokio runtime, and how a Python call waits for a transfer: with the GIL released, in
//! slices of [`TICK`], checking signals (Ctrl-C) and reporting progress on the calling thread
//! between slices.
//!
//! One multi-thread runtime per process, made on first use. Fork safety: a forked child
//! inherits the parent's runtime without its worker threads, so the runtime is remembered
//! with the id of the process that made it, and a process with another id makes its own
//! (the inherited one is leaked, never dropped: dropping it would wait for threads that do
//! not exist in the child). Clients do the same with their connection pools
//! ([`Client`](crate::client::Client)). Fork while no call is running: a fork in the middle of
//! a call (from another thread) copies locks in whatever state they were.

use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use bytes::Bytes;
use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use tokio::runtime::Runtime;
use tokio::sync::{mpsc, watch};

use crate::progress::Reporter;
use crate::source::Feeder;

/// How long a waiting call leaves Python alone: signals are checked, and progress reported,
/// at least this often.
pub(crate) const TICK: Duration = Duration::from_millis(100);

/// The process's runtime and the id of the process that made it.
static RUNTIME: Mutex<Option<(u32, Arc<Runtime>)>> = Mutex::new(None);

/// The runtime of this process, made on first use (again after a fork).
pub(crate) fn runtime() -> PyResult<Arc<Runtime>> {
    let pid = std::process::id();
    let mut slot = RUNTIME.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some((owner, runtime)) = slot.as_ref() {
        if *owner == pid {
            return Ok(Arc::clone(runtime));
        }
    }
    if let Some((_, inherited)) = slot.take() {
        // Its worker threads stayed in the parent: dropping it here would wait for them.
        std::mem::forget(inherited);
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("lakefs-transfer")
        .build()
        .map(Arc::new)
        .map_err(|error| {
            PyRuntimeError::new_err(format!("cannot start the tokio runtime: {error}"))
        })?;
    *slot = Some((pid, Arc::clone(&runtime)));
    Ok(runtime)
}

/// Stops a transfer: the engines' `cancel_on` futures wait on it.
struct Cancel(watch::Sender<bool>);

impl Cancel {
    fn new() -> Self {
        Self(watch::Sender::new(false))
    }

    /// A future that completes once [`trigger`](Self::trigger) is called (never otherwise).
    fn signal(&self) -> Signal {
        let mut cancelled = self.0.subscribe();
        Box::pin(async move {
            if cancelled.wait_for(|cancelled| *cancelled).await.is_err() {
                std::future::pending::<()>().await;
            }
        })
    }

    fn trigger(&self) {
        self.0.send_replace(true);
    }
}

/// What a transfer waits on to give up: pass it to the engine's `cancel_on`.
pub(crate) type Signal = std::pin::Pin<Box<dyn Future<Output = ()> + Send + 'static>>;

/// A transfer's output, and the Python exception that stopped it early, if one did: a
/// `KeyboardInterrupt`, or what the source or the progress callback raised. The output is
/// then the engine's answer to the cancellation (which says what became of the upload).
pub(crate) struct Waited<T> {
    pub(crate) output: T,
    pub(crate) interrupted: Option<PyErr>,
}

/// What woke the waiting thread.
enum Event<T> {
    Done(Result<T, tokio::task::JoinError>),
    /// Room for one more chunk of a streamed source (`None`: the engine stopped reading).
    Feed(Option<mpsc::OwnedPermit<std::io::Result<Bytes>>>),
    Tick,
}

/// Runs `work` (given the signal that cancels it) on the runtime and waits for it with the
/// GIL released. Between waits, on this thread: feeds `feeder`'s chunks, reports progress,
/// checks signals. A `KeyboardInterrupt` (or an exception from the source or the callback)
/// triggers the signal, and the transfer is still waited for, so that it stops cleanly —
/// aborted, or left resumable.
pub(crate) fn run<T, F>(
    py: Python<'_>,
    work: impl FnOnce(Signal) -> F,
    mut feeder: Option<&mut Feeder>,
    mut reporter: Option<&mut Reporter>,
) -> PyResult<Waited<T>>
where
    F: Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    let runtime = runtime()?;
    let cancel = Cancel::new();
    let mut task = runtime.spawn(work(cancel.signal()));
    let mut interrupted: Option<PyErr> = None;
    loop {
        let sender = match (&interrupted, feeder.as_deref()) {
            (None, Some(feeder)) => feeder.sender(),
            _ => None,
        };
        let event = py.detach(|| {
            runtime.block_on(async {
                let room = async {
                    match sender {
                        Some(sender) => sender.reserve_owned().await.ok(),
                        None => std::future::pending().await,
                    }
                };
                tokio::select! {
                    biased;
                    output = &mut task => Event::Done(output),
                    permit = room => Event::Feed(permit),
                    () = tokio::time::sleep(TICK) => Event::Tick,
                }
            })
        });
        let step = match event {
            Event::Done(Ok(output)) => {
                return Ok(Waited {
                    output,
                    interrupted,
                })
            }
            Event::Done(Err(error)) => {
                return Err(PyRuntimeError::new_err(format!(
                    "the transfer task failed: {error}"
                )))
            }
            Event::Feed(permit) => match feeder.as_deref_mut() {
                Some(feeder) => feeder.fill(py, permit),
                None => Ok(()),
            },
            Event::Tick => Ok(()),
        };
        if interrupted.is_some() {
            continue;
        }
        let checked = step
            .and_then(|()| py.check_signals())
            .and_then(|()| reporter.as_deref_mut().map_or(Ok(()), |r| r.report(py)));
        if let Err(error) = checked {
            interrupted = Some(error);
            cancel.trigger();
        }
    }
}

/// Runs `work`, which has no cancellation hook of its own, to its end: Ctrl-C drops it and
/// raises `KeyboardInterrupt` with `note` (saying what may be left behind).
pub(crate) fn wait<T: Send + 'static>(
    py: Python<'_>,
    work: impl Future<Output = T> + Send + 'static,
    note: &str,
) -> PyResult<T> {
    let Waited {
        output,
        interrupted,
    } = run(
        py,
        |cancel| async move {
            tokio::select! {
                output = work => Some(output),
                () = cancel => None,
            }
        },
        None,
        None,
    )?;
    match (output, interrupted) {
        (Some(output), None) => Ok(output),
        (_, Some(error)) if error.is_instance_of::<pyo3::exceptions::PyKeyboardInterrupt>(py) => {
            Err(crate::errors::interrupted(note.to_owned()))
        }
        (_, Some(error)) => Err(error),
        (None, None) => Err(crate::errors::interrupted(note.to_owned())),
    }
}
