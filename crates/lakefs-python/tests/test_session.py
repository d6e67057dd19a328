"""The session API: one object from several processes."""

from __future__ import annotations

import json
import multiprocessing

import pytest

from conftest import random_bytes

MIB = 1024 * 1024


def _worker(settings, session_json, file, first, last, queue):
    import lakefs_transfer as lt

    client = lt.Client(host=settings["endpoint"], username=settings["access_key_id"],
                       password=settings["secret_access_key"])
    session = json.loads(session_json)
    queue.put(json.dumps(client.upload_parts(session, file, first, last)))


@pytest.mark.parametrize("start", ["fork", "spawn"])
def test_one_object_from_two_processes(client, emulator, repo, tmp_path, start):
    data = random_bytes(23 * MIB, seed=11)
    file = tmp_path / "object.bin"
    file.write_bytes(data)
    session = client.begin_upload(repo, "main", f"session/{start}.bin", len(data), part_size=5 * MIB)
    text = json.dumps(session)  # plain JSON, no secret URL in it
    assert "X-Amz-Signature" not in text and session["path"] == f"session/{start}.bin"
    context = multiprocessing.get_context(start)
    queue = context.Queue()
    workers = [
        context.Process(target=_worker, args=(emulator, text, str(file), first, last, queue))
        for first, last in [(1, 3), (4, 5)]
    ]
    for worker in workers:
        worker.start()
    parts = [json.loads(queue.get(timeout=120)) for _ in workers]
    for worker in workers:
        worker.join(timeout=60)
        assert worker.exitcode == 0
    everything = [part for worker_parts in reversed(parts) for part in worker_parts]
    assert sorted(p["part_number"] for p in everything) == [1, 2, 3, 4, 5]
    # A part reported twice (a retried worker) counts once.
    info = client.complete_upload(session, everything + everything[:1], content_type="application/x-bin")
    assert info["size_bytes"] == len(data) and info["parts"] == 5
    assert b"".join(client.read(repo, "main", f"session/{start}.bin")) == data
    # The complete task run again (its worker died after completing): the same object.
    again = client.complete_upload(session, everything)
    assert again["checksum"] == info["checksum"] and again["size_bytes"] == len(data)


def test_bytes_source_parts_conflicts_and_abort(lt, client, repo):
    data = random_bytes(11 * MIB, seed=12)
    session = client.begin_upload(repo, "main", "session/bytes.bin", len(data), part_size=5 * MIB)
    parts = client.upload_parts(session, data, 1, 3)
    forged = dict(parts[0], etag='"0123456789abcdef0123456789abcdef"')
    with pytest.raises(lt.ConfigError, match="part 1 is listed twice"):
        client.complete_upload(session, parts + [forged])
    with pytest.raises(lt.ConfigError):
        client.complete_upload(session, parts[1:])  # part 1 missing
    with pytest.raises(lt.ConfigError, match="not a range"):
        client.upload_parts(session, data, 3, 2)
    with pytest.raises(lt.ConfigError, match="session is not an upload session"):
        client.upload_parts({"path": "x"}, data, 1, 1)
    with pytest.raises(TypeError, match="reads its parts at their offsets"):
        client.upload_parts(session, iter([data]), 1, 1)
    client.abort_upload(json.dumps(session))
    with pytest.raises(lt.LakeFSError):
        client.complete_upload(session, parts)
    with pytest.raises(lt.NotFoundError):
        client.download(repo, "main", "session/bytes.bin", "/tmp/never")
