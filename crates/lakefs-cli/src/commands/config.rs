//! `config`: the settings in effect and where each came from; never the secret.

use serde_json::{json, Value};

use crate::config::{Setting, Settings};
use crate::context::Context;
use crate::errors::CliError;
use crate::output::Render;

/// `config`.
pub(crate) fn run(ctx: &Context) -> Result<Settings, CliError> {
    ctx.settings()
}

impl Render for Settings {
    fn text(&self) -> Vec<String> {
        let show = |name: &str, setting: &Option<Setting>, secret: bool| match setting {
            Some(s) if secret => format!("{name:<18} set (from {})", s.origin),
            Some(s) => format!("{name:<18} {} (from {})", s.value, s.origin),
            None => format!("{name:<18} not set"),
        };
        vec![
            show("endpoint", &self.endpoint, false),
            show("access key id", &self.access_key_id, false),
            show("secret access key", &self.secret_access_key, true),
            match &self.file {
                Some(f) if f.found => format!("{:<18} {}", "config file", f.path.display()),
                Some(f) => format!("{:<18} {} (not found)", "config file", f.path.display()),
                None => format!("{:<18} none", "config file"),
            },
        ]
    }

    fn json(&self) -> Vec<Value> {
        let origin = |s: &Option<Setting>| s.as_ref().map(|s| s.origin.to_string());
        let file = self
            .file
            .as_ref()
            .map(|f| json!({"path": f.path.display().to_string(), "found": f.found}));
        vec![json!({
            "endpoint": {"value": self.endpoint.as_ref().map(|s| &s.value), "from": origin(&self.endpoint)},
            "access_key_id": {"value": self.access_key_id.as_ref().map(|s| &s.value), "from": origin(&self.access_key_id)},
            "secret_access_key": {"set": self.secret_access_key.is_some(), "from": origin(&self.secret_access_key)},
            "config_file": file,
        })]
    }
}
