#!/usr/bin/env bash
# Proxy mode against a real S3 server: s3s-fs behind the shaper (with 503s), then aws-cli
# (header-signed SigV4, multipart upload, Expect: 100-continue), rclone, and a presigned GET
# through it; every object read back must equal what was written. Needs what
# benches/download/setup.sh installs (s3s-fs, awscli, rclone). Prints OK lines; exits non-zero
# on the first failure.
#   SIZE_MIB=96 PER_CONNECTION=40MiB LINK=200MiB LATENCY=5ms SLOWDOWN=0.05
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
S3S_FS="${S3S_FS_BIN:-${LAKEFS_CI_TOOLS:-$HOME/.cache/lakefs-rs-ci-tools}/bin/s3s-fs}"
AWS="${AWS:-${LAKEFS_BENCH_TOOLS:-$HOME/.cache/lakefs-rs-bench-tools}/awscli/bin/aws}"
command -v "$AWS" >/dev/null 2>&1 || AWS=aws
RCLONE="${RCLONE:-rclone}"
for need in "$S3S_FS" "$AWS" "$RCLONE" curl; do
  command -v "$need" >/dev/null 2>&1 || { echo "missing $need: run benches/download/setup.sh" >&2; exit 1; }
done
SIZE_MIB="${SIZE_MIB:-96}"

WORK="$(mktemp -d /tmp/lakefs-shaper-check.XXXXXX)"
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT

(cd "$ROOT" && cargo build --quiet --release -p lakefs-bench-shaper)
SHAPER="${CARGO_TARGET_DIR:-$ROOT/target}/release/lakefs-bench-shaper"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
KEY_ID=shaper-check-key SECRET=shaper-check-secret-0123456789
S3_PORT=$(free_port)
mkdir -p "$WORK/s3"
"$S3S_FS" --host 127.0.0.1 --port "$S3_PORT" --access-key "$KEY_ID" --secret-key "$SECRET" \
  "$WORK/s3" >"$WORK/s3s-fs.log" 2>&1 &
PIDS+=($!)

"$SHAPER" --upstream "http://127.0.0.1:$S3_PORT" --per-connection "${PER_CONNECTION:-40MiB}" \
  --link "${LINK:-200MiB}" --latency "${LATENCY:-5ms}" --slowdown "${SLOWDOWN:-0.05}" --seed 3 \
  >"$WORK/shaper.out" 2>"$WORK/shaper.err" &
PIDS+=($!)
for _ in $(seq 100); do grep -q '^listening on ' "$WORK/shaper.out" && break; sleep 0.1; done
URL=$(sed -n 's/^listening on //p' "$WORK/shaper.out")
[ -n "$URL" ] || { echo "the shaper did not start:" >&2; cat "$WORK/shaper.err" >&2; exit 1; }
for _ in $(seq 100); do (echo >"/dev/tcp/127.0.0.1/$S3_PORT") 2>/dev/null && break; sleep 0.1; done
echo "s3s-fs on port $S3_PORT, shaper at $URL"

export AWS_ACCESS_KEY_ID="$KEY_ID" AWS_SECRET_ACCESS_KEY="$SECRET" AWS_DEFAULT_REGION=us-east-1
export AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_EC2_METADATA_DISABLED=true
unset AWS_CA_BUNDLE
printf '[default]\nregion = us-east-1\ns3 =\n  multipart_threshold = 8MB\n  multipart_chunksize = 8MB\n' >"$WORK/aws.cfg"
export AWS_CONFIG_FILE="$WORK/aws.cfg"
head -c $((SIZE_MIB * 1024 * 1024)) /dev/urandom >"$WORK/in.bin"

"$AWS" --endpoint-url "$URL" s3 mb s3://check >/dev/null
"$AWS" --endpoint-url "$URL" s3 cp --no-progress "$WORK/in.bin" s3://check/aws.bin >/dev/null
"$AWS" --endpoint-url "$URL" s3 cp --no-progress s3://check/aws.bin "$WORK/out-aws.bin" >/dev/null
cmp "$WORK/in.bin" "$WORK/out-aws.bin" && echo "OK aws-cli: multipart upload and download of $SIZE_MIB MiB"

cat >"$WORK/rclone.conf" <<CONF
[s3]
type = s3
provider = Other
access_key_id = $KEY_ID
secret_access_key = $SECRET
endpoint = $URL
region = us-east-1
force_path_style = true
CONF
"$RCLONE" --config "$WORK/rclone.conf" copyto "$WORK/in.bin" s3:check/rclone.bin
"$RCLONE" --config "$WORK/rclone.conf" copyto s3:check/rclone.bin "$WORK/out-rclone.bin"
cmp "$WORK/in.bin" "$WORK/out-rclone.bin" && echo "OK rclone: upload and download of $SIZE_MIB MiB"

PRESIGNED=$("$AWS" --endpoint-url "$URL" s3 presign s3://check/aws.bin)
# --retry: a 503 SlowDown is transient to curl too.
code=$(curl -s --retry 5 --retry-delay 0 -o "$WORK/out-presigned.bin" -w '%{http_code}' "$PRESIGNED")
[ "$code" = 200 ] || { echo "presigned GET answered $code" >&2; exit 1; }
cmp "$WORK/in.bin" "$WORK/out-presigned.bin" && echo "OK presigned GET (curl)"
