//! lakeFS errors as `object_store` errors: the kind callers match on, the lakeFS error kept as
//! the source (its text carries no credential and no presigned URL).

use http::StatusCode;
use lakefs_client::{Error as ApiError, ErrorKind};
use lakefs_download::ErrorKind as DownloadErrorKind;
use object_store::Error;

/// The store's name in `object_store::Error::Generic`.
pub(crate) const STORE: &str = "LakeFS";

/// `error`, met at `path`, as the `object_store` error of its kind.
pub(crate) fn from_api(path: &str, error: ApiError) -> Error {
    let (kind, status) = (error.kind(), error.status());
    classify(path, kind, status, Box::new(error))
}

/// A download engine's error at `path`: an object that changed under the read is
/// `Precondition`; a lakeFS refusal is classified as [`from_api`] does; the engine's error
/// stays the source either way.
pub(crate) fn from_download(path: &str, error: lakefs_download::Error) -> Error {
    if error.kind() == DownloadErrorKind::ObjectChanged {
        return Error::Precondition {
            path: path.to_owned(),
            source: Box::new(error),
        };
    }
    match error.lakefs_error().map(|e| (e.kind(), e.status())) {
        Some((kind, status)) => classify(path, kind, status, Box::new(error)),
        None => generic(error),
    }
}

type Source = Box<dyn std::error::Error + Send + Sync + 'static>;

/// The `object_store` kind of a lakeFS answer: 404 `NotFound`, 409 `AlreadyExists`, 412
/// `Precondition`, 304 `NotModified`, 401 `Unauthenticated`, 403 `PermissionDenied`, 501
/// `NotSupported`, anything else `Generic`.
fn classify(path: &str, kind: ErrorKind, status: Option<StatusCode>, source: Source) -> Error {
    let path = path.to_owned();
    match kind {
        ErrorKind::NotFound => Error::NotFound { path, source },
        ErrorKind::Conflict => Error::AlreadyExists { path, source },
        ErrorKind::Unauthorized => Error::Unauthenticated { path, source },
        ErrorKind::Forbidden => Error::PermissionDenied { path, source },
        ErrorKind::NotImplemented => Error::NotSupported { source },
        _ if status == Some(StatusCode::PRECONDITION_FAILED) => {
            Error::Precondition { path, source }
        }
        _ if status == Some(StatusCode::NOT_MODIFIED) => Error::NotModified { path, source },
        _ => Error::Generic {
            store: STORE,
            source,
        },
    }
}

/// Any other failure (the upload or download engine's), kept as the source.
pub(crate) fn generic(error: impl std::error::Error + Send + Sync + 'static) -> Error {
    Error::Generic {
        store: STORE,
        source: Box::new(error),
    }
}

/// A failure described in words.
pub(crate) fn message(text: impl Into<String>) -> Error {
    Error::Generic {
        store: STORE,
        source: text.into().into(),
    }
}

/// What lakeFS cannot do, named.
pub(crate) fn not_implemented(operation: &str) -> Error {
    Error::NotImplemented {
        operation: operation.to_owned(),
        implementer: STORE.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use std::error::Error as _;

    use bytes::Bytes;
    use http::{Response, StatusCode};
    use lakefs_api::ObjectsApi;
    use lakefs_client::{Client, Credentials, RetryPolicy};
    use lakefs_transport::fake::FakeTransport;

    use super::*;

    /// What the client makes of lakeFS answering `status` to a `statObject`.
    async fn lakefs_error(status: StatusCode) -> ApiError {
        let transport = FakeTransport::new();
        transport.fallback(move |_, _| {
            let body = if status == StatusCode::NOT_MODIFIED {
                Bytes::new()
            } else {
                Bytes::from(format!(r#"{{"message":"answered {}"}}"#, status.as_u16()))
            };
            Ok(Response::builder()
                .status(status)
                .header("content-type", "application/json")
                .body(body)
                .unwrap())
        });
        let client = Client::builder()
            .endpoint("http://lakefs.local")
            .credentials(Credentials::basic("AKIAEXAMPLE", "secret"))
            .retry_policy(RetryPolicy::none())
            .build_with_transport(transport)
            .unwrap();
        client
            .stat_object()
            .repository("repo")
            .reference("main")
            .path("a/b")
            .send()
            .await
            .unwrap_err()
    }

    #[tokio::test]
    async fn each_lakefs_status_is_the_object_store_kind_with_the_lakefs_error_as_source() {
        for (status, expected) in [
            (StatusCode::NOT_FOUND, "NotFound"),
            (StatusCode::CONFLICT, "AlreadyExists"),
            (StatusCode::PRECONDITION_FAILED, "Precondition"),
            (StatusCode::NOT_MODIFIED, "NotModified"),
            (StatusCode::UNAUTHORIZED, "Unauthenticated"),
            (StatusCode::FORBIDDEN, "PermissionDenied"),
            (StatusCode::NOT_IMPLEMENTED, "NotSupported"),
            (StatusCode::BAD_REQUEST, "Generic"),
        ] {
            let lakefs = lakefs_error(status).await;
            assert_eq!(lakefs.status(), Some(status), "{lakefs}");
            let mapped = from_api("a/b", lakefs);
            let (kind, path) = match &mapped {
                Error::NotFound { path, .. } => ("NotFound", Some(path)),
                Error::AlreadyExists { path, .. } => ("AlreadyExists", Some(path)),
                Error::Precondition { path, .. } => ("Precondition", Some(path)),
                Error::NotModified { path, .. } => ("NotModified", Some(path)),
                Error::Unauthenticated { path, .. } => ("Unauthenticated", Some(path)),
                Error::PermissionDenied { path, .. } => ("PermissionDenied", Some(path)),
                Error::NotSupported { .. } => ("NotSupported", None),
                Error::Generic { store, .. } => {
                    assert_eq!(*store, STORE);
                    ("Generic", None)
                }
                other => panic!("{status}: unexpected {other:?}"),
            };
            assert_eq!(kind, expected, "{status}: {mapped}");
            if let Some(path) = path {
                assert_eq!(path, "a/b");
            }
            let source = mapped.source().expect("the lakeFS error is the source");
            let lakefs = source
                .downcast_ref::<ApiError>()
                .unwrap_or_else(|| panic!("{status}: the source is not the lakeFS error"));
            assert_eq!(lakefs.status(), Some(status));
        }
    }
}
