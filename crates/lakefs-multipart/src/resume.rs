//! Resuming an upload from its checkpoint — and proving, before trusting any recorded part,
//! that the source still holds the bytes it was sent with.
//!
//! A checkpoint records each stored part's ETag, size and the MD5 of its bytes. A source may
//! change after that without its size or modification time changing, anywhere a sampled
//! fingerprint does not look; so a resume reads every recorded part back from the source
//! once, computes its MD5 and compares it with the recorded one. Parts that still match are
//! kept; parts that differ are sent again (the storage replaces a part sent twice), and the
//! checkpoint forgets them first. The cost: the recorded parts are read once more from the
//! source, `min(concurrency, cores)` at a time, with their MD5 on the blocking pool.
//!
//! A checkpoint that outlived its upload's complete (a crash between complete and the
//! checkpoint's removal) is recognised: lakeFS holds an object at the path with the upload's
//! physical address. It is reported done once the source is proven to be what was staged
//! (its parts' MD5s give the object's ETag), and otherwise refused as gone.

use std::collections::BTreeMap;
use std::path::PathBuf;

use futures_util::stream::{FuturesUnordered, StreamExt};
use lakefs_experimental::models::ObjectStats;
use lakefs_transport::HttpTransport;
use md5::{Digest, Md5};

use crate::checkpoint::{Checkpoint, CheckpointWriter};
use crate::error::{AbortOutcome, Error, UploadFailure};
use crate::etag::{hex, is_md5_shaped, multipart_etag};
use crate::guard::AbortOnDrop;
use crate::options::ObjectOptions;
use crate::parts::StoredPart;
use crate::session::UploadSession;
use crate::source::PartReader;
use crate::uploader::{BoxFuture, Uploader, LINK_ADDRESS_LIFETIME};
use crate::urls::PartUrls;
use crate::{PartSchedule, ProgressEvent};

impl<T: HttpTransport + 'static, D: HttpTransport + 'static> Uploader<T, D> {
    pub(crate) async fn run_resume(
        &self,
        path: PathBuf,
        source: crate::UploadSource,
        mut cancel: Option<BoxFuture<'_, ()>>,
    ) -> Result<ObjectStats, Error> {
        let mut state = Checkpoint::read(&path).map_err(Error::before_create)?;
        let session = state.session.clone();
        let fail = |failure| {
            Error::new(
                failure,
                Some(session.upload_id.clone()),
                AbortOutcome::Resumable(path.clone()),
            )
        };
        if !source.is_positional() {
            return Err(fail(UploadFailure::Invalid(
                "resuming needs the same file or bytes the upload started from".into(),
            )));
        }
        let age = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs())
            .saturating_sub(session.created_at);
        if age > LINK_ADDRESS_LIFETIME.as_secs() {
            return Err(Error::new(
                UploadFailure::UploadGone {
                    upload_id: session.upload_id.clone(),
                    reason: format!(
                        "it was created {} h ago, past lakeFS's 24 h link-address lifetime; start a new upload",
                        age / 3600
                    ),
                },
                Some(session.upload_id.clone()),
                AbortOutcome::NotNeeded,
            ));
        }
        let opened = source.open().await.map_err(fail)?;
        let schedule = session.schedule;
        if opened.plan_size != state.source.size {
            // Another size is another plan: no recorded part can be trusted to fit it.
            return Err(fail(UploadFailure::SourceChanged(format!(
                "its size is {} bytes, the checkpoint recorded {}",
                opened.plan_size, state.source.size
            ))));
        }
        if let Some(fingerprint) = opened.reader.fingerprint() {
            let now = fingerprint
                .await
                .map_err(|e| fail(UploadFailure::Open(e)))?;
            if let Some(reason) = now.differs_from(&state.source) {
                tracing::info!(%reason, "the source changed since the checkpoint was written: every recorded part is proven before it is trusted");
            }
        }
        let Some(second_reader) = opened.reader.positional_clone() else {
            return Err(fail(UploadFailure::Invalid(
                "the source is not positional".into(),
            )));
        };
        // Completed already, by an earlier run that died before removing its checkpoint?
        if let Some(stats) = self.staged_by(&session).await {
            let proving = self.completed_earlier(&path, &session, &state, second_reader, stats);
            return match until_cancelled(proving, cancel.as_mut()).await {
                Some(outcome) => outcome,
                None => Err(fail(UploadFailure::Cancelled)),
            };
        }
        // Reading back a terabyte takes minutes: a cancellation is heard meanwhile too.
        let proving = self.prove_recorded_parts(second_reader, &schedule, &state.parts);
        let changed = until_cancelled(proving, cancel.as_mut())
            .await
            .ok_or(UploadFailure::Cancelled)
            .and_then(|proven| proven)
            .map_err(fail)?;
        for part_number in &changed {
            state.parts.remove(part_number);
        }
        let options = ObjectOptions::recorded(state.content_type.clone(), &state.user_metadata);
        let done = state.parts.clone();
        let urls = PartUrls::new(self.client().clone(), session.clone(), Vec::new());
        // Written now, without the parts that changed: a crash from here on cannot trust them.
        let mut writer = CheckpointWriter::create(path.clone(), state)
            .await
            .map_err(fail)?;
        let mut guard = AbortOnDrop::new(None, &session.upload_id);
        self.config().emit(ProgressEvent::Started {
            total_bytes: schedule.total_size(),
            parts: schedule.max_parts(),
            part_size: schedule.nominal_part_size(),
        });
        let outcome = self
            .parts_then_complete(
                &urls,
                opened,
                &done,
                Some(&mut writer),
                &options,
                cancel,
                &mut guard,
            )
            .await;
        self.finish(outcome, &urls, Some(writer), &mut guard).await
    }

    /// Reads every recorded part back from the source and compares its MD5 with the one
    /// recorded when it was sent (or, for a checkpoint of an older version, with its ETag
    /// where that is an MD5); the part numbers that differ — or cannot be proven — in order.
    async fn prove_recorded_parts(
        &self,
        reader: PartReader,
        schedule: &PartSchedule,
        recorded: &BTreeMap<u32, StoredPart>,
    ) -> Result<Vec<u32>, UploadFailure> {
        if recorded.is_empty() {
            return Ok(Vec::new());
        }
        let digests = digest_parts(
            reader,
            schedule,
            recorded.keys().copied(),
            self.verify_parallelism(),
        )
        .await?;
        let mut changed = Vec::new();
        let mut bytes_read = 0;
        for (part_number, part) in recorded {
            let now = hex(&digests[part_number]);
            bytes_read += schedule.part_size(*part_number);
            let expected = part
                .md5
                .as_deref()
                .or_else(|| is_md5_shaped(&part.etag).then_some(part.etag.as_str()));
            let same = part.size == schedule.part_size(*part_number)
                && expected.is_some_and(|md5| md5.eq_ignore_ascii_case(&now));
            if !same {
                changed.push(*part_number);
            }
        }
        if !changed.is_empty() {
            tracing::info!(
                changed = changed.len(),
                recorded = recorded.len(),
                "the source changed since these parts were sent: sending them again"
            );
        }
        self.config().emit(ProgressEvent::PartsVerified {
            kept: u32::try_from(recorded.len() - changed.len()).unwrap_or(u32::MAX),
            changed: u32::try_from(changed.len()).unwrap_or(u32::MAX),
            bytes_read,
        });
        Ok(changed)
    }

    /// The upload of the checkpoint at `path` was completed by an earlier run (lakeFS holds
    /// its object): done, once the source is proven to be what was staged — its parts' MD5s
    /// give the object's ETag, or every part is recorded with an MD5 that the source still
    /// matches. The checkpoint is removed either way: the upload no longer exists.
    async fn completed_earlier(
        &self,
        path: &std::path::Path,
        session: &UploadSession,
        state: &Checkpoint,
        reader: PartReader,
        stats: ObjectStats,
    ) -> Result<ObjectStats, Error> {
        let schedule = session.schedule;
        let gone = |reason: String| {
            Error::new(
                UploadFailure::UploadGone {
                    upload_id: session.upload_id.clone(),
                    reason,
                },
                Some(session.upload_id.clone()),
                AbortOutcome::NotNeeded,
            )
        };
        let count = schedule.part_count().unwrap_or(1);
        let digests = digest_parts(reader, &schedule, 1..=count, self.verify_parallelism())
            .await
            .map_err(|failure| {
                Error::new(
                    failure,
                    Some(session.upload_id.clone()),
                    AbortOutcome::Resumable(path.to_owned()),
                )
            })?;
        let digests: Vec<[u8; 16]> = digests.into_values().collect();
        let checksum = stats.checksum.trim_matches('"');
        let proven = if checksum.contains('-') {
            checksum.eq_ignore_ascii_case(&multipart_etag(&digests))
        } else {
            // Not an ETag of parts (an encryption that hides it): the recorded MD5s decide.
            digests.iter().zip(1u32..).all(|(digest, number)| {
                state
                    .parts
                    .get(&number)
                    .and_then(|part| part.md5.as_deref())
                    .is_some_and(|md5| md5.eq_ignore_ascii_case(&hex(digest)))
            })
        };
        if let Err(error) = std::fs::remove_file(path) {
            tracing::warn!(path = %path.display(), %error, "cannot remove the finished upload's checkpoint");
        }
        if proven {
            tracing::info!(upload_id = %session.upload_id, "the upload was completed by an earlier run");
            return Ok(stats);
        }
        Err(gone(format!(
            "it was completed by an earlier run, and the object staged at {} is not the source as it is now (the source changed since); upload it again",
            session.path
        )))
    }

    /// How many parts a resume reads and digests at once: the engine's concurrency, at most
    /// one per core (the MD5 is the work).
    fn verify_parallelism(&self) -> usize {
        let cores = std::thread::available_parallelism().map_or(2, std::num::NonZero::get);
        self.config().concurrency().min(cores).max(1)
    }
}

/// `work`'s output, or `None` once `cancel` completes first.
async fn until_cancelled<F: std::future::Future>(
    work: F,
    cancel: Option<&mut BoxFuture<'_, ()>>,
) -> Option<F::Output> {
    match cancel {
        Some(cancel) => tokio::select! {
            biased;
            () = cancel => None,
            output = work => Some(output),
        },
        None => Some(work.await),
    }
}

/// The MD5 of each of `parts` of a positional source, `parallel` read and digested at a time.
pub(crate) async fn digest_parts(
    reader: PartReader,
    schedule: &PartSchedule,
    parts: impl IntoIterator<Item = u32>,
    parallel: usize,
) -> Result<BTreeMap<u32, [u8; 16]>, UploadFailure> {
    let mut pending = parts.into_iter();
    let mut running = FuturesUnordered::new();
    let mut digests = BTreeMap::new();
    loop {
        while running.len() < parallel {
            let Some(part_number) = pending.next() else {
                break;
            };
            let Some(part_reader) = reader.positional_clone() else {
                return Err(UploadFailure::Invalid(
                    "proving recorded parts needs a file or bytes source".into(),
                ));
            };
            let range = schedule.range(part_number);
            let is_last = schedule.is_last(part_number);
            running.push(async move {
                let (_, read) = part_reader.read(part_number, range, is_last, None).await;
                let bytes = read?.ok_or_else(|| {
                    UploadFailure::SourceSize(format!("ended before part {part_number}"))
                })?;
                let digest = tokio::task::spawn_blocking(move || Md5::digest(&bytes).into())
                    .await
                    .map_err(|e| UploadFailure::Source {
                        part_number,
                        source: std::io::Error::other(e),
                    })?;
                Ok::<_, UploadFailure>((part_number, digest))
            });
        }
        match running.next().await {
            Some(result) => {
                let (part_number, digest) = result?;
                digests.insert(part_number, digest);
            }
            None => return Ok(digests),
        }
    }
}
