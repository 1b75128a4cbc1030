-- busted's spies and stubs: spy.new(f), spy.on(t, "name"), stub(t, "name", returns...),
-- stub.new(...), mock(t[, stubs]). A spy records each call's arguments (s.calls[i], packed with
-- .n) and return values (s.returns[i]); assert.spy(s).was.called_with(...) reads them.

local select = select
local setmetatable = setmetatable
local getmetatable = getmetatable
local type = type
local pairs = pairs

local function pack(...)
    return { n = select("#", ...), ... }
end

local spy_mt = {}
spy_mt.__index = spy_mt

function spy_mt.__call(self, ...)
    local args = pack(...)
    self.calls[#self.calls + 1] = args
    local ret = pack(self.callback(...))
    self.returns[#self.returns + 1] = ret
    return unpack(ret, 1, ret.n)
end

function spy_mt.__tostring(self)
    return "spy(" .. #self.calls .. " call(s))"
end

-- clear forgets recorded calls.
function spy_mt.clear(self)
    self.calls, self.returns = {}, {}
    return self
end

-- revert puts the original function back (spies made by spy.on and stub).
function spy_mt.revert(self)
    if self.target then
        self.target[self.key] = self.original
        self.target = nil
    end
    return self
end

-- returns makes a stub return these values from now on.
function spy_mt.returns(self, ...)
    local r = pack(...)
    self.callback = function() return unpack(r, 1, r.n) end
    return self
end

-- invokes makes a stub call f from now on.
function spy_mt.invokes(self, f)
    self.callback = f
    return self
end

local M = {}

-- registry of spies installed with spy.on/stub, reverted after each test
local installed = {}

function M.is_spy(v)
    return type(v) == "table" and getmetatable(v) == spy_mt
end

function M.new(f)
    if f ~= nil and type(f) ~= "function" and not M.is_spy(f)
        and not (getmetatable(f) or {}).__call then
        error("spy.new: a function expected, got " .. type(f), 2)
    end
    return setmetatable({ calls = {}, returns = {}, callback = f or function() end }, spy_mt)
end

function M.on(t, key)
    if type(t) ~= "table" then
        error("spy.on: a table expected, got " .. type(t), 2)
    end
    local s = M.new(t[key])
    s.target, s.key, s.original = t, key, t[key]
    t[key] = s
    installed[#installed + 1] = s
    return s
end

local stub = {}
M.stub = stub

function stub.new(t, key, ...)
    if t == nil then
        return M.new(function() end)
    end
    if type(t) ~= "table" then
        error("stub: a table expected, got " .. type(t), 2)
    end
    local r = pack(...)
    local s = M.new(function() return unpack(r, 1, r.n) end)
    s.target, s.key, s.original = t, key, t[key]
    t[key] = s
    installed[#installed + 1] = s
    return s
end
setmetatable(stub, { __call = function(_, ...) return stub.new(...) end })

-- mock replaces every function of t (recursively) by a spy, or a stub with use_stubs.
function M.mock(t, use_stubs, seen)
    seen = seen or {}
    if seen[t] then
        return t
    end
    seen[t] = true
    for k, v in pairs(t) do
        if type(v) == "function" then
            if use_stubs then
                stub.new(t, k)
            else
                M.on(t, k)
            end
        elseif type(v) == "table" and not M.is_spy(v) then
            M.mock(v, use_stubs, seen)
        end
    end
    return t
end

-- mark and revert_to undo spy.on and stub made since the mark, as busted does at the end of
-- the test (or the describe block, for spies made in setup) that made them.
function M.mark()
    return #installed
end

function M.revert_to(mark)
    for i = #installed, mark + 1, -1 do
        installed[i]:revert()
        installed[i] = nil
    end
end

setmetatable(M, { __call = function(_, f) return M.new(f) end })

return M
