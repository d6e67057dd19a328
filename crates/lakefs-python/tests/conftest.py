"""Fixtures: the lakeFS emulator (the `lakefs-cli emulator` binary) and clients of it.

The binary is `$LAKEFS_CLI_BIN`, else `$CARGO_TARGET_DIR/debug/lakefs-cli`, else
`target/debug/lakefs-cli` of the workspace. Without it the tests are skipped, unless
`LAKEFS_REQUIRE_PYTHON_BINDINGS` is set (CI), when they fail.
"""

from __future__ import annotations

import collections
import contextlib
import json
import os
import re
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest

WORKSPACE = Path(__file__).resolve().parents[3]
REQUIRED = bool(os.environ.get("LAKEFS_REQUIRE_PYTHON_BINDINGS"))


def _cli_binary() -> Path | None:
    candidates = []
    if os.environ.get("LAKEFS_CLI_BIN"):
        candidates.append(Path(os.environ["LAKEFS_CLI_BIN"]))
    if os.environ.get("CARGO_TARGET_DIR"):
        candidates.append(Path(os.environ["CARGO_TARGET_DIR"]) / "debug" / "lakefs-cli")
    candidates.append(WORKSPACE / "target" / "debug" / "lakefs-cli")
    return next((c for c in candidates if c.is_file()), None)


def _missing(why: str) -> None:
    if REQUIRED:
        pytest.fail(f"{why} (LAKEFS_REQUIRE_PYTHON_BINDINGS is set)", pytrace=False)
    pytest.skip(why)


@pytest.fixture(scope="session")
def lt():
    """The module under test."""
    try:
        import lakefs_transfer
    except ImportError as error:  # pragma: no cover - depends on the environment
        _missing(f"lakefs_transfer is not installed ({error}): build it with maturin")
    return lakefs_transfer


@pytest.fixture(scope="session")
def emulator():
    """A running emulator: its settings (endpoint, access_key_id, secret_access_key,
    repository, branches)."""
    binary = _cli_binary()
    if binary is None:
        _missing(
            "no lakefs-cli binary: set LAKEFS_CLI_BIN, or `cargo build -p lakefs-cli` "
            "(looked in $CARGO_TARGET_DIR/debug and target/debug)"
        )
    with _emulator_process(binary) as settings:
        yield settings


@contextlib.contextmanager
def _emulator_process(binary: Path, *args: str, env: dict | None = None):
    """`lakefs-cli emulator` on a free port, with more arguments; yields its settings."""
    process = subprocess.Popen(
        [str(binary), "--json", "emulator", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
    )
    try:
        line = process.stdout.readline()
        settings = json.loads(line)
        yield settings
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture()
def env(emulator, monkeypatch, tmp_path):
    """lakectl's variables pointing at the emulator (and a HOME without ~/.lakectl.yaml)."""
    monkeypatch.setenv("LAKECTL_SERVER_ENDPOINT_URL", emulator["endpoint"])
    monkeypatch.setenv("LAKECTL_CREDENTIALS_ACCESS_KEY_ID", emulator["access_key_id"])
    monkeypatch.setenv("LAKECTL_CREDENTIALS_SECRET_ACCESS_KEY", emulator["secret_access_key"])
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    return dict(os.environ)


@pytest.fixture()
def client(lt, emulator):
    return lt.Client(
        host=emulator["endpoint"],
        username=emulator["access_key_id"],
        password=emulator["secret_access_key"],
    )


@pytest.fixture()
def repo(emulator):
    return emulator["repository"]


def random_bytes(size: int, seed: int = 7) -> bytes:
    """Deterministic bytes, quickly."""
    import random

    rng = random.Random(seed)
    block = 1 << 20
    return b"".join(rng.randbytes(min(block, size - at)) for at in range(0, size, block))


@pytest.fixture()
def python():
    """The interpreter running the tests, for subprocesses."""
    return sys.executable


# --- the emulator in S3 mode, on s3s-fs (a real S3 server that checks SigV4) --------------------


def _s3s_fs_binary() -> Path | None:
    """`$S3S_FS_BIN`, s3s-fs on PATH, or where `.ci/run` installs it."""
    if os.environ.get("S3S_FS_BIN"):
        return Path(os.environ["S3S_FS_BIN"])
    on_path = shutil.which("s3s-fs")
    cached = Path.home() / ".cache/lakefs-rs-ci-tools/bin/s3s-fs"
    return Path(on_path) if on_path else cached if cached.is_file() else None


@pytest.fixture(scope="module")
def s3s_fs(tmp_path_factory):
    """A running s3s-fs on a free port: its endpoint, access key and secret. Skipped without the
    binary, unless LAKEFS_REQUIRE_S3=1 (CI), when it fails."""
    binary = _s3s_fs_binary()
    if binary is None:
        why = "no s3s-fs binary (set S3S_FS_BIN, or run .ci/run once to install it)"
        if os.environ.get("LAKEFS_REQUIRE_S3") == "1":
            pytest.fail(f"{why} (LAKEFS_REQUIRE_S3=1)", pytrace=False)
        pytest.skip(why)
    key, secret = "s3-test-access-key", "s3-test-secret-key-0123456789"
    process = subprocess.Popen(
        [str(binary), "--host", "127.0.0.1", "--port", "0", "--access-key", key,
         "--secret-key", secret, str(tmp_path_factory.mktemp("s3s-fs"))],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "RUST_LOG": "s3s_fs=info", "NO_COLOR": "1"},
    )
    try:
        # It logs "server is running at http://127.0.0.1:PORT" once it listens.
        lines = iter(process.stdout.readline, "")
        ready = next((line for line in lines if "server is running at" in line), "")
        endpoint = re.search(r"http://[\d.]+:\d+", ready)
        assert endpoint, f"s3s-fs did not start (exit code {process.poll()})"
        threading.Thread(target=collections.deque, args=(lines, 0), daemon=True).start()
        yield {"endpoint": endpoint[0], "access_key_id": key, "secret_access_key": secret}
    finally:
        process.kill()
        process.wait()


@pytest.fixture(scope="module")
def emulator_s3(s3s_fs):
    """The emulator keeping its objects in a bucket of s3s-fs: presigned URLs point at s3s-fs."""
    binary = _cli_binary()
    if binary is None:
        _missing("no lakefs-cli binary: set LAKEFS_CLI_BIN, or `cargo build -p lakefs-cli`")
    env = {**os.environ, "LAKEFS_EMULATOR_S3_SECRET_ACCESS_KEY": s3s_fs["secret_access_key"]}
    with _emulator_process(binary, "--s3-endpoint", s3s_fs["endpoint"], "--s3-bucket", "lakefs",
                           "--s3-access-key-id", s3s_fs["access_key_id"], env=env) as settings:
        assert settings["s3"]["endpoint"] == s3s_fs["endpoint"]
        yield settings
