//! `get_opts`: `statObject` with a presigned URL, the conditions checked against its answer,
//! then the bytes straight from the store — ranged GETs of that URL, or the download engine
//! for a whole large object — or through `getObject` where the blockstore cannot presign.

use std::ops::Range;
use std::sync::atomic::Ordering;

use bytes::Bytes;
use chrono::{DateTime, Utc};
use futures_util::stream::{self, BoxStream, StreamExt, TryStreamExt};
use http::header::RANGE;
use http::{Request, StatusCode};
use lakefs_api::{ErrorKind, ObjectsApi};
use lakefs_client::Client;
use lakefs_models::ObjectStats;
use lakefs_transport::HttpTransport;
use object_store::path::Path;
use object_store::{Attributes, GetOptions, GetResult, GetResultPayload, ObjectMeta, Result};

use crate::error::{self, from_api};
use crate::Inner;

/// The metadata `object_store` gives of an object: its checksum as the ETag (without quotes),
/// its staging or commit time as the modification time.
pub(crate) fn meta_of(location: Path, stats: &ObjectStats) -> ObjectMeta {
    ObjectMeta {
        location,
        last_modified: DateTime::<Utc>::from_timestamp(stats.mtime, 0).unwrap_or_default(),
        size: stats
            .size_bytes
            .and_then(|s| u64::try_from(s).ok())
            .unwrap_or(0),
        e_tag: Some(stats.checksum.trim_matches('"').to_owned()),
        version: None,
    }
}

/// `statObject`, with a presigned URL unless the blockstore refused one before.
pub(crate) async fn stat<T: HttpTransport + 'static>(
    inner: &Inner<T>,
    key: &str,
) -> Result<ObjectStats> {
    let presign = !inner.no_presign.load(Ordering::Relaxed);
    let request = inner
        .client
        .stat_object()
        .repository(&inner.repository)
        .reference(&inner.reference)
        .path(key)
        .user_metadata(false);
    match request.clone().presign(presign).send().await {
        // lakeFS answers 400 "operation not supported" where the blockstore cannot presign.
        Err(e) if presign && e.kind() == ErrorKind::BadRequest => {
            inner.no_presign.store(true, Ordering::Relaxed);
            request.send().await.map_err(|e| from_api(key, e))
        }
        other => other.map_err(|e| from_api(key, e)),
    }
}

pub(crate) async fn get<T: HttpTransport + 'static>(
    inner: &Inner<T>,
    location: &Path,
    options: GetOptions,
) -> Result<GetResult> {
    if options.version.is_some() {
        return Err(object_store::Error::NotSupported {
            source: "lakeFS has refs, not object versions: bind a store to a commit".into(),
        });
    }
    let key = location.as_ref().to_owned();
    let stats = stat(inner, &key).await?;
    let meta = meta_of(location.clone(), &stats);
    options.check_preconditions(&meta)?;
    let range = match &options.range {
        Some(range) => range.as_range(meta.size).map_err(error::generic)?,
        None => 0..meta.size,
    };
    let mut attributes = Attributes::new();
    if let Some(content_type) = stats.content_type.clone().filter(|t| !t.is_empty()) {
        attributes.insert(object_store::Attribute::ContentType, content_type.into());
    }
    let payload = if options.head || range.is_empty() {
        stream::empty().boxed()
    } else {
        body(inner, key, &stats, range.clone()).await?
    };
    Ok(GetResult {
        payload: GetResultPayload::Stream(payload),
        meta,
        range,
        attributes,
        extensions: Default::default(),
    })
}

/// The bytes of `range` (not empty) of the object `stats` describes.
async fn body<T: HttpTransport + 'static>(
    inner: &Inner<T>,
    key: String,
    stats: &ObjectStats,
    range: Range<u64>,
) -> Result<BoxStream<'static, Result<Bytes>>> {
    let size = range.end;
    let whole =
        range.start == 0 && Some(size) == stats.size_bytes.and_then(|s| u64::try_from(s).ok());
    let presigned = stats.physical_address.starts_with("http://")
        || stats.physical_address.starts_with("https://");
    if whole && size > inner.config.engine_read {
        // The download engine: parallel ranged GETs pinned to the object's ETag, verified.
        let reader = inner
            .downloader
            .read(&inner.repository, &inner.reference, &key)
            .await
            .map_err(error::generic)?;
        if reader.size() != size {
            return Err(object_store::Error::Precondition {
                path: key,
                source: "the object changed while it was being read".into(),
            });
        }
        return Ok(reader.map_err(error::generic).boxed());
    }
    let chunk = inner.config.range_chunk.max(1);
    let pieces: Vec<Range<u64>> = (range.start..range.end)
        .step_by(usize::try_from(chunk).unwrap_or(usize::MAX))
        .map(|start| start..(start + chunk).min(range.end))
        .collect();
    let client = inner.client.clone();
    if presigned {
        let url = stats.physical_address.clone();
        let etag = stats.checksum.clone();
        Ok(stream::iter(pieces)
            .then(move |piece| {
                let client = client.clone();
                let url = url.clone();
                let etag = etag.clone();
                let key = key.clone();
                async move { presigned_get(&client, &url, &etag, piece, &key).await }
            })
            .boxed())
    } else {
        let repository = inner.repository.clone();
        let reference = inner.reference.clone();
        let etag = stats.checksum.clone();
        Ok(stream::iter(pieces)
            .then(move |piece| {
                let client = client.clone();
                let (repository, reference, key, etag) = (
                    repository.clone(),
                    reference.clone(),
                    key.clone(),
                    etag.clone(),
                );
                async move {
                    let content = client
                        .get_object()
                        .repository(&repository)
                        .reference(&reference)
                        .path(&key)
                        .range(piece.start..=piece.end - 1)
                        .send()
                        .await
                        .map_err(|e| from_api(&key, e))?;
                    check_piece(&key, &piece, content.body, content.etag.as_deref(), &etag)
                }
            })
            .boxed())
    }
}

/// What a ranged GET answered, checked: the object it read is the one stat described, and
/// the bytes are those of `piece`.
fn check_piece(
    key: &str,
    piece: &Range<u64>,
    body: Bytes,
    etag: Option<&str>,
    expected: &str,
) -> Result<Bytes> {
    if let Some(etag) = etag {
        if etag.trim_matches('"') != expected.trim_matches('"') {
            return Err(object_store::Error::Precondition {
                path: key.to_owned(),
                source: "the object changed while it was being read".into(),
            });
        }
    }
    let wanted = usize::try_from(piece.end - piece.start).unwrap_or(usize::MAX);
    if body.len() != wanted {
        return Err(error::message(format!(
            "a ranged read of {key} answered {} bytes for {wanted}",
            body.len()
        )));
    }
    Ok(body)
}

/// One ranged GET of a presigned URL, retried a few
/// times on transport failures and 5xx. The URL (a bearer secret) is never put in an error.
async fn presigned_get<T: HttpTransport>(
    client: &Client<T>,
    url: &str,
    etag: &str,
    piece: Range<u64>,
    key: &str,
) -> Result<Bytes> {
    let mut last = None;
    for attempt in 0..4u32 {
        if attempt > 0 {
            tokio::time::sleep(std::time::Duration::from_millis(100 << attempt)).await;
        }
        let request = Request::get(url)
            .header(RANGE, format!("bytes={}-{}", piece.start, piece.end - 1))
            .body(Bytes::new())
            .map_err(|_| error::message("the presigned URL cannot be requested"))?;
        match client.transport().send(request).await {
            // No `If-Match`: the URL names the object's physical address, which lakeFS never
            // rewrites, and a store's ETag of a server-side copy may differ from lakeFS's
            // checksum.
            Ok(response) if response.status().is_success() => {
                return check_piece(key, &piece, response.into_body(), None, etag);
            }
            Ok(response) if response.status() == StatusCode::PRECONDITION_FAILED => {
                return Err(object_store::Error::Precondition {
                    path: key.to_owned(),
                    source: "the object changed while it was being read".into(),
                })
            }
            Ok(response) if response.status().is_server_error() => {
                last = Some(error::message(format!(
                    "the object store answered {} to a ranged read of {key}",
                    response.status()
                )));
            }
            Ok(response) => {
                return Err(error::message(format!(
                    "the object store answered {} to a ranged read of {key}",
                    response.status()
                )))
            }
            Err(e) => last = Some(error::generic(e)),
        }
    }
    Err(last.unwrap_or_else(|| error::message("ranged read failed")))
}
