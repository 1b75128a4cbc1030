-- /s: records every recv_frame return (data, typ, err) and wb.fatal, until a
-- close frame or an error, then sets "done".
local server = require "resty.websocket.server"
local fmt = require "_fmt"
local dict = ngx.shared.log
local wb, err = server:new{ timeout = 3000, max_payload_len = 1000 }
if not wb then
  fmt.log(dict, "new failed: " .. tostring(err))
  dict:set("done", true)
  return ngx.exit(400)
end
while true do
  local data, typ, err = wb:recv_frame()
  fmt.log(dict, "recv: " .. fmt.all(data, typ, err) .. " fatal=" .. tostring(wb.fatal))
  if not data or typ == "close" then
    break
  end
end
dict:set("done", true)
