-- Helpers shared by the project's specs (require "spec.helpers").
local _M = {}

-- request sends a raw HTTP request (lines without CRLFs) and returns the whole response as
-- read until the server closes, or until the end of the head when upgrade is true (the socket
-- is then returned too, for frames).
function _M.request(srv, lines, upgrade)
  local sock = ngx.socket.tcp()
  sock:settimeout(3000)
  assert(sock:connect(srv.host, srv.port))
  assert(sock:send(table.concat(lines, "\r\n") .. "\r\n\r\n"))
  if upgrade then
    local head, err = sock:receiveuntil("\r\n\r\n")()
    return head, err, sock
  end
  -- the response head, then a body framed by Content-Length or chunked (the connection stays
  -- open: HTTP/1.1 keep-alive), or read until the server closes
  local head, err = sock:receiveuntil("\r\n\r\n")()
  if not head then
    sock:close()
    return nil, err
  end
  local body = {}
  local len = head:lower():match("\r\ncontent%-length: *(%d+)")
  if len then
    body[1] = assert(sock:receive(tonumber(len)))
  elseif head:lower():find("\r\ntransfer%-encoding: *chunked") then
    while true do
      local size = tonumber(assert(sock:receive("*l")), 16)
      if not size or size == 0 then
        break
      end
      body[#body + 1] = assert(sock:receive(size))
      assert(sock:receive("*l"))
    end
  else
    local rest, _, partial = sock:receive("*a")
    body[1] = rest or partial
  end
  sock:close()
  return head .. "\r\n\r\n" .. table.concat(body)
end

-- handshake is a valid client handshake for path, with extra header lines.
function _M.handshake(srv, path, extra)
  local lines = {
    "GET " .. path .. " HTTP/1.1",
    "Host: " .. srv.host .. ":" .. srv.port,
    "Upgrade: websocket",
    "Connection: Upgrade",
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
    "Sec-WebSocket-Version: 13",
  }
  for _, l in ipairs(extra or {}) do lines[#lines + 1] = l end
  return lines
end

-- without returns lines minus those starting with prefix (case-insensitive)
function _M.without(lines, prefix)
  local out = {}
  for _, l in ipairs(lines) do
    if l:lower():sub(1, #prefix) ~= prefix:lower() then out[#out + 1] = l end
  end
  return out
end

-- body is the body of a raw HTTP response
function _M.body(resp)
  return (resp or ""):match("\r\n\r\n(.*)$")
end

-- wait_log waits (up to 3 s) for an error log line containing text and returns it.
function _M.wait_log(srv, text)
  for _ = 1, 300 do
    for _, line in ipairs(srv:error_log()) do
      if line:find(text, 1, true) then
        return line
      end
    end
    ngx.sleep(0.01)
  end
  return nil
end

-- reply reads the probe handler's description of a received frame: {len, typ, err, data}
function _M.reply(wb)
  local data, typ, err = wb:recv_frame()
  if not data then
    return { "recv failed", err }
  end
  local n, t, e, d = data:match("^(%d+)|([^|]*)|([^|]*)|(.*)$")
  if not n then
    return { data }
  end
  return { tonumber(n), t, e, d }
end

return _M
