//! `Client.upload`: one object from a file, bytes or a stream, resumable with a checkpoint.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::Arc;

use lakefs_multipart::{Checkpoint, ObjectOptions, UploadConfig, UploadSource, Uploader};
use md5::{Digest as _, Md5};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::client::Client;
use crate::progress::{Reporter, Tally};
use crate::runtime::{self, Waited};
use crate::source::Source;
use crate::{config, convert, errors};

/// An upload's arguments besides its source, concurrency and callback.
pub(crate) struct UploadArgs {
    /// Repository, branch, path.
    pub(crate) target: (String, String, String),
    pub(crate) part_size: Option<u64>,
    pub(crate) checkpoint: Option<PathBuf>,
    pub(crate) content_type: Option<String>,
    pub(crate) metadata: HashMap<String, String>,
}

/// An upload engine with these settings, counting into `tally`.
pub(crate) fn uploader(
    py: Python<'_>,
    client: &Client,
    concurrency: Option<&Bound<'_, PyAny>>,
    part_size: Option<u64>,
    tally: Option<Arc<Tally>>,
) -> PyResult<Uploader<lakefs_transport::HyperTransport>> {
    let concurrency = config::concurrency_or_auto(py, concurrency)?;
    let mut builder = UploadConfig::builder().concurrency(concurrency);
    if let Some(bytes) = part_size {
        builder = builder.part_size(bytes);
    }
    if let Some(tally) = tally {
        builder = builder.on_progress(move |event| tally.upload_event(event));
    }
    let config = builder
        .build()
        .map_err(|error| errors::from_upload(py, &error))?;
    Ok(Uploader::new(client.api(py)?, config))
}

/// `lakefs://repository/branch/path`.
pub(crate) fn uri((repository, branch, path): &(String, String, String)) -> String {
    format!("lakefs://{repository}/{branch}/{path}")
}

/// The checkpoint file: `given`, or a file in it named after the object if it is a directory.
fn checkpoint_file(given: PathBuf, object: &str) -> PathBuf {
    if given.is_dir() {
        let digest = format!("{:x}", Md5::digest(object.as_bytes()));
        given.join(format!("lakefs-upload-{}.json", &digest[..16]))
    } else {
        given
    }
}

/// The checkpoint at `file` if there is one, refused if it records another object.
fn existing_checkpoint(py: Python<'_>, file: &Path, object: &str) -> PyResult<Option<Checkpoint>> {
    if !file.exists() {
        return Ok(None);
    }
    let checkpoint = Checkpoint::load(file).map_err(|error| errors::from_upload(py, &error))?;
    let recorded = uri(&(
        checkpoint.session.repository.clone(),
        checkpoint.session.branch.clone(),
        checkpoint.session.path.clone(),
    ));
    if recorded != object {
        return Err(errors::config(
            py,
            format!(
                "the checkpoint {} records an upload to {recorded}, not {object}: give another \
                 checkpoint path (or a directory)",
                file.display()
            ),
        ));
    }
    Ok(Some(checkpoint))
}

pub(crate) fn upload<'py>(
    client: &Client,
    py: Python<'py>,
    args: UploadArgs,
    source: &Bound<'py, PyAny>,
    concurrency: Option<&Bound<'py, PyAny>>,
    progress: Option<Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyDict>> {
    let object = uri(&args.target);
    let source = Source::from_py(source)?;
    let mut reporter = Reporter::new(progress)?;
    if args.checkpoint.is_some() && !source.is_positional() {
        return Err(errors::config(
            py,
            "checkpoint needs a file path or bytes as the source: a file object or an iterable \
             is read once and cannot be read again to resume",
        ));
    }
    let uploader = uploader(
        py,
        client,
        concurrency,
        args.part_size,
        Some(reporter.tally()),
    )?;
    let checkpoint = args.checkpoint.map(|given| checkpoint_file(given, &object));
    let resume = match &checkpoint {
        Some(file) => existing_checkpoint(py, file, &object)?.is_some(),
        None => false,
    };
    let mut options = ObjectOptions::new();
    if let Some(content_type) = args.content_type {
        options = options.content_type(content_type);
    }
    for (key, value) in args.metadata {
        options = options.metadata(key, value);
    }
    let (engine_source, mut feeder) = match source {
        Source::File(path) => (UploadSource::file(path), None),
        Source::Bytes(bytes) => (UploadSource::bytes(bytes), None),
        Source::Stream(feeder, reader) => (UploadSource::stream(reader), Some(feeder)),
    };
    let (repository, branch, path) = args.target;
    let Waited {
        output,
        interrupted,
    } = runtime::run(
        py,
        |cancel| async move {
            match checkpoint {
                Some(file) if resume => {
                    uploader.resume(file, engine_source).cancel_on(cancel).await
                }
                Some(file) => {
                    uploader
                        .upload(&repository, &branch, &path, engine_source)
                        .options(options)
                        .checkpoint(file)
                        .cancel_on(cancel)
                        .await
                }
                None => {
                    uploader
                        .upload(&repository, &branch, &path, engine_source)
                        .options(options)
                        .cancel_on(cancel)
                        .await
                }
            }
        },
        feeder.as_mut(),
        Some(&mut reporter),
    )?;
    if let Some(error) = interrupted {
        return Err(stopped(py, error, &object, output.err().as_ref()));
    }
    let stats = output.map_err(|error| errors::from_upload(py, &error))?;
    let size = stats
        .size_bytes
        .and_then(|s| u64::try_from(s).ok())
        .unwrap_or(0);
    reporter.finish(py, size)?;
    let tally = reporter.tally();
    let info = stats_dict(py, &stats)?;
    info.set_item(
        "parts",
        tally.parts.load(Ordering::Relaxed) + tally.kept_parts.load(Ordering::Relaxed),
    )?;
    info.set_item("kept_parts", tally.kept_parts.load(Ordering::Relaxed))?;
    info.set_item("part_size", tally.part_size.load(Ordering::Relaxed))?;
    Ok(info)
}

/// The exception for a transfer stopped by `error` (a `KeyboardInterrupt`, or what the source
/// or the callback raised): for Ctrl-C, a `KeyboardInterrupt` saying what became of it.
pub(crate) fn stopped(
    py: Python<'_>,
    error: PyErr,
    object: &str,
    engine: Option<&lakefs_multipart::Error>,
) -> PyErr {
    if !error.is_instance_of::<pyo3::exceptions::PyKeyboardInterrupt>(py) {
        return error;
    }
    let what = match engine {
        Some(engine) => errors::chain(engine),
        None => "it had finished".to_owned(),
    };
    errors::interrupted(format!("upload to {object} interrupted: {what}"))
}

/// An object's stats as a dict.
pub(crate) fn stats_dict<'py>(
    py: Python<'py>,
    stats: &lakefs_client::models::ObjectStats,
) -> PyResult<Bound<'py, PyDict>> {
    let value = serde_json::to_value(stats).map_err(|error| {
        errors::exception(
            py,
            errors::Class::Base,
            format!("cannot read the object's stats: {error}"),
            None,
        )
    })?;
    Ok(convert::to_py(py, &value)?.cast_into::<PyDict>()?)
}
