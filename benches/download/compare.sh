#!/usr/bin/env bash
# Whole-process download comparison: one large object (default 1 GiB, random bytes, uploaded as a
# MULTIPART object with 8 MiB parts, as lakeFS clients upload) on a local S3 server (s3s-fs),
# downloaded to a file on the same disk by
#   * rclone copyto     (straight from S3; 10 streams)
#   * aws s3 cp         (straight from S3; awscli v1 defaults, and a tuned variant)
#   * lakefs-cli download (a lakeFS emulator in front of the same S3 server signs the URLs; the
#                        bytes come straight from S3; runs only when $LAKEFS_CLI names the binary)
# Each downloader runs $RUNS times; each run is timed with GNU time (wall, user+sys CPU, peak
# RSS of the process; and, beside, the CPU the s3s-fs server spent meanwhile). Output is removed (and `sync`ed away) between runs. Prints a markdown table
# of the medians. The downloaded bytes are compared (cmp) with the source once per tool.
#
# Environment:
#   RUNS=5            runs per downloader
#   SIZE_MIB=1024     object size
#   TOOLS_TO_RUN="cp rclone aws aws-tuned lakefs-cli lakefs-cli-no-verify lakefs-cli-cat"   rows (lakefs-cli*
#                     only with LAKEFS_CLI;
#                     cp: a local copy of the source file, no network: the floor of writing it)
#   STREAMS=10        rclone --multi-thread-streams
#   AWS_TUNED_CONCURRENCY=20   max_concurrent_requests of the aws-tuned row (the default row
#                     is awscli's built-in default, which is 10)
#   LAKEFS_CLI=path    our binary (enables the lakefs-cli rows)
#   LAKEFS_CLI_ARGS="--part-size 16MiB"   more arguments of its download rows
#   DROP_CACHES=1     drop the page cache before every run (root only; default: do not, the
#                     object on the server stays cached for every tool alike)
#   KEEP=1            keep the work directory (/tmp/lakefs-dl-bench.*) afterwards
#   WORK_DIR=dir      where to put it (default: a new directory under /tmp)
# Run benches/download/setup.sh first.
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
RUNS="${RUNS:-5}"
SIZE_MIB="${SIZE_MIB:-1024}"
STREAMS="${STREAMS:-10}"
AWS_TUNED_CONCURRENCY="${AWS_TUNED_CONCURRENCY:-20}"
TOOLS_TO_RUN="${TOOLS_TO_RUN:-cp rclone aws aws-tuned lakefs-cli lakefs-cli-no-verify lakefs-cli-cat}"
BENCH_TOOLS="${LAKEFS_BENCH_TOOLS:-$HOME/.cache/lakefs-rs-bench-tools}"
S3S_FS="${S3S_FS_BIN:-${LAKEFS_CI_TOOLS:-$HOME/.cache/lakefs-rs-ci-tools}/bin/s3s-fs}"
AWS="${AWS:-$BENCH_TOOLS/awscli/bin/aws}"
command -v "$AWS" >/dev/null 2>&1 || AWS=aws
RCLONE="${RCLONE:-rclone}"
TIME=/usr/bin/time

for need in "$S3S_FS" "$AWS" "$RCLONE" "$TIME"; do
  command -v "$need" >/dev/null 2>&1 || { echo "missing $need: run $HERE/setup.sh" >&2; exit 1; }
done

# The same key and secret as CI's s3s-fs (tests/s3_backend.rs), region us-east-1 as the emulator's.
S3_KEY=s3-test-access-key
S3_SECRET=s3-test-secret-key-0123456789
REGION=us-east-1
BUCKET=bench
KEY="objects/${SIZE_MIB}MiB.bin"
SIZE=$((SIZE_MIB * 1024 * 1024))
PART_MIB=8
EXPECTED_PARTS=$(((SIZE_MIB + PART_MIB - 1) / PART_MIB))

WORK="${WORK_DIR:-$(mktemp -d /tmp/lakefs-dl-bench.XXXXXX)}"
mkdir -p "$WORK"
S3_ROOT="$WORK/s3"      # s3s-fs's data dir (fresh)
SRC="$WORK/source.bin"  # the object's bytes, for cmp
OUT="$WORK/out.bin"     # every downloader writes here (same disk as the server's data)
RESULTS="$WORK/results.tsv"
mkdir -p "$S3_ROOT"
: >"$RESULTS"

PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
  if [ "${KEEP:-0}" = 1 ]; then echo "kept $WORK" >&2; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() {
  local port=$1 i
  for i in $(seq 1 200); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && return 0
    sleep 0.1
  done
  echo "nothing listens on port $port after 20 s" >&2
  return 1
}

# --- the S3 server -------------------------------------------------------------------------------
S3_PORT=$(free_port)
S3_URL="http://127.0.0.1:$S3_PORT"
"$S3S_FS" --host 127.0.0.1 --port "$S3_PORT" --access-key "$S3_KEY" --secret-key "$S3_SECRET" \
  "$S3_ROOT" >"$WORK/s3s-fs.log" 2>&1 &
S3_PID=$!
PIDS+=("$S3_PID")
wait_port "$S3_PORT"
# The server's CPU seconds so far (user+sys), to show what each run cost it.
TICKS=$(getconf CLK_TCK)
server_cpu() { awk -v t="$TICKS" '{sub(/.*\) /, ""); print ($12 + $13) / t}' "/proc/$S3_PID/stat"; }

# awscli: no credentials or config of the user's; two configs (defaults, and tuned).
export AWS_ACCESS_KEY_ID="$S3_KEY" AWS_SECRET_ACCESS_KEY="$S3_SECRET" AWS_DEFAULT_REGION="$REGION"
export AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_EC2_METADATA_DISABLED=true
# A CA bundle is of no use over plain http, and rclone (its AWS SDK) refuses to start with one
# set in the environment ("LoadCustomCABundleError ... unsupported transport").
unset AWS_CA_BUNDLE
printf '[default]\nregion = %s\n' "$REGION" >"$WORK/aws-default.cfg"
cat >"$WORK/aws-tuned.cfg" <<EOF
[default]
region = $REGION
s3 =
  max_concurrent_requests = $AWS_TUNED_CONCURRENCY
  multipart_threshold = 8MB
  multipart_chunksize = 8MB
EOF
cat >"$WORK/aws-upload.cfg" <<EOF
[default]
region = $REGION
s3 =
  multipart_threshold = 8MB
  multipart_chunksize = ${PART_MIB}MB
EOF
aws_with() { local cfg=$1; shift; AWS_CONFIG_FILE="$WORK/$cfg.cfg" "$AWS" --endpoint-url "$S3_URL" "$@"; }

# rclone: a remote "s3s" of its own config file (path-style, plain http).
cat >"$WORK/rclone.conf" <<EOF
[s3s]
type = s3
provider = Other
access_key_id = $S3_KEY
secret_access_key = $S3_SECRET
endpoint = $S3_URL
region = $REGION
force_path_style = true
EOF

# --- the object ----------------------------------------------------------------------------------
echo "== $SIZE_MIB MiB of random bytes, uploaded as a multipart object with $PART_MIB MiB parts" >&2
head -c "$SIZE" /dev/urandom >"$SRC"
aws_with aws-upload s3api create-bucket --bucket "$BUCKET" >/dev/null
aws_with aws-upload s3 cp --only-show-errors "$SRC" "s3://$BUCKET/$KEY"
ETAG=$(aws_with aws-upload s3api head-object --bucket "$BUCKET" --key "$KEY" --query ETag --output text | tr -d '"')
echo "   ETag $ETAG" >&2
case "$ETAG" in
  *-"$EXPECTED_PARTS") ;;
  *) echo "expected a multipart ETag ending in -$EXPECTED_PARTS, got $ETAG" >&2; exit 1 ;;
esac
sync

# --- measuring -----------------------------------------------------------------------------------
# run_timed NAME CMD...: RUNS runs of CMD, each into $OUT (removed and synced away before), timed
# by GNU time; the first run's output is compared with the source.
run_timed() {
  local name=$1; shift
  local i tf
  echo "== $name: $*" >&2
  for i in $(seq 1 "$RUNS"); do
    rm -f "$OUT"; sync
    if [ "${DROP_CACHES:-0}" = 1 ]; then echo 3 >/proc/sys/vm/drop_caches; fi
    tf="$WORK/time.$name.$i"
    server_before=$(server_cpu)
    if ! "$TIME" -f '%e %U %S %M' -o "$tf" "$@" >"$WORK/log.$name.$i" 2>&1; then
      echo "   run $i failed: $(tail -5 "$WORK/log.$name.$i")" >&2
      exit 1
    fi
    read -r wall user sys rss_kib <"$tf"
    server=$(awk -v a="$server_before" -v b="$(server_cpu)" 'BEGIN {printf "%.2f", b - a}')
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$i" "$wall" "$user" "$sys" "$rss_kib" "$server" >>"$RESULTS"
    echo "   run $i: wall ${wall}s user ${user}s sys ${sys}s peak RSS $((rss_kib / 1024)) MiB; s3s-fs CPU ${server}s" >&2
    if [ "$i" = 1 ]; then
      if cmp -s "$SRC" "$OUT"; then echo "   cmp: downloaded bytes equal the source" >&2
      else echo "   cmp: $name's download DIFFERS from the source" >&2; exit 1; fi
    fi
  done
  rm -f "$OUT"
}

# rclone: 10 streams, multi-thread download for anything above 64 MiB (its default cutoff is
# 250M, so a 1 GiB object is multi-threaded either way; -v: its log, $WORK/log.rclone.N, says
# "Multi-thread Copied"). rclone checks the MD5 after a download only when it knows one: the ETag
# of a multipart object is not one, and an object uploaded by awscli has no X-Amz-Meta-Md5chksum
# (rclone's own uploads set it), so here it checks only the size.
bench_rclone() {
  run_timed rclone "$RCLONE" --config "$WORK/rclone.conf" copyto "s3s:$BUCKET/$KEY" "$OUT" \
    --multi-thread-streams "$STREAMS" --multi-thread-cutoff 64M -v
}

# The floor: the same bytes written to the same file by a local copy (source in the page cache).
bench_cp() {
  run_timed cp cp "$SRC" "$OUT"
}

# awscli v1 defaults: max_concurrent_requests 10, ranged GETs of multipart_chunksize 8 MB.
# It verifies no checksum of a multipart object.
bench_aws() {
  AWS_CONFIG_FILE="$WORK/aws-default.cfg" \
    run_timed aws "$AWS" --endpoint-url "$S3_URL" s3 cp --only-show-errors "s3://$BUCKET/$KEY" "$OUT"
}
bench_aws_tuned() {
  AWS_CONFIG_FILE="$WORK/aws-tuned.cfg" \
    run_timed "aws-c$AWS_TUNED_CONCURRENCY" "$AWS" --endpoint-url "$S3_URL" s3 cp --only-show-errors "s3://$BUCKET/$KEY" "$OUT"
}

# ==================================================================================================
# lakefs-cli download  (runs only when LAKEFS_CLI names the binary)
# --------------------------------------------------------------------------------------------------
# A lakeFS emulator (`$LAKEFS_CLI emulator --s3-*`) in front of this same s3s-fs keeps its objects
# there, so presigned URLs point at s3s-fs: `download` asks the emulator for one statObject
# (presign) and reads every byte with ranged GETs straight from s3s-fs, as from lakeFS on S3.
# The object is put there through the emulator (presigned multipart upload, the same 8 MiB
# parts and ETag -N), untimed. Two rows: as a user runs it (the bytes verified: the multipart
# ETag recomputed from the parts' MD5s), and with --no-verify (what rclone and aws-cli do for a
# multipart object: no checksum). The emulator's own CPU and memory are in no row (another
# process), as s3s-fs's are in none.
lakefs_rs_prepare() {
  [ -z "${EMU_PORT:-}" ] || return 0
  EMU_PORT=$(free_port)
  LAKEFS_EMULATOR_S3_SECRET_ACCESS_KEY="$S3_SECRET" "$LAKEFS_CLI" emulator --port "$EMU_PORT" \
    --s3-endpoint "$S3_URL" --s3-bucket "$BUCKET" --s3-region "$REGION" \
    --s3-access-key-id "$S3_KEY" >"$WORK/emulator.log" 2>&1 &
  PIDS+=($!)
  wait_port "$EMU_PORT"
  export LAKECTL_SERVER_ENDPOINT_URL="http://127.0.0.1:$EMU_PORT"
  export LAKECTL_CREDENTIALS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE
  export LAKECTL_CREDENTIALS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY
  "$LAKEFS_CLI" upload --quiet --part-size 8MiB "$SRC" "lakefs://example-repo/main/$KEY" >"$WORK/upload.log" 2>&1 \
    || { echo "upload through the emulator failed: $(tail -5 "$WORK/upload.log")" >&2; exit 1; }
}
bench_lakefs_rs() {
  [ -n "${LAKEFS_CLI:-}" ] || { echo "== lakefs-cli: skipped (set LAKEFS_CLI to the binary)" >&2; return 0; }
  lakefs_rs_prepare
  run_timed lakefs-cli "$LAKEFS_CLI" download --quiet ${LAKEFS_CLI_ARGS:-} "lakefs://example-repo/main/$KEY" "$OUT"
}
bench_lakefs_rs_no_verify() {
  [ -n "${LAKEFS_CLI:-}" ] || return 0
  lakefs_rs_prepare
  run_timed lakefs-cli-no-verify "$LAKEFS_CLI" download --quiet --no-verify ${LAKEFS_CLI_ARGS:-} "lakefs://example-repo/main/$KEY" "$OUT"
}
# `cat` to a file: the stream in order (bounded by --concurrency parts ahead), as a pipeline
# reads it. `exec` so that GNU time measures lakefs-cli itself.
bench_lakefs_rs_cat() {
  [ -n "${LAKEFS_CLI:-}" ] || return 0
  lakefs_rs_prepare
  run_timed lakefs-cli-cat sh -c 'exec "$0" cat ${1:+$1} "$2" >"$3"' "$LAKEFS_CLI" "${LAKEFS_CLI_ARGS:-}" \
    "lakefs://example-repo/main/$KEY" "$OUT"
}
# ==================================================================================================

for tool in $TOOLS_TO_RUN; do
  case "$tool" in
    cp) bench_cp ;;
    rclone) bench_rclone ;;
    aws) bench_aws ;;
    aws-tuned) bench_aws_tuned ;;
    lakefs-cli) bench_lakefs_rs ;;
    lakefs-cli-no-verify) bench_lakefs_rs_no_verify ;;
    lakefs-cli-cat) bench_lakefs_rs_cat ;;
    *) echo "unknown tool $tool" >&2; exit 2 ;;
  esac
done

# --- the table -----------------------------------------------------------------------------------
median() { sort -g | awk '{v[NR]=$1} END {if (NR==0) exit; if (NR%2) print v[(NR+1)/2]; else print (v[NR/2]+v[NR/2+1])/2}'; }
echo
echo "$SIZE_MIB MiB object (multipart, ETag $ETAG), $RUNS runs each; medians; whole process (GNU time); MB = 10^6 bytes"
echo
echo "| tool | median wall s | MB/s | median CPU s (user+sys) | peak RSS MiB (max of runs) | median s3s-fs CPU s |"
echo "|---|---:|---:|---:|---:|---:|"
for name in $(cut -f1 "$RESULTS" | uniq); do
  wall=$(awk -F'\t' -v n="$name" '$1==n {print $3}' "$RESULTS" | median)
  cpu=$(awk -F'\t' -v n="$name" '$1==n {print $4+$5}' "$RESULTS" | median)
  rss=$(awk -F'\t' -v n="$name" '$1==n && $6>m {m=$6} END {print m}' "$RESULTS")
  server=$(awk -F'\t' -v n="$name" '$1==n {print $7}' "$RESULTS" | median)
  awk -v n="$name" -v w="$wall" -v c="$cpu" -v r="$rss" -v s="$SIZE" -v sv="$server" \
    'BEGIN {printf "| %s | %.2f | %.0f | %.2f | %.0f | %.2f |\n", n, w, s/1e6/w, c, r/1024, sv}'
done
echo
echo "versions: $("$RCLONE" version 2>/dev/null | head -1); $("$AWS" --version 2>&1); $("$S3S_FS" --version)"
