-- The 101 response server:new sends: the headers a client can see (minus
-- Server and Date), Sec-WebSocket-Protocol echoed verbatim (the whole list,
-- as lua-resty-websocket does), and no Content-Type/Content-Length/
-- Transfer-Encoding.
local raw = require "_raw"

local function show(label, extra)
  local req = "GET /s HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    .. "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n" .. extra .. "\r\n"
  local status, h = raw.request(req)
  ngx.say(label, ": ", status)
  for _, name in ipairs{ "upgrade", "connection", "sec-websocket-accept", "sec-websocket-protocol",
                         "content-type", "content-length", "transfer-encoding" } do
    local v = h[name]
    if name == "connection" and v then v = v:lower() end
    ngx.say("  ", name, ": ", tostring(v))
  end
end

show("plain", "")
show("protocol", "Sec-WebSocket-Protocol: chat, superchat\r\n")
show("protocol-twice", "Sec-WebSocket-Protocol: first\r\nSec-WebSocket-Protocol: second\r\n")
