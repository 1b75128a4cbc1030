-- Echo handler for interop tests: echoes text and binary messages (fragmented
-- ones reassembled and sent back whole), answers a ping with a pong carrying
-- the ping's payload, and answers a close with a close of the same code and
-- reason. Written against lua-resty-websocket's documented API only.
local server = require "resty.websocket.server"

local wb, err = server:new{
  timeout = 10000,
  max_payload_len = 1048576,
}
if not wb then
  ngx.log(ngx.ERR, "failed to new websocket: ", err)
  return ngx.exit(444)
end

local parts, kind -- the fragmented message being assembled, if any

local function send(typ, data)
  local bytes, err
  if typ == "text" then
    bytes, err = wb:send_text(data)
  else
    bytes, err = wb:send_binary(data)
  end
  if not bytes then
    ngx.log(ngx.ERR, "failed to send ", typ, ": ", err)
    return ngx.exit(444)
  end
end

while true do
  local data, typ, err = wb:recv_frame()
  if wb.fatal then
    ngx.log(ngx.ERR, "failed to receive frame: ", err)
    return ngx.exit(444)
  end
  if not data then
    -- timeout: probe the client, as the seed handler does
    local bytes, err = wb:send_ping()
    if not bytes then
      ngx.log(ngx.ERR, "failed to send ping: ", err)
      return ngx.exit(444)
    end
  elseif typ == "close" then
    -- data is the reason, err the status code (nil for an empty close)
    local bytes, serr
    if err then
      bytes, serr = wb:send_close(err, data)
    else
      bytes, serr = wb:send_close()
    end
    if not bytes then
      ngx.log(ngx.ERR, "failed to send close: ", serr)
    end
    return
  elseif typ == "ping" then
    local bytes, err = wb:send_pong(data)
    if not bytes then
      ngx.log(ngx.ERR, "failed to send pong: ", err)
      return ngx.exit(444)
    end
  elseif typ == "pong" then
    ngx.log(ngx.INFO, "client ponged")
  elseif typ == "text" or typ == "binary" then
    if err == "again" then
      parts, kind = { data }, typ
    else
      send(typ, data)
    end
  elseif typ == "continuation" then
    if not parts then
      ngx.log(ngx.ERR, "continuation frame without a first frame")
      return ngx.exit(444)
    end
    parts[#parts + 1] = data
    if err ~= "again" then
      send(kind, table.concat(parts))
      parts, kind = nil, nil
    end
  end
end
