#!/usr/bin/env python3
"""Drives a running lakeFS emulator with the official lakeFS Python SDK (`lakefs-sdk`, 1.88.0),
unchanged, through every one of the 18 operations of its `ExperimentalApi`, including the
presigned part PUTs (with `urllib`) to the URLs from createPresignMultipartUpload and uploadPart,
then (stable_operations.py) through the 19 stable object, commit, ref, branch and repository
operations a data workflow needs.

usage: official_sdk.py <url> <access-key-id> <secret-access-key>

Exits 0 when every check passes; otherwise prints what failed and exits 1. The emulator must be
in its default setup (`lakefs-emulator` binary, or `Emulator::new()` behind `serve`).

Known incompatibility, kept on purpose: lakeFS v1.84.0's listPullRequests leaves `description` out
of every item (`pkg/api/controller.go`, `ListPullRequests`: `Description: nil`, `omitempty`), but
the SDK's `PullRequest` model requires it, so `list_pull_requests` cannot decode a non-empty list
from lakeFS (treeverse/lakeFS#9760). The emulator answers exactly as lakeFS does, so this script
expects that decode error and reads the list through the SDK's raw variant
(`list_pull_requests_with_http_info(..., _preload_content=False)`).
"""

import hashlib
import json
import sys
import urllib.error
import urllib.request

import lakefs_sdk
import stable_operations
from lakefs_sdk import (
    AbortPresignMultipartUpload,
    ApiClient,
    CompletePresignMultipartUpload,
    Configuration,
    CopyPartSource,
    ExperimentalApi,
    ExternalLoginInformation,
    PullRequestBasic,
    PullRequestCreation,
    StsAuthRequest,
    UpdateObjectUserMetadata,
    UploadPart,
    UploadPartCopyFrom,
    UploadPartFrom,
)
from lakefs_sdk.api.objects_api import ObjectsApi
from lakefs_sdk.exceptions import (
    BadRequestException,
    NotFoundException,
    UnauthorizedException,
)

# The SDK's models are pydantic v1 models (through `pydantic.v1` under pydantic 2).
try:
    from pydantic.v1 import ValidationError
except ImportError:
    from pydantic import ValidationError

# The emulator's default setup (lakefs_emulator::DEFAULT_*).
REPO = "example-repo"
MAIN = "main"
FEATURE = "feature"
OBJECT = "data/example.csv"
FEATURE_OBJECT = "data/feature.csv"
STS_CODE = "emulator-code"
STS_STATE = "emulator-state"
IDENTITY_TOKEN = "emulator-identity"
PRINCIPAL = "arn:aws:sts::123456789012:assumed-role/emulator-role/session"
MIB = 1024 * 1024

done = set()


def check(condition, what):
    if not condition:
        raise AssertionError(what)


def expect_error(kind, call, what):
    try:
        call()
    except kind:
        return
    except Exception as error:  # noqa: BLE001
        raise AssertionError(f"{what}: expected {kind.__name__}, got {error!r}") from error
    raise AssertionError(f"{what}: expected {kind.__name__}, got success")


def expect_lakefs_9760(call, what):
    """The SDK's decode error for a listPullRequests answer whose items lack `description`, as
    real lakeFS sends them (treeverse/lakeFS#9760)."""
    try:
        call()
    except ValidationError as error:
        check("description" in str(error), f"{what}: a decode error not about `description`: {error}")
        return
    except Exception as error:  # noqa: BLE001
        raise AssertionError(
            f"{what}: expected the SDK's ValidationError on `description` (lakeFS#9760), got {error!r}"
        ) from error
    raise AssertionError(
        f"{what}: the SDK decoded a non-empty list: either the emulator sent `description`, which "
        "lakeFS leaves out, or this SDK no longer requires it (lakeFS#9760 fixed?)"
    )


def list_pulls_raw(client, **params):
    """listPullRequests through the SDK's raw variant: the answer's JSON, undecoded."""
    response = client.list_pull_requests_with_http_info(REPO, _preload_content=False, **params)
    check(response.status_code == 200, f"listPullRequests answered {response.status_code}")
    return json.loads(response.raw_data)


def api(url, username=None, password=None, token=None):
    configuration = Configuration(
        host=url.rstrip("/") + "/api/v1", username=username, password=password, access_token=token
    )
    return ExperimentalApi(ApiClient(configuration))


def objects_api(url, username, password):
    configuration = Configuration(host=url.rstrip("/") + "/api/v1", username=username, password=password)
    return ObjectsApi(ApiClient(configuration))


def put_part(url, data):
    """A part PUT straight to the presigned URL, without lakeFS credentials; its ETag."""
    request = urllib.request.Request(url, data=data, method="PUT")
    with urllib.request.urlopen(request, timeout=60) as response:
        check(response.status == 200, f"part PUT answered {response.status}")
        etag = response.headers["ETag"]
    check(etag.strip('"') == hashlib.md5(data).hexdigest(), f"part ETag {etag}")
    return etag.strip('"')


def put_part_status(url, data):
    try:
        with urllib.request.urlopen(urllib.request.Request(url, data=data, method="PUT"), timeout=60):
            return 200, ""
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def logins(url, admin):
    anonymous = api(url)
    token = anonymous.sts_login(
        StsAuthRequest(code=STS_CODE, state=STS_STATE, redirect_uri="http://localhost/cb", ttl_seconds=600)
    )
    done.add("stsLogin")
    check(token.token and token.token_expiration, "stsLogin token")
    alice = api(url, token=token.token)
    list_pulls_raw(alice)  # the STS token authenticates
    expect_error(
        UnauthorizedException,
        lambda: anonymous.sts_login(StsAuthRequest(code="bad", state="bad", redirect_uri="http://cb")),
        "stsLogin with a bad code",
    )

    admin.create_user_external_principal("alice", PRINCIPAL)
    done.add("createUserExternalPrincipal")
    principal = admin.get_external_principal(PRINCIPAL)
    done.add("getExternalPrincipal")
    check((principal.id, principal.user_id) == (PRINCIPAL, "alice"), f"getExternalPrincipal {principal}")
    listed = admin.list_user_external_principals("alice", amount=10)
    done.add("listUserExternalPrincipals")
    check([p.id for p in listed.results] == [PRINCIPAL], f"listUserExternalPrincipals {listed}")
    check(listed.pagination.has_more is False, "pagination")

    login = anonymous.external_principal_login(
        ExternalLoginInformation(identity_request={"identity_token": IDENTITY_TOKEN}, token_expiration_duration=3600)
    )
    done.add("externalPrincipalLogin")
    check(login.token and login.token_expiration, "externalPrincipalLogin token")
    as_principal = api(url, token=login.token)
    check(as_principal.get_external_principal(PRINCIPAL).user_id == "alice", "login token authenticates")
    expect_error(
        UnauthorizedException,
        lambda: anonymous.external_principal_login(
            ExternalLoginInformation(identity_request={"identity_token": "who-knows"})
        ),
        "externalPrincipalLogin with an unknown identity",
    )

    admin.delete_user_external_principal("alice", PRINCIPAL)
    done.add("deleteUserExternalPrincipal")
    expect_error(NotFoundException, lambda: admin.get_external_principal(PRINCIPAL), "deleted principal")
    expect_error(UnauthorizedException, lambda: api(url).list_pull_requests(REPO), "no credentials")


def pull_requests(admin):
    created = admin.create_pull_request(
        REPO,
        PullRequestCreation(
            title="Add feature data", description="one commit", source_branch=FEATURE, destination_branch=MAIN
        ),
    )
    done.add("createPullRequest")
    pull = admin.get_pull_request(REPO, created.id)
    done.add("getPullRequest")
    check(pull.status == "open" and pull.author == "admin", f"getPullRequest {pull}")
    check(pull.creation_date is not None and pull.creation_date.tzinfo is not None, "creation_date")
    check((pull.source_branch, pull.destination_branch) == (FEATURE, MAIN), "branches")

    # As against lakeFS: the SDK cannot decode a non-empty list (lakeFS#9760), the raw JSON is fine.
    expect_lakefs_9760(lambda: admin.list_pull_requests(REPO, status="open", amount=10), "listPullRequests")
    page = list_pulls_raw(admin, status="open", amount=10)
    done.add("listPullRequests")
    check([p["id"] for p in page["results"]] == [created.id], f"listPullRequests {page}")
    item = page["results"][0]
    check("description" not in item and "merged_commit_id" not in item, f"lakeFS's list item shape: {item}")
    check((item["title"], item["status"]) == ("Add feature data", "open"), f"list item {item}")
    # An empty list decodes.
    check(admin.list_pull_requests(REPO, status="closed").results == [], "no closed ones yet")

    admin.update_pull_request(REPO, created.id, PullRequestBasic(title="Feature data", description="updated"))
    done.add("updatePullRequest")
    pull = admin.get_pull_request(REPO, created.id)
    check((pull.title, pull.description) == ("Feature data", "updated"), f"after update {pull}")

    result = admin.merge_pull_request(REPO, created.id)
    done.add("mergePullRequest")
    pull = admin.get_pull_request(REPO, created.id)
    check(pull.status == "merged" and pull.merged_commit_id == result.reference, f"merged {pull}")
    check(pull.closed_date is not None, "closed_date")
    expect_lakefs_9760(lambda: admin.list_pull_requests(REPO, status="closed"), "closed list")
    closed = list_pulls_raw(admin, status="closed")
    check([p["status"] for p in closed["results"]] == ["merged"], f"closed list {closed}")
    check("closed_date" in closed["results"][0], f"closed list {closed}")
    check(all("description" not in p and "merged_commit_id" not in p for p in closed["results"]), f"{closed}")
    expect_error(BadRequestException, lambda: admin.merge_pull_request(REPO, created.id), "second merge")
    expect_error(
        BadRequestException,
        lambda: admin.create_pull_request(
            REPO, PullRequestCreation(title="t", source_branch=MAIN, destination_branch=MAIN)
        ),
        "same branches",
    )
    expect_error(NotFoundException, lambda: admin.get_pull_request(REPO, "00000000000000000000"), "no such PR")


def multipart(admin):
    path = "python/sdk.bin"
    upload = admin.create_presign_multipart_upload(REPO, MAIN, path, parts=2)
    done.add("createPresignMultipartUpload")
    check(len(upload.presigned_urls) == 2, "two part URLs")
    for url in upload.presigned_urls:
        check("X-Amz-Date=" in url and "X-Amz-Expires=" in url, f"expiry in {url.split('?')[0]}")
    first = bytes(range(256)) * (5 * MIB // 256)
    etag1 = put_part(upload.presigned_urls[0], first)

    fresh = admin.upload_part(REPO, MAIN, upload.upload_id, path, 2, UploadPartFrom(physical_address=upload.physical_address))
    done.add("uploadPart")
    second = b"\x07" * (5 * MIB)
    etag2 = put_part(fresh.presigned_url, second)

    copied = admin.upload_part_copy_with_http_info(
        REPO,
        MAIN,
        upload.upload_id,
        path,
        3,
        UploadPartCopyFrom(
            physical_address=upload.physical_address,
            copy_source=CopyPartSource(repository=REPO, ref=MAIN, path=OBJECT, range="bytes=0-9"),
        ),
    )
    done.add("uploadPartCopy")
    check(copied.status_code == 204, f"uploadPartCopy status {copied.status_code}")
    etag3 = copied.headers["ETag"].strip('"')

    stats = admin.complete_presign_multipart_upload(
        REPO,
        MAIN,
        upload.upload_id,
        path,
        CompletePresignMultipartUpload(
            physical_address=upload.physical_address,
            parts=[UploadPart(part_number=1, etag=etag1), UploadPart(part_number=2, etag=etag2), UploadPart(part_number=3, etag=etag3)],
            user_metadata={"origin": "python"},
            content_type="application/x-test",
        ),
    )
    done.add("completePresignMultipartUpload")
    check(stats.size_bytes == 10 * MIB + 10, f"size {stats.size_bytes}")
    check(stats.checksum.endswith("-3"), f"checksum {stats.checksum}")
    check(stats.path == path and stats.content_type == "application/x-test", f"stats {stats}")
    check(stats.metadata == {"origin": "python"}, f"metadata {stats.metadata}")

    admin.update_object_user_metadata(REPO, MAIN, path, UpdateObjectUserMetadata(set={"owner": "sdk"}))
    done.add("updateObjectUserMetadata")
    expect_error(
        NotFoundException,
        lambda: admin.update_object_user_metadata(REPO, MAIN, "missing", UpdateObjectUserMetadata(set={})),
        "metadata of a missing object",
    )

    aborted = admin.create_presign_multipart_upload(REPO, MAIN, "python/aborted", parts=1)
    admin.abort_presign_multipart_upload(
        REPO, MAIN, aborted.upload_id, "python/aborted", AbortPresignMultipartUpload(physical_address=aborted.physical_address)
    )
    done.add("abortPresignMultipartUpload")
    status, body = put_part_status(aborted.presigned_urls[0], b"late")
    check(status == 404 and "NoSuchUpload" in body, f"PUT after abort: {status} {body}")
    expect_error(
        NotFoundException,
        lambda: admin.abort_presign_multipart_upload(
            REPO, MAIN, aborted.upload_id, "python/aborted", AbortPresignMultipartUpload(physical_address=aborted.physical_address)
        ),
        "second abort",
    )


def hard_reset(admin, objects):
    # main~1 is main before the pull request's merge. As on lakeFS (graveler's ResetHard moves only
    # the branch's commit id and keeps its staging token), the staged upload survives the reset,
    # while the feature's object, committed only by the merge, is gone.
    admin.hard_reset_branch(REPO, MAIN, "main~1")
    done.add("hardResetBranch")
    stats = objects.stat_object(REPO, MAIN, "python/sdk.bin")
    check(stats.size_bytes == 10 * MIB + 10 and stats.metadata == {"owner": "sdk"}, f"the staged object survives: {stats}")
    admin.update_object_user_metadata(REPO, MAIN, "python/sdk.bin", UpdateObjectUserMetadata(set={}))
    expect_error(NotFoundException, lambda: objects.stat_object(REPO, MAIN, FEATURE_OBJECT), "the merge commit's object")
    expect_error(NotFoundException, lambda: admin.hard_reset_branch(REPO, MAIN, "no-such-ref"), "unknown ref")


def main():
    if len(sys.argv) != 4:
        print(__doc__, file=sys.stderr)
        return 2
    url, key, secret = sys.argv[1:]
    admin = api(url, username=key, password=secret)
    try:
        logins(url, admin)
        pull_requests(admin)
        multipart(admin)
        hard_reset(admin, objects_api(url, key, secret))
        stable = stable_operations.run(url, key, secret)
    except Exception as error:  # noqa: BLE001
        print(f"FAILED: {type(error).__name__}: {error}", file=sys.stderr)
        print(f"operations completed before the failure: {sorted(done)}", file=sys.stderr)
        print(f"stable operations completed: {sorted(stable_operations.done)}", file=sys.stderr)
        return 1
    missing = 18 - len(done)
    if missing:
        print(f"FAILED: {missing} operations not exercised; done: {sorted(done)}", file=sys.stderr)
        return 1
    print(f"OK: lakefs-sdk {lakefs_sdk.__version__}, all {len(done)} operations: {', '.join(sorted(done))}")
    print(f"OK: and {len(stable)} stable operations: {', '.join(stable)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
