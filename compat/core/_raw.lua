-- Raw HTTP/1.x over a cosocket, for scenarios that send requests curl or
-- resty.websocket.client would not. Returns the status line (or
-- "<no response: ERR>") and a table of response headers keyed by lowercased
-- name (repeats joined with ", ").
local _M = {}

function _M.request(req)
  local sock = ngx.socket.tcp()
  sock:settimeout(3000)
  local ok, err = sock:connect("127.0.0.1", tonumber(ngx.var.server_port))
  if not ok then
    return "<connect failed: " .. tostring(err) .. ">", {}
  end
  local bytes, err = sock:send(req)
  if not bytes then
    sock:close()
    return "<send failed: " .. tostring(err) .. ">", {}
  end
  local status, err = sock:receive("*l")
  if not status then
    sock:close()
    return "<no response: " .. tostring(err) .. ">", {}
  end
  local headers = {}
  while true do
    local line, err = sock:receive("*l")
    if not line or line == "" then
      break
    end
    local name, value = line:match("^([^:]+):%s*(.-)%s*$")
    if name then
      name = name:lower()
      if headers[name] then
        headers[name] = headers[name] .. ", " .. value
      else
        headers[name] = value
      end
    end
  end
  local body
  if status:match(" 101 ") == nil and (headers["content-length"] or headers["connection"] == "close") then
    local n = tonumber(headers["content-length"])
    if n then
      body = sock:receive(n)
    else
      body = sock:receive("*a")
    end
  end
  sock:close()
  return status, headers, body
end

return _M
