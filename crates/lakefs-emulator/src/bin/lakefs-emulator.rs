//! `lakefs-emulator [--port N]`: serves the emulator on 127.0.0.1 until Ctrl-C.

use std::net::SocketAddr;

use lakefs_emulator::{
    serve_on, Emulator, DEFAULT_ACCESS_KEY_ID, DEFAULT_BRANCH, DEFAULT_REPOSITORY,
    DEFAULT_SECRET_ACCESS_KEY,
};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
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
            "--help" | "-h" => {
                println!("usage: lakefs-emulator [--port N]   (serves on 127.0.0.1; 0 picks a free port)");
                return Ok(());
            }
            other => return Err(format!("unknown argument {other:?} (try --help)").into()),
        }
    }
    let running = serve_on(Emulator::new(), SocketAddr::from(([127, 0, 0, 1], port))).await?;
    println!("lakeFS emulator listening on {}", running.url());
    println!("  LAKECTL_SERVER_ENDPOINT_URL={}", running.url());
    println!("  LAKECTL_CREDENTIALS_ACCESS_KEY_ID={DEFAULT_ACCESS_KEY_ID}");
    println!("  LAKECTL_CREDENTIALS_SECRET_ACCESS_KEY={DEFAULT_SECRET_ACCESS_KEY}");
    println!("  repository {DEFAULT_REPOSITORY}, branch {DEFAULT_BRANCH}; Ctrl-C stops");
    tokio::signal::ctrl_c().await?;
    running.shutdown().await;
    Ok(())
}
