//! The whole quickstart, end to end over real HTTP.
//!
//! With no arguments it starts the lakeFS emulator on 127.0.0.1 and runs against it:
//!
//! ```sh
//! cargo run --example quickstart
//! ```
//!
//! Against a real lakeFS (flags, or the lakectl environment variables):
//!
//! ```sh
//! cargo run --release --example quickstart -- --endpoint http://localhost:8000 \
//!     --access-key-id AKIA... --secret-access-key ... --repo my-repo --branch my-branch \
//!     --user alice --principal arn:aws:sts::123:assumed-role/etl [--reset-ref my-branch~1] \
//!     [--sts-code C --sts-state S --sts-redirect-uri U] [--size-mib 256]
//! ```
//!
//! Steps: attach and list external principals; upload a generated object (256 MiB by
//! default) through the multipart engine with a progress bar, then print MB/s and the
//! ObjectStats; hard-reset the branch; log in with STS. Steps a real server does not support
//! (501) are reported, and the quickstart goes on.

mod common;

use lakefs::experimental::ExperimentalApi;
use std::time::Instant;

use common::{megabytes_per_second, progress_bar, sts_flags, Args, Error, Generated, Target};
use lakefs::multipart::{UploadConfig, UploadSource, Uploader};
use lakefs_emulator::{DEFAULT_BRANCH, DEFAULT_REPOSITORY, DEFAULT_STS_CODE, DEFAULT_STS_STATE};

#[tokio::main]
async fn main() -> Result<(), Error> {
    let mut args = Args::parse()?;
    let target = Target::connect(&mut args).await?;
    let offline = target.emulator.is_some();
    let repo = args
        .take("repo")
        .unwrap_or_else(|| DEFAULT_REPOSITORY.into());
    let branch = args.take("branch").unwrap_or_else(|| DEFAULT_BRANCH.into());
    let user = args
        .take("user")
        .or_else(|| offline.then(|| "alice".into()));
    let principal = args.take("principal").or_else(|| {
        offline.then(|| "arn:aws:sts::123456789012:assumed-role/etl/quickstart".into())
    });
    let reset_ref = args
        .take("reset-ref")
        .or_else(|| offline.then(|| format!("{branch}~1")));
    let sts = sts_flags(&mut args)?.or_else(|| {
        offline.then(|| {
            (
                DEFAULT_STS_CODE.into(),
                DEFAULT_STS_STATE.into(),
                "http://localhost/callback".into(),
            )
        })
    });
    let size_mib: u64 = args.take_parsed("size-mib")?.unwrap_or(256);
    args.finish()?;
    let client = &target.client;
    println!("lakeFS API at {}", client.base_url());

    // 1. External principals.
    match (&user, &principal) {
        (Some(user), Some(principal)) => {
            println!("\n1. External principals of {user}");
            match client
                .create_user_external_principal()
                .user_id(user)
                .principal_id(principal)
                .send()
                .await
            {
                Ok(()) => println!("   attached {principal}"),
                Err(e) => println!("   attach failed: {e}"),
            }
            match client
                .list_user_external_principals()
                .user_id(user)
                .send()
                .await
            {
                Ok(list) => {
                    for p in &list.results {
                        println!("   - {} (user {})", p.id, p.user_id);
                    }
                    println!(
                        "   {} principal(s), more pages: {}",
                        list.results.len(),
                        list.pagination.has_more
                    );
                }
                Err(e) => println!("   list failed: {e}"),
            }
        }
        _ => println!("\n1. External principals: skipped (give --user and --principal)"),
    }

    // 2. A large upload through the multipart engine.
    let size = size_mib * 1024 * 1024;
    let path = format!("quickstart/generated-{size_mib}MiB.bin");
    println!("\n2. Uploading {size_mib} MiB to lakefs://{repo}/{branch}/{path}");
    let (bar, on_progress) = progress_bar();
    let config = UploadConfig::builder()
        .part_size(8 * 1024 * 1024)
        .concurrency(8)
        .on_progress(on_progress)
        .build()?;
    let uploader = Uploader::new(client.clone(), config);
    let started = Instant::now();
    let result = uploader
        .upload(
            &repo,
            &branch,
            &path,
            UploadSource::reader(Generated::new(size, 42), size),
        )
        .content_type("application/octet-stream")
        .metadata("written-by", "lakefs-rs quickstart")
        .await;
    let elapsed = started.elapsed();
    bar.finish_and_clear();
    match result {
        Ok(stats) => {
            println!(
                "   {:.1} MB/s ({size} bytes in {:.2} s)",
                megabytes_per_second(size, elapsed),
                elapsed.as_secs_f64()
            );
            println!("   {stats:#?}");
        }
        Err(e) => println!("   upload failed: {e}"),
    }

    // 3. Hard reset.
    match &reset_ref {
        Some(reference) => {
            println!("\n3. Hard reset of {repo}/{branch} to {reference}");
            match client
                .hard_reset_branch()
                .repository(&repo)
                .branch(&branch)
                .reference(reference)
                .send()
                .await
            {
                Ok(()) => println!("   done"),
                Err(e) => println!("   failed: {e}"),
            }
        }
        None => println!(
            "\n3. Hard reset: skipped (give --reset-ref; it drops the branch's later commits; uncommitted objects stay)"
        ),
    }

    // 4. STS login.
    match sts {
        Some((code, state, redirect_uri)) => {
            println!("\n4. STS login");
            match client
                .sts_login()
                .code(code)
                .state(state)
                .redirect_uri(redirect_uri)
                .ttl_seconds(900)
                .send()
                .await
            {
                Ok(token) => println!(
                    "   got a token (expires at {:?}): {token:?}",
                    token.token_expiration
                ),
                Err(e) => println!("   failed: {e}"),
            }
        }
        None => println!(
            "\n4. STS login: skipped (give --sts-code, --sts-state and --sts-redirect-uri)"
        ),
    }

    if let Some(emulator) = target.emulator {
        emulator.shutdown().await;
    }
    Ok(())
}
