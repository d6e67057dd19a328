"""One object, a directory and a ranged download across the worker processes of a Dask
LocalCluster, with the example's task graphs (examples/dask_upload.py), against the emulator in S3
mode on s3s-fs: every part goes from a worker straight to a real S3 server that checks SigV4.

A range task kills its own worker process (SIGKILL) in the middle of its first attempt; the
scheduler runs it again on a live worker, and the result must still be byte-exact.
"""

from __future__ import annotations

import hashlib
import os
import signal
import sys
from pathlib import Path

import pytest

from conftest import random_bytes

try:
    import distributed
except ImportError:
    if os.environ.get("LAKEFS_REQUIRE_PYTHON_BINDINGS"):  # CI: ci.sh installs it
        raise
    pytest.skip("dask distributed is not installed", allow_module_level=True)

# The example's tasks and graphs; the workers (spawned) get this sys.path too.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "examples"))
import dask_upload  # noqa: E402

MIB = 1 << 20


@pytest.fixture(scope="module")
def dask(lt, emulator_s3, tmp_path_factory):
    """A Client of a LocalCluster of 3 worker processes (1 thread each), whose workers have
    lakectl's variables pointing at the emulator; checks that no worker process outlives it."""
    with pytest.MonkeyPatch.context() as env:
        env.setenv("LAKECTL_SERVER_ENDPOINT_URL", emulator_s3["endpoint"])
        env.setenv("LAKECTL_CREDENTIALS_ACCESS_KEY_ID", emulator_s3["access_key_id"])
        env.setenv("LAKECTL_CREDENTIALS_SECRET_ACCESS_KEY", emulator_s3["secret_access_key"])
        env.setenv("HOME", str(tmp_path_factory.mktemp("home")))
        pids = set()
        with distributed.LocalCluster(n_workers=3, threads_per_worker=1, processes=True,
                                      dashboard_address=None) as cluster, \
                distributed.Client(cluster) as client:
            client.pids = pids  # every worker process seen, for the check below
            yield client
            pids.update(client.run(os.getpid).values())
    import psutil

    alive = [pid for pid in pids if psutil.pid_exists(pid)]
    assert not alive, f"worker processes left running: {alive}"


@pytest.fixture()
def workers(dask):
    """The cluster with its 3 workers (a killed worker's nanny restarts it)."""
    dask.wait_for_workers(3, timeout=60)
    dask.pids.update(dask.run(os.getpid).values())
    return dask


@pytest.fixture()
def lakefs(lt, emulator_s3):
    """A client of the emulator on s3s-fs, in this process."""
    return lt.Client(host=emulator_s3["endpoint"], username=emulator_s3["access_key_id"],
                     password=emulator_s3["secret_access_key"])


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# --- tasks that kill their own worker on their first attempt --------------------------------------
# The first task to start creates the marker (O_EXCL: exactly one does), writes its pid and what it
# was doing, does part of its work and kills its process. Its retry, and every other task, finds
# the marker and does the whole work.


def first_attempt(marker: str, what: str) -> bool:
    try:
        fd = os.open(marker, os.O_WRONLY | os.O_CREAT | os.O_EXCL)
    except FileExistsError:
        return False
    os.write(fd, f"{os.getpid()} {what}".encode())
    os.close(fd)
    return True


def upload_range_or_die(marker, session, source, first, last, concurrency):
    if first_attempt(marker, f"{first}"):
        dask_upload.lakefs_client().upload_parts(session, source, first, first)  # one part…
        os.kill(os.getpid(), signal.SIGKILL)  # …and the worker process is gone
    return dask_upload.upload_range(session, source, first, last, concurrency)


def read_range_or_die(marker, repo, ref, path, dest, offset, length, concurrency):
    if first_attempt(marker, f"{offset}"):
        chunks = dask_upload.lakefs_client().read(repo, ref, path, offset=offset, length=length)
        fd = os.open(dest, os.O_WRONLY)
        at = dask_upload.pwrite_all(fd, next(chunks), offset)  # the first chunk right…
        dask_upload.pwrite_all(fd, b"\xff" * (offset + length - at), at)  # …the rest torn
        os.kill(os.getpid(), signal.SIGKILL)
    return dask_upload.read_range(repo, ref, path, dest, offset, length, concurrency)


def killed(marker: Path) -> tuple[int, str]:
    """(pid, what) of the attempt that killed itself, after checking that it is dead."""
    import psutil

    assert marker.exists(), "no task killed its worker"
    pid, what = marker.read_text().split()
    assert not psutil.pid_exists(int(pid)), "the task's worker process is still alive"
    return int(pid), what


# --- the tests ---------------------------------------------------------------------------------------


def test_one_object_from_part_range_tasks_with_a_killed_worker(workers, emulator_s3, lakefs,
                                                                 tmp_path):
    repo, path = emulator_s3["repository"], "dask/object.bin"
    data = random_bytes(72 * MIB, seed=21)
    source = tmp_path / "object.bin"
    source.write_bytes(data)
    marker = tmp_path / "killed"

    def range_task(*args):
        return upload_range_or_die(str(marker), *args)

    info, ranges = dask_upload.upload_object(workers, repo, "main", path, str(source),
                                             part_size=8 * MIB, tasks=5, concurrency=2,
                                             range_task=range_task)

    pid, first = killed(marker)
    retried = next(r for r in ranges if r["first"] == int(first))
    assert retried["pid"] != pid  # the result is a second attempt's, on another process
    assert [(r["first"], r["last"]) for r in ranges] == [(1, 2), (3, 4), (5, 6), (7, 8), (9, 9)]
    assert info["parts"] == 9 and info["size_bytes"] == len(data)
    assert sha256(b"".join(lakefs.read(repo, "main", path))) == sha256(data)


def test_a_directory_from_file_group_tasks(workers, emulator_s3, lakefs, tmp_path):
    repo = emulator_s3["repository"]
    root = tmp_path / "files"
    sizes = [0, 1, 1000, 100_000, 5 * MIB + 1] * 8
    files = {}
    for i, size in enumerate(sizes):
        name = f"d{i % 3}/f{i:02}.bin"
        files[name] = random_bytes(size, seed=100 + i)
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(files[name])

    done = dask_upload.upload_directory(workers, repo, "main", "dask/files", root, tasks=4)

    assert len(done) == 4 and sum(d["files"] for d in done) == len(files)
    assert sum(d["bytes"] for d in done) == sum(sizes)
    assert len({d["pid"] for d in done}) > 1  # spread over processes
    for name, data in files.items():
        back = b"".join(lakefs.read(repo, "main", f"dask/files/{name}"))
        assert sha256(back) == sha256(data), name


def test_a_ranged_download_into_one_file_with_a_killed_worker(workers, emulator_s3, lakefs,
                                                                tmp_path):
    repo, path = emulator_s3["repository"], "dask/download.bin"
    data = random_bytes(64 * MIB + 12345, seed=22)
    lakefs.upload(repo, "main", path, data, part_size=8 * MIB)
    dest = tmp_path / "downloaded.bin"
    marker = tmp_path / "killed"

    def range_task(*args):
        return read_range_or_die(str(marker), *args)

    done = dask_upload.download_object(workers, repo, "main", path, dest, len(data),
                                       range_size=16 * MIB, concurrency=2, range_task=range_task)

    pid, offset = killed(marker)
    retried = next(d for d in done if d["offset"] == int(offset))
    assert retried["pid"] != pid
    assert [d["offset"] for d in done] == [0, 16 * MIB, 32 * MIB, 48 * MIB, 64 * MIB]
    assert sha256(dest.read_bytes()) == sha256(data)
