#!/usr/bin/env bash
# CI for the Python bindings: builds the lakefs-transfer wheel (a debug build, with the
# workspace's target directory, so that it reuses what `cargo test --workspace` built),
# installs it, and runs the pytest suite against the emulator binary (lakefs-cli, debug).
#
#   bash crates/lakefs-python/ci.sh          # from anywhere; after `cargo test --workspace`
set -euo pipefail
CRATE="$(cd "$(dirname "$0")" && pwd)"
WORKSPACE="$(cd "$CRATE/../.." && pwd)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$WORKSPACE/target}"

MATURIN_VERSION=1.16.0
PYTEST_VERSION=9.2.0
DASK_VERSION=2026.8.0  # dask and distributed, released together (tests/test_distributed.py)
PYTHON="${PYTHON:-python3}"
if ! "$PYTHON" -m maturin --version 2>/dev/null | grep -q "$MATURIN_VERSION"; then
  echo "== installing maturin $MATURIN_VERSION"
  "$PYTHON" -m pip install --quiet "maturin==$MATURIN_VERSION"
fi
if ! "$PYTHON" -c "import pytest, sys; sys.exit(pytest.__version__ != '$PYTEST_VERSION')" 2>/dev/null; then
  echo "== installing pytest $PYTEST_VERSION"
  "$PYTHON" -m pip install --quiet "pytest==$PYTEST_VERSION"
fi
if ! "$PYTHON" -c "import dask, distributed, sys; sys.exit(not dask.__version__ == distributed.__version__ == '$DASK_VERSION')" 2>/dev/null; then
  echo "== installing dask[distributed] $DASK_VERSION"
  "$PYTHON" -m pip install --quiet "dask[distributed]==$DASK_VERSION" "distributed==$DASK_VERSION"
fi

# The emulator the tests start (built by `cargo test --workspace` already; quick otherwise).
if [ -z "${LAKEFS_CLI_BIN:-}" ]; then
  cargo build --quiet -p lakefs-cli
  export LAKEFS_CLI_BIN="$CARGO_TARGET_DIR/debug/lakefs-cli"
fi

WHEELS="$(mktemp -d)"
trap 'rm -rf "$WHEELS"' EXIT
echo "== building the wheel (maturin, dev profile)"
start=$(date +%s)
(cd "$CRATE" && "$PYTHON" -m maturin build --quiet --profile dev --interpreter "$PYTHON" -o "$WHEELS")
echo "   built in $(( $(date +%s) - start )) s: $(cd "$WHEELS" && ls -s --block-size=K *.whl)"
"$PYTHON" -m pip install --quiet --force-reinstall --no-deps "$WHEELS"/lakefs_transfer-*.whl

echo "== pytest (crates/lakefs-python/tests)"
# Run from the tests' directory: `import lakefs_transfer` must find the installed wheel, not
# the sources in python/.
cd "$CRATE/tests"
LAKEFS_REQUIRE_PYTHON_BINDINGS=1 "$PYTHON" -m pytest -q -p no:cacheprovider .
