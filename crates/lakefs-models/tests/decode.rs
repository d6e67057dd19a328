//! Decoding of the response shapes the spec declares, as a server sends them: with every field,
//! with unknown extra fields, and with every optional field absent.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use lakefs_models::*;
use serde_json::json;

#[test]
fn object_stats_full_with_unknown_fields() {
    let stats: ObjectStats = serde_json::from_value(json!({
        "path": "data/file.parquet",
        "path_type": "object",
        "physical_address": "data/gabc/cdef,sig",
        "physical_address_expiry": 1_700_000_000,
        "checksum": "3858f62230ac3c915f300c664312c63f-2",
        "size_bytes": 10_485_761,
        "mtime": 1_700_000_123,
        "metadata": {"owner": "etl", "x": ""},
        "content_type": "application/octet-stream",
        "a_field_from_the_future": {"nested": [1, 2]},
    }))
    .unwrap();
    assert_eq!(stats.path, "data/file.parquet");
    assert_eq!(stats.path_type, PathType::Object);
    assert_eq!(stats.physical_address_expiry, Some(1_700_000_000));
    assert_eq!(stats.size_bytes, Some(10_485_761));
    assert_eq!(stats.mtime, 1_700_000_123);
    assert_eq!(stats.metadata.unwrap()["owner"], "etl");
    assert_eq!(
        stats.content_type.as_deref(),
        Some("application/octet-stream")
    );
}

#[test]
fn object_stats_minimal() {
    let stats: ObjectStats = serde_json::from_value(json!({
        "path": "p", "path_type": "common_prefix", "physical_address": "s3://b/k",
        "checksum": "c", "mtime": 0,
    }))
    .unwrap();
    assert_eq!(stats.path_type, PathType::CommonPrefix);
    assert_eq!(stats.size_bytes, None);
    assert_eq!(stats.metadata, None);
    assert_eq!(stats.content_type, None);
    assert_eq!(stats.physical_address_expiry, None);
    // Optional fields stay absent when encoded again.
    let back = serde_json::to_value(&stats).unwrap();
    assert_eq!(back.as_object().unwrap().len(), 5);
}

#[test]
fn object_stats_missing_required_field_names_it() {
    let err = serde_json::from_value::<ObjectStats>(json!({
        "path": "p", "path_type": "object", "physical_address": "a", "mtime": 1,
    }))
    .unwrap_err();
    assert!(err.to_string().contains("checksum"), "{err}");
}

#[test]
fn path_type_keeps_unknown_values() {
    let stats: ObjectStats = serde_json::from_value(json!({
        "path": "p", "path_type": "symlink", "physical_address": "a", "checksum": "c", "mtime": 1,
    }))
    .unwrap();
    assert_eq!(stats.path_type, PathType::Other("symlink".into()));
    assert_eq!(
        serde_json::to_value(&stats).unwrap()["path_type"],
        "symlink"
    );
}

#[test]
fn presign_multipart_upload_full_and_minimal() {
    let full: PresignMultipartUpload = serde_json::from_value(json!({
        "upload_id": "u1",
        "physical_address": "s3://bucket/ns/data/g1/x,sig",
        "presigned_urls": ["https://s3/p1?X-Amz-Signature=a", "https://s3/p2?X-Amz-Signature=b"],
        "extra": true,
    }))
    .unwrap();
    assert_eq!(full.upload_id, "u1");
    assert_eq!(full.presigned_urls.as_ref().unwrap().len(), 2);

    // The server omits presigned_urls when parts is 0 or absent.
    let minimal: PresignMultipartUpload =
        serde_json::from_value(json!({"upload_id": "u", "physical_address": "a"})).unwrap();
    assert_eq!(minimal.presigned_urls, None);
}

#[test]
fn presigned_urls_are_redacted_in_debug() {
    let upload = PresignMultipartUpload::new(
        "u",
        "a",
        Some(vec![
            "https://s3.example/b/k?partNumber=1&X-Amz-Signature=deadbeef".into(),
        ]),
    );
    let debug = format!("{upload:?}");
    assert!(!debug.contains("deadbeef"), "{debug}");
    assert!(
        debug.contains("https://s3.example/b/k?<redacted>"),
        "{debug}"
    );

    let staging = StagingLocation::new(None, Some("https://h/k?X-Amz-Signature=cafe".into()), None);
    assert!(!format!("{staging:?}").contains("cafe"));

    let mut stats = ObjectStats::new("p", "https://h/k?sig=feed", "c", 0);
    stats.physical_address_expiry = Some(1);
    assert!(!format!("{stats:?}").contains("feed"));

    let part = UploadTo::new("https://s3.example/b/k?partNumber=7&X-Amz-Signature=f00d");
    let debug = format!("{part:?}");
    assert!(!debug.contains("f00d"), "{debug}");
    assert!(
        debug.contains("https://s3.example/b/k?<redacted>"),
        "{debug}"
    );
}

#[test]
fn tokens_and_codes_are_redacted_in_debug() {
    let token = AuthenticationToken::new("eyJhbGciOiJIUzI1NiJ9.secret", Some(5));
    let debug = format!("{token:?}");
    assert!(!debug.contains("eyJ"), "{debug}");
    assert!(debug.contains("token_expiration: Some(5)"));

    let request = StsAuthRequest::new("the-code", "the-state", "https://app/cb");
    let debug = format!("{request:?}");
    assert!(
        !debug.contains("the-code") && !debug.contains("the-state"),
        "{debug}"
    );
}

#[test]
fn staging_location_accepts_null_url_and_empty_object() {
    let with_null: StagingLocation =
        serde_json::from_value(json!({"physical_address": "a", "presigned_url": null})).unwrap();
    assert_eq!(with_null.presigned_url, None);
    assert_eq!(with_null.physical_address.as_deref(), Some("a"));
    let empty: StagingLocation = serde_json::from_value(json!({})).unwrap();
    assert_eq!(empty, StagingLocation::default());
}

#[test]
fn external_principal_list_full_and_minimal() {
    let list: ExternalPrincipalList = serde_json::from_value(json!({
        "pagination": {"has_more": true, "next_offset": "arn:2", "results": 2, "max_per_page": 0, "new": 1},
        "results": [
            {"id": "arn:1", "user_id": "alice", "settings": {"k": "v"}},
            {"id": "arn:2", "user_id": "alice", "other": null},
        ],
    }))
    .unwrap();
    assert!(list.pagination.has_more);
    assert_eq!(list.pagination.next_offset, "arn:2");
    assert_eq!(list.results[0].settings.as_ref().unwrap()["k"], "v");
    assert_eq!(list.results[1].settings, None);

    let empty: ExternalPrincipalList = serde_json::from_value(json!({
        "pagination": {"has_more": false, "next_offset": "", "results": 0, "max_per_page": 0},
        "results": [],
    }))
    .unwrap();
    assert!(empty.results.is_empty());
}

#[test]
fn settings_decode_from_object_or_array_and_encode_as_object() {
    let from_array: ExternalPrincipal = serde_json::from_value(json!({
        "id": "i", "user_id": "u", "settings": [{"a": "1"}, {"b": "2", "a": "3"}],
    }))
    .unwrap();
    let settings = from_array.settings.clone().unwrap();
    assert_eq!(settings["a"], "3");
    assert_eq!(settings["b"], "2");
    assert_eq!(
        serde_json::to_value(&from_array).unwrap()["settings"],
        json!({"a": "3", "b": "2"})
    );

    let creation: ExternalPrincipalCreation =
        serde_json::from_value(json!({"settings": [{"n": 5}]})).unwrap();
    assert_eq!(creation.settings.unwrap()["n"], "5");

    let null: ExternalPrincipal =
        serde_json::from_value(json!({"id": "i", "user_id": "u", "settings": null})).unwrap();
    assert_eq!(null.settings, None);

    let err = serde_json::from_value::<ExternalPrincipal>(
        json!({"id": "i", "user_id": "u", "settings": 7}),
    )
    .unwrap_err();
    assert!(err.to_string().contains("settings"), "{err}");
}

#[test]
fn external_principal_minimal() {
    let principal: ExternalPrincipal =
        serde_json::from_value(json!({"id": "arn:x", "user_id": "bob"})).unwrap();
    assert_eq!(principal.settings, None);
    assert_eq!(
        serde_json::to_value(&principal).unwrap(),
        json!({"id": "arn:x", "user_id": "bob"})
    );
}

#[test]
fn authentication_token_full_and_minimal() {
    let full: AuthenticationToken =
        serde_json::from_value(json!({"token": "t", "token_expiration": 1_800_000_000, "z": 0}))
            .unwrap();
    assert_eq!(full.token_expiration, Some(1_800_000_000));
    let minimal: AuthenticationToken = serde_json::from_value(json!({"token": "t"})).unwrap();
    assert_eq!(minimal.token_expiration, None);
}

#[test]
fn error_body_with_extra_fields() {
    let error: Error =
        serde_json::from_value(json!({"message": "branch not found", "code": 7})).unwrap();
    assert_eq!(error.message, "branch not found");
}

#[test]
fn request_bodies_omit_unset_optionals() {
    let complete = CompletePresignMultipartUpload::new("a", vec![UploadPart::new(1, "e")]);
    assert_eq!(
        serde_json::to_value(&complete).unwrap(),
        json!({"physical_address": "a", "parts": [{"part_number": 1, "etag": "e"}]})
    );
    let sts = StsAuthRequest::new("c", "s", "r");
    assert_eq!(
        serde_json::to_value(&sts).unwrap(),
        json!({"code": "c", "state": "s", "redirect_uri": "r"})
    );
    assert_eq!(
        serde_json::to_value(sts.with_ttl_seconds(60)).unwrap()["ttl_seconds"],
        60
    );
    assert_eq!(
        serde_json::to_value(ExternalPrincipalCreation::default()).unwrap(),
        json!({})
    );
}

#[test]
fn identity_requests_are_redacted_in_debug() {
    let request = json!({
        "method": "POST",
        "url": "https://sts.amazonaws.com/?Action=GetCallerIdentity&X-Amz-Signature=beefcafe",
        "headers": {"X-Amz-Security-Token": "sessiontoken"},
    });
    let serde_json::Value::Object(request) = request else {
        unreachable!()
    };
    let login = ExternalLoginInformation::new(request).with_token_expiration_duration(60);
    let debug = format!("{login:?}");
    assert!(
        !debug.contains("beefcafe") && !debug.contains("sessiontoken"),
        "{debug}"
    );
    assert!(
        debug.contains("\"url\"") && debug.contains("Some(60)"),
        "{debug}"
    );
    let json = serde_json::to_value(&login).unwrap();
    assert_eq!(json["identityRequest"]["method"], "POST");
    assert_eq!(json["token_expiration_duration"], 60);
}

#[test]
fn pull_requests_decode_from_the_server_shape() {
    let pr: PullRequest = serde_json::from_value(json!({
        "id": "pr-1", "status": "merged", "title": "t", "description": "",
        "creation_date": "2026-11-23T10:00:00Z", "author": "admin",
        "source_branch": "feature", "destination_branch": "main",
        "merged_commit_id": "c0ffee", "closed_date": "2026-11-23T11:00:00Z",
        "a_future_field": 1,
    }))
    .unwrap();
    assert_eq!(pr.status, PullRequestStatus::Merged);
    assert_eq!(pr.merged_commit_id.as_deref(), Some("c0ffee"));
    let odd: PullRequestStatus = serde_json::from_value(json!("draft")).unwrap();
    assert_eq!(odd, PullRequestStatus::Other("draft".into()));
    assert_eq!(odd.to_string(), "draft");

    // The update body sends only what is set.
    let update = PullRequestBasic::new().with_status(PullRequestStatus::Closed);
    assert_eq!(
        serde_json::to_value(&update).unwrap(),
        json!({"status": "closed"})
    );
    // A copy source's `ref` keeps its JSON name; the range is S3's inclusive syntax.
    let source = CopyPartSource::new("repo", "main", "a/b").with_byte_range(0, 5_242_879);
    assert_eq!(
        serde_json::to_value(&source).unwrap(),
        json!({"repository": "repo", "ref": "main", "path": "a/b", "range": "bytes=0-5242879"})
    );
}
