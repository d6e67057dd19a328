//! One object from many processes: create an upload for others to fill, upload a range of its
//! parts, complete it with every process's parts (checked against the plan), or abort it.

use std::collections::BTreeMap;
use std::ops::RangeInclusive;

use lakefs_experimental::models::ObjectStats;
use lakefs_experimental::Error as ApiError;
use lakefs_transport::HttpTransport;

use crate::create::abort_request;
use crate::error::{AbortOutcome, Error, UploadFailure};
use crate::options::ObjectOptions;
use crate::parts::{check_parts, StoredPart};
use crate::run::Selection;
use crate::session::UploadSession;
use crate::uploader::Uploader;
use crate::urls::PartUrls;
use crate::{PartPlan, UploadSource};

impl<T: HttpTransport + 'static, D: HttpTransport + 'static> Uploader<T, D> {
    /// Creates an upload of a source of `size` bytes for other processes to fill
    /// ([`upload_parts`](Self::upload_parts)) and one to complete
    /// ([`complete`](Self::complete)). No part URL is signed yet.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidInput`](crate::ErrorKind::InvalidInput) for a size no multipart upload can hold;
    /// [`ErrorKind::Create`](crate::ErrorKind::Create) when lakeFS refuses.
    pub async fn begin(
        &self,
        repository: &str,
        branch: &str,
        path: &str,
        size: u64,
    ) -> Result<UploadSession, Error> {
        let plan = PartPlan::new(size, self.config.part_size)
            .map_err(|e| Error::before_create(e.into()))?;
        let (session, _) = self
            .create(repository, branch, path, plan.into(), 0)
            .await?;
        Ok(session)
    }

    /// Uploads parts `parts` (part numbers, inclusive) of `session` from `source` — the whole
    /// object's source, of which only those parts are read — and returns them, for the
    /// process that completes. Part URLs are signed as parts start. A failure aborts nothing:
    /// the parts stored so far stay, and the caller decides.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidInput`](crate::ErrorKind::InvalidInput) for a source that cannot be read at an offset or does not
    /// have the session's size; otherwise as a part failure of [`upload`](Self::upload).
    pub async fn upload_parts(
        &self,
        session: &UploadSession,
        parts: RangeInclusive<u32>,
        source: UploadSource,
    ) -> Result<Vec<StoredPart>, Error> {
        let fail = |failure| {
            Error::new(
                failure,
                Some(session.upload_id.clone()),
                AbortOutcome::NotNeeded,
            )
        };
        if !source.is_positional() {
            return Err(fail(UploadFailure::Invalid(
                "uploading a range of parts needs a file or bytes source".into(),
            )));
        }
        let opened = source.open().await.map_err(fail)?;
        if Some(opened.plan_size) != session.schedule.total_size() {
            return Err(fail(UploadFailure::SourceChanged(format!(
                "the source has {} bytes; the session was created for {:?}",
                opened.plan_size,
                session.schedule.total_size()
            ))));
        }
        let urls = PartUrls::new(self.client.clone(), session.clone(), Vec::new());
        let run = self.part_run(&urls, false);
        let selection = Selection {
            first: *parts.start(),
            last: Some(*parts.end()),
            done: &BTreeMap::new(),
        };
        let sent = run
            .send(opened.reader, selection, None)
            .await
            .map_err(fail)?;
        // Parts read from a file that changed meanwhile may mix two versions: not handed on.
        if let Some(stamp) = &opened.stamp {
            if let Some(reason) = stamp.changed().await {
                return Err(fail(UploadFailure::SourceChanged(reason)));
            }
        }
        Ok(sent)
    }

    /// Completes `session` with `parts` (from every process, in any order).
    ///
    /// The parts must be exactly the session's plan: every part number from 1 to the plan's
    /// count once, each of the size the plan gives it. Anything else is refused before any
    /// call, naming what is wrong — completing with it would stage an object that is not the
    /// source. A complete whose answer is lost is resolved as in [`upload`](Self::upload).
    /// Completing a session that was completed already (a task that a task engine ran again
    /// after its worker died) answers the object that session staged, while it is still the
    /// branch's object at the path; after that, lakeFS's refusal.
    ///
    /// # Errors
    /// [`ErrorKind::PartsMismatch`](crate::ErrorKind::PartsMismatch) for parts that do not cover the plan;
    /// [`ErrorKind::Complete`](crate::ErrorKind::Complete) or [`ErrorKind::Conflict`](crate::ErrorKind::Conflict) when lakeFS refuses;
    /// [`ErrorKind::OutcomeUnknown`](crate::ErrorKind::OutcomeUnknown) when its answer was lost and the object could not be
    /// found.
    pub async fn complete(
        &self,
        session: &UploadSession,
        parts: Vec<StoredPart>,
        options: &ObjectOptions,
    ) -> Result<ObjectStats, Error> {
        let fail = |failure| {
            Error::new(
                failure,
                Some(session.upload_id.clone()),
                AbortOutcome::NotNeeded,
            )
        };
        options.check().map_err(fail)?;
        let parts = check_parts(&session.schedule, parts).map_err(fail)?;
        self.send_complete(session, parts, options)
            .await
            .map_err(fail)
    }

    /// Aborts `session`: the storage discards its parts.
    ///
    /// # Errors
    /// The API error, when lakeFS refuses or cannot be reached.
    pub async fn abort(&self, session: &UploadSession) -> Result<(), ApiError> {
        abort_request(&self.client, session).send().await
    }
}
