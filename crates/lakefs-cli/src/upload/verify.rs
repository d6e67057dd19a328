//! The integrity check (`--verify`): besides the engine's check of each part's MD5 against the
//! storage's ETag, the object lakeFS recorded is compared with the local bytes — its size, and
//! its checksum, which for a multipart upload on S3 is `md5(md5(part 1) ‖ … ‖ md5(part n))-n`
//! and so also proves that every part is there, in order.
//!
//! That checksum depends on where the parts were cut, so the local one is computed over the
//! part sizes the engine reported sending (or skipping, on a resume) — its exact layout: one
//! part of the file's size for a file of at most one part size, one empty part for an empty
//! file, parts of the plan's size and a shorter last one otherwise.

use std::io::Read;
use std::path::Path;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};

use lakefs_multipart::PartSchedule;
use md5::{Digest, Md5};
use tokio::io::{AsyncRead, ReadBuf};

/// What the check found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Size and checksum match.
    Match,
    /// They differ: what lakeFS has, and what the local bytes give.
    Mismatch { server: String, local: String },
    /// The server's checksum is not a multipart ETag: only the size could be compared.
    SizeOnly,
    /// lakeFS gave neither a size nor a multipart checksum: nothing could be compared.
    Unverifiable,
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The S3 multipart ETag of parts with these MD5s.
pub(crate) fn multipart_etag(digests: &[[u8; 16]]) -> String {
    let mut md5 = Md5::new();
    for digest in digests {
        md5.update(digest);
    }
    format!("{}-{}", hex(&md5.finalize()), digests.len())
}

/// Compares the server's `checksum` and `size` with the local ones.
pub(crate) fn compare(
    server_checksum: &str,
    server_size: Option<u64>,
    local_etag: &str,
    local_size: u64,
) -> Verdict {
    if let Some(size) = server_size.filter(|s| *s != local_size) {
        return Verdict::Mismatch {
            server: format!("{size} bytes"),
            local: format!("{local_size} bytes"),
        };
    }
    let checksum = server_checksum.trim_matches('"').to_ascii_lowercase();
    let multipart = checksum.split_once('-').is_some_and(|(hex, count)| {
        hex.len() == 32
            && hex.bytes().all(|b| b.is_ascii_hexdigit())
            && count.parse::<u32>().is_ok()
    });
    if !multipart {
        if server_size.is_some() {
            Verdict::SizeOnly
        } else {
            Verdict::Unverifiable
        }
    } else if checksum == local_etag {
        Verdict::Match
    } else {
        Verdict::Mismatch {
            server: format!("checksum {checksum}"),
            local: format!("checksum {local_etag}"),
        }
    }
}

/// The local side of the check for a file: its size now, and — when that is the total of
/// `layout` — the multipart ETag of its bytes cut into parts of the sizes in `layout`, in
/// order (the part sizes the engine used). Reads the whole file (call it on a blocking
/// thread).
pub(crate) fn file_etag(path: &Path, layout: &[u64]) -> std::io::Result<(u64, Option<String>)> {
    let (size, digests) = part_md5s(path, layout)?;
    Ok((size, digests.map(|digests| multipart_etag(&digests))))
}

/// The file's size, and the MD5 of each part of `layout` (none when the parts do not add up
/// to the file's size). One read of the file.
pub(crate) fn part_md5s(
    path: &Path,
    layout: &[u64],
) -> std::io::Result<(u64, Option<Vec<[u8; 16]>>)> {
    let mut file = std::fs::File::open(path)?;
    let size = file.metadata()?.len();
    if layout.iter().sum::<u64>() != size {
        return Ok((size, None));
    }
    let mut buffer = vec![0u8; 1 << 20];
    let mut digests = Vec::with_capacity(layout.len());
    for part in layout {
        let mut md5 = Md5::new();
        let mut left = *part;
        while left > 0 {
            let chunk = usize::try_from(left.min(buffer.len() as u64)).unwrap_or(buffer.len());
            file.read_exact(&mut buffer[..chunk])?;
            md5.update(&buffer[..chunk]);
            left -= chunk as u64;
        }
        digests.push(md5.finalize().into());
    }
    Ok((size, Some(digests)))
}

/// What a [`HashingReader`] saw: bytes, and each part's MD5 and size.
#[derive(Debug, Default)]
pub(crate) struct StreamDigest {
    pub(crate) size: u64,
    pub(crate) parts: Vec<[u8; 16]>,
    pub(crate) part_sizes: Vec<u64>,
}

impl StreamDigest {
    pub(crate) fn etag(&self) -> String {
        multipart_etag(&self.parts)
    }
}

/// Passes a stream through, hashing it part by part along the engine's growing schedule for
/// streams of unknown length. The digest is complete once the stream has ended.
pub(crate) struct HashingReader<R> {
    inner: R,
    schedule: PartSchedule,
    part: u32,
    part_end: u64,
    md5: Md5,
    in_part: u64,
    result: Arc<Mutex<StreamDigest>>,
    ended: bool,
}

impl<R> HashingReader<R> {
    pub(crate) fn new(inner: R, part_size: u64) -> (Self, Arc<Mutex<StreamDigest>>) {
        let schedule = PartSchedule::growing(part_size);
        let result = Arc::new(Mutex::new(StreamDigest::default()));
        let reader = Self {
            inner,
            schedule,
            part: 1,
            part_end: schedule.range(1).end,
            md5: Md5::new(),
            in_part: 0,
            result: Arc::clone(&result),
            ended: false,
        };
        (reader, result)
    }

    fn take_part(&mut self) {
        let digest = std::mem::take(&mut self.md5).finalize().into();
        let mut result = self.result.lock().unwrap_or_else(PoisonError::into_inner);
        result.parts.push(digest);
        result.part_sizes.push(self.in_part);
        self.in_part = 0;
    }

    fn hash(&mut self, mut bytes: &[u8]) {
        while !bytes.is_empty() {
            let offset = self
                .result
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .size;
            let room = usize::try_from(self.part_end - offset).unwrap_or(usize::MAX);
            let (now, rest) = bytes.split_at(room.min(bytes.len()));
            self.md5.update(now);
            self.in_part += now.len() as u64;
            self.result
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .size += now.len() as u64;
            bytes = rest;
            if offset + now.len() as u64 == self.part_end {
                self.take_part();
                self.part += 1;
                self.part_end = self.schedule.range(self.part).end;
            }
        }
    }
}

impl<R: AsyncRead + Unpin> AsyncRead for HashingReader<R> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let this = &mut *self;
        match Pin::new(&mut this.inner).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {
                let new = &buf.filled()[before..];
                if new.is_empty() && !this.ended {
                    this.ended = true;
                    // The last part, or the single empty part of an empty stream.
                    let empty = this
                        .result
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .parts
                        .is_empty();
                    if this.in_part > 0 || empty {
                        this.take_part();
                    }
                } else {
                    this.hash(new);
                }
                Poll::Ready(Ok(()))
            }
            other => other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncReadExt;

    const PART: u64 = 5 * 1024 * 1024;

    fn md5(bytes: &[u8]) -> [u8; 16] {
        Md5::digest(bytes).into()
    }

    struct Scratch(std::path::PathBuf);

    impl Scratch {
        fn new(name: &str) -> Self {
            let dir = std::env::temp_dir()
                .join(format!("lakefs-cli-verify-{name}-{}", std::process::id()));
            std::fs::create_dir_all(&dir).unwrap();
            Self(dir)
        }
    }

    impl Drop for Scratch {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    #[tokio::test]
    async fn stream_and_file_digests_agree() {
        let data: Vec<u8> = (0..(2 * PART + 123)).map(|i| (i % 251) as u8).collect();
        let (mut reader, digest) = HashingReader::new(&data[..], PART);
        let mut sink = Vec::new();
        reader.read_to_end(&mut sink).await.unwrap();
        assert_eq!(sink, data);
        let scratch = Scratch::new("agree");
        let file = scratch.0.join("data");
        std::fs::write(&file, &data).unwrap();
        let stream = digest.lock().unwrap();
        assert_eq!(stream.part_sizes, [PART, PART, 123]);
        let (size, etag) = file_etag(&file, &stream.part_sizes).unwrap();
        let etag = etag.unwrap();
        assert_eq!(stream.parts.len(), 3);
        assert_eq!(size, stream.size);
        assert_eq!(etag, stream.etag());
        assert_eq!(
            compare(&format!("\"{etag}\""), Some(size), &etag, size),
            Verdict::Match
        );
        assert!(matches!(
            compare(&etag, Some(size + 1), &etag, size),
            Verdict::Mismatch { .. }
        ));
        assert_eq!(
            compare("d41d8cd98f00b204e9800998ecf8427e", Some(size), &etag, size),
            Verdict::SizeOnly
        );
    }

    #[test]
    fn file_etags_follow_the_layout_they_are_given() {
        let scratch = Scratch::new("layout");
        let file = scratch.0.join("data");
        // Empty: one empty part.
        std::fs::write(&file, b"").unwrap();
        let (size, etag) = file_etag(&file, &[0]).unwrap();
        assert_eq!(size, 0);
        assert_eq!(etag.unwrap(), multipart_etag(&[md5(b"")]));
        // Smaller than S3's smallest part: one part of the file's size.
        let small: Vec<u8> = (0..16_047u32).map(|i| (i % 253) as u8).collect();
        std::fs::write(&file, &small).unwrap();
        let (size, etag) = file_etag(&file, &[16_047]).unwrap();
        assert_eq!(size, 16_047);
        let etag = etag.unwrap();
        assert_eq!(etag, multipart_etag(&[md5(&small)]));
        assert!(etag.ends_with("-1"));
        // Cut elsewhere, the same bytes give another checksum.
        let (_, other) = file_etag(&file, &[8_000, 8_047]).unwrap();
        assert_eq!(
            other.unwrap(),
            multipart_etag(&[md5(&small[..8_000]), md5(&small[8_000..])])
        );
        // A layout that is not the file's size is not hashed.
        assert_eq!(file_etag(&file, &[16_046]).unwrap(), (16_047, None));
        assert_eq!(file_etag(&file, &[16_047, 1]).unwrap(), (16_047, None));
    }

    #[test]
    fn nothing_compared_is_not_reported_as_checked() {
        let etag = multipart_etag(&[md5(b"x")]);
        // A plain checksum and no size from lakeFS: nothing could be compared.
        assert_eq!(
            compare("9dd4e461268c8034f5c8564e155c67a6", None, &etag, 1),
            Verdict::Unverifiable
        );
        // A multipart checksum without a size still proves the bytes.
        assert_eq!(compare(&etag, None, &etag, 1), Verdict::Match);
        assert!(matches!(
            compare(&multipart_etag(&[md5(b"y")]), None, &etag, 1),
            Verdict::Mismatch { .. }
        ));
    }

    #[tokio::test]
    async fn empty_stream_is_one_empty_part() {
        let (mut reader, digest) = HashingReader::new(&b""[..], PART);
        let mut sink = Vec::new();
        reader.read_to_end(&mut sink).await.unwrap();
        let digest = digest.lock().unwrap();
        assert_eq!(digest.parts.len(), 1);
        assert_eq!(digest.part_sizes, [0]);
        assert_eq!(digest.etag(), multipart_etag(&[md5(b"")]));
    }

    #[tokio::test]
    async fn a_stream_of_exactly_one_part_has_no_empty_part_after_it() {
        let data = vec![7u8; usize::try_from(PART).unwrap()];
        let (mut reader, digest) = HashingReader::new(&data[..], PART);
        let mut sink = Vec::new();
        reader.read_to_end(&mut sink).await.unwrap();
        assert_eq!(digest.lock().unwrap().part_sizes, [PART]);
    }
}
