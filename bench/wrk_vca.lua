-- wrk script for the webhook benchmark: POST a CALL_ACTION with a unique eventId every request
-- (so the server records each one instead of replaying a stored answer; the warm-up is a run of
-- its own with its own prefix), cycling through a few sessions and the digits 1, 2 and 3 (every
-- path of the menu: hang up, transfer, repeat), and count every answer that is not a 2xx. Set in the environment:
--   WRK_BODY_FILE  a CALL_ACTION JSON with the placeholders @EVENT@, @SESSION@, @DIGITS@
--   WRK_AUTH       the webhook secret (sent verbatim as Authorization)
--   WRK_RUN        a prefix unique to this run (runs may share one database)
-- done() prints one line "BENCH {json}" that bench/webhook.py reads.

local threads = {}
local digits = { "1", "2", "3" }

function setup(thread)
  thread:set("thread_id", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  local handle = assert(io.open(os.getenv("WRK_BODY_FILE"), "r"))
  template = handle:read("*a")
  handle:close()
  prefix = string.format("%s-%04d", os.getenv("WRK_RUN") or "run", thread_id)
  counter = 0
  not_2xx = 0
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Authorization"] = os.getenv("WRK_AUTH") or ""
end

function request()
  counter = counter + 1
  local event = string.format("%s-%012d", prefix, counter)
  local session = string.format("bench-%d-%d", thread_id, counter % 37)
  local body = template:gsub("@EVENT@", event)
  body = body:gsub("@SESSION@", session)
  body = body:gsub("@DIGITS@", digits[counter % #digits + 1])
  return wrk.format(nil, nil, nil, body)
end

function response(status, headers, body)
  if status < 200 or status > 299 then
    not_2xx = not_2xx + 1
  end
end

function done(summary, latency, requests)
  local bad = 0
  for _, thread in ipairs(threads) do
    bad = bad + thread:get("not_2xx")
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH {"requests": %d, "duration_us": %d, "p50_us": %d, "p90_us": %d, "p99_us": %d, ' ..
    '"max_us": %d, "not_2xx": %d, "socket_errors": %d, "timeouts": %d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max, bad, e.connect + e.read + e.write, e.timeout))
end
