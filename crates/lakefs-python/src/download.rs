//! `Client.download` (to a file: verified, resumable) and `Client.read` (an iterator of the
//! object's chunks, in order, with bounded memory).

use std::sync::{Mutex, PoisonError};

use futures_util::StreamExt as _;
use lakefs_api::ObjectsApi as _;
use lakefs_download::{DownloadConfig, Downloaded, Downloader, ObjectReader};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict};

use crate::client::Client;
use crate::progress::{Reporter, Tally};
use crate::runtime::{self, Waited};
use crate::upload::uri;
use crate::{config, convert, errors};

/// A download's options besides its target.
pub(crate) struct Options<'a, 'py> {
    pub(crate) verify: bool,
    pub(crate) resume: bool,
    pub(crate) concurrency: Option<&'a Bound<'py, PyAny>>,
    pub(crate) progress: Option<Bound<'py, PyAny>>,
}

/// A download engine with these settings.
fn downloader(
    py: Python<'_>,
    client: &Client,
    concurrency: Option<&Bound<'_, PyAny>>,
    verify: bool,
    tally: Option<std::sync::Arc<Tally>>,
) -> PyResult<Downloader<lakefs_transport::HyperTransport>> {
    let concurrency = config::concurrency_or_auto(py, concurrency)?;
    let mut builder = DownloadConfig::builder()
        .concurrency(concurrency)
        .verify(verify);
    if let Some(tally) = tally {
        builder = builder.on_progress(move |event| tally.download_event(event));
    }
    let config = builder
        .build()
        .map_err(|error| errors::from_download(py, &error))?;
    Ok(Downloader::new(client.api(py)?, config))
}

pub(crate) fn download<'py>(
    client: &Client,
    py: Python<'py>,
    target: (String, String, String),
    dest: std::path::PathBuf,
    options: Options<'_, 'py>,
) -> PyResult<Bound<'py, PyDict>> {
    let object = uri(&target);
    let mut reporter = Reporter::new(options.progress)?;
    let downloader = downloader(
        py,
        client,
        options.concurrency,
        options.verify,
        Some(reporter.tally()),
    )?;
    let (repository, reference, path) = target;
    let resume = options.resume;
    let Waited {
        output,
        interrupted,
    } = runtime::run(
        py,
        |cancel| async move {
            downloader
                .download(&repository, &reference, &path, dest)
                .resume(resume)
                .cancel_on(cancel)
                .await
        },
        None,
        Some(&mut reporter),
    )?;
    if let Some(error) = interrupted {
        if !error.is_instance_of::<pyo3::exceptions::PyKeyboardInterrupt>(py) {
            return Err(error);
        }
        let what = match &output {
            Err(engine) => errors::chain(engine),
            Ok(_) => "it had finished".to_owned(),
        };
        return Err(errors::interrupted(format!(
            "download of {object} interrupted: {what}"
        )));
    }
    let done = output.map_err(|error| errors::from_download(py, &error))?;
    reporter.finish(py, done.identity.size)?;
    downloaded_dict(py, &done)
}

/// What a download did, as a dict.
fn downloaded_dict<'py>(py: Python<'py>, done: &Downloaded) -> PyResult<Bound<'py, PyDict>> {
    let info = PyDict::new(py);
    info.set_item("path", &done.path)?;
    info.set_item("size", done.identity.size)?;
    info.set_item("checksum", &done.identity.checksum)?;
    info.set_item("mtime", done.identity.mtime)?;
    info.set_item("part_size", done.part_size)?;
    info.set_item("parts", done.parts)?;
    info.set_item("fetched_parts", done.fetched_parts)?;
    info.set_item("resumed_bytes", done.resumed_bytes)?;
    info.set_item("route", route_name(done.route))?;
    info.set_item("verification", verification_dict(py, &done.verification)?)?;
    info.set_item("verified", done.verification.is_verified())?;
    Ok(info)
}

fn route_name(route: lakefs_download::Route) -> &'static str {
    match route {
        lakefs_download::Route::Presigned => "presigned",
        lakefs_download::Route::LakeFs => "lakefs",
    }
}

/// `{"kind": "md5"}`, `{"kind": "multipart_etag", "layout": {...}}`, `{"kind":
/// "not_verifiable", "reason": ...}` or `{"kind": "skipped"}`, with `text` in words.
fn verification_dict<'py>(
    py: Python<'py>,
    verification: &lakefs_download::Verification,
) -> PyResult<Bound<'py, PyAny>> {
    let mut value = serde_json::to_value(verification)
        .map_err(|error| errors::config(py, format!("cannot write the verification: {error}")))?;
    if let Some(entries) = value.as_object_mut() {
        entries.insert("text".into(), verification.to_string().into());
    }
    convert::to_py(py, &value)
}

pub(crate) fn read(
    client: &Client,
    py: Python<'_>,
    (repository, reference, path): (String, String, String),
    (offset, length): (u64, Option<u64>),
    concurrency: Option<&Bound<'_, PyAny>>,
) -> PyResult<ObjectChunks> {
    let object = uri(&(repository.clone(), reference.clone(), path.clone()));
    let downloader = downloader(py, client, concurrency, true, None)?;
    let api = client.api(py)?;
    let found = runtime::wait(
        py,
        async move {
            if offset == 0 && length.is_none() {
                return downloader
                    .read(&repository, &reference, &path)
                    .await
                    .map_err(Failure::Read);
            }
            let stats = api
                .stat_object()
                .repository(&repository)
                .reference(&reference)
                .path(&path)
                .presign(true)
                .send()
                .await
                .map_err(Failure::Stat)?;
            let size = stats
                .size_bytes
                .and_then(|s| u64::try_from(s).ok())
                .unwrap_or(0);
            let end = length.map_or(size, |length| offset.saturating_add(length).min(size));
            downloader
                .read(&repository, &reference, &path)
                .stats(stats)
                .range(offset..end)
                .await
                .map_err(Failure::Read)
        },
        &format!("read of {object} interrupted"),
    )?;
    let reader = match found {
        Ok(reader) => reader,
        Err(Failure::Read(error)) => return Err(errors::from_download(py, &error)),
        Err(Failure::Stat(error)) => return Err(errors::from_api(py, &error)),
    };
    Ok(ObjectChunks {
        size: reader.size(),
        reader: Mutex::new(Some(reader)),
        verification: Mutex::new(None),
    })
}

/// Why finding an object to read failed.
enum Failure {
    Stat(lakefs_client::Error),
    Read(lakefs_download::Error),
}

/// An object's bytes as an iterator of `bytes` chunks, in order (from `Client.read`).
///
/// Parts are fetched ahead, `concurrency` at most; stopping early (or `close()`) stops the
/// fetches. Ctrl-C while waiting for a chunk stops the read and raises `KeyboardInterrupt`.
#[pyclass(module = "lakefs_transfer")]
pub(crate) struct ObjectChunks {
    size: u64,
    /// `None` once ended, failed or closed.
    reader: Mutex<Option<ObjectReader>>,
    verification: Mutex<Option<lakefs_download::Verification>>,
}

#[pymethods]
impl ObjectChunks {
    fn __iter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __next__<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyBytes>>> {
        let Some(mut reader) = self
            .reader
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
        else {
            return Ok(None);
        };
        let Waited {
            output,
            interrupted,
        } = runtime::run(
            py,
            |cancel| async move {
                let next = tokio::select! {
                    next = reader.next() => Some(next),
                    () = cancel => None,
                };
                (reader, next)
            },
            None,
            None,
        )?;
        let (reader, next) = output;
        if let Some(error) = interrupted {
            return Err(error);
        }
        match next {
            Some(Some(Ok(chunk))) => {
                *self.reader.lock().unwrap_or_else(PoisonError::into_inner) = Some(reader);
                Ok(Some(PyBytes::new(py, &chunk)))
            }
            Some(Some(Err(error))) => Err(errors::from_download(py, &error)),
            Some(None) => {
                *self
                    .verification
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner) = reader.verification().cloned();
                Ok(None)
            }
            None => Err(errors::interrupted("read interrupted")),
        }
    }

    /// How many bytes the iterator gives: the object's size, or the range's length.
    #[getter]
    fn size(&self) -> u64 {
        self.size
    }

    /// What the end of the read proved, as `Client.download`'s `verification` (None before
    /// the end; `{"kind": "skipped"}` for a range).
    #[getter]
    fn verification<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        let verification = self
            .verification
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        verification.map(|v| verification_dict(py, &v)).transpose()
    }

    /// Stops the read: the fetches in flight are dropped.
    fn close(&self) {
        self.reader
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
    }
}
