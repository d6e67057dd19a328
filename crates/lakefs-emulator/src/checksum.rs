//! MD5 in hex: the ETags of parts and objects (as S3 computes them) and the hash behind the
//! emulator's signatures.

/// The MD5 of the concatenated `parts`, as 32 lowercase hex digits.
pub(crate) fn md5_hex(parts: &[&[u8]]) -> String {
    use md5::{Digest, Md5};
    let mut hasher = Md5::new();
    for part in parts {
        hasher.update(part);
    }
    hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
