//! Where the endpoint and credentials come from, highest first: flags, lakectl's environment
//! variables, lakectl's configuration file (`--config FILE`, else `~/.lakectl.yaml`).

use std::fmt;
use std::path::{Path, PathBuf};

use lakefs_experimental::{
    ClientBuilder, Credentials, ExperimentalClient, ENV_ACCESS_KEY_ID, ENV_ENDPOINT,
    ENV_SECRET_ACCESS_KEY,
};

use lakefs_client::lakectl::{LakectlFile, LAKECTL_SHAPE};

use crate::cli::GlobalArgs;
use crate::errors::CliError;

/// Where a setting came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Origin {
    /// A command-line flag.
    Flag(&'static str),
    /// An environment variable.
    Env(&'static str),
    /// A key of the configuration file.
    File(PathBuf, &'static str),
    /// The embedded emulator.
    Emulator,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Flag(flag) => write!(f, "flag {flag}"),
            Self::Env(name) => write!(f, "environment variable {name}"),
            Self::File(path, key) => write!(f, "{} ({key})", path.display()),
            Self::Emulator => f.write_str("--emulator"),
        }
    }
}

/// One setting and where it came from.
#[derive(Clone)]
pub(crate) struct Setting {
    pub(crate) value: String,
    pub(crate) origin: Origin,
}

/// The configuration file that was looked at.
#[derive(Debug, Clone)]
pub(crate) struct ConfigFile {
    pub(crate) path: PathBuf,
    pub(crate) found: bool,
}

/// The settings in effect. `Debug` never shows the secret.
#[derive(Clone, Default)]
pub(crate) struct Settings {
    pub(crate) endpoint: Option<Setting>,
    pub(crate) access_key_id: Option<Setting>,
    pub(crate) secret_access_key: Option<Setting>,
    pub(crate) file: Option<ConfigFile>,
}

fn non_empty(value: Option<String>) -> Option<String> {
    value.filter(|v| !v.trim().is_empty())
}

pub(crate) use lakefs_client::lakectl::home_dir;

impl Settings {
    /// Resolves the settings from the flags, the process's environment and the file.
    pub(crate) fn resolve(global: &GlobalArgs) -> Result<Self, CliError> {
        Self::resolve_with(global, |name| std::env::var(name).ok(), home_dir())
    }

    fn resolve_with(
        global: &GlobalArgs,
        env: impl Fn(&str) -> Option<String>,
        home: Option<PathBuf>,
    ) -> Result<Self, CliError> {
        let (file, contents) = read_file(global.config.as_deref(), home)?;
        let pick = |flag: (&'static str, &Option<String>),
                    var: &'static str,
                    key: &'static str,
                    from_file: Option<String>| {
            if let Some(value) = non_empty(flag.1.clone()) {
                return Some(Setting {
                    value,
                    origin: Origin::Flag(flag.0),
                });
            }
            if let Some(value) = non_empty(env(var)) {
                return Some(Setting {
                    value,
                    origin: Origin::Env(var),
                });
            }
            let path = file.as_ref()?.path.clone();
            non_empty(from_file).map(|value| Setting {
                value,
                origin: Origin::File(path, key),
            })
        };
        let contents = contents.unwrap_or_default();
        Ok(Self {
            endpoint: pick(
                ("--endpoint", &global.endpoint),
                ENV_ENDPOINT,
                "server.endpoint_url",
                contents.endpoint_url,
            ),
            access_key_id: pick(
                ("--access-key-id", &global.access_key_id),
                ENV_ACCESS_KEY_ID,
                "credentials.access_key_id",
                contents.access_key_id,
            ),
            secret_access_key: pick(
                ("--secret-access-key", &global.secret_access_key),
                ENV_SECRET_ACCESS_KEY,
                "credentials.secret_access_key",
                contents.secret_access_key,
            ),
            file,
        })
    }

    /// Settings pointing at an emulator at `url` with its default key.
    pub(crate) fn for_emulator(url: &str) -> Self {
        let emulator = |value: &str| {
            Some(Setting {
                value: value.to_owned(),
                origin: Origin::Emulator,
            })
        };
        Self {
            endpoint: emulator(url),
            access_key_id: emulator(lakefs_emulator::DEFAULT_ACCESS_KEY_ID),
            secret_access_key: emulator(lakefs_emulator::DEFAULT_SECRET_ACCESS_KEY),
            file: None,
        }
    }

    /// Whether anything at all is configured.
    pub(crate) fn is_empty(&self) -> bool {
        self.endpoint.is_none() && self.access_key_id.is_none() && self.secret_access_key.is_none()
    }

    /// A client for these settings.
    pub(crate) fn client(
        &self,
    ) -> Result<ExperimentalClient<lakefs_transport::HyperTransport>, CliError> {
        self.client_builder()?
            .build()
            .map_err(|e| CliError::usage("the configuration cannot make a lakeFS client").source(e))
    }

    fn client_builder(&self) -> Result<ClientBuilder, CliError> {
        let missing: Vec<&str> = [
            (self.endpoint.is_none(), "the endpoint"),
            (self.access_key_id.is_none(), "the access key id"),
            (self.secret_access_key.is_none(), "the secret access key"),
        ]
        .into_iter()
        .filter_map(|(missing, what)| missing.then_some(what))
        .collect();
        let (Some(endpoint), Some(key), Some(secret)) =
            (&self.endpoint, &self.access_key_id, &self.secret_access_key)
        else {
            return Err(CliError::usage(format!(
                "no lakeFS configured: {} missing",
                missing.join(", ")
            ))
            .note(format!(
                "set --endpoint/--access-key-id/--secret-access-key, or {ENV_ENDPOINT}, {ENV_ACCESS_KEY_ID} and {ENV_SECRET_ACCESS_KEY}, or write them to ~/.lakectl.yaml (as `lakectl config` does); or try --emulator"
            )));
        };
        crate::errors::set_endpoint(&endpoint.value);
        Ok(ExperimentalClient::builder()
            .endpoint(endpoint.value.clone())
            .credentials(Credentials::basic(key.value.clone(), secret.value.clone())))
    }
}

impl fmt::Debug for Settings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Settings")
            .field("endpoint", &self.endpoint.as_ref().map(|s| &s.value))
            .field(
                "access_key_id",
                &self.access_key_id.as_ref().map(|s| &s.value),
            )
            .field(
                "secret_access_key",
                &self.secret_access_key.as_ref().map(|_| "<set>"),
            )
            .field("file", &self.file)
            .finish()
    }
}

/// Reads the explicit file (which must exist) or `~/.lakectl.yaml` (which may not).
fn read_file(
    explicit: Option<&Path>,
    home: Option<PathBuf>,
) -> Result<(Option<ConfigFile>, Option<LakectlFile>), CliError> {
    let path = match (explicit, home) {
        (Some(path), _) => path.to_owned(),
        (None, Some(home)) => home.join(".lakectl.yaml"),
        (None, None) => return Ok((None, None)),
    };
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound && explicit.is_none() => {
            return Ok((Some(ConfigFile { path, found: false }), None));
        }
        Err(error) => {
            return Err(CliError::usage(format!(
                "cannot read the configuration file {}",
                path.display()
            ))
            .source(error))
        }
    };
    // An empty file is an empty configuration.
    let contents = LakectlFile::parse(&text).map_err(|why| {
        CliError::usage(format!(
            "the configuration file {} is not valid: {why}",
            path.display()
        ))
        .note(LAKECTL_SHAPE)
    })?;
    Ok((Some(ConfigFile { path, found: true }), Some(contents)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    fn global(args: &[&str]) -> GlobalArgs {
        let mut argv = vec!["lakefs-cli"];
        argv.extend_from_slice(args);
        argv.push("config");
        crate::cli::Cli::parse_from(argv).global
    }

    #[test]
    fn flags_beat_env_beat_file() {
        let dir = std::env::temp_dir().join(format!("lakefs-cli-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join(".lakectl.yaml"),
            "credentials:\n  access_key_id: FILEKEY\n  secret_access_key: FILESECRET\nserver:\n  endpoint_url: http://file:8000\nmetastore:\n  glue: {}\n",
        )
        .unwrap();
        let env = |name: &str| (name == ENV_ACCESS_KEY_ID).then(|| "ENVKEY".to_owned());
        let settings = Settings::resolve_with(
            &global(&["--endpoint", "http://flag"]),
            env,
            Some(dir.clone()),
        )
        .unwrap();
        assert_eq!(settings.endpoint.as_ref().unwrap().value, "http://flag");
        assert_eq!(settings.access_key_id.as_ref().unwrap().value, "ENVKEY");
        let secret = settings.secret_access_key.as_ref().unwrap();
        assert_eq!(secret.value, "FILESECRET");
        assert!(matches!(
            secret.origin,
            Origin::File(_, "credentials.secret_access_key")
        ));
        assert!(!format!("{settings:?}").contains("FILESECRET"));
        // No file at all is fine; a named file that is missing is not.
        let none = Settings::resolve_with(&global(&[]), |_| None, None).unwrap();
        assert!(none.is_empty());
        assert!(Settings::resolve_with(
            &global(&["--config", "/nonexistent/lakectl.yaml"]),
            |_| None,
            None
        )
        .is_err());
        std::fs::remove_dir_all(dir).unwrap();
    }
}
