-- jit.v: LuaJIT's verbose JIT-trace reporter. luaws interprets (jit.status() is false), so
-- there are no traces to report: on/start/off accept LuaJIT's arguments and write nothing.

local function noop() end

return { on = noop, off = noop, start = noop }
