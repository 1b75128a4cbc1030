-- jit.dump: LuaJIT's JIT compiler dump. luaws compiles nothing (jit.status() is false), so
-- on/start/off accept LuaJIT's arguments and dump nothing.

local function noop() end

return { on = noop, off = noop, start = noop }
