-- Values as luassert shows them in failure messages: "(number) 1", "(string) 'hi'", tables one
-- key a line, with a "*" before the key where two compared tables first differ.

local type = type
local tostring = tostring
local pairs = pairs
local sort = table.sort
local concat = table.concat
local byte = string.byte
local format = string.format
local gsub = string.gsub
local rep = string.rep

local M = {}

local max_depth = 8

-- quote shows a string readably: control bytes and non-ASCII as \ddd escapes (Lua 5.1's
-- own notation, which every Lua reads back).
local function quote(s)
    local q = gsub(s, "[%c\128-\255\\']", function(c)
        if c == "\n" then return "\\n" end
        if c == "\r" then return "\\r" end
        if c == "\t" then return "\\t" end
        if c == "\\" then return "\\\\" end
        if c == "'" then return "\\'" end
        return format("\\%d", byte(c))
    end)
    return "'" .. q .. "'"
end
M.quote = quote

local type_order = { number = 1, string = 2, boolean = 3, table = 4, ["function"] = 5, userdata = 6, thread = 7 }

local function key_less(a, b)
    local ta, tb = type(a), type(b)
    if ta ~= tb then
        return (type_order[ta] or 9) < (type_order[tb] or 9)
    end
    if ta == "number" or ta == "string" then
        return a < b
    end
    return tostring(a) < tostring(b)
end

local function show_key(k)
    if type(k) == "string" then
        if k:match("^[%a_][%w_]*$") then
            return k
        end
        return quote(k)
    end
    return tostring(k)
end

local function scalar(v)
    local t = type(v)
    if t == "string" then
        return quote(v)
    end
    return tostring(v)
end

-- tbl renders t at indent level depth; crumbs (a list of keys) marks the path of the first
-- difference, crumb_i the position reached so far.
local function tbl(t, depth, crumbs, crumb_i, seen)
    if seen[t] then
        return "{ <cycle> }"
    end
    if depth > max_depth then
        return "{ ... }"
    end
    seen[t] = true
    local keys = {}
    for k in pairs(t) do
        keys[#keys + 1] = k
    end
    sort(keys, key_less)
    if #keys == 0 then
        seen[t] = nil
        return "{ }"
    end
    local lines = {}
    local mark_key = crumbs and crumbs[crumb_i]
    local marked = false
    for _, k in ipairs(keys) do
        local v = t[k]
        local prefix = rep("  ", depth)
        local is_mark = mark_key ~= nil and k == mark_key
        if is_mark then
            marked = true
            prefix = rep("  ", depth - 1) .. " *"
        end
        local shown
        if type(v) == "table" then
            shown = tbl(v, depth + 1, is_mark and crumbs or nil, crumb_i + 1, seen)
        else
            shown = scalar(v)
        end
        lines[#lines + 1] = prefix .. "[" .. show_key(k) .. "] = " .. shown
    end
    if mark_key ~= nil and not marked then
        -- the difference is a key this table lacks
        lines[#lines + 1] = rep("  ", depth - 1) .. " *[" .. show_key(mark_key) .. "] = (absent)"
    end
    seen[t] = nil
    return "{\n" .. concat(lines, "\n") .. " }"
end

-- value formats v as "(type) value"; crumbs marks a path inside a table.
function M.value(v, crumbs)
    local t = type(v)
    if t == "nil" then
        return "(nil)"
    end
    if t == "table" then
        local mt = getmetatable(v)
        if mt and mt.__spectest_matcher then
            return "(matcher) " .. tostring(v)
        end
        if mt and mt.__tostring then
            return "(" .. t .. ") " .. tostring(v)
        end
        return "(table) " .. tbl(v, 1, crumbs, 1, {})
    end
    if t == "string" then
        return "(string) " .. quote(v)
    end
    return "(" .. t .. ") " .. tostring(v)
end

-- args formats a packed argument list (with .n) as "(type) v, (type) v".
function M.args(packed)
    local out = {}
    for i = 1, packed.n or #packed do
        out[#out + 1] = M.value(packed[i])
    end
    if #out == 0 then
        return "(no arguments)"
    end
    return concat(out, ", ")
end

-- string_diff says where two strings first differ, for long strings that look alike.
function M.string_diff(a, b)
    if type(a) ~= "string" or type(b) ~= "string" then
        return nil
    end
    local n = #a < #b and #a or #b
    for i = 1, n do
        if byte(a, i) ~= byte(b, i) then
            return format("first difference at byte %d: %s vs %s", i,
                          quote(a:sub(i, i + 15)), quote(b:sub(i, i + 15)))
        end
    end
    if #a ~= #b then
        return format("lengths differ: %d vs %d bytes (one is a prefix of the other)", #a, #b)
    end
    return nil
end

return M
