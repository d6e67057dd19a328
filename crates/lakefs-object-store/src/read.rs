//! `get_opts`: `statObject` with a presigned URL, the conditions checked against its answer,
//! then the bytes of that very version through the download engine — ranged GETs of that URL
//! straight from the store, or `getObject` where the blockstore cannot presign.

use std::ops::Range;
use std::sync::atomic::Ordering;

use bytes::Bytes;
use chrono::{DateTime, Utc};
use futures_util::stream::{self, BoxStream, StreamExt, TryStreamExt};
use lakefs_api::{ErrorKind, ObjectsApi};
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

/// The bytes of `range` (not empty) of the version of the object `stats` describes, through
/// the download engine: no second `statObject`, ranged GETs of the presigned URL (straight
/// from the store, each pinned to the checksum with `If-Match` and its `Content-Range` and
/// length checked, `concurrency` parts at a time, the URL refreshed when it expires), or
/// through `getObject` where the blockstore cannot presign; a whole object is proven against
/// its checksum as it passes.
async fn body<T: HttpTransport + 'static>(
    inner: &Inner<T>,
    key: String,
    stats: &ObjectStats,
    range: Range<u64>,
) -> Result<BoxStream<'static, Result<Bytes>>> {
    let reader = inner
        .downloader
        .read(&inner.repository, &inner.reference, &key)
        .stats(stats.clone())
        .range(range)
        .await
        .map_err(|e| error::from_download(&key, e))?;
    Ok(reader
        .map_err(move |e| error::from_download(&key, e))
        .boxed())
}
