//! Rust errors as Python exceptions: the class from what failed (lakeFS's answer first, then
//! the engine's kind), the message the error chain joined with ": ", and the HTTP status.
//!
//! The classes are defined in Python (`lakefs_transfer/_errors.py`), so that `ConfigError`
//! can also be a `ValueError`. No message holds a secret: the Rust errors never carry a
//! password, a token or a presigned URL's signature, and these messages are only theirs.

use std::error::Error as StdError;

use lakefs_client::ErrorKind as ApiKind;
use pyo3::exceptions::{PyKeyboardInterrupt, PyRuntimeError};
use pyo3::prelude::*;
use pyo3::types::PyType;

/// The Python exception classes of `lakefs_transfer`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Class {
    /// `LakeFSError`: any other failure.
    Base,
    /// `ConfigError` (also a `ValueError`): settings or arguments; nothing was sent.
    Config,
    /// `AuthenticationError`: lakeFS answered 401 or 403.
    Authentication,
    /// `NotFoundError`: the repository, branch or object does not exist.
    NotFound,
    /// `ConflictError`: 409 or 412, or an object that changed during a download.
    Conflict,
    /// `TransferError`: the data plane — parts, the source, verification, local files.
    Transfer,
}

impl Class {
    fn name(self) -> &'static str {
        match self {
            Self::Base => "LakeFSError",
            Self::Config => "ConfigError",
            Self::Authentication => "AuthenticationError",
            Self::NotFound => "NotFoundError",
            Self::Conflict => "ConflictError",
            Self::Transfer => "TransferError",
        }
    }
}

/// An exception of `class` with `message` and `status`.
pub(crate) fn exception(
    py: Python<'_>,
    class: Class,
    message: impl Into<String>,
    status: Option<u16>,
) -> PyErr {
    let message = message.into();
    let class = py
        .import("lakefs_transfer._errors")
        .and_then(|module| module.getattr(class.name()))
        .and_then(|class| class.cast_into::<PyType>().map_err(PyErr::from));
    match class {
        Ok(class) => PyErr::from_type(class, (message, status)),
        Err(error) => PyRuntimeError::new_err(format!(
            "{message} (lakefs_transfer._errors could not be loaded: {error})"
        )),
    }
}

/// A `ConfigError` for an argument or setting, before anything is sent.
pub(crate) fn config(py: Python<'_>, message: impl Into<String>) -> PyErr {
    exception(py, Class::Config, message, None)
}

/// `error` and its causes, joined with ": " (a cause that repeats its parent's text is
/// printed once).
pub(crate) fn chain(error: &(dyn StdError + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut next = Some(error);
    while let Some(error) = next {
        let text = error.to_string();
        if !text.is_empty() && !parts.iter().any(|part| part.ends_with(&text)) {
            parts.push(text);
        }
        next = error.source();
    }
    parts.join(": ")
}

/// The class for lakeFS's answer to an API call.
fn api_class(error: &lakefs_client::Error) -> Option<Class> {
    match error.kind() {
        ApiKind::Unauthorized | ApiKind::Forbidden | ApiKind::InvalidCredentials => {
            Some(Class::Authentication)
        }
        ApiKind::NotFound => Some(Class::NotFound),
        ApiKind::Conflict => Some(Class::Conflict),
        ApiKind::InvalidArgument
        | ApiKind::InvalidEndpoint
        | ApiKind::MissingConfig
        | ApiKind::TransportConfig => Some(Class::Config),
        _ if error.status().is_some_and(|s| s.as_u16() == 412) => Some(Class::Conflict),
        _ => None,
    }
}

/// A lakeFS API call's error (creating a client, `begin`, `abort`, `statObject`).
pub(crate) fn from_api(py: Python<'_>, error: &lakefs_client::Error) -> PyErr {
    let class = api_class(error).unwrap_or(Class::Base);
    exception(py, class, chain(error), error.status().map(|s| s.as_u16()))
}

/// An upload engine's error.
pub(crate) fn from_upload(py: Python<'_>, error: &lakefs_multipart::Error) -> PyErr {
    use lakefs_multipart::ErrorKind as Kind;
    let by_kind = match error.kind() {
        Kind::InvalidInput | Kind::PartsMismatch => Class::Config,
        Kind::Conflict => Class::Conflict,
        Kind::Create
        | Kind::CreateOutcomeUnknown
        | Kind::Complete
        | Kind::OutcomeUnknown
        | Kind::Cancelled => Class::Base,
        _ => Class::Transfer,
    };
    let class = error.api_error().and_then(api_class).unwrap_or(by_kind);
    exception(py, class, chain(error), error.status().map(|s| s.as_u16()))
}

/// A download engine's error.
pub(crate) fn from_download(py: Python<'_>, error: &lakefs_download::Error) -> PyErr {
    use lakefs_download::ErrorKind as Kind;
    let by_kind = match error.kind() {
        Kind::InvalidArgument => Class::Config,
        Kind::ObjectChanged => Class::Conflict,
        Kind::Api | Kind::Cancelled => Class::Base,
        _ => Class::Transfer,
    };
    let class = error.lakefs_error().and_then(api_class).unwrap_or(by_kind);
    exception(py, class, chain(error), error.status().map(|s| s.as_u16()))
}

/// The `KeyboardInterrupt` to raise once an interrupted transfer has stopped: `what` became
/// of it (the engine's cancellation text, which says whether the upload was aborted or kept).
pub(crate) fn interrupted(what: impl Into<String>) -> PyErr {
    PyKeyboardInterrupt::new_err(what.into())
}
