-- ngx.socket.udp without a peer that answers: return values and error strings.
local function show(...)
    local t = {}
    for i = 1, select("#", ...) do t[i] = tostring((select(i, ...))) end
    ngx.say(table.concat(t, " "))
end
local u = ngx.socket.udp()
show(type(u), type(u.setpeername), getmetatable(u).__index == getmetatable(u))
show(u:send("x"))
show(u:receive())
show(u:close())
show(u:setpeername("127.0.0.1", 65536))
show(u:setpeername("127.0.0.1", -1))
show(pcall(u.setpeername, u))
show(pcall(u.send, u))
show(pcall(u.receive, u, 1, 2))
show(pcall(u.close, u, 1))
show(pcall(ngx.socket.udp, 1))
-- a port nothing listens on (the discard port on loopback): the refusal comes with receive
u:settimeout(1000)
show(u:setpeername("127.0.0.1", 9))
show(u:send({ "a", { "b", 1 }, 2.5 }))
show(u:receive())
show(u:send(true))
show(u:close())
show(u:close())
show(u:setpeername("unix:/nonexistent/luaws.sock"))
