//! Where a client's endpoint and credentials come from: arguments, or lakectl's environment
//! variables and then its file `~/.lakectl.yaml` (key by key, the variable first, as lakectl
//! and `lakefs-cli` read them); and the `concurrency` argument.

use std::fmt;

use lakefs_client::lakectl::{LakectlFile, LAKECTL_SHAPE};
use lakefs_client::{
    ClientBuilder, Credentials, ENV_ACCESS_KEY_ID, ENV_ENDPOINT, ENV_SECRET_ACCESS_KEY,
};
use lakefs_multipart::Concurrency;
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyInt, PyString};

use crate::errors;

/// An endpoint and basic credentials. `Debug` never shows the secret.
#[derive(Clone)]
pub(crate) struct Settings {
    pub(crate) endpoint: String,
    pub(crate) access_key_id: String,
    secret_access_key: String,
}

impl fmt::Debug for Settings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Settings")
            .field("endpoint", &self.endpoint)
            .field("access_key_id", &self.access_key_id)
            .finish_non_exhaustive()
    }
}

/// The three settings: lakectl's variable and its file's key for each.
const KEYS: [(&str, &str, &str); 3] = [
    (ENV_ENDPOINT, "server", "endpoint_url"),
    (ENV_ACCESS_KEY_ID, "credentials", "access_key_id"),
    (ENV_SECRET_ACCESS_KEY, "credentials", "secret_access_key"),
];

impl Settings {
    /// Settings given as arguments.
    pub(crate) fn new(endpoint: String, access_key_id: String, secret_access_key: String) -> Self {
        Self {
            endpoint,
            access_key_id,
            secret_access_key,
        }
    }

    /// lakectl's variables, then `~/.lakectl.yaml`; a `ConfigError` naming each setting found
    /// in neither, and what the file was (missing, unreadable, invalid).
    pub(crate) fn from_env(py: Python<'_>) -> PyResult<Self> {
        let (file, file_state) = match LakectlFile::default_path() {
            None => (
                LakectlFile::default(),
                "no home directory (HOME) to find ~/.lakectl.yaml in".to_owned(),
            ),
            Some(path) => match std::fs::read_to_string(&path) {
                Ok(text) => match LakectlFile::parse(&text) {
                    Ok(file) if text.trim().is_empty() => {
                        (file, format!("{} is empty", path.display()))
                    }
                    Ok(file) => (file, format!("{} does not set it", path.display())),
                    Err(why) => {
                        return Err(errors::config(
                            py,
                            format!("{} is not valid: {why} ({LAKECTL_SHAPE})", path.display()),
                        ))
                    }
                },
                Err(error) if error.kind() == std::io::ErrorKind::NotFound => (
                    LakectlFile::default(),
                    format!("{} does not exist", path.display()),
                ),
                Err(error) => (
                    LakectlFile::default(),
                    format!("{} cannot be read ({error})", path.display()),
                ),
            },
        };
        let from_file = [
            file.endpoint_url,
            file.access_key_id,
            file.secret_access_key,
        ];
        let mut values = Vec::with_capacity(KEYS.len());
        let mut missing = Vec::new();
        for ((variable, section, key), from_file) in KEYS.into_iter().zip(from_file) {
            let from_env = std::env::var(variable)
                .ok()
                .filter(|v| !v.trim().is_empty());
            match from_env.or(from_file) {
                Some(value) => values.push(value),
                None => missing.push(format!("{variable} (or {section}.{key})")),
            }
        }
        if !missing.is_empty() {
            return Err(errors::config(
                py,
                format!(
                    "lakeFS settings not found: {} not set in the environment, and {file_state}",
                    missing.join(", ")
                ),
            ));
        }
        let [endpoint, access_key_id, secret_access_key]: [String; 3] = values
            .try_into()
            .map_err(|_| errors::config(py, "lakeFS settings incomplete"))?;
        Ok(Self::new(endpoint, access_key_id, secret_access_key))
    }

    /// A client builder with these settings.
    pub(crate) fn builder(&self) -> ClientBuilder {
        lakefs_client::Client::builder()
            .endpoint(self.endpoint.clone())
            .credentials(Credentials::basic(
                self.access_key_id.clone(),
                self.secret_access_key.clone(),
            ))
            .user_agent(concat!(
                "lakefs-transfer-python/",
                env!("CARGO_PKG_VERSION")
            ))
    }
}

/// The `concurrency` argument if given, else `"auto"`.
pub(crate) fn concurrency_or_auto(
    py: Python<'_>,
    value: Option<&Bound<'_, PyAny>>,
) -> PyResult<Concurrency> {
    value.map_or_else(|| Ok(Concurrency::auto()), |value| concurrency(py, value))
}

/// The `concurrency` argument: a number of parts, `"auto"` or `"auto:N"`. Refused before any
/// call, naming what was given.
pub(crate) fn concurrency(py: Python<'_>, value: &Bound<'_, PyAny>) -> PyResult<Concurrency> {
    let text = if value.is_instance_of::<PyBool>() {
        None
    } else if value.is_instance_of::<PyInt>() {
        Some(value.str()?.to_string())
    } else if value.is_instance_of::<PyString>() {
        Some(value.extract::<String>()?)
    } else {
        None
    };
    let Some(text) = text else {
        return Err(PyTypeError::new_err(format!(
            "concurrency must be an int, \"auto\" or \"auto:N\"; not {}",
            value.get_type().name()?
        )));
    };
    text.parse::<Concurrency>()
        .map_err(|error| errors::config(py, error.to_string()))
}
