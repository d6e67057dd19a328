//! `cat lakefs://REPO/REF/PATH`: the object's bytes in order on standard output, fetched
//! `concurrency` parts ahead (memory within `(concurrency + 1) × part size`) and checked
//! against its checksum as they pass. A reader that goes away (`| head`) ends it quietly.

use std::io::ErrorKind as IoErrorKind;

use futures_util::TryStreamExt;
use lakefs_download::{Downloader, ErrorKind, Verification};
use tokio::io::{AsyncWriteExt, BufWriter};

use super::one::base_name;
use super::{failed, DownloadCause, Options};
use crate::cli::CatArgs;
use crate::context::Context;
use crate::errors::{CliError, Exit};

/// How copying to standard output ended.
enum Copied {
    /// Every byte is written and flushed.
    Done,
    /// Reading the object failed (after `written` bytes).
    ReadFailed(lakefs_download::Error),
    /// Standard output failed (a closed pipe, a full disk).
    WriteFailed(std::io::Error),
}

/// `cat`: streams the object to standard output.
pub(crate) async fn run(ctx: &Context, args: CatArgs) -> Result<Exit, CliError> {
    let options = Options::new(
        args.part_size,
        args.concurrency,
        args.no_verify,
        args.require_verified,
        args.upload_part_size,
        super::MAX_HELD_PART_SIZE,
    )?;
    let uri = args.uri;
    base_name(&uri)?;
    let source = uri.to_string();
    let client = ctx.client()?;
    let downloader = Downloader::new(client, options.config(None, None, |_| {})?);
    let mut reader = ctx
        .call("finding the object", async {
            let mut request = downloader.read(&uri.repository, &uri.reference, &uri.path);
            if let Some(bytes) = options.upload_part_size {
                request = request.upload_part_size(bytes);
            }
            request.await.map_err(|e| failed(&source, e, false))
        })
        .await?;
    let mut written = 0u64;
    let mut out = BufWriter::with_capacity(256 * 1024, tokio::io::stdout());
    let copy = async {
        loop {
            match reader.try_next().await {
                Ok(Some(chunk)) => {
                    if let Err(error) = out.write_all(&chunk).await {
                        return Copied::WriteFailed(error);
                    }
                    written += chunk.len() as u64;
                }
                Ok(None) => break,
                Err(error) => {
                    // What came before goes out first: the error is told after the bytes.
                    let _ = out.flush().await;
                    return Copied::ReadFailed(error);
                }
            }
        }
        match out.flush().await {
            Ok(()) => Copied::Done,
            Err(error) => Copied::WriteFailed(error),
        }
    };
    let copied = tokio::select! {
        copied = copy => Some(copied),
        () = ctx.interrupt.wait() => None,
    };
    let Some(copied) = copied else {
        return Err(CliError::interrupted(format!(
            "interrupted after {written} bytes of {source} were written"
        )));
    };
    match copied {
        Copied::Done => {}
        Copied::WriteFailed(error) if error.kind() == IoErrorKind::BrokenPipe => {
            // The reader has all it wanted (`| head`).
            return Ok(Exit::Ok);
        }
        Copied::WriteFailed(error) => {
            return Err(
                CliError::failure(format!("cannot write {source} to standard output"))
                    .source(error),
            );
        }
        Copied::ReadFailed(error) if error.kind() == ErrorKind::ChecksumMismatch => {
            return Err(CliError::failure(format!(
                "the bytes of {source} do not match its checksum"
            ))
            .source(DownloadCause(error))
            .note(format!(
                "the {written} bytes already written to standard output cannot be taken back: discard them"
            )));
        }
        Copied::ReadFailed(error) => {
            let mut error = failed(&source, error, false);
            if written > 0 {
                error = error.note(format!(
                    "{written} bytes were written to standard output before it failed"
                ));
            }
            return Err(error);
        }
    }
    if let Some(Verification::NotVerifiable { reason }) = reader.verification() {
        if options.require_verified {
            return Err(
                CliError::failure(format!("{source} could not be verified: {reason}")).note(
                    format!("its {written} bytes were written to standard output, unproven"),
                ),
            );
        }
        ctx.console
            .warn(&format!("warning: {source} not verified: {reason}"));
    }
    Ok(Exit::Ok)
}
