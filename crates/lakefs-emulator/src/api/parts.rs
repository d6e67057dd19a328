//! `uploadPart` and `uploadPartCopy` (lakeFS v1.55.0+, `pkg/api/controller.go:299-458`).

use bytes::Bytes;
use http::{header, Request, Response, StatusCode};
use lakefs_models::{UploadPartCopyFrom, UploadPartFrom, UploadTo};

use super::multipart::verify_link_address;
use super::{body, fail, json, path_integer, Answer, Failure, Query};
use crate::checksum::md5_hex;
use crate::emulator::Emulator;
use crate::model::{State, Support};

/// S3's (and lakeFS's) largest part number.
const MAX_PART_NUMBER: i64 = 10_000;

/// What both operations validate first, as the spec validator does: `path` is required,
/// `partNumber` is an integer in 1..=10000 (1000 before v1.80.0), the JSON body parses.
fn validate<B: serde::de::DeserializeOwned>(
    part: &str,
    query: &Query,
    request: &Request<Bytes>,
) -> Result<(String, u32, B), Failure> {
    let path = query.required("path")?.to_owned();
    let number = path_integer("partNumber", part, 1, MAX_PART_NUMBER)?;
    let parsed = body(request)?;
    Ok((path, u32::try_from(number).unwrap_or(1), parsed))
}

fn repository_exists(state: &State, repository: &str) -> Result<(), Failure> {
    if state.repositories.contains_key(repository) {
        Ok(())
    } else {
        Err(fail(StatusCode::NOT_FOUND, "repository not found"))
    }
}

/// The spec's pattern for a copy source's `range`, `^bytes=((\d*-\d*,? ?)+)$`, which the
/// validator enforces (400) before anything else.
fn check_range_pattern(range: &str) -> Result<(), Failure> {
    let matches = range.strip_prefix("bytes=").is_some_and(|rest| {
        rest.contains('-')
            && rest
                .bytes()
                .all(|b| b.is_ascii_digit() || matches!(b, b'-' | b',' | b' '))
    });
    if matches {
        return Ok(());
    }
    Err(fail(
        StatusCode::BAD_REQUEST,
        format!(
            "request body has an error: doesn't match schema: Error at \"/copy_source/range\": string doesn't match the regular expression \"^bytes=((\\d*-\\d*,? ?)+)$\" (value {range:?})"
        ),
    ))
}

/// Reads a range the way lakeFS does, `fmt.Sscanf(range, "bytes=%d-%d")`
/// (`controller.go:430-447`): only `bytes=START-END` works; other forms the pattern allows
/// (`bytes=100-`, `bytes=-100`) fail here and come back as 500; text after END is ignored.
/// The range is inclusive, as S3's `CopySourceRange`.
pub(super) fn parse_range(range: &str) -> Result<(i64, i64), Failure> {
    let scan_failed = |why: &str| {
        fail(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("parse range \"{range}\": {why}"),
        )
    };
    let rest = range
        .strip_prefix("bytes=")
        .ok_or_else(|| scan_failed("input does not match format"))?;
    let (start, rest) = scan_integer(rest).ok_or_else(|| scan_failed("expected integer"))?;
    let rest = rest
        .strip_prefix('-')
        .ok_or_else(|| scan_failed("unexpected EOF"))?;
    let (end, _ignored) = scan_integer(rest).ok_or_else(|| scan_failed("unexpected EOF"))?;
    Ok((start, end))
}

/// Go's `%d`: an optional minus sign and digits.
fn scan_integer(text: &str) -> Option<(i64, &str)> {
    let digits_from = usize::from(text.starts_with('-'));
    let end = text[digits_from..]
        .find(|c: char| !c.is_ascii_digit())
        .map_or(text.len(), |i| i + digits_from);
    if end == digits_from {
        return None;
    }
    Some((text[..end].parse().ok()?, &text[end..]))
}

/// The bytes `range` selects from `content`, or the 500 lakeFS passes on from S3 for a range
/// S3 refuses.
pub(super) fn select_range(content: &Bytes, range: Option<&str>) -> Result<Bytes, Failure> {
    let Some(range) = range else {
        return Ok(content.clone());
    };
    let (start, end) = parse_range(range)?;
    let size = i64::try_from(content.len()).unwrap_or(i64::MAX);
    if start < 0 || start > end || end >= size {
        return Err(fail(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!(
                "upload part copy: InvalidArgument: Range specified is not valid for source object of size: {size}"
            ),
        ));
    }
    let (start, end) = (
        usize::try_from(start).unwrap_or(0),
        usize::try_from(end).unwrap_or(0),
    );
    Ok(content.slice(start..=end))
}

/// The 204 of `uploadPartCopy`: lakeFS strips the quotes from S3's ETag
/// (`pkg/block/s3/adapter.go:634`) and sends it as is (`controller.go:456`).
pub(super) fn copied(etag: &str) -> Answer {
    let mut response = Response::new(Bytes::new());
    *response.status_mut() = StatusCode::NO_CONTENT;
    if let Ok(value) = header::HeaderValue::from_str(etag.trim_matches('"')) {
        response.headers_mut().insert(header::ETAG, value);
    }
    response
}

impl Emulator {
    /// `uploadPart`: a freshly signed URL for one part, valid for the part URL lifetime from
    /// now. Order (`controller.go:299-349`): validator (400), repository (404), the link-address
    /// check complete uses (400: full URI from create, signature for this repository, branch
    /// and path, under 24 h), then the block adapter: storage without presigned multipart
    /// answers 400 "operation not supported" (not 501). lakeFS checks neither the branch nor the
    /// upload id here: presigning does not contact S3, so an unknown or aborted upload still
    /// gets a URL, and the part PUT then fails with S3's `NoSuchUpload`.
    pub(super) fn upload_part(
        &self,
        repository: &str,
        branch: &str,
        upload_id: &str,
        part: &str,
        query: &Query,
        request: &Request<Bytes>,
    ) -> Result<Answer, Failure> {
        let (path, number, from): (String, u32, UploadPartFrom) = validate(part, query, request)?;
        let state = self.lock();
        repository_exists(&state, repository)?;
        verify_link_address(&state, repository, branch, &path, &from.physical_address)?;
        if state.presign_multipart == Support::NotImplemented {
            return Err(fail(StatusCode::BAD_REQUEST, "operation not supported"));
        }
        #[cfg(feature = "s3")]
        if let Some(s3) = &state.s3 {
            let key = from
                .physical_address
                .strip_prefix(&format!("s3://{}/", s3.bucket_name()))
                .unwrap_or(&from.physical_address);
            let url = s3.presign_part(
                key,
                upload_id,
                u16::try_from(number).unwrap_or(1),
                state.part_url_expiry,
                state.now(),
            );
            return Ok(json(StatusCode::OK, &UploadTo::new(url)));
        }
        Ok(json(
            StatusCode::OK,
            &UploadTo::new(state.part_url(upload_id, number)),
        ))
    }

    /// Validates an `uploadPartCopy` request and reads the source bytes it names: validator
    /// (400: body, range pattern, part number), destination then source repository (404),
    /// the link-address check (400), the source object at its ref — any ref expression, a
    /// branch including its staged objects — (404 `<repo>/<ref>/<path>: not found`), the range
    /// (500 when lakeFS's scanner or S3 refuses it). Returns the part number, the source object
    /// and the selected bytes (empty when the source lives on S3: the caller copies there).
    pub(super) fn begin_part_copy(
        &self,
        target: (&str, &str),
        part: &str,
        query: &Query,
        request: &Request<Bytes>,
    ) -> Result<PartCopy, Failure> {
        let (repository, branch) = target;
        let (path, number, from): (String, u32, UploadPartCopyFrom) =
            validate(part, query, request)?;
        let source = &from.copy_source;
        if let Some(range) = &source.range {
            check_range_pattern(range)?;
        }
        let state = self.lock();
        repository_exists(&state, repository)?;
        repository_exists(&state, &source.repository)?;
        verify_link_address(&state, repository, branch, &path, &from.physical_address)?;
        let not_found = || {
            fail(
                StatusCode::NOT_FOUND,
                format!(
                    "{}/{}/{}: not found",
                    source.repository, source.reference, source.path
                ),
            )
        };
        let entry = state
            .repositories
            .get(&source.repository)
            .and_then(|repo| repo.object_at(&source.reference, &source.path).flatten())
            .ok_or_else(not_found)?
            .clone();
        let bytes = if entry.s3_key.is_some() {
            // S3 checks the bounds itself; lakeFS's scanner must still read the range.
            if let Some(range) = &source.range {
                parse_range(range)?;
            }
            Bytes::new()
        } else {
            select_range(&entry.bytes(), source.range.as_deref())?
        };
        Ok(PartCopy {
            number,
            physical_address: from.physical_address.clone(),
            range: source.range.clone(),
            s3_key: entry.s3_key,
            bytes,
        })
    }

    /// `uploadPartCopy` with parts in memory: the selected bytes become the part, exactly as
    /// a PUT of them would (the ETag must match at complete). S3 answers `NoSuchUpload` for an
    /// unknown upload, which lakeFS passes on as 500. Answers 204 with the part's MD5 as an
    /// unquoted `ETag` header.
    pub(super) fn upload_part_copy(
        &self,
        repository: &str,
        branch: &str,
        upload_id: &str,
        part: &str,
        query: &Query,
        request: &Request<Bytes>,
    ) -> Result<Answer, Failure> {
        let copy = self.begin_part_copy((repository, branch), part, query, request)?;
        let mut state = self.lock();
        let upload = state.uploads.get_mut(upload_id).ok_or_else(|| {
            fail(
                StatusCode::INTERNAL_SERVER_ERROR,
                "upload part copy: NoSuchUpload: The specified multipart upload does not exist.",
            )
        })?;
        let md5 = md5_hex(&[&copy.bytes]);
        upload.parts.insert(copy.number, (copy.bytes, md5.clone()));
        Ok(copied(&md5))
    }
}

/// A validated part copy.
pub(super) struct PartCopy {
    pub(super) number: u32,
    /// The upload's address (create's full URI).
    #[cfg_attr(not(feature = "s3"), allow(dead_code))]
    pub(super) physical_address: String,
    /// The range as requested (validated).
    #[cfg_attr(not(feature = "s3"), allow(dead_code))]
    pub(super) range: Option<String>,
    /// The source's key when it lives on S3.
    #[cfg_attr(not(feature = "s3"), allow(dead_code))]
    pub(super) s3_key: Option<String>,
    /// The selected bytes of an in-memory source.
    pub(super) bytes: Bytes,
}
