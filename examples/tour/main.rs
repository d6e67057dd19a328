//! Runs all 37 operations of the SDK — the 18 of the `ExperimentalApi` and the 19 stable ones a
//! data workflow needs — one topic of the API after another, and says at the end how many
//! succeeded.
//!
//! With no endpoint it runs offline, against the lakeFS emulator inside the process (over the
//! in-memory fake transport: no socket at all). With an endpoint — flags or the lakectl environment
//! variables — it runs against that server:
//!
//! ```sh
//! cargo run --example tour
//! cargo run --example tour -- --endpoint http://localhost:8000 \
//!     --access-key-id AKIA... --secret-access-key ... --repo my-repo --branch main \
//!     [--user alice --principal arn:aws:sts::123:assumed-role/r] [--identity-token TOKEN] \
//!     [--pr-source dev --pr-destination main] [--reset-ref main~1] \
//!     [--sts-code CODE --sts-state STATE --sts-redirect-uri URI]
//! ```
//!
//! Against a real server, steps that change what you may care about (pull requests, which
//! merge; hard reset, which discards) run only when their flags are given. Operations a
//! server does not support (501 on open-source lakeFS for external principals and logins, or
//! on blockstores without presigned multipart) are reported, and the tour goes on.

use lakefs::experimental::ExperimentalApi;
use std::collections::BTreeSet;
use std::sync::Mutex;

use futures_util::TryStreamExt;
use lakefs::experimental::models::{CopyPartSource, PullRequestStatus};
use lakefs::experimental::{Credentials, Error, ExperimentalClient, Operation, PullRequestFilter};
use lakefs::transport::fake::FakeTransport;
use lakefs::transport::HttpTransport;
use lakefs_emulator::{
    Emulator, DEFAULT_ACCESS_KEY_ID, DEFAULT_BRANCH, DEFAULT_EXTERNAL_IDENTITY_TOKEN,
    DEFAULT_EXTERNAL_PRINCIPAL_ID, DEFAULT_FEATURE_BRANCH, DEFAULT_REPOSITORY,
    DEFAULT_SECRET_ACCESS_KEY, DEFAULT_STS_CODE, DEFAULT_STS_STATE,
};

#[path = "../common/mod.rs"]
mod common;
mod stable;

use common::parts::{put_first_part, put_part};

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
    identity_token: Option<String>,
    pull_request: Option<(String, String)>,
    reset_ref: Option<String>,
    sts: Option<(String, String, String)>,
    /// The operations that answered success, and how many calls failed.
    succeeded: Mutex<BTreeSet<&'static str>>,
    failed: Mutex<usize>,
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
        principal: args
            .take("principal")
            .or_else(|| offline.then(|| DEFAULT_EXTERNAL_PRINCIPAL_ID.into())),
        identity_token: args
            .take("identity-token")
            .or_else(|| offline.then(|| DEFAULT_EXTERNAL_IDENTITY_TOKEN.into())),
        pull_request: match (args.take("pr-source"), args.take("pr-destination")) {
            (Some(source), Some(destination)) => Some((source, destination)),
            (None, None) => offline.then(|| (DEFAULT_FEATURE_BRANCH.into(), branch.clone())),
            _ => return Err("--pr-source and --pr-destination go together".into()),
        },
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
        succeeded: Mutex::default(),
        failed: Mutex::default(),
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
            tour.run(&client).await?;
            // The emulator serves every operation: anything less is a bug (CI runs this).
            if !tour.complete() {
                return Err("offline, every one of the 37 operations must succeed".into());
            }
            Ok(())
        }
    }
}

/// One method per topic of the API, each running that topic's operations in an order that
/// works on a fresh emulator and reporting every result. An operation joins its topic's
/// method; a new topic is a new method, called from [`Tour::run`].
impl Tour {
    async fn run<T: HttpTransport + 'static>(&self, client: &ExperimentalClient<T>) -> Outcome {
        // Pull requests first: merging needs a destination without uncommitted changes.
        self.pull_requests(client).await?;
        self.presigned_multipart_upload(client).await?;
        self.parts_and_metadata(client).await?;
        self.stable_operations(client).await?;
        self.external_principals(client).await?;
        self.hard_reset_branch(client).await?;
        self.sts_login(client).await?;
        let succeeded = self.succeeded.lock().map(|s| s.len()).unwrap_or(0);
        let failed = self.failed.lock().map(|f| *f).unwrap_or(0);
        println!(
            "{succeeded} of the {} operations succeeded; {failed} calls failed",
            Operation::EXPERIMENTAL.len() + Operation::STABLE.len()
        );
        Ok(())
    }

    /// Whether every one of the 37 operations succeeded at least once and no call failed.
    fn complete(&self) -> bool {
        let failed = self.failed.lock().map(|f| *f).unwrap_or(1);
        let succeeded = self.succeeded.lock().map(|s| s.len()).unwrap_or(0);
        failed == 0 && succeeded == Operation::EXPERIMENTAL.len() + Operation::STABLE.len()
    }

    /// Prints the outcome of one operation and counts it.
    fn report<V: std::fmt::Debug>(&self, operation: Operation, result: &Result<V, Error>) {
        match result {
            Ok(value) => {
                if let Ok(mut succeeded) = self.succeeded.lock() {
                    succeeded.insert(operation.id());
                }
                println!("  ok   {operation}: {value:?}");
            }
            Err(error) => {
                if let Ok(mut failed) = self.failed.lock() {
                    *failed += 1;
                }
                println!("  fail {operation}: {error}");
            }
        }
    }

    /// createPullRequest, listPullRequests, getPullRequest, updatePullRequest,
    /// mergePullRequest.
    async fn pull_requests<T: HttpTransport + 'static>(
        &self,
        client: &ExperimentalClient<T>,
    ) -> Outcome {
        let Some((source, destination)) = &self.pull_request else {
            println!("pull requests: skipped (give --pr-source and --pr-destination; it merges)");
            return Ok(());
        };
        println!("pull request {source} → {destination} in {}", self.repo);
        let created = client
            .create_pull_request()
            .repository(&self.repo)
            .title("Tour of the lakeFS Rust SDK")
            .description("opened by examples/tour.rs")
            .source_branch(source)
            .destination_branch(destination)
            .send()
            .await;
        self.report(Operation::CreatePullRequest, &created);
        let listed: Result<Vec<_>, _> = client
            .list_pull_requests()
            .repository(&self.repo)
            .status(PullRequestFilter::Open)
            .into_stream()
            .map_ok(|pr| (pr.id, pr.title))
            .try_collect()
            .await;
        self.report(Operation::ListPullRequests, &listed);
        let Ok(created) = created else {
            return Ok(());
        };
        let got = client
            .get_pull_request()
            .repository(&self.repo)
            .pull_request(&created.id)
            .send()
            .await;
        self.report(Operation::GetPullRequest, &got);
        let updated = client
            .update_pull_request()
            .repository(&self.repo)
            .pull_request(&created.id)
            .title("Tour of the lakeFS Rust SDK (reviewed)")
            .send()
            .await;
        self.report(Operation::UpdatePullRequest, &updated);
        let merged = client
            .merge_pull_request()
            .repository(&self.repo)
            .pull_request(&created.id)
            .send()
            .await;
        self.report(Operation::MergePullRequest, &merged);
        if merged.is_err() {
            // Leave nothing open behind.
            let closed = client
                .update_pull_request()
                .repository(&self.repo)
                .pull_request(&created.id)
                .status(PullRequestStatus::Closed)
                .send()
                .await;
            self.report(Operation::UpdatePullRequest, &closed);
        }
        Ok(())
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
        self.report(Operation::CreatePresignMultipartUpload, &created);
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
            self.report(Operation::CompletePresignMultipartUpload, &completed);
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
        self.report(Operation::CreatePresignMultipartUpload, &created);
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
            self.report(Operation::AbortPresignMultipartUpload, &aborted);
        }
        Ok(())
    }

    /// uploadPart (a part URL asked for after create), uploadPartCopy (a part copied from the
    /// object the previous step uploaded), completePresignMultipartUpload, and
    /// updateObjectUserMetadata on the result.
    async fn parts_and_metadata<T: HttpTransport>(
        &self,
        client: &ExperimentalClient<T>,
    ) -> Outcome {
        let (repo, branch, source) = (&self.repo, &self.branch, &self.path);
        let path = format!("{source}.copy");
        println!("part URLs on demand and a copied part, into {repo}/{branch}/{path}");
        let created = client
            .create_presign_multipart_upload()
            .repository(repo)
            .branch(branch)
            .path(&path)
            .send()
            .await;
        self.report(Operation::CreatePresignMultipartUpload, &created);
        let Ok(upload) = created else {
            return Ok(());
        };
        let url = client
            .upload_part()
            .repository(repo)
            .branch(branch)
            .path(&path)
            .upload(&upload)
            .part_number(1)
            .send()
            .await;
        self.report(Operation::UploadPart, &url);
        let copied = client
            .upload_part_copy()
            .repository(repo)
            .branch(branch)
            .path(&path)
            .upload(&upload)
            .part_number(2)
            .copy_source(CopyPartSource::new(repo, branch, source))
            .send()
            .await;
        self.report(Operation::UploadPartCopy, &copied);
        let (Ok(url), Ok(copied_etag)) = (url, copied) else {
            let aborted = client
                .abort_presign_multipart_upload()
                .repository(repo)
                .branch(branch)
                .path(&path)
                .upload(&upload)
                .send()
                .await;
            self.report(Operation::AbortPresignMultipartUpload, &aborted);
            return Ok(());
        };
        // Every part but the last must hold at least 5 MiB.
        let first_etag = put_part(client, &url.presigned_url, vec![b'.'; 5 * 1024 * 1024]).await?;
        let completed = client
            .complete_presign_multipart_upload()
            .repository(repo)
            .branch(branch)
            .path(&path)
            .upload(&upload)
            .part(1, first_etag)
            .part(2, copied_etag)
            .content_type("text/plain")
            .send()
            .await;
        self.report(Operation::CompletePresignMultipartUpload, &completed);
        if completed.is_ok() {
            let updated = client
                .update_object_user_metadata()
                .repository(repo)
                .branch(branch)
                .path(&path)
                .entry("made-by", "examples/tour.rs")
                .send()
                .await;
            self.report(Operation::UpdateObjectUserMetadata, &updated);
        }
        Ok(())
    }

    /// createUserExternalPrincipal, getExternalPrincipal, listUserExternalPrincipals,
    /// externalPrincipalLogin, deleteUserExternalPrincipal.
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
        self.report(Operation::CreateUserExternalPrincipal, &created);
        let got = client
            .get_external_principal()
            .principal_id(principal)
            .send()
            .await;
        self.report(Operation::GetExternalPrincipal, &got);
        let listed = client
            .list_user_external_principals()
            .user_id(user)
            .amount(10)
            .send()
            .await;
        self.report(Operation::ListUserExternalPrincipals, &listed);
        if let Some(token) = &self.identity_token {
            let mut identity = serde_json::Map::new();
            identity.insert("identity_token".into(), token.clone().into());
            let login = client
                .external_principal_login()
                .identity_request(identity)
                .token_expiration_duration(900)
                .send()
                .await;
            self.report(Operation::ExternalPrincipalLogin, &login);
        } else {
            println!("  external principal login: skipped (give --identity-token)");
        }
        let deleted = client
            .delete_user_external_principal()
            .user_id(user)
            .principal_id(principal)
            .send()
            .await;
        self.report(Operation::DeleteUserExternalPrincipal, &deleted);
        Ok(())
    }

    /// hardResetBranch.
    async fn hard_reset_branch<T: HttpTransport>(&self, client: &ExperimentalClient<T>) -> Outcome {
        let Some(reference) = &self.reset_ref else {
            println!("hard reset: skipped (give --reset-ref; it drops the branch's later commits; uncommitted objects stay)");
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
        self.report(Operation::HardResetBranch, &reset);
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
        self.report(Operation::StsLogin, &token);
        Ok(())
    }
}
