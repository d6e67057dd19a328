//! lakeFS errors as `object_store` errors: the kind callers match on, the lakeFS error kept as
//! the source (its text carries no credential and no presigned URL).

use http::StatusCode;
use lakefs_client::{Error as ApiError, ErrorKind};
use object_store::Error;

/// The store's name in `object_store::Error::Generic`.
pub(crate) const STORE: &str = "LakeFS";

/// `error`, met at `path`, as the `object_store` error of its kind.
pub(crate) fn from_api(path: &str, error: ApiError) -> Error {
    let path = path.to_owned();
    let status = error.status();
    match error.kind() {
        ErrorKind::NotFound => Error::NotFound {
            path,
            source: Box::new(error),
        },
        ErrorKind::Unauthorized => Error::Unauthenticated {
            path,
            source: Box::new(error),
        },
        ErrorKind::Forbidden => Error::PermissionDenied {
            path,
            source: Box::new(error),
        },
        ErrorKind::NotImplemented => Error::NotSupported {
            source: Box::new(error),
        },
        _ if status == Some(StatusCode::PRECONDITION_FAILED) => Error::Precondition {
            path,
            source: Box::new(error),
        },
        _ if status == Some(StatusCode::NOT_MODIFIED) => Error::NotModified {
            path,
            source: Box::new(error),
        },
        _ => Error::Generic {
            store: STORE,
            source: Box::new(error),
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
