"""The stable operations a data workflow needs, through the official lakeFS Python SDK's ObjectsApi,
CommitsApi, BranchesApi, RefsApi and RepositoriesApi, against the emulator: what lakeFS v1.84.0
answers (values, status codes, shapes), not only that a call returns.

Imported by official_sdk.py, which runs `run(url, key, secret)` after the experimental operations.
It works on a branch of its own, `py-stable`, created from `main` and deleted at the end.
"""

import base64
import os
import re
import tempfile
import urllib.error
import urllib.request

from lakefs_sdk import (
    ApiClient,
    BranchCreation,
    CommitCreation,
    Configuration,
    ObjectCopyCreation,
    PathList,
    ResetCreation,
)
from lakefs_sdk.api.branches_api import BranchesApi
from lakefs_sdk.api.commits_api import CommitsApi
from lakefs_sdk.api.objects_api import ObjectsApi
from lakefs_sdk.api.refs_api import RefsApi
from lakefs_sdk.api.repositories_api import RepositoriesApi
from lakefs_sdk.exceptions import ApiException

REPO = "example-repo"
MAIN = "main"
OBJECT = "data/example.csv"
OBJECT_BYTES = b"id,name\n1,alpha\n2,beta\n3,gamma\n"
BRANCH = "py-stable"

OPERATIONS = {
    "statObject", "listObjects", "getObject", "headObject", "deleteObject", "deleteObjects", "copyObject",
    "commit", "getCommit", "logCommits", "createBranch", "listBranches", "getBranch", "deleteBranch",
    "diffBranch", "resetBranch", "getRepository", "listRepositories", "uploadObject",
}

done = set()


def check(condition, what):
    if not condition:
        raise AssertionError(what)


def expect_status(status, call, what, text=None):
    """The call fails with this HTTP status (and, if given, a body containing `text`)."""
    try:
        call()
    except ApiException as error:
        check(error.status == status, f"{what}: expected {status}, got {error.status} {error.body}")
        if text is not None:
            check(text in (error.body or ""), f"{what}: {text!r} not in {error.body!r}")
        return
    raise AssertionError(f"{what}: expected {status}, got success")


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def raw_status(url, key, secret, path):
    """A GET through urllib without following redirects: (status, headers)."""
    opener = urllib.request.build_opener(NoRedirect())
    token = base64.b64encode(f"{key}:{secret}".encode()).decode()
    request = urllib.request.Request(url.rstrip("/") + "/api/v1" + path, headers={"Authorization": f"Basic {token}"})
    try:
        with opener.open(request, timeout=30) as response:
            return response.status, response.headers
    except urllib.error.HTTPError as error:
        return error.code, error.headers


def fetch(url):
    """A plain GET of a presigned URL: (status, bytes)."""
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def repositories(repos):
    repo = repos.get_repository(REPO)
    done.add("getRepository")
    check((repo.id, repo.default_branch, repo.read_only) == (REPO, MAIN, False), f"getRepository {repo}")
    check(repo.storage_namespace.startswith("s3://") and repo.creation_date > 1_600_000_000, f"{repo}")
    check(repo.storage_id == "", f"storage_id {repo.storage_id!r}")
    expect_status(404, lambda: repos.get_repository("no-such-repo"), "missing repository", "repository not found")
    expect_status(400, lambda: repos.get_repository("Bad_Name"), "invalid repository name", "repository id")
    listed = repos.list_repositories(amount=10)
    done.add("listRepositories")
    check([r.id for r in listed.results] == [REPO], f"listRepositories {listed}")
    check((listed.pagination.has_more, listed.pagination.max_per_page, listed.pagination.results) == (False, 1000, 1), f"{listed.pagination}")
    check(repos.list_repositories(prefix="zzz").results == [], "prefix filter")
    check(repos.list_repositories(after=REPO).results == [], "after is exclusive")


def branches(branches_api):
    main = branches_api.get_branch(REPO, MAIN)
    done.add("getBranch")
    check(main.id == MAIN and re.fullmatch("[0-9a-f]{64}", main.commit_id), f"getBranch {main}")
    created = branches_api.create_branch(REPO, BranchCreation(name=BRANCH, source=MAIN))
    done.add("createBranch")
    check(created == main.commit_id, f"createBranch answered {created!r}, main is at {main.commit_id}")
    expect_status(409, lambda: branches_api.create_branch(REPO, BranchCreation(name=BRANCH, source=MAIN)),
                  "existing branch", "branch already exists")
    expect_status(404, lambda: branches_api.create_branch(REPO, BranchCreation(name="py-x", source="nope")),
                  "unknown source", "source reference 'nope': not found")
    expect_status(400, lambda: branches_api.create_branch(REPO, BranchCreation(name="-bad", source=MAIN)),
                  "invalid name", "branch id must consist")
    page = branches_api.list_branches(REPO, amount=2)
    done.add("listBranches")
    check([b.id for b in page.results] == ["feature", MAIN], f"listBranches {page}")
    check(page.pagination.has_more and page.pagination.next_offset == MAIN, f"{page.pagination}")
    rest = branches_api.list_branches(REPO, after=page.pagination.next_offset)
    check([b.id for b in rest.results] == [BRANCH] and not rest.pagination.has_more, f"second page {rest}")
    check(rest.results[0].commit_id == main.commit_id, "the new branch points at main's commit")
    check([b.id for b in branches_api.list_branches(REPO, prefix="py-").results] == [BRANCH], "prefix")
    expect_status(404, lambda: branches_api.get_branch(REPO, "nope"), "missing branch", "branch not found")


def objects(objects_api, branches_api, url, key, secret):
    for dest in ["py/a.csv", "py/b/c.csv", "py/b/d.csv", "py/e.txt"]:
        stats = objects_api.copy_object(REPO, BRANCH, dest, ObjectCopyCreation(src_path=OBJECT, src_ref=MAIN))
        check(stats.path == dest and stats.size_bytes == len(OBJECT_BYTES), f"copyObject {stats}")
        check(stats.metadata == {} and stats.physical_address.startswith("s3://"), f"copyObject {stats}")
    done.add("copyObject")
    source = objects_api.stat_object(REPO, MAIN, OBJECT)
    done.add("statObject")
    check(stats.checksum == source.checksum and stats.physical_address != source.physical_address,
          "a copy has the checksum and a new address")
    check(source.metadata == {} and source.content_type == "application/octet-stream", f"statObject {source}")
    check(source.physical_address_expiry is None, "no expiry without presign")
    expect_status(404, lambda: objects_api.copy_object(REPO, BRANCH, "x", ObjectCopyCreation(src_path="nope")),
                  "copy of a missing object")
    signed = objects_api.stat_object(REPO, BRANCH, "py/a.csv", presign=True)
    check(signed.physical_address.startswith("http") and "X-Amz-Expires=" in signed.physical_address, f"{signed}")
    check(signed.physical_address_expiry and signed.physical_address_expiry > signed.mtime, f"expiry {signed}")
    check(fetch(signed.physical_address) == (200, OBJECT_BYTES), "the presigned URL reads the object")
    expect_status(404, lambda: objects_api.stat_object(REPO, BRANCH, "py/none"), "missing object", "not found")

    listing = objects_api.list_objects(REPO, BRANCH, prefix="py/", delimiter="/")
    done.add("listObjects")
    check([(o.path, o.path_type) for o in listing.results]
          == [("py/a.csv", "object"), ("py/b/", "common_prefix"), ("py/e.txt", "object")], f"listObjects {listing}")
    group = listing.results[1]
    check((group.physical_address, group.checksum, group.mtime, group.size_bytes) == ("", "", 0, None), f"{group}")
    check(listing.results[0].metadata is None, "listObjects leaves out empty metadata")
    first = objects_api.list_objects(REPO, BRANCH, prefix="py/", amount=2)
    check([o.path for o in first.results] == ["py/a.csv", "py/b/c.csv"], f"{first}")
    check(first.pagination.has_more and first.pagination.next_offset == "py/b/c.csv", f"{first.pagination}")
    second = objects_api.list_objects(REPO, BRANCH, prefix="py/", after=first.pagination.next_offset)
    check([o.path for o in second.results] == ["py/b/d.csv", "py/e.txt"] and not second.pagination.has_more, f"{second}")

    check(bytes(objects_api.get_object(REPO, BRANCH, "py/a.csv")) == OBJECT_BYTES, "getObject")
    done.add("getObject")
    check(bytes(objects_api.get_object(REPO, BRANCH, "py/a.csv", range="bytes=0-6")) == b"id,name", "a range")
    check(bytes(objects_api.get_object(REPO, BRANCH, "py/a.csv", range="bytes=-6")) == b"gamma\n", "a suffix")
    expect_status(416, lambda: objects_api.get_object(REPO, BRANCH, "py/a.csv", range="bytes=100-200"),
                  "unsatisfiable range", "Requested Range Not Satisfiable")
    ranged = objects_api.get_object_with_http_info(REPO, BRANCH, "py/a.csv", range="bytes=8-")
    check(ranged.status_code == 206 and ranged.headers["Content-Range"] == f"bytes 8-30/{len(OBJECT_BYTES)}", f"{ranged.headers}")
    whole = objects_api.get_object_with_http_info(REPO, BRANCH, "py/a.csv")
    check(whole.headers["ETag"] == f'"{source.checksum}"' and whole.headers["Last-Modified"].endswith(" GMT"), f"{whole.headers}")
    # presign=true is a 302 to a presigned URL, which the SDK's HTTP client follows.
    check(bytes(objects_api.get_object(REPO, BRANCH, "py/a.csv", presign=True)) == OBJECT_BYTES, "presigned getObject")
    status, headers = raw_status(url, key, secret, f"/repositories/{REPO}/refs/{BRANCH}/objects?path=py/a.csv&presign=true")
    check(status == 302 and "X-Amz-Signature=" in headers["Location"], f"302 {status} {headers}")
    expect_status(404, lambda: objects_api.get_object(REPO, BRANCH, "py/none"), "getObject of a missing object")

    check(objects_api.head_object(REPO, BRANCH, "py/a.csv") is None, "headObject")
    done.add("headObject")
    head = objects_api.head_object_with_http_info(REPO, BRANCH, "py/a.csv")
    check(head.headers["Content-Length"] == str(len(OBJECT_BYTES)) and head.headers["Accept-Ranges"] == "bytes", f"{head.headers}")
    expect_status(404, lambda: objects_api.head_object(REPO, BRANCH, "py/none"), "headObject of a missing object")

    diff = branches_api.diff_branch(REPO, BRANCH)
    done.add("diffBranch")
    check([(d.path, d.type, d.path_type, d.size_bytes) for d in diff.results]
          == [(p, "added", "object", len(OBJECT_BYTES)) for p in ["py/a.csv", "py/b/c.csv", "py/b/d.csv", "py/e.txt"]],
          f"diffBranch {diff}")
    grouped = branches_api.diff_branch(REPO, BRANCH, prefix="py/", delimiter="/")
    check([(d.path, d.type) for d in grouped.results]
          == [("py/a.csv", "added"), ("py/b/", "prefix_changed"), ("py/e.txt", "added")], f"{grouped}")
    check(grouped.results[1].size_bytes is None and grouped.results[1].path_type == "common_prefix", f"{grouped}")


def commits_and_log(objects_api, branches_api, commits_api, refs_api):
    before = branches_api.get_branch(REPO, BRANCH).commit_id
    parent = commits_api.get_commit(REPO, before)
    done.add("getCommit")
    commit = commits_api.commit(REPO, BRANCH, CommitCreation(message="add py objects", metadata={"k": "v"}))
    done.add("commit")
    check(re.fullmatch("[0-9a-f]{64}", commit.id) and commit.parents == [before], f"commit {commit}")
    check((commit.committer, commit.message, commit.metadata, commit.version) == ("admin", "add py objects", {"k": "v"}, 1), f"{commit}")
    check(commit.generation == parent.generation + 1 and commit.meta_range_id, f"generation {commit}")
    check(branches_api.get_branch(REPO, BRANCH).commit_id == commit.id, "the branch moved")
    check(branches_api.diff_branch(REPO, BRANCH).results == [], "nothing left uncommitted")
    expect_status(400, lambda: commits_api.commit(REPO, BRANCH, CommitCreation(message="again")),
                  "commit on a clean branch", "commit: no changes")
    check(commits_api.get_commit(REPO, BRANCH) == commit, "getCommit by branch name")
    check(commits_api.get_commit(REPO, commit.id[:12]).id == commit.id, "getCommit by an id prefix")
    check(commits_api.get_commit(REPO, f"{BRANCH}~1").id == before, "getCommit of ~1")
    expect_status(404, lambda: commits_api.get_commit(REPO, "nope"), "unknown commit", "commit not found")

    objects_api.delete_object(REPO, BRANCH, "py/a.csv")
    objects_api.delete_object(REPO, BRANCH, "py/a.csv")  # a missing object is no error
    done.add("deleteObject")
    errors = objects_api.delete_objects(REPO, BRANCH, PathList(paths=["py/e.txt", "py/b/c.csv", "py/none"]))
    done.add("deleteObjects")
    check(errors.errors == [], f"deleteObjects {errors}")
    expect_status(404, lambda: objects_api.stat_object(REPO, BRANCH, "py/a.csv"), "a deleted object")
    check(objects_api.stat_object(REPO, f"{BRANCH}@", "py/a.csv").path == "py/a.csv", "still committed (ref@)")
    diff = branches_api.diff_branch(REPO, BRANCH)
    check([(d.path, d.type, d.size_bytes) for d in diff.results]
          == [("py/a.csv", "removed", 0), ("py/b/c.csv", "removed", 0), ("py/e.txt", "removed", 0)], f"{diff}")
    branches_api.reset_branch(REPO, BRANCH, ResetCreation(type="object", path="py/e.txt"))
    branches_api.reset_branch(REPO, BRANCH, ResetCreation(type="common_prefix", path="py/b/"))
    done.add("resetBranch")
    check([d.path for d in branches_api.diff_branch(REPO, BRANCH).results] == ["py/a.csv"], "reset restored two")
    second = commits_api.commit(REPO, BRANCH, CommitCreation(message="remove a.csv"))
    check(second.parents == [commit.id], f"{second}")

    log = refs_api.log_commits(REPO, BRANCH, amount=2)
    done.add("logCommits")
    check([c.id for c in log.results] == [second.id, commit.id], f"logCommits {log}")
    check(log.pagination.has_more and log.pagination.next_offset == commit.id, f"{log.pagination}")
    rest = refs_api.log_commits(REPO, BRANCH, after=log.pagination.next_offset)
    check([c.message for c in rest.results] == ["add data", "Repository created"], f"{rest}")
    check(rest.results[-1].parents == [] and rest.results[-1].committer == "", f"the first commit {rest.results[-1]}")
    touched = refs_api.log_commits(REPO, BRANCH, objects=["py/a.csv"])
    check([c.id for c in touched.results] == [second.id, commit.id], f"objects filter {touched}")
    check([c.id for c in refs_api.log_commits(REPO, BRANCH, prefixes=["py/b/"]).results] == [commit.id], "prefixes")
    limited = refs_api.log_commits(REPO, BRANCH, amount=1, limit=True)
    check(len(limited.results) == 1 and not limited.pagination.has_more, f"limit {limited}")
    stopped = refs_api.log_commits(REPO, BRANCH, stop_at=commit.id)
    check([c.id for c in stopped.results] == [second.id, commit.id], f"stop_at {stopped}")

    upload_object(objects_api)
    branches_api.reset_branch(REPO, BRANCH, ResetCreation(type="reset"))
    expect_status(400, lambda: branches_api.reset_branch(REPO, BRANCH, ResetCreation(type="object")),
                  "reset of an object without a path")


def upload_object(objects_api):
    """uploadObject as the SDK sends it: multipart/form-data, the file in the part `content`."""
    with tempfile.NamedTemporaryFile(suffix=".csv", delete=False) as f:
        f.write(OBJECT_BYTES)
    try:
        path = "py-upload/example.csv"
        stats = objects_api.upload_object(REPO, BRANCH, path, content=f.name)
        done.add("uploadObject")
        check(stats.path == path and stats.size_bytes == len(OBJECT_BYTES), f"uploadObject {stats}")
        check(stats.content_type == "text/csv", f"the part's content type {stats}")
        check(stats.checksum == objects_api.stat_object(REPO, MAIN, OBJECT).checksum, "an MD5 checksum")
        check(bytes(objects_api.get_object(REPO, BRANCH, path)) == OBJECT_BYTES, "the uploaded bytes")
        expect_status(412, lambda: objects_api.upload_object(REPO, BRANCH, path, if_none_match="*", content=f.name),
                      "If-None-Match: * on an existing path", "path already exists")
        created = objects_api.upload_object(REPO, BRANCH, "py-upload/new.csv", if_none_match="*", content=f.name)
        check(created.path == "py-upload/new.csv", f"If-None-Match: * on a new path {created}")
        expect_status(501, lambda: objects_api.upload_object(REPO, BRANCH, path, if_match=stats.checksum, content=f.name),
                      "If-Match, which lakeFS does not implement")
        expect_status(404, lambda: objects_api.upload_object(REPO, "nope", path, content=f.name), "a missing branch")
    finally:
        os.unlink(f.name)


def run(url, key, secret):
    configuration = Configuration(host=url.rstrip("/") + "/api/v1", username=key, password=secret)
    client = ApiClient(configuration)
    objects_api, branches_api = ObjectsApi(client), BranchesApi(client)
    repositories(RepositoriesApi(client))
    branches(branches_api)
    objects(objects_api, branches_api, url, key, secret)
    commits_and_log(objects_api, branches_api, CommitsApi(client), RefsApi(client))
    branches_api.delete_branch(REPO, BRANCH)
    done.add("deleteBranch")
    expect_status(404, lambda: branches_api.get_branch(REPO, BRANCH), "a deleted branch")
    expect_status(404, lambda: branches_api.delete_branch(REPO, BRANCH), "deleted twice", "branch not found")
    expect_status(403, lambda: branches_api.delete_branch(REPO, MAIN), "the default branch",
                  "cannot delete repository default branch")
    missing = OPERATIONS - done
    check(not missing, f"stable operations not exercised: {sorted(missing)}")
    return sorted(done)
