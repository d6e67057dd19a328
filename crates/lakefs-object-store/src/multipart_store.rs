//! [`MultipartStore`] over lakeFS's presigned multipart upload: create
//! (`createPresignMultipartUpload`), a part (`uploadPart` signs its URL, the bytes go straight
//! to the store), complete and abort — by an id that any process can use.

use async_trait::async_trait;
use bytes::Bytes;
use http::header::ETAG;
use http::Request;
use lakefs_experimental::ExperimentalApi;
use lakefs_transport::HttpTransport;
use object_store::multipart::{MultipartStore, PartId};
use object_store::path::Path;
use object_store::{MultipartId, PutPayload, PutResult, Result};

use crate::error::{self, from_api};
use crate::write::upload_object;
use crate::LakeFsStore;

/// How a [`MultipartId`] of this store starts: `lakefs-pmpu:` + the storage's upload id + a
/// newline + the physical address lakeFS signed for the upload (needed to sign parts,
/// complete and abort). It holds no presigned URL.
pub const MULTIPART_ID_PREFIX: &str = "lakefs-pmpu:";

fn split_id(id: &str) -> Result<(&str, &str)> {
    id.strip_prefix(MULTIPART_ID_PREFIX)
        .and_then(|rest| rest.split_once('\n'))
        .ok_or_else(|| error::message("not a multipart id of a lakeFS store"))
}

#[async_trait]
impl<T: HttpTransport + 'static> MultipartStore for LakeFsStore<T> {
    async fn create_multipart(&self, path: &Path) -> Result<MultipartId> {
        let inner = &self.inner;
        let upload = inner
            .client
            .create_presign_multipart_upload()
            .repository(&inner.repository)
            .branch(&inner.reference)
            .path(path.as_ref())
            .send()
            .await
            .map_err(|e| from_api(path.as_ref(), e))?;
        Ok(format!(
            "{MULTIPART_ID_PREFIX}{}\n{}",
            upload.upload_id, upload.physical_address
        ))
    }

    async fn put_part(
        &self,
        path: &Path,
        id: &MultipartId,
        part_idx: usize,
        data: PutPayload,
    ) -> Result<PartId> {
        let inner = &self.inner;
        let (upload_id, physical_address) = split_id(id)?;
        let part_number =
            u32::try_from(part_idx + 1).map_err(|_| error::message("part index out of range"))?;
        let body = Bytes::from(data);
        let mut last = None;
        for attempt in 0..4u32 {
            if attempt > 0 {
                tokio::time::sleep(std::time::Duration::from_millis(100 << attempt)).await;
            }
            // A fresh URL each attempt (cheap: lakeFS only signs).
            let url = inner
                .client
                .upload_part()
                .repository(&inner.repository)
                .branch(&inner.reference)
                .path(path.as_ref())
                .upload_id(upload_id)
                .physical_address(physical_address)
                .part_number(part_number)
                .send()
                .await
                .map_err(|e| from_api(path.as_ref(), e))?
                .presigned_url;
            let request = Request::put(url.as_str())
                .body(body.clone())
                .map_err(|_| error::message("the part URL cannot be requested"))?;
            match inner.client.transport().send(request).await {
                Ok(response) if response.status().is_success() => {
                    let etag = response
                        .headers()
                        .get(ETAG)
                        .and_then(|v| v.to_str().ok())
                        .map(|v| v.trim_matches('"').to_owned())
                        .ok_or_else(|| {
                            error::message("the store answered a part without an ETag")
                        })?;
                    return Ok(PartId { content_id: etag });
                }
                Ok(response) if response.status().is_server_error() => {
                    last = Some(error::message(format!(
                        "the object store answered {} to part {part_number} of {path}",
                        response.status()
                    )));
                }
                Ok(response) => {
                    return Err(error::message(format!(
                        "the object store answered {} to part {part_number} of {path}",
                        response.status()
                    )))
                }
                Err(e) => last = Some(error::generic(e)),
            }
        }
        Err(last.unwrap_or_else(|| error::message("part upload failed")))
    }

    async fn complete_multipart(
        &self,
        path: &Path,
        id: &MultipartId,
        parts: Vec<PartId>,
    ) -> Result<PutResult> {
        let inner = &self.inner;
        if parts.is_empty() {
            // No multipart upload holds an empty object: abort it, write the empty object.
            self.abort_multipart(path, id).await?;
            return upload_object(inner, path.as_ref(), Bytes::new(), false).await;
        }
        let (upload_id, physical_address) = split_id(id)?;
        let mut request = inner
            .client
            .complete_presign_multipart_upload()
            .repository(&inner.repository)
            .branch(&inner.reference)
            .path(path.as_ref())
            .upload_id(upload_id)
            .physical_address(physical_address);
        for (index, part) in parts.iter().enumerate() {
            let number = u32::try_from(index + 1).map_err(|_| error::message("too many parts"))?;
            request = request.part(number, part.content_id.clone());
        }
        let stats = request
            .send()
            .await
            .map_err(|e| from_api(path.as_ref(), e))?;
        Ok(PutResult {
            e_tag: Some(stats.checksum.trim_matches('"').to_owned()),
            version: None,
            extensions: Default::default(),
        })
    }

    async fn abort_multipart(&self, path: &Path, id: &MultipartId) -> Result<()> {
        let inner = &self.inner;
        let (upload_id, physical_address) = split_id(id)?;
        inner
            .client
            .abort_presign_multipart_upload()
            .repository(&inner.repository)
            .branch(&inner.reference)
            .path(path.as_ref())
            .upload_id(upload_id)
            .physical_address(physical_address)
            .send()
            .await
            .map_err(|e| from_api(path.as_ref(), e))
    }
}
