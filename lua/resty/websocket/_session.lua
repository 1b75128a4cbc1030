-- The frame methods resty.websocket.server and resty.websocket.client share. The two sides
-- differ only in masking (a client masks what it sends unless send_unmasked; a server expects
-- masked frames and masks only with send_masked) and in the client's "already closed" state.
-- install(_M, is_client) puts set_timeout, recv_frame, send_frame, send_text, send_binary,
-- send_ping, send_pong and send_close on the module table and returns send_frame.

local protocol = require "resty.websocket.protocol"
local native = require "luaws.websocket"

local recv_frame = protocol.recv_frame
local raw_send_frame = protocol.send_frame
-- protocol's native path, called from here without the extra Lua call per frame
local is_native = native.is_native
local native_send = native.send_frame
local session_recv = native.session_recv -- false when sock is not native
local session_send = native.session_send
local rand = math.random
local type = type
local char = string.char
local find = string.find
local floor = math.floor
local ngx_log = ngx.log
local ngx_DEBUG = ngx.DEBUG
local debug = ngx.config.debug

-- the timeout of an idle connection, compared before the search (no allocation)
local first2_timeout = "failed to receive the first 2 bytes: timeout"

return function(_M, is_client)
    local force_masking = not is_client

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
        local data, typ, err = session_recv(sock, self.max_recv_len, force_masking)
        if data == false then
            data, typ, err = recv_frame(sock, self.max_recv_len, force_masking)
        end
        if not data and err ~= first2_timeout and not find(err, ": timeout", 1, true) then
            self.fatal = true
        end
        return data, typ, err
    end

    local function send_frame(self, fin, opcode, payload)
        if self.fatal then
            return nil, "fatal error already happened"
        end
        if is_client and self.closed then
            return nil, "already closed"
        end
        local sock = self.sock
        if not sock then
            return nil, "not initialized yet"
        end
        local masked
        if is_client then
            masked = not self.send_unmasked
        else
            masked = self.send_masked
        end
        local bytes, err
        if not masked then
            bytes, err = session_send(sock, fin, opcode, payload, self.max_send_len, masked)
            if bytes == false then
                bytes, err = raw_send_frame(sock, fin, opcode, payload, self.max_send_len, masked)
            end
        elseif not is_native(sock) then
            bytes, err = raw_send_frame(sock, fin, opcode, payload, self.max_send_len, masked)
        else -- the masking key from math.random, as protocol.send_frame draws it
            bytes, err = native_send(sock, fin, opcode, payload, self.max_send_len, masked,
                                     rand(0xffffffff))
        end
        if not bytes then
            self.fatal = true
        end
        return bytes, err
    end
    _M.send_frame = send_frame

    function _M.send_text(self, data)
        return send_frame(self, true, 0x1, data)
    end

    function _M.send_binary(self, data)
        return send_frame(self, true, 0x2, data)
    end

    function _M.send_ping(self, data)
        return send_frame(self, true, 0x9, data)
    end

    function _M.send_pong(self, data)
        return send_frame(self, true, 0xa, data)
    end

    -- send_close(code, msg): the status code travels as two big-endian bytes before msg; a
    -- client is closed afterwards (its close() then sends nothing more).
    function _M.send_close(self, code, msg)
        local payload
        if code then
            if type(code) ~= "number" or code > 0x7fff then
                return nil, "bad status code"
            end
            payload = char(floor(code / 0x100) % 0x100, code % 0x100) .. (msg or "")
        end
        if not is_client then
            return send_frame(self, true, 0x8, payload)
        end
        if debug then
            ngx_log(ngx_DEBUG, "sending the close frame")
        end
        local bytes, err = send_frame(self, true, 0x8, payload)
        self.closed = true
        return bytes, err
    end

    if not is_client then
        -- the server's recv_frame and send_text/binary/ping/pong in Go, the same steps as
        -- the functions above (which it calls when self is not a table), without their Lua
        -- calls and instructions per frame
        native.session_methods(_M, recv_frame, raw_send_frame, first2_timeout, find, rand,
                               session_recv, session_send, is_native, native_send)
    end

    return send_frame
end
