//! Where a client's endpoint and credentials come from: arguments, or lakectl's environment
//! variables and then its file `~/.lakectl.yaml` (key by key, the variable first, as lakectl
//! and `lakefs-cli` read them); and the `concurrency` argument.

use std::fmt;
use std::path::PathBuf;

use lakefs_client::{
    ClientBuilder, Credentials, ENV_ACCESS_KEY_ID, ENV_ENDPOINT, ENV_SECRET_ACCESS_KEY,
};
use lakefs_multipart::Concurrency;
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyInt, PyString};
use serde_yaml_ng::Value;

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
        let home = ["HOME", "USERPROFILE"]
            .iter()
            .find_map(|name| std::env::var(name).ok().filter(|v| !v.trim().is_empty()))
            .map(PathBuf::from);
        let file = home.map(|home| home.join(".lakectl.yaml"));
        let (yaml, file_state) = match &file {
            None => (
                None,
                "no home directory (HOME) to find ~/.lakectl.yaml in".to_owned(),
            ),
            Some(path) => match std::fs::read_to_string(path) {
                Ok(text) if text.trim().is_empty() => {
                    (None, format!("{} is empty", path.display()))
                }
                Ok(text) => match serde_yaml_ng::from_str::<Value>(&text) {
                    Ok(yaml) => (Some(yaml), format!("{} does not set it", path.display())),
                    // The parser's message says where, never the text around it.
                    Err(error) => {
                        return Err(errors::config(
                            py,
                            format!("{} is not valid YAML: {error}", path.display()),
                        ))
                    }
                },
                Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                    (None, format!("{} does not exist", path.display()))
                }
                Err(error) => (None, format!("{} cannot be read ({error})", path.display())),
            },
        };
        let mut values = Vec::with_capacity(KEYS.len());
        let mut missing = Vec::new();
        for (variable, section, key) in KEYS {
            let from_env = std::env::var(variable)
                .ok()
                .filter(|v| !v.trim().is_empty());
            let from_file = yaml
                .as_ref()
                .and_then(|yaml| file_value(yaml, section, key));
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

/// `section.key` of lakectl's file, as text (a number or a flag as written).
fn file_value(yaml: &Value, section: &str, key: &str) -> Option<String> {
    match yaml.get(section)?.get(key)? {
        Value::String(text) => Some(text.clone()).filter(|t| !t.trim().is_empty()),
        Value::Number(number) => Some(number.to_string()),
        Value::Bool(flag) => Some(flag.to_string()),
        _ => None,
    }
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
