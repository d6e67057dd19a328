#!/usr/bin/env bash
# Whole-process uploads and downloads of one object through the shaped-link test bed
# (benches/shaper in sink mode: it plays S3, multipart calls included, and drops what it is sent),
# on the four links of examples/bench_link, with each tool's defaults:
#   * lakefs-cli  upload / download   (-c auto, the default; and the old fixed defaults -c 8 / -c 10)
#                 through a lakeFS emulator whose objects are "on S3" = on the shaper, so part URLs
#                 are presigned for it and every data byte crosses the shaped link; the lakeFS API
#                 calls (to the emulator) do not, as a lakeFS server near its clients;
#                 uploads with --no-skip (as rclone's --no-check-dest: the destination exists,
#                 same size, and would otherwise be read whole to compare its checksum first)
#   * rclone      copyto  (its defaults: --s3-upload-concurrency 4 with 5 MiB chunks; downloads
#                 above 250 MiB in 4 streams; --ignore-checksum, as the sink's ETags look like
#                 MD5s but are not, and --no-check-dest for uploads, as the sink has every key)
#   * aws s3 cp   (awscli v1's defaults: 10 requests in flight, 8 MB parts and ranges)
# Each row: RUNS runs timed by GNU time (wall, CPU, peak RSS); MiB/s = object size / wall, so a
# tool's start-up counts (awscli's Python start is about 0.4 s). Downloads go to /dev/shm (no
# disk in the figure, and lakefs-cli's fsync costs nothing there). lakefs-cli downloads run with
# --no-verify: the sink's bytes are synthetic, its ETag no MD5, and no other row checks bytes.
#
# Environment:
#   RUNS=2                  runs per row (the table shows medians)
#   PROFILES="1 2 3 4"      which links (as in examples/bench_link)
#   DIRECTIONS="upload download"
#   ROWS="auto fixed rclone aws"
#   LAKEFS_CLI, SHAPER      the binaries (default: target/release/…, built when missing)
#   SCALE=1                 multiply the object sizes (0.5 halves them)
# Run benches/download/setup.sh first (rclone, awscli v1, GNU time).
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
RUNS="${RUNS:-2}"
PROFILES="${PROFILES:-1 2 3 4}"
DIRECTIONS="${DIRECTIONS:-upload download}"
ROWS="${ROWS:-auto fixed rclone aws}"
SCALE="${SCALE:-1}"
BENCH_TOOLS="${LAKEFS_BENCH_TOOLS:-$HOME/.cache/lakefs-rs-bench-tools}"
AWS="${AWS:-$BENCH_TOOLS/awscli/bin/aws}"
command -v "$AWS" >/dev/null 2>&1 || AWS=aws
RCLONE="${RCLONE:-rclone}"
TIME=/usr/bin/time
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
LAKEFS_CLI="${LAKEFS_CLI:-$TARGET/release/lakefs-cli}"
SHAPER="${SHAPER:-$TARGET/release/lakefs-bench-shaper}"
if [ ! -x "$LAKEFS_CLI" ] || [ ! -x "$SHAPER" ]; then
  echo "== building lakefs-cli and lakefs-bench-shaper (release)" >&2
  (cd "$ROOT" && cargo build --release --quiet -p lakefs-cli -p lakefs-bench-shaper)
fi
for need in "$AWS" "$RCLONE" "$TIME" "$LAKEFS_CLI" "$SHAPER"; do
  command -v "$need" >/dev/null 2>&1 || { echo "missing $need: run benches/download/setup.sh" >&2; exit 1; }
done

# name | latency | per connection | link | 503 share | object MiB (about 5 s at the link's cap)
profile() {
  case "$1" in
    1) echo "20ms 25MiB 400MiB 0 2048" ;;
    2) echo "80ms 10MiB 100MiB 0 512" ;;
    3) echo "5ms 100MiB 1GiB 0 4096" ;;
    4) echo "20ms 25MiB 400MiB 0.02 2048" ;;
    *) echo "unknown profile $1 (1 to 4)" >&2; exit 2 ;;
  esac
}

WORK="$(mktemp -d /tmp/lakefs-link-bench.XXXXXX)"
OUT_DIR="$(mktemp -d /dev/shm/lakefs-link-bench.XXXXXX)"
RESULTS="$WORK/results.tsv"
: >"$RESULTS"
PIDS=()
stop_servers() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
  PIDS=()
}
cleanup() { stop_servers; rm -rf "$WORK" "$OUT_DIR"; }
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

# The sink checks no signature; every tool still signs.
export AWS_ACCESS_KEY_ID=sink-key AWS_SECRET_ACCESS_KEY=sink-secret-0123456789 AWS_DEFAULT_REGION=us-east-1
export AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_CONFIG_FILE=/dev/null AWS_EC2_METADATA_DISABLED=true
unset AWS_CA_BUNDLE
export LAKECTL_CREDENTIALS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE
export LAKECTL_CREDENTIALS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY

# start_link PROFILE: the shaper, and an emulator keeping its objects on it.
start_link() {
  local latency per link slowdown size_mib port
  read -r latency per link slowdown size_mib <<<"$(profile "$1")"
  size_mib=$(awk -v s="$size_mib" -v k="$SCALE" 'BEGIN {printf "%d", s * k}')
  SIZE=$((size_mib * 1024 * 1024))
  SIZE_MIB=$size_mib
  port=$(free_port)
  "$SHAPER" --listen "127.0.0.1:$port" --sink-size "$SIZE" --per-connection "$per" \
    --latency "$latency" --link "$link" --slowdown "$slowdown" --seed 1 >"$WORK/shaper.log" 2>&1 &
  PIDS+=($!)
  wait_port "$port"
  S3_URL="http://127.0.0.1:$port"
  port=$(free_port)
  LAKEFS_EMULATOR_S3_SECRET_ACCESS_KEY=sink-secret-0123456789 "$LAKEFS_CLI" emulator --port "$port" \
    --s3-endpoint "$S3_URL" --s3-bucket bench --s3-access-key-id sink-key >"$WORK/emulator.log" 2>&1 &
  PIDS+=($!)
  wait_port "$port"
  export LAKECTL_SERVER_ENDPOINT_URL="http://127.0.0.1:$port"
  cat >"$WORK/rclone.conf" <<EOF
[link]
type = s3
provider = Other
access_key_id = sink-key
secret_access_key = sink-secret-0123456789
endpoint = $S3_URL
region = us-east-1
force_path_style = true
EOF
  # The source: a sparse file (all tools read it alike; the sink keeps nothing).
  SRC="$WORK/source.bin"
  rm -f "$SRC"
  truncate -s "$SIZE" "$SRC"
  LINK="$latency, $per/s per connection, $link/s link$( [ "$slowdown" = 0 ] || echo ", $(awk -v s="$slowdown" 'BEGIN {print s*100}') % 503 SlowDown")"
}

# run PROFILE DIRECTION ROW CMD...: RUNS timed runs.
run() {
  local profile=$1 direction=$2 row=$3; shift 3
  local i tf wall user sys rss
  for i in $(seq 1 "$RUNS"); do
    rm -rf "$OUT_DIR"/*
    tf="$WORK/time"
    if ! "$TIME" -f '%e %U %S %M' -o "$tf" "$@" >"$WORK/log" 2>&1; then
      echo "   $row $direction failed: $(tail -5 "$WORK/log")" >&2
      exit 1
    fi
    read -r wall user sys rss <"$tf"
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$profile" "$direction" "$row" "$wall" "$(awk -v u="$user" -v s="$sys" 'BEGIN {print u+s}')" "$rss" "$SIZE" >>"$RESULTS"
    awk -v r="$row" -v d="$direction" -v w="$wall" -v s="$SIZE" -v m="$rss" \
      'BEGIN {printf "   %-22s %-8s %6.2f s  %7.1f MiB/s  peak RSS %d MiB\n", r, d, w, s/1048576/w, m/1024}' >&2
  done
}

row_command() {
  local direction=$1 row=$2
  local object="lakefs://example-repo/main/link/object.bin"
  case "$direction:$row" in
    upload:auto) echo "$LAKEFS_CLI upload --quiet --no-skip $SRC $object" ;;
    upload:fixed) echo "$LAKEFS_CLI upload --quiet --no-skip -c 8 $SRC $object" ;;
    upload:rclone) echo "$RCLONE --config $WORK/rclone.conf copyto --ignore-checksum --no-check-dest $SRC link:bench/rclone.bin" ;;
    upload:aws) echo "$AWS --endpoint-url $S3_URL s3 cp --only-show-errors $SRC s3://bench/aws.bin" ;;
    download:auto) echo "$LAKEFS_CLI download --quiet --no-verify $object $OUT_DIR/object.bin" ;;
    download:fixed) echo "$LAKEFS_CLI download --quiet --no-verify -c 10 $object $OUT_DIR/object.bin" ;;
    download:rclone) echo "$RCLONE --config $WORK/rclone.conf copyto --ignore-checksum link:bench/object.bin $OUT_DIR/object.bin" ;;
    download:aws) echo "$AWS --endpoint-url $S3_URL s3 cp --only-show-errors s3://bench/object.bin $OUT_DIR/object.bin" ;;
    *) echo "unknown row $row" >&2; exit 2 ;;
  esac
}

row_name() {
  case "$1:$2" in
    upload:auto|download:auto) echo "lakefs-cli (-c auto)" ;;
    upload:fixed) echo "lakefs-cli -c 8" ;;
    download:fixed) echo "lakefs-cli -c 10" ;;
    *:rclone) echo "rclone copyto" ;;
    *:aws) echo "aws s3 cp" ;;
  esac
}

for profile in $PROFILES; do
  start_link "$profile"
  echo "== profile $profile: $LINK; $SIZE_MIB MiB" >&2
  # The object downloads read: staged through the emulator (untimed).
  "$LAKEFS_CLI" upload --quiet "$SRC" lakefs://example-repo/main/link/object.bin >"$WORK/log" 2>&1 \
    || { echo "staging the object failed: $(tail -5 "$WORK/log")" >&2; exit 1; }
  printf '%s\t%s\n' "$profile" "$LINK" >>"$WORK/links.tsv"
  # Rows interleave run by run, so that a slow moment of the machine is shared.
  for direction in $DIRECTIONS; do
    for round in $(seq 1 "$RUNS"); do
      for row in $ROWS; do
        # shellcheck disable=SC2046
        RUNS=1 run "$profile" "$direction" "$(row_name "$direction" "$row")" $(row_command "$direction" "$row")
      done
    done
  done
  stop_servers
done

# --- the table -----------------------------------------------------------------------------------
median() { sort -g | awk '{v[NR]=$1} END {if (NR==0) exit; if (NR%2) print v[(NR+1)/2]; else print (v[NR/2]+v[NR/2+1])/2}'; }
echo
echo "Whole process, $RUNS runs per row (medians), GNU time; MiB/s = object size / wall time."
for profile in $PROFILES; do
  echo
  echo "Profile $profile: $(awk -F'\t' -v p="$profile" '$1==p {print $2}' "$WORK/links.tsv"), $(awk -F'\t' -v p="$profile" '$1==p {print $7/1048576; exit}' "$RESULTS") MiB"
  echo
  echo "| direction | tool | MiB/s | speed ÷ auto's | CPU s | peak RSS MiB |"
  echo "|---|---|---:|---:|---:|---:|"
  for direction in $DIRECTIONS; do
    auto=$(awk -F'\t' -v p="$profile" -v d="$direction" '$1==p && $2==d && $3 ~ /auto/ {print $4}' "$RESULTS" | median)
    for row in $ROWS; do
      name=$(row_name "$direction" "$row")
      wall=$(awk -F'\t' -v p="$profile" -v d="$direction" -v n="$name" '$1==p && $2==d && $3==n {print $4}' "$RESULTS" | median)
      cpu=$(awk -F'\t' -v p="$profile" -v d="$direction" -v n="$name" '$1==p && $2==d && $3==n {print $5}' "$RESULTS" | median)
      rss=$(awk -F'\t' -v p="$profile" -v d="$direction" -v n="$name" '$1==p && $2==d && $3==n && $6>m {m=$6} END {print m}' "$RESULTS")
      size=$(awk -F'\t' -v p="$profile" '$1==p {print $7; exit}' "$RESULTS")
      awk -v d="$direction" -v n="$name" -v w="$wall" -v a="$auto" -v c="$cpu" -v r="$rss" -v s="$size" \
        'BEGIN {printf "| %s | %s | %.0f | %.2f | %.2f | %.0f |\n", d, n, s/1048576/w, a/w, c, r/1024}'
    done
  done
done
echo
echo "versions: $("$LAKEFS_CLI" --version); $("$RCLONE" version 2>/dev/null | head -1); $("$AWS" --version 2>&1)"
