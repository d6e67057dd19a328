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
        ObjectStats { path, path_type, physical_address, physical_address_expiry, checksum,
            size_bytes, mtime, metadata, content_type }
    }
}

prop_compose! {
    fn upload_part()(part_number in any::<u32>(), etag in text()) -> UploadPart {
        UploadPart { part_number, etag }
    }
}

prop_compose! {
    fn external_principal()(id in text(), user_id in text(), settings in option::of(string_map()))
        -> ExternalPrincipal {
        ExternalPrincipal { id, user_id, settings }
    }
}

prop_compose! {
    fn pagination()(has_more in any::<bool>(), next_offset in text(),
        results in any::<i64>(), max_per_page in any::<i64>()) -> Pagination {
        Pagination { has_more, next_offset, results, max_per_page }
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
        round_trip(&PresignMultipartUpload { upload_id, physical_address, presigned_urls })?;
    }

    #[test]
    fn complete_round_trips(
        physical_address in text(), parts in vec(upload_part(), 0..6),
        user_metadata in option::of(string_map()), content_type in option::of(text()),
    ) {
        round_trip(&CompletePresignMultipartUpload { physical_address, parts, user_metadata, content_type })?;
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
        round_trip(&StagingLocation { physical_address, presigned_url, presigned_url_expiry })?;
    }

    #[test]
    fn external_principal_creation_round_trips(settings in option::of(string_map())) {
        round_trip(&ExternalPrincipalCreation { settings })?;
    }

    #[test]
    fn external_principal_round_trips(value in external_principal()) {
        round_trip(&value)?;
    }

    #[test]
    fn external_principal_list_round_trips(
        pagination in pagination(), results in vec(external_principal(), 0..4),
    ) {
        round_trip(&ExternalPrincipalList { pagination, results })?;
    }

    #[test]
    fn pagination_round_trips(value in pagination()) {
        round_trip(&value)?;
    }

    #[test]
    fn sts_auth_request_round_trips(
        code in text(), state in text(), redirect_uri in text(), ttl_seconds in option::of(any::<i64>()),
    ) {
        round_trip(&StsAuthRequest { code, state, redirect_uri, ttl_seconds })?;
    }

    #[test]
    fn authentication_token_round_trips(token in text(), token_expiration in option::of(any::<i64>())) {
        round_trip(&AuthenticationToken { token, token_expiration })?;
    }

    #[test]
    fn redact_url_never_keeps_the_query(base in "[a-z:/.]{0,20}", query in "[^#]{0,20}") {
        let redacted = redact_url(&format!("{base}?{query}"));
        prop_assert_eq!(redacted, format!("{base}?<redacted>"));
    }
}
