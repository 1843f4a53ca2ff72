-- wrk script for bench.suite: POSTs one JSON body again and again, each request with its own
-- Idempotency-Key, made here per request: "<run nonce>-<thread>-<counter>", unique within a run
-- and, by the nonce, across runs.
--
--   wrk -t1 -c64 -d10s --latency -s bench/wrk_orders.lua http://127.0.0.1:8082/v1/orders \
--       -- <nonce> <bearer token or "-"> <body file>
--
-- At the end it prints one line, "WRK_JSON {...}", with the request count, errors and latency
-- percentiles in microseconds, for the suite to read.

local threads = {}

function setup(thread)
   table.insert(threads, thread)
   thread:set("thread_number", #threads)
end

local nonce, token, body
local counter = 0
local host_header

function init(args)
   nonce = args[1] or tostring(os.time())
   token = args[2] or "-"
   local file = assert(io.open(args[3], "rb"))
   body = file:read("*a")
   file:close()
   host_header = wrk.host .. ":" .. tostring(wrk.port)
end

function request()
   counter = counter + 1
   local headers = {
      ["Host"] = host_header,
      ["Content-Type"] = "application/json",
      ["Idempotency-Key"] = nonce .. "-" .. tostring(thread_number) .. "-" .. tostring(counter),
   }
   if token ~= "-" then
      headers["Authorization"] = "Bearer " .. token
   end
   return wrk.format("POST", wrk.path, headers, body)
end

function done(summary, latency, requests)
   local errors = summary.errors
   io.write(string.format(
      'WRK_JSON {"requests": %d, "duration_us": %d, "bytes": %d, "connect_errors": %d, ' ..
      '"read_errors": %d, "write_errors": %d, "status_errors": %d, "timeouts": %d, ' ..
      '"p50_us": %d, "p90_us": %d, "p99_us": %d, "max_us": %d, "mean_us": %.1f}\n',
      summary.requests, summary.duration, summary.bytes, errors.connect, errors.read,
      errors.write, errors.status, errors.timeout, latency:percentile(50),
      latency:percentile(90), latency:percentile(99), latency.max, latency.mean))
end
