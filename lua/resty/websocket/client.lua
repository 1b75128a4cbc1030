-- resty.websocket.client for luaws: the client side of a WebSocket session, over a luaws
-- cosocket. Frames are built and parsed in Go; the handshake response is checked there too
-- (status 101 and Sec-WebSocket-Accept, which upstream leaves unchecked).

local native = require "luaws.websocket"
local protocol = require "resty.websocket.protocol"

local tcp = ngx.socket.tcp
local encode_base64 = ngx.encode_base64
local char = string.char
local find = string.find
local match = string.match
local concat = table.concat
local rand = math.random
local type = type
local tostring = tostring
local setmetatable = setmetatable

local _M = protocol.new_tab(0, 13)
_M._VERSION = '0.12'

local mt = { __index = _M }

function _M.new(self, opts)
    local sock, err = tcp()
    if not sock then
        return nil, err
    end

    local max_payload_len, max_recv_len, max_send_len, send_unmasked
    if opts then
        max_payload_len = opts.max_payload_len
        max_recv_len = opts.max_recv_len
        max_send_len = opts.max_send_len
        send_unmasked = opts.send_unmasked
        if opts.timeout then
            sock:settimeout(opts.timeout)
        end
    end
    max_payload_len = max_payload_len or 65536

    return setmetatable({
        sock = sock,
        max_recv_len = max_recv_len or max_payload_len,
        max_send_len = max_send_len or max_payload_len,
        send_unmasked = send_unmasked,
    }, mt)
end

-- parse_uri splits ws[s]://host[:port]/path and ws[s]://unix:/path/to.sock:/path.
local function parse_uri(uri)
    local scheme, rest = match(uri, "^(wss?)://(.*)$")
    if not scheme then
        return nil
    end
    if find(uri, "unix:", 1, true) then
        local addr, path = match(rest, "^(unix:[^:]+):(.*)$")
        if not addr then
            return nil
        end
        return scheme, addr, nil, path, true
    end
    local host, tail = match(rest, "^([^:/]+)(.*)$")
    if not host then
        return nil
    end
    local port, path = match(tail, "^:(%d+)(.*)$")
    if not port then
        path = tail
    end
    return scheme, host, port, path, false
end

local function check_string_opt(v, what)
    if v ~= nil and type(v) ~= "string" then
        return what
    end
end

function _M.connect(self, uri, opts)
    local sock = self.sock
    if not sock then
        return nil, "not initialized"
    end

    local scheme, addr, port, path, is_unix = parse_uri(uri)
    if not scheme then
        return nil, "bad websocket uri"
    end
    local ssl = scheme == "wss"
    if not port then
        port = ssl and 443 or 80
    end
    if path == "" then
        path = "/"
    end

    local proto_header, origin_header, headers, ssl_verify, server_name, compression
    local client_cert, client_priv_key, host_header, key
    local sock_opts = {}
    if opts then
        local protos = opts.protocols
        if protos then
            if type(protos) == "table" then
                protos = concat(protos, ",")
            end
            proto_header = "\r\nSec-WebSocket-Protocol: " .. protos
        end
        if opts.origin then
            origin_header = "\r\nOrigin: " .. opts.origin
        end
        sock_opts.pool = opts.pool
        sock_opts.pool_size = opts.pool_size
        sock_opts.backlog = opts.backlog

        client_cert, client_priv_key = opts.client_cert, opts.client_priv_key
        if client_cert then
            assert(client_priv_key, "client_priv_key must be provided with client_cert")
        end
        ssl_verify = opts.ssl_verify

        server_name = opts.server_name
        local bad = check_string_opt(server_name, "SSL server_name must be a string")
        if bad then
            return nil, bad
        end
        headers = opts.headers
        if headers ~= nil and type(headers) ~= "table" then
            return nil, "custom headers must be a table"
        end
        host_header = opts.host
        bad = check_string_opt(host_header, "custom host header must be a string")
            or check_string_opt(opts.key, "custom Sec-WebSocket-Key must be a string")
        if bad then
            return nil, bad
        end
        key = opts.key
        -- luaws's opt-in extension: offer permessage-deflate (RFC 7692)
        compression = opts.compression
    end

    local ok, err
    if is_unix then
        ok, err = sock:connect(addr, sock_opts)
    else
        ok, err = sock:connect(addr, port, sock_opts)
    end
    if not ok then
        return nil, "failed to connect: " .. err
    end

    local reused, rerr = sock:getreusedtimes()
    if not reused then
        return nil, "failed to get reused times: " .. tostring(rerr)
    end
    if reused > 0 then
        -- a pooled connection has had its handshake already
        return 1, nil, "connection reused"
    end

    if ssl then
        if client_cert then
            ok, err = sock:setclientcert(client_cert, client_priv_key)
            if not ok then
                return nil, "failed to set TLS client certificate: " .. err
            end
        end
        ok, err = sock:sslhandshake(false, server_name or host_header or addr, ssl_verify)
        if not ok then
            return nil, "ssl handshake failed: " .. err
        end
    end

    if not key then
        -- 16 random bytes drawn from math.random, so math.randomseed makes keys repeatable
        local b = {}
        for i = 1, 16 do
            b[i] = rand(256) - 1
        end
        key = encode_base64(char(unpack(b)))
    end

    local extra
    if headers then
        extra = "\r\n" .. concat(headers, "\r\n")
    end
    local host = host_header or (is_unix and "unix_sock" or addr .. ":" .. port)
    local req = "GET " .. path .. " HTTP/1.1\r\nUpgrade: websocket\r\nHost: " .. host
                .. "\r\nSec-WebSocket-Key: " .. key
                .. (proto_header or "")
                .. "\r\nSec-WebSocket-Version: 13"
                .. (origin_header or "")
                .. "\r\nConnection: Upgrade"
                .. (extra or "")
                .. (compression and "\r\nSec-WebSocket-Extensions: " .. native.deflate_offer or "")
                .. "\r\n\r\n"

    local bytes
    bytes, err = sock:send(req)
    if not bytes then
        return nil, "failed to send the handshake request: " .. err
    end

    local read_head = sock:receiveuntil("\r\n\r\n")
    local header
    header, err = read_head()
    if not header then
        return nil, "failed to receive response header: " .. err
    end

    err = native.check_response(header, key)
    if err then
        return nil, err
    end
    if compression then
        err = native.client_extensions(sock, header)
        if err then
            return nil, err
        end
    end
    return 1, nil, header
end

require "resty.websocket._session"(_M, true)

-- close(): sends a close frame unless one went out already, then closes the connection.
function _M.close(self)
    if self.fatal then
        return nil, "fatal error already happened"
    end
    local sock = self.sock
    if not sock then
        return nil, "not initialized"
    end
    if not self.closed then
        local bytes, err = _M.send_close(self)
        if not bytes then
            return nil, "failed to send close frame: " .. err
        end
    end
    return sock:close()
end

function _M.set_keepalive(self, ...)
    local sock = self.sock
    if not sock then
        return nil, "not initialized"
    end
    return sock:setkeepalive(...)
end

return _M
