-- resty.websocket.server for luaws: the server side of a WebSocket session inside a
-- content handler. The handshake and the frame codec run in Go; this file keeps the object
-- shape OpenResty scripts rely on (wb.sock, wb.fatal, wb.max_recv_len, ...).

local native = require "luaws.websocket"
local protocol = require "resty.websocket.protocol"

local setmetatable = setmetatable

local _M = protocol.new_tab(0, 11)
_M._VERSION = '0.12'

local mt = { __index = _M }

-- new(opts): answers the handshake with 101 and takes over the connection. Besides
-- upstream's options, luaws's opt-in extensions (protocols, compression, strict,
-- ping_interval, idle_timeout, allowed_origins) are negotiated here, in Go; allowed_origins
-- is a list of origins ("https://example.com") a browser's handshake may come from (it
-- replaces the host's --allowed-origins), another origin gets a 403.
function _M.new(self, opts)
    local sock, err = native.accept(opts)
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
        protocol = err, -- accept's second value: the subprotocol chosen from opts.protocols
    }, mt)
end

local send_frame = require "resty.websocket._session"(_M, false)

function _M.send_continue(self, data)
    return send_frame(self, true, 0x0, data)
end

return _M
