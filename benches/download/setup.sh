#!/usr/bin/env bash
# Installs what benches/download/compare.sh needs, idempotently:
#   * rclone        Debian's package (apt-get): 1.60.1+dfsg-2+b5 on bookworm. The official static
#                   binary is not used: its download host is outside the package registries this
#                   machine can reach.
#   * awscli v1     pinned, from PyPI, in a venv of its own under $TOOLS/awscli (AWS CLI v2 is not
#                   on PyPI; its official installer's host is not reachable either).
#   * GNU time      Debian's `time` package, for /usr/bin/time -f.
#   * s3s-fs        the S3 server; .ci/run installs it (cargo install s3s-fs 0.14.1) into
#                   ~/.cache/lakefs-rs-ci-tools; done here too, the same way, only when missing.
# Prints the versions at the end. Run as root (apt-get), or with the packages already there.
set -euo pipefail

TOOLS="${LAKEFS_BENCH_TOOLS:-$HOME/.cache/lakefs-rs-bench-tools}"
CI_TOOLS="${LAKEFS_CI_TOOLS:-$HOME/.cache/lakefs-rs-ci-tools}"
AWSCLI_VERSION="${AWSCLI_VERSION:-1.45.11}"
S3S_FS_VERSION=0.14.1
mkdir -p "$TOOLS"

apt_updated=0
apt_install() {
  if [ "$apt_updated" = 0 ]; then
    apt-get update -qq
    apt_updated=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@"
}

command -v rclone >/dev/null 2>&1 || apt_install rclone
[ -x /usr/bin/time ] || apt_install time
python3 -c 'import venv, ensurepip' 2>/dev/null || apt_install python3-venv

AWS="$TOOLS/awscli/bin/aws"
if ! "$AWS" --version 2>&1 | grep -q "aws-cli/$AWSCLI_VERSION "; then
  echo "== installing awscli $AWSCLI_VERSION into $TOOLS/awscli"
  python3 -m venv "$TOOLS/awscli"
  "$TOOLS/awscli/bin/python" -m pip install --quiet --disable-pip-version-check "awscli==$AWSCLI_VERSION"
fi

if ! "$CI_TOOLS/bin/s3s-fs" --version 2>/dev/null | grep -q "$S3S_FS_VERSION"; then
  echo "== installing s3s-fs $S3S_FS_VERSION (cargo; takes a few minutes)"
  cargo install s3s-fs --version "$S3S_FS_VERSION" --locked --features binary --root "$CI_TOOLS" --quiet
fi

echo "rclone:  $(rclone version 2>/dev/null | head -1) ($(dpkg-query -W -f='${Version}' rclone 2>/dev/null || echo 'not from apt'))"
echo "aws:     $("$AWS" --version 2>&1)"
echo "s3s-fs:  $("$CI_TOOLS/bin/s3s-fs" --version)"
echo "time:    $(dpkg-query -W -f='GNU time ${Version}' time 2>/dev/null || echo /usr/bin/time)"
