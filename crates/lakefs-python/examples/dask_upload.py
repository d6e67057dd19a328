"""One lakeFS object, a directory and a download, spread over the processes of a Dask cluster.

    python dask_upload.py --emulator                                 # a local emulator it starts
    python dask_upload.py lakefs://repo/main/dask/ --size 1GiB      # any lakeFS: lakectl's variables

It starts a LocalCluster of --workers processes (1 thread each) and runs three task graphs:

  a. one large object: one task begin_upload, one task per range of parts (upload_parts reads its
     own parts from a file every worker can read), one task complete_upload with all the parts;
  b. a directory of many small files: one task per group of files (client.upload each);
  c. the object of (a) downloaded by ranges into one preallocated file: one task per range
     (client.read, os.pwrite at the range's offset, fsync), checked against the source (sha256).

Every task makes its own lakefs_transfer.Client from its worker's environment (lakectl's
variables or ~/.lakectl.yaml): a Client holds a connection pool and cannot be pickled, and so no
secret travels in the task graph. The bytes go between each worker and the object store through
presigned URLs; lakeFS only signs and records. With a real cluster, point --file and --dir at a
file system every worker mounts, and --scheduler at its scheduler.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import math
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

MIB = 1 << 20


# --- the tasks (each runs in a worker process) -----------------------------------------------------


def lakefs_client():
    """A client in this process, from its environment (lakectl's variables, ~/.lakectl.yaml)."""
    import lakefs_transfer

    return lakefs_transfer.Client.from_env()


def begin(repo, branch, path, size, part_size):
    """The upload session: a plain dict, with no secret in it."""
    return lakefs_client().begin_upload(repo, branch, path, size, part_size=part_size)


def upload_range(session, source, first, last, concurrency):
    """Parts first..last (1-based, inclusive) of the file `source`, read at their offsets."""
    parts = lakefs_client().upload_parts(session, source, first, last, concurrency=concurrency)
    return {"pid": os.getpid(), "first": first, "last": last, "parts": parts}


def complete(session, ranges):
    """The object, from the parts of every range (in any order)."""
    parts = [part for done in ranges for part in done["parts"]]
    return lakefs_client().complete_upload(session, parts)


def upload_files(repo, branch, prefix, root, names):
    """Uploads root/name to prefix/name for each name, one after the other."""
    client = lakefs_client()
    size = sum(client.upload(repo, branch, f"{prefix}/{name}", os.path.join(root, name),
                             concurrency=1)["size_bytes"] for name in names)
    return {"pid": os.getpid(), "files": len(names), "bytes": size}


def read_range(repo, ref, path, dest, offset, length, concurrency):
    """Bytes offset..offset+length of the object, written at the same offset of dest (which
    exists, at its full size), then fsync-ed: once this returns, the range is on disk."""
    fd = os.open(dest, os.O_WRONLY)
    try:
        at = offset
        chunks = lakefs_client().read(repo, ref, path, offset=offset, length=length,
                                      concurrency=concurrency)
        for chunk in chunks:
            at = pwrite_all(fd, chunk, at)
        if at != offset + length:
            raise RuntimeError(f"range {offset}+{length}: got {at - offset} bytes")
        os.fsync(fd)
    finally:
        os.close(fd)
    return {"pid": os.getpid(), "offset": offset, "length": length}


def pwrite_all(fd, data, at):
    """Writes all of data at offset `at`; returns the offset after it."""
    view = memoryview(data)
    while view:
        written = os.pwrite(fd, view, at)
        view, at = view[written:], at + written
    return at


# --- the task graphs (run in the driver) -----------------------------------------------------------


def split(count, groups):
    """count items (1-based) as up to `groups` contiguous (first, last) ranges."""
    step = math.ceil(count / groups)
    return [(first, min(first + step - 1, count)) for first in range(1, count + 1, step)]


def upload_object(dask, repo, branch, path, source, part_size, tasks, concurrency,
                  range_task=upload_range):
    """(a): begin → one task per range of parts → complete. Returns (object stats, ranges)."""
    size = os.path.getsize(source)
    # The session comes back here and goes into every task by value. Left on the worker that
    # ran `begin`, it would die with that worker, and the scheduler would run `begin` again: a
    # second upload, while the ranges already done hold parts of the first.
    session = dask.submit(begin, repo, branch, path, size, part_size, pure=False).result()
    try:
        parts = max(1, math.ceil(size / session["schedule"]["part_size"]))
        ranges = [dask.submit(range_task, session, source, first, last, concurrency, pure=False)
                  for first, last in split(parts, tasks)]
        done = dask.submit(complete, session, ranges, pure=False)
        return done.result(), dask.gather(ranges)
    except BaseException:
        lakefs_client().abort_upload(session)  # the parts uploaded so far go too
        raise


def upload_directory(dask, repo, branch, prefix, root, tasks):
    """(b): one task per group of files. Returns the tasks' results."""
    names = sorted(str(p.relative_to(root)) for p in Path(root).rglob("*") if p.is_file())
    groups = [names[first - 1:last] for first, last in split(len(names), tasks)]
    return dask.gather([dask.submit(upload_files, repo, branch, prefix, str(root), group,
                                    pure=False) for group in groups])


def download_object(dask, repo, ref, path, dest, size, range_size, concurrency,
                    range_task=read_range):
    """(c): the object into one preallocated file, one task per range. Returns the results."""
    with open(dest, "wb") as out:
        if size:
            os.posix_fallocate(out.fileno(), 0, size)
    return dask.gather([
        dask.submit(range_task, repo, ref, path, str(dest), offset, min(range_size, size - offset),
                    concurrency, pure=False)
        for offset in range(0, size, range_size)
    ])


def sha256(file):
    digest = hashlib.sha256()
    with open(file, "rb") as f:
        while block := f.read(8 * MIB):
            digest.update(block)
    return digest.hexdigest()


# --- the command line --------------------------------------------------------------------------------


def parse_size(text):
    match = re.fullmatch(r"(\d+)\s*(|B|KiB|MiB|GiB)", text.strip())
    if not match:
        raise argparse.ArgumentTypeError(f"not a size: {text!r} (e.g. 8MiB, 1GiB, 65536)")
    unit = {"": 1, "B": 1, "KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30}[match[2]]
    return int(match[1]) * unit


def lakefs_cli_binary():
    """LAKEFS_CLI_BIN, lakefs-cli on PATH, or the workspace's build."""
    if os.environ.get("LAKEFS_CLI_BIN"):
        return os.environ["LAKEFS_CLI_BIN"]
    target = Path(os.environ.get("CARGO_TARGET_DIR", Path(__file__).resolve().parents[3] / "target"))
    built = [target / profile / "lakefs-cli" for profile in ("release", "debug")]
    found = shutil.which("lakefs-cli") or next((str(b) for b in built if b.is_file()), None)
    if found is None:
        sys.exit("no lakefs-cli: set LAKEFS_CLI_BIN or `cargo build --release -p lakefs-cli`")
    return found


@contextlib.contextmanager
def local_emulator(extra_args):
    """`lakefs-cli emulator` on a free port; lakectl's variables point at it meanwhile (the
    workers, started after, inherit them)."""
    process = subprocess.Popen([lakefs_cli_binary(), "--json", "emulator", "--port", "0",
                                *extra_args], stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL, text=True)
    try:
        settings = json.loads(process.stdout.readline())
        os.environ.update(LAKECTL_SERVER_ENDPOINT_URL=settings["endpoint"],
                          LAKECTL_CREDENTIALS_ACCESS_KEY_ID=settings["access_key_id"],
                          LAKECTL_CREDENTIALS_SECRET_ACCESS_KEY=settings["secret_access_key"])
        yield settings
    finally:
        process.terminate()
        process.wait(timeout=10)


def random_file(file, size, seed=7):
    rng = random.Random(seed)
    with open(file, "wb") as f:
        for at in range(0, size, 8 * MIB):
            f.write(rng.randbytes(min(8 * MIB, size - at)))


def small_files(root, count, size):
    for i in range(count):
        file = Path(root) / f"group-{i % 10}" / f"file-{i:05}.bin"
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_bytes(os.urandom(size))


def mib_per_s(size, seconds):
    return f"{size / MIB / seconds:.0f} MiB/s"


def run(args, work):
    from dask.distributed import Client as DaskClient, LocalCluster

    repo, branch, prefix = args.dest
    source = args.file or work / "object.bin"
    if not args.file:
        random_file(source, args.size)
    size = os.path.getsize(source)
    root = args.dir or work / "files"
    if not args.dir:
        small_files(root, args.files, args.file_size)

    cluster = (contextlib.nullcontext(args.scheduler) if args.scheduler else
               LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True,
                            dashboard_address=None))
    with cluster as address, DaskClient(address) as dask:
        workers = len(dask.scheduler_info()["workers"])
        path = f"{prefix}object.bin"
        start = time.monotonic()
        info, ranges = upload_object(dask, repo, branch, path, str(source), args.part_size,
                                     args.tasks or 2 * workers, args.concurrency)
        seconds = time.monotonic() - start
        print(f"a. lakefs://{repo}/{branch}/{path}: {size / MIB:.0f} MiB in {info['parts']} parts "
              f"of {args.part_size / MIB:g} MiB; tasks: 1 begin + {len(ranges)} part ranges + "
              f"1 complete on {workers} workers; {seconds:.1f} s, {mib_per_s(size, seconds)}")

        start = time.monotonic()
        done = upload_directory(dask, repo, branch, f"{prefix}files", root,
                                args.tasks or 2 * workers)
        seconds = time.monotonic() - start
        files, total = sum(d["files"] for d in done), sum(d["bytes"] for d in done)
        print(f"b. {root} → lakefs://{repo}/{branch}/{prefix}files/: {files} files, "
              f"{total / MIB:.1f} MiB in {len(done)} tasks; {seconds:.1f} s, "
              f"{files / seconds:.0f} files/s")

        dest = work / "downloaded.bin"
        start = time.monotonic()
        done = download_object(dask, repo, branch, path, dest, size, args.range_size,
                               args.concurrency)
        seconds = time.monotonic() - start
        same = sha256(dest) == sha256(source)
        print(f"c. lakefs://{repo}/{branch}/{path} → {dest}: {len(done)} range tasks of "
              f"{args.range_size / MIB:g} MiB; {seconds:.1f} s, {mib_per_s(size, seconds)}; "
              f"sha256 {'matches the source' if same else 'DIFFERS from the source'}")
        return 0 if same else 1


def lakefs_uri(text):
    match = re.fullmatch(r"lakefs://([^/]+)/([^/]+)/(.*)", text)
    if not match:
        raise argparse.ArgumentTypeError(f"not lakefs://REPO/BRANCH/PREFIX: {text!r}")
    prefix = match[3] if not match[3] or match[3].endswith("/") else match[3] + "/"
    return match[1], match[2], prefix


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("dest", nargs="?", type=lakefs_uri, metavar="lakefs://REPO/BRANCH/PREFIX",
                        help="where to upload (default with --emulator: "
                             "lakefs://example-repo/main/dask/)")
    parser.add_argument("--emulator", action="store_true", help="start a local lakeFS emulator")
    parser.add_argument("--emulator-args", default="", help="more arguments of `lakefs-cli "
                        "emulator`, e.g. its S3 mode: \"--s3-endpoint URL --s3-bucket B "
                        "--s3-access-key-id K\" (the secret in LAKEFS_EMULATOR_S3_SECRET_ACCESS_KEY)")
    parser.add_argument("--scheduler", help="an existing Dask scheduler's address, instead of "
                        "a LocalCluster")
    parser.add_argument("--workers", type=int, default=3, help="LocalCluster worker processes")
    parser.add_argument("--tasks", type=int, help="tasks per graph (default: 2 per worker)")
    parser.add_argument("--file", type=Path, help="the object to upload (default: --size "
                        "random bytes in a temporary directory)")
    parser.add_argument("--size", type=parse_size, default=256 * MIB)
    parser.add_argument("--part-size", type=parse_size, default=8 * MIB)
    parser.add_argument("--concurrency", type=int, default=4, help="parts in flight per task")
    parser.add_argument("--range-size", type=parse_size, default=64 * MIB,
                        help="bytes per download task")
    parser.add_argument("--dir", type=Path, help="the directory to upload (default: --files "
                        "random files of --file-size)")
    parser.add_argument("--files", type=int, default=300)
    parser.add_argument("--file-size", type=parse_size, default=64 << 10)
    args = parser.parse_args()
    if args.dest is None:
        if not args.emulator:
            parser.error("give lakefs://REPO/BRANCH/PREFIX, or --emulator")
        args.dest = ("example-repo", "main", "dask/")
    with contextlib.ExitStack() as stack:
        if args.emulator:
            stack.enter_context(local_emulator(args.emulator_args.split()))
        work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="dask-upload-")))
        return run(args, work)


if __name__ == "__main__":
    sys.exit(main())
