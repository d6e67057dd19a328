//! `ls` and `stat`: objects at a ref, as lakectl's `fs ls` and `fs stat` show them.

use std::pin::pin;

use futures_util::{Stream, TryStreamExt};
use lakefs_api::models::{ObjectStats, PathType};
use lakefs_api::ObjectsApi;
use serde_json::{json, Value};

use crate::cli::{LsArgs, StatArgs};
use crate::context::Context;
use crate::errors::{CliError, Exit};
use crate::output::Render;
use crate::units::{human_size, utc_time};
use crate::uri::PathUri;

/// Items shown at once by a listing that prints as it goes (lakeFS's largest page).
pub(crate) const PAGE: usize = 1000;

/// Shows the items of `stream` as they come, [`PAGE`] at a time, each page rendered by
/// `page`; returns how many there were. Every wait for the next item is interruptible.
pub(crate) async fn show_stream<T, E, R>(
    ctx: &Context,
    doing: &str,
    stream: impl Stream<Item = Result<T, E>>,
    failed: impl Fn(E) -> CliError,
    page: impl Fn(Vec<T>) -> R,
) -> Result<usize, CliError>
where
    R: Render,
{
    let mut stream = pin!(stream);
    let mut items = Vec::new();
    let mut count = 0;
    loop {
        let next = ctx
            .call(doing, async { stream.try_next().await.map_err(&failed) })
            .await?;
        let end = next.is_none();
        if let Some(item) = next {
            items.push(item);
            count += 1;
        }
        if items.len() == PAGE || (end && !items.is_empty()) {
            ctx.console.show(&page(std::mem::take(&mut items)));
        }
        if end {
            return Ok(count);
        }
    }
}

/// `ls`: one level below the prefix (objects and common prefixes, paths shown below the
/// prefix's last `/`, as lakectl does), or with `--recursive` every object with its full path.
pub(crate) async fn ls(ctx: &Context, args: LsArgs) -> Result<Exit, CliError> {
    let client = ctx.client()?;
    let uri = args.uri;
    let trim = if args.recursive {
        0
    } else {
        uri.path.rfind('/').map_or(0, |slash| slash + 1)
    };
    let stream = client
        .list_objects()
        .repository(&uri.repository)
        .reference(&uri.reference)
        .prefix(&uri.path)
        .set_delimiter((!args.recursive).then(|| "/".to_owned()))
        .amount(PAGE as i32)
        .into_stream();
    let shown = show_stream(
        ctx,
        "listing objects",
        stream,
        |e| CliError::failure(format!("cannot list {uri}")).source(e),
        |entries| Listing { entries, trim },
    )
    .await?;
    if shown == 0 {
        ctx.console.info(&format!("nothing under {uri}"));
    }
    Ok(Exit::Ok)
}

/// A page of `ls`.
struct Listing {
    /// Objects and common prefixes, in path order.
    entries: Vec<ObjectStats>,
    /// How many bytes of each path not to show (the prefix up to its last `/`).
    trim: usize,
}

impl Render for Listing {
    fn text(&self) -> Vec<String> {
        self.entries
            .iter()
            .map(|entry| {
                let path = entry.path.get(self.trim..).unwrap_or(&entry.path);
                if entry.path_type == PathType::CommonPrefix {
                    format!("{:<13}  {:<23}  {:>10}  {path}", "common_prefix", "", "")
                } else {
                    format!(
                        "{:<13}  {:<23}  {:>10}  {path}",
                        "object",
                        utc_time(entry.mtime),
                        entry.size_bytes.map_or_else(String::new, size)
                    )
                }
            })
            .collect()
    }

    /// Each entry as lakeFS describes it, full path included.
    fn json(&self) -> Vec<Value> {
        self.entries.iter().map(stats_json).collect()
    }
}

/// A size in bytes as a person reads it.
fn size(bytes: i64) -> String {
    human_size(u64::try_from(bytes).unwrap_or(0))
}

/// An object's stats as lakeFS describes them.
pub(crate) fn stats_json(stats: &ObjectStats) -> Value {
    serde_json::to_value(stats).unwrap_or_else(|_| json!({"path": stats.path}))
}

/// `stat`: one object's stats.
pub(crate) async fn stat(ctx: &Context, args: StatArgs) -> Result<ObjectStat, CliError> {
    let uri = args.uri;
    if uri.path.is_empty() || uri.path.ends_with('/') {
        return Err(CliError::usage(format!(
            "{uri} names a prefix, not an object: expected lakefs://REPOSITORY/REF/PATH"
        ))
        .note(format!("`lakefs-cli ls {uri}` lists what is below it")));
    }
    let client = ctx.client()?;
    let stats = ctx
        .call("reading the object's stats", async {
            client
                .stat_object()
                .repository(&uri.repository)
                .reference(&uri.reference)
                .path(&uri.path)
                .send()
                .await
                .map_err(|e| {
                    not_found_note(CliError::failure(format!("cannot stat {uri}")), &e, &uri)
                        .source(e)
                })
        })
        .await?;
    Ok(ObjectStat { stats })
}

/// After a 404, where to look.
fn not_found_note(error: CliError, cause: &lakefs_api::Error, uri: &PathUri) -> CliError {
    if cause.kind() != lakefs_api::ErrorKind::NotFound {
        return error;
    }
    let parent = uri.path.rfind('/').map_or("", |slash| &uri.path[..=slash]);
    error.note(format!(
        "`lakefs-cli ls {}` lists what is there",
        uri.with_path(parent)
    ))
}

/// What `stat` found.
pub(crate) struct ObjectStat {
    /// As lakeFS answered them.
    stats: ObjectStats,
}

impl Render for ObjectStat {
    fn text(&self) -> Vec<String> {
        let stats = &self.stats;
        let mut lines = vec![
            format!("path:              {}", stats.path),
            format!("modified:          {}", utc_time(stats.mtime)),
        ];
        if let Some(bytes) = stats.size_bytes {
            lines.push(format!(
                "size:              {} ({bytes} bytes)",
                size(bytes)
            ));
        }
        lines.push(format!("checksum:          {}", stats.checksum));
        if let Some(content_type) = &stats.content_type {
            lines.push(format!("content type:      {content_type}"));
        }
        lines.push(format!("physical address:  {}", stats.physical_address));
        if let Some(expiry) = stats.physical_address_expiry.filter(|e| *e > 0) {
            lines.push(format!("address expires:   {}", utc_time(expiry)));
        }
        match stats.metadata.as_ref().filter(|m| !m.is_empty()) {
            Some(metadata) => {
                lines.push("metadata:".into());
                lines.extend(metadata.iter().map(|(k, v)| format!("  {k} = {v}")));
            }
            None => lines.push("metadata:          (none)".into()),
        }
        lines
    }

    fn json(&self) -> Vec<Value> {
        vec![stats_json(&self.stats)]
    }
}
