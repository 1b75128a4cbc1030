-- resty.memcached: lua-resty-memcached's API over luaws cosockets (memcached's text protocol).
--
-- Keys are escaped with ngx.escape_uri (or the key_transform pair given to new). Replies map as
-- lua-resty-memcached maps them: success -> 1 (or the value), a server reply it does not expect
-- -> nil, that reply line ("NOT_STORED", "ERROR", ...); a read timeout closes the connection.
-- Commands issued between init_pipeline and commit_pipeline go out in one write, and
-- commit_pipeline returns one {results...} table per command.

local match, concat, type, setmetatable, rawget, ipairs, tonumber =
    string.match, table.concat, type, setmetatable, rawget, ipairs, tonumber
local tcp = ngx.socket.tcp
local strlen = string.len

local _M = { _VERSION = "0.17" }
local mt = { __index = _M }

function _M.new(self, opts)
    local sock, err = tcp()
    if not sock then
        return nil, err
    end
    local escape, unescape = ngx.escape_uri, ngx.unescape_uri
    local kt = opts and opts.key_transform
    if kt then
        escape, unescape = kt[1], kt[2]
        if not escape or not unescape then
            return nil, "expecting key_transform = { escape, unescape } table"
        end
    end
    return setmetatable({ sock = sock, escape_key = escape, unescape_key = unescape }, mt)
end

local function set_timeouts(self, connect, send, read)
    local sock = self.sock
    if not sock then
        return nil, "not initialized"
    end
    sock:settimeouts(connect, send, read)
    return 1
end
_M.set_timeouts = set_timeouts

function _M.set_timeout(self, timeout)
    return set_timeouts(self, timeout, timeout, timeout)
end

-- pass-through socket methods
for _, m in ipairs({
    { "connect", "connect" }, { "sslhandshake", "sslhandshake" }, { "close", "close" },
    { "set_keepalive", "setkeepalive" }, { "get_reused_times", "getreusedtimes" },
}) do
    local name, method = m[1], m[2]
    _M[name] = function(self, ...)
        local sock = self.sock
        if not sock then
            return nil, "not initialized"
        end
        return sock[method](sock, ...)
    end
end

-- recv reads a line (n == nil) or n bytes; a timeout closes the connection.
local function recv(sock, n)
    local data, err = sock:receive(n)
    if not data then
        if err == "timeout" then
            sock:close()
        end
        return nil, err
    end
    return data
end

-- run sends req (an array of strings) and returns reader(sock)'s results, or queues both
-- when a pipeline is open (the command then returns 1).
local function run(self, req, reader, nerr)
    local sock = self.sock
    if not sock then
        if nerr == 3 then
            return nil, nil, "not initialized"
        end
        return nil, "not initialized"
    end
    local reqs = rawget(self, "_reqs")
    if reqs and reader then
        for i = 1, #req do
            reqs[#reqs + 1] = req[i]
        end
        local readers = rawget(self, "_readers")
        readers[#readers + 1] = reader
        return 1
    end
    local bytes, err = sock:send(req)
    if not bytes then
        if nerr == 3 then
            return nil, nil, err
        end
        return nil, err
    end
    return reader(sock)
end

-- expect returns a reader that maps the reply line want (or any of its alternatives) to 1.
local function expect(want, alt)
    return function(sock)
        local line, err = recv(sock)
        if not line then
            return nil, err
        end
        if line == want or line == alt then
            return 1
        end
        return nil, line
    end
end

local stored_reply = expect("STORED")
local deleted_reply = expect("DELETED")
local ok_reply = expect("OK")
local touched_reply = expect("TOUCHED", "STORED") -- moxi answers STORED

local function get_reply(sock)
    local line, err = recv(sock)
    if not line then
        return nil, nil, err
    end
    if line == "END" then
        return nil, nil, nil
    end
    local flags, len = match(line, "^VALUE %S+ (%d+) (%d+)$")
    if not flags then
        return nil, nil, line
    end
    local data
    data, err = recv(sock, tonumber(len))
    if not data then
        return nil, nil, err
    end
    local _, rerr = recv(sock, 7) -- "\r\nEND\r\n"
    if rerr then
        return nil, nil, rerr
    end
    return data, flags
end

local function gets_reply(sock)
    local line, err = recv(sock)
    if not line then
        return nil, nil, nil, err
    end
    if line == "END" then
        return nil, nil, nil, nil
    end
    local flags, len, cas = match(line, "^VALUE %S+ (%d+) (%d+) (%d+)$")
    if not flags then
        return nil, nil, nil, line
    end
    local data
    data, err = recv(sock, tonumber(len))
    if not data then
        return nil, nil, nil, err
    end
    local _, rerr = recv(sock, 7)
    if rerr then
        return nil, nil, nil, rerr
    end
    return data, flags, cas
end

-- multi_get: get/gets with an array of keys -> { [key] = {data, flags[, cas]} }
local function multi_get(self, cmd, keys)
    local sock = self.sock
    if not sock then
        return nil, "not initialized"
    end
    if #keys == 0 then
        return {}, nil
    end
    local escape = self.escape_key
    local req = { cmd }
    for i = 1, #keys do
        req[#req + 1] = " "
        req[#req + 1] = escape(keys[i])
    end
    req[#req + 1] = "\r\n"
    local bytes, err = sock:send(req)
    if not bytes then
        return nil, err
    end

    local pattern = cmd == "gets" and "^VALUE (%S+) (%d+) (%d+) (%d+)$" or "^VALUE (%S+) (%d+) (%d+)$"
    local unescape = self.unescape_key
    local results = {}
    while true do
        local line, rerr = recv(sock)
        if not line then
            return nil, rerr
        end
        if line == "END" then
            return results
        end
        local key, flags, len, cas = match(line, pattern)
        if not key then
            return nil, line
        end
        local data, derr = recv(sock, tonumber(len))
        if not data then
            return nil, derr
        end
        results[unescape(key)] = { data, flags, cas }
        local _, cerr = recv(sock, 2)
        if cerr then
            return nil, cerr
        end
    end
end

function _M.get(self, key)
    if type(key) == "table" then
        return multi_get(self, "get", key)
    end
    if not self.sock then
        return nil, nil, "not initialized"
    end
    return run(self, { "get ", self.escape_key(key), "\r\n" }, get_reply, 3)
end

function _M.gets(self, key)
    if type(key) == "table" then
        return multi_get(self, "gets", key)
    end
    local sock = self.sock
    if not sock then
        return nil, nil, nil, "not initialized"
    end
    local bytes, err = sock:send({ "gets ", self.escape_key(key), "\r\n" })
    if not bytes then
        return nil, nil, nil, err
    end
    return gets_reply(sock)
end

-- flatten turns a (nested) array value into one string, as the store commands send it.
local function flatten(v)
    local segs = {}
    for i = 1, #v do
        local seg = v[i]
        segs[i] = type(seg) == "table" and flatten(seg) or seg
    end
    return concat(segs)
end

local function store(self, cmd, key, value, exptime, flags, cas)
    if not self.sock then
        return nil, "not initialized"
    end
    if type(value) == "table" then
        value = flatten(value)
    end
    local req = { cmd, " ", self.escape_key(key), " ", flags or 0, " ", exptime or 0, " ",
        strlen(value) }
    if cas then
        req[#req + 1] = " "
        req[#req + 1] = cas
    end
    req[#req + 1] = "\r\n"
    req[#req + 1] = value
    req[#req + 1] = "\r\n"
    if cas then
        -- cas is never pipelined
        local reqs = rawget(self, "_reqs")
        self._reqs = nil
        local a, b = run(self, req, stored_reply)
        self._reqs = reqs
        return a, b
    end
    return run(self, req, stored_reply)
end

for _, cmd in ipairs({ "set", "add", "replace", "append", "prepend" }) do
    _M[cmd] = function(self, ...)
        return store(self, cmd, ...)
    end
end

function _M.cas(self, key, value, cas_uniq, exptime, flags)
    return store(self, "cas", key, value, exptime, flags, cas_uniq)
end

function _M.delete(self, key)
    if not self.sock then
        return nil, "not initialized"
    end
    return run(self, { "delete ", self.escape_key(key), "\r\n" }, deleted_reply)
end

local function incr_decr_reply(sock)
    local line, err = recv(sock)
    if not line then
        return nil, err
    end
    if not match(line, "^%d+$") then
        return nil, line
    end
    return line
end

for _, cmd in ipairs({ "incr", "decr" }) do
    _M[cmd] = function(self, key, value)
        if not self.sock then
            return nil, "not initialized"
        end
        return run(self, { cmd, " ", self.escape_key(key), " ", value, "\r\n" }, incr_decr_reply)
    end
end

function _M.touch(self, key, exptime)
    if not self.sock then
        return nil, "not initialized"
    end
    return run(self, { "touch ", self.escape_key(key), " ", exptime, "\r\n" }, touched_reply)
end

function _M.flush_all(self, time)
    local sock = self.sock
    if not sock then
        return nil, "not initialized"
    end
    local req = time and { "flush_all ", time, "\r\n" } or { "flush_all\r\n" }
    local bytes, err = sock:send(req)
    if not bytes then
        return nil, err
    end
    return ok_reply(sock)
end

local function stats_reply(sock)
    local lines = {}
    while true do
        local line, err = recv(sock)
        if not line then
            return nil, err
        end
        if line == "END" then
            return lines, nil
        end
        if match(line, "ERROR") then
            return nil, line
        end
        lines[#lines + 1] = line
    end
end

function _M.stats(self, args)
    if not self.sock then
        return nil, "not initialized"
    end
    return run(self, args and { "stats ", args, "\r\n" } or { "stats\r\n" }, stats_reply)
end

function _M.version(self)
    local sock = self.sock
    if not sock then
        return nil, "not initialized"
    end
    local bytes, err = sock:send("version\r\n")
    if not bytes then
        return nil, err
    end
    local line
    line, err = recv(sock)
    if not line then
        return nil, err
    end
    local ver = match(line, "^VERSION (.+)$")
    if not ver then
        return nil, ver -- lua-resty-memcached returns nil, nil here
    end
    return ver
end

function _M.quit(self)
    local sock = self.sock
    if not sock then
        return nil, "not initialized"
    end
    local bytes, err = sock:send("quit\r\n")
    if not bytes then
        return nil, err
    end
    return 1
end

function _M.verbosity(self, level)
    if not self.sock then
        return nil, "not initialized"
    end
    return run(self, { "verbosity ", level, "\r\n" }, ok_reply)
end

function _M.init_pipeline(self, n)
    if self._reqs then
        return "already init pipeline"
    end
    if n and type(n) ~= "number" then
        return "bad n arg: number expected, but got " .. type(n)
    end
    self._reqs, self._readers = {}, {}
    return nil
end

function _M.cancel_pipeline(self)
    self._reqs, self._readers = nil, nil
end

function _M.commit_pipeline(self)
    local reqs, readers = rawget(self, "_reqs"), rawget(self, "_readers")
    self._reqs, self._readers = nil, nil
    if not reqs or not readers then
        return nil, "no pipeline"
    end
    local sock = self.sock
    if not sock then
        return nil, "not initialized"
    end
    if #readers == 0 then
        return nil, "no more cmds"
    end
    local bytes, err = sock:send(reqs)
    if not bytes then
        return nil, err
    end
    local results = {}
    for i, reader in ipairs(readers) do
        results[i] = { reader(sock) }
    end
    return results, nil
end

return _M
