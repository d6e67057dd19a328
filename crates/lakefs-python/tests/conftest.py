"""Fixtures: the lakeFS emulator (the `lakefs-cli emulator` binary) and clients of it.

The binary is `$LAKEFS_CLI_BIN`, else `$CARGO_TARGET_DIR/debug/lakefs-cli`, else
`target/debug/lakefs-cli` of the workspace. Without it the tests are skipped, unless
`LAKEFS_REQUIRE_PYTHON_BINDINGS` is set (CI), when they fail.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
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
    process = subprocess.Popen(
        [str(binary), "--json", "emulator", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
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
