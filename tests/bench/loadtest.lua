-- wrk script of scripts/loadtest.sh: sends the pre-signed webhooks written by
-- switchboard_loadgen, one unique request per line, and optionally paces the requests
-- to a fixed total rate (Debian has no wrk2).
--
-- Environment:
--   LT_REQUESTS  file prefix; wrk thread i reads LT_REQUESTS.<i> (i from 0), one line
--                "<openphone-signature value>\t<body>" per request. When a file runs
--                out it starts again from the top (then ids repeat: the server answers
--                "duplicate"); the count of such wraps is reported.
--   LT_PATH      request path (default /webhooks/openphone)
--   LT_RATE      total requests per second over all threads; unset = as fast as
--                possible. Pacing: each thread owns an equal share of the rate and
--                hands out send slots spaced 1/share apart; delay() holds a
--                connection until its slot. Latency is measured by wrk from the
--                moment the request is written, so it is service time (no
--                coordinated-omission correction as in wrk2), which is what a paced
--                run at half the maximum rate is meant to show.
--   LT_THREADS   number of wrk threads (to split LT_RATE); must match -t.
--
-- At the end prints one machine-readable line:
--   LT_RESULT requests=N duration_s=S rps=R p50_ms=.. p90_ms=.. p99_ms=.. p999_ms=..
--             max_ms=.. non2xx=N errors_connect=.. errors_read=.. errors_write=..
--             errors_timeout=.. wraps=N

local ffi = require("ffi")
ffi.cdef [[
  typedef struct { long tv_sec; long tv_nsec; } lt_timespec;
  int clock_gettime(int clk_id, lt_timespec *tp);
]]
local ts = ffi.new("lt_timespec")
local function now_ms()
  ffi.C.clock_gettime(1, ts) -- CLOCK_MONOTONIC
  return tonumber(ts.tv_sec) * 1000 + tonumber(ts.tv_nsec) / 1e6
end

local prefix = os.getenv("LT_REQUESTS")
local path = os.getenv("LT_PATH") or "/webhooks/openphone"
local rate = tonumber(os.getenv("LT_RATE") or "")
local nthreads = tonumber(os.getenv("LT_THREADS") or "1")

-- Main state: hand out thread numbers and collect per-thread counters.
local threads = {}
local counter = 0
function setup(thread)
  thread:set("tid", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

-- Thread state.
local file
wraps = 0 -- global: done() reads it with thread:get()
local interval_ms
local next_slot

function init(args)
  if prefix == nil then
    error("LT_REQUESTS is not set")
  end
  local name = prefix .. "." .. tostring(tid)
  file = io.open(name, "r")
  if file == nil then
    error("cannot open " .. name)
  end
  if rate ~= nil and rate > 0 then
    interval_ms = 1000.0 * nthreads / rate
  end
end

local headers = { ["Content-Type"] = "application/json" }

function request()
  local line = file:read("*l")
  if line == nil then
    wraps = wraps + 1
    file:seek("set", 0)
    line = file:read("*l")
  end
  local tab = string.find(line, "\t", 1, true)
  headers["openphone-signature"] = string.sub(line, 1, tab - 1)
  return wrk.format("POST", path, headers, string.sub(line, tab + 1))
end

if rate ~= nil and rate > 0 then
  -- Called before each request is sent (also the first on each connection).
  function delay()
    local now = now_ms()
    if next_slot == nil or next_slot < now then
      -- Behind schedule (or starting): do not burst to catch up more than one slot.
      next_slot = now
    end
    local wait = next_slot - now
    next_slot = next_slot + interval_ms
    return math.floor(wait)
  end
end

function done(summary, latency, requests)
  local total_wraps = 0
  for _, t in ipairs(threads) do
    total_wraps = total_wraps + (tonumber(t:get("wraps")) or 0)
  end
  local seconds = summary.duration / 1e6
  local e = summary.errors
  io.write(string.format(
    "LT_RESULT requests=%d duration_s=%.2f rps=%.1f p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f " ..
    "p999_ms=%.3f max_ms=%.3f non2xx=%d errors_connect=%d errors_read=%d errors_write=%d " ..
    "errors_timeout=%d wraps=%d\n",
    summary.requests, seconds, summary.requests / seconds,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000,
    latency:percentile(99) / 1000, latency:percentile(99.9) / 1000, latency.max / 1000,
    e.status, e.connect, e.read, e.write, e.timeout, total_wraps))
end
