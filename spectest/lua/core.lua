-- busted's block structure for one spec file: describe/context, it, pending, setup/teardown
-- (lazy, as busted 2's), strict_setup/strict_teardown, before_each/after_each, finally,
-- insulate/expose. The file runs in its own fresh Lua state; the Go runner (luaws.spec.host)
-- receives one report per test and formats the output.
--
-- Every test and hook runs in its own light thread (ngx.thread.spawn) next to a timer thread:
-- whichever ends first wins, so a test blocked on a socket is killed at --timeout and reported.

local host = require "luaws.spec.host"
local assertion = require "luaws.spec.assert"
local spy = require "luaws.spec.spy"

local type = type
local tostring = tostring
local ipairs = ipairs
local pairs = pairs
local error = error
local xpcall = xpcall
local setmetatable = setmetatable
local concat = table.concat
local find = string.find
local getinfo = debug.getinfo
local traceback = debug.traceback
local spawn = ngx.thread.spawn
local wait = ngx.thread.wait
local kill = ngx.thread.kill
local sleep = ngx.sleep

local cfg = host.config
local FRAMEWORK = "[spectest]"

local M = {}

------------------------------------------------------------------------------------------------
-- positions and errors

-- caller returns the file and line of the innermost frame outside the framework.
local function caller()
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
            return src, info.currentline
        end
    end
    return cfg.file, 0
end

local pending_mt = { __tostring = function(self) return self.message end }

-- clean_trace keeps the frames of the spec (and the code it calls), not the framework's.
local function clean_trace(tb)
    local out = {}
    for line in (tb .. "\n"):gmatch("([^\n]*)\n") do
        if line == "stack traceback:" then
            out[#out + 1] = line
        elseif not find(line, FRAMEWORK, 1, true)
            and not line:match("^%s*%[[CG]%]: in function '[%a]+'$")
            and not line:match("^%s*%[[CG]%]: %?$")
            and line ~= "" then
            out[#out + 1] = line
        end
    end
    if #out <= 1 then
        return ""
    end
    return concat(out, "\n")
end

local function handler(e)
    return { err = e, trace = clean_trace(traceback("", 2)) }
end

-- classify turns a caught error into status, message.
local function classify(e)
    if assertion.is_failure(e) then
        return "failure", e.message
    end
    if type(e) == "table" and getmetatable(e) == pending_mt then
        return "pending", e.message
    end
    if type(e) == "string" then
        return "error", e
    end
    local mt = type(e) == "table" and getmetatable(e)
    if mt and mt.__tostring then
        return "error", tostring(e)
    end
    return "error", "(error object is a " .. type(e) .. " value: " .. tostring(e) .. ")"
end

local timeout_marker = {}

-- protected runs fn in a light thread, ended at the timeout. It returns nil on success, or
-- status, message, trace.
local running_test = nil     -- the test whose body or hooks run now
local full_name

local function protected(fn, what, file, line)
    host.begin(running_test and full_name(running_test) or what, file, line)
    local worker = spawn(function()
        local ok, e = xpcall(fn, handler)
        if ok then
            return true
        end
        return false, e
    end)
    local timer = spawn(function()
        sleep(cfg.timeout)
        return timeout_marker
    end)
    local ok, r1, r2 = wait(worker, timer)
    host.finish()
    if r1 == timeout_marker then
        kill(worker)
        return "error", string.format("%s:%d: %s timed out after %s seconds (--timeout)",
                                      file, line, what, tostring(cfg.timeout)), ""
    end
    kill(timer)
    if not ok then
        -- the worker died outside of xpcall (cannot normally happen)
        return "error", tostring(r1), ""
    end
    if r1 == true then
        return nil
    end
    local status, msg = classify(r2.err)
    return status, msg, r2.trace
end

------------------------------------------------------------------------------------------------
-- blocks

local function tags_of(name)
    local t = {}
    for tag in name:gmatch("#([%w_%-%.]+)") do
        t[#t + 1] = tag
    end
    return t
end

local root = {
    kind = "file", name = "", children = {}, setup = {}, teardown = {}, before_each = {},
    strict_setup = {}, strict_teardown = {},
    after_each = {}, tags = {}, file = cfg.file, line = 0,
}
local current = root         -- the block being collected
local collecting = true

full_name = function(node)
    local parts = {}
    local n = node
    while n and n.kind ~= "file" do
        table.insert(parts, 1, n.name)
        n = n.parent
    end
    return concat(parts, " ")
end

local function add_child(kind, name, fn)
    if not collecting then
        error(kind .. " cannot be nested inside a running test (" .. tostring(name) .. ")", 3)
    end
    if type(name) ~= "string" then
        error(kind .. ": the name (a string) comes first", 3)
    end
    local file, line = caller()
    local node = {
        kind = kind, name = name, fn = fn, parent = current, file = file, line = line,
        children = {}, setup = {}, teardown = {}, strict_setup = {}, strict_teardown = {},
        before_each = {}, after_each = {}, tags = tags_of(name),
    }
    current.children[#current.children + 1] = node
    return node
end

local function describe(name, fn)
    if type(fn) ~= "function" then
        error("describe: a function expected after the name", 2)
    end
    add_child("describe", name, fn)
end

local function insulate(name, fn)
    if type(name) == "function" then
        name, fn = "insulate", name
    end
    add_child("insulate", name, fn)
end

local function expose(name, fn)
    if type(name) == "function" then
        name, fn = "expose", name
    end
    add_child("expose", name, fn)
end

local function it(name, fn)
    if fn == nil then
        add_child("pending", name)
        return
    end
    if type(fn) ~= "function" then
        error("it: a function expected after the name", 2)
    end
    add_child("it", name, fn)
end

local function pending(name, fn)
    if not collecting then
        -- pending("why") inside a running test ends it as pending
        error(setmetatable({ message = tostring(name) }, pending_mt), 0)
    end
    add_child("pending", name, fn)
end

local function hook(list, kind)
    return function(fn)
        if not collecting then
            error(kind .. " must be called inside describe, not inside a test", 2)
        end
        if type(fn) ~= "function" then
            error(kind .. ": a function expected", 2)
        end
        local file, line = caller()
        local l = current[list]
        l[#l + 1] = { fn = fn, file = file, line = line, kind = kind }
    end
end

local function finally(fn)
    if not running_test then
        error("finally must be called inside a test", 2)
    end
    local l = running_test.finally
    l[#l + 1] = fn
end

------------------------------------------------------------------------------------------------
-- selection

local function all_tags(node)
    local t = {}
    local n = node
    while n do
        for _, tag in ipairs(n.tags or {}) do
            t[tag] = true
        end
        n = n.parent
    end
    return t
end

local function selected(node)
    local name = full_name(node)
    local tags = all_tags(node)
    if #cfg.tags > 0 then
        local any = false
        for _, tag in ipairs(cfg.tags) do
            if tags[tag] then
                any = true
            end
        end
        if not any then
            return false
        end
    end
    for _, tag in ipairs(cfg.exclude_tags) do
        if tags[tag] then
            return false
        end
    end
    if #cfg.filters > 0 then
        local any = false
        for _, pat in ipairs(cfg.filters) do
            if find(name, pat) then
                any = true
            end
        end
        if not any then
            return false
        end
    end
    for _, pat in ipairs(cfg.filters_out) do
        if find(name, pat) then
            return false
        end
    end
    return true
end

------------------------------------------------------------------------------------------------
-- reporting

local function report(node, status, message, trace, duration, element)
    host.report {
        status = status,
        name = full_name(node) .. (element and (" " .. element) or ""),
        file = node.file,
        line = node.line,
        message = message,
        trace = trace,
        duration = duration or 0,
    }
end

------------------------------------------------------------------------------------------------
-- running

-- run_hooks runs a list of hooks; it stops at the first that fails and returns its failure.
local function run_hooks(list, reverse)
    local from, to, step = 1, #list, 1
    if reverse then
        from, to, step = #list, 1, -1
    end
    for i = from, to, step do
        local h = list[i]
        local status, msg, trace = protected(h.fn, h.kind, h.file, h.line)
        if status then
            return status, msg, trace, h
        end
    end
end

-- snapshot / restore implement insulate: globals and package.loaded come back as they were.
local exposed = {}

local function snapshot()
    local g, loaded = {}, {}
    for k, v in pairs(_G) do
        g[k] = v
    end
    for k, v in pairs(package.loaded) do
        loaded[k] = v
    end
    return { g = g, loaded = loaded }
end

local function restore(snap)
    for k in pairs(_G) do
        if snap.g[k] == nil and not exposed[k] then
            _G[k] = nil
        end
    end
    for k, v in pairs(snap.g) do
        if not exposed[k] then
            _G[k] = v
        end
    end
    for k in pairs(package.loaded) do
        if snap.loaded[k] == nil then
            package.loaded[k] = nil
        end
    end
end

-- collect runs a block's body, registering its children. It returns false after an error
-- (reported).
local function collect(block)
    if block.kind == "file" then
        return true
    end
    local before
    if block.kind == "expose" then
        before = snapshot().g
    end
    local saved = current
    current = block
    collecting = true
    local status, msg, trace = protected(block.fn, "describe", block.file, block.line)
    current = saved
    if block.kind == "expose" then
        for k in pairs(_G) do
            if before[k] == nil then
                exposed[k] = true
            end
        end
    end
    if status then
        report(block, status == "pending" and "pending" or "error", msg, trace)
        return false
    end
    return true
end

local function ordered(children)
    if not cfg.shuffle or #children < 2 then
        return children
    end
    local perm = host.perm(#children)
    local out = {}
    for i, j in ipairs(perm) do
        out[i] = children[j]
    end
    return out
end

-- ensure_setup runs the lazy setup of node's blocks (outermost first) before their first
-- test; it returns false when one of them failed.
local function ensure_setup(block)
    local chain = {}
    local b = block
    while b do
        table.insert(chain, 1, b)
        b = b.parent
    end
    for _, blk in ipairs(chain) do
        if blk.setup_failed then
            return false
        end
        if not blk.setup_done then
            blk.setup_done = true
            blk.spy_mark = spy.mark()
            local status, msg, trace, h = run_hooks(blk.setup)
            if status then
                blk.setup_failed = true
                report(blk, status == "failure" and "failure" or "error", msg, trace, 0, "(setup)")
                return false
            end
        end
    end
    return true
end

local function run_test(t)
    if not ensure_setup(t.parent) then
        return
    end
    local chain = {}
    local b = t.parent
    while b do
        table.insert(chain, 1, b)
        b = b.parent
    end
    t.finally = {}
    running_test = t
    collecting = false
    local mark = spy.mark()
    local start = host.now()

    local status, msg, trace
    for _, blk in ipairs(chain) do
        status, msg, trace = run_hooks(blk.before_each)
        if status then
            break
        end
    end
    if not status then
        status, msg, trace = protected(t.fn, "test", t.file, t.line)
    end
    for i = #chain, 1, -1 do
        local s2, m2, t2 = run_hooks(chain[i].after_each, false)
        if s2 and not status then
            status, msg, trace = s2, m2, t2
        end
    end
    for i = #t.finally, 1, -1 do
        local s2, m2, t2 = protected(t.finally[i], "finally", t.file, t.line)
        if s2 and not status then
            status, msg, trace = s2, m2, t2
        end
    end
    spy.revert_to(mark)
    running_test = nil
    collecting = true
    report(t, status or "success", msg, trace, host.now() - start)
end

local function run_block(block)
    local snap
    if block.kind == "insulate" or block.kind == "file" then
        snap = snapshot()
    end
    if collect(block) then
        local strict_ok = true
        if #block.strict_setup > 0 then
            local status, msg, trace = run_hooks(block.strict_setup)
            if status then
                strict_ok = false
                report(block, "error", msg, trace, 0, "(strict_setup)")
            end
        end
        if strict_ok then
            for _, child in ipairs(ordered(block.children)) do
                if child.kind == "it" then
                    if selected(child) then
                        run_test(child)
                    end
                elseif child.kind == "pending" then
                    if selected(child) then
                        report(child, "pending", nil, nil, 0)
                    end
                else
                    run_block(child)
                end
            end
        end
        if block.setup_done and not block.setup_failed then
            local status, msg, trace = run_hooks(block.teardown, true)
            if status then
                report(block, "error", msg, trace, 0, "(teardown)")
            end
        end
        if block.spy_mark then
            spy.revert_to(block.spy_mark)
        end
        if #block.strict_teardown > 0 then
            local status, msg, trace = run_hooks(block.strict_teardown, true)
            if status then
                report(block, "error", msg, trace, 0, "(strict_teardown)")
            end
        end
    end
    if snap and block.kind ~= "file" then
        restore(snap)
    end
end

-- list_block prints each selected test as busted --list does: "file:line: name".
local function list_block(block)
    if not collect(block) then
        return
    end
    for _, child in ipairs(block.children) do
        if child.kind == "it" or child.kind == "pending" then
            if selected(child) then
                host.list(child.file, child.line, full_name(child))
            end
        else
            list_block(child)
        end
    end
end

------------------------------------------------------------------------------------------------
-- the spec environment

local env = {
    describe = describe,
    context = describe,
    insulate = insulate,
    expose = expose,
    it = it,
    spec = it,
    test = it,
    pending = pending,
    setup = hook("setup", "setup"),
    lazy_setup = hook("setup", "setup"),
    teardown = hook("teardown", "teardown"),
    lazy_teardown = hook("teardown", "teardown"),
    strict_setup = hook("strict_setup", "strict_setup"),
    strict_teardown = hook("strict_teardown", "strict_teardown"),
    before_each = hook("before_each", "before_each"),
    after_each = hook("after_each", "after_each"),
    finally = finally,
    assert = assertion.assert,
    spy = spy,
    stub = spy.stub,
    mock = spy.mock,
    match = assertion.match,
}

function M.install(luaws)
    for k, v in pairs(env) do
        _G[k] = v
    end
    _G.luaws = luaws
end

-- run loads the spec file and runs (or lists) it.
function M.run()
    local chunk, err = host.load(cfg.file)
    if not chunk then
        report(root, "error", tostring(err), "", 0, "(load)")
        root.name = cfg.file
        return
    end
    root.fn = chunk
    -- the file's top level is collected like a describe body
    current = root
    collecting = true
    local status, msg, trace = protected(chunk, "file", cfg.file, 0)
    if status then
        host.report { status = "error", name = cfg.file, file = cfg.file, line = 0,
                      message = msg, trace = trace, duration = 0 }
        return
    end
    if cfg.list then
        for _, child in ipairs(root.children) do
            if child.kind == "it" or child.kind == "pending" then
                if selected(child) then
                    host.list(child.file, child.line, full_name(child))
                end
            else
                list_block(child)
            end
        end
        return
    end
    run_block(root)
end

return M
