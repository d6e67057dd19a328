//! A download to a file: parts fetched concurrently into a temporary file, recorded in a
//! checkpoint, proven against the checksum, then renamed into place ([`run`]); and what it
//! answers ([`Downloaded`]).

use std::collections::BTreeMap;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use tokio::sync::watch;
use tokio::task::JoinSet;
use tokio::time::Instant;

use crate::checkpoint::{self, DownloadCheckpoint};
use crate::downloader::{BoxFuture, DownloadFile, Started};
use crate::file::{sidecar_paths, PartFile};
use crate::plan::Plan;
use crate::target::ObjectIdentity;
use crate::verify::{self, Expected, Mismatch, SequentialCheck};
use crate::{DownloadEvent, Error, ErrorKind, Route, Verification};

/// A finished download.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Downloaded {
    /// The file written.
    pub path: PathBuf,
    /// The version of the object downloaded.
    pub identity: ObjectIdentity,
    /// Bytes per ranged GET.
    pub part_size: u64,
    /// Parts in all.
    pub parts: u32,
    /// Parts fetched by this run (the others were on disk from an earlier one).
    pub fetched_parts: u32,
    /// Bytes kept from an earlier run.
    pub resumed_bytes: u64,
    /// How the bytes were read.
    pub route: Route,
    /// What the check proved.
    pub verification: Verification,
}

/// Sets a flag when dropped: a blocking check reading the file stops when the download's
/// future is dropped.
struct CancelOnDrop(Arc<AtomicBool>);

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

/// A cancellation, if the caller gave one.
type Cancel<'a> = Option<BoxFuture<'a, ()>>;

/// `work`'s output, or `None` once `cancel` completes first (checked first).
async fn until_cancelled<F: Future>(work: F, cancel: &mut Cancel<'_>) -> Option<F::Output> {
    match cancel {
        Some(cancel) => tokio::select! {
            biased;
            () = cancel.as_mut() => None,
            output = work => Some(output),
        },
        None => Some(work.await),
    }
}

/// A cancellation before any part was fetched: nothing on disk was changed.
fn cancelled_early() -> Error {
    Error::cancelled(
        None,
        "the download was cancelled before it fetched any part (an earlier run's checkpoint, if any, is left as it was)",
    )
}

pub(crate) async fn run<T: lakefs_transport::HttpTransport + 'static>(
    request: DownloadFile<'_, T>,
) -> Result<Downloaded, Error> {
    let mut cancel = request.cancel;
    let target = request.target?;
    let object = target.uri();
    let destination = request.destination;
    check_destination(&destination).map_err(|e| e.with_object(&object))?;
    let (partial_path, checkpoint_path) = sidecar_paths(&destination)?;
    let started = until_cancelled(
        request
            .downloader
            .start(target, request.upload_part_size, None, true),
        &mut cancel,
    )
    .await
    .unwrap_or_else(|| Err(cancelled_early()))
    .map_err(|e| e.with_object(&object))?;
    let job = FileJob {
        started,
        destination,
        partial_path,
        checkpoint_path,
        object: object.clone(),
        resume: request.resume,
    };
    job.run(cancel).await.map_err(|e| e.with_object(&object))
}

/// Refuses a destination that is a directory, or whose directory does not exist, before
/// anything is sent.
fn check_destination(destination: &Path) -> Result<(), Error> {
    if destination.is_dir() {
        return Err(Error::invalid_argument(
            "destination",
            format!(
                "{} is a directory; name the file to write",
                destination.display()
            ),
        ));
    }
    let parent = destination
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    if !parent.is_dir() {
        return Err(Error::invalid_argument(
            "destination",
            format!(
                "{}: the directory {} does not exist",
                destination.display(),
                parent.display()
            ),
        ));
    }
    Ok(())
}

/// The MD5s of a part's slices (one per upload part it covers when aligned, else one for
/// the whole part), when hashed.
type PartMd5s = Option<Vec<[u8; 16]>>;

/// A part written to the file: its number, its length and (when verifying) its MD5s.
type WrittenPart = (u32, u64, PartMd5s);

/// How fetching the parts ended.
enum Fetched {
    /// Every part is written.
    All,
    /// Cancelled; the parts written are recorded.
    Cancelled,
}

struct FileJob<T> {
    started: Started<T>,
    destination: PathBuf,
    partial_path: PathBuf,
    checkpoint_path: PathBuf,
    object: String,
    resume: bool,
}

impl<T: lakefs_transport::HttpTransport + 'static> FileJob<T> {
    async fn run(self, mut cancel: Cancel<'_>) -> Result<Downloaded, Error> {
        let plan = &self.started.plan;
        let fetcher = &self.started.fetcher;
        let config = Arc::clone(&fetcher.config);
        let identity = fetcher.identity.clone();
        let (file, mut record, mut digests) =
            self.open(&mut cancel).await?.ok_or_else(cancelled_early)?;
        let resumed_bytes: u64 = digests.keys().map(|&n| range_len(plan, n)).sum();
        config.emit(&DownloadEvent::Started {
            object: self.object.clone(),
            size: plan.size,
            part_size: plan.part_size,
            parts: plan.parts,
            route: self.started.route,
            resumed_bytes,
        });
        let missing: Vec<u32> = (1..=plan.parts)
            .filter(|n| !record.parts.contains_key(n))
            .collect();
        let fetched_parts = u32::try_from(missing.len()).unwrap_or(u32::MAX);
        let fetched = self
            .fetch_parts(&file, missing, &mut record, &mut digests, &mut cancel)
            .await;
        match fetched {
            Ok(Fetched::All) => {}
            Ok(Fetched::Cancelled) => return Err(self.cancelled(file, &record).await),
            Err(error) => return Err(self.fail(error, file, &record).await),
        }
        let verification = match until_cancelled(self.verify(&file, &digests), &mut cancel).await {
            Some(Ok(verification)) => verification,
            Some(Err(error)) => return Err(self.fail(error, file, &record).await),
            None => return Err(self.cancelled(file, &record).await),
        };
        file.persist(&self.destination).await?;
        checkpoint::remove(self.checkpoint_path.clone()).await;
        config.emit(&DownloadEvent::Finished {
            size: plan.size,
            verification: verification.clone(),
        });
        Ok(Downloaded {
            path: self.destination.clone(),
            identity,
            part_size: plan.part_size,
            parts: plan.parts,
            fetched_parts,
            resumed_bytes,
            route: self.started.route,
            verification,
        })
    }

    /// The temporary file and the checkpoint to continue: an earlier run's when it is for
    /// this object's version and its parts prove intact on disk, else new ones. `None` when
    /// cancelled while proving them (reading back a large file takes a while).
    async fn open(
        &self,
        cancel: &mut Cancel<'_>,
    ) -> Result<Option<(PartFile, DownloadCheckpoint, BTreeMap<u32, PartMd5s>)>, Error> {
        let plan = &self.started.plan;
        let identity = &self.started.fetcher.identity;
        let config = &self.started.fetcher.config;
        let fresh = DownloadCheckpoint::new(self.object.clone(), identity.clone(), plan.part_size);
        if self.resume {
            let earlier = match DownloadCheckpoint::load(&self.checkpoint_path).await {
                Ok(earlier) => earlier,
                Err(error) => {
                    config.emit(&DownloadEvent::CheckpointDiscarded {
                        reason: error.to_string(),
                    });
                    None
                }
            };
            if let Some(earlier) = earlier {
                let refused = if earlier.object != self.object {
                    Some(format!("it is for {}", earlier.object))
                } else if let Some(changed) = earlier.identity.compare(identity) {
                    Some(changed.to_string())
                } else if earlier.part_size != plan.part_size {
                    Some(format!(
                        "it was made with {}-byte parts, this run uses {}",
                        earlier.part_size, plan.part_size
                    ))
                } else {
                    None
                };
                match refused {
                    Some(reason) => config.emit(&DownloadEvent::CheckpointDiscarded { reason }),
                    None => match PartFile::reopen(self.partial_path.clone(), plan.size).await {
                        Some(file) => {
                            let Some(proven) =
                                until_cancelled(self.prove(&file, earlier), cancel).await
                            else {
                                return Ok(None);
                            };
                            let (record, digests) = proven?;
                            return Ok(Some((file, record, digests)));
                        }
                        None => config.emit(&DownloadEvent::CheckpointDiscarded {
                            reason: "the partial file is gone or has another size".to_owned(),
                        }),
                    },
                }
            }
        }
        let file = PartFile::create(self.partial_path.clone(), plan.size).await?;
        Ok(Some((file, fresh, BTreeMap::new())))
    }

    /// Reads back every part the checkpoint names that has an MD5, and keeps those whose
    /// bytes still hash to it (the others are fetched again). Parts recorded without one (by
    /// a run with verification off) are kept as they are: with verification on, the
    /// whole-object check proves them.
    async fn prove(
        &self,
        file: &PartFile,
        mut record: DownloadCheckpoint,
    ) -> Result<(DownloadCheckpoint, BTreeMap<u32, PartMd5s>), Error> {
        let plan = &self.started.plan;
        let mut digests = BTreeMap::new();
        let mut kept = BTreeMap::new();
        for (number, md5) in std::mem::take(&mut record.parts) {
            if number == 0 || number > plan.parts {
                continue;
            }
            if md5.is_empty() {
                digests.insert(number, None);
                kept.insert(number, md5);
                continue;
            }
            // One MD5 per slice, in order (one for the whole part in format 1's terms).
            let slices = slices(plan, number);
            let recorded: Option<Vec<[u8; 16]>> = (md5.len() == 32 * slices.len())
                .then(|| {
                    md5.as_bytes()
                        .chunks(32)
                        .map(|hex| std::str::from_utf8(hex).ok().and_then(verify::md5_from_hex))
                        .collect()
                })
                .flatten();
            let Some(recorded) = recorded else { continue };
            let mut on_disk = Vec::with_capacity(slices.len());
            for slice in slices {
                on_disk.push(file.md5_of_range(slice).await?);
            }
            if on_disk == recorded {
                digests.insert(number, Some(on_disk));
                kept.insert(number, md5);
            }
        }
        record.parts = kept;
        Ok((record, digests))
    }

    /// Fetches `missing` parts, `concurrency` at a time (within the shared slots), each
    /// written at its offset as it arrives; records them in the checkpoint at most once per
    /// interval, after flushing the file. When `cancel` completes, the GETs in flight stop,
    /// the parts whose bytes had arrived are written, and every part written is in `record`
    /// ([`Fetched::Cancelled`]; the caller stores it).
    async fn fetch_parts(
        &self,
        file: &PartFile,
        missing: Vec<u32>,
        record: &mut DownloadCheckpoint,
        digests: &mut BTreeMap<u32, PartMd5s>,
        cancel: &mut Cancel<'_>,
    ) -> Result<Fetched, Error> {
        let plan = &self.started.plan;
        let fetcher = &self.started.fetcher;
        let config = &fetcher.config;
        // Every part's MD5s, so that a resume can prove it on disk (and, when the parts are
        // the upload's or whole multiples of them, so that the checksum is recomputed
        // without reading the file again).
        let slice = config.verify.then_some(plan.hash_slice);
        let mut pending = missing.into_iter();
        // Dropped with the download's future: every part task is aborted with it.
        let mut running = JoinSet::new();
        // A cancellation stops each part's GET, not its write: a part task is never aborted
        // while the blocking pool writes its bytes, so none is left writing to the file after
        // the download has returned, and every part whose bytes arrived is recorded.
        let (stop, stopped) = watch::channel(false);
        let mut last_write = Instant::now();
        loop {
            while running.len() < config.concurrency() {
                let Some(number) = pending.next() else { break };
                let permit = match config.slots() {
                    Some(slots) => {
                        let acquired = until_cancelled(slots.acquire(), cancel).await;
                        let Some(acquired) = acquired else {
                            return Ok(self.stop_parts(&mut running, &stop, record, digests).await);
                        };
                        Some(acquired.ok_or_else(|| {
                            Error::new(
                                ErrorKind::InvalidArgument,
                                "the shared part slots were closed",
                            )
                        })?)
                    }
                    None => None,
                };
                let fetcher = Arc::clone(fetcher);
                let file = file.clone();
                let range = plan.range(number);
                let mut stopped = stopped.clone();
                running.spawn(async move {
                    let _permit = permit;
                    // Written as the bytes arrive. A stop ends the GET while it waits for the
                    // head, between attempts, or when its body has no byte ready; the part,
                    // incomplete, is then not recorded (and a write under way ends on its
                    // own: the file waits for it before it is flushed).
                    let mut writer = file.part_writer(range.clone(), slice, stopped.clone());
                    let receiving = writer.receiving();
                    let fetch = fetcher.fetch_to(number, range.clone(), &mut writer);
                    tokio::pin!(fetch);
                    let md5s = tokio::select! {
                        biased;
                        md5s = &mut fetch => md5s,
                        () = async { drop(stopped.wait_for(|stop| *stop).await) } => {
                            if !receiving.load(Ordering::Relaxed) {
                                return Ok(None);
                            }
                            // A body under way: the bytes ready are written, then it stops
                            // at its next wait (or ends, and the part is recorded).
                            fetch.await
                        }
                    };
                    let md5s = match md5s {
                        Err(error) if error.kind() == ErrorKind::Cancelled => return Ok(None),
                        other => other?,
                    };
                    Ok::<_, Error>(Some((number, range.end - range.start, md5s)))
                });
            }
            let Some(joined) = until_cancelled(running.join_next(), cancel).await else {
                return Ok(self.stop_parts(&mut running, &stop, record, digests).await);
            };
            let Some(joined) = joined else {
                break;
            };
            let written = joined
                .map_err(|e| Error::new(ErrorKind::Io, "a part's task failed").with_source(e))??;
            if let Some(written) = written {
                self.written(written, record, digests);
            }
            if last_write.elapsed() >= config.checkpoint_interval {
                file.sync().await?;
                record.store(&self.checkpoint_path).await?;
                last_write = Instant::now();
            }
        }
        Ok(Fetched::All)
    }

    /// Records a part written to the file.
    fn written(
        &self,
        (number, bytes, md5): WrittenPart,
        record: &mut DownloadCheckpoint,
        digests: &mut BTreeMap<u32, PartMd5s>,
    ) {
        record.parts.insert(
            number,
            md5.as_ref()
                .map(|all| all.iter().map(|d| verify::hex(d)).collect())
                .unwrap_or_default(),
        );
        digests.insert(number, md5);
        self.started
            .fetcher
            .config
            .emit(&DownloadEvent::PartFinished {
                part_number: number,
                bytes,
            });
    }

    /// After a cancellation: stops the part tasks and waits for them, recording every part
    /// they wrote (a part that failed meanwhile is left to the next run).
    async fn stop_parts(
        &self,
        running: &mut JoinSet<Result<Option<WrittenPart>, Error>>,
        stop: &watch::Sender<bool>,
        record: &mut DownloadCheckpoint,
        digests: &mut BTreeMap<u32, PartMd5s>,
    ) -> Fetched {
        stop.send_replace(true);
        while let Some(joined) = running.join_next().await {
            if let Ok(Ok(Some(written))) = joined {
                self.written(written, record, digests);
            }
        }
        Fetched::Cancelled
    }

    /// Proves the bytes: from the parts' MD5s when the parts are the object's upload parts,
    /// else by reading the file once in order.
    async fn verify(
        &self,
        file: &PartFile,
        digests: &BTreeMap<u32, PartMd5s>,
    ) -> Result<Verification, Error> {
        let plan = &self.started.plan;
        let config = &self.started.fetcher.config;
        if !config.verify {
            return Ok(Verification::Skipped);
        }
        config.emit(&DownloadEvent::Verifying { size: plan.size });
        if plan.size == 0 {
            return finish(SequentialCheck::new(&plan.expected, 0, 1).finish(), plan);
        }
        let mut tried = None;
        if plan.aligned {
            let all: Option<Vec<[u8; 16]>> = (1..=plan.parts)
                .map(|n| digests.get(&n).cloned().flatten())
                .collect::<Option<Vec<_>>>()
                .map(|parts| parts.concat());
            if let Some(all) = all {
                if let Some(verification) =
                    verify::check_part_md5s(&plan.expected, plan.hash_slice, plan.size, &all)
                {
                    return Ok(verification);
                }
                if plan.asserted_layout.is_some() || matches!(plan.expected, Expected::Md5(_)) {
                    return Err(mismatch_error(
                        &plan.expected,
                        &verify::etag_of_part_md5s(&all),
                    ));
                }
                tried = Some(plan.hash_slice);
            }
        }
        if let Expected::Unknown { reason } = &plan.expected {
            return Ok(Verification::NotVerifiable {
                reason: reason.clone(),
            });
        }
        let cancel = Arc::new(AtomicBool::new(false));
        let _guard = CancelOnDrop(Arc::clone(&cancel));
        let path = file.path().to_path_buf();
        let expected = plan.expected.clone();
        let (size, asserted) = (plan.size, plan.asserted_layout);
        let checked = crate::file::blocking(move || match asserted {
            Some(part_size) => {
                verify::check_file_with_layout(&path, &expected, size, part_size, &cancel)
            }
            None => verify::check_file(&path, &expected, size, tried, &cancel),
        })
        .await
        .map_err(|e| Error::io("cannot read the downloaded bytes back", file.path(), e))?;
        finish(checked, plan)
    }

    /// After a cancellation: the parts written (every one in `record`) recorded in the
    /// checkpoint, after flushing the file; the error says how many bytes that keeps.
    async fn cancelled(&self, file: PartFile, record: &DownloadCheckpoint) -> Error {
        let plan = &self.started.plan;
        if record.parts.is_empty() {
            file.discard().await;
            checkpoint::remove(self.checkpoint_path.clone()).await;
            return Error::cancelled(
                Some(0),
                "the download was cancelled before any part was written; nothing is kept",
            );
        }
        let kept: u64 = record.parts.keys().map(|&n| range_len(plan, n)).sum();
        let stored = match file.sync().await {
            Ok(()) => record.store(&self.checkpoint_path).await,
            Err(error) => Err(error),
        };
        match stored {
            Ok(()) => Error::cancelled(
                Some(kept),
                format!(
                    "the download was cancelled; {kept} of {} bytes are kept for a resume",
                    plan.size
                ),
            ),
            Err(error) => Error::cancelled(
                None,
                "the download was cancelled, and its checkpoint could not be brought up to date (a resume keeps what it last recorded)",
            )
            .with_source(error),
        }
    }

    /// Keeps what a later run can use: after an interruption the checkpoint (flushed file
    /// first); after a wrong byte or a changed object, nothing.
    async fn fail(&self, error: Error, file: PartFile, record: &DownloadCheckpoint) -> Error {
        match error.kind() {
            ErrorKind::ChecksumMismatch | ErrorKind::ObjectChanged => {
                file.discard().await;
                checkpoint::remove(self.checkpoint_path.clone()).await;
            }
            _ if !record.parts.is_empty() => {
                if file.sync().await.is_ok() {
                    let _ = record.store(&self.checkpoint_path).await;
                }
            }
            _ => {
                file.discard().await;
                checkpoint::remove(self.checkpoint_path.clone()).await;
            }
        }
        error
    }
}

/// The slices of part `number` that each have an MD5: `hash_slice`-byte pieces from its
/// start (the last may be shorter).
fn slices(plan: &Plan, number: u32) -> Vec<std::ops::Range<u64>> {
    let range = plan.range(number);
    let step = plan.hash_slice.max(1);
    let mut out = Vec::new();
    let mut at = range.start;
    loop {
        let end = (at + step).min(range.end);
        out.push(at..end);
        if end >= range.end {
            return out;
        }
        at = end;
    }
}

fn range_len(plan: &Plan, number: u32) -> u64 {
    let range = plan.range(number);
    range.end - range.start
}

fn finish(checked: Result<Verification, Mismatch>, _plan: &Plan) -> Result<Verification, Error> {
    checked.map_err(|mismatch| {
        Error::new(
            ErrorKind::ChecksumMismatch,
            format!(
                "the bytes do not match the object's checksum (expected {}, the bytes give {})",
                mismatch.expected, mismatch.actual
            ),
        )
    })
}

fn mismatch_error(expected: &Expected, actual: &str) -> Error {
    Error::new(
        ErrorKind::ChecksumMismatch,
        format!(
            "the bytes do not match the object's checksum (expected {}, the bytes give {actual})",
            expected.display()
        ),
    )
}
