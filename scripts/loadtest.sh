#!/usr/bin/env bash
# Load benchmark of the webhook endpoint, in one go:
#
#   1. builds (Release, its own build dir) switchboard, switchboard_bare_server and
#      switchboard_loadgen;
#   2. starts `switchboard serve` with signatures on (a random test key), a durable
#      SQLite database (WAL, synchronous=FULL) in a temp dir, the shipped rules/ and
#      the admin API off; measures its RSS idle;
#   3. wrk, 16 keep-alive connections, 2 threads, LT_DURATION s, pre-signed requests
#      with unique event ids (tests/bench/loadtest.lua) -> maximum throughput, with the
#      server's RSS sampled during the run;
#   4. the same at half that rate (paced in the Lua script; Debian has no wrk2) ->
#      p50/p99 latency;
#   5. the same maximum-throughput run against a bare Poco handler that only reads the
#      body (same thread/queue/keep-alive settings);
#   6. prints the summary with PASS/FAIL against the targets:
#      throughput >= 50% of bare, p99 <= 5 ms at half rate, RSS <= 25 MB idle and
#      <= 64 MB under load.
#
# Everything listens on 127.0.0.1. Exit status: 0 when every target passes, 1 when
# one fails, 2 when the benchmark itself could not run.
#
# Environment (all optional):
#   LT_BUILD_DIR  build directory            (default: <repo>/build-release)
#   LT_NO_BUILD   1: use the binaries already in LT_BUILD_DIR
#   LT_DURATION   seconds per measured run   (default: 20)
#   LT_CONNS      wrk connections            (default: 16)
#   LT_THREADS    wrk threads                (default: 2)
#   LT_COUNT      pre-signed requests for the maximum-rate run (default: 600000,
#                 enough for 30000 req/s over 20 s;
#                 must exceed rate x duration, or ids repeat and the run is flagged)
#   LT_PORT, LT_BARE_PORT                    (default: 18080, 18091)
#   LT_RULES      rules directory            (default: <repo>/rules)
#   LT_VERIFY     true|false: signature verification (default: true; false only
#                 for diagnosis, the targets are defined with signatures on)
#   LT_KEEP       1: keep the temp dir (logs, database) for inspection
# Diagnosis only (the targets are defined with the defaults):
#   LT_DB_DIR     directory of the database (default: the temp dir, on the same disk
#                 as TMPDIR; e.g. /dev/shm to take fsync cost out)
#   LT_SERVER_THREADS  server.threads in the config (default: the server's default, 64)
#   LT_SYNC       server.sync: full (default, the targets' setting: every 200 waits for
#                 an fsync) or normal (the 200 waits for the WAL write only)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${LT_BUILD_DIR:-$ROOT/build-release}
DURATION=${LT_DURATION:-20}
CONNS=${LT_CONNS:-16}
THREADS=${LT_THREADS:-2}
COUNT=${LT_COUNT:-600000}
PORT=${LT_PORT:-18080}
BARE_PORT=${LT_BARE_PORT:-18091}
RULES=${LT_RULES:-$ROOT/rules}
VERIFY=${LT_VERIFY:-true}
LUA=$ROOT/tests/bench/loadtest.lua
WEBHOOK_PATH=/webhooks/openphone

# Targets.
MIN_RATIO=0.50
MAX_P99_MS=5
MAX_RSS_IDLE_KB=$((25 * 1024))
MAX_RSS_LOAD_KB=$((64 * 1024))

log() { echo "loadtest: $*" >&2; }
die() { log "$*"; exit 2; }

# ---- tools ----
if ! command -v wrk >/dev/null 2>&1; then
  log "wrk is missing; installing it"
  if [ "$(id -u)" = 0 ]; then apt-get install -y wrk >/dev/null; else sudo apt-get install -y wrk >/dev/null; fi
fi
command -v wrk >/dev/null || die "wrk is not available"
command -v curl >/dev/null || die "curl is needed"

# ---- build ----
if [ "${LT_NO_BUILD:-0}" != 1 ]; then
  log "building (Release) in $BUILD"
  cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DSWITCHBOARD_BUILD_TESTS=OFF \
    >"${TMPDIR:-/tmp}/loadtest-cmake.$$.log" 2>&1 || { cat "${TMPDIR:-/tmp}/loadtest-cmake.$$.log" >&2; die "cmake failed"; }
  cmake --build "$BUILD" --target switchboard switchboard_bare_server switchboard_loadgen \
    >"${TMPDIR:-/tmp}/loadtest-build.$$.log" 2>&1 || { tail -40 "${TMPDIR:-/tmp}/loadtest-build.$$.log" >&2; die "build failed"; }
  rm -f "${TMPDIR:-/tmp}/loadtest-cmake.$$.log" "${TMPDIR:-/tmp}/loadtest-build.$$.log"
fi
SERVER_BIN=$BUILD/server/switchboard
BARE_BIN=$BUILD/tests/bench/switchboard_bare_server
LOADGEN_BIN=$BUILD/tests/bench/switchboard_loadgen
for b in "$SERVER_BIN" "$BARE_BIN" "$LOADGEN_BIN"; do [ -x "$b" ] || die "missing $b"; done

# ---- temp dir, cleanup ----
WORK=$(mktemp -d "${TMPDIR:-/tmp}/switchboard-loadtest.XXXXXX")
SERVER_PID=""
BARE_PID=""
SAMPLER_PID=""
cleanup() {
  local pid
  for pid in "$SAMPLER_PID" "$SERVER_PID" "$BARE_PID"; do
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid" 2>/dev/null || true
      for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -KILL "$pid" 2>/dev/null || true
    fi
  done
  # The request files are large; the database and logs are kept only on request.
  rm -f "$WORK"/req-*
  [ -n "${LT_DB_DIR:-}" ] && [ -n "${DB_DIR:-}" ] && rm -rf "$DB_DIR"
  if [ "${LT_KEEP:-0}" = 1 ]; then log "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 2' INT TERM

# ---- helpers ----
rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
hwm_kb() { awk '/^VmHWM:/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
TICKS=$(getconf CLK_TCK)
mb() { awk -v k="$1" 'BEGIN { printf "%.1f MB", k / 1024 }'; }

# Samples VmRSS of $1 every 100 ms into $2 (the peak) until killed.
start_sampler() {
  local pid=$1 out=$2
  (
    peak=0
    while kill -0 "$pid" 2>/dev/null; do
      r=$(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)
      [ "${r:-0}" -gt "$peak" ] && { peak=$r; echo "$peak" >"$out"; }
      sleep 0.1
    done
  ) &
  SAMPLER_PID=$!
}
stop_sampler() {
  [ -n "$SAMPLER_PID" ] && kill "$SAMPLER_PID" 2>/dev/null || true
  wait "$SAMPLER_PID" 2>/dev/null || true
  SAMPLER_PID=""
}

wait_http() {  # url
  for _ in $(seq 100); do
    curl -fsS -o /dev/null "$1" 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}

# The value of `key=` in a LT_RESULT line.
field() { sed -n "s/.*[ ]$2=\([^ ]*\).*/\1/p" <<<"$1"; }

# run_wrk NAME PORT REQUEST_PREFIX RATE(0 = max) [WRK_THREADS] -> sets RESULT
run_wrk() {
  local name=$1 port=$2 prefix=$3 rate=$4 threads=${5:-$THREADS} out=$WORK/wrk-$1.txt
  log "wrk $name: $CONNS connections, $threads threads, ${DURATION}s$([ "$rate" != 0 ] && echo ", paced at $rate req/s")"
  local pace=()
  [ "$rate" != 0 ] && pace=(LT_RATE="$rate")
  env LT_REQUESTS="$prefix" LT_PATH="$WEBHOOK_PATH" LT_THREADS="$threads" "${pace[@]}" \
    timeout $((DURATION + 30)) wrk -t"$threads" -c"$CONNS" -d"${DURATION}s" --timeout 5s --latency \
    -s "$LUA" "http://127.0.0.1:$port$WEBHOOK_PATH" >"$out" 2>&1 || { cat "$out" >&2; die "wrk failed"; }
  RESULT=$(grep '^LT_RESULT' "$out") || { cat "$out" >&2; die "no result from wrk"; }
  log "  $RESULT"
}

# gen TAG COUNT [SHARDS] -> request files $WORK/req-TAG.{0..SHARDS-1}
gen() {
  log "generating $2 signed requests ($1)"
  "$LOADGEN_BIN" --key "$KEY" --count "$2" --shards "${3:-$THREADS}" --tag "$1" --out "$WORK/req-$1" 2>&1 |
    sed 's/^/loadtest:   /' >&2
}

inbox_depth() {
  curl -fsS "http://127.0.0.1:$PORT/metrics" 2>/dev/null |
    awk '/^switchboard_inbox_depth/ {print $2; exit}'
}

# ---- the server ----
KEY=$(head -c 32 /dev/urandom | base64 -w0)
if [ -n "${LT_DB_DIR:-}" ]; then
  DB_DIR=$(mktemp -d "$LT_DB_DIR/switchboard-loadtest-db.XXXXXX")
else
  DB_DIR=$WORK/db
  mkdir -p "$DB_DIR"
fi
# The disk's synchronous-write latency: with synchronous=FULL every group commit
# waits for one such write (plus checkpoints), so it bounds latency from below.
FSYNC_MS=$(dd if=/dev/zero of="$DB_DIR/fsync-probe" bs=4k count=100 oflag=dsync 2>&1 |
  awk '/copied/ { for (i = 1; i <= NF; i++) if ($i == "s,") printf "%.2f", $(i-1) * 1000 / 100 }')
rm -f "$DB_DIR/fsync-probe"
SERVER_SECTION=""
SERVER_KEYS="sync: ${LT_SYNC:-full}"
[ -n "${LT_SERVER_THREADS:-}" ] && SERVER_KEYS="$SERVER_KEYS, threads: $LT_SERVER_THREADS"
SERVER_SECTION="server: { $SERVER_KEYS }"
cat >"$WORK/switchboard.yaml" <<EOF
listen: 127.0.0.1:$PORT
database: $DB_DIR/switchboard.db
rules: [$RULES]
$SERVER_SECTION
sources:
  openphone:
    path: $WEBHOOK_PATH
    signing_keys: ["$KEY"]
    verify: $VERIFY
openphone:
  api_base: http://127.0.0.1:9
admin:
  token: ""
EOF

log "machine: $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg) before start"
"$SERVER_BIN" serve --config "$WORK/switchboard.yaml" >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
wait_http "http://127.0.0.1:$PORT/readyz" || { cat "$WORK/server.log" >&2; die "the server did not become ready"; }
sleep 3
RSS_IDLE=$(rss_kb "$SERVER_PID")
log "server pid $SERVER_PID ready; RSS idle $(mb "$RSS_IDLE")"

# Check that a signed request is accepted before measuring anything.
gen CHK 1
line=$(head -n1 "$WORK/req-CHK.0")
status=$(curl -sS -o "$WORK/check.json" -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
  -H "openphone-signature: ${line%%$'\t'*}" --data-binary "${line#*$'\t'}" \
  "http://127.0.0.1:$PORT$WEBHOOK_PATH")
[ "$status" = 200 ] || { cat "$WORK/check.json" >&2; die "a signed request was answered $status, not 200"; }

# Warm-up (caches, SQLite pages, thread pool), not measured.
gen WARM 60000
DURATION_SAVE=$DURATION; DURATION=3
run_wrk warmup "$PORT" "$WORK/req-WARM" 0
DURATION=$DURATION_SAVE

gen MAX "$COUNT"
PEAK_FILE=$WORK/rss-peak
echo 0 >"$PEAK_FILE"
start_sampler "$SERVER_PID" "$PEAK_FILE"
CPU0=$(cpu_ticks "$SERVER_PID")
run_wrk server-max "$PORT" "$WORK/req-MAX" 0
CPU1=$(cpu_ticks "$SERVER_PID")
MAX_RESULT=$RESULT
MAX_RPS=$(field "$MAX_RESULT" rps)
SERVER_CPU_MAX=$(awk -v t=$((CPU1 - CPU0)) -v hz="$TICKS" -v d="$(field "$MAX_RESULT" duration_s)" \
  'BEGIN { printf "%.0f", 100 * t / hz / d }')
DEPTH_AFTER_MAX=$(inbox_depth || echo "?")

# Let the processor catch up before the paced run (bounded), so that the paced run
# measures the steady state at half rate rather than the backlog of the first run.
drain_start=$(date +%s)
for _ in $(seq 120); do
  d=$(inbox_depth || echo 0)
  [ "${d:-0}" = 0 ] && break
  sleep 1
done
DRAIN_S=$(($(date +%s) - drain_start))
DEPTH_BEFORE_HALF=$(inbox_depth || echo "?")
log "inbox depth after the max run: $DEPTH_AFTER_MAX; drained in ${DRAIN_S}s to $DEPTH_BEFORE_HALF"

HALF_RATE=$(awk -v r="$MAX_RPS" 'BEGIN { printf "%d", r / 2 }')
# One wrk thread paces all connections together: with several, each thread owns a
# fixed share of the rate, and a thread whose connections all wait in the server's
# queue would take its share out of the run.
gen HALF $(awk -v r="$HALF_RATE" -v d="$DURATION" 'BEGIN { printf "%d", r * d * 1.2 + 2000 }') 1
CPU0=$(cpu_ticks "$SERVER_PID")
run_wrk server-half "$PORT" "$WORK/req-HALF" "$HALF_RATE" 1
CPU1=$(cpu_ticks "$SERVER_PID")
HALF_RESULT=$RESULT
SERVER_CPU_HALF=$(awk -v t=$((CPU1 - CPU0)) -v hz="$TICKS" -v d="$(field "$HALF_RESULT" duration_s)" \
  'BEGIN { printf "%.0f", 100 * t / hz / d }')
DEPTH_AFTER_HALF=$(inbox_depth || echo "?")
stop_sampler
RSS_LOAD_SAMPLED=$(cat "$PEAK_FILE")
RSS_HWM=$(hwm_kb "$SERVER_PID")
RSS_AFTER=$(rss_kb "$SERVER_PID")
RSS_LOAD=$((RSS_LOAD_SAMPLED > RSS_HWM ? RSS_LOAD_SAMPLED : RSS_HWM))
EVENTS_STORED=$(sqlite3 "file:$DB_DIR/switchboard.db?mode=ro" \
  "SELECT count(*) FROM switchboard_events" 2>/dev/null || echo "?")

kill -TERM "$SERVER_PID"
wait "$SERVER_PID" 2>/dev/null || true
SERVER_PID=""

# ---- the bare handler ----
"$BARE_BIN" --port "$BARE_PORT" >"$WORK/bare.log" 2>&1 &
BARE_PID=$!
wait_http "http://127.0.0.1:$BARE_PORT/" || { cat "$WORK/bare.log" >&2; die "the bare server did not start"; }
DURATION_SAVE=$DURATION; DURATION=3
run_wrk bare-warmup "$BARE_PORT" "$WORK/req-WARM" 0
DURATION=$DURATION_SAVE
CPU0=$(cpu_ticks "$BARE_PID")
run_wrk bare-max "$BARE_PORT" "$WORK/req-MAX" 0
CPU1=$(cpu_ticks "$BARE_PID")
BARE_RESULT=$RESULT
BARE_RPS=$(field "$BARE_RESULT" rps)
BARE_CPU=$(awk -v t=$((CPU1 - CPU0)) -v hz="$TICKS" -v d="$(field "$BARE_RESULT" duration_s)" \
  'BEGIN { printf "%.0f", 100 * t / hz / d }')
kill -TERM "$BARE_PID"
wait "$BARE_PID" 2>/dev/null || true
BARE_PID=""

# ---- summary ----
verdict() { if [ "$1" = 1 ]; then echo PASS; else echo FAIL; fi; }
RATIO=$(awk -v a="$MAX_RPS" -v b="$BARE_RPS" 'BEGIN { printf "%.3f", (b > 0 ? a / b : 0) }')
P50=$(field "$HALF_RESULT" p50_ms)
P99=$(field "$HALF_RESULT" p99_ms)
ok_ratio=$(awk -v r="$RATIO" -v m="$MIN_RATIO" 'BEGIN { print (r >= m) ? 1 : 0 }')
ok_p99=$(awk -v p="$P99" -v m="$MAX_P99_MS" 'BEGIN { print (p <= m) ? 1 : 0 }')
ok_idle=$([ "$RSS_IDLE" -le "$MAX_RSS_IDLE_KB" ] && echo 1 || echo 0)
ok_load=$([ "$RSS_LOAD" -le "$MAX_RSS_LOAD_KB" ] && echo 1 || echo 0)
FAILED=0
[ "$ok_ratio$ok_p99$ok_idle$ok_load" = 1111 ] || FAILED=1
# A run is valid when every answer was 2xx, without socket errors, and ids did not repeat.
valid() {
  local r=$1 wraps_ok=${2:-0}
  [ "$(field "$r" non2xx)" = 0 ] && [ "$(field "$r" errors_timeout)" = 0 ] &&
    [ "$(field "$r" errors_read)" = 0 ] && [ "$(field "$r" errors_write)" = 0 ] &&
    [ "$(field "$r" errors_connect)" = 0 ] && { [ "$wraps_ok" = 1 ] || [ "$(field "$r" wraps)" = 0 ]; }
}
notes() {
  local r=$1
  echo "non-2xx $(field "$r" non2xx), errors c/r/w/t $(field "$r" errors_connect)/$(field "$r" errors_read)/$(field "$r" errors_write)/$(field "$r" errors_timeout), id wraps $(field "$r" wraps)"
}

POCO_NOTE=""
if [ "$CONNS" -gt "${LT_SERVER_THREADS:-64}" ]; then
  POCO_NOTE="note:      Poco serves a keep-alive connection on one thread until it closes (here
           after 1000 requests or 10 s idle): with $CONNS connections and ${LT_SERVER_THREADS:-64} threads
           the other connections wait in the accept queue meanwhile; that wait shows in
           p90/p99 and as timeouts (for both servers).
"
fi
cat <<EOF

==================== switchboard load test ====================
machine:   $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')), load average now $(cut -d' ' -f1-3 /proc/loadavg)
           wrk ($THREADS threads) and the server share these CPUs: the numbers are
           lower bounds of what the server alone would do.
workload:  POST $WEBHOOK_PATH, message.received (~600-byte body), unique ids, legacy
           signature (verify: $VERIFY), SQLite WAL, server.sync: ${LT_SYNC:-full}, rules: $RULES
           database in $DB_DIR: one 4 KiB O_DSYNC write takes ${FSYNC_MS} ms there
           server.threads ${LT_SERVER_THREADS:-64 (default)}
           wrk: $CONNS keep-alive connections, $THREADS threads (paced run: 1), ${DURATION}s per run

server, max rate:   $(printf '%9.0f' "$MAX_RPS") req/s  p50 $(field "$MAX_RESULT" p50_ms) ms  p99 $(field "$MAX_RESULT" p99_ms) ms  server CPU ${SERVER_CPU_MAX}%
                    $(notes "$MAX_RESULT")
                    inbox depth after the run $DEPTH_AFTER_MAX (drained in ${DRAIN_S}s)
bare Poco handler:  $(printf '%9.0f' "$BARE_RPS") req/s  p50 $(field "$BARE_RESULT" p50_ms) ms  p99 $(field "$BARE_RESULT" p99_ms) ms  server CPU ${BARE_CPU}%
                    $(notes "$BARE_RESULT") (bare: repeated ids are harmless)
server, half rate:  target $HALF_RATE req/s, achieved $(field "$HALF_RESULT" rps) req/s  server CPU ${SERVER_CPU_HALF}%
                    p50 $P50 ms  p90 $(field "$HALF_RESULT" p90_ms) ms  p99 $P99 ms  p99.9 $(field "$HALF_RESULT" p999_ms) ms  max $(field "$HALF_RESULT" max_ms) ms
                    $(notes "$HALF_RESULT"); inbox depth after $DEPTH_AFTER_HALF
server RSS:         idle $(mb "$RSS_IDLE"), under load $(mb "$RSS_LOAD") (peak sampled $(mb "$RSS_LOAD_SAMPLED"), VmHWM $(mb "$RSS_HWM")), after $(mb "$RSS_AFTER")
events stored:      $EVENTS_STORED

${POCO_NOTE}targets:
  throughput ratio server/bare  $RATIO  (>= $MIN_RATIO)   $(verdict "$ok_ratio")
  p99 at half rate              $P99 ms  (<= $MAX_P99_MS ms)   $(verdict "$ok_p99")
  RSS idle                      $(mb "$RSS_IDLE")  (<= 25 MB)   $(verdict "$ok_idle")
  RSS under load                $(mb "$RSS_LOAD")  (<= 64 MB)   $(verdict "$ok_load")
EOF
for r in "server-max:$MAX_RESULT" "server-half:$HALF_RESULT" "bare-max:$BARE_RESULT"; do
  valid "${r#*:}" "$([ "${r%%:*}" = bare-max ] && echo 1 || echo 0)" || { FAILED=1; echo "WARNING: run ${r%%:*} had socket errors or timeouts (> 5 s), non-2xx answers or repeated ids"; }
done
echo "================================================================"
exit "$FAILED"
