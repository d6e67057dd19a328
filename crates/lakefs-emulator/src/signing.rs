//! The signatures the emulator hands out and checks: physical (link) addresses bound to their
//! repository, branch and path, presigned part URLs on the emulator's own store, whose path
//! starts with [`STORAGE_PREFIX`], and presigned GET URLs of objects (on its own store, or on
//! the S3 server behind it).

use crate::checksum::md5_hex;
use crate::clock;
use crate::model::{ObjectEntry, State};

/// Where the storage routes live: part URLs are `{storage_url}/_storage/{upload_id}/{part}?…`.
pub(crate) const STORAGE_PREFIX: &str = "/_storage/";

/// Below [`STORAGE_PREFIX`], where objects are read: `objects/{key}` (the key percent-encoded).
pub(crate) const OBJECTS_PREFIX: &str = "objects/";

/// What stays unencoded in an object key in a URL path.
const KEY: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'/')
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

impl State {
    /// The signature binding a physical address to its repository, branch and path.
    pub(crate) fn address_signature(
        &self,
        repository: &str,
        branch: &str,
        path: &str,
        address: &str,
    ) -> String {
        md5_hex(&[
            self.secret.as_bytes(),
            b"|",
            repository.as_bytes(),
            b"|",
            branch.as_bytes(),
            b"|",
            path.as_bytes(),
            b"|",
            address.as_bytes(),
        ])
    }

    /// The signature of a part URL: it covers the upload, the part and the URL's date and
    /// lifetime, so none of them can be altered.
    pub(crate) fn part_signature(
        &self,
        upload_id: &str,
        part_number: u32,
        date: &str,
        expires: &str,
    ) -> String {
        md5_hex(&[
            self.secret.as_bytes(),
            b"|part|",
            upload_id.as_bytes(),
            b"|",
            part_number.to_string().as_bytes(),
            b"|",
            date.as_bytes(),
            b"|",
            expires.as_bytes(),
        ])
    }

    /// A presigned URL for one part on the emulator's own store, valid from now for the
    /// configured part URL lifetime. The query carries SigV4's `X-Amz-Date` and
    /// `X-Amz-Expires`, which clients read to decide when to ask for a fresh URL.
    pub(crate) fn part_url(&self, upload_id: &str, part_number: u32) -> String {
        let date = clock::amz_date(self.now());
        let expires = self.part_url_expiry.as_secs().to_string();
        let signature = self.part_signature(upload_id, part_number, &date, &expires);
        format!(
            "{}{}{upload_id}/{part_number}?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date={date}&X-Amz-Expires={expires}&X-Amz-Signature={signature}",
            self.storage_url,
            STORAGE_PREFIX,
        )
    }

    /// The signature of a presigned object GET: it covers the key and the URL's date and
    /// lifetime.
    pub(crate) fn object_signature(&self, key: &str, date: &str, expires: &str) -> String {
        md5_hex(&[
            self.secret.as_bytes(),
            b"|object|",
            key.as_bytes(),
            b"|",
            date.as_bytes(),
            b"|",
            expires.as_bytes(),
        ])
    }

    /// A presigned GET URL of `entry` (an object of `repository`) and when it expires (Unix
    /// seconds): valid from now for the presigned URL lifetime lakeFS uses for every presigned
    /// URL (`blockstore.s3.pre_signed_expiry`, the part URL lifetime here). An object on the S3
    /// server behind the emulator (feature `s3`) gets S3's own presigned URL; any other one a
    /// URL of the emulator's store, which refuses it once expired as S3 does.
    pub(crate) fn presign_get(&self, repository: &str, entry: &ObjectEntry) -> (String, i64) {
        let now = self.now();
        let expiry = self.part_url_expiry;
        let expires_at = now.saturating_add(i64::try_from(expiry.as_secs()).unwrap_or(i64::MAX));
        #[cfg(feature = "s3")]
        if let (Some(s3), Some(key)) = (&self.s3, &entry.s3_key) {
            return (s3.presign_get(key, expiry, now), expires_at);
        }
        let key = format!("{repository}/{}", entry.stats.physical_address);
        let date = clock::amz_date(now);
        let expires = expiry.as_secs().to_string();
        let signature = self.object_signature(&key, &date, &expires);
        let url = format!(
            "{}{STORAGE_PREFIX}{OBJECTS_PREFIX}{}?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date={date}&X-Amz-Expires={expires}&X-Amz-Signature={signature}",
            self.storage_url,
            percent_encoding::utf8_percent_encode(&key, KEY),
        );
        (url, expires_at)
    }
}
