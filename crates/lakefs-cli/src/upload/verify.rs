//! The integrity check (`--verify`): besides the engine's check of each part's MD5 against the
//! storage's ETag, the object lakeFS recorded is compared with the local bytes — its size, and
//! its checksum, which for a multipart upload on S3 is `md5(md5(part 1) ‖ … ‖ md5(part n))-n`
//! and so also proves that every part is there, in order.

use std::io::Read;
use std::path::Path;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};

use lakefs_multipart::{PartPlan, PartSchedule};
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
}

fn hex(bytes: &[u8]) -> String {
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
        Verdict::SizeOnly
    } else if checksum == local_etag {
        Verdict::Match
    } else {
        Verdict::Mismatch {
            server: format!("checksum {checksum}"),
            local: format!("checksum {local_etag}"),
        }
    }
}

/// The multipart ETag of a file cut as the engine cuts it for `part_size`; reads the whole
/// file (call it on a blocking thread).
pub(crate) fn file_etag(path: &Path, part_size: u64) -> std::io::Result<(u64, String)> {
    let mut file = std::fs::File::open(path)?;
    let size = file.metadata()?.len();
    let plan = PartPlan::new(size, part_size).map_err(std::io::Error::other)?;
    let mut buffer = vec![0u8; 1 << 20];
    let mut digests = Vec::with_capacity(plan.part_count() as usize);
    for (_, range) in plan.parts() {
        let mut md5 = Md5::new();
        let mut left = range.end - range.start;
        while left > 0 {
            let chunk = usize::try_from(left.min(buffer.len() as u64)).unwrap_or(buffer.len());
            file.read_exact(&mut buffer[..chunk])?;
            md5.update(&buffer[..chunk]);
            left -= chunk as u64;
        }
        digests.push(md5.finalize().into());
    }
    Ok((size, multipart_etag(&digests)))
}

/// What a [`HashingReader`] saw: bytes, and each part's MD5.
#[derive(Debug, Default)]
pub(crate) struct StreamDigest {
    pub(crate) size: u64,
    pub(crate) parts: Vec<[u8; 16]>,
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
        self.result
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .parts
            .push(digest);
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

    #[tokio::test]
    async fn stream_and_file_digests_agree() {
        let part = 5 * 1024 * 1024;
        let data: Vec<u8> = (0..(2 * part + 123)).map(|i| (i % 251) as u8).collect();
        let (mut reader, digest) = HashingReader::new(&data[..], part as u64);
        let mut sink = Vec::new();
        reader.read_to_end(&mut sink).await.unwrap();
        assert_eq!(sink, data);
        let dir = std::env::temp_dir().join(format!("lakefs-cli-verify-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("data");
        std::fs::write(&file, &data).unwrap();
        let (size, etag) = file_etag(&file, part as u64).unwrap();
        let stream = digest.lock().unwrap();
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
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[tokio::test]
    async fn empty_stream_is_one_empty_part() {
        let (mut reader, digest) = HashingReader::new(&b""[..], 5 << 20);
        let mut sink = Vec::new();
        reader.read_to_end(&mut sink).await.unwrap();
        assert_eq!(digest.lock().unwrap().parts.len(), 1);
    }
}
