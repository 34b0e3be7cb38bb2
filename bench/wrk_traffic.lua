-- wrk script of the webhook benchmark: the traffic model of bench/traffic.py (whole calls, each
-- with its own sessionId and numbers, a unique eventId per CALL_ACTION, keys 1/2/3 and wrong
-- keys, a SESSION_SUMMARY at the end of each call), written again for wrk's request() hook.
-- bench/traffic.py's wrk_environment() sets:
--   WRK_VCA_FILE, WRK_VSS_FILE  templates with @EVENT@ @SESSION@ @DIGITS@ @SRC@ @DST@
--   WRK_RUN      a prefix unique to this run (eventIds and sessionIds start with it)
--   WRK_ACTIVE   calls in progress per thread, taking turns
--   WRK_SCRIPTS  the keys of each call: "1;2;3,1;..." (calls take the scripts in turn)
--   WRK_AUTH     the Authorization header
-- done() prints one line "BENCH {json}" that bench/webhook.py reads.

local threads = {}

function setup(thread)
  thread:set("thread_id", #threads + 1)
  table.insert(threads, thread)
end

local function slurp(name)
  local handle = assert(io.open(os.getenv(name), "r"))
  local text = handle:read("*a")
  handle:close()
  return text
end

local function split(text, sep)
  local parts = {}
  for part in string.gmatch(text, "([^" .. sep .. "]+)") do
    table.insert(parts, part)
  end
  return parts
end

function init(args)
  vca = slurp("WRK_VCA_FILE")
  vss = slurp("WRK_VSS_FILE")
  run = os.getenv("WRK_RUN") or "run"
  active = tonumber(os.getenv("WRK_ACTIVE") or "64")
  scripts = {}
  for _, script in ipairs(split(os.getenv("WRK_SCRIPTS") or "1", ";")) do
    table.insert(scripts, split(script, ","))
  end
  calls = {}
  next_call = 0
  slot = 0
  events = 0
  sent = 0
  sent_vca = 0
  sent_vss = 0
  not_2xx = 0
  headers = {
    ["Content-Type"] = "application/json",
    ["Authorization"] = os.getenv("WRK_AUTH") or "",
  }
end

local function fill(template, values)
  return (string.gsub(template, "@(%u+)@", values))
end

function request()
  local here = slot
  slot = (slot + 1) % active
  local call = calls[here]
  if call == nil then
    call = { number = next_call, keys = scripts[(next_call % #scripts) + 1], sent = 0 }
    next_call = next_call + 1
    calls[here] = call
  end
  local n = thread_id * 1000000 + call.number % 1000000
  local values = {
    SESSION = string.format("%s-%d-%d", run, thread_id, call.number),
    SRC = string.format("+4420%08d", n % 100000000),
    DST = string.format("+659%07d", n % 10000000),
  }
  sent = sent + 1
  if call.sent < #call.keys then
    call.sent = call.sent + 1
    events = events + 1
    values.EVENT = string.format("%s-%d-e%d", run, thread_id, events)
    values.DIGITS = call.keys[call.sent]
    sent_vca = sent_vca + 1
    return wrk.format("POST", "/webhooks/vca", headers, fill(vca, values))
  end
  calls[here] = nil
  sent_vss = sent_vss + 1
  return wrk.format("POST", "/webhooks/vss", headers, fill(vss, values))
end

function response(status, headers, body)
  if status < 200 or status > 299 then
    not_2xx = not_2xx + 1
  end
end

function done(summary, latency, requests)
  local bad, all, vcas, vsss = 0, 0, 0, 0
  for _, thread in ipairs(threads) do
    bad = bad + thread:get("not_2xx")
    all = all + thread:get("sent")
    vcas = vcas + thread:get("sent_vca")
    vsss = vsss + thread:get("sent_vss")
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH {"requests": %d, "sent": %d, "sent_vca": %d, "sent_vss": %d, "duration_us": %d, ' ..
    '"p50_us": %d, "p90_us": %d, "p99_us": %d, "max_us": %d, "not_2xx": %d, ' ..
    '"socket_errors": %d, "timeouts": %d}\n',
    summary.requests, all, vcas, vsss, summary.duration, latency:percentile(50),
    latency:percentile(90), latency:percentile(99), latency.max, bad,
    e.connect + e.read + e.write, e.timeout))
end
