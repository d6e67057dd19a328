//! Listing over `listObjects` (pages of 1,000, `after` as the exclusive offset, `/` as the
//! delimiter) and deleting over `deleteObjects` (1,000 paths a call).

use std::sync::Arc;

use futures_util::stream::{self, BoxStream, StreamExt, TryStreamExt};
use lakefs_api::{ObjectsApi, MAX_DELETE_PATHS};
use lakefs_models::{ObjectStatsList, PathType};
use lakefs_transport::HttpTransport;
use object_store::path::Path;
use object_store::{ListResult, ObjectMeta, Result};

use crate::error::{self, from_api};
use crate::read::meta_of;
use crate::Inner;

/// `object_store`'s prefix as lakeFS's: whole segments, so `a/b` lists below `a/b/`.
fn prefix_of(prefix: Option<&Path>) -> Option<String> {
    prefix
        .map(|p| p.as_ref())
        .filter(|p| !p.is_empty())
        .map(|p| format!("{p}/"))
}

/// One page of `listObjects`.
async fn page<T: HttpTransport + 'static>(
    inner: &Inner<T>,
    prefix: Option<&str>,
    delimiter: Option<&str>,
    after: Option<&str>,
) -> Result<ObjectStatsList> {
    inner
        .client
        .list_objects()
        .repository(&inner.repository)
        .reference(&inner.reference)
        .set_prefix(prefix.map(str::to_owned))
        .set_delimiter(delimiter.map(str::to_owned))
        .set_after(after.map(str::to_owned))
        .amount(1000)
        .user_metadata(false)
        .send()
        .await
        .map_err(|e| from_api(prefix.unwrap_or(""), e))
}

pub(crate) fn list<T: HttpTransport + 'static>(
    inner: Arc<Inner<T>>,
    prefix: Option<&Path>,
    offset: Option<&Path>,
) -> BoxStream<'static, Result<ObjectMeta>> {
    let prefix = prefix_of(prefix);
    let after = offset.map(|o| o.as_ref().to_owned());
    stream::try_unfold(Some(after), move |cursor| {
        let inner = Arc::clone(&inner);
        let prefix = prefix.clone();
        async move {
            let Some(after) = cursor else {
                return Ok::<_, object_store::Error>(None);
            };
            let list = page(&inner, prefix.as_deref(), None, after.as_deref()).await?;
            let metas = list
                .results
                .iter()
                .filter(|s| s.path_type == PathType::Object)
                .map(|s| Ok(meta_of(Path::parse(&s.path)?, s)))
                .collect::<Result<Vec<_>>>()?;
            let next = (list.pagination.has_more && !list.pagination.next_offset.is_empty())
                .then(|| Some(list.pagination.next_offset.clone()));
            Ok(Some((metas, next)))
        }
    })
    .map_ok(|metas| stream::iter(metas.into_iter().map(Ok)))
    .try_flatten()
    .boxed()
}

pub(crate) async fn list_with_delimiter<T: HttpTransport + 'static>(
    inner: &Inner<T>,
    prefix: Option<&Path>,
) -> Result<ListResult> {
    let prefix = prefix_of(prefix);
    let mut after: Option<String> = None;
    let mut result = ListResult {
        common_prefixes: Vec::new(),
        objects: Vec::new(),
        extensions: Default::default(),
    };
    loop {
        let list = page(inner, prefix.as_deref(), Some("/"), after.as_deref()).await?;
        for stats in &list.results {
            if stats.path_type == PathType::CommonPrefix {
                result
                    .common_prefixes
                    .push(Path::parse(stats.path.trim_end_matches('/'))?);
            } else {
                result
                    .objects
                    .push(meta_of(Path::parse(&stats.path)?, stats));
            }
        }
        if !list.pagination.has_more || list.pagination.next_offset.is_empty() {
            return Ok(result);
        }
        after = Some(list.pagination.next_offset.clone());
    }
}

pub(crate) fn delete_stream<T: HttpTransport + 'static>(
    inner: Arc<Inner<T>>,
    locations: BoxStream<'static, Result<Path>>,
) -> BoxStream<'static, Result<Path>> {
    locations
        .chunks(MAX_DELETE_PATHS)
        .then(move |batch| {
            let inner = Arc::clone(&inner);
            async move { delete_batch(&inner, batch).await }
        })
        .flat_map(stream::iter)
        .boxed()
}

/// One `deleteObjects` call for the paths of `batch` (its errors passed on in place).
async fn delete_batch<T: HttpTransport + 'static>(
    inner: &Inner<T>,
    batch: Vec<Result<Path>>,
) -> Vec<Result<Path>> {
    let keys: Vec<String> = batch
        .iter()
        .filter_map(|p| p.as_ref().ok())
        .map(|p| p.as_ref().to_owned())
        .collect();
    if keys.is_empty() {
        return batch;
    }
    let answer = inner
        .client
        .delete_objects()
        .repository(&inner.repository)
        .branch(&inner.reference)
        .paths(keys)
        .send()
        .await;
    match answer {
        Ok(errors) => batch
            .into_iter()
            .map(|item| {
                let path = item?;
                match errors
                    .errors
                    .iter()
                    .find(|e| e.path.as_deref() == Some(path.as_ref()))
                {
                    None => Ok(path),
                    Some(e) if e.status_code == 403 => Err(object_store::Error::PermissionDenied {
                        path: path.to_string(),
                        source: e.message.clone().into(),
                    }),
                    Some(e) => Err(error::message(format!(
                        "lakeFS did not delete {path}: {} {}",
                        e.status_code, e.message
                    ))),
                }
            })
            .collect(),
        Err(e) => {
            let shared = Arc::new(e);
            batch
                .into_iter()
                .map(|item| {
                    let path = item?;
                    Err(error::message(format!(
                        "deleteObjects failed for {path}: {shared}"
                    )))
                })
                .collect()
        }
    }
}
