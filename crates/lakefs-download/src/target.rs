//! The object a download reads ([`Target`]) and what identifies one version of it
//! ([`ObjectIdentity`]): every part, every URL refresh and every resume is checked against it.

use lakefs_api::ObjectsApi;
use lakefs_client::{Client, ErrorKind as ApiErrorKind};
use lakefs_models::ObjectStats;
use lakefs_transport::HttpTransport;

use crate::{Error, ErrorKind};

/// Repository, ref and path of the object, checked before anything is sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Target {
    pub(crate) repository: String,
    pub(crate) reference: String,
    pub(crate) path: String,
}

impl Target {
    pub(crate) fn new(repository: &str, reference: &str, path: &str) -> Result<Self, Error> {
        for (argument, value) in [
            ("repository", repository),
            ("ref", reference),
            ("path", path),
        ] {
            if value.is_empty() {
                return Err(Error::invalid_argument(argument, "is empty"));
            }
        }
        Ok(Self {
            repository: repository.to_owned(),
            reference: reference.to_owned(),
            path: path.to_owned(),
        })
    }

    /// `lakefs://repository/ref/path`, as lakectl names objects.
    pub(crate) fn uri(&self) -> String {
        format!(
            "lakefs://{}/{}/{}",
            self.repository, self.reference, self.path
        )
    }

    /// `statObject`, presigned or not.
    pub(crate) async fn stat<T: HttpTransport>(
        &self,
        client: &Client<T>,
        presign: bool,
    ) -> Result<ObjectStats, lakefs_client::Error> {
        let mut request = client
            .stat_object()
            .repository(&self.repository)
            .reference(&self.reference)
            .path(&self.path)
            .user_metadata(false);
        if presign {
            request = request.presign(true);
        }
        request.send().await
    }

    /// Asks lakeFS whether the object is still `identity`: `Ok(None)` when it is, the
    /// [`ErrorKind::ObjectChanged`] error that says how it changed otherwise.
    pub(crate) async fn changed<T: HttpTransport>(
        &self,
        client: &Client<T>,
        identity: &ObjectIdentity,
    ) -> Result<Option<Error>, Error> {
        match self.stat(client, false).await {
            Ok(stats) => Ok(identity.compare(&ObjectIdentity::of(&stats)?)),
            Err(error) if error.kind() == ApiErrorKind::NotFound => Ok(Some(Error::new(
                ErrorKind::ObjectChanged,
                "the object was deleted during the download",
            ))),
            Err(error) => Err(Error::api(error)),
        }
    }
}

/// One version of an object: its checksum (the store's ETag) and size, as `statObject`
/// gave them when the download started.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ObjectIdentity {
    /// lakeFS's checksum: the object store's ETag, without quotes.
    pub checksum: String,
    /// Size in bytes.
    pub size: u64,
    /// Modification time, Unix seconds.
    pub mtime: i64,
}

impl ObjectIdentity {
    pub(crate) fn of(stats: &ObjectStats) -> Result<Self, Error> {
        let size = stats
            .size_bytes
            .and_then(|s| u64::try_from(s).ok())
            .ok_or_else(|| {
                Error::new(
                    ErrorKind::Protocol,
                    "statObject answered no size (or a negative one) for the object",
                )
            })?;
        Ok(Self {
            checksum: stats.checksum.trim_matches('"').to_owned(),
            size,
            mtime: stats.mtime,
        })
    }

    /// `None` when `now` is the same version (same checksum and size), else the error that
    /// says what changed.
    pub(crate) fn compare(&self, now: &ObjectIdentity) -> Option<Error> {
        if self.checksum.eq_ignore_ascii_case(&now.checksum) && self.size == now.size {
            return None;
        }
        Some(Error::new(
            ErrorKind::ObjectChanged,
            format!(
                "the object was replaced during the download (checksum {} and {} bytes when it started, now {} and {} bytes)",
                self.checksum, self.size, now.checksum, now.size
            ),
        ))
    }

    /// Whether an answer's `ETag` header names this version (quotes and case aside).
    pub(crate) fn etag_matches(&self, etag: &str) -> bool {
        etag.trim()
            .trim_matches('"')
            .eq_ignore_ascii_case(&self.checksum)
    }
}
