"""One large object up and down from Python, three ways, on s3s-fs:

* ``lakefs_transfer``: this package (the Rust engines), with its defaults;
* ``lakefs-sdk`` + a thread pool: the best a Python user of the official SDK writes today —
  ``createPresignMultipartUpload`` for every part URL, a ``ThreadPoolExecutor`` of
  ``requests.put`` (each part read from the file just before its PUT), then
  ``completePresignMultipartUpload``; down, ``statObject(presign=True)`` and a pool of ranged
  ``requests.get`` written with ``os.pwrite``;
* ``boto3``'s ``upload_file`` / ``download_file`` straight to s3s-fs (no lakeFS at all), with
  its default ``TransferConfig`` (8 MB parts, 10 threads).

The lakeFS emulator (``lakefs-cli emulator``, release build) keeps its objects on the same s3s-fs,
so presigned URLs point at it and the bytes of every row cross the same loopback to the same
server. Each run is a fresh Python process; the table shows medians of the time around the
transfer call (imports and setup excluded), the process's CPU seconds over the call, and its
peak RSS. Rows interleave run by run. ``lakefs_transfer`` downloads are shown verified (the
default: MD5 of every byte, the multipart ETag recomputed) and with ``verify=False``; no other
row checks bytes. Every download is compared with the source (sha256) after its timed run.

    python3 crates/lakefs-python/bench/bench_transfer.py --size-mib 1024 --runs 3

Needs: the ``lakefs_transfer`` wheel installed (a release build: ``maturin build --release``),
``lakefs-sdk``, ``requests``, ``boto3``, s3s-fs (``S3S_FS_BIN`` or ``~/.cache/lakefs-rs-ci-tools``)
and a release ``lakefs-cli`` (``LAKEFS_CLI_BIN`` or ``target/release/lakefs-cli``).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

WORKSPACE = Path(__file__).resolve().parents[3]
S3_KEY, S3_SECRET, BUCKET, REGION = "bench-key", "bench-secret-0123456789", "bench", "us-east-1"
PART = 8 * 1024 * 1024
ROWS = {
    "upload": ["lakefs_transfer", "lakefs-sdk + pool", "boto3 upload_file"],
    "download": [
        "lakefs_transfer",
        "lakefs_transfer verify=False",
        "lakefs-sdk + pool",
        "boto3 download_file",
    ],
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port: int) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on port {port} after 20 s")


# --- one measured transfer (a child process) ------------------------------------------------


def child(spec: dict) -> dict:
    """Runs one transfer; returns its wall time, CPU time and peak RSS."""
    direction, row = spec["direction"], spec["row"]
    src, dst, key = spec["src"], spec["dst"], spec["key"]
    lakefs, s3 = spec["lakefs"], spec["s3"]
    repo, branch = "example-repo", "main"
    pool = spec["pool"]
    # Imports and clients before the clock starts.
    if row.startswith("lakefs_transfer"):
        import lakefs_transfer

        client = lakefs_transfer.Client(
            host=lakefs["endpoint"],
            username=lakefs["access_key_id"],
            password=lakefs["secret_access_key"],
        )
    elif row.startswith("lakefs-sdk"):
        import lakefs_sdk
        import requests
        from concurrent.futures import ThreadPoolExecutor

        configuration = lakefs_sdk.Configuration(
            host=lakefs["endpoint"] + "/api/v1",
            username=lakefs["access_key_id"],
            password=lakefs["secret_access_key"],
        )
        api = lakefs_sdk.ApiClient(configuration)
        experimental = lakefs_sdk.ExperimentalApi(api)
        objects = lakefs_sdk.ObjectsApi(api)
        session = requests.Session()
        session.mount("http://", requests.adapters.HTTPAdapter(pool_maxsize=pool))
    else:
        import boto3
        from boto3.s3.transfer import TransferConfig

        s3_client = boto3.client(
            "s3",
            endpoint_url=s3,
            aws_access_key_id=S3_KEY,
            aws_secret_access_key=S3_SECRET,
            region_name=REGION,
        )
        config = TransferConfig()  # 8 MB parts, 10 threads: boto3's defaults

    def cpu() -> float:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return usage.ru_utime + usage.ru_stime

    cpu0, t0 = cpu(), time.perf_counter()
    if direction == "upload":
        if row == "lakefs_transfer":
            client.upload(repo, branch, key, src)
        elif row.startswith("lakefs-sdk"):
            size = os.path.getsize(src)
            count = max(1, -(-size // PART))
            upload = experimental.create_presign_multipart_upload(repo, branch, key, parts=count)
            fd = os.open(src, os.O_RDONLY)

            def put(number: int) -> lakefs_sdk.UploadPart:
                offset = (number - 1) * PART
                data = os.pread(fd, min(PART, size - offset), offset)
                response = session.put(upload.presigned_urls[number - 1], data=data)
                response.raise_for_status()
                return lakefs_sdk.UploadPart(part_number=number, etag=response.headers["ETag"])

            with ThreadPoolExecutor(max_workers=pool) as executor:
                parts = list(executor.map(put, range(1, count + 1)))
            os.close(fd)
            experimental.complete_presign_multipart_upload(
                repo,
                branch,
                upload.upload_id,
                key,
                lakefs_sdk.CompletePresignMultipartUpload(
                    physical_address=upload.physical_address, parts=parts
                ),
            )
        else:
            s3_client.upload_file(src, BUCKET, key, Config=config)
    else:
        if row == "lakefs_transfer":
            client.download(repo, branch, key, dst)
        elif row == "lakefs_transfer verify=False":
            client.download(repo, branch, key, dst, verify=False)
        elif row.startswith("lakefs-sdk"):
            stats = objects.stat_object(repo, branch, key, presign=True)
            url, size = stats.physical_address, stats.size_bytes
            fd = os.open(dst, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            os.ftruncate(fd, size)

            def get(offset: int) -> None:
                end = min(offset + PART, size) - 1
                response = session.get(url, headers={"Range": f"bytes={offset}-{end}"})
                response.raise_for_status()
                if len(response.content) != end - offset + 1:
                    raise RuntimeError(f"range {offset}-{end}: {len(response.content)} bytes")
                os.pwrite(fd, response.content, offset)

            with ThreadPoolExecutor(max_workers=pool) as executor:
                list(executor.map(get, range(0, size, PART)))
            os.close(fd)
        else:
            s3_client.download_file(BUCKET, key, dst, Config=config)
    seconds = time.perf_counter() - t0
    return {
        "seconds": seconds,
        "cpu": cpu() - cpu0,
        "rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


# --- the driver -----------------------------------------------------------------------------


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(8 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def binary(env: str, *candidates: Path) -> Path:
    for candidate in ([Path(os.environ[env])] if os.environ.get(env) else []) + list(candidates):
        if candidate.is_file():
            return candidate
    sys.exit(f"missing binary: set {env} (looked in {', '.join(map(str, candidates))})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--pool", type=int, default=10, help="threads of the lakefs-sdk pool")
    parser.add_argument("--dir", default=tempfile.gettempdir(), help="where files and s3s-fs live")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(json.loads(args.child))))
        return

    target = Path(os.environ.get("CARGO_TARGET_DIR", WORKSPACE / "target"))
    s3s_fs = binary("S3S_FS_BIN", Path.home() / ".cache/lakefs-rs-ci-tools/bin/s3s-fs")
    cli = binary("LAKEFS_CLI_BIN", target / "release" / "lakefs-cli")
    work = Path(tempfile.mkdtemp(prefix="lakefs-py-bench.", dir=args.dir))
    processes = []
    try:
        (work / "s3").mkdir()
        s3_port = free_port()
        processes.append(
            subprocess.Popen(
                [str(s3s_fs), "--host", "127.0.0.1", "--port", str(s3_port),
                 "--access-key", S3_KEY, "--secret-key", S3_SECRET, str(work / "s3")],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )
        )
        wait_port(s3_port)
        s3 = f"http://127.0.0.1:{s3_port}"
        emulator = subprocess.Popen(
            [str(cli), "--json", "emulator", "--port", "0", "--s3-endpoint", s3,
             "--s3-bucket", BUCKET, "--s3-access-key-id", S3_KEY],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
            env={**os.environ, "LAKEFS_EMULATOR_S3_SECRET_ACCESS_KEY": S3_SECRET},
        )
        processes.append(emulator)
        lakefs = json.loads(emulator.stdout.readline())

        size = args.size_mib << 20
        src = work / "source.bin"
        with open(src, "wb") as f:
            for _ in range(args.size_mib):
                f.write(os.urandom(1 << 20))
        expected = sha256(src)
        print(f"{args.size_mib} MiB of random bytes; s3s-fs in {work}; {args.runs} runs per row; "
              f"lakefs-sdk pool of {args.pool} threads", file=sys.stderr)

        def run(direction: str, row: str, key: str) -> dict:
            dst = work / "out.bin"
            dst.unlink(missing_ok=True)
            spec = {"direction": direction, "row": row, "src": str(src), "dst": str(dst),
                    "key": key, "lakefs": lakefs, "s3": s3, "pool": args.pool}
            out = subprocess.run([sys.executable, __file__, "--child", json.dumps(spec)],
                                 capture_output=True, text=True)
            if out.returncode != 0:
                sys.exit(f"{row} {direction} failed:\n{out.stderr[-3000:]}")
            result = json.loads(out.stdout)
            if direction == "download" and sha256(dst) != expected:
                sys.exit(f"{row}: the downloaded bytes differ from the source")
            dst.unlink(missing_ok=True)
            print(f"   {direction:8} {row:30} {result['seconds']:6.2f} s "
                  f"{size / 2**20 / result['seconds']:7.1f} MiB/s  CPU {result['cpu']:.2f} s  "
                  f"RSS {result['rss_mib']:.0f} MiB", file=sys.stderr)
            return result

        # The object every download reads: through lakeFS, and the same bytes for boto3.
        run("upload", "lakefs_transfer", "bench/object.bin")
        run("upload", "boto3 upload_file", "bench/object.bin")
        results: dict[tuple[str, str], list[dict]] = {}
        for direction in ("upload", "download"):
            for round_ in range(args.runs):
                rows = ROWS[direction][round_ % len(ROWS[direction]):] + \
                    ROWS[direction][:round_ % len(ROWS[direction])]
                for row in rows:
                    key = "bench/object.bin" if direction == "download" else f"bench/up-{round_}.bin"
                    results.setdefault((direction, row), []).append(run(direction, row, key))

        print(f"\n{args.size_mib} MiB, {args.runs} runs per row (medians); s3s-fs on loopback; "
              f"time around the transfer call; CPU and peak RSS of the Python process\n")
        print("| direction | client | MiB/s | lakefs_transfer's speed ÷ this | CPU s | peak RSS MiB |")
        print("|---|---|---:|---:|---:|---:|")
        for direction in ("upload", "download"):
            ours = statistics.median(r["seconds"] for r in results[(direction, "lakefs_transfer")])
            for row in ROWS[direction]:
                runs = results[(direction, row)]
                seconds = statistics.median(r["seconds"] for r in runs)
                print(f"| {direction} | {row} | {size / 2**20 / seconds:.0f} | "
                      f"{seconds / ours:.2f} | {statistics.median(r['cpu'] for r in runs):.2f} | "
                      f"{max(r['rss_mib'] for r in runs):.0f} |")
        import boto3, lakefs_sdk, lakefs_transfer  # noqa: E401 - versions for the record
        print(f"\nlakefs_transfer {getattr(lakefs_transfer, '__version__', '?')}, "
              f"lakefs-sdk {lakefs_sdk.__version__}, boto3 {boto3.__version__}, "
              f"Python {sys.version.split()[0]}")
    finally:
        for process in reversed(processes):
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
