//! `config`: the settings in effect and where each came from; never the secret.

use serde_json::json;

use crate::config::Setting;
use crate::context::Context;
use crate::errors::{CliError, Exit};

pub(crate) fn run(ctx: &Context) -> Result<Exit, CliError> {
    let settings = ctx.settings()?;
    let origin = |s: &Option<Setting>| s.as_ref().map(|s| s.origin.to_string());
    let file = settings
        .file
        .as_ref()
        .map(|f| json!({"path": f.path.display().to_string(), "found": f.found}));
    if ctx.console.json() {
        ctx.console.json_line(&json!({
            "endpoint": {"value": settings.endpoint.as_ref().map(|s| &s.value), "from": origin(&settings.endpoint)},
            "access_key_id": {"value": settings.access_key_id.as_ref().map(|s| &s.value), "from": origin(&settings.access_key_id)},
            "secret_access_key": {"set": settings.secret_access_key.is_some(), "from": origin(&settings.secret_access_key)},
            "config_file": file,
        }));
        return Ok(Exit::Ok);
    }
    let show = |name: &str, setting: &Option<Setting>, secret: bool| match setting {
        Some(s) if secret => format!("{name:<18} set (from {})", s.origin),
        Some(s) => format!("{name:<18} {} (from {})", s.value, s.origin),
        None => format!("{name:<18} not set"),
    };
    let mut lines = vec![
        show("endpoint", &settings.endpoint, false),
        show("access key id", &settings.access_key_id, false),
        show("secret access key", &settings.secret_access_key, true),
    ];
    lines.push(match &settings.file {
        Some(f) if f.found => format!("{:<18} {}", "config file", f.path.display()),
        Some(f) => format!("{:<18} {} (not found)", "config file", f.path.display()),
        None => format!("{:<18} none", "config file"),
    });
    ctx.console.stdout(&lines.join("\n"));
    Ok(Exit::Ok)
}
