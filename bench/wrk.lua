-- wrk script of bench/hot_paths.py: counts answers by status and prints one JSON summary line.
-- With BOOKING_SLOTS (a file of slot ids, one a line) set, each request books the next
-- slot with a fresh Idempotency-Key (slots are reused once all are taken: those answer 409).
-- `statuses` is global: done() reads it from each thread with thread:get.

local threads = {}
local slots = {}
local next_slot = 0
statuses = {}
local run = os.getenv("BOOKING_RUN") or "run"

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  local path = os.getenv("BOOKING_SLOTS")
  if path then
    for line in io.lines(path) do
      table.insert(slots, line)
    end
  end
end

function request()
  if #slots == 0 then
    return wrk.format()
  end
  next_slot = next_slot + 1
  local slot = slots[(next_slot - 1) % #slots + 1]
  local body = '{"slot_id": ' .. slot .. ', "reason_category": "infection", '
    .. '"patient": {"display_name": "M. D.", "birth_year": 1984, "phone": "06 12 34 56 78"}}'
  local headers = {}
  for name, value in pairs(wrk.headers) do
    headers[name] = value
  end
  headers["Content-Type"] = "application/json"
  headers["Idempotency-Key"] = run .. "-" .. next_slot
  return wrk.format("POST", nil, headers, body)
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local counts = {}
  for _, thread in ipairs(threads) do
    for status, n in pairs(thread:get("statuses")) do
      counts[status] = (counts[status] or 0) + n
    end
  end
  local parts = {}
  for status, n in pairs(counts) do
    table.insert(parts, string.format('"%d": %d', status, n))
  end
  local e = summary.errors
  io.write(string.format(
    'WRK-JSON {"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, "max_us": %d, '
      .. '"connect": %d, "read": %d, "write": %d, "timeout": %d, "statuses": {%s}}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    latency.max, e.connect, e.read, e.write, e.timeout, table.concat(parts, ", ")))
end
