//! Property tests: every model survives value → JSON → value unchanged.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;

use lakefs_models::*;
use proptest::collection::{btree_map, vec};
use proptest::option;
use proptest::prelude::*;
use serde::de::DeserializeOwned;
use serde::Serialize;

fn text() -> impl Strategy<Value = String> {
    // Unicode, quotes, backslashes and control characters all have to survive JSON escaping.
    "\\PC{0,12}|[\"\\\\/\\n\\t ?#%+]{0,4}"
}

fn string_map() -> impl Strategy<Value = BTreeMap<String, String>> {
    btree_map(text(), text(), 0..4)
}

fn path_type() -> impl Strategy<Value = PathType> {
    prop_oneof![
        Just(PathType::Object),
        Just(PathType::CommonPrefix),
        "[a-z_]{1,10}".prop_map(|s| PathType::from(s.as_str())),
    ]
}

prop_compose! {
    fn object_stats()(
        path in text(), path_type in path_type(), physical_address in text(),
        physical_address_expiry in option::of(any::<i64>()), checksum in text(),
        size_bytes in option::of(any::<i64>()), mtime in any::<i64>(),
        metadata in option::of(string_map()), content_type in option::of(text()),
    ) -> ObjectStats {
        let mut stats = ObjectStats::new(path, physical_address, checksum, mtime);
        stats.path_type = path_type;
        stats.physical_address_expiry = physical_address_expiry;
        stats.size_bytes = size_bytes;
        stats.metadata = metadata;
        stats.content_type = content_type;
        stats
    }
}

prop_compose! {
    fn upload_part()(part_number in any::<u32>(), etag in text()) -> UploadPart {
        UploadPart::new(part_number, etag)
    }
}

prop_compose! {
    fn external_principal()(id in text(), user_id in text(), settings in option::of(string_map()))
        -> ExternalPrincipal {
        let mut principal = ExternalPrincipal::new(id, user_id);
        principal.settings = settings;
        principal
    }
}

prop_compose! {
    fn pagination()(has_more in any::<bool>(), next_offset in text(),
        results in any::<i64>(), max_per_page in any::<i64>()) -> Pagination {
        Pagination::new(has_more, next_offset, results, max_per_page)
    }
}

fn pr_status() -> impl Strategy<Value = PullRequestStatus> {
    prop_oneof![
        Just(PullRequestStatus::Open),
        Just(PullRequestStatus::Closed),
        Just(PullRequestStatus::Merged),
        "[a-z_]{1,10}".prop_map(|s| PullRequestStatus::from(s.as_str())),
    ]
}

prop_compose! {
    fn pull_request()(
        id in text(), status in pr_status(), title in text(), description in text(),
        creation_date in text(), author in text(), source in text(), destination in text(),
        merged_commit_id in option::of(text()), closed_date in option::of(text()),
    ) -> PullRequest {
        let mut pr = PullRequest::new(id, title, author, source, destination, creation_date);
        pr.status = status;
        pr.description = description;
        pr.merged_commit_id = merged_commit_id;
        pr.closed_date = closed_date;
        pr
    }
}

fn round_trip<T>(value: &T) -> Result<(), TestCaseError>
where
    T: Serialize + DeserializeOwned + PartialEq + std::fmt::Debug,
{
    let json = serde_json::to_string(value).map_err(|e| TestCaseError::fail(e.to_string()))?;
    let back: T =
        serde_json::from_str(&json).map_err(|e| TestCaseError::fail(format!("{e}: {json}")))?;
    prop_assert_eq!(&back, value, "JSON was {}", json);
    Ok(())
}

proptest! {
    #[test]
    fn error_round_trips(message in text()) {
        round_trip(&Error::new(message))?;
    }

    #[test]
    fn object_stats_round_trips(value in object_stats()) {
        round_trip(&value)?;
    }

    #[test]
    fn path_type_round_trips(value in path_type()) {
        round_trip(&value)?;
    }

    #[test]
    fn presign_multipart_upload_round_trips(
        upload_id in text(), physical_address in text(), presigned_urls in option::of(vec(text(), 0..5)),
    ) {
        round_trip(&PresignMultipartUpload::new(upload_id, physical_address, presigned_urls))?;
    }

    #[test]
    fn complete_round_trips(
        physical_address in text(), parts in vec(upload_part(), 0..6),
        user_metadata in option::of(string_map()), content_type in option::of(text()),
    ) {
        let mut body = CompletePresignMultipartUpload::new(physical_address, parts);
        body.user_metadata = user_metadata;
        body.content_type = content_type;
        round_trip(&body)?;
    }

    #[test]
    fn upload_part_round_trips(value in upload_part()) {
        round_trip(&value)?;
    }

    #[test]
    fn abort_round_trips(physical_address in text()) {
        round_trip(&AbortPresignMultipartUpload::new(physical_address))?;
    }

    #[test]
    fn staging_location_round_trips(
        physical_address in option::of(text()), presigned_url in option::of(text()),
        presigned_url_expiry in option::of(any::<i64>()),
    ) {
        round_trip(&StagingLocation::new(physical_address, presigned_url, presigned_url_expiry))?;
    }

    #[test]
    fn external_principal_creation_round_trips(settings in option::of(string_map())) {
        round_trip(&ExternalPrincipalCreation::new(settings))?;
    }

    #[test]
    fn external_principal_round_trips(value in external_principal()) {
        round_trip(&value)?;
    }

    #[test]
    fn external_principal_list_round_trips(
        pagination in pagination(), results in vec(external_principal(), 0..4),
    ) {
        round_trip(&ExternalPrincipalList::new(pagination, results))?;
    }

    #[test]
    fn pagination_round_trips(value in pagination()) {
        round_trip(&value)?;
    }

    #[test]
    fn sts_auth_request_round_trips(
        code in text(), state in text(), redirect_uri in text(), ttl_seconds in option::of(any::<i64>()),
    ) {
        let mut request = StsAuthRequest::new(code, state, redirect_uri);
        request.ttl_seconds = ttl_seconds;
        round_trip(&request)?;
    }

    #[test]
    fn authentication_token_round_trips(token in text(), token_expiration in option::of(any::<i64>())) {
        round_trip(&AuthenticationToken::new(token, token_expiration))?;
    }

    #[test]
    fn upload_part_from_and_upload_to_round_trip(address in text(), url in text()) {
        round_trip(&UploadPartFrom::new(address))?;
        round_trip(&UploadTo::new(url))?;
    }

    #[test]
    fn upload_part_copy_from_round_trips(
        address in text(), repository in text(), reference in text(), path in text(),
        range in option::of((any::<u64>(), any::<u64>())),
    ) {
        let mut source = CopyPartSource::new(repository, reference, path);
        if let Some((first, last)) = range {
            source = source.with_byte_range(first, last);
        }
        round_trip(&UploadPartCopyFrom::new(address, source))?;
    }

    #[test]
    fn update_object_user_metadata_round_trips(set in string_map()) {
        round_trip(&UpdateObjectUserMetadata::new(set))?;
    }

    #[test]
    fn external_login_information_round_trips(
        keys in btree_map("[a-zA-Z]{1,8}", text(), 0..4), ttl in option::of(any::<i64>()),
    ) {
        let request = keys.into_iter().map(|(k, v)| (k, serde_json::Value::String(v))).collect();
        let mut body = ExternalLoginInformation::new(request);
        body.token_expiration_duration = ttl;
        round_trip(&body)?;
    }

    #[test]
    fn pull_request_round_trips(value in pull_request()) {
        round_trip(&value)?;
    }

    #[test]
    fn pull_requests_list_round_trips(pagination in pagination(), results in vec(pull_request(), 0..3)) {
        round_trip(&PullRequestsList::new(pagination, results))?;
    }

    #[test]
    fn pull_request_bodies_round_trip(
        title in text(), description in option::of(text()), source in text(), destination in text(),
        status in option::of(pr_status()), new_title in option::of(text()), id in text(),
    ) {
        let mut creation = PullRequestCreation::new(title, source, destination);
        creation.description = description.clone();
        round_trip(&creation)?;
        let mut update = PullRequestBasic::new();
        update.status = status;
        update.title = new_title;
        update.description = description;
        round_trip(&update)?;
        round_trip(&PullRequestCreationResponse::new(id.clone()))?;
        round_trip(&MergeResult::new(id))?;
    }

    #[test]
    fn redact_url_never_keeps_the_query(base in "[a-z:/.]{0,20}", query in "[^#]{0,20}") {
        let redacted = redact_url(&format!("{base}?{query}"));
        prop_assert_eq!(redacted, format!("{base}?<redacted>"));
    }
}
