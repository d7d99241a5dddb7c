-- bench.lua - the one wrk script of contrib/bench/run, steered by the
-- environment so every measurement reports the same way:
--
--   BENCH_MODE=get      the URL given to wrk, as is (default)
--   BENCH_MODE=paths    a path per request, in turn, from BENCH_FILE (one
--                       path a line, e.g. /tasker/tasks/<id> or
--                       /tasker/tasks?namespace=payments&status=pending)
--   BENCH_MODE=post     POST of BENCH_BODY (a file) as application/json
--   BENCH_IF_NONE_MATCH an If-None-Match header on every request (the
--                       polling loop)
--
-- done() prints one line that the run script reads:
--   RESULT <req/s> <p50 ms> <p99 ms> <requests> <non-2xx/3xx> <socket errors>

local mode = os.getenv("BENCH_MODE") or "get"
local paths = {}
local n = 0

local function slurp(name)
	local f = assert(io.open(name, "rb"))
	local s = f:read("*a")
	f:close()
	return s
end

function init(args)
	local inm = os.getenv("BENCH_IF_NONE_MATCH")
	if inm then wrk.headers["If-None-Match"] = inm end
	if mode == "paths" then
		for line in io.lines(os.getenv("BENCH_FILE")) do
			if #line > 0 then paths[#paths + 1] = line end
		end
		-- Threads start at different places so they do not walk in step.
		n = math.random(#paths)
	elseif mode == "post" then
		wrk.method = "POST"
		wrk.body = slurp(os.getenv("BENCH_BODY"))
		wrk.headers["Content-Type"] = "application/json"
	end
end

function request()
	if mode == "paths" then
		n = n % #paths + 1
		return wrk.format(nil, paths[n])
	end
	return wrk.format()
end

function done(summary, latency, requests)
	local e = summary.errors
	local secs = summary.duration / 1e6
	io.write(string.format("RESULT %.1f %.3f %.3f %d %d %d\n",
	    summary.requests / secs, latency:percentile(50) / 1000,
	    latency:percentile(99) / 1000, summary.requests, e.status,
	    e.connect + e.read + e.write + e.timeout))
end
