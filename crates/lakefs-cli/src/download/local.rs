//! Whether a local file already is the object: same size, and its MD5 — or its multipart
//! ETag, for a likely part layout — equal to lakeFS's checksum. Never a wrong "yes": an
//! object whose layout is not found is downloaded again.

use std::path::Path;

use crate::upload::verify::{file_etag, hex, part_md5s};

const MIB: u64 = 1024 * 1024;

/// The most layouts tried (each one reads the file once).
const MAX_LAYOUTS: usize = 3;

/// Whether the file at `path` has `size` bytes and `checksum` (an MD5 or a multipart ETag,
/// quotes and case aside); `upload_part_size`, when known, is the only layout tried. Reads
/// the file only when the sizes are equal. Blocking.
pub(crate) fn identical(
    path: &Path,
    size: u64,
    checksum: &str,
    upload_part_size: Option<u64>,
) -> bool {
    let Ok(metadata) = std::fs::metadata(path) else {
        return false;
    };
    if !metadata.is_file() || metadata.len() != size {
        return false;
    }
    let checksum = checksum.trim().trim_matches('"').to_ascii_lowercase();
    let is_md5 = |text: &str| text.len() == 32 && text.bytes().all(|b| b.is_ascii_hexdigit());
    if is_md5(&checksum) {
        return matches!(
            part_md5s(path, &[size]),
            Ok((_, Some(digests))) if digests.first().is_some_and(|d| hex(d) == checksum)
        );
    }
    let Some((digest, count)) = checksum.split_once('-') else {
        return false;
    };
    let Ok(parts) = count.parse::<u64>() else {
        return false;
    };
    if !is_md5(digest) || parts == 0 {
        return false;
    }
    layouts(size, parts, upload_part_size)
        .iter()
        .any(|layout| matches!(file_etag(path, layout), Ok((_, Some(etag))) if etag == checksum))
}

/// The uniform layouts (every part `p` bytes, the last one shorter or equal) that cut `size`
/// bytes into `parts` parts, likeliest first: the stated one only, else common uploaders'
/// part sizes and the even split.
fn layouts(size: u64, parts: u64, upload_part_size: Option<u64>) -> Vec<Vec<u64>> {
    let candidates: Vec<u64> = match upload_part_size {
        Some(stated) => vec![stated],
        None => {
            let mut sizes = vec![
                8 * MIB,
                5 * MIB,
                16 * MIB,
                64 * MIB,
                32 * MIB,
                100 * MIB,
                128 * MIB,
                size.div_ceil(parts),
                size.div_ceil(parts).div_ceil(MIB) * MIB,
            ];
            sizes.dedup();
            sizes
        }
    };
    let mut layouts: Vec<Vec<u64>> = Vec::new();
    for part in candidates {
        if part == 0 || size.div_ceil(part).max(1) != parts {
            continue;
        }
        let mut layout = vec![part; usize::try_from(parts - 1).unwrap_or(0)];
        layout.push(size - part * (parts - 1));
        if !layouts.contains(&layout) {
            layouts.push(layout);
        }
        if layouts.len() == MAX_LAYOUTS {
            break;
        }
    }
    layouts
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::upload::verify::multipart_etag;

    fn md5(bytes: &[u8]) -> [u8; 16] {
        <md5::Md5 as md5::Digest>::digest(bytes).into()
    }

    #[test]
    fn a_file_is_the_object_by_size_and_checksum() {
        let dir =
            std::env::temp_dir().join(format!("lakefs-cli-download-local-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("data");
        let bytes: Vec<u8> = (0..(17 * MIB as usize + 3))
            .map(|i| (i % 241) as u8)
            .collect();
        std::fs::write(&file, &bytes).unwrap();
        let size = bytes.len() as u64;
        let eight = 8 * MIB as usize;
        let etag = multipart_etag(&[
            md5(&bytes[..eight]),
            md5(&bytes[eight..2 * eight]),
            md5(&bytes[2 * eight..]),
        ]);
        assert!(identical(&file, size, &etag, None));
        assert!(identical(
            &file,
            size,
            &format!("\"{}\"", etag.to_uppercase()),
            None
        ));
        assert!(identical(&file, size, &etag, Some(8 * MIB)));
        assert!(!identical(&file, size, &etag, Some(7 * MIB)));
        assert!(!identical(&file, size + 1, &etag, None));
        let plain = hex(&md5(&bytes));
        assert!(identical(&file, size, &plain, None));
        assert!(!identical(&file, size, &"0".repeat(32), None));
        assert!(!identical(&file, size, "not-a-checksum", None));
        assert!(!identical(&dir.join("missing"), size, &plain, None));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn layouts_cut_the_size_into_the_parts_named() {
        assert_eq!(layouts(20 * MIB, 3, None)[0], [8 * MIB, 8 * MIB, 4 * MIB]);
        assert_eq!(layouts(10, 1, None)[0], [10]);
        assert_eq!(layouts(0, 1, None)[0], [0]);
        assert!(layouts(20 * MIB, 3, Some(MIB)).is_empty());
        for layout in layouts(123_456_789, 7, None) {
            assert_eq!(layout.len(), 7);
            assert_eq!(layout.iter().sum::<u64>(), 123_456_789);
        }
    }
}
