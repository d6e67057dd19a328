//! One object from many processes: `begin_upload` makes a session (a plain dict), workers
//! `upload_parts` of it, and one process `complete_upload`s with every worker's parts (or
//! `abort_upload`s).

use std::collections::{BTreeMap, HashMap};

use lakefs_multipart::{ObjectOptions, StoredPart, UploadSession, UploadSource};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};

use crate::client::Client;
use crate::runtime::wait;
use crate::source::{data, path};
use crate::upload::{stats_dict, uploader};
use crate::{convert, errors};

/// `session` (a dict as `begin_upload` returns, or its JSON text) as the engine's session.
fn session_of(py: Python<'_>, session: &Bound<'_, PyAny>) -> PyResult<UploadSession> {
    let parsed = match session.extract::<String>() {
        Ok(text) => serde_json::from_str(&text),
        Err(_) => serde_json::from_value(convert::from_py(session, "session")?),
    };
    parsed.map_err(|error| {
        errors::config(
            py,
            format!("session is not an upload session from begin_upload: {error}"),
        )
    })
}

pub(crate) fn begin<'py>(
    client: &Client,
    py: Python<'py>,
    (repository, branch, path): (String, String, String),
    size: u64,
    part_size: Option<u64>,
) -> PyResult<Bound<'py, PyAny>> {
    let uploader = uploader(py, client, None, part_size, None)?;
    let session = wait(
        py,
        async move { uploader.begin(&repository, &branch, &path, size).await },
        "begin_upload interrupted: an upload may have been created; nothing records it",
    )?
    .map_err(|error| errors::from_upload(py, &error))?;
    let value = serde_json::to_value(&session)
        .map_err(|error| errors::config(py, format!("cannot write the session: {error}")))?;
    convert::to_py(py, &value)
}

pub(crate) fn upload_parts<'py>(
    client: &Client,
    py: Python<'py>,
    session: &Bound<'py, PyAny>,
    source: &Bound<'py, PyAny>,
    (first, last): (u32, u32),
    concurrency: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyList>> {
    let session = session_of(py, session)?;
    if first == 0 || last < first {
        return Err(errors::config(
            py,
            format!(
                "parts {first} to {last} are not a range of part numbers (1-based, first ≤ last)"
            ),
        ));
    }
    let source = if let Some(bytes) = data(source)? {
        UploadSource::bytes(bytes)
    } else if let Some(file) = path(source)? {
        UploadSource::file(file)
    } else {
        return Err(pyo3::exceptions::PyTypeError::new_err(format!(
            "upload_parts reads its parts at their offsets: source must be a path to the whole \
             object's file or the whole object's bytes, not {}",
            source.get_type().name()?
        )));
    };
    let uploader = uploader(py, client, concurrency, None, None)?;
    let parts = wait(
        py,
        async move { uploader.upload_parts(&session, first..=last, source).await },
        "upload_parts interrupted: the parts stored so far stay, and the session is still valid",
    )?
    .map_err(|error| errors::from_upload(py, &error))?;
    let value = serde_json::to_value(&parts)
        .map_err(|error| errors::config(py, format!("cannot write the parts: {error}")))?;
    Ok(convert::to_py(py, &value)?.cast_into::<PyList>()?)
}

/// The parts of every worker, each part number once: a repeat with the same ETag and size is
/// dropped, one that differs is refused.
fn merge_parts(py: Python<'_>, parts: &Bound<'_, PyAny>) -> PyResult<Vec<StoredPart>> {
    let mut merged: BTreeMap<u32, StoredPart> = BTreeMap::new();
    for (index, item) in parts.try_iter()?.enumerate() {
        let value = convert::from_py(&item?, "parts")?;
        let part: StoredPart = serde_json::from_value(value).map_err(|error| {
            errors::config(
                py,
                format!("parts[{index}] is not a part from upload_parts: {error}"),
            )
        })?;
        match merged.get(&part.part_number) {
            Some(seen) if seen.etag == part.etag && seen.size == part.size => {}
            Some(seen) => {
                return Err(errors::config(
                    py,
                    format!(
                        "part {} is listed twice with different contents (ETag {:?}, {} bytes and \
                         ETag {:?}, {} bytes): give each part once",
                        part.part_number, seen.etag, seen.size, part.etag, part.size
                    ),
                ))
            }
            None => {
                merged.insert(part.part_number, part);
            }
        }
    }
    Ok(merged.into_values().collect())
}

pub(crate) fn complete<'py>(
    client: &Client,
    py: Python<'py>,
    session: &Bound<'py, PyAny>,
    parts: &Bound<'py, PyAny>,
    content_type: Option<String>,
    metadata: HashMap<String, String>,
) -> PyResult<Bound<'py, PyDict>> {
    let session = session_of(py, session)?;
    let parts = merge_parts(py, parts)?;
    let mut options = ObjectOptions::new();
    if let Some(content_type) = content_type {
        options = options.content_type(content_type);
    }
    for (key, value) in metadata {
        options = options.metadata(key, value);
    }
    let count = parts.len();
    let uploader = uploader(py, client, None, None, None)?;
    let stats = wait(
        py,
        async move { uploader.complete(&session, parts, &options).await },
        "complete_upload interrupted: whether the object was staged is unknown; look at it",
    )?
    .map_err(|error| errors::from_upload(py, &error))?;
    let info = stats_dict(py, &stats)?;
    info.set_item("parts", count)?;
    Ok(info)
}

pub(crate) fn abort(client: &Client, py: Python<'_>, session: &Bound<'_, PyAny>) -> PyResult<()> {
    let session = session_of(py, session)?;
    let uploader = uploader(py, client, None, None, None)?;
    wait(
        py,
        async move { uploader.abort(&session).await },
        "abort_upload interrupted: the upload may still exist",
    )?
    .map_err(|error| errors::from_api(py, &error))
}
