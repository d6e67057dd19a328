//! `emulator`: serves the emulator on 127.0.0.1 until Ctrl-C, and prints how to use it.

use std::net::SocketAddr;
use std::time::Duration;

use lakefs_emulator::{
    serve_on, EmulatedOperation, Emulator, S3Storage, DEFAULT_ACCESS_KEY_ID, DEFAULT_BRANCH,
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
    let s3 = match &args.s3_endpoint {
        Some(endpoint) => Some(use_s3(&emulator, &args, endpoint).await?),
        None => None,
    };
    let address = SocketAddr::from(([127, 0, 0, 1], args.port));
    let running = serve_on(emulator, address).await.map_err(|e| {
        CliError::failure(format!("cannot serve the emulator on {address}")).source(e)
    })?;
    ctx.console.show(&Listening {
        url: running.url(),
        s3: s3.as_ref(),
    });
    ctx.interrupt.wait().await;
    running.shutdown().await;
    Ok(Exit::Interrupted)
}

/// The variable `--s3-secret-access-key` defaults to.
const ENV_S3_SECRET: &str = "LAKEFS_EMULATOR_S3_SECRET_ACCESS_KEY";

/// Where objects go with `--s3-endpoint`: the endpoint and the bucket (never the secret).
struct S3Place {
    endpoint: String,
    bucket: String,
}

/// `--s3-endpoint …`: objects on that S3-compatible server, in the bucket (created if
/// missing).
async fn use_s3(
    emulator: &Emulator,
    args: &EmulatorArgs,
    endpoint: &str,
) -> Result<S3Place, CliError> {
    let (Some(bucket), Some(key)) = (&args.s3_bucket, &args.s3_access_key_id) else {
        return Err(CliError::usage(
            "--s3-endpoint needs --s3-bucket and --s3-access-key-id",
        ));
    };
    let secret = match &args.s3_secret_access_key {
        Some(secret) => secret.clone(),
        None => std::env::var(ENV_S3_SECRET).map_err(|_| {
            CliError::usage(format!(
                "--s3-endpoint needs the secret key: set {ENV_S3_SECRET} (or --s3-secret-access-key)"
            ))
        })?,
    };
    let storage = S3Storage::new(endpoint, bucket, &args.s3_region, key, &secret)
        .map_err(|e| CliError::usage("invalid --s3-* settings").source(e))?;
    storage.create_bucket().await.map_err(|e| {
        CliError::failure(format!("cannot use the bucket {bucket} on {endpoint}")).source(e)
    })?;
    emulator.set_s3_storage(storage);
    Ok(S3Place {
        endpoint: endpoint.to_owned(),
        bucket: bucket.clone(),
    })
}

/// Where the emulator listens, and the settings to use it.
struct Listening<'a> {
    url: &'a str,
    s3: Option<&'a S3Place>,
}

impl Render for Listening<'_> {
    fn text(&self) -> Vec<String> {
        let url = self.url;
        let kept = match self.s3 {
            Some(s3) => format!(
                "objects in the bucket {} at {}; the rest in memory: it goes when it stops",
                s3.bucket, s3.endpoint
            ),
            None => "in memory: everything goes when it stops".to_owned(),
        };
        vec![format!(
            "lakeFS emulator listening on {url} ({kept})\n\
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
            "s3": self.s3.map(|s3| json!({"endpoint": s3.endpoint, "bucket": s3.bucket})),
        })]
    }
}
