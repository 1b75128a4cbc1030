local server = require "resty.websocket.server"
local wb, err = server:new{ timeout = 2000 }
if not wb then
  ngx.log(ngx.ERR, "failed to new websocket: ", err)
  return ngx.exit(400)
end
wb:send_close()
