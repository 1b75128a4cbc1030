local server = require "resty.websocket.server"
local fmt = require "_fmt"
local dict = ngx.shared.log
local case = ngx.var.arg_case
local wb, err = server:new{ timeout = 3000, max_payload_len = 1000 }
if not wb then
  dict:set(case, "new failed: " .. tostring(err))
  return ngx.exit(400)
end
local data, typ, err = wb:recv_frame()
local line = fmt.all(data, typ, err) .. " fatal=" .. tostring(wb.fatal)
-- a second call after a fatal error
local data2, typ2, err2 = wb:recv_frame()
line = line .. " | again: " .. fmt.all(data2, typ2, err2)
-- sending after a fatal error
local bytes, serr = wb:send_text("x")
line = line .. " | send_text: " .. fmt.all(bytes, serr)
dict:set(case, line)
