//! Skipping unchanged files: `upload` leaves out a file that already matches its destination
//! object, so that uploading an unchanged directory again sends no part at all.
//!
//! # What "match" means
//!
//! A file matches when an object exists at its destination (on the branch, uncommitted changes
//! included) with
//! * the same size, and
//! * the same checksum, as lakeFS records it:
//!   - for an object written in one PUT (lakeFS's `uploadObject`, a presigned PUT), the MD5 of
//!     its bytes in hex: the file's MD5 must be the same;
//!   - for a multipart upload — every upload of this tool, whatever the size — the S3 multipart
//!     ETag `md5(md5(part 1) ‖ … ‖ md5(part n))-n`. It depends on where the parts were cut,
//!     which the object does not record: the file's is computed with the part size this upload
//!     would use (`--part-size`, grown as the engine grows it for a file of more than 10,000
//!     parts), and must be the same, part count included;
//! * and, when `--content-type` or `-m` are given, the same content type and the same user
//!   metadata (otherwise uploading again is how an object gets them).
//!
//! An object uploaded in parts of another size, or written by an object store whose
//! checksums are not MD5s (Azure, GCS, SSE-KMS on S3), therefore does not match and is uploaded
//! again: a file is never skipped wrongly, at worst uploaded once more. Only files of the same
//! size as their object are read (once, on the blocking pool).
//!
//! A directory's destination is listed once (1,000 objects per request) rather than each
//! file's object read; a single file's object is read with `statObject`.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use futures_util::stream::{self, StreamExt, TryStreamExt};
use lakefs_api::models::ObjectStats;
use lakefs_api::{ErrorKind, ObjectsApi};
use lakefs_multipart::PartSchedule;

use super::verify::{file_etag, hex, part_md5s};
use super::walk::Entry;
use crate::context::{Client, Context};
use crate::errors::CliError;
use crate::uri::ObjectUri;

/// What the objects of this upload would be given, beside their bytes.
#[derive(Debug, Clone)]
pub(crate) struct Wanted {
    /// The part size the engine would plan a file with.
    pub(crate) part_size: u64,
    /// `--content-type`, when given.
    pub(crate) content_type: Option<String>,
    /// `-m` entries, when some are given.
    pub(crate) metadata: Option<BTreeMap<String, String>>,
}

/// How lakeFS's checksum of an object was made.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Checksum {
    /// The MD5 of the bytes (32 hex digits).
    Md5(String),
    /// An S3 multipart ETag of `parts` parts.
    Multipart { etag: String, parts: usize },
    /// Anything else: nothing local can be compared with it.
    Other,
}

/// Whether `text` is 32 hex digits.
fn is_md5_hex(text: &str) -> bool {
    text.len() == 32 && text.bytes().all(|b| b.is_ascii_hexdigit())
}

/// How lakeFS made `checksum` (quotes and case do not matter).
fn checksum_kind(checksum: &str) -> Checksum {
    let checksum = checksum.trim().trim_matches('"').to_ascii_lowercase();
    if is_md5_hex(&checksum) {
        return Checksum::Md5(checksum);
    }
    match checksum.split_once('-') {
        Some((hex, count)) if is_md5_hex(hex) => match count.parse() {
            Ok(parts) if parts > 0 => Checksum::Multipart {
                etag: checksum.clone(),
                parts,
            },
            _ => Checksum::Other,
        },
        _ => Checksum::Other,
    }
}

/// The part sizes the engine cuts a file of `size` bytes into: parts of `part_size` (grown
/// for more than 10,000 parts), the last one shorter; one empty part for an empty file.
pub(crate) fn layout(size: u64, part_size: u64) -> Option<Vec<u64>> {
    let schedule = PartSchedule::Fixed {
        total_size: size,
        part_size,
    };
    let count = schedule.part_count()?;
    Some((1..=count).map(|n| schedule.part_size(n)).collect())
}

/// The MD5 (hex) of a whole file of `size` bytes (`None` when it no longer has that size).
fn file_md5(path: &Path, size: u64) -> std::io::Result<Option<String>> {
    let (_, digests) = part_md5s(path, &[size])?;
    Ok(digests.and_then(|digests| digests.first().map(|digest| hex(digest))))
}

/// Whether the object's content type and metadata are those the upload would give it (only
/// what the user named is compared).
fn same_options(object: &ObjectStats, wanted: &Wanted) -> bool {
    let content_type = wanted
        .content_type
        .as_deref()
        .is_none_or(|given| object.content_type.as_deref() == Some(given));
    let metadata = wanted
        .metadata
        .as_ref()
        .is_none_or(|given| object.metadata.as_ref().unwrap_or(&BTreeMap::new()) == given);
    content_type && metadata
}

/// Whether the file at `path` (`size` bytes when walked) matches `object`: reads the file
/// only when the sizes are the same. Blocking.
fn file_matches(path: &Path, size: u64, object: &ObjectStats, wanted: &Wanted) -> bool {
    let same_size = object
        .size_bytes
        .and_then(|s| u64::try_from(s).ok())
        .is_some_and(|s| s == size);
    if !same_size || !same_options(object, wanted) {
        return false;
    }
    match checksum_kind(&object.checksum) {
        Checksum::Md5(md5) => matches!(file_md5(path, size), Ok(Some(local)) if local == md5),
        Checksum::Multipart { etag, parts } => match layout(size, wanted.part_size) {
            Some(layout) if layout.len() == parts => {
                matches!(file_etag(path, &layout), Ok((_, Some(local))) if local == etag)
            }
            _ => false,
        },
        Checksum::Other => false,
    }
}

/// Splits a directory's files into those to upload and those whose object under `dest`
/// already matches (see the module's documentation), reading `concurrency` files at once.
pub(crate) async fn partition(
    ctx: &Context,
    client: &Client,
    dest: &ObjectUri,
    files: Vec<Entry>,
    wanted: &Wanted,
    concurrency: usize,
) -> Result<(Vec<Entry>, Vec<Entry>), CliError> {
    if files.is_empty() {
        return Ok((files, Vec::new()));
    }
    let prefix = dest.as_directory();
    let mut objects: HashMap<String, ObjectStats> = ctx
        .call("listing the destination", async {
            client
                .list_objects()
                .repository(&dest.repository)
                .reference(&dest.branch)
                .prefix(&prefix)
                .amount(1000)
                .into_stream()
                .map_ok(|stats| (stats.path.clone(), stats))
                .try_collect()
                .await
                .map_err(|e| cannot_check(dest, e))
        })
        .await?;
    let candidates: Vec<(Entry, Option<ObjectStats>)> = files
        .into_iter()
        .map(|entry| {
            let object = objects.remove(&format!("{prefix}{}", entry.relative));
            (entry, object)
        })
        .collect();
    let compared = stream::iter(candidates)
        .map(|(entry, object)| {
            let wanted = wanted.clone();
            async move {
                let Some(object) = object else {
                    return (entry, false);
                };
                let (path, size) = (entry.path.clone(), entry.stamp.size);
                let same = tokio::task::spawn_blocking(move || {
                    file_matches(&path, size, &object, &wanted)
                })
                .await
                .unwrap_or(false);
                (entry, same)
            }
        })
        .buffered(concurrency.max(1))
        .collect::<Vec<_>>();
    let checked: Vec<(Entry, bool)> = ctx
        .call("comparing files with the destination", async {
            Ok(compared.await)
        })
        .await?;
    let (unchanged, upload): (Vec<_>, Vec<_>) = checked.into_iter().partition(|(_, same)| *same);
    Ok((
        upload.into_iter().map(|(entry, _)| entry).collect(),
        unchanged.into_iter().map(|(entry, _)| entry).collect(),
    ))
}

/// Whether the file at `path` matches its object at `dest` (none there: no).
pub(crate) async fn single(
    ctx: &Context,
    client: &Client,
    dest: &ObjectUri,
    path: PathBuf,
    wanted: &Wanted,
) -> Result<bool, CliError> {
    let object = ctx
        .call("reading the destination", async {
            match client
                .stat_object()
                .repository(&dest.repository)
                .reference(&dest.branch)
                .path(&dest.path)
                .send()
                .await
            {
                Ok(object) => Ok(Some(object)),
                Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
                Err(e) => Err(cannot_check(dest, e)),
            }
        })
        .await?;
    let Some(object) = object else {
        return Ok(false);
    };
    let wanted = wanted.clone();
    ctx.call("comparing the file with the destination", async move {
        tokio::task::spawn_blocking(move || {
            let size = std::fs::metadata(&path).map(|m| m.len()).ok()?;
            Some(file_matches(&path, size, &object, &wanted))
        })
        .await
        .map(|same| same.unwrap_or(false))
        .map_err(|e| CliError::failure("cannot compare the file with its object").source(e))
    })
    .await
}

/// The destination could not be read: the upload does not start (a permission to write
/// without one to read is the one case `--no-skip` helps with).
fn cannot_check(dest: &ObjectUri, error: lakefs_api::Error) -> CliError {
    let forbidden = error.kind() == ErrorKind::Forbidden;
    let cli =
        CliError::failure(format!("cannot check {dest} for files already uploaded")).source(error);
    if forbidden {
        cli.note("--no-skip uploads every file without reading the destination")
    } else {
        cli
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::upload::verify::multipart_etag;

    const MIB: u64 = 1024 * 1024;

    fn md5(bytes: &[u8]) -> [u8; 16] {
        <md5::Md5 as md5::Digest>::digest(bytes).into()
    }

    fn object(size: usize, checksum: &str) -> ObjectStats {
        let mut stats = ObjectStats::new("x", "address", checksum, 0);
        stats.size_bytes = Some(size as i64);
        stats
    }

    fn wanted(part_size: u64) -> Wanted {
        Wanted {
            part_size,
            content_type: None,
            metadata: None,
        }
    }

    #[test]
    fn layouts_are_the_engines() {
        assert_eq!(layout(0, 8 * MIB).unwrap(), [0]);
        assert_eq!(layout(100, 8 * MIB).unwrap(), [100]);
        assert_eq!(layout(8 * MIB, 8 * MIB).unwrap(), [8 * MIB]);
        assert_eq!(
            layout(20 * MIB + 1, 8 * MIB).unwrap(),
            [8 * MIB, 8 * MIB, 4 * MIB + 1]
        );
        // 10,000 parts of 5 MiB are not enough for 50,000 MiB + 1: the parts grow to 6 MiB.
        let grown = layout(50_000 * MIB + 1, 5 * MIB).unwrap();
        assert_eq!(grown[0], 6 * MIB);
        assert_eq!(grown.iter().sum::<u64>(), 50_000 * MIB + 1);
        assert!(
            layout(1, 1024).is_none(),
            "a part size below 5 MiB plans nothing"
        );
    }

    #[test]
    fn checksums_are_recognised() {
        let plain = "9E107D9D372BB6826BD81D3542A419D6";
        assert_eq!(checksum_kind(plain), Checksum::Md5(plain.to_lowercase()));
        assert_eq!(
            checksum_kind("\"9e107d9d372bb6826bd81d3542a419d6-3\""),
            Checksum::Multipart {
                etag: "9e107d9d372bb6826bd81d3542a419d6-3".into(),
                parts: 3
            }
        );
        for other in [
            "",
            "abc",
            "9e107d9d372bb6826bd81d3542a419d6-0",
            "0x1234-2",
            "AAAAAA==",
        ] {
            assert_eq!(checksum_kind(other), Checksum::Other, "{other:?}");
        }
    }

    #[test]
    fn a_file_matches_by_size_and_checksum_and_never_wrongly() {
        let dir = std::env::temp_dir().join(format!("lakefs-cli-unchanged-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("data");
        let bytes: Vec<u8> = (0..(11 * MIB as usize + 5))
            .map(|i| (i % 251) as u8)
            .collect();
        std::fs::write(&file, &bytes).unwrap();
        let size = bytes.len();
        let five = 5 * MIB as usize;
        let in_fives = multipart_etag(&[
            md5(&bytes[..five]),
            md5(&bytes[five..2 * five]),
            md5(&bytes[2 * five..]),
        ]);
        let whole = multipart_etag(&[md5(&bytes)]);
        let plain: String = md5(&bytes).iter().map(|b| format!("{b:02x}")).collect();
        let size64 = size as u64;
        // Parts of 5 MiB: the object uploaded in parts of 5 MiB matches, not another cut.
        assert!(file_matches(
            &file,
            size64,
            &object(size, &in_fives),
            &wanted(5 * MIB)
        ));
        assert!(!file_matches(
            &file,
            size64,
            &object(size, &in_fives),
            &wanted(6 * MIB)
        ));
        assert!(!file_matches(
            &file,
            size64,
            &object(size, &whole),
            &wanted(5 * MIB)
        ));
        // In one part of 16 MiB: the one-part ETag.
        assert!(file_matches(
            &file,
            size64,
            &object(size, &whole),
            &wanted(16 * MIB)
        ));
        // A plain MD5 matches whatever the part size.
        assert!(file_matches(
            &file,
            size64,
            &object(size, &plain),
            &wanted(5 * MIB)
        ));
        assert!(file_matches(
            &file,
            size64,
            &object(size, &plain.to_uppercase()),
            &wanted(8 * MIB)
        ));
        // Another size, another checksum, an unknown checksum: no.
        assert!(!file_matches(
            &file,
            size64,
            &object(size + 1, &plain),
            &wanted(5 * MIB)
        ));
        assert!(!file_matches(
            &file,
            size64,
            &object(size, &"0".repeat(32)),
            &wanted(5 * MIB)
        ));
        assert!(!file_matches(
            &file,
            size64,
            &object(size, "azure-etag"),
            &wanted(5 * MIB)
        ));
        // Named options must be the object's too.
        let mut typed = object(size, &plain);
        typed.content_type = Some("text/csv".into());
        let mut asked = wanted(5 * MIB);
        asked.content_type = Some("text/csv".into());
        assert!(file_matches(&file, size64, &typed, &asked));
        asked.content_type = Some("application/json".into());
        assert!(!file_matches(&file, size64, &typed, &asked));
        let mut asked = wanted(5 * MIB);
        asked.metadata = Some(BTreeMap::from([("k".into(), "v".into())]));
        assert!(!file_matches(&file, size64, &typed, &asked));
        typed.metadata = Some(BTreeMap::from([("k".into(), "v".into())]));
        assert!(file_matches(&file, size64, &typed, &asked));
        // An empty file: one empty part.
        std::fs::write(&file, b"").unwrap();
        let empty = multipart_etag(&[md5(b"")]);
        assert!(file_matches(&file, 0, &object(0, &empty), &wanted(8 * MIB)));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
