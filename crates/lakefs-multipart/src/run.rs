//! Sending the parts: at most `concurrency` in flight, each read a little ahead of its slot
//! (one part's PUT, retried and refreshed, is in `put`).

use std::collections::{BTreeMap, VecDeque};
use std::future::Future;
use std::pin::Pin;

use bytes::{Bytes, BytesMut};
use futures_util::stream::{FuturesUnordered, StreamExt};
use lakefs_client::concurrency::{PartSlots, SlotPermit};
use lakefs_transport::HttpTransport;

use crate::checkpoint::CheckpointWriter;
use crate::error::UploadFailure;
use crate::parts::StoredPart;
use crate::source::PartReader;
use crate::urls::PartUrls;
use crate::{PartSchedule, ProgressEvent, UploadConfig};

/// A part being read: gives back the reader, the part number and the part's bytes.
type ReadFuture =
    Pin<Box<dyn Future<Output = (PartReader, u32, Result<Option<Bytes>, UploadFailure>)> + Send>>;

/// Which parts to send.
pub(crate) struct Selection<'a> {
    /// The first part number to consider.
    pub(crate) first: u32,
    /// The last part number to consider (inclusive); the schedule's end when `None`.
    pub(crate) last: Option<u32>,
    /// Parts already stored (resuming): not read, not sent.
    pub(crate) done: &'a BTreeMap<u32, StoredPart>,
}

/// One upload's parts in flight.
pub(crate) struct PartRun<'a, T, D> {
    pub(crate) config: &'a UploadConfig,
    /// Where part PUTs go (the client's transport unless the uploader has its own).
    pub(crate) transport: &'a D,
    pub(crate) urls: &'a PartUrls<T>,
    pub(crate) schedule: PartSchedule,
    /// Whether to compute each part's MD5 (for a checkpoint, which a resume proves the source
    /// against), besides the MD5 check's.
    pub(crate) digest: bool,
}

impl<T: HttpTransport, D: HttpTransport> PartRun<'_, T, D> {
    /// Reads and PUTs the selected parts, at most `concurrency` in flight; the parts sent, in
    /// part-number order. Each stored part is recorded in `checkpoint` at once.
    pub(crate) async fn send(
        &self,
        reader: PartReader,
        selection: Selection<'_>,
        mut checkpoint: Option<&mut CheckpointWriter>,
    ) -> Result<Vec<StoredPart>, UploadFailure> {
        let concurrency = self.config.concurrency();
        let mut flight = Flight::new(self, reader, &selection);
        // The PUTs in flight, and part URLs being signed while their parts are read.
        let mut in_flight = FuturesUnordered::new();
        let mut signing = FuturesUnordered::new();
        loop {
            flight.skip_done(self, &selection);
            // Parts read ahead go out as slots free.
            while in_flight.len() < concurrency {
                let Some((part_number, bytes, held)) = flight.ready.pop_front() else {
                    break;
                };
                let put = self.put_part(part_number, bytes);
                in_flight.push(async move {
                    let stored = put.await;
                    drop(held);
                    stored
                });
            }
            let room = flight.wants_part(in_flight.len());
            if room {
                flight.try_take_shared_slot();
            }
            if room && flight.has_slot() {
                if let Some(claim) = flight.start_read(self) {
                    signing.push(self.urls.sign_claimed(claim));
                }
            }
            if flight.is_over(in_flight.is_empty(), room) {
                break;
            }
            let waiting_for_slot = room && !flight.has_slot() && flight.reading.is_none();
            let shared = flight.shared.clone();
            let acquire = async {
                match (shared, waiting_for_slot) {
                    (Some(shared), true) => shared.acquire().await,
                    _ => std::future::pending().await,
                }
            };
            let written = async {
                match checkpoint.as_deref_mut() {
                    Some(writer) => writer.next_write().await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                biased;
                // First, so that a steady stream of finished parts cannot starve the
                // checkpoint.
                () = written => {}
                Some(result) = in_flight.next(), if !in_flight.is_empty() => {
                    let (part, bytes): (StoredPart, Bytes) = result?;
                    if let Some(writer) = checkpoint.as_deref_mut() {
                        writer.record(&part);
                    }
                    flight.finished(self, part, bytes);
                }
                (part_reader, part_number, read) = next_read(&mut flight.reading), if flight.reading.is_some() => {
                    flight.read_done(part_reader, part_number, read?);
                }
                Some(permit) = acquire => flight.slot = Some(permit),
                Some(()) = signing.next(), if !signing.is_empty() => {}
            }
        }
        let mut sent = flight.sent;
        sent.sort_unstable_by_key(|part| part.part_number);
        Ok(sent)
    }
}

/// The bookkeeping of one run of parts: where reading stands, the parts read and waiting for
/// a slot, the buffers to fill again, the slot shared with other uploads, what was sent.
///
/// Invariants, kept by [`PartRun::send`] between two turns of its loop:
/// * at most one read is in progress (`reading`), and the reader is held by it or by `reader`,
///   never both;
/// * every part from `first` to `next_part - 1` is done (skipped), in `ready`, in flight, or
///   in `sent` — exactly one of them;
/// * a part holds its room from its read until it is stored, so parts read or in flight never
///   exceed `concurrency + read_ahead` (the bound on part memory), and `spare` never holds
///   more buffers than that;
/// * with shared slots, a read starts only with a slot in `slot`, which then travels with the
///   part (in `ready`, then into the PUT's future) until the part is stored;
/// * once `source_ended` (an unknown-length source gave no more bytes), no read starts.
struct Flight {
    /// Parts read ahead of a free slot, so that the next part is ready when a slot frees
    /// ([`PartReader::read_ahead`]).
    read_ahead: usize,
    concurrency: usize,
    /// The last part number to send.
    last: u32,
    reader: Option<PartReader>,
    reading: Option<ReadFuture>,
    next_part: u32,
    source_ended: bool,
    /// Parts read, waiting for a slot, each with its shared slot if any.
    ready: VecDeque<(u32, Bytes, Option<SlotPermit>)>,
    /// Buffers of finished parts, filled again by the next reads: a reading source allocates
    /// at most `concurrency + read_ahead` part buffers for the whole upload.
    spare: Vec<BytesMut>,
    /// Slots shared with other uploads, if any, and the one held for the next read.
    shared: Option<PartSlots>,
    slot: Option<SlotPermit>,
    sent: Vec<StoredPart>,
    bytes_done: u64,
}

impl Flight {
    fn new<T, D>(run: &PartRun<'_, T, D>, reader: PartReader, selection: &Selection<'_>) -> Self {
        let concurrency = run.config.concurrency();
        let read_ahead = reader.read_ahead(concurrency);
        Self {
            read_ahead,
            concurrency,
            last: selection
                .last
                .unwrap_or(run.schedule.max_parts())
                .min(run.schedule.max_parts()),
            reader: Some(reader),
            reading: None,
            next_part: selection.first.max(1),
            source_ended: false,
            ready: VecDeque::new(),
            spare: Vec::with_capacity(concurrency + read_ahead),
            shared: run.config.slots().cloned(),
            slot: None,
            sent: Vec::new(),
            bytes_done: 0,
        }
    }

    /// Moves past the parts already stored (resuming), announcing each.
    fn skip_done<T, D>(&mut self, run: &PartRun<'_, T, D>, selection: &Selection<'_>) {
        while self.next_part <= self.last && selection.done.contains_key(&self.next_part) {
            let size = run.schedule.part_size(self.next_part);
            self.bytes_done += size;
            run.config.emit(ProgressEvent::PartSkipped {
                part_number: self.next_part,
                size,
            });
            self.next_part += 1;
        }
    }

    /// Whether there is room to read another part, `in_flight` parts being sent.
    fn wants_part(&self, in_flight: usize) -> bool {
        self.reading.is_none()
            && !self.source_ended
            && self.next_part <= self.last
            && in_flight + self.ready.len() < self.concurrency + self.read_ahead
    }

    /// Takes a shared slot for the next read if one is free now.
    fn try_take_shared_slot(&mut self) {
        if self.slot.is_none() {
            if let Some(shared) = &self.shared {
                self.slot = shared.try_acquire();
            }
        }
    }

    /// Whether a read may start as far as shared slots go.
    fn has_slot(&self) -> bool {
        self.shared.is_none() || self.slot.is_some()
    }

    /// Starts reading the next part; the claim on its URL's signing, when the read is worth
    /// signing beside (a source read in order).
    fn start_read<'u, T: HttpTransport, D>(
        &mut self,
        run: &PartRun<'u, T, D>,
    ) -> Option<crate::urls::Release<'u>> {
        let part_reader = self.reader.take()?;
        let part_number = self.next_part;
        let range = run.schedule.range(part_number);
        let is_last = run.schedule.is_last(part_number);
        let buffer = self.spare.pop();
        self.reading = Some(Box::pin(async move {
            let (part_reader, bytes) = part_reader.read(part_number, range, is_last, buffer).await;
            (part_reader, part_number, bytes)
        }));
        // A read takes a while: sign the part's URL meanwhile.
        (self.read_ahead > 0)
            .then(|| run.urls.claim(part_number))
            .flatten()
    }

    /// Whether the run is over: nothing read, in flight or waiting, and no part to start.
    fn is_over(&self, nothing_in_flight: bool, room: bool) -> bool {
        self.reading.is_none()
            && nothing_in_flight
            && self.ready.is_empty()
            && (self.has_slot() || !room)
    }

    /// A part is stored: its buffer is kept for the next read, progress announced.
    fn finished<T, D>(&mut self, run: &PartRun<'_, T, D>, part: StoredPart, bytes: Bytes) {
        let size = part.size;
        self.bytes_done += size;
        // Unique once the transport is done with it (never for a slice of a `Bytes` source,
        // which shares its buffer).
        if let Ok(buffer) = bytes.try_into_mut() {
            self.spare.push(buffer);
        }
        run.config.emit(ProgressEvent::PartFinished {
            part_number: part.part_number,
            size,
            bytes_done: self.bytes_done,
        });
        self.sent.push(part);
    }

    /// A read ended: the part waits for a slot, or the source has ended.
    fn read_done(&mut self, reader: PartReader, part_number: u32, read: Option<Bytes>) {
        self.reading = None;
        self.reader = Some(reader);
        match read {
            Some(bytes) => {
                self.ready.push_back((part_number, bytes, self.slot.take()));
                self.next_part += 1;
            }
            None => {
                self.slot = None;
                self.source_ended = true;
            }
        }
    }
}

/// Waits for the part being read (never resolves when none is).
async fn next_read(
    reading: &mut Option<ReadFuture>,
) -> (PartReader, u32, Result<Option<Bytes>, UploadFailure>) {
    match reading.as_mut() {
        Some(read) => read.await,
        None => std::future::pending().await,
    }
}
