//! Request routing and the nine operations' handlers.

use base64::Engine as _;
use bytes::Bytes;
use http::{header, Method, Request, Response, StatusCode};
use lakefs_models::{
    AbortPresignMultipartUpload, AuthenticationToken, CompletePresignMultipartUpload,
    ExternalPrincipal, ExternalPrincipalList, ObjectStats, Pagination, PresignMultipartUpload,
    StsAuthRequest,
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

/// Which operation a request is for, with its decoded path parameters.
#[derive(Debug)]
pub(crate) enum Route {
    Create {
        repo: String,
        branch: String,
    },
    Complete {
        repo: String,
        branch: String,
        id: String,
    },
    Abort {
        repo: String,
        branch: String,
        id: String,
    },
    HardReset {
        repo: String,
        branch: String,
    },
    Attach {
        user: String,
    },
    Detach {
        user: String,
    },
    List {
        user: String,
    },
    Get,
    StsLogin,
    /// A part PUT to the emulator's own store: the path below the storage prefix.
    Storage(String),
    /// Outside `/api/v1`.
    NotFound,
    /// Under `/api/v1` but no operation of the spec.
    Unknown,
}

impl Route {
    fn parse(request: &Request<Bytes>) -> Self {
        let path = request.uri().path();
        if let Some(rest) = path.strip_prefix(STORAGE_PREFIX) {
            return Self::Storage(rest.to_owned());
        }
        let Some(rest) = path.strip_prefix(BASE) else {
            return Self::NotFound;
        };
        // Split before decoding: a branch name may hold an encoded '/'.
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
        let owned = |s: &&str| (*s).to_owned();
        match (request.method(), segments.as_slice()) {
            (&Method::POST, ["sts", "login"]) => Self::StsLogin,
            (&Method::POST, ["repositories", repo, "branches", branch, "staging", "pmpu"]) => {
                Self::Create {
                    repo: owned(repo),
                    branch: owned(branch),
                }
            }
            (&Method::PUT, ["repositories", repo, "branches", branch, "staging", "pmpu", id]) => {
                Self::Complete {
                    repo: owned(repo),
                    branch: owned(branch),
                    id: owned(id),
                }
            }
            (
                &Method::DELETE,
                ["repositories", repo, "branches", branch, "staging", "pmpu", id],
            ) => Self::Abort {
                repo: owned(repo),
                branch: owned(branch),
                id: owned(id),
            },
            (&Method::PUT, ["repositories", repo, "branches", branch, "hard_reset"]) => {
                Self::HardReset {
                    repo: owned(repo),
                    branch: owned(branch),
                }
            }
            (&Method::POST, ["auth", "users", user, "external", "principals"]) => {
                Self::Attach { user: owned(user) }
            }
            (&Method::DELETE, ["auth", "users", user, "external", "principals"]) => {
                Self::Detach { user: owned(user) }
            }
            (&Method::GET, ["auth", "users", user, "external", "principals", "ls"]) => {
                Self::List { user: owned(user) }
            }
            (&Method::GET, ["auth", "external", "principals"]) => Self::Get,
            _ => Self::Unknown,
        }
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
        self.dispatch(request, &Route::parse(request))
            .unwrap_or_else(Failure::into_response)
    }

    fn dispatch(&self, request: &Request<Bytes>, route: &Route) -> Result<Answer, Failure> {
        let query = Query::parse(request);
        if let Route::Storage(rest) = route {
            return Ok(crate::storage::put_part(self, request, rest));
        }
        if !matches!(route, Route::StsLogin | Route::NotFound) {
            self.authenticate(request)?;
        }
        if matches!(
            route,
            Route::Create { .. } | Route::Complete { .. } | Route::Abort { .. }
        ) && self.stores_on_s3()
        {
            return Err(fail(
                StatusCode::NOT_IMPLEMENTED,
                "this emulator stores parts on S3: serve it over HTTP (handle_async)",
            ));
        }
        match route {
            Route::Create { repo, branch } => self.create_upload(repo, branch, &query),
            Route::Complete { repo, branch, id } => {
                self.complete_upload(repo, branch, id, &query, request)
            }
            Route::Abort { repo, branch, id } => {
                self.abort_upload(repo, branch, id, &query, request)
            }
            Route::HardReset { repo, branch } => self.hard_reset(repo, branch, &query),
            Route::Attach { user } => self.attach_principal(user, &query),
            Route::Detach { user } => self.detach_principal(user, &query),
            Route::List { user } => self.list_principals(user, &query),
            Route::Get => self.get_principal(&query),
            Route::StsLogin => self.sts_login(request),
            Route::NotFound => Err(fail(StatusCode::NOT_FOUND, "not found")),
            // The real server validates routes against the spec first: an unknown route is a
            // 400, not a 404.
            Route::Unknown => Err(fail(
                StatusCode::BAD_REQUEST,
                format!(
                    "no matching operation was found for {} {}",
                    request.method(),
                    request.uri().path()
                ),
            )),
            Route::Storage(_) => Err(fail(StatusCode::INTERNAL_SERVER_ERROR, "unreachable")),
        }
    }

    /// As [`handle`](Self::handle), and also for an emulator that stores parts on a real S3
    /// server (`Emulator::set_s3_storage`, feature `s3`), whose create, complete
    /// and abort call S3. [`serve`](crate::serve) uses it.
    pub async fn handle_async(&self, request: &Request<Bytes>) -> Response<Bytes> {
        let route = Route::parse(request);
        #[cfg(feature = "s3")]
        if let Some(s3) = self.s3_storage() {
            if matches!(
                route,
                Route::Create { .. } | Route::Complete { .. } | Route::Abort { .. }
            ) {
                if let Err(failure) = self.authenticate(request) {
                    return failure.into_response();
                }
                return self
                    .dispatch_s3(&s3, request, &route)
                    .await
                    .unwrap_or_else(Failure::into_response);
            }
        }
        self.dispatch(request, &route)
            .unwrap_or_else(Failure::into_response)
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

    /// Validates a create request and mints the upload's signed address.
    fn begin_create(
        &self,
        repository: &str,
        branch: &str,
        query: &Query,
    ) -> Result<NewUpload, Failure> {
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
        let relative = format!("data/{}/{}", state.new_id("g"), state.new_id("o"));
        let signature = state.address_signature(repository, branch, path, &relative);
        let key = format!("{repository}/{relative},{signature}");
        Ok(NewUpload {
            repository: repository.to_owned(),
            branch: branch.to_owned(),
            path: path.to_owned(),
            parts: u16::try_from(parts).unwrap_or(0),
            physical_address: format!("s3://{}/{key}", state.bucket),
            key,
        })
    }

    /// Records a created upload and answers its presigned URLs.
    fn finish_create(&self, new: NewUpload, upload_id: String, urls: Vec<String>) -> Answer {
        self.lock().uploads.insert(
            upload_id.clone(),
            Upload {
                repository: new.repository,
                branch: new.branch,
                path: new.path,
                physical_address: new.physical_address.clone(),
                presigned_parts: u32::from(new.parts),
                parts: Default::default(),
            },
        );
        json(
            StatusCode::CREATED,
            // Omitted, not empty, when no part was asked for.
            &PresignMultipartUpload::new(
                upload_id,
                new.physical_address,
                (!urls.is_empty()).then_some(urls),
            ),
        )
    }

    fn create_upload(
        &self,
        repository: &str,
        branch: &str,
        query: &Query,
    ) -> Result<Answer, Failure> {
        let new = self.begin_create(repository, branch, query)?;
        let (upload_id, urls) = {
            let mut state = self.lock();
            let upload_id = state.new_id("upload-");
            let urls = (1..=u32::from(new.parts))
                .map(|n| {
                    format!(
                        "{}{STORAGE_PREFIX}{upload_id}/{n}?X-Amz-Expires=900&X-Amz-Signature={}",
                        state.storage_url,
                        state.part_signature(&upload_id, n)
                    )
                })
                .collect();
            (upload_id, urls)
        };
        Ok(self.finish_create(new, upload_id, urls))
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
        let prefix = format!("s3://{}/{repository}/", state.bucket);
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

    /// Validates a complete or abort request: its JSON body, and the address that body
    /// carries against the upload.
    fn begin_upload_call<B: serde::de::DeserializeOwned>(
        &self,
        target: (&str, &str, &str),
        query: &Query,
        request: &Request<Bytes>,
        address: impl Fn(&B) -> &str,
    ) -> Result<(String, B), Failure> {
        let (repository, branch, upload_id) = target;
        let path = query.required("path")?;
        let parsed: B = body(request)?;
        let state = self.lock();
        Self::check_upload(
            &state,
            repository,
            branch,
            upload_id,
            path,
            address(&parsed),
        )?;
        Ok((path.to_owned(), parsed))
    }

    /// Validates a complete request: the body, the address and the upload.
    fn begin_complete(
        &self,
        repository: &str,
        branch: &str,
        upload_id: &str,
        query: &Query,
        request: &Request<Bytes>,
    ) -> Result<(String, CompletePresignMultipartUpload), Failure> {
        let (path, complete) = self.begin_upload_call(
            (repository, branch, upload_id),
            query,
            request,
            |c: &CompletePresignMultipartUpload| &c.physical_address,
        )?;
        if complete.parts.is_empty() {
            return Err(fail(StatusCode::BAD_REQUEST, "parts are required"));
        }
        Ok((path, complete))
    }

    /// Ends an upload: it is gone, and its object is staged on the branch. Answers the stats,
    /// with the address relative to the repository's namespace, as lakeFS does.
    #[allow(clippy::too_many_arguments)]
    fn finish_complete(
        &self,
        repository: &str,
        branch: &str,
        upload_id: &str,
        path: &str,
        complete: &CompletePresignMultipartUpload,
        checksum: String,
        size: u64,
        parts: Vec<Bytes>,
    ) -> Answer {
        let mut state = self.lock();
        let namespace = format!("s3://{}/{repository}/", state.bucket);
        let relative = complete
            .physical_address
            .strip_prefix(&namespace)
            .unwrap_or(&complete.physical_address);
        let mut stats = ObjectStats::new(path, relative, checksum, now());
        stats.size_bytes = Some(i64::try_from(size).unwrap_or(i64::MAX));
        stats.metadata = complete.user_metadata.clone();
        stats.content_type = Some(
            complete
                .content_type
                .clone()
                .unwrap_or_else(|| "application/octet-stream".into()),
        );
        state.uploads.remove(upload_id);
        if let Some(target) = state
            .repositories
            .get_mut(repository)
            .and_then(|r| r.branches.get_mut(branch))
        {
            let staged = StagedObject {
                parts,
                stats: stats.clone(),
            };
            target.staged.insert(path.to_owned(), staged);
        }
        json(StatusCode::OK, &stats)
    }

    fn complete_upload(
        &self,
        repository: &str,
        branch: &str,
        upload_id: &str,
        query: &Query,
        request: &Request<Bytes>,
    ) -> Result<Answer, Failure> {
        let (path, complete) =
            self.begin_complete(repository, branch, upload_id, query, request)?;
        let (parts, checksum) = {
            let state = self.lock();
            let upload = state
                .uploads
                .get(upload_id)
                .ok_or_else(|| fail(StatusCode::NOT_FOUND, "upload not found"))?;
            assemble(upload, &complete)?
        };
        let size = parts.iter().map(|p| p.len() as u64).sum();
        Ok(self.finish_complete(
            repository, branch, upload_id, &path, &complete, checksum, size, parts,
        ))
    }

    fn abort_upload(
        &self,
        repository: &str,
        branch: &str,
        upload_id: &str,
        query: &Query,
        request: &Request<Bytes>,
    ) -> Result<Answer, Failure> {
        self.begin_abort(repository, branch, upload_id, query, request)?;
        self.lock().uploads.remove(upload_id);
        Ok(empty(StatusCode::NO_CONTENT))
    }

    /// Validates an abort request; the address to abort.
    fn begin_abort(
        &self,
        repository: &str,
        branch: &str,
        upload_id: &str,
        query: &Query,
        request: &Request<Bytes>,
    ) -> Result<String, Failure> {
        let (_, abort) = self.begin_upload_call(
            (repository, branch, upload_id),
            query,
            request,
            |a: &AbortPresignMultipartUpload| &a.physical_address,
        )?;
        Ok(abort.physical_address)
    }

    /// Create, complete and abort against the S3 server behind this emulator.
    #[cfg(feature = "s3")]
    async fn dispatch_s3(
        &self,
        s3: &crate::s3::S3Storage,
        request: &Request<Bytes>,
        route: &Route,
    ) -> Result<Answer, Failure> {
        let query = Query::parse(request);
        let s3_failure =
            |error: crate::s3::S3Error| fail(StatusCode::INTERNAL_SERVER_ERROR, error.to_string());
        let key_of = |address: &str| {
            address
                .strip_prefix(&format!("s3://{}/", s3.bucket_name()))
                .unwrap_or(address)
                .to_owned()
        };
        match route {
            Route::Create { repo, branch } => {
                let new = self.begin_create(repo, branch, &query)?;
                let upload_id = s3.create_upload(&new.key).await.map_err(s3_failure)?;
                let urls = (1..=new.parts)
                    .map(|n| s3.presign_part(&new.key, &upload_id, n))
                    .collect();
                Ok(self.finish_create(new, upload_id, urls))
            }
            Route::Complete { repo, branch, id } => {
                let (path, complete) = self.begin_complete(repo, branch, id, &query, request)?;
                let parts: Vec<(u32, String)> = complete
                    .parts
                    .iter()
                    .map(|p| (p.part_number, p.etag.clone()))
                    .collect();
                let (etag, size) = s3
                    .complete(&key_of(&complete.physical_address), id, &parts)
                    .await
                    .map_err(s3_failure)?;
                Ok(
                    self.finish_complete(
                        repo,
                        branch,
                        id,
                        &path,
                        &complete,
                        etag,
                        size,
                        Vec::new(),
                    ),
                )
            }
            Route::Abort { repo, branch, id } => {
                let address = self.begin_abort(repo, branch, id, &query, request)?;
                s3.abort(&key_of(&address), id).await.map_err(s3_failure)?;
                self.lock().uploads.remove(id.as_str());
                Ok(empty(StatusCode::NO_CONTENT))
            }
            _ => Err(fail(
                StatusCode::INTERNAL_SERVER_ERROR,
                "not an upload operation",
            )),
        }
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
            &ExternalPrincipal::new(principal, user.clone()),
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
            .map(|(id, owner)| ExternalPrincipal::new(id.clone(), owner.clone()))
            .collect();
        let has_more = matching.next().is_some();
        let next_offset = if has_more {
            results.last().map(|p| p.id.clone()).unwrap_or_default()
        } else {
            String::new()
        };
        Ok(json(
            StatusCode::OK,
            &ExternalPrincipalList::new(
                Pagination::new(
                    has_more,
                    next_offset,
                    i64::try_from(results.len()).unwrap_or(i64::MAX),
                    0,
                ),
                results,
            ),
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
            &AuthenticationToken::new(token, Some(expires)),
        ))
    }
}

/// A validated create request.
struct NewUpload {
    repository: String,
    branch: String,
    path: String,
    parts: u16,
    /// The object's key in the bucket: `<repository>/data/…,<signature>`.
    #[cfg_attr(not(feature = "s3"), allow(dead_code))]
    key: String,
    physical_address: String,
}

/// S3's own `CompleteMultipartUpload` checks over the in-memory parts (lakeFS passes their
/// failures on as 500); the parts in order and the multipart ETag.
fn assemble(
    upload: &Upload,
    complete: &CompletePresignMultipartUpload,
) -> Result<(Vec<Bytes>, String), Failure> {
    let mut previous = 0;
    let mut parts = Vec::with_capacity(complete.parts.len());
    let mut digests = Vec::new();
    for (index, part) in complete.parts.iter().enumerate() {
        let number = part.part_number;
        if number <= previous {
            return Err(fail(
                StatusCode::INTERNAL_SERVER_ERROR,
                "InvalidPartOrder: the list of parts was not in ascending order",
            ));
        }
        previous = number;
        let Some((bytes, md5)) = upload.parts.get(&number) else {
            return Err(fail(
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("InvalidPart: part {number} was not uploaded"),
            ));
        };
        if part.etag.trim_matches('"') != md5 {
            return Err(fail(
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("InvalidPart: the ETag of part {number} does not match"),
            ));
        }
        if index + 1 < complete.parts.len() && bytes.len() < MIN_PART_SIZE {
            return Err(fail(
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("EntityTooSmall: part {number} is smaller than 5 MiB"),
            ));
        }
        digests.extend(
            (0..md5.len() / 2).filter_map(|i| u8::from_str_radix(&md5[2 * i..2 * i + 2], 16).ok()),
        );
        parts.push(bytes.clone());
    }
    let checksum = format!("{}-{}", md5_hex(&[&digests]), parts.len());
    Ok((parts, checksum))
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
