-- resty.redis: lua-resty-redis's API over luaws cosockets (RESP2).
--
-- Every Redis command is a method: the few common ones are defined up front, any other name
-- (red:zunionstore(...), red:xadd(...)) is made on first use by the module's __index and kept.
-- Replies map as lua-resty-redis maps them: status -> string, integer -> number, bulk ->
-- string or ngx.null, multi-bulk -> array (ngx.null for a nil array), error -> false, msg;
-- an error inside a multi-bulk or a pipeline becomes the element {false, msg}.

local byte, sub = string.byte, string.sub
local concat, remove = table.concat, table.remove
local tostring, tonumber, type = tostring, tonumber, type
local rawget, select, setmetatable, pairs, ipairs = rawget, select, setmetatable, pairs, ipairs
local unpack = unpack or table.unpack
local null = ngx.null
local tcp = ngx.socket.tcp

local _M = { _VERSION = "0.32" }
local mt = { __index = _M }

-- reply type bytes
local DOLLAR, PLUS, STAR, COLON, MINUS = 36, 43, 42, 58, 45

function _M.new(self)
    local sock, err = tcp()
    if not sock then
        return nil, err
    end
    return setmetatable({
        _sock = sock,
        _subscribed = false,
        _n_channel = { unsubscribe = 0, punsubscribe = 0 },
    }, mt)
end

-- register_module_prefix("bf") makes red:bf():add(...) send "bf.add".
function _M.register_module_prefix(mod)
    _M[mod] = function(self)
        self._module_prefix = mod
        return self
    end
end

local function sock_of(self)
    local sock = rawget(self, "_sock")
    if not sock then
        error("not initialized", 3)
    end
    return sock
end

function _M.set_timeout(self, timeout)
    sock_of(self):settimeout(timeout)
end

function _M.set_timeouts(self, connect_timeout, send_timeout, read_timeout)
    sock_of(self):settimeouts(connect_timeout, send_timeout, read_timeout)
end

-- connect(host, port, opts?) or connect("unix:/path", opts?); opts: ssl, ssl_verify,
-- server_name and the cosocket's pool, pool_size, backlog.
function _M.connect(self, host, port_or_opts, opts)
    local sock = rawget(self, "_sock")
    if not sock then
        return nil, "not initialized"
    end

    local typ = type(host)
    if typ ~= "string" then
        error("bad argument #1 host: string expected, got " .. typ, 2)
    end

    local unix = sub(host, 1, 5) == "unix:"
    if unix then
        typ = type(port_or_opts)
        if port_or_opts ~= nil and typ ~= "table" then
            error("bad argument #2 opts: nil or table expected, got " .. typ, 2)
        end
        opts = port_or_opts
    else
        typ = type(port_or_opts)
        if typ ~= "number" then
            port_or_opts = tonumber(port_or_opts)
            if port_or_opts == nil then
                error("bad argument #2 port: number expected, got " .. typ, 2)
            end
        end
        if opts ~= nil and type(opts) ~= "table" then
            error("bad argument #3 opts: nil or table expected, got " .. type(opts), 2)
        end
    end

    self._subscribed = false

    local ok, err
    if unix then
        if opts ~= nil then
            ok, err = sock:connect(host, opts)
        else
            ok, err = sock:connect(host)
        end
    else
        ok, err = sock:connect(host, port_or_opts, opts)
    end
    if not ok then
        return ok, err
    end

    if opts and opts.ssl then
        ok, err = sock:sslhandshake(false, opts.server_name, opts.ssl_verify)
        if not ok then
            return ok, "failed to do ssl handshake: " .. err
        end
    end
    return ok, err
end

function _M.set_keepalive(self, ...)
    local sock = rawget(self, "_sock")
    if not sock then
        return nil, "not initialized"
    end
    if rawget(self, "_subscribed") then
        return nil, "subscribed state"
    end
    return sock:setkeepalive(...)
end

-- passthrough makes a method that hands its arguments to the cosocket's method of that name.
local function passthrough(name)
    return function(self, ...)
        local sock = rawget(self, "_sock")
        if not sock then
            return nil, "not initialized"
        end
        return sock[name](sock, ...)
    end
end

_M.get_reused_times = passthrough("getreusedtimes")
_M.close = passthrough("close")

-- read_one reads one reply. A read timeout closes the connection (its stream position is
-- lost), except while subscribed or in a blocking command, where waiting is the point.
local function read_one(self, sock)
    local line, err = sock:receive()
    if not line then
        if err == "timeout" and not rawget(self, "_subscribed")
            and not rawget(self, "_blocking") then
            sock:close()
        end
        return nil, err
    end

    local kind = byte(line)
    if kind == DOLLAR then
        local size = tonumber(sub(line, 2))
        if not size then
            sock:close()
            return nil, "bad bulk length: \"" .. sub(line, 2) .. "\""
        end
        if size < 0 then
            return null
        end
        -- the payload and its CRLF in one read
        local data, rerr = sock:receive(size + 2)
        if not data then
            if rerr == "timeout" then
                sock:close()
            end
            return nil, rerr
        end
        return sub(data, 1, size)
    elseif kind == PLUS then
        return sub(line, 2)
    elseif kind == STAR then
        local n = tonumber(sub(line, 2))
        if not n then
            sock:close()
            return nil, "bad multi-bulk length: \"" .. sub(line, 2) .. "\""
        end
        if n < 0 then
            return null
        end
        local vals = {}
        for i = 1, n do
            local res, rerr = read_one(self, sock)
            if res then
                vals[i] = res
            elseif res == nil then
                return nil, rerr
            else
                vals[i] = { false, rerr }
            end
        end
        return vals
    elseif kind == COLON then
        return tonumber(sub(line, 2))
    elseif kind == MINUS then
        return false, sub(line, 2)
    end
    return nil, "unknown prefix: \"" .. tostring(kind) .. "\""
end

-- encode appends one command in RESP's array-of-bulk-strings form to buf.
local function encode(buf, n, args, nargs)
    buf[n + 1] = "*" .. nargs .. "\r\n"
    n = n + 1
    for i = 1, nargs do
        local arg = args[i]
        if type(arg) ~= "string" then
            arg = tostring(arg)
        end
        buf[n + 1] = "$" .. #arg .. "\r\n"
        buf[n + 2] = arg
        buf[n + 3] = "\r\n"
        n = n + 3
    end
    return n
end

local function is_message(self, res)
    return rawget(self, "_subscribed") and type(res) == "table"
        and (res[1] == "message" or res[1] == "pmessage")
end

-- send_cmd sends one command (or queues it in a pipeline) and reads its reply; messages of
-- subscribed channels that arrive first are kept for read_reply.
local function send_cmd(self, ...)
    local sock = rawget(self, "_sock")
    if not sock then
        return nil, "not initialized"
    end

    -- the length of {...}, as lua-resty-redis counts: a trailing nil is not sent
    local args = { ... }
    local nargs = #args
    local reqs = rawget(self, "_reqs")
    if reqs then
        reqs._n = encode(reqs, reqs._n, args, nargs)
        reqs._count = reqs._count + 1
        return
    end

    local buf = {}
    encode(buf, 0, args, nargs)
    local bytes, err = sock:send(buf)
    if not bytes then
        return nil, err
    end

    local res
    res, err = read_one(self, sock)
    while is_message(self, res) do
        local q = rawget(self, "_buffered_msg")
        if not q then
            q = {}
            self._buffered_msg = q
        end
        q[#q + 1] = res
        res, err = read_one(self, sock)
    end
    return res, err
end

local function do_cmd(self, cmd, ...)
    local prefix = rawget(self, "_module_prefix")
    if prefix then
        self._module_prefix = nil
        return send_cmd(self, prefix .. "." .. cmd, ...)
    end
    return send_cmd(self, cmd, ...)
end

local function command(cmd)
    return function(self, ...)
        return do_cmd(self, cmd, ...)
    end
end

for _, cmd in ipairs({
    "get", "set", "mget", "mset", "del", "incr", "decr",
    "llen", "lindex", "lpop", "lpush", "lrange", "linsert",
    "hexists", "hget", "hset", "hmget", "hdel",
    "smembers", "sismember", "sadd", "srem", "sdiff", "sinter", "sunion",
    "zrange", "zrangebyscore", "zrank", "zadd", "zrem", "zincrby",
    "auth", "eval", "expire", "script", "sort",
}) do
    _M[cmd] = command(cmd)
end

-- blpop/brpop wait by design: a read timeout leaves the connection open.
for _, cmd in ipairs({ "blpop", "brpop" }) do
    _M[cmd] = function(self, ...)
        self._blocking = true
        return do_cmd(self, cmd, ...)
    end
end

-- pub/sub bookkeeping: how many channels (unsubscribe) and patterns (punsubscribe) remain.
local function note_subscribed(self, res)
    if type(res) ~= "table" then
        return
    end
    local kind = res[1]
    if kind == "subscribe" then
        self._n_channel.unsubscribe = self._n_channel.unsubscribe + 1
    elseif kind == "psubscribe" then
        self._n_channel.punsubscribe = self._n_channel.punsubscribe + 1
    end
end

local function note_unsubscribed(self, res)
    if type(res) ~= "table" then
        return
    end
    local kind = res[1]
    if kind ~= "unsubscribe" and kind ~= "punsubscribe" then
        return
    end
    self._n_channel[kind] = self._n_channel[kind] - 1

    -- drop kept messages of the channel (or pattern) just left
    local q = rawget(self, "_buffered_msg")
    if q then
        local msg_kind = kind == "punsubscribe" and "pmessage" or "message"
        local kept = {}
        for _, msg in ipairs(q) do
            if msg[1] == msg_kind and msg[2] ~= res[2] then
                kept[#kept + 1] = msg
            end
        end
        self._buffered_msg = #kept > 0 and kept or nil
    end

    if res[3] == 0 then
        self._subscribed = false
    end
end

-- read_reply returns the next message of a subscribed connection.
function _M.read_reply(self)
    local sock = rawget(self, "_sock")
    if not sock then
        return nil, "not initialized"
    end
    if not rawget(self, "_subscribed") then
        return nil, "not subscribed"
    end
    local q = rawget(self, "_buffered_msg")
    if q then
        local msg = remove(q, 1)
        if #q == 0 then
            self._buffered_msg = nil
        end
        return msg
    end
    local res, err = read_one(self, sock)
    note_unsubscribed(self, res)
    return res, err
end

-- subscribe/psubscribe with one channel return its confirmation; with several, an array of
-- the confirmations.
for _, cmd in ipairs({ "subscribe", "psubscribe" }) do
    _M[cmd] = function(self, ...)
        self._subscribed = true
        local nargs = select("#", ...)
        local res, err = send_cmd(self, cmd, ...)
        if not res then
            return nil, err
        end
        note_subscribed(self, res)
        if nargs <= 1 then
            return res
        end
        local all = { res }
        local sock = rawget(self, "_sock")
        for i = 2, nargs do
            res, err = read_one(self, sock)
            if not res then
                return nil, err
            end
            note_subscribed(self, res)
            all[i] = res
        end
        return all
    end
end

-- unsubscribe/punsubscribe with no argument leave everything: confirmations are read until
-- the count of that kind reaches zero.
for _, cmd in ipairs({ "unsubscribe", "punsubscribe" }) do
    _M[cmd] = function(self, ...)
        if not rawget(self, "_subscribed") then
            return nil, "not subscribed"
        end
        local nargs = select("#", ...)
        local res, err = send_cmd(self, cmd, ...)
        if not res then
            return nil, err
        end
        note_unsubscribed(self, res)
        if nargs == 1 or self._n_channel[cmd] == 0 then
            return res
        end
        local all = { res }
        local sock = rawget(self, "_sock")
        local i = 2
        while nargs == 0 or i <= nargs do
            res, err = read_one(self, sock)
            if not res then
                return nil, err
            end
            all[i] = res
            i = i + 1
            note_unsubscribed(self, res)
            if self._n_channel[cmd] == 0 then
                break
            end
        end
        return all
    end
end

-- hmset(key, {field = value, ...}) or hmset(key, field, value, ...)
function _M.hmset(self, key, ...)
    if select("#", ...) == 1 then
        local t = ...
        local args, n = {}, 0
        for k, v in pairs(t) do
            args[n + 1], args[n + 2] = k, v
            n = n + 2
        end
        return send_cmd(self, "hmset", key, unpack(args, 1, n))
    end
    return send_cmd(self, "hmset", key, ...)
end

function _M.init_pipeline(self, n)
    self._reqs = { _n = 0, _count = 0 }
end

function _M.cancel_pipeline(self)
    self._reqs = nil
end

-- commit_pipeline sends every queued command in one write and returns their replies in
-- order (an error reply as {false, msg}).
function _M.commit_pipeline(self)
    local reqs = rawget(self, "_reqs")
    if not reqs then
        return nil, "no pipeline"
    end
    self._reqs = nil

    local sock = rawget(self, "_sock")
    if not sock then
        return nil, "not initialized"
    end

    local count = reqs._count
    reqs._n, reqs._count = nil, nil
    local bytes, err = sock:send(concat(reqs))
    if not bytes then
        return nil, err
    end

    local vals = {}
    for i = 1, count do
        local res, rerr = read_one(self, sock)
        if res then
            vals[i] = res
        elseif res == nil then
            if rerr == "timeout" then
                sock:close()
            end
            return nil, rerr
        else
            vals[i] = { false, rerr }
        end
    end
    return vals
end

-- array_to_hash turns {k1, v1, k2, v2} (HGETALL's reply) into {k1 = v1, k2 = v2}.
function _M.array_to_hash(self, t)
    local h = {}
    for i = 1, #t, 2 do
        h[t[i]] = t[i + 1]
    end
    return h
end

-- add_commands is kept for old scripts; every name already works as a method.
function _M.add_commands(...)
    for _, cmd in ipairs({ ... }) do
        _M[cmd] = function(self, ...)
            return send_cmd(self, cmd, ...)
        end
    end
end

setmetatable(_M, {
    __index = function(t, cmd)
        local method = command(cmd)
        rawset(t, cmd, method)
        return method
    end,
})

return _M
