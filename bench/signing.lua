-- wrk script for bench/signing.
--
-- Arguments after "--":  mode  path  csrf_cookie  csrf_field  run_id  send_seconds  proofs
--   csrf_cookie and csrf_field: a cookie to send ("" for none: the signing page sets
--                none) and the form_token hidden field of one GET of the signing
--                page (valid for any number of POSTs in its time window).
--   mode "sign": POST a complete, valid signing form with a unique e-mail
--                address per request; the expected answer is a 302 redirect.
--   mode "get":  GET the path; the expected answer is 200.
--   proofs:      "" or the prefix of files (one per thread, "<prefix><thread id>") of
--                solved proof-of-work challenges, url-encoded, one per line
--                (bench/signing --challenge); each request sends the next one.
--
-- Each connection stops sending new requests after send_seconds (the delay()
-- hook parks it), while wrk itself runs a few seconds longer. Requests still
-- in flight at that moment therefore get their answers before wrk stops, so
-- every submission the server stored was also seen by wrk, and the row count
-- can be compared exactly with the number of 302 answers.
--
-- A parked connection is idle, so gunicorn closes it after its keep-alive
-- time (2 s); wrk counts that as a read error, reconnects, and the connection
-- parks again. "parks" counts every parking, so bench/signing can discount
-- exactly these (parks - connections) closes from wrk's socket errors.
--
-- done() prints one line "BENCH-RESULT {json}" that bench/signing parses.

local ffi = require("ffi")
ffi.cdef [[
typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
int clock_gettime(int clk_id, bench_timespec *tp);
]]
local CLOCK_MONOTONIC = 1
local timespec = ffi.new("bench_timespec")

local function now()
   ffi.C.clock_gettime(CLOCK_MONOTONIC, timespec)
   return tonumber(timespec.tv_sec) + tonumber(timespec.tv_nsec) * 1e-9
end

-- Main Lua state: every thread, so that done() can add up their counters.
local threads = {}

function setup(thread)
   table.insert(threads, thread)
   thread:set("thread_id", #threads)
end

-- Per-thread state (each wrk thread has its own Lua state).
function init(args)
   mode = args[1]
   path = args[2]
   local cookie = args[3]
   local field = args[4]
   run_id = args[5]
   send_seconds = tonumber(args[6])
   proofs = {}
   if args[7] and args[7] ~= "" then
      for line in io.lines(args[7] .. thread_id) do
         if line ~= "" then table.insert(proofs, line) end
      end
   end
   expected = (mode == "sign") and 302 or 200
   sent = 0
   parks = 0
   answered = 0
   acknowledged = 0
   unexpected = {}
   first_sent = 0
   last_answer = 0
   started = now()
   post_headers = {
      ["Content-Type"] = "application/x-www-form-urlencoded",
   }
   if cookie ~= "" then post_headers["Cookie"] = "csrftoken=" .. cookie end
   -- conftest.sign_data: a valid form; only the e-mail changes per request.
   body_prefix = "form_token=" .. field
      .. "&first_name=Ji-woo&last_name=Kim&city=Seoul&country=KR&region=KR-11"
      .. "&contact=count&publish_name=yes&email="
end

function delay()
   if now() - started >= send_seconds then
      parks = parks + 1
      return 3600000 -- park this connection until wrk stops
   end
   if first_sent == 0 then
      first_sent = now()
   end
   return 0
end

function request()
   sent = sent + 1
   if mode == "sign" then
      local email = string.format("bench-%s-t%d-%d%%40example.org", run_id, thread_id, sent)
      local body = body_prefix .. email
      if #proofs > 0 then
         body = body .. "&altcha=" .. proofs[((sent - 1) % #proofs) + 1]
      end
      return wrk.format("POST", path, post_headers, body)
   end
   return wrk.format("GET", path)
end

function response(status, headers, body)
   answered = answered + 1
   last_answer = now()
   if status == expected then
      acknowledged = acknowledged + 1
   else
      local key = tostring(status)
      unexpected[key] = (unexpected[key] or 0) + 1
   end
end

function done(summary, latency, requests)
   -- wrk calls request() once more than it sends: to check the script, before the run.
   local total = { sent = -1, answered = 0, acknowledged = 0, parks = 0 }
   local statuses = {}
   local first, last = nil, 0
   for _, thread in ipairs(threads) do
      total.sent = total.sent + thread:get("sent")
      total.answered = total.answered + thread:get("answered")
      total.acknowledged = total.acknowledged + thread:get("acknowledged")
      total.parks = total.parks + thread:get("parks")
      for key, count in pairs(thread:get("unexpected")) do
         statuses[key] = (statuses[key] or 0) + count
      end
      local thread_first = thread:get("first_sent")
      if thread_first > 0 and (first == nil or thread_first < first) then
         first = thread_first
      end
      last = math.max(last, thread:get("last_answer"))
   end
   local parts = {}
   for key, count in pairs(statuses) do
      table.insert(parts, string.format('"%s": %d', key, count))
   end
   local e = summary.errors
   io.write(string.format(
      'BENCH-RESULT {"sent": %d, "parks": %d, "answered": %d, "acknowledged": %d, "unexpected": {%s}, '
         .. '"active_seconds": %.6f, "wrk_requests": %d, "wrk_duration_us": %d, '
         .. '"p50_us": %d, "p90_us": %d, "p99_us": %d, "max_us": %d, "mean_us": %.1f, '
         .. '"connect_errors": %d, "read_errors": %d, "write_errors": %d, '
         .. '"timeout_errors": %d, "status_errors": %d}\n',
      total.sent, total.parks, total.answered, total.acknowledged, table.concat(parts, ", "),
      (first and last > first) and (last - first) or 0, summary.requests, summary.duration,
      latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
      latency.mean, e.connect, e.read, e.write, e.timeout, e.status))
end
