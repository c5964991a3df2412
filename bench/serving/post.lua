-- wrk script for the serving benchmark: POST one JSON body, then print the figures as JSON.
--
--   BENCH_BODY=bench/out/serving/request.json \
--     wrk -t1 -c8 -d15s -s bench/serving/post.lua http://127.0.0.1:8000/v2/models/credit/infer
--
-- BENCH_BODY names the file that holds the request body. BENCH_TOKEN, when set, is sent as
-- "Authorization: Bearer <token>" (to every server, so the requests stay identical).
-- done() prints one line, "BENCH_JSON {...}", with latencies in milliseconds; "errors" counts
-- non-2xx/3xx answers plus socket errors (connect, read, write, timeout).

local path = os.getenv("BENCH_BODY")
if path == nil or path == "" then
  error("set BENCH_BODY to the file holding the request body")
end
local file = assert(io.open(path, "rb"))
wrk.method = "POST"
wrk.body = file:read("*a")
file:close()
wrk.headers["Content-Type"] = "application/json"
local token = os.getenv("BENCH_TOKEN")
if token ~= nil and token ~= "" then
  wrk.headers["Authorization"] = "Bearer " .. token
end

local function ms(us)
  return string.format("%.3f", us / 1000.0)
end

function done(summary, latency, requests)
  local e = summary.errors
  local socket_errors = e.connect + e.read + e.write + e.timeout
  local seconds = summary.duration / 1e6
  io.write(string.format(
    'BENCH_JSON {"requests": %d, "duration_s": %.3f, "rps": %.2f, "p50_ms": %s, "p90_ms": %s, '
      .. '"p99_ms": %s, "max_ms": %s, "mean_ms": %s, "errors": %d, "non_2xx": %d, '
      .. '"socket_errors": %d}\n',
    summary.requests, seconds, summary.requests / seconds,
    ms(latency:percentile(50)), ms(latency:percentile(90)), ms(latency:percentile(99)),
    ms(latency.max), ms(latency.mean), e.status + socket_errors, e.status, socket_errors))
end
