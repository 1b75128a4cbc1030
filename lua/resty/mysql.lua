-- resty.mysql: lua-resty-mysql's API over luaws cosockets (the MySQL/MariaDB client
-- protocol, text resultsets).
--
-- The connection's state machine, packet framing and error strings are lua-resty-mysql's;
-- packet parsing and the authentication plugins' crypto are native ("luaws.mysql", Go).
-- Auth plugins: mysql_native_password, caching_sha2_password (fast path, and full
-- authentication in clear over TLS or a unix socket, else RSA-encrypted with the server's
-- public key), sha256_password, mysql_old_password, mysql_clear_password and MariaDB's
-- client_ed25519. Column values: numeric types (but BIGINT) become Lua numbers, NULL is
-- ngx.null, everything else a string. Errors are nil, err[, errno, sqlstate].
--
-- Differences from lua-resty-mysql: a packet cut short or malformed gives nil, err
-- ("malformed packet", "bad handshake initialization packet: ...") where the original
-- raises a Lua error; RSA needs no resty.rsa; the password is XORed with the scramble
-- the way MySQL's own client does it before RSA encryption.

local native = require "luaws.mysql"
local bit = require "bit"
local ed25519 = require "resty.mysql.auth_ed25519"

local band, bor = bit.band, bit.bor
local byte, char, sub, rep = string.byte, string.char, string.sub, string.rep
local setmetatable, tostring = setmetatable, tostring
local tcp = ngx.socket.tcp
local floor = math.floor

local parse_handshake, parse_ok, parse_err, parse_eof = native.parse_handshake,
    native.parse_ok, native.parse_err, native.parse_eof
local parse_field, parse_row = native.parse_field, native.parse_row

local _M = { _VERSION = "0.29" }
local mt = { __index = _M }

local STATE_CONNECTED, STATE_COMMAND_SENT = 1, 2
local COM_QUIT, COM_QUERY = "\1", "\3"

-- LONG_PASSWORD FOUND_ROWS LONG_FLAG CONNECT_WITH_DB ODBC LOCAL_FILES IGNORE_SPACE
-- PROTOCOL_41 INTERACTIVE IGNORE_SIGPIPE TRANSACTIONS RESERVED SECURE_CONNECTION
-- MULTI_STATEMENTS MULTI_RESULTS, and PLUGIN_AUTH
local CLIENT_FLAGS = 0x3f7cf + 0x80000
local CLIENT_SSL = 0x800
local CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA = 0x200000
local SERVER_MORE_RESULTS_EXISTS = 8

-- the first byte of a packet names its kind
local kinds = { [0x00] = "OK", [0x01] = "AUTHMOREDATA", [0xfb] = "LOCALINFILE",
    [0xfe] = "EOF", [0xff] = "ERR" }

-- character sets by name: the default collation's id (information_schema.collations)
local charsets = {
    _default = 0, big5 = 1, dec8 = 3, cp850 = 4, hp8 = 6, koi8r = 7, latin1 = 8,
    latin2 = 9, swe7 = 10, ascii = 11, ujis = 12, sjis = 13, hebrew = 16, tis620 = 18,
    euckr = 19, koi8u = 22, gb2312 = 24, greek = 25, cp1250 = 26, gbk = 28, latin5 = 30,
    armscii8 = 32, utf8 = 33, ucs2 = 35, cp866 = 36, keybcs2 = 37, macce = 38,
    macroman = 39, cp852 = 40, latin7 = 41, utf8mb4 = 45, cp1251 = 51, utf16 = 54,
    utf16le = 56, cp1256 = 57, cp1257 = 59, utf32 = 60, binary = 63, geostd8 = 92,
    cp932 = 95, eucjpms = 97, gb18030 = 248,
}

local function le(n, width)
    local t = {}
    for i = 1, width do
        t[i] = char(n % 256)
        n = floor(n / 256)
    end
    return table.concat(t)
end

-- packets ----------------------------------------------------------------------------

local function send_packet(self, payload)
    self.packet_no = (self.packet_no or 0) + 1
    return self.sock:send(le(#payload, 3) .. char(band(self.packet_no, 255)) .. payload)
end

-- recv_packet returns the payload and its kind, or nil, nil, err.
local function recv_packet(self)
    local sock = self.sock
    local hdr, err = sock:receive(4)
    if not hdr then
        return nil, nil, "failed to receive packet header: " .. err
    end
    local b1, b2, b3, seq = byte(hdr, 1, 4)
    local len = b1 + b2 * 256 + b3 * 65536
    if len == 0 then
        return nil, nil, "empty packet"
    end
    if len > self._max_packet_size then
        return nil, nil, "packet size too big: " .. len
    end
    self.packet_no = seq
    local data
    data, err = sock:receive(len)
    if not data then
        return nil, nil, "failed to read packet content: " .. err
    end
    return data, kinds[byte(data)] or "DATA"
end

local function lenenc(n)
    if n <= 250 then
        return char(n)
    end
    if n <= 0xffff then
        return "\252" .. le(n, 2)
    end
    if n <= 0xffffff then
        return "\253" .. le(n, 3)
    end
    return "\254" .. le(n, 8)
end

-- authentication ---------------------------------------------------------------------

-- auth_response is what plugin answers to the server's scramble, or nil, err.
local function auth_response(self, scramble, plugin)
    local password = self.password
    if plugin == "mysql_native_password" then
        return native.native_token(password, scramble)
    elseif plugin == "caching_sha2_password" then
        return native.sha256_token(password, scramble)
    elseif plugin == "mysql_old_password" then
        return native.old_token(password, scramble)
    elseif plugin == "mysql_clear_password" then
        return password .. "\0"
    elseif plugin == "sha256_password" then
        if self.is_unix or self.use_ssl or password == "" then
            return password .. "\0"
        end
        if self.public_key then
            return native.rsa_encrypt(self.public_key, password, scramble)
        end
        return "\1" -- ask for the server's public key
    elseif plugin == "client_ed25519" then
        return ed25519.sign(password, sub(scramble, 1, 32))
    end
    return nil, "unknown plugin: " .. plugin
end

-- read_auth_reply reads the server's answer to an auth response: "OK"; the extra data of
-- an AuthMoreData packet and ""; for an auth switch the new scramble (nil for the
-- pre-4.1 switch) and the plugin; or nil, nil, err[, errno, sqlstate].
local function read_auth_reply(self)
    local pkt, kind, err = recv_packet(self)
    if not pkt then
        return nil, nil, "failed to receive the result packet: " .. err
    end
    if kind == "OK" then
        return "OK", ""
    elseif kind == "AUTHMOREDATA" then
        return sub(pkt, 2), ""
    elseif kind == "EOF" then
        if #pkt == 1 then
            return nil, "mysql_old_password"
        end
        local nul = string.find(pkt, "\0", 2, true)
        if not nul then
            return nil, nil, "malformed packet"
        end
        return sub(pkt, nul + 1), sub(pkt, 2, nul - 1)
    elseif kind == "ERR" then
        local errno, msg, sqlstate = parse_err(pkt)
        return nil, nil, msg, errno, sqlstate
    end
    return nil, nil, "bad packet type: " .. kind
end

local function read_ok(self)
    local pkt, kind, err = recv_packet(self)
    if not pkt then
        return "failed to receive the result packet: " .. err
    end
    if kind == "ERR" then
        local errno, msg, sqlstate = parse_err(pkt)
        return msg, errno, sqlstate
    end
    if kind ~= "OK" then
        return "bad packet type: " .. kind
    end
end

local function send_encrypted(self, scramble, public_key)
    local enc, err = native.rsa_encrypt(public_key, self.password, scramble)
    if not enc then
        return err
    end
    local bytes
    bytes, err = send_packet(self, enc)
    if not bytes then
        return "failed to send encode password packet: " .. err
    end
end

-- caching_sha2_full is caching_sha2_password's full authentication: the password in clear
-- over TLS or a unix socket, else RSA-encrypted with the server's public key.
local function caching_sha2_full(self, scramble)
    if self.is_unix or self.use_ssl then
        local bytes, err = send_packet(self, self.password .. "\0")
        if not bytes then
            return "failed to send cleartext auth packet: " .. err
        end
        return read_ok(self)
    end
    local key = self.public_key
    if not key then
        local bytes, err = send_packet(self, "\2")
        if not bytes then
            return "failed to send password request packet: " .. err
        end
        local pkt, _
        pkt, _, err = recv_packet(self)
        if not pkt then
            return "failed to receive the result packet: " .. err
        end
        key = sub(pkt, 2)
    end
    local err = send_encrypted(self, scramble, key)
    if err then
        return err
    end
    self.public_key = key
    return read_ok(self)
end

-- authenticate follows the server's answers after the handshake response until OK;
-- it returns nil, or err, errno, sqlstate.
local function authenticate(self, scramble, plugin)
    local data, switch, err, errno, sqlstate = read_auth_reply(self)
    if err then
        return err, errno, sqlstate
    end
    if data == "OK" then
        return
    end
    if switch ~= "" then -- auth switch request
        plugin = switch
        if data then
            scramble = data
        end
        local resp
        resp, err = auth_response(self, scramble, plugin)
        if not resp then
            return err
        end
        local bytes
        bytes, err = send_packet(self, resp)
        if not bytes then
            return "failed to send client authentication packet: " .. err
        end
        data, switch, err, errno, sqlstate = read_auth_reply(self)
        if err then
            return err, errno, sqlstate
        end
        if data == "OK" then
            return
        end
        if switch ~= "" then
            return "malformed packet"
        end
    end
    if plugin == "caching_sha2_password" then
        if data == "" then
            return
        end
        if data == "\3" then -- fast authentication succeeded
            return read_ok(self)
        end
        if data == "\4" then -- full authentication
            return caching_sha2_full(self, scramble)
        end
        return "malformed packet"
    end
    if plugin == "sha256_password" and data ~= "" then -- data is the public key
        err = send_encrypted(self, scramble, data)
        if err then
            return err
        end
        return read_ok(self)
    end
end

local function handshake_response(self, auth, plugin)
    local flags = CLIENT_FLAGS
    if #auth > 250 then
        flags = bor(flags, CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA)
    end
    local common = le(self._max_packet_size, 4) .. char(self.charset) .. rep("\0", 23)
    if self.use_ssl then
        if band(self.capabilities, CLIENT_SSL) == 0 then
            return "ssl disabled on server"
        end
        local bytes, err = send_packet(self, le(bor(flags, CLIENT_SSL), 4) .. common)
        if not bytes then
            return "failed to send client authentication packet: " .. err
        end
        local ok
        ok, err = self.sock:sslhandshake(false, nil, self.ssl_verify)
        if not ok then
            return "failed to do ssl handshake: " .. (err or "")
        end
        flags = bor(flags, CLIENT_SSL)
    end
    local bytes, err = send_packet(self, le(flags, 4) .. common .. self.user .. "\0"
        .. lenenc(#auth) .. auth .. self.database .. "\0" .. plugin .. "\0")
    if not bytes then
        return "failed to send client authentication packet: " .. err
    end
end

-- API --------------------------------------------------------------------------------

function _M.new(self)
    local sock, err = tcp()
    if not sock then
        return nil, err
    end
    return setmetatable({ sock = sock }, mt)
end

function _M.set_timeout(self, timeout)
    local sock = self.sock
    if not sock then
        return nil, "not initialized"
    end
    return sock:settimeout(timeout)
end

function _M.connect(self, opts)
    local sock = self.sock
    if not sock then
        return nil, "not initialized"
    end
    self._max_packet_size = opts.max_packet_size or 1024 * 1024
    self.compact = opts.compact_arrays
    self.database = opts.database or ""
    self.user = opts.user or ""
    self.charset = charsets[opts.charset or "_default"]
    if not self.charset then
        return nil, "charset '" .. opts.charset .. "' is not supported"
    end
    self.ssl_verify = opts.ssl_verify
    self.use_ssl = opts.ssl or opts.ssl_verify
    self.password = opts.password or ""

    local pool = opts.pool
    local copts = { pool_size = opts.pool_size, backlog = opts.backlog }
    local ok, err
    if opts.host then
        local port = opts.port or 3306
        copts.pool = pool or (self.user .. ":" .. self.database .. ":" .. opts.host .. ":" .. port)
        ok, err = sock:connect(opts.host, port, copts)
    else
        local path = opts.path
        if not path then
            return nil, 'neither "host" nor "path" options are specified'
        end
        copts.pool = pool or (self.user .. ":" .. self.database .. ":" .. path)
        self.is_unix = true
        ok, err = sock:connect("unix:" .. path, copts)
    end
    if not ok then
        return nil, "failed to connect: " .. err
    end

    local reused = sock:getreusedtimes()
    if reused and reused > 0 then
        self.state = STATE_CONNECTED
        return 1
    end

    local pkt, kind
    pkt, kind, err = recv_packet(self)
    if not pkt then
        return nil, err
    end
    if kind == "ERR" then
        local _, msg = parse_err(pkt)
        return nil, msg
    end
    local hs
    hs, err = parse_handshake(pkt)
    if not hs then
        return nil, err
    end
    self.protocol_ver = hs.protocol_ver
    self._server_ver = hs.server_ver
    self._server_lang = hs.server_lang
    self._server_status = hs.server_status
    self.capabilities = hs.capabilities

    local auth
    auth, err = auth_response(self, hs.scramble, hs.plugin)
    if not auth then
        return nil, err
    end
    err = handshake_response(self, auth, hs.plugin)
    if err then
        return nil, err
    end
    local errno, sqlstate
    err, errno, sqlstate = authenticate(self, hs.scramble, hs.plugin)
    if err then
        return nil, err, errno, sqlstate
    end
    self.state = STATE_CONNECTED
    return 1
end

function _M.set_keepalive(self, ...)
    local sock = self.sock
    if not sock then
        return nil, "not initialized"
    end
    if self.state ~= STATE_CONNECTED then
        return nil, "cannot be reused in the current connection state: " .. (self.state or "nil")
    end
    self.state = nil
    return sock:setkeepalive(...)
end

function _M.get_reused_times(self)
    local sock = self.sock
    if not sock then
        return nil, "not initialized"
    end
    return sock:getreusedtimes()
end

function _M.close(self)
    local sock = self.sock
    if not sock then
        return nil, "not initialized"
    end
    self.state = nil
    self.packet_no = -1
    local bytes, err = send_packet(self, COM_QUIT)
    if not bytes then
        return nil, err
    end
    return sock:close()
end

function _M.server_ver(self)
    return self._server_ver
end

function _M.set_compact_arrays(self, value)
    self.compact = value
end

local function send_query(self, query)
    if self.state ~= STATE_CONNECTED then
        return nil, "cannot send query in the current context: " .. (self.state or "nil")
    end
    if not self.sock then
        return nil, "not initialized"
    end
    self.packet_no = -1
    local bytes, err = send_packet(self, COM_QUERY .. query)
    if not bytes then
        return nil, err
    end
    self.state = STATE_COMMAND_SENT
    return bytes
end
_M.send_query = send_query

local function read_result(self, est_nrows)
    if self.state ~= STATE_COMMAND_SENT then
        return nil, "cannot read result in the current context: " .. (self.state or "nil")
    end
    if not self.sock then
        return nil, "not initialized"
    end
    local pkt, kind, err = recv_packet(self)
    if not pkt then
        return nil, err
    end
    if kind == "ERR" then
        self.state = STATE_CONNECTED
        local errno, msg, sqlstate = parse_err(pkt)
        return nil, msg, errno, sqlstate
    end
    if kind == "OK" then
        local res
        res, err = parse_ok(pkt)
        if not res then
            return nil, err
        end
        if band(res.server_status, SERVER_MORE_RESULTS_EXISTS) ~= 0 then
            return res, "again"
        end
        self.state = STATE_CONNECTED
        return res
    end
    if kind == "LOCALINFILE" then
        self.state = STATE_CONNECTED
        return nil, "packet type " .. kind .. " not supported"
    end

    -- a result set: column count, column definitions, EOF, rows, EOF
    local ncols = native.lenenc_int(pkt, 1)
    if ncols == ngx.null then
        return nil, "malformed packet"
    end
    local cols = table.new(ncols, 0)
    for i = 1, ncols do
        pkt, kind, err = recv_packet(self)
        if not pkt then
            return nil, err
        end
        if kind == "ERR" then
            local errno, msg, sqlstate = parse_err(pkt)
            return nil, msg, errno, sqlstate
        end
        if kind ~= "DATA" then
            return nil, "bad field packet type: " .. kind
        end
        cols[i] = parse_field(pkt)
    end
    pkt, kind, err = recv_packet(self)
    if not pkt then
        return nil, err
    end
    if kind ~= "EOF" then
        return nil, "unexpected packet type " .. kind .. " while eof packet is expected"
    end

    local compact = self.compact
    local rows = table.new(est_nrows or 4, 0)
    local n = 0
    while true do
        pkt, kind, err = recv_packet(self)
        if not pkt then
            return nil, err
        end
        if kind == "EOF" and #pkt < 9 then
            local _, status = parse_eof(pkt)
            if band(status, SERVER_MORE_RESULTS_EXISTS) ~= 0 then
                return rows, "again"
            end
            break
        end
        if kind == "ERR" then
            self.state = STATE_CONNECTED
            local errno, msg, sqlstate = parse_err(pkt)
            return nil, msg, errno, sqlstate
        end
        n = n + 1
        rows[n] = parse_row(pkt, cols, compact)
    end
    self.state = STATE_CONNECTED
    return rows
end
_M.read_result = read_result

function _M.query(self, query, est_nrows)
    local bytes, err = send_query(self, query)
    if not bytes then
        return nil, "failed to send query: " .. err
    end
    return read_result(self, est_nrows)
end

return _M
