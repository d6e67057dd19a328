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

use std::collections::HashMap;

use bytes::Bytes;
use lakefs::experimental::models::{
    AbortPresignMultipartUpload, CompletePresignMultipartUpload, StsAuthRequest, UploadPart,
};
use lakefs::experimental::{Credentials, Error, ExperimentalClient, ListExternalPrincipals};
use lakefs::transport::fake::FakeTransport;
use lakefs::transport::HttpTransport;
use lakefs_emulator::{
    Emulator, DEFAULT_ACCESS_KEY_ID, DEFAULT_SECRET_ACCESS_KEY, DEFAULT_STS_CODE, DEFAULT_STS_STATE,
};

#[derive(Debug, Default)]
struct Args {
    endpoint: Option<String>,
    access_key_id: Option<String>,
    secret_access_key: Option<String>,
    repo: String,
    branch: String,
    path: String,
    user: Option<String>,
    principal: Option<String>,
    reset_ref: Option<String>,
    sts: Option<(String, String, String)>,
}

fn parse_args() -> Result<Args, String> {
    let mut flags: HashMap<String, String> = HashMap::new();
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let name = flag
            .strip_prefix("--")
            .ok_or_else(|| format!("unexpected argument {flag:?}"))?;
        let value = args
            .next()
            .ok_or_else(|| format!("--{name} needs a value"))?;
        flags.insert(name.to_owned(), value);
    }
    let mut take = |name: &str| flags.remove(name);
    let sts = match (
        take("sts-code"),
        take("sts-state"),
        take("sts-redirect-uri"),
    ) {
        (Some(code), Some(state), Some(uri)) => Some((code, state, uri)),
        (None, None, None) => None,
        _ => return Err("--sts-code, --sts-state and --sts-redirect-uri go together".into()),
    };
    let parsed = Args {
        endpoint: take("endpoint").or_else(|| std::env::var("LAKECTL_SERVER_ENDPOINT_URL").ok()),
        access_key_id: take("access-key-id")
            .or_else(|| std::env::var("LAKECTL_CREDENTIALS_ACCESS_KEY_ID").ok()),
        secret_access_key: take("secret-access-key")
            .or_else(|| std::env::var("LAKECTL_CREDENTIALS_SECRET_ACCESS_KEY").ok()),
        repo: take("repo").unwrap_or_else(|| lakefs_emulator::DEFAULT_REPOSITORY.into()),
        branch: take("branch").unwrap_or_else(|| "main".into()),
        path: take("path").unwrap_or_else(|| "tour/hello.txt".into()),
        user: take("user"),
        principal: take("principal"),
        reset_ref: take("reset-ref"),
        sts,
    };
    if let Some(unknown) = flags.keys().next() {
        return Err(format!("unknown flag --{unknown}"));
    }
    Ok(parsed)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = parse_args()?;
    match args.endpoint.clone() {
        Some(endpoint) => {
            let (Some(id), Some(secret)) =
                (args.access_key_id.clone(), args.secret_access_key.clone())
            else {
                return Err("an endpoint needs --access-key-id and --secret-access-key (or the LAKECTL_CREDENTIALS_* variables)".into());
            };
            let client = ExperimentalClient::builder()
                .endpoint(endpoint)
                .credentials(Credentials::basic(id, secret))
                .build()?;
            println!("lakeFS at {}", client.base_url());
            tour(&client, &args).await
        }
        None => {
            args.user.get_or_insert_with(|| "alice".into());
            args.principal
                .get_or_insert_with(|| "arn:aws:sts::123456789012:assumed-role/etl/session".into());
            args.reset_ref = Some(format!("{}~1", args.branch));
            args.sts.get_or_insert_with(|| {
                (
                    DEFAULT_STS_CODE.into(),
                    DEFAULT_STS_STATE.into(),
                    "http://localhost/callback".into(),
                )
            });
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
            tour(&client, &args).await
        }
    }
}

fn report<T: std::fmt::Debug>(operation: &str, result: &Result<T, Error>) {
    match result {
        Ok(value) => println!("  ok   {operation}: {value:?}"),
        Err(error) => println!("  fail {operation}: {error}"),
    }
}

async fn tour<T: HttpTransport>(
    client: &ExperimentalClient<T>,
    args: &Args,
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
