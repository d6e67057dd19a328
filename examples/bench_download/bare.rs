//! The baseline: a bare loop of ranged GETs of the presigned URL over the same transport,
//! `concurrency` at a time, each body written at its offset into a pre-sized file with
//! `pwrite` — no `If-Match`, no header or length check, no digest, no temporary file, no
//! flush, no rename.

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use lakefs::api::ObjectsApi;
use lakefs::client::Client;
use lakefs::transport::{HttpTransport, HyperTransport};

use crate::Error;

/// Downloads `repository`/`reference`/`path` to `destination` and returns the wall time: one
/// presigned `statObject` (as the engine's), then `concurrency` workers (tokio tasks, as the
/// engine's parts are), each taking the next range.
pub(crate) async fn download(
    client: &Client<HyperTransport>,
    (repository, reference, path): (&str, &str, &str),
    destination: &Path,
    part_size: u64,
    concurrency: usize,
) -> Result<Duration, Error> {
    let started = Instant::now();
    let stats = client
        .stat_object()
        .repository(repository)
        .reference(reference)
        .path(path)
        .presign(true)
        .send()
        .await?;
    let url: http::Uri = stats.physical_address.parse()?;
    let size = u64::try_from(stats.size_bytes.unwrap_or(0))?;
    let file = std::fs::File::create(destination)?;
    file.set_len(size)?;
    let file = Arc::new(file);
    let next = Arc::new(AtomicU64::new(0));
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..concurrency {
        let (client, url, file, next) = (
            client.clone(),
            url.clone(),
            Arc::clone(&file),
            Arc::clone(&next),
        );
        workers.spawn(async move {
            loop {
                let start = next.fetch_add(1, Ordering::Relaxed) * part_size;
                if start >= size {
                    return Ok::<(), String>(());
                }
                let end = (start + part_size).min(size);
                let request = http::Request::get(url.clone())
                    .header(http::header::RANGE, format!("bytes={start}-{}", end - 1))
                    .body(Bytes::new())
                    .map_err(|e| e.to_string())?;
                let response = client
                    .transport()
                    .send(request)
                    .await
                    .map_err(|e| e.to_string())?;
                std::os::unix::fs::FileExt::write_all_at(&*file, response.body(), start)
                    .map_err(|e| e.to_string())?;
            }
        });
    }
    while let Some(done) = workers.join_next().await {
        done??;
    }
    Ok(started.elapsed())
}
