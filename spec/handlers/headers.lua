-- Answers the handshake, then sends the request line and headers the client sent, one text
-- frame "name: value" each (lower-cased names, as ngx.req.get_headers gives them), then "end".
local server = require "resty.websocket.server"
local method, uri = ngx.req.get_method(), ngx.var.request_uri
local headers = ngx.req.get_headers()
local wb, err = server:new()
if not wb then
  ngx.status = 400
  ngx.say(err)
  return
end
wb:send_text("request: " .. method .. " " .. uri)
local names = {}
for k in pairs(headers) do names[#names + 1] = k end
table.sort(names)
for _, k in ipairs(names) do
  local v = headers[k]
  if type(v) == "table" then v = table.concat(v, ", ") end
  wb:send_text(k .. ": " .. v)
end
wb:send_text("end")
wb:recv_frame()
