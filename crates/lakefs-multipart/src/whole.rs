//! One whole upload: create, the parts, complete — with the checks between them.

use std::collections::BTreeMap;
use std::path::PathBuf;

use lakefs_experimental::models::ObjectStats;
use lakefs_transport::HttpTransport;

use crate::checkpoint::{Checkpoint, CheckpointWriter};
use crate::create::{abort_request, schedule_for};
use crate::error::{Error, UploadFailure};
use crate::guard::AbortOnDrop;
use crate::options::ObjectOptions;
use crate::parts::{check_parts_of, StoredPart};
use crate::run::Selection;
use crate::source::Opened;
use crate::uploader::{BoxFuture, Uploader};
use crate::urls::PartUrls;
use crate::{ProgressEvent, UploadSource};

impl<T: HttpTransport + 'static, D: HttpTransport + 'static> Uploader<T, D> {
    /// The whole upload: create, parts, complete; on failure abort, or keep the checkpoint.
    pub(crate) async fn run_upload(
        &self,
        target: (&str, &str, &str),
        source: UploadSource,
        options: ObjectOptions,
        checkpoint: Option<PathBuf>,
        cancel: Option<BoxFuture<'_, ()>>,
    ) -> Result<ObjectStats, Error> {
        let (repository, branch, path) = target;
        options.check().map_err(Error::before_create)?;
        if checkpoint.is_some() && !source.is_positional() {
            return Err(Error::before_create(UploadFailure::Invalid(
                "a checkpoint needs a file or bytes source: a stream cannot be read again".into(),
            )));
        }
        let opened = source.open().await.map_err(Error::before_create)?;
        let schedule =
            schedule_for(&opened, self.config.part_size).map_err(Error::before_create)?;
        let fingerprint = match (&checkpoint, opened.reader.fingerprint()) {
            (Some(_), Some(fingerprint)) => Some(
                fingerprint
                    .await
                    .map_err(|e| Error::before_create(UploadFailure::Open(e)))?,
            ),
            _ => None,
        };
        let urls = self.create_for(repository, branch, path, schedule).await?;
        let session = urls.session().clone();
        // From here on the upload exists: every way out completes it, aborts it, or leaves
        // it resumable from its checkpoint — a drop included.
        let mut guard = AbortOnDrop::new(
            Some(abort_request(&self.client, &session)),
            &session.upload_id,
        );
        let mut writer = match (checkpoint, fingerprint) {
            (Some(file), Some(fingerprint)) => {
                let state = Checkpoint::new(
                    session.clone(),
                    fingerprint,
                    options.content_type.clone(),
                    options.user_metadata.clone(),
                );
                match CheckpointWriter::create(file, state).await {
                    Ok(writer) => {
                        // Recorded: from now on a drop leaves it resumable.
                        guard.disarm();
                        Some(writer)
                    }
                    Err(failure) => {
                        guard.disarm();
                        return Err(self.fail_and_abort(failure, &session).await);
                    }
                }
            }
            _ => None,
        };
        // The schedule lakeFS's create was made for (larger parts on a lakeFS that must hand
        // out every URL at once).
        let schedule = session.schedule;
        self.config.emit(ProgressEvent::Started {
            total_bytes: opened.exact.then_some(opened.plan_size),
            parts: schedule.max_parts(),
            part_size: schedule.nominal_part_size(),
        });
        let done = BTreeMap::new();
        let outcome = self
            .parts_then_complete(
                &urls,
                opened,
                &done,
                writer.as_mut(),
                &options,
                cancel,
                &mut guard,
            )
            .await;
        self.finish(outcome, &urls, writer, &mut guard).await
    }

    /// Sends the parts not `done` of the `opened` source and completes with them and those `done` — once the whole
    /// list is proven to be the plan's — unless `cancel` completes first.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn parts_then_complete(
        &self,
        urls: &PartUrls<T>,
        opened: Opened,
        done: &BTreeMap<u32, StoredPart>,
        writer: Option<&mut CheckpointWriter>,
        options: &ObjectOptions,
        cancel: Option<BoxFuture<'_, ()>>,
        guard: &mut AbortOnDrop<T>,
    ) -> Result<ObjectStats, UploadFailure> {
        let Opened {
            reader,
            exact,
            stamp,
            ..
        } = opened;
        let run = self.part_run(urls, writer.is_some());
        let mut writer = writer;
        let sending = async {
            let selection = Selection {
                first: 1,
                last: None,
                done,
            };
            let sent = run.send(reader, selection, writer.as_deref_mut()).await?;
            if let Some(writer) = writer.as_deref_mut() {
                // Every part is stored: a checkpoint that cannot be written now must not stop
                // the complete.
                if let Err(error) = writer.flush().await {
                    tracing::warn!(%error, "the checkpoint could not be brought up to date");
                }
            }
            Ok::<_, UploadFailure>(sent)
        };
        // A cancellation stops the parts; once complete is sent it is not cancelled, since an
        // abort could race a complete that lakeFS is carrying out.
        let sent = match cancel {
            Some(cancel) => tokio::select! {
                sent = sending => sent?,
                () = cancel => return Err(UploadFailure::Cancelled),
            },
            None => sending.await?,
        };
        // A file written to while it was read gave parts of two versions: never complete them.
        if let Some(stamp) = &stamp {
            if let Some(reason) = stamp.changed().await {
                return Err(UploadFailure::SourceChanged(reason));
            }
        }
        let parts: Vec<StoredPart> = done.values().cloned().chain(sent).collect();
        // What is completed is exactly the plan, part by part and size by size: never an
        // object that is not the source.
        let parts = check_parts_of(&urls.session().schedule, parts, exact)?;
        guard.complete_in_flight();
        self.send_complete(urls.session(), parts, options).await
    }
}
