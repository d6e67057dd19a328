//! The bare loop `bench small-files` compares with: per file, read it, create an upload with
//! one part URL, PUT the bytes, complete — nothing else. It runs in this process, and as a
//! process of its own (`bench bare-loop`, hidden), to compare like with like with
//! `upload --recursive`, which is a process too.

use lakefs_experimental::ExperimentalApi;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use bytes::Bytes;
use futures_util::future::try_join_all;
use lakefs_transport::HttpTransport;

use crate::cli::BareLoopArgs;
use crate::context::{Client, Context};
use crate::errors::{CliError, Exit};
use crate::uri::ObjectUri;

/// `bench bare-loop DIR DEST -c N`.
pub(crate) async fn child(ctx: &Context, args: BareLoopArgs) -> Result<Exit, CliError> {
    let client = ctx.client()?;
    let walk = crate::upload::walk::walk(&args.dir, &crate::glob::Filter::default());
    let files: Vec<(PathBuf, String)> = walk
        .files
        .into_iter()
        .map(|e| (e.path, e.relative))
        .collect();
    run(
        &client,
        &files,
        &args.destination,
        usize::from(args.concurrency),
    )
    .await?;
    Ok(Exit::Ok)
}

/// `concurrency` workers, each taking the next file. Wall seconds.
pub(crate) async fn run(
    client: &Client,
    files: &[(PathBuf, String)],
    prefix: &ObjectUri,
    concurrency: usize,
) -> Result<f64, CliError> {
    let next = AtomicUsize::new(0);
    let started = Instant::now();
    let worker = || async {
        loop {
            let index = next.fetch_add(1, Ordering::Relaxed);
            let Some((path, relative)) = files.get(index) else {
                return Ok::<(), CliError>(());
            };
            let bytes = tokio::fs::read(path).await.map_err(|e| {
                CliError::failure(format!("cannot read {}", path.display())).source(e)
            })?;
            one(client, &prefix.join(relative), Bytes::from(bytes)).await?;
        }
    };
    try_join_all((0..concurrency.max(1)).map(|_| worker())).await?;
    Ok(started.elapsed().as_secs_f64())
}

async fn one(client: &Client, dest: &ObjectUri, bytes: Bytes) -> Result<(), CliError> {
    let fail = |what: &str| CliError::failure(format!("bare loop: {what} {dest} failed"));
    let created = client
        .create_presign_multipart_upload()
        .repository(&dest.repository)
        .branch(&dest.branch)
        .path(&dest.path)
        .parts(1)
        .send()
        .await
        .map_err(|e| fail("create").source(e))?;
    let url = created
        .presigned_urls
        .as_ref()
        .and_then(|urls| urls.first())
        .ok_or_else(|| fail("create (no part URL)"))?;
    let request = http::Request::put(url.as_str())
        .body(bytes)
        .map_err(|e| fail("PUT").source(e))?;
    let response = client
        .transport()
        .send(request)
        .await
        .map_err(|e| fail("PUT").source(e))?;
    let etag = response
        .headers()
        .get(http::header::ETAG)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim_matches('"').to_owned())
        .ok_or_else(|| fail("PUT (no ETag)"))?;
    client
        .complete_presign_multipart_upload()
        .repository(&dest.repository)
        .branch(&dest.branch)
        .path(&dest.path)
        .upload(&created)
        .part(1, etag)
        .send()
        .await
        .map_err(|e| fail("complete").source(e))?;
    Ok(())
}
