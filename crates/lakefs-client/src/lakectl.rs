//! lakectl's configuration file (`~/.lakectl.yaml`): the endpoint and the credentials, read the
//! way lakectl reads them, so that a machine set up for lakectl works with this SDK as it is.
//!
//! ```
//! use lakefs_client::lakectl::LakectlFile;
//!
//! let file = LakectlFile::parse(
//!     "server:\n  endpoint_url: http://localhost:8000\ncredentials:\n  access_key_id: AKIA…\n",
//! )?;
//! assert_eq!(file.endpoint_url.as_deref(), Some("http://localhost:8000"));
//! assert_eq!(file.secret_access_key, None);
//! # Ok::<(), lakefs_client::lakectl::InvalidLakectlFile>(())
//! ```

use std::fmt;
use std::path::PathBuf;

use serde_yaml_ng::{Mapping, Value};

/// What lakectl's file looks like, for messages about a file that is not valid.
pub const LAKECTL_SHAPE: &str = "lakectl's file reads `server:` with `endpoint_url: URL` below it, and `credentials:` with `access_key_id: ID` and `secret_access_key: SECRET` below it";

/// The keys of lakectl's file that this SDK uses (the rest is ignored). `Debug` never shows
/// the secret.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct LakectlFile {
    /// `server.endpoint_url`.
    pub endpoint_url: Option<String>,
    /// `credentials.access_key_id`.
    pub access_key_id: Option<String>,
    /// `credentials.secret_access_key`.
    pub secret_access_key: Option<String>,
}

impl fmt::Debug for LakectlFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LakectlFile")
            .field("endpoint_url", &self.endpoint_url)
            .field("access_key_id", &self.access_key_id)
            .field(
                "secret_access_key",
                &self.secret_access_key.as_ref().map(|_| "<redacted>"),
            )
            .finish()
    }
}

/// Why a lakectl file could not be read: what is wrong and where, never a value (which may be
/// a secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidLakectlFile(String);

impl fmt::Display for InvalidLakectlFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for InvalidLakectlFile {}

impl LakectlFile {
    /// Reads the keys this SDK uses from the text of lakectl's file. Empty text (or an empty
    /// document) is an empty configuration; keys may be missing. A key of the wrong kind is
    /// named with what was expected and what kind of value it has.
    ///
    /// # Errors
    /// When the text is not YAML, or holds something else where lakectl's sections or keys
    /// are expected.
    pub fn parse(text: &str) -> Result<Self, InvalidLakectlFile> {
        if text.trim().is_empty() {
            return Ok(Self::default());
        }
        let invalid = |why: String| InvalidLakectlFile(why);
        // A syntax error says where, never what the text around it is.
        let root: Value = serde_yaml_ng::from_str(text)
            .map_err(|error| invalid(format!("it is not YAML: {error}")))?;
        let root = match root {
            Value::Null => return Ok(Self::default()),
            Value::Mapping(root) => root,
            other => {
                return Err(invalid(format!(
                    "it holds {} where sections such as `server:` and `credentials:` are expected",
                    kind_of(&other)
                )))
            }
        };
        let section = |name: &str| match root.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Mapping(section)) => Ok(Some(section)),
            Some(other) => Err(invalid(format!(
                "`{name}` must be a section (keys indented below it), not {}",
                kind_of(other)
            ))),
        };
        let text = |section: Option<&Mapping>, name: &str, key: &str| match section
            .and_then(|s| s.get(key))
        {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(text)) => Ok(non_empty(Some(text.clone()))),
            Some(Value::Number(number)) => Ok(Some(number.to_string())),
            Some(Value::Bool(flag)) => Ok(Some(flag.to_string())),
            Some(other) => Err(invalid(format!(
                "`{name}.{key}` must be text, not {}",
                kind_of(other)
            ))),
        };
        let server = section("server")?;
        let credentials = section("credentials")?;
        Ok(Self {
            endpoint_url: text(server, "server", "endpoint_url")?,
            access_key_id: text(credentials, "credentials", "access_key_id")?,
            secret_access_key: text(credentials, "credentials", "secret_access_key")?,
        })
    }

    /// Where lakectl looks for its file: `~/.lakectl.yaml`, if there is a home directory.
    #[must_use]
    pub fn default_path() -> Option<PathBuf> {
        home_dir().map(|home| home.join(".lakectl.yaml"))
    }
}

/// The user's home directory, from `HOME` (or `USERPROFILE` on Windows).
#[must_use]
pub fn home_dir() -> Option<PathBuf> {
    non_empty(std::env::var("HOME").ok())
        .or_else(|| non_empty(std::env::var("USERPROFILE").ok()))
        .map(PathBuf::from)
}

fn non_empty(value: Option<String>) -> Option<String> {
    value.filter(|v| !v.trim().is_empty())
}

/// What kind of YAML value `value` is, in words.
fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "nothing",
        Value::Bool(_) => "true or false",
        Value::Number(_) => "a number",
        Value::String(_) => "text",
        Value::Sequence(_) => "a list",
        Value::Mapping(_) => "a section",
        Value::Tagged(_) => "a tagged value",
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn the_keys_lakectl_writes_are_read() {
        let file = LakectlFile::parse(
            "credentials:\n  access_key_id: AKIAEXAMPLE\n  secret_access_key: s3cr3t\n\
             server:\n  endpoint_url: https://lakefs.example.com\nmetastore:\n  glue: {}\n",
        )
        .unwrap();
        assert_eq!(
            file.endpoint_url.as_deref(),
            Some("https://lakefs.example.com")
        );
        assert_eq!(file.access_key_id.as_deref(), Some("AKIAEXAMPLE"));
        assert_eq!(file.secret_access_key.as_deref(), Some("s3cr3t"));
        assert!(!format!("{file:?}").contains("s3cr3t"));
    }

    #[test]
    fn empty_files_and_missing_or_blank_keys_are_empty() {
        assert_eq!(LakectlFile::parse("").unwrap(), LakectlFile::default());
        assert_eq!(LakectlFile::parse("  \n").unwrap(), LakectlFile::default());
        assert_eq!(LakectlFile::parse("~").unwrap(), LakectlFile::default());
        let file = LakectlFile::parse("server:\n  endpoint_url: ''\ncredentials:\n").unwrap();
        assert_eq!(file, LakectlFile::default());
        // Numbers and flags read as written.
        let file = LakectlFile::parse("credentials:\n  access_key_id: 1234\n").unwrap();
        assert_eq!(file.access_key_id.as_deref(), Some("1234"));
    }

    #[test]
    fn wrong_kinds_are_named_without_their_values() {
        let error = LakectlFile::parse("server: http://x\n").unwrap_err();
        assert_eq!(
            error.to_string(),
            "`server` must be a section (keys indented below it), not text"
        );
        let error =
            LakectlFile::parse("credentials:\n  secret_access_key: [hunter2]\n").unwrap_err();
        assert_eq!(
            error.to_string(),
            "`credentials.secret_access_key` must be text, not a list"
        );
        assert!(!error.to_string().contains("hunter2"));
        let error = LakectlFile::parse("- a\n- b\n").unwrap_err();
        assert!(
            error.to_string().contains("a list where sections"),
            "{error}"
        );
        let error = LakectlFile::parse("server: [\n").unwrap_err();
        assert!(error.to_string().starts_with("it is not YAML"), "{error}");
    }
}
