//! [`Client`]: the handle every request builder starts from, and the call loop that
//! sends a request through the retry loop (`Call`).

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::header::{HeaderValue, ACCEPT, CONTENT_TYPE, USER_AGENT};
use http::uri::{Authority, Scheme};
use http::{Request, Response, Uri};
use lakefs_transport::HttpTransport;

use crate::call::CallOptions;
use crate::request::{error_from_response, retry_after, ApiRequest};
use crate::{Credentials, Error, RetryPolicy};

/// A client for the 18 `ExperimentalApi` operations, generic over the HTTP transport.
///
/// Cheap to clone: clones share the transport and configuration. Each operation is a method
/// that returns a request builder: name the arguments, then `send()` it.
///
/// ```
/// use lakefs_client::{Credentials, Client};
/// use lakefs_transport::fake::FakeTransport;
///
/// let client = Client::builder()
///     .endpoint("http://localhost:8000")
///     .credentials(Credentials::basic("AKIAEXAMPLE", "secret"))
///     .build_with_transport(FakeTransport::new())?;
/// assert_eq!(client.base_url(), "http://localhost:8000/api/v1");
/// # Ok::<(), lakefs_client::Error>(())
/// ```
pub struct Client<T> {
    pub(crate) transport: Arc<T>,
    pub(crate) config: Arc<Config>,
}

impl<T> Clone for Client<T> {
    fn clone(&self) -> Self {
        Self {
            transport: Arc::clone(&self.transport),
            config: Arc::clone(&self.config),
        }
    }
}

/// What a client was built with.
#[derive(Clone)]
pub(crate) struct Config {
    pub(crate) scheme: Scheme,
    pub(crate) authority: Authority,
    /// Without a trailing slash, e.g. `/api/v1`.
    pub(crate) base_path: String,
    pub(crate) credentials: Credentials,
    pub(crate) user_agent: HeaderValue,
    pub(crate) retry: RetryPolicy,
    pub(crate) timeout: Option<Duration>,
}

impl<T> fmt::Debug for Client<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("base_url", &self.base_url())
            .field("credentials", &self.config.credentials)
            .field("retry", &self.config.retry)
            .field("timeout", &self.config.timeout)
            .finish_non_exhaustive()
    }
}

impl<T: HttpTransport> Client<T> {
    /// The transport (shared, not copied), for requests that are not API calls: the upload
    /// engine's part PUTs to presigned URLs go through it. It adds no credentials of its own;
    /// the client's are added per API call and never reach it otherwise.
    #[must_use]
    pub fn transport(&self) -> &Arc<T> {
        &self.transport
    }

    /// The limit for one attempt of an API call (`None`: no limit).
    #[must_use]
    pub fn request_timeout(&self) -> Option<Duration> {
        self.config.timeout
    }

    /// The retry policy of API calls.
    pub fn retry_policy(&self) -> &RetryPolicy {
        &self.config.retry
    }

    /// Sends `request`, retrying what may be retried, and returns the answer (2xx, or a status
    /// the request takes as one).
    pub(crate) async fn execute(
        &self,
        request: ApiRequest,
        options: &CallOptions,
    ) -> Result<Response<Bytes>, Error> {
        let uri = self.uri_for(&request)?;
        let retry = options.retry.as_ref().unwrap_or(&self.config.retry);
        let mut call = Call {
            client: self,
            request: &request,
            uri: &uri,
            timeout: options.timeout.unwrap_or(self.config.timeout),
        };
        crate::retry::run(retry, &mut call).await
    }

    async fn attempt(
        &self,
        request: &ApiRequest,
        uri: &Uri,
        timeout: Option<Duration>,
    ) -> Result<Response<Bytes>, Error> {
        let operation = request.operation;
        let mut builder = Request::builder()
            .method(operation.method())
            .uri(uri.clone())
            .header(USER_AGENT, self.config.user_agent.clone())
            .header(ACCEPT, HeaderValue::from_static("application/json"));
        if request.body.is_some() {
            let media = if request.binary {
                "application/octet-stream"
            } else {
                "application/json"
            };
            builder = builder.header(CONTENT_TYPE, HeaderValue::from_static(media));
        }
        let mut http_request = builder
            .body(request.body.clone().unwrap_or_default())
            .map_err(|_| {
                Error::invalid_argument(
                    operation,
                    "request",
                    "could not be assembled into an HTTP request",
                )
            })?;
        for (name, value) in &request.headers {
            http_request
                .headers_mut()
                .append(name.clone(), value.clone());
        }
        if operation.is_authenticated() {
            self.config.credentials.apply(http_request.headers_mut())?;
        }
        let send = self.transport.send(http_request);
        let result = match timeout {
            Some(after) => tokio::time::timeout(after, send)
                .await
                .map_err(|_| Error::timeout(operation, after))?,
            None => send.await,
        };
        result.map_err(|source| Error::transport(operation, source))
    }

    fn uri_for(&self, request: &ApiRequest) -> Result<Uri, Error> {
        let path_and_query = format!("{}{}", self.config.base_path, request.path_and_query());
        Uri::builder()
            .scheme(self.config.scheme.clone())
            .authority(self.config.authority.clone())
            .path_and_query(path_and_query)
            .build()
            .map_err(|_| {
                Error::invalid_argument(request.operation, "path", "does not form a valid URI")
            })
    }
}

impl<T> Client<T> {
    /// The API's base URL, e.g. `http://localhost:8000/api/v1`.
    #[must_use]
    pub fn base_url(&self) -> String {
        format!(
            "{}://{}{}",
            self.config.scheme, self.config.authority, self.config.base_path
        )
    }

    /// The same client with other credentials (for example the token from `sts_login`).
    #[must_use]
    pub fn with_credentials(&self, credentials: Credentials) -> Self {
        let config = Config {
            credentials,
            ..Config::clone(&self.config)
        };
        Self {
            transport: Arc::clone(&self.transport),
            config: Arc::new(config),
        }
    }

    /// The same client with another retry policy for every call (one call can also override
    /// it with its builder's `retry_policy`).
    #[must_use]
    pub fn with_retry_policy(&self, retry: RetryPolicy) -> Self {
        let config = Config {
            retry,
            ..Config::clone(&self.config)
        };
        Self {
            transport: Arc::clone(&self.transport),
            config: Arc::new(config),
        }
    }
}

/// One API call's attempts, for the retry loop: a failure is retried when it may be mended and
/// repeating the operation is safe (it is idempotent, or the failure proves lakeFS did not act).
struct Call<'a, T> {
    client: &'a Client<T>,
    request: &'a ApiRequest,
    uri: &'a Uri,
    timeout: Option<Duration>,
}

impl<T: HttpTransport> crate::retry::Attempts for Call<'_, T> {
    type Output = Response<Bytes>;
    type Error = Error;

    async fn attempt(
        &mut self,
        attempt: &mut crate::retry::Attempt,
    ) -> crate::retry::Outcome<Response<Bytes>, Error> {
        use crate::retry::Outcome;
        let operation = self.request.operation;
        let (error, server_wait) = match self
            .client
            .attempt(self.request, self.uri, self.timeout)
            .await
        {
            Ok(response) if self.request.is_answer(response.status()) => {
                return Outcome::Done(Ok(response))
            }
            Ok(response) => {
                // An answer, even an error, is progress: the server is there.
                attempt.progressed();
                let error = error_from_response(operation, &response);
                let wait = error.retry_after().or_else(|| retry_after(&response));
                (error, wait)
            }
            Err(error) => (error, None),
        };
        let safe = operation.is_idempotent() || error.proves_not_applied();
        if error.is_retryable() && safe {
            Outcome::Retry {
                error,
                retry_after: server_wait,
            }
        } else {
            Outcome::Done(Err(error))
        }
    }

    fn before_retry(&mut self, error: &Error, number: u32, wait: Duration) {
        tracing::debug!(
            operation = self.request.operation.id(),
            attempt = number,
            ?wait,
            error = %error,
            "retrying a lakeFS call"
        );
    }
}
