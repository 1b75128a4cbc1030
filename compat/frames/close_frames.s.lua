local server = require "resty.websocket.server"
local fmt = require "_fmt"
local dict = ngx.shared.log
local case = ngx.var.arg_case
local wb, err = server:new{ timeout = 3000 }
if not wb then
  dict:set(case, "new failed: " .. tostring(err))
  return ngx.exit(400)
end
local data, typ, err = wb:recv_frame()
dict:set(case, fmt.all(data, typ, err) .. " fatal=" .. tostring(wb.fatal))
