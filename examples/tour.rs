//! Runs nine of the 18 ExperimentalApi operations — those the emulator serves so far — one
//! topic of the API after another.
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
use lakefs::experimental::models::PresignMultipartUpload;
use lakefs::experimental::{Credentials, Error, ExperimentalClient, Operation};
use lakefs::transport::fake::FakeTransport;
use lakefs::transport::HttpTransport;
use lakefs_emulator::{
    Emulator, DEFAULT_ACCESS_KEY_ID, DEFAULT_BRANCH, DEFAULT_REPOSITORY, DEFAULT_SECRET_ACCESS_KEY,
    DEFAULT_STS_CODE, DEFAULT_STS_STATE,
};

mod common;

/// What a step of the tour ends with: failures of the operations themselves are reported
/// and the tour goes on; an `Err` is a failure of the tour itself.
type Outcome = Result<(), Box<dyn std::error::Error>>;

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
            tour.run(&client).await
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
            tour.run(&client).await
        }
    }
}

/// Prints the outcome of one operation.
fn report<V: std::fmt::Debug>(operation: Operation, result: &Result<V, Error>) {
    match result {
        Ok(value) => println!("  ok   {operation}: {value:?}"),
        Err(error) => println!("  fail {operation}: {error}"),
    }
}

/// One method per topic of the API, each running that topic's operations in an order that
/// works on a fresh emulator and reporting every result. An operation joins its topic's
/// method; a new topic is a new method, called from [`Tour::run`].
impl Tour {
    async fn run<T: HttpTransport>(&self, client: &ExperimentalClient<T>) -> Outcome {
        self.presigned_multipart_upload(client).await?;
        self.external_principals(client).await?;
        self.hard_reset_branch(client).await?;
        self.sts_login(client).await
    }

    /// createPresignMultipartUpload, completePresignMultipartUpload,
    /// abortPresignMultipartUpload.
    async fn presigned_multipart_upload<T: HttpTransport>(
        &self,
        client: &ExperimentalClient<T>,
    ) -> Outcome {
        let (repo, branch, path) = (&self.repo, &self.branch, &self.path);

        println!("presigned multipart upload of {repo}/{branch}/{path}");
        let created = client
            .create_presign_multipart_upload()
            .repository(repo)
            .branch(branch)
            .path(path)
            .parts(1)
            .send()
            .await;
        report(Operation::CreatePresignMultipartUpload, &created);
        if let Ok(upload) = created {
            let etag = put_first_part(client, &upload).await?;
            let completed = client
                .complete_presign_multipart_upload()
                .repository(repo)
                .branch(branch)
                .upload_id(&upload.upload_id)
                .path(path)
                .physical_address(&upload.physical_address)
                .part(1, etag)
                .send()
                .await;
            report(Operation::CompletePresignMultipartUpload, &completed);
        }

        println!("presigned multipart upload of {repo}/{branch}/{path}, aborted");
        let created = client
            .create_presign_multipart_upload()
            .repository(repo)
            .branch(branch)
            .path(path)
            .parts(0)
            .send()
            .await;
        report(Operation::CreatePresignMultipartUpload, &created);
        if let Ok(upload) = created {
            let aborted = client
                .abort_presign_multipart_upload()
                .repository(repo)
                .branch(branch)
                .upload_id(&upload.upload_id)
                .path(path)
                .physical_address(&upload.physical_address)
                .send()
                .await;
            report(Operation::AbortPresignMultipartUpload, &aborted);
        }
        Ok(())
    }

    /// createUserExternalPrincipal, getExternalPrincipal, listUserExternalPrincipals,
    /// deleteUserExternalPrincipal.
    async fn external_principals<T: HttpTransport>(
        &self,
        client: &ExperimentalClient<T>,
    ) -> Outcome {
        let (Some(user), Some(principal)) = (&self.user, &self.principal) else {
            println!("external principals: skipped (give --user and --principal)");
            return Ok(());
        };
        println!("external principals of {user}");
        let created = client
            .create_user_external_principal()
            .user_id(user)
            .principal_id(principal)
            .send()
            .await;
        report(Operation::CreateUserExternalPrincipal, &created);
        let got = client
            .get_external_principal()
            .principal_id(principal)
            .send()
            .await;
        report(Operation::GetExternalPrincipal, &got);
        let listed = client
            .list_user_external_principals()
            .user_id(user)
            .amount(10)
            .send()
            .await;
        report(Operation::ListUserExternalPrincipals, &listed);
        let deleted = client
            .delete_user_external_principal()
            .user_id(user)
            .principal_id(principal)
            .send()
            .await;
        report(Operation::DeleteUserExternalPrincipal, &deleted);
        Ok(())
    }

    /// hardResetBranch.
    async fn hard_reset_branch<T: HttpTransport>(&self, client: &ExperimentalClient<T>) -> Outcome {
        let Some(reference) = &self.reset_ref else {
            println!("hard reset: skipped (give --reset-ref; it discards the branch's changes)");
            return Ok(());
        };
        println!("hard reset of {}/{} to {reference}", self.repo, self.branch);
        let reset = client
            .hard_reset_branch()
            .repository(&self.repo)
            .branch(&self.branch)
            .reference(reference)
            .send()
            .await;
        report(Operation::HardResetBranch, &reset);
        Ok(())
    }

    /// stsLogin.
    async fn sts_login<T: HttpTransport>(&self, client: &ExperimentalClient<T>) -> Outcome {
        let Some((code, state, redirect_uri)) = &self.sts else {
            println!("STS login: skipped (give --sts-code, --sts-state and --sts-redirect-uri)");
            return Ok(());
        };
        println!("STS login");
        let token = client
            .sts_login()
            .code(code)
            .state(state)
            .redirect_uri(redirect_uri)
            .ttl_seconds(900)
            .send()
            .await;
        report(Operation::StsLogin, &token);
        Ok(())
    }
}

/// PUTs a small first part to the upload's first presigned URL, straight to storage and
/// without lakeFS credentials; its ETag.
async fn put_first_part<T: HttpTransport>(
    client: &ExperimentalClient<T>,
    upload: &PresignMultipartUpload,
) -> Result<String, Box<dyn std::error::Error>> {
    let url = upload
        .presigned_urls
        .as_deref()
        .unwrap_or_default()
        .first()
        .cloned()
        .ok_or("no part URL")?;
    let put =
        http::Request::put(url).body(Bytes::from_static(b"Hello from the lakeFS Rust SDK!\n"))?;
    let response = client.transport().send(put).await?;
    let etag = response
        .headers()
        .get("etag")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .trim_matches('"')
        .to_owned();
    println!("  ok   part 1 PUT: {} etag {etag}", response.status());
    Ok(etag)
}
