//! Runs all nine ExperimentalApi operations.
//!
//! With no endpoint it runs offline, against the lakeFS emulator inside the process (over the
//! in-memory fake transport: no socket at all). With an endpoint — flags or the lakectl environment
//! variables — it runs against that server:
//!
//! ```sh
//! cargo run --example tour
//! cargo run --example tour -- --endpoint http://localhost:8000 \
//!     --access-key-id AKIA... --secret-access-key ... --repo my-repo --branch main \
//!     [--user alice --principal arn:aws:sts::123:assumed-role/r] [--reset-ref main~1] \
//!     [--sts-code CODE --sts-state STATE --sts-redirect-uri URI]
//! ```
//!
//! Operations a server does not support (501 on open-source lakeFS for external principals
//! and STS, or on blockstores without presigned multipart) are reported, and the tour goes on.

use bytes::Bytes;
use lakefs::experimental::models::{
    AbortPresignMultipartUpload, CompletePresignMultipartUpload, StsAuthRequest, UploadPart,
};
use lakefs::experimental::{Credentials, Error, ExperimentalClient, ListExternalPrincipals};
use lakefs::transport::fake::FakeTransport;
use lakefs::transport::HttpTransport;
use lakefs_emulator::{
    Emulator, DEFAULT_ACCESS_KEY_ID, DEFAULT_BRANCH, DEFAULT_REPOSITORY, DEFAULT_SECRET_ACCESS_KEY,
    DEFAULT_STS_CODE, DEFAULT_STS_STATE,
};

mod common;

/// What the tour works on.
struct Tour {
    repo: String,
    branch: String,
    path: String,
    user: Option<String>,
    principal: Option<String>,
    reset_ref: Option<String>,
    sts: Option<(String, String, String)>,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = common::Args::parse()?;
    let remote = common::remote(&mut args)?;
    let offline = remote.is_none();
    let branch = args.take("branch").unwrap_or_else(|| DEFAULT_BRANCH.into());
    let tour = Tour {
        repo: args
            .take("repo")
            .unwrap_or_else(|| DEFAULT_REPOSITORY.into()),
        path: args.take("path").unwrap_or_else(|| "tour/hello.txt".into()),
        user: args
            .take("user")
            .or_else(|| offline.then(|| "alice".into())),
        principal: args.take("principal").or_else(|| {
            offline.then(|| "arn:aws:sts::123456789012:assumed-role/etl/session".into())
        }),
        reset_ref: args
            .take("reset-ref")
            .or_else(|| offline.then(|| format!("{branch}~1"))),
        sts: common::sts_flags(&mut args)?.or_else(|| {
            offline.then(|| {
                (
                    DEFAULT_STS_CODE.into(),
                    DEFAULT_STS_STATE.into(),
                    "http://localhost/callback".into(),
                )
            })
        }),
        branch,
    };
    args.finish()?;
    match remote {
        Some((endpoint, credentials)) => {
            let client = ExperimentalClient::builder()
                .endpoint(endpoint)
                .credentials(credentials)
                .build()?;
            println!("lakeFS at {}", client.base_url());
            run(&client, &tour).await
        }
        None => {
            let emulator = Emulator::new();
            let transport = FakeTransport::new();
            transport.fallback(move |request, _| Ok(emulator.handle(request)));
            let client = ExperimentalClient::builder()
                .endpoint("http://lakefs.emulator")
                .credentials(Credentials::basic(
                    DEFAULT_ACCESS_KEY_ID,
                    DEFAULT_SECRET_ACCESS_KEY,
                ))
                .build_with_transport(transport)?;
            println!(
                "offline: the lakeFS emulator in this process ({})",
                client.base_url()
            );
            run(&client, &tour).await
        }
    }
}

fn report<T: std::fmt::Debug>(operation: &str, result: &Result<T, Error>) {
    match result {
        Ok(value) => println!("  ok   {operation}: {value:?}"),
        Err(error) => println!("  fail {operation}: {error}"),
    }
}

async fn run<T: HttpTransport>(
    client: &ExperimentalClient<T>,
    args: &Tour,
) -> Result<(), Box<dyn std::error::Error>> {
    let (repo, branch, path) = (&args.repo, &args.branch, &args.path);

    println!("presigned multipart upload of {repo}/{branch}/{path}");
    let created = client
        .create_presign_multipart_upload(repo, branch, path, Some(1))
        .await;
    report("createPresignMultipartUpload", &created);
    if let Ok(upload) = created {
        let url = upload
            .presigned_urls
            .as_deref()
            .unwrap_or_default()
            .first()
            .cloned()
            .ok_or("no part URL")?;
        // The part goes straight to storage, without lakeFS credentials.
        let put = http::Request::put(url)
            .body(Bytes::from_static(b"Hello from the lakeFS Rust SDK!\n"))?;
        let response = client.transport().send(put).await?;
        let etag = response
            .headers()
            .get("etag")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .trim_matches('"')
            .to_owned();
        println!("  ok   part 1 PUT: {} etag {etag}", response.status());
        let body = CompletePresignMultipartUpload::new(
            upload.physical_address.clone(),
            vec![UploadPart::new(1, etag)],
        );
        report(
            "completePresignMultipartUpload",
            &client
                .complete_presign_multipart_upload(repo, branch, &upload.upload_id, path, &body)
                .await,
        );
    }
    let second = client
        .create_presign_multipart_upload(repo, branch, path, Some(0))
        .await;
    report("createPresignMultipartUpload (to abort)", &second);
    if let Ok(upload) = second {
        let body = AbortPresignMultipartUpload::new(upload.physical_address);
        report(
            "abortPresignMultipartUpload",
            &client
                .abort_presign_multipart_upload(repo, branch, &upload.upload_id, path, &body)
                .await,
        );
    }

    if let (Some(user), Some(principal)) = (&args.user, &args.principal) {
        println!("external principals of {user}");
        report(
            "createUserExternalPrincipal",
            &client
                .create_user_external_principal(user, principal, None)
                .await,
        );
        report(
            "getExternalPrincipal",
            &client.get_external_principal(principal).await,
        );
        report(
            "listUserExternalPrincipals",
            &client
                .list_user_external_principals(user, &ListExternalPrincipals::new().amount(10))
                .await,
        );
        report(
            "deleteUserExternalPrincipal",
            &client.delete_user_external_principal(user, principal).await,
        );
    } else {
        println!("external principals: skipped (give --user and --principal)");
    }

    match &args.reset_ref {
        Some(reference) => {
            println!("hard reset of {repo}/{branch}");
            report(
                "hardResetBranch",
                &client
                    .hard_reset_branch(repo, branch, reference, None)
                    .await,
            );
        }
        None => {
            println!("hard reset: skipped (give --reset-ref; it discards the branch's changes)")
        }
    }

    match &args.sts {
        Some((code, state, redirect_uri)) => {
            println!("STS login");
            let request = StsAuthRequest::new(code, state, redirect_uri).with_ttl_seconds(900);
            report("stsLogin", &client.sts_login(&request).await);
        }
        None => {
            println!("STS login: skipped (give --sts-code, --sts-state and --sts-redirect-uri)")
        }
    }
    Ok(())
}
