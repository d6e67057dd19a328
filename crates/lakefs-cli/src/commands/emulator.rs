//! `emulator`: serves the emulator on 127.0.0.1 until Ctrl-C, and prints how to use it.

use std::net::SocketAddr;
use std::time::Duration;

use lakefs_emulator::{
    serve_on, EmulatedOperation, Emulator, DEFAULT_ACCESS_KEY_ID, DEFAULT_BRANCH,
    DEFAULT_FEATURE_BRANCH, DEFAULT_REPOSITORY, DEFAULT_SECRET_ACCESS_KEY, DEFAULT_STS_CODE,
    DEFAULT_STS_STATE,
};
use serde_json::{json, Value};

use crate::cli::EmulatorArgs;
use crate::context::Context;
use crate::errors::{CliError, Exit};
use crate::output::Render;

/// `emulator`: serves until the user interrupts (exit code 130).
pub(crate) async fn run(ctx: &Context, args: EmulatorArgs) -> Result<Exit, CliError> {
    let emulator = Emulator::new();
    if let Some(seconds) = args.part_url_expiry {
        emulator.set_part_url_expiry(Duration::from_secs(seconds));
    }
    if args.without_upload_part {
        emulator.set_operation_available(EmulatedOperation::UploadPart, false);
        emulator.set_operation_available(EmulatedOperation::UploadPartCopy, false);
    }
    let address = SocketAddr::from(([127, 0, 0, 1], args.port));
    let running = serve_on(emulator, address).await.map_err(|e| {
        CliError::failure(format!("cannot serve the emulator on {address}")).source(e)
    })?;
    ctx.console.show(&Listening { url: running.url() });
    ctx.interrupt.wait().await;
    running.shutdown().await;
    Ok(Exit::Interrupted)
}

/// Where the emulator listens, and the settings to use it.
struct Listening<'a> {
    url: &'a str,
}

impl Render for Listening<'_> {
    fn text(&self) -> Vec<String> {
        let url = self.url;
        vec![format!(
            "lakeFS emulator listening on {url} (in memory: everything goes when it stops)\n\
             export LAKECTL_SERVER_ENDPOINT_URL={url}\n\
             export LAKECTL_CREDENTIALS_ACCESS_KEY_ID={DEFAULT_ACCESS_KEY_ID}\n\
             export LAKECTL_CREDENTIALS_SECRET_ACCESS_KEY={DEFAULT_SECRET_ACCESS_KEY}\n\
             repository {DEFAULT_REPOSITORY}, branches {DEFAULT_BRANCH} and {DEFAULT_FEATURE_BRANCH}; \
             users admin (the key above) and alice; STS login: --code {DEFAULT_STS_CODE} --state {DEFAULT_STS_STATE}\n\
             Ctrl-C stops"
        )]
    }

    fn json(&self) -> Vec<Value> {
        vec![json!({
            "endpoint": self.url,
            "access_key_id": DEFAULT_ACCESS_KEY_ID,
            "secret_access_key": DEFAULT_SECRET_ACCESS_KEY,
            "repository": DEFAULT_REPOSITORY,
            "branches": [DEFAULT_BRANCH, DEFAULT_FEATURE_BRANCH],
            "sts_code": DEFAULT_STS_CODE,
            "sts_state": DEFAULT_STS_STATE,
        })]
    }
}
