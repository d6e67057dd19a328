//! Request routing and the shared plumbing of the handlers: errors, query parameters, JSON
//! bodies, authentication. The operations live in one module per topic.

mod auth;
mod branch_ops;
mod branches;
mod commits;
mod diff;
mod listing;
mod login;
mod merge;
mod multipart;
#[cfg(feature = "s3")]
mod multipart_s3;
mod names;
mod object_io;
mod object_upload;
mod object_writes;
mod objects;
mod parts;
mod principals;
mod pulls;
mod refs;
mod repositories;
mod route;
mod stable;
mod sts;

use bytes::Bytes;
use http::{header, Request, Response, StatusCode};
use serde::Serialize;

use crate::emulator::Emulator;
use route::Route;

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

/// lakeFS's answer to `presign=true` where reads cannot be presigned.
fn presign_unsupported() -> Failure {
    fail(StatusCode::BAD_REQUEST, "operation not supported")
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

/// A HEAD answer carries no body (its headers, `Content-Length` included, stay), as HTTP
/// servers send it; in-process callers see the same.
fn without_body_for_head(request: &Request<Bytes>, mut response: Answer) -> Answer {
    if request.method() == http::Method::HEAD {
        *response.body_mut() = Bytes::new();
    }
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

    /// Every value of a repeated parameter (`objects=a&objects=b`), in order.
    fn all(&self, name: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// A required parameter without `allowEmptyValue`: missing or empty (`?path=`) is the
    /// spec validator's 400.
    fn required_non_empty(&self, name: &str) -> Result<&str, Failure> {
        match self.required(name)? {
            "" => Err(fail(
                StatusCode::BAD_REQUEST,
                format!("parameter \"{name}\" in query has an error: empty value is not allowed"),
            )),
            value => Ok(value),
        }
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

    /// A boolean as the validator reads it (Go's `strconv.ParseBool`): `1`, `t`, `T`, `TRUE`,
    /// `true`, `True` and their false forms — the Python SDK sends `True`.
    fn boolean(&self, name: &str) -> Result<Option<bool>, Failure> {
        self.get(name)
            .map(|v| match v {
                "1" | "t" | "T" | "TRUE" | "true" | "True" => Ok(true),
                "0" | "f" | "F" | "FALSE" | "false" | "False" => Ok(false),
                other => Err(fail(
                    StatusCode::BAD_REQUEST,
                    format!("parameter \"{name}\" in query has an error: value {other}: an invalid boolean"),
                )),
            })
            .transpose()
    }
}

/// A path parameter that the spec types as an integer within `min..=max`, checked as the
/// spec validator does (400 otherwise).
fn path_integer(name: &str, value: &str, min: i64, max: i64) -> Result<i64, Failure> {
    let number: i64 = value.parse().map_err(|_| {
        fail(
            StatusCode::BAD_REQUEST,
            format!("parameter \"{name}\" in path has an error: value {value}: an invalid integer"),
        )
    })?;
    if number < min {
        return Err(fail(
            StatusCode::BAD_REQUEST,
            format!("parameter \"{name}\" in path has an error: number must be at least {min}"),
        ));
    }
    if number > max {
        return Err(fail(
            StatusCode::BAD_REQUEST,
            format!("parameter \"{name}\" in path has an error: number must be at most {max}"),
        ));
    }
    Ok(number)
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
        let response = self
            .answer(request, &Route::parse(request))
            .unwrap_or_else(Failure::into_response);
        without_body_for_head(request, response)
    }

    /// As [`handle`](Self::handle), and also for an emulator that stores parts on a real S3
    /// server (`Emulator::set_s3_storage`, feature `s3`), whose create, complete, abort and
    /// `uploadPartCopy` call S3. [`serve`](crate::serve) uses it.
    pub async fn handle_async(&self, request: &Request<Bytes>) -> Response<Bytes> {
        let route = Route::parse(request);
        #[cfg(feature = "s3")]
        if let Some(s3) = self.s3_storage() {
            if route.needs_s3() {
                let answer = match self.admit(request, &route) {
                    Ok(_) => self.dispatch_s3(&s3, request, &route).await,
                    Err(failure) => Err(failure),
                };
                return answer.unwrap_or_else(Failure::into_response);
            }
        }
        #[cfg(feature = "s3")]
        if let (Some(s3), Route::Stable(stable::Stable::UploadObject(repo, branch))) =
            (self.s3_storage(), &route)
        {
            let answer = match self.admit(request, &route) {
                Ok(_) => self.upload_object_to_s3(&s3, repo, branch, request).await,
                Err(failure) => Err(failure),
            };
            return answer.unwrap_or_else(Failure::into_response);
        }
        #[cfg(feature = "s3")]
        if let (Some(s3), Route::Stable(stable::Stable::GetObject(repo, reference))) =
            (self.s3_storage(), &route)
        {
            let answer = match self.admit(request, &route) {
                Ok(_) => self.get_object_from_s3(&s3, repo, reference, request).await,
                Err(failure) => Err(failure),
            };
            return answer.unwrap_or_else(Failure::into_response);
        }
        let response = self
            .answer(request, &route)
            .unwrap_or_else(Failure::into_response);
        without_body_for_head(request, response)
    }

    /// What lakeFS does before any handler runs (`pkg/api/serve.go:72-82`): the spec validator
    /// answers an unknown route — or the route of an operation this emulated release does not
    /// have — with 400 (`:157-161`), even without credentials; then authentication (401),
    /// skipped for the operations with `security: []`. The caller's user id (empty for those).
    fn admit(&self, request: &Request<Bytes>, route: &Route) -> Result<String, Failure> {
        let unknown = match route.operation() {
            Some(operation) => self.lock().unavailable.contains(&operation),
            None => matches!(route, Route::Unknown),
        };
        if unknown {
            return Err(fail(
                StatusCode::BAD_REQUEST,
                format!(
                    "no matching operation was found for {} {}",
                    request.method(),
                    request.uri().path()
                ),
            ));
        }
        if route.is_public() || matches!(route, Route::NotFound) {
            return Ok(String::new());
        }
        self.authenticate(request)
    }

    fn answer(&self, request: &Request<Bytes>, route: &Route) -> Result<Answer, Failure> {
        if let Route::Storage(rest) = route {
            return Ok(crate::storage::serve(self, request, rest));
        }
        let user = self.admit(request, route)?;
        if route.needs_s3() && self.stores_on_s3() {
            return Err(fail(
                StatusCode::NOT_IMPLEMENTED,
                "this emulator stores parts on S3: serve it over HTTP (handle_async)",
            ));
        }
        let query = Query::parse(request);
        let q = &query;
        match route {
            Route::Create { repo, branch } => self.create_upload(repo, branch, q),
            Route::Complete { repo, branch, id } => {
                self.complete_upload(repo, branch, id, q, request)
            }
            Route::Abort { repo, branch, id } => self.abort_upload(repo, branch, id, q, request),
            Route::UploadPart {
                repo,
                branch,
                id,
                part,
            } => self.upload_part(repo, branch, id, part, q, request),
            Route::UploadPartCopy {
                repo,
                branch,
                id,
                part,
            } => self.upload_part_copy(repo, branch, id, part, q, request),
            Route::HardReset { repo, branch } => self.hard_reset(repo, branch, q),
            Route::UpdateMetadata { repo, branch } => {
                self.update_user_metadata(repo, branch, q, request)
            }
            Route::StatObject { repo, reference } => self.stat_object(repo, reference, q),
            Route::Attach { user } => self.attach_principal(user, q),
            Route::Detach { user } => self.detach_principal(user, q),
            Route::List { user } => self.list_principals(user, q),
            Route::Get => self.get_principal(q),
            Route::ExternalLogin => self.external_principal_login(request),
            Route::StsLogin => self.sts_login(request),
            Route::ListPulls { repo } => self.list_pull_requests(repo, q),
            Route::CreatePull { repo } => self.create_pull_request(repo, &user, request),
            Route::GetPull { repo, id } => self.get_pull_request(repo, id),
            Route::UpdatePull { repo, id } => self.update_pull_request(repo, id, request),
            Route::MergePull { repo, id } => self.merge_pull_request(repo, id, &user),
            Route::Stable(operation) => self.answer_stable(operation, q, request, &user),
            Route::NotFound => Err(fail(StatusCode::NOT_FOUND, "not found")),
            Route::Unknown | Route::Storage(_) => {
                Err(fail(StatusCode::INTERNAL_SERVER_ERROR, "unreachable"))
            }
        }
    }
}
