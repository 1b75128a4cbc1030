-- resty.websocket.server for luaws: the server side of a WebSocket session inside a
-- content handler. The handshake and the frame codec run in Go; this file keeps the object
-- shape OpenResty scripts rely on (wb.sock, wb.fatal, wb.max_recv_len, ...).

local native = require "luaws.websocket"
local protocol = require "resty.websocket.protocol"

local recv_frame = protocol.recv_frame
local raw_send_frame = protocol.send_frame
local type = type
local char = string.char
local floor = math.floor
local find = string.find
local setmetatable = setmetatable

local _M = protocol.new_tab(0, 11)
_M._VERSION = '0.12'

local mt = { __index = _M }

-- new(opts): answers the handshake with 101 and takes over the connection.
function _M.new(self, opts)
    local sock, err = native.accept()
    if not sock then
        return nil, err
    end

    local max_payload_len, max_recv_len, max_send_len, send_masked
    if opts then
        max_payload_len = opts.max_payload_len
        max_recv_len = opts.max_recv_len
        max_send_len = opts.max_send_len
        send_masked = opts.send_masked
        if opts.timeout then
            sock:settimeout(opts.timeout)
        end
    end
    max_payload_len = max_payload_len or 65535

    return setmetatable({
        sock = sock,
        max_recv_len = max_recv_len or max_payload_len,
        max_send_len = max_send_len or max_payload_len,
        send_masked = send_masked,
    }, mt)
end

function _M.set_timeout(self, ms)
    local sock = self.sock
    if not sock then
        return nil, nil, "not initialized yet"
    end
    return sock:settimeout(ms)
end

-- recv_frame() -> data, typ, err. Any error but a timeout makes the object fatal.
function _M.recv_frame(self)
    if self.fatal then
        return nil, nil, "fatal error already happened"
    end
    local sock = self.sock
    if not sock then
        return nil, nil, "not initialized yet"
    end
    local data, typ, err = recv_frame(sock, self.max_recv_len, true)
    if not data and not find(err, ": timeout", 1, true) then
        self.fatal = true
    end
    return data, typ, err
end

local function send_frame(self, fin, opcode, payload)
    if self.fatal then
        return nil, "fatal error already happened"
    end
    local sock = self.sock
    if not sock then
        return nil, "not initialized yet"
    end
    local bytes, err = raw_send_frame(sock, fin, opcode, payload,
                                      self.max_send_len, self.send_masked)
    if not bytes then
        self.fatal = true
    end
    return bytes, err
end
_M.send_frame = send_frame

function _M.send_continue(self, data)
    return send_frame(self, true, 0x0, data)
end

function _M.send_text(self, data)
    return send_frame(self, true, 0x1, data)
end

function _M.send_binary(self, data)
    return send_frame(self, true, 0x2, data)
end

-- send_close(code, msg): the status code travels as two big-endian bytes before msg.
function _M.send_close(self, code, msg)
    local payload
    if code then
        if type(code) ~= "number" or code > 0x7fff then
            return nil, "bad status code"
        end
        payload = char(floor(code / 0x100) % 0x100, code % 0x100) .. (msg or "")
    end
    return send_frame(self, true, 0x8, payload)
end

function _M.send_ping(self, data)
    return send_frame(self, true, 0x9, data)
end

function _M.send_pong(self, data)
    return send_frame(self, true, 0xa, data)
end

return _M
