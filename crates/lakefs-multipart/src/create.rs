//! Creating an upload on lakeFS: create with the presign window, the `uploadPart` probe, and
//! the fallback for a lakeFS that can only hand out every URL at create.

use lakefs_experimental::ExperimentalApi;
use lakefs_experimental::{ErrorKind, ExperimentalClient};
use lakefs_transport::HttpTransport;

use crate::error::{Error, UploadFailure};
use crate::guard::AbortOnDrop;
use crate::session::UploadSession;
use crate::source::Opened;
use crate::uploader::Uploader;
use crate::urls::{parse_url, PartUrls, Resign, URL_RESPONSE_BUDGET};
use crate::{PartPlan, PartSchedule};

impl<T: HttpTransport + 'static, D: HttpTransport + 'static> Uploader<T, D> {
    /// Creates the upload with `parts` presigned URLs (for the first parts); the session and
    /// the URLs.
    pub(crate) async fn create(
        &self,
        repository: &str,
        branch: &str,
        path: &str,
        schedule: PartSchedule,
        parts: u32,
    ) -> Result<(UploadSession, Vec<http::Uri>), Error> {
        let created = self
            .client
            .create_presign_multipart_upload()
            .repository(repository)
            .branch(branch)
            .path(path)
            .parts(parts)
            .send()
            .await
            .map_err(|error| {
                // Lost or unreadable after lakeFS may have acted: an upload may exist whose id
                // never arrived. Say so; nothing can abort it through lakeFS.
                let unknown = error.is_ambiguous()
                    || matches!(error.kind(), ErrorKind::Decode | ErrorKind::Protocol);
                Error::before_create(if unknown {
                    UploadFailure::CreateOutcomeUnknown(error)
                } else {
                    UploadFailure::Create(error)
                })
            })?;
        let urls = created.presigned_urls.unwrap_or_default();
        let session = UploadSession::new(
            repository,
            branch,
            path,
            created.upload_id,
            created.physical_address,
            schedule,
        );
        let checked = if urls.len() == parts as usize {
            urls.iter()
                .zip(1u32..)
                .map(|(url, part_number)| parse_url(url, part_number))
                .collect::<Result<Vec<_>, _>>()
        } else {
            Err(UploadFailure::UrlCount {
                expected: parts,
                got: urls.len(),
            })
        };
        match checked {
            Ok(urls) => Ok((session, urls)),
            // The upload exists: abort it before failing.
            Err(failure) => Err(self.fail_and_abort(failure, &session).await),
        }
    }

    /// Aborts `session` after `failure`, and says so in the error.
    pub(crate) async fn fail_and_abort(
        &self,
        failure: UploadFailure,
        session: &UploadSession,
    ) -> Error {
        let abort = self.abort_after_failure(session).await;
        Error::new(failure, Some(session.upload_id.clone()), abort)
    }

    /// Creates the upload for `schedule` and the URLs its parts start with: the presign
    /// window from create, the rest from `uploadPart` — or, on a lakeFS without `uploadPart`,
    /// every URL from create (a stream of unknown length cannot do without it).
    pub(crate) async fn create_for(
        &self,
        repository: &str,
        branch: &str,
        path: &str,
        schedule: PartSchedule,
    ) -> Result<PartUrls<T>, Error> {
        let window = match schedule.part_count() {
            Some(count) => count.min(self.config.presign_window),
            None => 0,
        };
        let (session, initial) = self
            .create(repository, branch, path, schedule, window)
            .await?;
        // Dropped while probing: the upload is aborted, not left open.
        let mut guard = AbortOnDrop::new(
            Some(abort_request(&self.client, &session)),
            &session.upload_id,
        );
        let longest_url = initial.iter().map(|url| url.to_string().len()).max();
        let urls = PartUrls::new(self.client.clone(), session.clone(), initial);
        if window == schedule.max_parts() && schedule.part_count().is_some() {
            guard.disarm();
            return Ok(urls);
        }
        // Parts past the window need uploadPart: find out now whether this lakeFS has it, for
        // the highest part number needed (lakeFS v1.55–v1.79 sign part numbers up to 1,000
        // only; a refusal then means "every URL at create").
        let probe = schedule.part_count().unwrap_or(1);
        let probed = urls.probe(probe).await;
        guard.disarm();
        match probed {
            Ok(()) if urls.resign() == Resign::Supported => Ok(urls),
            Err(failure) => Err(self.fail_and_abort(failure, &session).await),
            Ok(()) => {
                let (Some(total), Some(longest_url)) = (schedule.total_size(), longest_url) else {
                    let failure = UploadFailure::ResignUnsupported { part_number: 1 };
                    return Err(self.fail_and_abort(failure, &session).await);
                };
                // Nothing was sent to this upload yet: replace it with one that has every URL
                // (its abort runs as its own task, exactly once).
                let replaced = tokio::spawn(abort_request(&self.client, &session).send()).await;
                if let Ok(Err(error)) = replaced {
                    tracing::warn!(upload_id = %session.upload_id, %error, "aborting the replaced (empty) upload failed");
                }
                // Every URL in one answer: few enough that the answer stays readable (10,000
                // URLs with session tokens are ~20 MB, past the 16 MiB response cap — an upload
                // whose id could not be read could never be aborted). Larger parts if needed.
                let schedule = schedule_within(total, self.config.part_size, longest_url)
                    .map_err(Error::before_create)?;
                let count = schedule.max_parts();
                tracing::info!(
                    parts = count,
                    "this lakeFS cannot sign part URLs after create: creating the upload again with every URL"
                );
                let (session, initial) = self
                    .create(repository, branch, path, schedule, count)
                    .await?;
                let urls = PartUrls::new(self.client.clone(), session, initial);
                urls.mark_unsupported();
                Ok(urls)
            }
        }
    }
}

/// The plan of a `total`-byte source whose part URLs all come in one create answer, when
/// each URL is about `longest_url` bytes: parts of the configured size, or larger ones (whole
/// MiB) so that the URLs fit in [`URL_RESPONSE_BUDGET`].
fn schedule_within(
    total: u64,
    part_size: u64,
    longest_url: usize,
) -> Result<PartSchedule, UploadFailure> {
    // Each URL is quoted and separated in the JSON array: a few bytes more.
    let fit = (URL_RESPONSE_BUDGET / (longest_url + 8)).max(1) as u64;
    let needed = total.div_ceil(fit).div_ceil(1024 * 1024) * 1024 * 1024;
    Ok(PartPlan::new(total, part_size.max(needed))?.into())
}

/// The part schedule of an opened source.
pub(crate) fn schedule_for(opened: &Opened, part_size: u64) -> Result<PartSchedule, UploadFailure> {
    if opened.unbounded {
        return Ok(PartSchedule::growing(part_size));
    }
    Ok(PartPlan::new(opened.plan_size, part_size)?.into())
}

/// The `abortPresignMultipartUpload` call for `session`.
pub(crate) fn abort_request<T: HttpTransport>(
    client: &ExperimentalClient<T>,
    session: &UploadSession,
) -> lakefs_experimental::operations::AbortPresignMultipartUploadRequest<T> {
    client
        .abort_presign_multipart_upload()
        .repository(&session.repository)
        .branch(&session.branch)
        .path(&session.path)
        .upload_id(&session.upload_id)
        .physical_address(&session.physical_address)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const MIB: u64 = 1024 * 1024;

    #[test]
    fn the_fallback_of_10_000_parts_with_2_kb_urls_fits_its_answer() {
        // 80 GB in 8 MiB parts would need 10,000 URLs of ~2 KB: ~20 MB, past the 16 MiB cap.
        let schedule = schedule_within(10_000 * 8 * MIB, 8 * MIB, 2_000).unwrap();
        let count = schedule.part_count().unwrap();
        assert!(
            count as usize * 2_008 <= URL_RESPONSE_BUDGET,
            "{count} URLs"
        );
        assert!(
            schedule.nominal_part_size() > 8 * MIB,
            "larger parts instead"
        );
        // Few parts keep the configured size.
        let small = schedule_within(100 * MIB, 8 * MIB, 2_000).unwrap();
        assert_eq!(small.nominal_part_size(), 8 * MIB);
    }

    proptest! {
        /// Whatever the size and URL length, every URL fits the budget (or S3's limits say no).
        #[test]
        fn every_url_fits(total in 0u64..5 * 1024 * 1024 * MIB, url in 100usize..20_000) {
            if let Ok(schedule) = schedule_within(total, 8 * MIB, url) {
                let count = schedule.part_count().unwrap() as usize;
                prop_assert!(count * (url + 8) <= URL_RESPONSE_BUDGET.max(url + 8));
                prop_assert!(schedule.nominal_part_size() >= 8 * MIB);
            }
        }
    }
}
