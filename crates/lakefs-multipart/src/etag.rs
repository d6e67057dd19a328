//! Reading a part's ETag from the storage's answer, as lakeFS's own uploader does.

use base64::Engine as _;
use http::HeaderMap;

/// The part's ETag: the `Content-MD5` header (base64, returned as hex) when present and
/// valid, else the `ETag` header without surrounding quotes and spaces. `None` when neither
/// gives a value.
pub(crate) fn part_etag(headers: &HeaderMap) -> Option<String> {
    if let Some(md5) = headers
        .get("content-md5")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            base64::engine::general_purpose::STANDARD
                .decode(v.trim())
                .ok()
        })
        .filter(|digest| digest.len() == 16)
    {
        return Some(hex(&md5));
    }
    let etag = headers.get(http::header::ETAG)?.to_str().ok()?;
    let etag = etag.trim_matches(|c| c == '"' || c == ' ');
    (!etag.is_empty()).then(|| etag.to_owned())
}

/// Whether an ETag is a plain MD5 digest (32 hex digits), which S3 returns for a part
/// uploaded without server-side encryption by KMS.
pub(crate) fn is_md5_shaped(etag: &str) -> bool {
    etag.len() == 32 && etag.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The ETag S3 gives an object completed from parts with these MD5s: the MD5 of the
/// concatenated digests, a dash, and the part count (`"…-3"`).
pub(crate) fn multipart_etag(digests: &[[u8; 16]]) -> String {
    use md5::{Digest, Md5};
    let mut md5 = Md5::new();
    for digest in digests {
        md5.update(digest);
    }
    format!("{}-{}", hex(&md5.finalize()), digests.len())
}

/// The 16 bytes of an MD5-shaped ETag (32 hex digits).
pub(crate) fn md5_bytes(etag: &str) -> Option<[u8; 16]> {
    if !is_md5_shaped(etag) {
        return None;
    }
    let mut out = [0u8; 16];
    for (index, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(etag.get(index * 2..index * 2 + 2)?, 16).ok()?;
    }
    Some(out)
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut out, b| {
            let _ = write!(out, "{b:02x}");
            out
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        pairs
            .iter()
            .map(|(k, v)| {
                (
                    http::HeaderName::from_static(k),
                    http::HeaderValue::from_static(v),
                )
            })
            .collect()
    }

    #[test]
    fn prefers_content_md5_as_hex() {
        // base64 of the MD5 of "hello"
        let h = headers(&[
            ("content-md5", "XUFAKrxLKna5cZ2REBfFkg=="),
            ("etag", "\"other\""),
        ]);
        assert_eq!(
            part_etag(&h).as_deref(),
            Some("5d41402abc4b2a76b9719d911017c592")
        );
    }

    #[test]
    fn strips_quotes_and_spaces_from_etag() {
        assert_eq!(
            part_etag(&headers(&[("etag", "\"abc123\"")])).as_deref(),
            Some("abc123")
        );
        assert_eq!(
            part_etag(&headers(&[("etag", " \"abc\" ")])).as_deref(),
            Some("abc")
        );
        assert_eq!(
            part_etag(&headers(&[("content-md5", "not base64!"), ("etag", "e")])).as_deref(),
            Some("e")
        );
    }

    #[test]
    fn missing_or_empty_is_none() {
        assert_eq!(part_etag(&HeaderMap::new()), None);
        assert_eq!(part_etag(&headers(&[("etag", "\"\"")])), None);
    }

    #[test]
    fn md5_shape() {
        assert!(is_md5_shaped("5d41402abc4b2a76b9719d911017c592"));
        assert!(!is_md5_shaped("5d41402abc4b2a76b9719d911017c592-2"));
        assert!(!is_md5_shaped("xyz"));
    }
}
