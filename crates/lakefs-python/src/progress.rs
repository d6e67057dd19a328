//! Progress: the engines count into a [`Tally`] from their tasks; the calling thread reads it
//! between waits and calls the Python callback — never from a Rust thread, at most every
//! [`TICK`](crate::runtime::TICK) (when something changed), and once more at the end.

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use lakefs_download::DownloadEvent;
use lakefs_multipart::ProgressEvent;
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;

use crate::runtime::TICK;

/// `total` while it is unknown (a stream).
const UNKNOWN: u64 = u64::MAX;

/// What a transfer has done so far, counted by the engine's tasks.
#[derive(Debug)]
pub(crate) struct Tally {
    done: AtomicU64,
    total: AtomicU64,
    /// Parts stored (or, downloading, fetched) by this run.
    pub(crate) parts: AtomicU32,
    /// Parts a resumed upload kept from its checkpoint.
    pub(crate) kept_parts: AtomicU32,
    pub(crate) part_size: AtomicU64,
}

impl Default for Tally {
    fn default() -> Self {
        Self {
            done: AtomicU64::new(0),
            total: AtomicU64::new(UNKNOWN),
            parts: AtomicU32::new(0),
            kept_parts: AtomicU32::new(0),
            part_size: AtomicU64::new(0),
        }
    }
}

impl Tally {
    fn add(&self, bytes: u64) {
        self.done.fetch_add(bytes, Ordering::Relaxed);
    }

    /// Counts one upload event.
    pub(crate) fn upload_event(&self, event: &ProgressEvent) {
        match event {
            ProgressEvent::Started {
                total_bytes,
                part_size,
                ..
            } => {
                self.total
                    .store(total_bytes.unwrap_or(UNKNOWN), Ordering::Relaxed);
                self.part_size.store(*part_size, Ordering::Relaxed);
            }
            ProgressEvent::PartSkipped { size, .. } => {
                self.kept_parts.fetch_add(1, Ordering::Relaxed);
                self.add(*size);
            }
            ProgressEvent::PartFinished { size, .. } => {
                self.parts.fetch_add(1, Ordering::Relaxed);
                self.add(*size);
            }
            _ => {}
        }
    }

    /// Counts one download event.
    pub(crate) fn download_event(&self, event: &DownloadEvent) {
        match event {
            DownloadEvent::Started {
                size,
                part_size,
                resumed_bytes,
                ..
            } => {
                self.total.store(*size, Ordering::Relaxed);
                self.part_size.store(*part_size, Ordering::Relaxed);
                self.done.store(*resumed_bytes, Ordering::Relaxed);
            }
            DownloadEvent::PartFinished { bytes, .. } => {
                self.parts.fetch_add(1, Ordering::Relaxed);
                self.add(*bytes);
            }
            _ => {}
        }
    }

    fn now(&self) -> (u64, Option<u64>) {
        let total = self.total.load(Ordering::Relaxed);
        let done = self.done.load(Ordering::Relaxed);
        let total = (total != UNKNOWN).then_some(total);
        // Never more than the total: a part sent twice after a retry counts once.
        (total.map_or(done, |total| done.min(total)), total)
    }
}

/// Calls the Python callback `progress(bytes_done, total)` with the tally.
pub(crate) struct Reporter {
    tally: Arc<Tally>,
    callback: Option<Py<PyAny>>,
    last: Option<(u64, Option<u64>)>,
    last_at: Option<Instant>,
}

impl Reporter {
    /// A reporter for `callback` (`None`: count only). Anything but a callable is refused.
    pub(crate) fn new(callback: Option<Bound<'_, PyAny>>) -> PyResult<Self> {
        if let Some(callback) = &callback {
            if !callback.is_callable() {
                return Err(PyTypeError::new_err(format!(
                    "progress must be a callable(bytes_done, total), not {}",
                    callback.get_type().name()?
                )));
            }
        }
        Ok(Self {
            tally: Arc::new(Tally::default()),
            callback: callback.map(Bound::unbind),
            last: None,
            last_at: None,
        })
    }

    /// The tally the engine counts into.
    pub(crate) fn tally(&self) -> Arc<Tally> {
        Arc::clone(&self.tally)
    }

    /// Calls the callback if something changed and the last call is [`TICK`] old.
    pub(crate) fn report(&mut self, py: Python<'_>) -> PyResult<()> {
        if self.last_at.is_some_and(|at| at.elapsed() < TICK) {
            return Ok(());
        }
        let now = self.tally.now();
        if self.last == Some(now) {
            return Ok(());
        }
        self.call(py, now)
    }

    /// The last call: `size` bytes of `size` (a stream's total is known now).
    pub(crate) fn finish(&mut self, py: Python<'_>, size: u64) -> PyResult<()> {
        self.call(py, (size, Some(size)))
    }

    fn call(&mut self, py: Python<'_>, (done, total): (u64, Option<u64>)) -> PyResult<()> {
        self.last = Some((done, total));
        self.last_at = Some(Instant::now());
        match &self.callback {
            Some(callback) => callback.call1(py, (done, total)).map(drop),
            None => Ok(()),
        }
    }
}
