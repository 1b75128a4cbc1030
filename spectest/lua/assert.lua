-- luassert's everyday surface: assert.are.same(expected, actual), assert.is_true(v),
-- assert.has_error(f, msg), assert.spy(s).was.called_with(...), ... Chains are read word by
-- word ("is", "are", "has" read as nothing, "not"/"no" negate), as luassert reads them.
-- A failed assertion raises a table error (is_failure) carrying "file:line: message", the line
-- being the spec's own line that called the assertion.

local fmt = require "luaws.spec.format"

local type = type
local tostring = tostring
local select = select
local pairs = pairs
local error = error
local setmetatable = setmetatable
local getmetatable = getmetatable
local concat = table.concat
local find = string.find
local getinfo = debug.getinfo

local M = {}

local FRAMEWORK = "[spectest]"

-- where returns "source:line: " of the innermost frame outside the framework.
local function where()
    for level = 2, 60 do
        local info = getinfo(level, "Sl")
        if not info then
            break
        end
        local src = info.source or ""
        if src:sub(1, 1) == "@" then
            src = src:sub(2)
        end
        if src ~= "" and src:sub(1, #FRAMEWORK) ~= FRAMEWORK and src ~= "[G]" and src ~= "=[C]"
            and (info.currentline or -1) > 0 then
            return src .. ":" .. info.currentline .. ": "
        end
    end
    return ""
end
M.where = where

local failure_mt = {
    __tostring = function(self) return self.message end,
}

-- fail raises an assertion failure.
local function fail(msg, extra)
    if extra then
        msg = msg .. "\n" .. extra
    end
    error(setmetatable({ message = where() .. msg, is_failure = true }, failure_mt), 0)
end
M.fail = fail

function M.is_failure(e)
    return type(e) == "table" and getmetatable(e) == failure_mt
end

------------------------------------------------------------------------------------------------
-- matchers (for called_with and returned_with)

local matcher_mt = {
    __spectest_matcher = true,
    __tostring = function(self) return self.name end,
}

local function matcher(name, test)
    return setmetatable({ name = name, test = test }, matcher_mt)
end

local function is_matcher(v)
    return type(v) == "table" and getmetatable(v) == matcher_mt
end

-- deep compares a and b; it returns true, or false and the path (a list of keys) to the first
-- difference. Matchers in b match by their test.
local function deep(a, b, path, seen)
    if is_matcher(b) then
        return b.test(a), path
    end
    if a == b then
        return true
    end
    if type(a) ~= "table" or type(b) ~= "table" then
        return false, path
    end
    seen = seen or {}
    if seen[a] == b then
        return true
    end
    seen[a] = b
    for k, v in pairs(a) do
        local p = { unpack(path) }
        p[#p + 1] = k
        local ok, where_ = deep(v, b[k], p, seen)
        if not ok then
            return false, where_
        end
    end
    for k in pairs(b) do
        if a[k] == nil then
            local p = { unpack(path) }
            p[#p + 1] = k
            return false, p
        end
    end
    return true
end
M.deep = deep

local match = {
    _ = matcher("match._", function() return true end),
}
M.match = match
for _, t in ipairs { "string", "number", "table", "function", "boolean", "nil", "userdata", "thread" } do
    match["is_" .. t] = function()
        return matcher("match.is_" .. t .. "()", function(v) return type(v) == t end)
    end
end
match.is_truthy = function() return matcher("match.is_truthy()", function(v) return not not v end) end
match.is_falsy = function() return matcher("match.is_falsy()", function(v) return not v end) end
match.is_true = function() return matcher("match.is_true()", function(v) return v == true end) end
match.is_false = function() return matcher("match.is_false()", function(v) return v == false end) end
match.is_same = function(x)
    return matcher("match.is_same(" .. fmt.value(x) .. ")", function(v) return (deep(v, x, {})) end)
end
match.is_equal = function(x)
    return matcher("match.is_equal(" .. fmt.value(x) .. ")", function(v) return v == x end)
end
match.matches = function(pat)
    return matcher("match.matches(" .. fmt.quote(pat) .. ")",
                   function(v) return type(v) == "string" and find(v, pat) ~= nil end)
end
match.same, match.equals, match.any = match.is_same, match.is_equal, function() return match._ end
match.is_ = match._

------------------------------------------------------------------------------------------------
-- assertions: each returns ok, message(negated) -> string

local A = {}

local function same(expected, actual)
    local ok, path = deep(actual, expected, {})
    return ok, function(neg)
        if neg then
            return "Expected objects to not be the same.\nPassed in:\n" .. fmt.value(actual)
                .. "\nDid not expect:\n" .. fmt.value(expected)
        end
        local msg = "Expected objects to be the same.\nPassed in:\n" .. fmt.value(actual, path)
            .. "\nExpected:\n" .. fmt.value(expected, path)
        local d = fmt.string_diff(actual, expected)
        if d then
            msg = msg .. "\n(" .. d .. ")"
        end
        return msg
    end
end

A.same = function(n, expected, actual)
    if n < 2 then
        error("assert.same needs two arguments: expected, actual", 3)
    end
    return same(expected, actual)
end

A.equal = function(n, expected, actual)
    if n < 2 then
        error("assert.equal needs two arguments: expected, actual", 3)
    end
    return expected == actual, function(neg)
        if neg then
            return "Expected objects to not be equal.\nPassed in:\n" .. fmt.value(actual)
                .. "\nDid not expect:\n" .. fmt.value(expected)
        end
        local msg = "Expected objects to be equal.\nPassed in:\n" .. fmt.value(actual)
            .. "\nExpected:\n" .. fmt.value(expected)
        local d = fmt.string_diff(actual, expected)
        if d then
            msg = msg .. "\n(" .. d .. ")"
        end
        return msg
    end
end
A.equals = A.equal

A.unique = function(n, list, deep_)
    local ok = true
    for i = 1, #list do
        for j = i + 1, #list do
            if (deep_ and deep(list[i], list[j], {})) or (not deep_ and list[i] == list[j]) then
                ok = false
            end
        end
    end
    return ok, function(neg)
        return (neg and "Expected object to not be unique:\n" or "Expected object to be unique:\n")
            .. fmt.value(list)
    end
end

local function is_value(expected)
    return function(n, actual)
        return same(expected, actual)
    end
end
A["true"] = is_value(true)
A["false"] = is_value(false)

A["nil"] = function(n, v)
    return v == nil, function(neg)
        if neg then
            return "Expected a value other than nil"
        end
        return "Expected nil, but value was:\n" .. fmt.value(v)
    end
end

A.truthy = function(n, v)
    return not not v, function(neg)
        return (neg and "Expected to not be truthy, but value was:\n"
                    or "Expected to be truthy, but value was:\n") .. fmt.value(v)
    end
end

A.falsy = function(n, v)
    return not v, function(neg)
        return (neg and "Expected to not be falsy, but value was:\n"
                    or "Expected to be falsy, but value was:\n") .. fmt.value(v)
    end
end

for _, t in ipairs { "string", "number", "table", "function", "boolean", "userdata", "thread" } do
    A[t] = function(n, v)
        return type(v) == t, function(neg)
            return "Expected " .. (neg and "not " or "") .. "type " .. t .. ", but value was:\n"
                .. fmt.value(v)
        end
    end
end

A.near = function(n, expected, actual, tolerance)
    if type(expected) ~= "number" or type(actual) ~= "number" or type(tolerance) ~= "number" then
        error("assert.near needs three numbers: expected, actual, tolerance", 3)
    end
    return actual >= expected - tolerance and actual <= expected + tolerance, function(neg)
        return "Expected values to " .. (neg and "not " or "") .. "be near.\nPassed in:\n"
            .. fmt.value(actual) .. "\nExpected:\n" .. fmt.value(expected) .. " +/- "
            .. fmt.value(tolerance)
    end
end

A.matches = function(n, pattern, actual, init, plain)
    local ok = type(actual) == "string" and find(actual, pattern, init, plain) ~= nil
    return ok, function(neg)
        return "Expected strings to " .. (neg and "not " or "") .. "match.\nPassed in:\n"
            .. fmt.value(actual) .. "\nExpected:\n" .. fmt.value(pattern)
    end
end
A.match = A.matches

-- error(f, expected): f must raise; with expected, the error must equal it (a string error
-- with its "file:line: " position stripped, or any value compared deeply).
local function strip_position(e)
    if type(e) == "string" then
        local rest = e:match("^[^\n]-:%d+: (.*)$")
        if rest then
            return rest
        end
    end
    return e
end

A.error = function(n, f, expected)
    if type(f) ~= "function" and not (getmetatable(f) or {}).__call then
        error("assert.has_error needs a function", 3)
    end
    local ok, err = pcall(f)
    if ok then
        return false, function(neg)
            if neg then
                return "Expected no error, and none was thrown"
            end
            return "Expected an error, but none was thrown" ..
                (n >= 2 and ("\nExpected:\n" .. fmt.value(expected)) or "")
        end
    end
    if M.is_failure(err) then
        err = err.message
    end
    local matched = true
    if n >= 2 then
        matched = err == expected or strip_position(err) == expected
            or (type(err) == "table" and deep(err, expected, {}))
    end
    return matched, function(neg)
        if neg then
            return "Expected no error, but caught:\n" .. fmt.value(err)
        end
        return "Expected a different error.\nCaught:\n" .. fmt.value(err) .. "\nExpected:\n"
            .. fmt.value(expected)
    end
end
A.errors, A.has_error = A.error, A.error

A.error_matches = function(n, f, pattern, init, plain)
    local ok, err = pcall(f)
    if M.is_failure(err) then
        err = err.message
    end
    local matched = not ok and type(err) == "string" and find(err, pattern, init, plain) ~= nil
    return matched, function(neg)
        if ok then
            return "Expected an error matching " .. fmt.value(pattern) .. ", but none was thrown"
        end
        return "Expected the error to " .. (neg and "not " or "") .. "match.\nCaught:\n"
            .. fmt.value(err) .. "\nExpected:\n" .. fmt.value(pattern)
    end
end
A.error_match, A.matches_error = A.error_matches, A.error_matches

-- spies (see spy.lua): the first argument is the spy, bound by assert.spy(s)
local function check_spy(s)
    if type(s) ~= "table" or not s.calls then
        error("expected a spy or stub, got " .. fmt.value(s), 4)
    end
end

local function count_check(what, test)
    return function(n, s, count)
        check_spy(s)
        local c = #s.calls
        local ok = test(c, count)
        return ok, function(neg)
            return "Expected to " .. (neg and "not " or "") .. "be called " .. what ..
                (count and (" " .. count) or "") .. " time(s), but was called " .. c .. " time(s)"
        end
    end
end

A.called = function(n, s, count)
    check_spy(s)
    if count == nil then
        return count_check("at least", function(c) return c > 0 end)(n, s, 1)
    end
    return count_check("exactly", function(c, want) return c == want end)(n, s, count)
end
A.called_at_least = count_check("at least", function(c, want) return c >= want end)
A.called_at_most = count_check("at most", function(c, want) return c <= want end)
A.called_more_than = count_check("more than", function(c, want) return c > want end)
A.called_less_than = count_check("less than", function(c, want) return c < want end)

local function pack(...)
    return { n = select("#", ...), ... }
end

local function args_match(got, want)
    if (got.n or #got) ~= want.n then
        return false
    end
    for i = 1, want.n do
        if not deep(got[i], want[i], {}) then
            return false
        end
    end
    return true
end

local function with(field, label)
    return function(n, s, ...)
        check_spy(s)
        local want = pack(...)
        local ok = false
        for _, got in ipairs(s[field]) do
            if args_match(got, want) then
                ok = true
                break
            end
        end
        return ok, function(neg)
            local last = s[field][#s[field]]
            return (neg and ("Function was " .. label .. " matching arguments.\n")
                        or ("Function was never " .. label .. " matching arguments.\n"))
                .. (label == "called with" and "Called with (last call if any):\n"
                        or "Returned (last call if any):\n")
                .. (last and fmt.args(last) or "(none)") .. "\nExpected:\n" .. fmt.args(want)
        end
    end
end
A.called_with = with("calls", "called with")
A.returned_with = with("returns", "returned with")

M.assertions = A

------------------------------------------------------------------------------------------------
-- the chain

local modifiers = {}
for _, w in ipairs { "is", "are", "was", "were", "has", "have", "does", "do", "did", "a", "an",
                     "the", "be", "been", "to", "should", "will", "that", "at_all" } do
    modifiers[w] = true
end
local negators = { ["not"] = true, no = true }

local proxy_mt = {}

local function proxy(negated, bound)
    return setmetatable({ negated = negated, bound = bound }, proxy_mt)
end

local function call_assertion(name, fn, negated, bound)
    return function(...)
        local args
        if bound then
            args = { n = bound.n + select("#", ...) }
            for i = 1, bound.n do
                args[i] = bound[i]
            end
            for i = 1, select("#", ...) do
                args[bound.n + i] = select(i, ...)
            end
        else
            args = pack(...)
        end
        local ok, message = fn(args.n, unpack(args, 1, args.n))
        if negated then
            ok = not ok
        end
        if not ok then
            -- luassert: a last string argument past the assertion's own is a custom message
            fail(message(negated))
        end
        return ...
    end
end

proxy_mt.__index = function(self, key)
    if type(key) ~= "string" then
        return nil
    end
    local negated = rawget(self, "negated")
    local words = {}
    for w in key:gmatch("[^_]+") do
        words[#words + 1] = w
    end
    local i = 1
    while i <= #words do
        local advanced = false
        for j = #words, i, -1 do
            local name = concat(words, "_", i, j)
            if j == #words and A[name] then
                return call_assertion(name, A[name], negated, rawget(self, "bound"))
            elseif modifiers[name] then
                i, advanced = j + 1, true
                break
            elseif negators[name] then
                negated = not negated
                i, advanced = j + 1, true
                break
            end
        end
        if not advanced then
            error("luassert: unknown modifier/assertion: '" .. key .. "'", 2)
        end
    end
    return proxy(negated, rawget(self, "bound"))
end

-- assert(v, msg, ...): Lua's assert, failing as an assertion failure.
local root = proxy(false, nil)
local root_mt = {
    __index = function(self, key)
        if key == "spy" or key == "stub" then
            return function(s)
                check_spy(s)
                return proxy(false, { n = 1, s })
            end
        end
        if key == "fail" then
            return function(msg) fail(msg or "failed") end
        end
        return proxy_mt.__index(root, key)
    end,
    __call = function(self, v, msg, ...)
        if not v then
            fail(msg ~= nil and tostring(msg) or "assertion failed!")
        end
        return v, msg, ...
    end,
}
M.assert = setmetatable({}, root_mt)

return M
