//! `lakefs-emulator [--port N] [--part-url-expiry SECONDS] [--without-upload-part]`: serves the
//! emulator on 127.0.0.1 until Ctrl-C. The first line of output is
//! `lakeFS emulator listening on http://127.0.0.1:<port>`.

use std::net::SocketAddr;
use std::time::Duration;

use lakefs_emulator::{
    serve_on, EmulatedOperation, Emulator, DEFAULT_ACCESS_KEY_ID, DEFAULT_BRANCH,
    DEFAULT_EXTERNAL_IDENTITY_TOKEN, DEFAULT_EXTERNAL_PRINCIPAL_ID, DEFAULT_FEATURE_BRANCH,
    DEFAULT_REPOSITORY, DEFAULT_SECRET_ACCESS_KEY, DEFAULT_STS_CODE, DEFAULT_STS_STATE,
};

const USAGE: &str =
    "usage: lakefs-emulator [--port N] [--part-url-expiry SECONDS] [--without-upload-part]
  --port N                   port on 127.0.0.1 (0, the default, picks a free one)
  --part-url-expiry SECONDS  lifetime of presigned part URLs (default 900, as lakeFS)
  --without-upload-part      answer uploadPart and uploadPartCopy as lakeFS before v1.55.0 (400)";

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let emulator = Emulator::new();
    let mut port = 0u16;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--port" => {
                let value = args.next().ok_or("--port needs a value")?;
                port = value
                    .parse()
                    .map_err(|_| format!("--port {value:?} is not a port number"))?;
            }
            "--part-url-expiry" => {
                let value = args.next().ok_or("--part-url-expiry needs a value")?;
                let seconds: u64 = value.parse().map_err(|_| {
                    format!("--part-url-expiry {value:?} is not a number of seconds")
                })?;
                emulator.set_part_url_expiry(Duration::from_secs(seconds));
            }
            "--without-upload-part" => {
                emulator.set_operation_available(EmulatedOperation::UploadPart, false);
                emulator.set_operation_available(EmulatedOperation::UploadPartCopy, false);
            }
            "--help" | "-h" => {
                println!("{USAGE}");
                return Ok(());
            }
            other => return Err(format!("unknown argument {other:?} (try --help)").into()),
        }
    }
    let running = serve_on(emulator, SocketAddr::from(([127, 0, 0, 1], port))).await?;
    println!("lakeFS emulator listening on {}", running.url());
    println!("  LAKECTL_SERVER_ENDPOINT_URL={}", running.url());
    println!("  LAKECTL_CREDENTIALS_ACCESS_KEY_ID={DEFAULT_ACCESS_KEY_ID}");
    println!("  LAKECTL_CREDENTIALS_SECRET_ACCESS_KEY={DEFAULT_SECRET_ACCESS_KEY}");
    println!(
        "  repository {DEFAULT_REPOSITORY}, branches {DEFAULT_BRANCH} and {DEFAULT_FEATURE_BRANCH} (one commit ahead)"
    );
    println!("  STS login: code {DEFAULT_STS_CODE}, state {DEFAULT_STS_STATE}");
    println!(
        "  external login: identity_token {DEFAULT_EXTERNAL_IDENTITY_TOKEN} proves {DEFAULT_EXTERNAL_PRINCIPAL_ID}"
    );
    println!("  Ctrl-C stops");
    tokio::signal::ctrl_c().await?;
    running.shutdown().await;
    Ok(())
}
