#!/usr/bin/env bash
# Soak test of `switchboard serve` (not part of CI): does the server leak memory, file
# descriptors or threads under steady load?
#
#   1. builds (Release, its own build dir) switchboard, switchboard_loadgen and
#      switchboard_bare_server, as scripts/loadtest.sh does;
#   2. starts `switchboard serve` with signatures on (a random key), a durable SQLite
#      database (WAL, synchronous=FULL) in a temp dir and the shipped rules/; the
#      OpenPhone API is the bare Poco server (answers 200), so the rules' sends are
#      delivered, not dead-lettered;
#   3. measures the maximum rate (wrk, 16 connections, SOAK_MAX_S seconds, pre-signed
#      unique requests from switchboard_loadgen, tests/bench/loadtest.lua), unless
#      SOAK_RATE is given;
#   4. runs at half that rate for SOAK_MINUTES minutes, in segments of at most 60 s
#      (each segment's requests are signed just before it starts: signatures are only
#      valid for the server's 5-minute tolerance), and samples the server every
#      SOAK_SAMPLE_S seconds into a CSV: VmRSS, open file descriptors
#      (/proc/PID/fd), threads (/proc/PID/status), inbox and outbox depth;
#   5. reports growth after warm-up: the mean of the last minute against the mean of
#      minute 2, PASS when RSS, descriptors and threads each grew by at most 5 % and
#      the inbox and outbox drained (back to 0) within 30 s after the load stopped.
#
# Exit status: 0 PASS, 1 FAIL, 2 the soak itself could not run.
#
# Environment (all optional):
#   SOAK_MINUTES   minutes of load at half rate   (default 10; at least 3)
#   SOAK_SAMPLE_S  seconds between samples        (default 5)
#   SOAK_RATE      req/s of the soak; skips the maximum-rate measurement
#   SOAK_MAX_S     seconds of the maximum-rate run (default 10)
#   SOAK_BUILD_DIR build directory                (default <repo>/build-release)
#   SOAK_NO_BUILD  1: use the binaries already in SOAK_BUILD_DIR
#   SOAK_PORT, SOAK_API_PORT                      (default 18280, 18291)
#   SOAK_RULES     rules directory                (default <repo>/rules)
#   SOAK_OUT       where the CSV and the summary go (default: a new temp dir, kept)
#   SOAK_MAX_GROWTH_PCT  the limit                (default 5)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${SOAK_BUILD_DIR:-$ROOT/build-release}
MINUTES=${SOAK_MINUTES:-10}
SAMPLE_S=${SOAK_SAMPLE_S:-5}
MAX_S=${SOAK_MAX_S:-10}
PORT=${SOAK_PORT:-18280}
API_PORT=${SOAK_API_PORT:-18291}
RULES=${SOAK_RULES:-$ROOT/rules}
MAX_GROWTH_PCT=${SOAK_MAX_GROWTH_PCT:-5}
LUA=$ROOT/tests/bench/loadtest.lua
WEBHOOK_PATH=/webhooks/openphone
CONNS=16        # the maximum-rate run, as scripts/loadtest.sh
PACED_CONNS=8   # the soak: leaves request threads free so the sampler's /metrics is not queued
SEGMENT_S=60

log() { echo "soak: $*" >&2; }
die() { log "$*"; exit 2; }

[ "$MINUTES" -ge 3 ] 2>/dev/null || die "SOAK_MINUTES must be a whole number >= 3 (warm-up, minute 2, last minute)"
command -v wrk >/dev/null || die "wrk is needed (apt-get install wrk)"
command -v curl >/dev/null || die "curl is needed"

# ---- build ----
if [ "${SOAK_NO_BUILD:-0}" != 1 ]; then
  log "building (Release) in $BUILD"
  cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DSWITCHBOARD_BUILD_TESTS=OFF \
    >"${TMPDIR:-/tmp}/soak-cmake.$$.log" 2>&1 || { cat "${TMPDIR:-/tmp}/soak-cmake.$$.log" >&2; die "cmake failed"; }
  cmake --build "$BUILD" --target switchboard switchboard_bare_server switchboard_loadgen \
    >"${TMPDIR:-/tmp}/soak-build.$$.log" 2>&1 || { tail -40 "${TMPDIR:-/tmp}/soak-build.$$.log" >&2; die "build failed"; }
  rm -f "${TMPDIR:-/tmp}/soak-cmake.$$.log" "${TMPDIR:-/tmp}/soak-build.$$.log"
fi
SERVER_BIN=$BUILD/server/switchboard
BARE_BIN=$BUILD/tests/bench/switchboard_bare_server
LOADGEN_BIN=$BUILD/tests/bench/switchboard_loadgen
for b in "$SERVER_BIN" "$BARE_BIN" "$LOADGEN_BIN"; do [ -x "$b" ] || die "missing $b"; done

# ---- temp dir, cleanup ----
WORK=$(mktemp -d "${TMPDIR:-/tmp}/switchboard-soak.XXXXXX")
OUT=${SOAK_OUT:-$WORK}
mkdir -p "$OUT"
CSV=$OUT/soak.csv
SERVER_PID=""
API_PID=""
SAMPLER_PID=""
GEN_PID=""
cleanup() {
  local pid
  for pid in "$SAMPLER_PID" "$GEN_PID" "$SERVER_PID" "$API_PID"; do
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid" 2>/dev/null || true
      for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -KILL "$pid" 2>/dev/null || true
    fi
  done
  # Request files and the database are large; the CSV, logs and summary stay.
  rm -f "$WORK"/req-* "$WORK"/db/switchboard.db*
}
trap cleanup EXIT
trap 'exit 2' INT TERM

# ---- helpers ----
field() { sed -n "s/.*[ ]$2=\([^ ]*\).*/\1/p" <<<"$1"; }
metric() {  # name -> value from /metrics, or empty
  curl -fsS --max-time 2 "http://127.0.0.1:$PORT/metrics" 2>/dev/null |
    awk -v m="$1" '$1 == m {print $2; exit}'
}
wait_http() {
  for _ in $(seq 100); do
    curl -fsS -o /dev/null "$1" 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}
gen() {  # TAG COUNT [SHARDS] -> $WORK/req-TAG.{0..SHARDS-1}
  "$LOADGEN_BIN" --key "$KEY" --count "$2" --shards "${3:-1}" --tag "$1" --out "$WORK/req-$1" >/dev/null 2>&1
}
# run_wrk NAME PREFIX RATE(0 = max) SECONDS -> RESULT
run_wrk() {
  local name=$1 prefix=$2 rate=$3 secs=$4 threads=1 out=$WORK/wrk-$1.txt
  local pace=()
  local conns=$CONNS
  if [ "$rate" = 0 ]; then threads=2; else pace=(LT_RATE="$rate"); conns=$PACED_CONNS; fi
  env LT_REQUESTS="$prefix" LT_PATH="$WEBHOOK_PATH" LT_THREADS="$threads" "${pace[@]}" \
    timeout $((secs + 30)) wrk -t"$threads" -c"$conns" -d"${secs}s" --timeout 5s --latency \
    -s "$LUA" "http://127.0.0.1:$PORT$WEBHOOK_PATH" >"$out" 2>&1 || { cat "$out" >&2; die "wrk failed"; }
  RESULT=$(grep '^LT_RESULT' "$out") || { cat "$out" >&2; die "no result from wrk"; }
}

# ---- the fake API and the server ----
"$BARE_BIN" --port "$API_PORT" >"$OUT/api.log" 2>&1 &
API_PID=$!
wait_http "http://127.0.0.1:$API_PORT/" || { cat "$OUT/api.log" >&2; die "the fake API did not start"; }

KEY=$(head -c 32 /dev/urandom | base64 -w0)
mkdir -p "$WORK/db"
cat >"$WORK/switchboard.yaml" <<EOF
listen: 127.0.0.1:$PORT
database: $WORK/db/switchboard.db
rules: [$RULES]
sources:
  openphone:
    path: $WEBHOOK_PATH
    signing_keys: ["$KEY"]
openphone:
  api_key: soak-key
  api_base: http://127.0.0.1:$API_PORT
admin:
  token: ""
EOF
"$SERVER_BIN" serve --config "$WORK/switchboard.yaml" >"$OUT/server.log" 2>&1 &
SERVER_PID=$!
wait_http "http://127.0.0.1:$PORT/readyz" || { cat "$OUT/server.log" >&2; die "the server did not become ready"; }
log "server pid $SERVER_PID ready; output in $OUT"

# ---- the rate ----
if [ -n "${SOAK_RATE:-}" ]; then
  RATE=$SOAK_RATE
  MAX_RPS="(not measured)"
else
  gen MAX $((30000 * MAX_S)) 2
  run_wrk max "$WORK/req-MAX" 0 "$MAX_S"
  rm -f "$WORK"/req-MAX*
  MAX_RPS=$(field "$RESULT" rps)
  RATE=$(awk -v r="$MAX_RPS" 'BEGIN { printf "%d", r / 2 }')
  log "maximum rate $MAX_RPS req/s -> soak at $RATE req/s"
  # Let the inbox drain so the soak starts from a steady state.
  for _ in $(seq 120); do [ "$(metric switchboard_inbox_depth)" = 0 ] && break; sleep 1; done
fi
[ "$RATE" -gt 0 ] 2>/dev/null || die "no usable rate ($RATE)"

# ---- the sampler ----
echo "elapsed_s,rss_kb,fds,threads,inbox_depth,outbox_depth,rss_anon_kb,rss_file_kb,rss_shmem_kb,db_kb,wal_kb,shm_kb" >"$CSV"
START=$(date +%s)
(
  kb() { [ -f "$1" ] && echo $(($(stat -c %s "$1") / 1024)) || echo 0; }
  while kill -0 "$SERVER_PID" 2>/dev/null; do
    now=$(date +%s)
    status=$(cat "/proc/$SERVER_PID/status" 2>/dev/null || true)
    rss=$(awk '/^VmRSS:/ {print $2}' <<<"$status")
    thr=$(awk '/^Threads:/ {print $2}' <<<"$status")
    anon=$(awk '/^RssAnon:/ {print $2}' <<<"$status")
    file=$(awk '/^RssFile:/ {print $2}' <<<"$status")
    shmem=$(awk '/^RssShmem:/ {print $2}' <<<"$status")
    fds=$(ls "/proc/$SERVER_PID/fd" 2>/dev/null | wc -l)
    page=$(curl -fsS --max-time 4 "http://127.0.0.1:$PORT/metrics" 2>/dev/null || true)
    inbox=$(awk '$1 == "switchboard_inbox_depth" {print $2; exit}' <<<"$page")
    outbox=$(awk '$1 == "switchboard_outbox_depth" {print $2; exit}' <<<"$page")
    db=$WORK/db/switchboard.db
    echo "$((now - START)),$rss,$fds,$thr,$inbox,$outbox,$anon,$file,$shmem,$(kb "$db"),$(kb "$db-wal"),$(kb "$db-shm")" >>"$CSV"
    sleep "$SAMPLE_S"
  done
) &
SAMPLER_PID=$!

# ---- the soak: segments of fresh, signed requests at RATE ----
TOTAL_S=$((MINUTES * 60))
PER_SEGMENT=$(awk -v r="$RATE" -v s="$SEGMENT_S" 'BEGIN { printf "%d", r * s * 1.1 + 1000 }')
seg=0
gen "S$seg" "$PER_SEGMENT"
REQUESTS=0; NON2XX=0; ERRORS=0; WRAPS=0; P99_MAX=0
while :; do
  left=$((TOTAL_S - ($(date +%s) - START)))
  [ "$left" -gt 1 ] || break
  secs=$((left < SEGMENT_S ? left : SEGMENT_S))
  # Sign the next segment while this one runs.
  next=$((seg + 1))
  ( gen "S$next" "$PER_SEGMENT" ) &
  GEN_PID=$!
  run_wrk "seg$seg" "$WORK/req-S$seg" "$RATE" "$secs"
  wait "$GEN_PID" || die "generating requests failed"
  GEN_PID=""
  rm -f "$WORK/req-S$seg".*
  REQUESTS=$((REQUESTS + $(field "$RESULT" requests)))
  NON2XX=$((NON2XX + $(field "$RESULT" non2xx)))
  ERRORS=$((ERRORS + $(field "$RESULT" errors_connect) + $(field "$RESULT" errors_read) + $(field "$RESULT" errors_write) + $(field "$RESULT" errors_timeout)))
  WRAPS=$((WRAPS + $(field "$RESULT" wraps)))
  P99_MAX=$(awk -v a="$P99_MAX" -v b="$(field "$RESULT" p99_ms)" 'BEGIN { print (b > a) ? b : a }')
  log "segment $seg: $(field "$RESULT" rps) req/s, p99 $(field "$RESULT" p99_ms) ms, non-2xx $(field "$RESULT" non2xx)"
  seg=$next
done
# After the load: the backlog must drain (inbox and outbox back to 0) within 30 s.
DRAINED=no
for _ in $(seq 30); do
  if [ "$(metric switchboard_inbox_depth)" = 0 ] && [ "$(metric switchboard_outbox_depth)" = 0 ]; then
    DRAINED=yes
    break
  fi
  sleep 1
done
DEPTHS_END="inbox $(metric switchboard_inbox_depth), outbox $(metric switchboard_outbox_depth)"
sleep "$SAMPLE_S"
kill "$SAMPLER_PID" 2>/dev/null || true
wait "$SAMPLER_PID" 2>/dev/null || true
SAMPLER_PID=""
EVENTS=$(sqlite3 "file:$WORK/db/switchboard.db?mode=ro" "SELECT count(*) FROM switchboard_events" 2>/dev/null || echo "?")
DB_MB=$(du -cm "$WORK"/db/switchboard.db* 2>/dev/null | awk 'END {print $1}')

kill -TERM "$SERVER_PID"
wait "$SERVER_PID" 2>/dev/null && EXIT=0 || EXIT=$?
SERVER_PID=""

# ---- the report ----
# mean of column $1 over samples with $2 <= elapsed < $3
mean() {
  awk -F, -v c="$1" -v a="$2" -v b="$3" 'NR > 1 && $1 >= a && $1 < b && $c != "" { s += $c; n++ }
    END { if (n) printf "%.1f", s / n; else print "nan" }' "$CSV"
}
LAST_FROM=$((TOTAL_S - 60))
FAILED=0
rows=""
for spec in "2:rss_kb" "3:fds" "4:threads"; do
  col=${spec%%:*}; name=${spec#*:}
  base=$(mean "$col" 60 120)
  last=$(mean "$col" "$LAST_FROM" "$TOTAL_S")
  growth=$(awk -v a="$base" -v b="$last" 'BEGIN { if (a > 0) printf "%.1f", 100 * (b - a) / a; else print "nan" }')
  ok=$(awk -v g="$growth" -v m="$MAX_GROWTH_PCT" 'BEGIN { print (g != "nan" && g <= m) ? "PASS" : "FAIL" }')
  [ "$ok" = PASS ] || FAILED=1
  rows+=$(printf '  %-8s minute 2 mean %10s   last minute mean %10s   growth %6s %%   %s\n' "$name" "$base" "$last" "$growth" "$ok")$'\n'
done
WAL_LAST=$(awk -F, 'NR > 1 && $11 != "" { w = $11 } END { printf "%.0f", w / 1024 }' "$CSV")
SHM_LAST=$(awk -F, 'NR > 1 && $12 != "" { w = $12 } END { print w + 0 }' "$CSV")
# Where RSS growth comes from (not part of the verdict): heap and stacks (RssAnon)
# or file mappings (RssFile: the binary, libraries and SQLite's -shm wal-index).
info=""
for spec in "7:rss_anon_kb" "8:rss_file_kb" "11:wal_kb"; do
  col=${spec%%:*}; name=${spec#*:}
  base=$(mean "$col" 60 120)
  last=$(mean "$col" "$LAST_FROM" "$TOTAL_S")
  growth=$(awk -v a="$base" -v b="$last" 'BEGIN { if (a > 0) printf "%.1f", 100 * (b - a) / a; else print "nan" }')
  info+=$(printf '  %-12s minute 2 mean %12s   last minute mean %12s   growth %6s %%\n' "$name" "$base" "$last" "$growth")$'\n'
done
[ "$DRAINED" = yes ] || FAILED=1
PEAK_RSS=$(awk -F, 'NR > 1 && $2 > m { m = $2 } END { print m + 0 }' "$CSV")
SUMMARY=$OUT/summary.txt
cat <<EOF | tee "$SUMMARY"

==================== switchboard soak ====================
machine:   $(nproc) CPUs, load average now $(cut -d' ' -f1-3 /proc/loadavg)
server:    $SERVER_BIN (Release), signatures on, SQLite WAL synchronous=FULL,
           rules $RULES, fake API (bare Poco server, 200) for the sends
rate:      maximum $MAX_RPS req/s; soak at $RATE req/s for $MINUTES min
requests:  $REQUESTS sent (non-2xx $NON2XX, socket errors/timeouts $ERRORS, id wraps $WRAPS);
           worst segment p99 $P99_MAX ms; events stored $EVENTS; database ${DB_MB} MB
           at the end: WAL ${WAL_LAST} MB, wal-index (-shm) ${SHM_LAST} kB
samples:   every ${SAMPLE_S}s in $CSV; peak RSS $PEAK_RSS kB; server exit status $EXIT
growth after warm-up (mean of the last minute vs mean of minute 2, limit ${MAX_GROWTH_PCT}%):
${rows}  backlog  drained within 30 s after the load: $DRAINED ($DEPTHS_END)   $([ "$DRAINED" = yes ] && echo PASS || echo FAIL)
breakdown (information, not part of the verdict):
${info}verdict:   $([ "$FAILED" = 0 ] && echo PASS || echo FAIL)
==========================================================
EOF
[ "$NON2XX" = 0 ] && [ "$ERRORS" = 0 ] || log "WARNING: the load had non-2xx answers or socket errors (see $WORK/wrk-*.txt)"
exit "$FAILED"
