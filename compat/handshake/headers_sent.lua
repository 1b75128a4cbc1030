-- server:new after the response header went out (ngx.say) fails with
-- "response header already sent", and the handler can go on printing.
local server = require "resty.websocket.server"
ngx.say("before")
local wb, err = server:new()
ngx.say("wb: ", tostring(wb), ", err: ", tostring(err))
