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
//!     --access-key-id AKIA... --secret-access-key ... --repo my-repo --branch main \
//!     --user alice --principal arn:aws:sts::123:assumed-role/etl [--work-branch name] \
//!     [--sts-code C --sts-state S --sts-redirect-uri U] [--size-mib 256]
//! ```
//!
//! Steps — a data workflow from upload to merge: attach and list external principals; create
//! a work branch from `--branch` (default `main`); upload a generated object (256 MiB by
//! default) to it through the multipart engine with a progress bar, and print MB/s; check the
//! branch's uncommitted changes; commit them; open a pull request into `--branch` and merge
//! it; download the object back from `--branch` (verified against its checksum); hard-reset
//! the work branch to it and delete the work branch; log in with STS. Steps a real server does
//! not support (501) are reported, and the quickstart goes on.

mod common;

use std::time::{Instant, SystemTime, UNIX_EPOCH};

use lakefs::api::{BranchesApi, CommitsApi, ObjectsApi};
use lakefs::download::{DownloadConfig, Downloader};
use lakefs::experimental::ExperimentalApi;

use common::{
    human_size, human_time, progress_bar, rate, sts_flags, Args, Error, Generated, Target,
};
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
    let work = args.take("work-branch").unwrap_or_else(|| {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        format!("quickstart-{now}")
    });
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
                    let count = list.results.len();
                    println!(
                        "   {count} principal{}{}",
                        if count == 1 { "" } else { "s" },
                        if list.pagination.has_more {
                            " (more on the next page)"
                        } else {
                            ""
                        }
                    );
                }
                Err(e) => println!("   list failed: {e}"),
            }
        }
        _ => println!("\n1. External principals: skipped (give --user and --principal)"),
    }

    // 2. A work branch, and a large upload to it through the multipart engine.
    let size = size_mib * 1024 * 1024;
    let path = format!("quickstart/generated-{size_mib}MiB.bin");
    println!("\n2. Uploading {size_mib} MiB to lakefs://{repo}/{work}/{path}");
    let head = client
        .create_branch()
        .repository(&repo)
        .name(&work)
        .source(&branch)
        .send()
        .await?;
    println!("   created branch {work} from {branch} at {}", short(&head));
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
            &work,
            &path,
            UploadSource::reader(Generated::new(size, 42), size),
        )
        .content_type("application/octet-stream")
        .metadata("written-by", "lakefs-cli quickstart")
        .await;
    let elapsed = started.elapsed();
    bar.finish_and_clear();
    let stats = result?;
    println!(
        "   uploaded {} in {:.1} s ({}), checksum {}",
        human_size(size),
        elapsed.as_secs_f64(),
        rate(size, elapsed),
        stats.checksum
    );

    // 3. Check what is uncommitted, and commit it.
    println!("\n3. Committing lakefs://{repo}/{work}");
    let changes = client
        .diff_branch()
        .repository(&repo)
        .branch(&work)
        .collect_all()
        .await?;
    for change in &changes {
        println!("   {} {}", change.diff_type, change.path);
    }
    let commit = client
        .commit()
        .repository(&repo)
        .branch(&work)
        .message(format!("Add {path}"))
        .meta("written-by", "lakefs-cli quickstart")
        .send()
        .await?;
    println!("   commit {}: {}", short(&commit.id), commit.message);

    // 4. A pull request into the branch, merged.
    println!("\n4. Merging {work} into {branch} through a pull request");
    let created = client
        .create_pull_request()
        .repository(&repo)
        .title(format!("Add {path}"))
        .source_branch(&work)
        .destination_branch(&branch)
        .send()
        .await?;
    let merged = client
        .merge_pull_request()
        .repository(&repo)
        .pull_request(&created.id)
        .send()
        .await?;
    println!(
        "   pull request {} merged as {}",
        created.id,
        short(&merged.reference)
    );
    let landed = client
        .stat_object()
        .repository(&repo)
        .reference(&branch)
        .path(&path)
        .send()
        .await?;
    println!(
        "   lakefs://{repo}/{branch}/{path}: {}, checksum {}",
        human_size(
            landed
                .size_bytes
                .unwrap_or_default()
                .try_into()
                .unwrap_or_default()
        ),
        landed.checksum
    );
    // Read it back from the branch with the download engine: presigned ranged GETs pinned
    // to the object's ETag, proven against its checksum before the file is put in place.
    let destination = std::env::temp_dir().join(format!(
        "lakefs-quickstart-{}-{size_mib}MiB.bin",
        std::process::id()
    ));
    let downloader = Downloader::new(client.clone(), DownloadConfig::default());
    let started = Instant::now();
    let downloaded = downloader
        .download(&repo, &branch, &path, &destination)
        .await?;
    let elapsed = started.elapsed();
    println!(
        "   downloaded to {} in {:.1} s ({}): {}",
        destination.display(),
        elapsed.as_secs_f64(),
        rate(size, elapsed),
        downloaded.verification
    );
    std::fs::remove_file(&destination)?;

    // 5. The work branch is done: reset it to the merged branch, then delete it.
    println!("\n5. Hard reset of {work} to {branch}, then deleting {work}");
    match client
        .hard_reset_branch()
        .repository(&repo)
        .branch(&work)
        .reference(&branch)
        .send()
        .await
    {
        Ok(()) => println!("   reset"),
        Err(e) => println!("   hard reset failed: {e}"),
    }
    client
        .delete_branch()
        .repository(&repo)
        .branch(&work)
        .send()
        .await?;
    println!("   deleted {work}");

    // 4. STS login.
    match sts {
        Some((code, state, redirect_uri)) => {
            println!("\n6. STS login");
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
                    "   got a token{}",
                    token
                        .token_expiration
                        .map(|at| format!(", valid until {}", human_time(at)))
                        .unwrap_or_default()
                ),
                Err(e) => println!("   failed: {e}"),
            }
        }
        None => println!(
            "\n6. STS login: skipped (give --sts-code, --sts-state and --sts-redirect-uri)"
        ),
    }

    if let Some(emulator) = target.emulator {
        emulator.shutdown().await;
    }
    Ok(())
}

/// The first 12 characters of a commit id, as lakectl shows them.
fn short(id: &str) -> &str {
    id.get(..12).unwrap_or(id)
}
