-- wrk script of `make bench` (bench/run.py): one connection per wrk thread (-t N -c N), each
-- cycling through its own list of requests with its own user's session cookie.
--
-- Environment (set by bench/run.py):
--   BENCH_WRK_REQUESTS  file of lines "thread<TAB>METHOD<TAB>path<TAB>cookie<TAB>form body"
--   BENCH_WRK_THREADS   number of wrk threads (= connections)
--   BENCH_WRK_RATE      total requests per second to pace to; 0 or unset: as fast as possible
--   BENCH_WRK_OUT       where done() writes its JSON summary

local ffi = require("ffi")
ffi.cdef [[
typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
int clock_gettime(int clock_id, bench_timespec *tp);
]]
local CLOCK_MONOTONIC = 1
local clock = ffi.new("bench_timespec")

local function now_ms()
  ffi.C.clock_gettime(CLOCK_MONOTONIC, clock)
  return tonumber(clock.tv_sec) * 1000 + tonumber(clock.tv_nsec) / 1e6
end

local threads = {}
local created = 0

function setup(thread)
  thread:set("id", created)
  created = created + 1
  table.insert(threads, thread)
end

local function parse(line)
  return line:match("^(%d+)\t(%u+)\t([^\t]+)\t([^\t]*)\t?(.*)$")
end

local function build(method, path, cookie, body)
  local headers = { ["Cookie"] = cookie }
  if method == "POST" then
    headers["Content-Type"] = "application/x-www-form-urlencoded"
    return wrk.format(method, path, headers, body)
  end
  return wrk.format(method, path, headers, nil)
end

function init(args)
  queue = {}
  for line in io.lines(os.getenv("BENCH_WRK_REQUESTS")) do
    local thread, method, path, cookie, body = parse(line)
    if thread ~= nil and tonumber(thread) == id then
      table.insert(queue, build(method, path, cookie, body))
    end
  end
  if #queue == 0 then
    error("bench: no requests for thread " .. id)
  end
  position = 0
  s1, s2, s3, s4, s5 = 0, 0, 0, 0, 0
  local rate = tonumber(os.getenv("BENCH_WRK_RATE") or "0") or 0
  local count = tonumber(os.getenv("BENCH_WRK_THREADS") or "1") or 1
  interval = 0
  if rate > 0 then
    interval = 1000 * count / rate
  end
  -- Threads start staggered over one interval, so the paced load is even, not in bursts.
  due = nil
  offset = interval * id / count
end

function request()
  position = position % #queue + 1
  return queue[position]
end

function delay()
  if interval == 0 then
    return 0
  end
  local now = now_ms()
  if due == nil then
    due = now + offset
  else
    due = due + interval
  end
  local wait = due - now
  if wait < 0 then
    return 0
  end
  return wait
end

function response(status, headers, body)
  local class = math.floor(status / 100)
  if class == 1 then s1 = s1 + 1
  elseif class == 2 then s2 = s2 + 1
  elseif class == 3 then s3 = s3 + 1
  elseif class == 4 then s4 = s4 + 1
  else s5 = s5 + 1 end
end

local function statuses()
  local total = { 0, 0, 0, 0, 0 }
  for _, thread in ipairs(threads) do
    for class = 1, 5 do
      total[class] = total[class] + (thread:get("s" .. class) or 0)
    end
  end
  return string.format(
    '{"1xx": %d, "2xx": %d, "3xx": %d, "4xx": %d, "5xx": %d}',
    total[1], total[2], total[3], total[4], total[5]
  )
end

function done(summary, latency, requests)
  local errors = summary.errors
  local out = assert(io.open(os.getenv("BENCH_WRK_OUT"), "w"))
  out:write(string.format(
    '{"requests": %d, "duration_us": %d, "bytes": %d, ' ..
    '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, ' ..
    '"latency_us": {"mean": %.1f, "max": %d, "p50": %d, "p90": %d, "p95": %d, "p99": %d}, ' ..
    '"status": %s}\n',
    summary.requests, summary.duration, summary.bytes,
    errors.connect, errors.read, errors.write, errors.status, errors.timeout,
    latency.mean, latency.max, latency:percentile(50), latency:percentile(90),
    latency:percentile(95), latency:percentile(99),
    statuses()
  ))
  out:close()
end
