//! Request routing and the nine operations' handlers.

use base64::Engine as _;
use bytes::Bytes;
use http::{header, Method, Request, Response, StatusCode};
use lakefs_models::{
    AbortPresignMultipartUpload, AuthenticationToken, CompletePresignMultipartUpload,
    ExternalPrincipal, ExternalPrincipalList, ObjectStats, Pagination, PathType,
    PresignMultipartUpload, StsAuthRequest,
};
use serde::Serialize;

use crate::state::{md5_hex, now, Emulator, StagedObject, State, Support, Upload};

/// S3's smallest part, every part but the last.
const MIN_PART_SIZE: usize = 5 * 1024 * 1024;
/// lakeFS's bounds for `parts`.
const MAX_PARTS: i64 = 10_000;
/// The API's base path.
const BASE: &str = "/api/v1";
/// Where the storage routes live.
pub(crate) const STORAGE_PREFIX: &str = "/_storage/";

type Answer = Response<Bytes>;

/// An error answer: a status and the message of the spec's `Error` body.
#[derive(Debug)]
struct Failure {
    status: StatusCode,
    message: String,
}

impl Failure {
    fn into_response(self) -> Answer {
        json(self.status, &lakefs_models::Error::new(self.message))
    }
}

fn fail(status: StatusCode, message: impl Into<String>) -> Failure {
    Failure {
        status,
        message: message.into(),
    }
}

fn json(status: StatusCode, body: &impl Serialize) -> Answer {
    let body = serde_json::to_vec(body).unwrap_or_default();
    let mut response = Response::new(Bytes::from(body));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("application/json"),
    );
    response
}

fn empty(status: StatusCode) -> Answer {
    let mut response = Response::new(Bytes::new());
    *response.status_mut() = status;
    response
}

fn not_implemented(what: &str) -> Failure {
    fail(
        StatusCode::NOT_IMPLEMENTED,
        format!("{what} is not supported"),
    )
}

/// Decoded query parameters.
struct Query(Vec<(String, String)>);

impl Query {
    fn parse(request: &Request<Bytes>) -> Self {
        Self(
            form_urlencoded::parse(request.uri().query().unwrap_or("").as_bytes())
                .into_owned()
                .collect(),
        )
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find_map(|(k, v)| (k == name).then_some(v.as_str()))
    }

    /// A required parameter, as the server's spec validator demands it.
    fn required(&self, name: &str) -> Result<&str, Failure> {
        self.get(name).ok_or_else(|| {
            fail(
                StatusCode::BAD_REQUEST,
                format!(
                    "parameter \"{name}\" in query has an error: value is required but missing"
                ),
            )
        })
    }

    fn integer(&self, name: &str) -> Result<Option<i64>, Failure> {
        self.get(name)
            .map(|v| {
                v.parse().map_err(|_| {
                    fail(
                        StatusCode::BAD_REQUEST,
                        format!("parameter \"{name}\" in query has an error: value {v}: an invalid integer"),
                    )
                })
            })
            .transpose()
    }

    fn boolean(&self, name: &str) -> Result<Option<bool>, Failure> {
        self.get(name)
            .map(|v| match v {
                "true" => Ok(true),
                "false" => Ok(false),
                other => Err(fail(
                    StatusCode::BAD_REQUEST,
                    format!("parameter \"{name}\" in query has an error: value {other}: an invalid boolean"),
                )),
            })
            .transpose()
    }
}

fn body<T: serde::de::DeserializeOwned>(request: &Request<Bytes>) -> Result<T, Failure> {
    serde_json::from_slice(request.body()).map_err(|e| {
        fail(
            StatusCode::BAD_REQUEST,
            format!("request body has an error: {e}"),
        )
    })
}

impl Emulator {
    /// Answers one request as lakeFS (paths under `/api/v1`) or as its object store (the part
    /// URLs it handed out) would. Never panics; every error is the spec's `Error` JSON (or S3's
    /// XML for storage requests) with the real server's status code.
    pub fn handle(&self, request: &Request<Bytes>) -> Response<Bytes> {
        let path = request.uri().path();
        if let Some(rest) = path.strip_prefix(STORAGE_PREFIX) {
            return crate::storage::put_part(self, request, rest);
        }
        let Some(rest) = path.strip_prefix(BASE) else {
            return fail(StatusCode::NOT_FOUND, "not found").into_response();
        };
        let segments: Vec<String> = rest
            .trim_start_matches('/')
            .split('/')
            .map(|s| {
                percent_encoding::percent_decode_str(s)
                    .decode_utf8_lossy()
                    .into_owned()
            })
            .collect();
        let segments: Vec<&str> = segments.iter().map(String::as_str).collect();
        let method = request.method();
        let query = Query::parse(request);
        let result = match (method, segments.as_slice()) {
            (&Method::POST, ["sts", "login"]) => self.sts_login(request),
            _ => match self.authenticate(request) {
                Err(failure) => Err(failure),
                Ok(_user) => match (method, segments.as_slice()) {
                    (
                        &Method::POST,
                        ["repositories", repo, "branches", branch, "staging", "pmpu"],
                    ) => self.create_upload(repo, branch, &query),
                    (
                        &Method::PUT,
                        ["repositories", repo, "branches", branch, "staging", "pmpu", id],
                    ) => self.complete_upload(repo, branch, id, &query, request),
                    (
                        &Method::DELETE,
                        ["repositories", repo, "branches", branch, "staging", "pmpu", id],
                    ) => self.abort_upload(repo, branch, id, &query, request),
                    (&Method::PUT, ["repositories", repo, "branches", branch, "hard_reset"]) => {
                        self.hard_reset(repo, branch, &query)
                    }
                    (&Method::POST, ["auth", "users", user, "external", "principals"]) => {
                        self.attach_principal(user, &query)
                    }
                    (&Method::DELETE, ["auth", "users", user, "external", "principals"]) => {
                        self.detach_principal(user, &query)
                    }
                    (&Method::GET, ["auth", "users", user, "external", "principals", "ls"]) => {
                        self.list_principals(user, &query)
                    }
                    (&Method::GET, ["auth", "external", "principals"]) => {
                        self.get_principal(&query)
                    }
                    // The real server validates routes against the spec first: an unknown
                    // route is a 400, not a 404.
                    _ => Err(fail(
                        StatusCode::BAD_REQUEST,
                        format!("no matching operation was found for {method} {path}"),
                    )),
                },
            },
        };
        result.unwrap_or_else(Failure::into_response)
    }

    /// The user the request authenticates as, or a 401.
    fn authenticate(&self, request: &Request<Bytes>) -> Result<String, Failure> {
        let unauthorized = || fail(StatusCode::UNAUTHORIZED, "error authenticating request");
        let state = self.lock();
        let headers = request.headers();
        if let Some(value) = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
        {
            if let Some(encoded) = value.strip_prefix("Basic ") {
                let decoded = base64::engine::general_purpose::STANDARD
                    .decode(encoded.trim())
                    .map_err(|_| unauthorized())?;
                let pair = String::from_utf8(decoded).map_err(|_| unauthorized())?;
                let (key, secret) = pair.split_once(':').ok_or_else(unauthorized)?;
                return match state.access_keys.get(key) {
                    Some((expected, user)) if expected == secret => Ok(user.clone()),
                    _ => Err(unauthorized()),
                };
            }
            if let Some(token) = value.strip_prefix("Bearer ") {
                return match state.tokens.get(token.trim()) {
                    Some((user, expires)) if *expires > now() => Ok(user.clone()),
                    _ => Err(unauthorized()),
                };
            }
            return Err(unauthorized());
        }
        if let Some(cookies) = headers.get(header::COOKIE).and_then(|v| v.to_str().ok()) {
            for cookie in cookies.split(';') {
                if let Some((name, value)) = cookie.trim().split_once('=') {
                    if matches!(
                        name,
                        "internal_auth_session" | "oidc_auth_session" | "saml_auth_session"
                    ) {
                        if let Some(user) = state.session_cookies.get(value) {
                            return Ok(user.clone());
                        }
                    }
                }
            }
        }
        Err(unauthorized())
    }

    fn create_upload(
        &self,
        repository: &str,
        branch: &str,
        query: &Query,
    ) -> Result<Answer, Failure> {
        let path = query.required("path")?;
        let parts = query.integer("parts")?;
        let mut state = self.lock();
        let repo = state
            .repositories
            .get(repository)
            .ok_or_else(|| fail(StatusCode::NOT_FOUND, "repository not found"))?;
        if state.presign_multipart == Support::NotImplemented {
            return Err(not_implemented("presign multipart upload API"));
        }
        if !repo.branches.contains_key(branch) {
            return Err(fail(
                StatusCode::NOT_FOUND,
                format!("branch '{branch}' not found"),
            ));
        }
        if path.is_empty() {
            return Err(fail(StatusCode::BAD_REQUEST, "path is required"));
        }
        let parts = parts.unwrap_or(0);
        if !(0..=MAX_PARTS).contains(&parts) {
            return Err(fail(
                StatusCode::BAD_REQUEST,
                "parts can be between 0 and 10000",
            ));
        }
        let parts = u32::try_from(parts).unwrap_or(0);
        let upload_id = state.new_id("upload-");
        let relative = format!("data/{}/{}", state.new_id("g"), state.new_id("o"));
        let signature = state.address_signature(repository, branch, path, &relative);
        let physical_address = format!("s3://emulator-bucket/{repository}/{relative},{signature}");
        let presigned_urls = (parts > 0).then(|| {
            (1..=parts)
                .map(|n| {
                    format!(
                        "{}{STORAGE_PREFIX}{upload_id}/{n}?X-Amz-Expires=900&X-Amz-Signature={}",
                        state.storage_url,
                        state.part_signature(&upload_id, n)
                    )
                })
                .collect()
        });
        state.uploads.insert(
            upload_id.clone(),
            Upload {
                repository: repository.to_owned(),
                branch: branch.to_owned(),
                path: path.to_owned(),
                physical_address: physical_address.clone(),
                presigned_parts: parts,
                parts: Default::default(),
            },
        );
        Ok(json(
            StatusCode::CREATED,
            &PresignMultipartUpload {
                upload_id,
                physical_address,
                presigned_urls,
            },
        ))
    }

    /// The checks complete and abort share: feature, repository, branch, path, address and
    /// its signature, upload.
    fn check_upload(
        state: &State,
        repository: &str,
        branch: &str,
        upload_id: &str,
        path: &str,
        physical_address: &str,
    ) -> Result<(), Failure> {
        if state.presign_multipart == Support::NotImplemented {
            return Err(not_implemented("presign multipart upload API"));
        }
        let repo = state
            .repositories
            .get(repository)
            .ok_or_else(|| fail(StatusCode::NOT_FOUND, "repository not found"))?;
        if !repo.branches.contains_key(branch) {
            return Err(fail(
                StatusCode::NOT_FOUND,
                format!("branch '{branch}' not found"),
            ));
        }
        if path.is_empty() || physical_address.is_empty() || upload_id.is_empty() {
            return Err(fail(
                StatusCode::BAD_REQUEST,
                "uploadId, path and physical_address are required",
            ));
        }
        let prefix = format!("s3://emulator-bucket/{repository}/");
        let relative = physical_address
            .strip_prefix(&prefix)
            .filter(|r| r.starts_with("data/"))
            .ok_or_else(|| {
                fail(
                    StatusCode::BAD_REQUEST,
                    "physical address is not in the repository's storage namespace data/",
                )
            })?;
        let (address, signature) = relative.rsplit_once(',').ok_or_else(|| {
            fail(
                StatusCode::BAD_REQUEST,
                "invalid physical address: missing signature",
            )
        })?;
        if state.address_signature(repository, branch, path, address) != signature {
            return Err(fail(
                StatusCode::BAD_REQUEST,
                "invalid physical address: signature mismatch",
            ));
        }
        match state.uploads.get(upload_id) {
            Some(upload)
                if upload.repository != repository
                    || upload.branch != branch
                    || upload.path != path =>
            {
                Err(fail(
                    StatusCode::NOT_FOUND,
                    "upload not found for this repository, branch and path",
                ))
            }
            Some(upload) if upload.physical_address == physical_address => Ok(()),
            Some(_) => Err(fail(
                StatusCode::BAD_REQUEST,
                "physical address does not belong to this upload",
            )),
            None => Err(fail(StatusCode::NOT_FOUND, "upload not found")),
        }
    }

    fn complete_upload(
        &self,
        repository: &str,
        branch: &str,
        upload_id: &str,
        query: &Query,
        request: &Request<Bytes>,
    ) -> Result<Answer, Failure> {
        let path = query.required("path")?;
        let complete: CompletePresignMultipartUpload = body(request)?;
        let mut state = self.lock();
        Self::check_upload(
            &state,
            repository,
            branch,
            upload_id,
            path,
            &complete.physical_address,
        )?;
        if complete.parts.is_empty() {
            return Err(fail(StatusCode::BAD_REQUEST, "parts are required"));
        }
        let upload = state
            .uploads
            .get(upload_id)
            .ok_or_else(|| fail(StatusCode::NOT_FOUND, "upload not found"))?;
        // S3's own CompleteMultipartUpload checks; lakeFS passes their failures on as 500.
        let mut previous = 0;
        let mut parts = Vec::with_capacity(complete.parts.len());
        let mut digests = Vec::new();
        for (index, part) in complete.parts.iter().enumerate() {
            if part.part_number <= previous {
                return Err(fail(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "InvalidPartOrder: the list of parts was not in ascending order",
                ));
            }
            previous = part.part_number;
            let Some((bytes, md5)) = upload.parts.get(&part.part_number) else {
                return Err(fail(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    format!("InvalidPart: part {} was not uploaded", part.part_number),
                ));
            };
            if part.etag.trim_matches('"') != md5 {
                return Err(fail(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    format!(
                        "InvalidPart: the ETag of part {} does not match",
                        part.part_number
                    ),
                ));
            }
            if index + 1 < complete.parts.len() && bytes.len() < MIN_PART_SIZE {
                return Err(fail(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    format!(
                        "EntityTooSmall: part {} is smaller than 5 MiB",
                        part.part_number
                    ),
                ));
            }
            digests.extend(
                (0..md5.len() / 2)
                    .filter_map(|i| u8::from_str_radix(&md5[2 * i..2 * i + 2], 16).ok()),
            );
            parts.push(bytes.clone());
        }
        let checksum = format!("{}-{}", md5_hex(&[&digests]), parts.len());
        let size: usize = parts.iter().map(Bytes::len).sum();
        let relative = complete
            .physical_address
            .strip_prefix(&format!("s3://emulator-bucket/{repository}/"))
            .unwrap_or(&complete.physical_address)
            .to_owned();
        let stats = ObjectStats {
            path: path.to_owned(),
            path_type: PathType::Object,
            physical_address: relative,
            physical_address_expiry: None,
            checksum,
            size_bytes: Some(i64::try_from(size).unwrap_or(i64::MAX)),
            mtime: now(),
            metadata: complete.user_metadata.clone(),
            content_type: Some(
                complete
                    .content_type
                    .clone()
                    .unwrap_or_else(|| "application/octet-stream".into()),
            ),
        };
        state.uploads.remove(upload_id);
        if let Some(target) = state
            .repositories
            .get_mut(repository)
            .and_then(|r| r.branches.get_mut(branch))
        {
            target.staged.insert(
                path.to_owned(),
                StagedObject {
                    parts,
                    stats: stats.clone(),
                },
            );
        }
        Ok(json(StatusCode::OK, &stats))
    }

    fn abort_upload(
        &self,
        repository: &str,
        branch: &str,
        upload_id: &str,
        query: &Query,
        request: &Request<Bytes>,
    ) -> Result<Answer, Failure> {
        let path = query.required("path")?;
        let abort: AbortPresignMultipartUpload = body(request)?;
        let mut state = self.lock();
        Self::check_upload(
            &state,
            repository,
            branch,
            upload_id,
            path,
            &abort.physical_address,
        )?;
        state.uploads.remove(upload_id);
        Ok(empty(StatusCode::NO_CONTENT))
    }

    fn hard_reset(&self, repository: &str, branch: &str, query: &Query) -> Result<Answer, Failure> {
        let reference = query.required("ref")?;
        let force = query.boolean("force")?.unwrap_or(false);
        let mut state = self.lock();
        let repo = state
            .repositories
            .get_mut(repository)
            .ok_or_else(|| fail(StatusCode::NOT_FOUND, "repository not found"))?;
        let target_branch = repo.branches.get(branch).ok_or_else(|| {
            fail(
                StatusCode::NOT_FOUND,
                format!("branch '{branch}' not found"),
            )
        })?;
        if target_branch.protected {
            return Err(fail(
                StatusCode::FORBIDDEN,
                "cannot reset a protected branch",
            ));
        }
        if repo.read_only && !force {
            return Err(fail(StatusCode::FORBIDDEN, "read-only repository"));
        }
        if target_branch.dirty {
            return Err(fail(
                StatusCode::BAD_REQUEST,
                "branch is dirty: commit or revert uncommitted changes first",
            ));
        }
        let commit = resolve_ref(repo, reference).ok_or_else(|| {
            fail(
                StatusCode::NOT_FOUND,
                format!("ref '{reference}' not found"),
            )
        })?;
        if let Some(target) = repo.branches.get_mut(branch) {
            target.head = commit;
            target.staged.clear();
        }
        Ok(empty(StatusCode::NO_CONTENT))
    }

    fn principals_supported(&self) -> Result<(), Failure> {
        match self.lock().external_principals {
            Support::Enabled => Ok(()),
            Support::NotImplemented => Err(not_implemented("external principals")),
        }
    }

    fn attach_principal(&self, user: &str, query: &Query) -> Result<Answer, Failure> {
        let principal = query.required("principalId")?;
        self.principals_supported()?;
        // The request body (ExternalPrincipalCreation) is ignored, as by the real server.
        let mut state = self.lock();
        if !state.users.contains_key(user) {
            return Err(fail(
                StatusCode::NOT_FOUND,
                format!("user '{user}' not found"),
            ));
        }
        if state.principals.contains_key(principal) {
            return Err(fail(
                StatusCode::CONFLICT,
                "external principal already attached",
            ));
        }
        state
            .principals
            .insert(principal.to_owned(), user.to_owned());
        Ok(empty(StatusCode::CREATED))
    }

    fn detach_principal(&self, user: &str, query: &Query) -> Result<Answer, Failure> {
        let principal = query.required("principalId")?;
        self.principals_supported()?;
        let mut state = self.lock();
        match state.principals.get(principal) {
            Some(owner) if owner == user => {
                state.principals.remove(principal);
                Ok(empty(StatusCode::NO_CONTENT))
            }
            _ => Err(fail(StatusCode::NOT_FOUND, "external principal not found")),
        }
    }

    fn get_principal(&self, query: &Query) -> Result<Answer, Failure> {
        let principal = query.required("principalId")?;
        self.principals_supported()?;
        let state = self.lock();
        let user = state
            .principals
            .get(principal)
            .ok_or_else(|| fail(StatusCode::NOT_FOUND, "external principal not found"))?;
        Ok(json(
            StatusCode::OK,
            &ExternalPrincipal {
                id: principal.to_owned(),
                user_id: user.clone(),
                settings: None,
            },
        ))
    }

    fn list_principals(&self, user: &str, query: &Query) -> Result<Answer, Failure> {
        let prefix = query.get("prefix").unwrap_or("");
        let after = query.get("after").unwrap_or("");
        let amount = query.integer("amount")?;
        if amount.is_some_and(|a| !(-1..=1000).contains(&a)) {
            return Err(fail(
                StatusCode::BAD_REQUEST,
                "parameter \"amount\" in query has an error: number must be between -1 and 1000",
            ));
        }
        self.principals_supported()?;
        // amount absent or ≤ 0 → 100; > 1000 → 1000 (the validator already refuses > 1000).
        let amount = match amount {
            Some(a) if a > 0 => usize::try_from(a.min(1000)).unwrap_or(1000),
            _ => 100,
        };
        let state = self.lock();
        if !state.users.contains_key(user) {
            return Err(fail(
                StatusCode::NOT_FOUND,
                format!("user '{user}' not found"),
            ));
        }
        let mut matching = state.principals.iter().filter(|(id, owner)| {
            owner.as_str() == user && id.starts_with(prefix) && id.as_str() > after
        });
        let results: Vec<ExternalPrincipal> = matching
            .by_ref()
            .take(amount)
            .map(|(id, owner)| ExternalPrincipal {
                id: id.clone(),
                user_id: owner.clone(),
                settings: None,
            })
            .collect();
        let has_more = matching.next().is_some();
        let next_offset = if has_more {
            results.last().map(|p| p.id.clone()).unwrap_or_default()
        } else {
            String::new()
        };
        Ok(json(
            StatusCode::OK,
            &ExternalPrincipalList {
                pagination: Pagination {
                    has_more,
                    next_offset,
                    results: i64::try_from(results.len()).unwrap_or(i64::MAX),
                    max_per_page: 0,
                },
                results,
            },
        ))
    }

    fn sts_login(&self, request: &Request<Bytes>) -> Result<Answer, Failure> {
        let login: StsAuthRequest = body(request)?;
        let mut state = self.lock();
        if state.sts == Support::NotImplemented {
            return Err(not_implemented(
                "STS login (no external authentication API configured)",
            ));
        }
        let user = state
            .sts_logins
            .get(&(login.code.clone(), login.state.clone()))
            .cloned()
            .ok_or_else(|| {
                fail(
                    StatusCode::UNAUTHORIZED,
                    "invalid authorization code or state",
                )
            })?;
        if !state.users.contains_key(&user) {
            return Err(fail(
                StatusCode::NOT_FOUND,
                "no lakeFS user for this external identity",
            ));
        }
        let ttl = login.ttl_seconds.unwrap_or(3600).min(43_200);
        let expires = now().saturating_add(ttl);
        let token = format!("emu.{}.{}", state.new_id("t"), fastrand::u64(..));
        state.tokens.insert(token.clone(), (user, expires));
        Ok(json(
            StatusCode::OK,
            &AuthenticationToken {
                token,
                token_expiration: Some(expires),
            },
        ))
    }
}

/// Resolves a ref expression: a branch name or commit id, each `~N` (or `~`) going N
/// ancestors back.
fn resolve_ref(repo: &crate::state::Repository, reference: &str) -> Option<String> {
    let mut pieces = reference.split('~');
    let base = pieces.next()?;
    let mut commit = match repo.branches.get(base) {
        Some(branch) => branch.head.clone(),
        None if repo.commits.contains_key(base) => base.to_owned(),
        None => return None,
    };
    for step in pieces {
        let n: usize = if step.is_empty() {
            1
        } else {
            step.parse().ok()?
        };
        for _ in 0..n {
            commit = repo.commits.get(&commit)?.clone()?;
        }
    }
    Some(commit)
}
