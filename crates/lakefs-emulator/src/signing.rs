//! The signatures the emulator hands out and checks: physical (link) addresses bound to their
//! repository, branch and path, and presigned part URLs on the emulator's own store, whose
//! path starts with [`STORAGE_PREFIX`].

use crate::checksum::md5_hex;
use crate::clock;
use crate::model::State;

/// Where the storage routes live: part URLs are `{storage_url}/_storage/{upload_id}/{part}?…`.
pub(crate) const STORAGE_PREFIX: &str = "/_storage/";

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
}
