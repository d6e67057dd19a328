"""Every source kind, byte-exact round trips, verified downloads, ranged reads, progress."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from conftest import random_bytes

MIB = 1024 * 1024
SIZE = 13 * MIB + 12345  # three 5 MiB parts, the last one short


def read_back(client, repo, path, tmp_path: Path) -> bytes:
    dest = tmp_path / "back.bin"
    info = client.download(repo, "main", path, dest)
    assert info["verified"], info
    return dest.read_bytes()


@pytest.mark.parametrize("kind", ["path", "pathlike", "bytes", "bytearray", "memoryview", "fileobj", "iterable"])
def test_every_source_kind_round_trips(client, repo, tmp_path, kind):
    data = random_bytes(SIZE, seed=len(kind))
    file = tmp_path / "source.bin"
    file.write_bytes(data)
    source = {
        "path": str(file),
        "pathlike": file,
        "bytes": data,
        "bytearray": bytearray(data),
        "memoryview": memoryview(data),
        "fileobj": io.BytesIO(data),
        "iterable": (data[i : i + 777_777] for i in range(0, len(data), 777_777)),
    }[kind]
    info = client.upload(
        repo, "main", f"kinds/{kind}.bin", source, part_size=5 * MIB, concurrency=4,
        content_type="application/x-test", metadata={"kind": kind},
    )
    assert info["path"] == f"kinds/{kind}.bin"
    assert info["size_bytes"] == SIZE
    assert info["content_type"] == "application/x-test"
    assert info["metadata"] == {"kind": kind}
    assert info["parts"] >= 3 and info["kept_parts"] == 0
    assert read_back(client, repo, f"kinds/{kind}.bin", tmp_path) == data


def test_empty_and_small_objects(client, repo, tmp_path):
    for name, data in [("empty", b""), ("small", b"hello lakeFS")]:
        info = client.upload(repo, "main", f"small/{name}", data)
        assert info["size_bytes"] == len(data)
        assert read_back(client, repo, f"small/{name}", tmp_path) == data
        assert b"".join(client.read(repo, "main", f"small/{name}")) == data


def test_download_reports_what_was_verified(client, repo, tmp_path):
    data = random_bytes(11 * MIB)
    client.upload(repo, "main", "verify/multi.bin", data, part_size=5 * MIB)
    info = client.download(repo, "main", "verify/multi.bin", tmp_path / "a.bin")
    assert info["verified"] is True
    assert info["verification"]["kind"] == "multipart_etag"
    assert info["verification"]["layout"] == {"part_size": 5 * MIB, "parts": 3}
    assert info["size"] == len(data) and info["route"] == "presigned"
    skipped = client.download(repo, "main", "verify/multi.bin", tmp_path / "b.bin", verify=False)
    assert skipped["verified"] is False and skipped["verification"]["kind"] == "skipped"
    assert (tmp_path / "b.bin").read_bytes() == data


def test_read_whole_and_ranges(client, repo):
    data = random_bytes(9 * MIB + 5, seed=3)
    # The default part size on both sides: the streamed check recomputes the multipart ETag
    # with its own part layout.
    client.upload(repo, "main", "read/object.bin", data)
    chunks = client.read(repo, "main", "read/object.bin", concurrency=2)
    assert chunks.size == len(data) and chunks.verification is None
    pieces = list(chunks)
    assert all(isinstance(piece, bytes) for piece in pieces) and len(pieces) > 1
    assert b"".join(pieces) == data
    assert chunks.verification["kind"] in ("md5", "multipart_etag")
    for offset, length in [(0, 10), (1, MIB), (5 * MIB - 3, 7), (len(data) - 4, None), (123, 10**12)]:
        got = b"".join(client.read(repo, "main", "read/object.bin", offset=offset, length=length))
        end = len(data) if length is None else offset + length
        assert got == data[offset:end], (offset, length)


def test_read_stops_early_and_closes(client, repo):
    data = random_bytes(12 * MIB, seed=4)
    client.upload(repo, "main", "read/early.bin", data)
    chunks = client.read(repo, "main", "read/early.bin")
    first = next(chunks)
    assert data.startswith(first)
    chunks.close()
    assert list(chunks) == []


def test_progress_is_monotonic_and_ends_at_the_size(client, repo, tmp_path):
    data = random_bytes(21 * MIB, seed=5)
    calls = []
    client.upload(repo, "main", "progress/up.bin", data, part_size=5 * MIB, concurrency=2,
                  progress=lambda done, total: calls.append((done, total)))
    assert calls[-1] == (len(data), len(data))
    dones = [done for done, _ in calls]
    assert dones == sorted(dones) and all(total == len(data) for _, total in calls)
    stream_calls = []
    client.upload(repo, "main", "progress/stream.bin", io.BytesIO(data),
                  progress=lambda done, total: stream_calls.append((done, total)))
    assert stream_calls[-1] == (len(data), len(data))
    assert [d for d, _ in stream_calls] == sorted(d for d, _ in stream_calls)
    down = []
    client.download(repo, "main", "progress/up.bin", tmp_path / "p.bin",
                    progress=lambda done, total: down.append((done, total)))
    assert down[-1] == (len(data), len(data))
    assert [d for d, _ in down] == sorted(d for d, _ in down)


def test_the_gil_is_released_while_transferring(client, repo, tmp_path):
    import threading

    data = random_bytes(40 * MIB, seed=6)
    counts = []
    stop = threading.Event()

    def count():
        n = 0
        while not stop.is_set():
            n += 1
            if n % 1000 == 0:
                counts.append(n)

    thread = threading.Thread(target=count)
    thread.start()
    try:
        before = len(counts)
        client.upload(repo, "main", "gil/up.bin", data, part_size=5 * MIB, concurrency=2)
        during_upload = len(counts) - before
        before = len(counts)
        client.download(repo, "main", "gil/up.bin", tmp_path / "gil.bin")
        during_download = len(counts) - before
    finally:
        stop.set()
        thread.join()
    # With the GIL held for the whole call, the counting thread would barely move
    # (a switch interval of 5 ms at each of the call's few GIL releases).
    assert during_upload > 100 and during_download > 100, (during_upload, during_download)
