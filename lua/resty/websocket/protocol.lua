-- resty.websocket.protocol for luaws: RFC 6455 frames.
--
-- Sockets of luaws itself (the request socket behind resty.websocket.server, cosockets) take
-- the native path: the frame is read, checked and unmasked in Go (wsnative). Any other object
-- with receive(n) / send(data) methods (a fake socket in a spec, say) takes the Lua path below,
-- which applies the same checks in the same order and returns the same strings.

local native = require "luaws.websocket"

local byte = string.byte
local char = string.char
local sub = string.sub
local type = type
local tostring = tostring
local is_native = native.is_native
local native_recv = native.recv_frame
local native_send = native.send_frame
local unmask = native.unmask
local native_build = native.build_frame
local rand = math.random

local ok, new_tab = pcall(require, "table.new")
if not ok then
    new_tab = function() return {} end
end

local _M = new_tab(0, 5)
_M._VERSION = '0.12'
_M.new_tab = new_tab

local frame_types = {
    [0x0] = "continuation",
    [0x1] = "text",
    [0x2] = "binary",
    [0x8] = "close",
    [0x9] = "ping",
    [0xa] = "pong",
}

local function receive(sock, n, what)
    local data, err = sock:receive(n)
    if not data then
        return nil, what .. ": " .. (err or "unknown")
    end
    return data
end

local function lua_recv_frame(sock, max_payload_len, force_masking)
    local head, err = receive(sock, 2, "failed to receive the first 2 bytes")
    if not head then
        return nil, nil, err
    end
    local b1, b2 = byte(head, 1, 2)
    local fin = b1 >= 0x80
    if b1 % 0x80 >= 0x10 then
        return nil, nil, "bad RSV1, RSV2, or RSV3 bits"
    end
    local opcode = b1 % 0x10
    if opcode >= 0x3 and opcode <= 0x7 then
        return nil, nil, "reserved non-control frames"
    end
    if opcode >= 0xb then
        return nil, nil, "reserved control frames"
    end
    local masked = b2 >= 0x80
    if force_masking and not masked then
        return nil, nil, "frame unmasked"
    end

    local len = b2 % 0x80
    if len == 126 then
        local ext
        ext, err = receive(sock, 2, "failed to receive the 2 byte payload length")
        if not ext then
            return nil, nil, err
        end
        local h, l = byte(ext, 1, 2)
        len = h * 0x100 + l
    elseif len == 127 then
        local ext
        ext, err = receive(sock, 8, "failed to receive the 8 byte payload length")
        if not ext then
            return nil, nil, err
        end
        local a, b, c, d, e, f, g, h = byte(ext, 1, 8)
        if a ~= 0 or b ~= 0 or c ~= 0 or d ~= 0 or e >= 0x80 then
            return nil, nil, "payload len too large"
        end
        len = ((e * 0x100 + f) * 0x100 + g) * 0x100 + h
    end

    if opcode >= 0x8 then
        if len > 125 then
            return nil, nil, "too long payload for control frame"
        end
        if not fin then
            return nil, nil, "fragmented control frame"
        end
    end
    if len > max_payload_len then
        return nil, nil, "exceeding max payload len"
    end

    local rest = masked and len + 4 or len
    local data = ""
    if rest > 0 then
        data, err = receive(sock, rest, "failed to read masking-len and payload")
        if not data then
            return nil, nil, err
        end
    end
    local payload = data
    if masked then
        payload = unmask(sub(data, 1, 4), sub(data, 5))
    end

    if opcode == 0x8 then
        if len == 0 then
            return "", "close", nil
        end
        if len < 2 then
            return nil, nil, "close frame with a body must carry a 2-byte status code"
        end
        local h, l = byte(payload, 1, 2)
        return sub(payload, 3), "close", h * 0x100 + l
    end

    if fin then
        return payload, frame_types[opcode], nil
    end
    return payload, frame_types[opcode], "again"
end

-- recv_frame(sock, max_payload_len, force_masking) -> data, typ, err
function _M.recv_frame(sock, max_payload_len, force_masking)
    if is_native(sock) then
        return native_recv(sock, max_payload_len, force_masking)
    end
    return lua_recv_frame(sock, max_payload_len, force_masking)
end

-- masking keys come from math.random, as upstream's do: math.randomseed makes them repeatable.
local function mask_key(masking)
    if masking then
        return rand(0xffffffff)
    end
end

-- build_frame(fin, opcode, payload_len, payload, masking) -> frame bytes
function _M.build_frame(fin, opcode, payload_len, payload, masking)
    return native_build(fin, opcode, payload_len, payload, masking, mask_key(masking))
end

-- send_frame(sock, fin, opcode, payload, max_payload_len, masking) -> bytes, err
function _M.send_frame(sock, fin, opcode, payload, max_payload_len, masking)
    if is_native(sock) then
        return native_send(sock, fin, opcode, payload, max_payload_len, masking,
                           mask_key(masking))
    end

    if payload == nil then
        payload = ""
    elseif type(payload) ~= "string" then
        payload = tostring(payload)
    end
    local err = native.check_send(fin, opcode, #payload, max_payload_len)
    if err then
        return nil, err
    end
    local bytes
    bytes, err = sock:send(_M.build_frame(fin, opcode, #payload, payload, masking))
    if not bytes then
        return nil, "failed to send frame: " .. (err or "unknown")
    end
    return bytes
end

return _M
