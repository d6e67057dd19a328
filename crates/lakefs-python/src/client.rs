//! The `Client` class: settings, the Rust client made from them (again in a forked child),
//! and the transfer methods, each in the module of its topic.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Mutex, PoisonError};

use lakefs_transport::HyperTransport;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyType};

use crate::config::Settings;
use crate::download::ObjectChunks;
use crate::upload::UploadArgs;
use crate::{download, errors, runtime, session, upload};

/// The Rust client over the default transport.
pub(crate) type Api = lakefs_client::Client<HyperTransport>;

/// A lakeFS server and credentials, and fast transfers through presigned URLs: parallel
/// parts, bounded memory, verified downloads, resumable uploads and downloads.
///
/// `Client(host, username, password)` takes what `lakefs_sdk.Configuration` does: `host` with
/// or without `/api/v1`, the access key id and the secret access key. `Client.from_env()`
/// reads lakectl's settings. A client can be shared by threads; after `fork`, the child
/// makes its own connections.
#[pyclass(module = "lakefs_transfer", frozen)]
pub(crate) struct Client {
    settings: Settings,
    /// The Rust client, with the id of the process that made it (its connections are that
    /// process's).
    api: Mutex<Option<(u32, Api)>>,
}

impl Client {
    fn with_settings(py: Python<'_>, settings: Settings) -> PyResult<Self> {
        let client = Self {
            settings,
            api: Mutex::new(None),
        };
        // Made now, so that a bad endpoint is refused here.
        client.api(py)?;
        Ok(client)
    }

    /// The Rust client for this process.
    pub(crate) fn api(&self, py: Python<'_>) -> PyResult<Api> {
        let pid = std::process::id();
        let mut slot = self.api.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some((owner, api)) = slot.as_ref() {
            if *owner == pid {
                return Ok(api.clone());
            }
        }
        let runtime = runtime::runtime()?;
        let _context = runtime.enter();
        let api = self
            .settings
            .builder()
            .build()
            .map_err(|error| errors::from_api(py, &error))?;
        *slot = Some((pid, api.clone()));
        Ok(api)
    }
}

#[pymethods]
impl Client {
    /// A client of the lakeFS at `host` (`http://localhost:8000`, with or without `/api/v1`)
    /// with the access key id `username` and the secret access key `password`.
    ///
    /// Raises `ConfigError` for a host that is not an http(s) URL. Nothing is sent yet.
    #[new]
    #[pyo3(signature = (host, username, password))]
    fn new(py: Python<'_>, host: String, username: String, password: String) -> PyResult<Self> {
        Self::with_settings(py, Settings::new(host, username, password))
    }

    /// A client from lakectl's settings: the variables `LAKECTL_SERVER_ENDPOINT_URL`,
    /// `LAKECTL_CREDENTIALS_ACCESS_KEY_ID` and `LAKECTL_CREDENTIALS_SECRET_ACCESS_KEY`, each
    /// else its key in `~/.lakectl.yaml` (`server.endpoint_url`, `credentials.access_key_id`,
    /// `credentials.secret_access_key`).
    ///
    /// Raises `ConfigError` naming each setting found in neither, and what the file was.
    #[classmethod]
    fn from_env(_class: &Bound<'_, PyType>, py: Python<'_>) -> PyResult<Self> {
        Self::with_settings(py, Settings::from_env(py)?)
    }

    /// The lakeFS API's URL, ending in `/api/v1`.
    #[getter]
    fn host(&self, py: Python<'_>) -> PyResult<String> {
        Ok(self.api(py)?.base_url())
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(format!(
            "Client(host={:?}, username={:?})",
            self.host(py)?,
            self.settings.access_key_id
        ))
    }

    /// Uploads `source` to `path` on `branch` of `repository` and returns the staged object's
    /// stats as a dict (`path`, `physical_address`, `checksum`, `size_bytes`, `mtime`,
    /// `content_type`, `metadata`, and `parts`, `part_size`, `kept_parts`).
    ///
    /// `source`: a path (str or os.PathLike) to a file; bytes (zero-copy), bytearray or
    /// memoryview (copied once); a binary file object with `.read(n)`, or an iterable of
    /// bytes (both of unknown length: streamed). `part_size` in bytes (default 8 MiB; parts
    /// of a stream grow); `concurrency`: an int, `"auto"` or `"auto:N"`. `checkpoint`: a file,
    /// or a directory to keep one in, which makes the upload resumable: an interrupted or
    /// failed upload is kept, and the same call again resumes it (files and bytes only).
    /// `progress(bytes_done, total)` is called on this thread, at most 10 times a second and
    /// once at the end; `total` is None while a stream's size is unknown.
    ///
    /// Ctrl-C stops it: the upload is aborted on lakeFS, or, with a checkpoint, kept for a
    /// resume; then `KeyboardInterrupt` is raised, saying which.
    #[pyo3(
        signature = (repository, branch, path, source, *, part_size=None, concurrency=None, checkpoint=None, content_type=None, metadata=None, progress=None),
        text_signature = "(self, /, repository, branch, path, source, *, part_size=None, concurrency='auto', checkpoint=None, content_type=None, metadata=None, progress=None)"
    )]
    #[allow(clippy::too_many_arguments)] // the Python signature
    fn upload<'py>(
        &self,
        py: Python<'py>,
        repository: String,
        branch: String,
        path: String,
        source: &Bound<'py, PyAny>,
        part_size: Option<u64>,
        concurrency: Option<&Bound<'py, PyAny>>,
        checkpoint: Option<PathBuf>,
        content_type: Option<String>,
        metadata: Option<HashMap<String, String>>,
        progress: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let args = UploadArgs {
            target: (repository, branch, path),
            part_size,
            checkpoint,
            content_type,
            metadata: metadata.unwrap_or_default(),
        };
        upload::upload(self, py, args, source, concurrency, progress)
    }

    /// Downloads the object at `path` of `ref` (a branch, tag or commit) in `repository` to
    /// the file `dest`, and returns what was done as a dict (`path`, `size`, `checksum`,
    /// `part_size`, `parts`, `fetched_parts`, `resumed_bytes`, `route`, `verification`,
    /// `verified`).
    ///
    /// Parts are ranged GETs pinned to the object's version; with `verify` the bytes are
    /// checked against the object's checksum before `dest` is put in place; with `resume` a
    /// partial download left by an earlier run is continued. Ctrl-C keeps the partial file
    /// for a resume, then raises `KeyboardInterrupt`.
    #[pyo3(
        signature = (repository, r#ref, path, dest, *, concurrency=None, verify=true, resume=true, progress=None),
        text_signature = "(self, /, repository, ref, path, dest, *, concurrency='auto', verify=True, resume=True, progress=None)"
    )]
    #[allow(clippy::too_many_arguments)] // the Python signature
    fn download<'py>(
        &self,
        py: Python<'py>,
        repository: String,
        r#ref: String,
        path: String,
        dest: PathBuf,
        concurrency: Option<&Bound<'py, PyAny>>,
        verify: bool,
        resume: bool,
        progress: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let options = download::Options {
            verify,
            resume,
            concurrency,
            progress,
        };
        download::download(self, py, (repository, r#ref, path), dest, options)
    }

    /// The object's bytes as an iterator of `bytes` chunks, in order, `concurrency` parts
    /// fetched ahead (memory stays bounded). `offset` and `length` select a range (a length
    /// past the end stops at the end). Reading the whole object checks it against its
    /// checksum at the end: a mismatch raises `TransferError` instead of the last chunk.
    #[pyo3(
        signature = (repository, r#ref, path, *, offset=0, length=None, concurrency=None),
        text_signature = "(self, /, repository, ref, path, *, offset=0, length=None, concurrency='auto')"
    )]
    #[allow(clippy::too_many_arguments)] // the Python signature
    fn read(
        &self,
        py: Python<'_>,
        repository: String,
        r#ref: String,
        path: String,
        offset: u64,
        length: Option<u64>,
        concurrency: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<ObjectChunks> {
        download::read(
            self,
            py,
            (repository, r#ref, path),
            (offset, length),
            concurrency,
        )
    }

    /// Creates an upload of an object of `size` bytes for several processes to fill, and
    /// returns its session: a plain dict, JSON-able, holding no secret. Send it to workers
    /// (`upload_parts`), then `complete_upload` or `abort_upload` it.
    #[pyo3(signature = (repository, branch, path, size, *, part_size=None))]
    fn begin_upload<'py>(
        &self,
        py: Python<'py>,
        repository: String,
        branch: String,
        path: String,
        size: u64,
        part_size: Option<u64>,
    ) -> PyResult<Bound<'py, PyAny>> {
        session::begin(self, py, (repository, branch, path), size, part_size)
    }

    /// Uploads parts `first_part` to `last_part` (inclusive, 1-based) of `session` from
    /// `source` — a path to the whole object's file (only those parts are read), or the
    /// whole object's bytes — and returns them as a list of dicts for `complete_upload`. A
    /// failure or Ctrl-C aborts nothing: the session stays valid.
    #[pyo3(
        signature = (session, source, first_part, last_part, *, concurrency=None),
        text_signature = "(self, /, session, source, first_part, last_part, *, concurrency='auto')"
    )]
    fn upload_parts<'py>(
        &self,
        py: Python<'py>,
        session: &Bound<'py, PyAny>,
        source: &Bound<'py, PyAny>,
        first_part: u32,
        last_part: u32,
        concurrency: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyList>> {
        session::upload_parts(
            self,
            py,
            session,
            source,
            (first_part, last_part),
            concurrency,
        )
    }

    /// Completes `session` with `parts` (the lists of every worker, in any order; a part
    /// listed twice with the same ETag counts once) and returns the object's stats as
    /// `upload` does. Parts that do not cover the session's plan exactly are refused with a
    /// `ConfigError` naming what is wrong, before any call.
    #[pyo3(signature = (session, parts, *, content_type=None, metadata=None))]
    fn complete_upload<'py>(
        &self,
        py: Python<'py>,
        session: &Bound<'py, PyAny>,
        parts: &Bound<'py, PyAny>,
        content_type: Option<String>,
        metadata: Option<HashMap<String, String>>,
    ) -> PyResult<Bound<'py, PyDict>> {
        session::complete(
            self,
            py,
            session,
            parts,
            content_type,
            metadata.unwrap_or_default(),
        )
    }

    /// Aborts `session`: the object store discards its parts.
    fn abort_upload(&self, py: Python<'_>, session: &Bound<'_, PyAny>) -> PyResult<()> {
        session::abort(self, py, session)
    }
}
