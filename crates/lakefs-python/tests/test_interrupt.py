"""Ctrl-C: a SIGINT during a transfer stops it cleanly, fast, and raises KeyboardInterrupt;
an upload with a checkpoint resumes, one without is aborted, a download resumes."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import textwrap
import time

import pytest

MIB = 1024 * 1024

CHILD = textwrap.dedent(
    """
    import json, sys, lakefs_transfer as lt
    settings, mode, source, target = json.loads(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
    client = lt.Client(host=settings["endpoint"], username=settings["access_key_id"],
                       password=settings["secret_access_key"])
    def progress(done, total):
        print("progress", done, flush=True)
    try:
        if mode == "upload":
            client.upload(settings["repository"], "main", target, source, part_size=5 * 1024 * 1024,
                          concurrency=1, progress=progress)
        elif mode == "upload-checkpoint":
            client.upload(settings["repository"], "main", target, source, part_size=5 * 1024 * 1024,
                          concurrency=1, checkpoint=sys.argv[5], progress=progress)
        else:
            client.download(settings["repository"], "main", source, target, concurrency=1,
                            progress=progress)
    except KeyboardInterrupt as interrupt:
        print("interrupted:", interrupt, flush=True)
        raise
    print("finished", flush=True)
    """
)


def interrupt_after_progress(python, emulator, *args):
    """Runs the child until it reports some progress, sends SIGINT; returns (returncode,
    stdout, seconds from SIGINT to exit)."""
    child = subprocess.Popen(
        [python, "-c", CHILD, json.dumps(emulator), *map(str, args)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    lines = []
    for line in child.stdout:
        lines.append(line)
        if line.startswith("progress") and int(line.split()[1]) > 0:
            break
    else:
        child.wait()
        pytest.fail(f"the child ended before any progress: {lines} {child.stderr.read()}")
    child.send_signal(signal.SIGINT)
    sent = time.monotonic()
    out, err = child.communicate(timeout=60)
    return child.returncode, "".join(lines) + out, err, time.monotonic() - sent


@pytest.fixture(scope="module")
def slow_big_file(tmp_path_factory):
    from conftest import random_bytes

    file = tmp_path_factory.mktemp("big") / "big.bin"
    file.write_bytes(random_bytes(400 * MIB, seed=21))
    return file


def test_ctrl_c_aborts_an_upload_without_checkpoint(lt, client, emulator, repo, python, slow_big_file, tmp_path):
    code, out, err, seconds = interrupt_after_progress(python, emulator, "upload", slow_big_file, "sigint/aborted.bin")
    assert "KeyboardInterrupt" in err and "finished" not in out, (out, err)
    assert code != 0 and seconds < 10, (code, seconds)
    assert "aborted" in out, out
    with pytest.raises(lt.NotFoundError):
        client.download(repo, "main", "sigint/aborted.bin", tmp_path / "never")


def test_ctrl_c_keeps_a_checkpointed_upload_resumable(client, emulator, repo, python, slow_big_file, tmp_path):
    checkpoints = tmp_path / "checkpoints"
    checkpoints.mkdir()
    code, out, err, seconds = interrupt_after_progress(
        python, emulator, "upload-checkpoint", slow_big_file, "sigint/resumed.bin", checkpoints
    )
    assert "KeyboardInterrupt" in err and code != 0 and seconds < 10, (code, seconds, err)
    assert "resume it from the checkpoint" in out, out
    kept = list(checkpoints.iterdir())
    assert len(kept) == 1, kept
    info = client.upload(repo, "main", "sigint/resumed.bin", slow_big_file, part_size=5 * MIB, checkpoint=checkpoints)
    assert info["kept_parts"] > 0 and info["size_bytes"] == slow_big_file.stat().st_size
    assert list(checkpoints.iterdir()) == []  # removed once complete
    assert client.download(repo, "main", "sigint/resumed.bin", tmp_path / "back.bin")["verified"]
    assert (tmp_path / "back.bin").read_bytes() == slow_big_file.read_bytes()


def test_a_checkpoint_of_another_object_is_refused(lt, client, repo, python, emulator, slow_big_file, tmp_path):
    checkpoint = tmp_path / "one.json"
    code, out, err, _ = interrupt_after_progress(
        python, emulator, "upload-checkpoint", slow_big_file, "sigint/first.bin", checkpoint
    )
    assert checkpoint.exists(), (out, err)
    with pytest.raises(lt.ConfigError, match="records an upload to lakefs://.*/sigint/first.bin"):
        client.upload(repo, "main", "sigint/other.bin", slow_big_file, checkpoint=checkpoint)


def test_ctrl_c_keeps_a_download_resumable(client, emulator, repo, python, slow_big_file, tmp_path):
    client.upload(repo, "main", "sigint/download.bin", slow_big_file)
    dest = tmp_path / "download.bin"
    code, out, err, seconds = interrupt_after_progress(python, emulator, "download", "sigint/download.bin", dest)
    assert "KeyboardInterrupt" in err and code != 0 and seconds < 10, (code, seconds, err)
    assert not dest.exists()
    info = client.download(repo, "main", "sigint/download.bin", dest)
    assert info["resumed_bytes"] > 0 and info["verified"], info
    assert dest.read_bytes() == slow_big_file.read_bytes()
