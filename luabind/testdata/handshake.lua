-- handshake.lua: server:new and report the result. With say=1 the error goes to the
-- response body through ngx.say; otherwise it is logged and the connection closed (444).
local server = require "resty.websocket.server"

if ngx.var.arg_header then
    ngx.header["X-Before-New"] = ngx.var.arg_header
end
if ngx.var.arg_sent then
    ngx.send_headers()
end

local wb, err = server:new()
if not wb then
    if ngx.var.arg_say then
        ngx.say("failed to new websocket: ", err)
        return
    end
    ngx.log(ngx.ERR, "failed to new websocket: ", err)
    return ngx.exit(444)
end
ngx.log(ngx.WARN, "handshake ok")
local bytes, err = wb:send_text("hello")
if not bytes then
    ngx.log(ngx.ERR, "failed to send: ", err)
end
