//! `rm`: one object, or with `--recursive` every object below a path, listed first and then
//! deleted 1,000 per `deleteObjects` call. Deleting more than one object asks first (see
//! `crate::confirm`): without a terminal and without `--yes`, nothing is deleted.

use std::collections::HashSet;

use futures_util::TryStreamExt;
use lakefs_api::models::ObjectError;
use lakefs_api::{BranchesApi, ErrorKind, ObjectsApi, MAX_DELETE_PATHS};
use serde_json::{json, Value};

use crate::cli::RmArgs;
use crate::confirm::confirm;
use crate::context::{Client, Context};
use crate::errors::{CliError, Exit};
use crate::output::Render;
use crate::uri::ObjectUri;

/// `rm`.
pub(crate) async fn run(ctx: &Context, args: RmArgs) -> Result<Exit, CliError> {
    let uri = args.uri;
    if !args.recursive && uri.is_prefix() {
        return Err(CliError::usage(format!(
            "{uri} names a prefix, not an object: add --recursive to delete everything below it"
        )));
    }
    let client = ctx.client()?;
    if !args.recursive {
        return one(ctx, &client, uri).await;
    }
    // deleteObjects reports nothing for a branch that does not exist: make sure it does.
    ctx.call("reading the branch", async {
        client
            .get_branch()
            .repository(&uri.repository)
            .branch(&uri.branch)
            .send()
            .await
            .map_err(|e| CliError::failure(format!("cannot delete below {uri}")).source(e))
    })
    .await?;
    let paths = below(ctx, &client, &uri).await?;
    if paths.is_empty() {
        ctx.console
            .info(&format!("nothing to delete: no object at or below {uri}"));
        return Ok(Exit::Ok);
    }
    if paths.len() > 1 {
        confirm(
            ctx,
            args.yes,
            &format!("delete {} objects at or below {uri}", paths.len()),
        )
        .await?;
    }
    let mut removed = Removed {
        uri: uri.clone(),
        recursive: true,
        deleted: Vec::new(),
        failed: Vec::new(),
    };
    for batch in paths.chunks(MAX_DELETE_PATHS) {
        let answer = ctx
            .call("deleting objects", async {
                client
                    .delete_objects()
                    .repository(&uri.repository)
                    .branch(&uri.branch)
                    .paths(batch.to_vec())
                    .send()
                    .await
                    .map_err(|e| CliError::failure(format!("cannot delete below {uri}")).source(e))
            })
            .await;
        let errors = match answer {
            Ok(answer) => answer.errors,
            Err(error) => {
                // What was deleted so far is said before the error.
                ctx.console.show(&removed);
                return Err(error.note(format!(
                    "{} of the {} objects were deleted before",
                    removed.deleted.len(),
                    paths.len()
                )));
            }
        };
        let failed: HashSet<&str> = errors.iter().filter_map(|e| e.path.as_deref()).collect();
        removed.deleted.extend(
            batch
                .iter()
                .filter(|path| !failed.contains(&path.as_str()))
                .cloned(),
        );
        removed.failed.extend(errors);
    }
    ctx.console.show(&removed);
    if removed.failed.is_empty() {
        return Ok(Exit::Ok);
    }
    for error in &removed.failed {
        ctx.console.warn(&format!(
            "  failed: {}: {} ({})",
            error.path.as_deref().unwrap_or("?"),
            error.message,
            error.status_code
        ));
    }
    Err(CliError::failure(format!(
        "{} of {} objects at or below {uri} were not deleted",
        removed.failed.len(),
        paths.len()
    )))
}

/// Deletes one object, after making sure it is there (lakeFS answers a delete of nothing
/// with success).
async fn one(ctx: &Context, client: &Client, uri: ObjectUri) -> Result<Exit, CliError> {
    ctx.call("reading the object", async {
        client
            .stat_object()
            .repository(&uri.repository)
            .reference(&uri.branch)
            .path(&uri.path)
            .user_metadata(false)
            .send()
            .await
            .map_err(|e| {
                let error = CliError::failure(format!("cannot delete {uri}"));
                if e.kind() == ErrorKind::NotFound {
                    error.note(format!(
                        "to delete everything below it, use `lakefs-cli rm --recursive {uri}`"
                    ))
                } else {
                    error
                }
                .source(e)
            })
    })
    .await?;
    ctx.call("deleting the object", async {
        client
            .delete_object()
            .repository(&uri.repository)
            .branch(&uri.branch)
            .path(&uri.path)
            .send()
            .await
            .map_err(|e| CliError::failure(format!("cannot delete {uri}")).source(e))
    })
    .await?;
    let path = uri.path.clone();
    ctx.console.show(&Removed {
        uri,
        recursive: false,
        deleted: vec![path],
        failed: Vec::new(),
    });
    Ok(Exit::Ok)
}

/// The paths `rm --recursive` deletes: the object at the path itself, if any, and every
/// object below the path as a directory (`path/`, so never `path-other`).
async fn below(ctx: &Context, client: &Client, uri: &ObjectUri) -> Result<Vec<String>, CliError> {
    let mut paths = Vec::new();
    if !uri.is_prefix() {
        let exact = ctx
            .call("reading the object", async {
                match client
                    .stat_object()
                    .repository(&uri.repository)
                    .reference(&uri.branch)
                    .path(&uri.path)
                    .user_metadata(false)
                    .send()
                    .await
                {
                    Ok(_) => Ok(true),
                    Err(e) if e.kind() == ErrorKind::NotFound => Ok(false),
                    Err(e) => Err(CliError::failure(format!("cannot read {uri}")).source(e)),
                }
            })
            .await?;
        if exact {
            paths.push(uri.path.clone());
        }
    }
    let listed: Vec<String> = ctx
        .call("listing the objects to delete", async {
            client
                .list_objects()
                .repository(&uri.repository)
                .reference(&uri.branch)
                .prefix(uri.as_directory())
                .amount(1000)
                .user_metadata(false)
                .into_stream()
                .map_ok(|stats| stats.path)
                .try_collect()
                .await
                .map_err(|e| CliError::failure(format!("cannot list {uri}")).source(e))
        })
        .await?;
    paths.extend(listed);
    Ok(paths)
}

/// What `rm` deleted, and what lakeFS refused.
struct Removed {
    /// What was named: the object, or the path deleted below.
    uri: ObjectUri,
    /// Whether it was `--recursive`.
    recursive: bool,
    /// The paths deleted.
    deleted: Vec<String>,
    /// lakeFS's answer for each path it did not delete.
    failed: Vec<ObjectError>,
}

impl Render for Removed {
    fn text(&self) -> Vec<String> {
        if !self.recursive {
            return vec![format!("deleted {}", self.uri)];
        }
        let total = self.deleted.len() + self.failed.len();
        let objects = if total == 1 { "object" } else { "objects" };
        if self.failed.is_empty() {
            vec![format!(
                "deleted {} {objects} at or below {}",
                self.deleted.len(),
                self.uri
            )]
        } else {
            vec![format!(
                "deleted {} of {total} {objects} at or below {}",
                self.deleted.len(),
                self.uri
            )]
        }
    }

    /// One line per object: `{"deleted": URI}` or `{"failed": URI, "status_code", "message"}`.
    fn json(&self) -> Vec<Value> {
        let at = |path: &str| ObjectUri::new(&self.uri.repository, &self.uri.branch, path);
        let deleted = self
            .deleted
            .iter()
            .map(|path| json!({"deleted": at(path).to_string()}));
        let failed = self.failed.iter().map(|error| {
            json!({
                "failed": at(error.path.as_deref().unwrap_or_default()).to_string(),
                "status_code": error.status_code,
                "message": error.message,
            })
        });
        deleted.chain(failed).collect()
    }

    fn is_confirmation(&self) -> bool {
        true
    }
}
