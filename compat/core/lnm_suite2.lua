-- More behaviours lua-nginx-module's suite pins (docs/lua-nginx-module-suite.md, third
-- session): timers that expire together run in creation order; a timer's function in
-- debug.getinfo; ngx.req.set_uri's argument errors; cosocket timeouts beyond 31 bits and
-- connect's pool option types.
local s = ""
for i = 1, 5 do
    ngx.timer.at(0.01, function() s = s .. "[" .. i .. "]" end)
end
ngx.timer.at(0, function() s = s .. "[z]" end)
s = "[m]"
ngx.sleep(0.05)
ngx.say("timers: ", s)
ngx.say("source: ", debug.getinfo(1, "S").source:gsub("%(.*%)", "(...)"))
ngx.say("set_uri(''): ", select(2, pcall(ngx.req.set_uri, "")))
ngx.say("set_uri binary false: ", select(2, pcall(ngx.req.set_uri, "/a\r\nb", false, false)))
ngx.say("set_uri binary true: ", pcall(ngx.req.set_uri, "/a\tb", false, true), " ", ngx.var.uri)
local sock = ngx.socket.tcp()
ngx.say("settimeout 2^31-1: ", pcall(sock.settimeout, sock, 2 ^ 31 - 1))
ngx.say("settimeout 2^31: ", select(2, pcall(sock.settimeout, sock, 2 ^ 31)))
for _, o in ipairs{ {pool = {}}, {pool = true}, {pool_size = "a"}, {pool_size = 0}, {backlog = -1} } do
    ngx.say("connect: ", select(2, pcall(function() sock:connect("127.0.0.1", 1, o) end)))
end
