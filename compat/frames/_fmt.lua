-- Show Lua values unambiguously and the same on every Lua: strings quoted
-- with bytes outside printable ASCII as \ddd, other values as type:value.
local _M = {}

function _M.v(x)
  local t = type(x)
  if t == "string" then
    return '"' .. x:gsub('[^ -~]', function(c) return "\\" .. c:byte() end):gsub('"', '\\"') .. '"'
  elseif t == "nil" or t == "boolean" or t == "number" then
    return tostring(x)
  end
  return t
end

function _M.all(...)
  local out = {}
  for i = 1, select("#", ...) do
    out[#out + 1] = _M.v((select(i, ...)))
  end
  return table.concat(out, ", ")
end

-- A shared-dict backed list: the /s side appends, /t reads after "done".
function _M.log(dict, line)
  local n = dict:incr("n", 1, 0)
  dict:set("line" .. n, line)
end

function _M.wait_done(dict, key, max_s)
  local waited = 0
  while not dict:get(key) and waited < (max_s or 5) do
    ngx.sleep(0.05)
    waited = waited + 0.05
  end
  return dict:get(key) ~= nil
end

function _M.dump(dict)
  for i = 1, dict:get("n") or 0 do
    ngx.say(dict:get("line" .. i))
  end
end

-- connect a resty.websocket.client to this server's /s (with a query)
function _M.connect(query)
  local client = require "resty.websocket.client"
  local wb, err = client:new{ timeout = 3000, max_payload_len = 1000 }
  if not wb then
    return nil, err
  end
  local ok, err = wb:connect("ws://127.0.0.1:" .. ngx.var.server_port .. "/s" .. (query or ""))
  if not ok then
    return nil, err
  end
  return wb
end

return _M
