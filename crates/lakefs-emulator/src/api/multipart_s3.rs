//! Create, complete, abort and `uploadPartCopy` when the parts live on a real S3 server
//! (feature `s3`). (`uploadPart` only presigns, without calling S3: see `parts.rs`.)

use bytes::Bytes;
use http::{Request, StatusCode};

use super::route::Route;
use super::{empty, fail, Answer, Failure, Query};
use crate::emulator::Emulator;

impl Emulator {
    /// Create, complete, abort and `uploadPartCopy` against the S3 server behind this emulator.
    pub(super) async fn dispatch_s3(
        &self,
        s3: &crate::s3::S3Storage,
        request: &Request<Bytes>,
        route: &Route,
    ) -> Result<Answer, Failure> {
        let query = Query::parse(request);
        let s3_failure =
            |error: crate::s3::S3Error| fail(StatusCode::INTERNAL_SERVER_ERROR, error.to_string());
        let key_of = |address: &str| {
            address
                .strip_prefix(&format!("s3://{}/", s3.bucket_name()))
                .unwrap_or(address)
                .to_owned()
        };
        match route {
            Route::Create { repo, branch } => {
                let new = self.begin_create(repo, branch, &query)?;
                let upload_id = s3.create_upload(&new.key).await.map_err(s3_failure)?;
                let (expiry, now) = {
                    let state = self.lock();
                    (state.part_url_expiry, state.now())
                };
                let urls = (1..=new.parts)
                    .map(|n| s3.presign_part(&new.key, &upload_id, n, expiry, now))
                    .collect();
                Ok(self.finish_create(new, upload_id, urls))
            }
            Route::Complete { repo, branch, id } => {
                let (path, complete) = self.begin_complete(repo, branch, id, &query, request)?;
                let parts: Vec<(u32, String)> = complete
                    .parts
                    .iter()
                    .map(|p| (p.part_number, p.etag.clone()))
                    .collect();
                let (etag, size) = s3
                    .complete(&key_of(&complete.physical_address), id, &parts)
                    .await
                    .map_err(s3_failure)?;
                Ok(
                    self.finish_complete(
                        repo,
                        branch,
                        id,
                        &path,
                        &complete,
                        etag,
                        size,
                        Vec::new(),
                    ),
                )
            }
            Route::Abort { repo, branch, id } => {
                let address = self.begin_abort(repo, branch, id, &query, request)?;
                s3.abort(&key_of(&address), id).await.map_err(s3_failure)?;
                self.lock().uploads.remove(id.as_str());
                Ok(empty(StatusCode::NO_CONTENT))
            }
            Route::UploadPartCopy {
                repo,
                branch,
                id,
                part,
            } => {
                let copy = self.begin_part_copy((repo, branch), part, &query, request)?;
                let key = key_of(&copy.physical_address);
                let number = u16::try_from(copy.number).unwrap_or(1);
                let etag = match &copy.s3_key {
                    Some(source) => s3
                        .upload_part_copy(&key, id, number, source, copy.range.as_deref())
                        .await
                        .map_err(s3_failure)?,
                    // An object the emulator holds in memory: its bytes go up as the part.
                    None => s3
                        .upload_part(&key, id, number, copy.bytes)
                        .await
                        .map_err(s3_failure)?,
                };
                Ok(super::parts::copied(&etag))
            }
            _ => Err(fail(
                StatusCode::INTERNAL_SERVER_ERROR,
                "not an upload operation",
            )),
        }
    }
}
