-- ngx.redirect (status line, Location as given, nginx's page for the status, headers Lua
-- set), its errors, and ngx.req.set_method / set_body_data / set_body_file
-- (luabind/ngx_redirect.go).
local raw = require "_raw"
for c = 1, 4 do
  local status, h, body = raw.request("GET /s?c=" .. c .. " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
  ngx.say(c, ": ", status, " | ", tostring(h["location"]), " | ", tostring(h["x-a"]), " | ",
    tostring(h["content-type"]), " | ", tostring(body and body:gsub("nginx/[%d.]+", "SERVER"):gsub("luaws/[%d.]+", "SERVER")))
end
ngx.say(pcall(ngx.redirect, "/x", 200))
ngx.say(pcall(ngx.redirect, "/x\r\nY: z"))
ngx.req.set_method(ngx.HTTP_POST)
ngx.say(ngx.req.get_method(), " ", ngx.var.request_method)
ngx.say(pcall(ngx.req.set_method, 12345))
ngx.say(pcall(ngx.req.set_method, "GET"))
ngx.say(pcall(ngx.req.set_body_data, "x"))
ngx.req.read_body()
ngx.req.set_body_data("new body")
ngx.say(ngx.req.get_body_data(), " ", ngx.var.http_content_length, " ", tostring(ngx.req.get_headers()["content-length"]))
local path = os.tmpname()
local f = io.open(path, "w") f:write("from file") f:close()
ngx.req.set_body_file(path, true)
ngx.say(tostring(ngx.req.get_body_data()), " ", ngx.var.http_content_length, " ", ngx.req.get_body_file() == path, " ", io.open(path) == nil)
ngx.say(pcall(ngx.req.set_body_file, "/nonexistent/zz"))
ngx.say(pcall(ngx.redirect, "/foo"))
