-- /s: a websocket endpoint that reports server:new's outcome for the case
-- named by the X-Case request header into the shared dict "hs".
local server = require "resty.websocket.server"
local case = ngx.var.http_x_case or "?"
local wb, err = server:new{ timeout = 2000 }
if not wb then
  ngx.shared.hs:set(case, "new failed: " .. tostring(err))
  return ngx.exit(400)
end
ngx.shared.hs:set(case, "new ok")
wb:send_close()
