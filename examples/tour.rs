//! Runs all nine ExperimentalApi operations.
//!
//! With no endpoint it runs offline, against a small scripted lakeFS inside the process (over
//! the in-memory fake transport). With an endpoint — flags or the lakectl environment
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

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http::{Method, StatusCode};
use lakefs::experimental::models::{
    AbortPresignMultipartUpload, CompletePresignMultipartUpload, StsAuthRequest, UploadPart,
};
use lakefs::experimental::{Credentials, Error, ExperimentalClient, ListExternalPrincipals};
use lakefs::transport::fake::{self, FakeTransport, ResponseExt};
use lakefs::transport::HttpTransport;

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
        repo: take("repo").unwrap_or_else(|| "example-repo".into()),
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
            args.reset_ref.get_or_insert_with(|| "main~1".into());
            args.sts.get_or_insert_with(|| {
                (
                    "code-ok".into(),
                    "state-ok".into(),
                    "http://localhost/callback".into(),
                )
            });
            let client = ExperimentalClient::builder()
                .endpoint("http://lakefs.offline:8000")
                .credentials(Credentials::basic(
                    "AKIAIOSFODNN7EXAMPLE",
                    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
                ))
                .build_with_transport(scripted_lakefs())?;
            println!(
                "offline: a scripted lakeFS in this process ({})",
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

/// A few handlers that answer like lakeFS, enough for the offline tour.
fn scripted_lakefs() -> FakeTransport {
    let transport = FakeTransport::new();
    let parts: Arc<Mutex<BTreeMap<String, Bytes>>> = Arc::default();
    let principals: Arc<Mutex<BTreeMap<String, String>>> = Arc::default();
    let pmpu = "/api/v1/repositories/{repository}/branches/{branch}/staging/pmpu";
    let uploads = Arc::new(std::sync::atomic::AtomicU64::new(0));

    transport.route(Method::POST, pmpu, move |request, _| {
        let n = uploads.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
        let parts: usize = fake::query_pairs(request.uri())
            .into_iter()
            .find(|(k, _)| k == "parts")
            .and_then(|(_, v)| v.parse().ok())
            .unwrap_or(0);
        let urls: Vec<String> = (1..=parts)
            .map(|p| format!("http://storage.offline/bucket/upload-{n}?partNumber={p}&X-Amz-Signature=0ff1ce"))
            .collect();
        let mut body = serde_json::json!({"upload_id": format!("upload-{n}"), "physical_address": format!("s3://bucket/ns/data/g{n}/obj,sig")});
        if !urls.is_empty() {
            body["presigned_urls"] = serde_json::json!(urls);
        }
        Ok(fake::json(StatusCode::CREATED, body.to_string()))
    });
    let stored = Arc::clone(&parts);
    transport.route(Method::PUT, "/bucket/{upload}", move |request, params| {
        let etag = format!("{:032x}", request.body().len());
        stored.lock().map_err(|_| fake::Fault::Reset)?.insert(
            params.get("upload").unwrap_or("").to_owned(),
            request.body().clone(),
        );
        Ok(
            fake::response(StatusCode::OK, Bytes::new())
                .with_header("etag", &format!("\"{etag}\"")),
        )
    });
    transport.route(Method::PUT, &format!("{pmpu}/{{upload}}"), move |request, params| {
        let size = parts.lock().map_err(|_| fake::Fault::Reset)?.get(params.get("upload").unwrap_or("")).map_or(0, Bytes::len);
        let path = fake::query_pairs(request.uri()).into_iter().find(|(k, _)| k == "path").map(|(_, v)| v).unwrap_or_default();
        let body = serde_json::json!({"path": path, "path_type": "object", "physical_address": "data/g1/obj,sig", "checksum": format!("{size:032x}"), "size_bytes": size, "mtime": 1_763_900_000});
        Ok(fake::json(StatusCode::OK, body.to_string()))
    });
    transport.route(Method::DELETE, &format!("{pmpu}/{{upload}}"), |_, _| {
        Ok(fake::response(StatusCode::NO_CONTENT, ""))
    });
    let attached = Arc::clone(&principals);
    transport.route(
        Method::POST,
        "/api/v1/auth/users/{user}/external/principals",
        move |request, params| {
            let id = fake::query_pairs(request.uri())
                .into_iter()
                .find(|(k, _)| k == "principalId")
                .map(|(_, v)| v)
                .unwrap_or_default();
            let mut attached = attached.lock().map_err(|_| fake::Fault::Reset)?;
            if attached.contains_key(&id) {
                return Ok(fake::json(
                    StatusCode::CONFLICT,
                    r#"{"message":"principal already attached"}"#,
                ));
            }
            attached.insert(id, params.get("user").unwrap_or("").to_owned());
            Ok(fake::response(StatusCode::CREATED, ""))
        },
    );
    let lookup = Arc::clone(&principals);
    transport.route(
        Method::GET,
        "/api/v1/auth/external/principals",
        move |request, _| {
            let id = fake::query_pairs(request.uri())
                .into_iter()
                .find(|(k, _)| k == "principalId")
                .map(|(_, v)| v)
                .unwrap_or_default();
            match lookup.lock().map_err(|_| fake::Fault::Reset)?.get(&id) {
                Some(user) => Ok(fake::json(
                    StatusCode::OK,
                    serde_json::json!({"id": id, "user_id": user}).to_string(),
                )),
                None => Ok(fake::json(
                    StatusCode::NOT_FOUND,
                    r#"{"message":"principal not found"}"#,
                )),
            }
        },
    );
    let listing = Arc::clone(&principals);
    transport.route(Method::GET, "/api/v1/auth/users/{user}/external/principals/ls", move |_, params| {
        let user = params.get("user").unwrap_or("");
        let results: Vec<_> = listing
            .lock()
            .map_err(|_| fake::Fault::Reset)?
            .iter()
            .filter(|(_, owner)| owner.as_str() == user)
            .map(|(id, owner)| serde_json::json!({"id": id, "user_id": owner}))
            .collect();
        let body = serde_json::json!({"pagination": {"has_more": false, "next_offset": "", "results": results.len(), "max_per_page": 0}, "results": results});
        Ok(fake::json(StatusCode::OK, body.to_string()))
    });
    transport.route(
        Method::DELETE,
        "/api/v1/auth/users/{user}/external/principals",
        move |request, _| {
            let id = fake::query_pairs(request.uri())
                .into_iter()
                .find(|(k, _)| k == "principalId")
                .map(|(_, v)| v)
                .unwrap_or_default();
            match principals
                .lock()
                .map_err(|_| fake::Fault::Reset)?
                .remove(&id)
            {
                Some(_) => Ok(fake::response(StatusCode::NO_CONTENT, "")),
                None => Ok(fake::json(
                    StatusCode::NOT_FOUND,
                    r#"{"message":"principal not found"}"#,
                )),
            }
        },
    );
    transport.route(
        Method::PUT,
        "/api/v1/repositories/{repository}/branches/{branch}/hard_reset",
        |_, _| Ok(fake::response(StatusCode::NO_CONTENT, "")),
    );
    transport.route(Method::POST, "/api/v1/sts/login", |request, _| {
        let login: StsAuthRequest = serde_json::from_slice(request.body()).map_err(|_| fake::Fault::Status(StatusCode::BAD_REQUEST))?;
        if login.code != "code-ok" || login.state != "state-ok" {
            return Ok(fake::json(StatusCode::UNAUTHORIZED, r#"{"message":"invalid code or state"}"#));
        }
        let ttl = login.ttl_seconds.unwrap_or(3600).min(43_200);
        Ok(fake::json(StatusCode::OK, serde_json::json!({"token": "eyJhbGciOiJIUzI1NiJ9.offline.token", "token_expiration": 1_763_900_000 + ttl}).to_string()))
    });
    transport
}
