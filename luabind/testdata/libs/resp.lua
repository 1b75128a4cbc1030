local resp = require "ngx.resp"
ngx.header["X-One"] = "a"
resp.add_header("X-One", "b")
resp.add_header("X-Two", {"c", "d"})
resp.add_header("X-Three", {})
resp.add_header("X-Esc\r\n", "v\r\nw")
local h = ngx.header["X-One"]
ngx.say(type(h), " ", table.concat(h, ","), " ", table.concat(ngx.header["X-Two"], ","), " ", tostring(ngx.header["X-Three"]))
ngx.say(select(2, pcall(resp.add_header, "X-Nil", nil)))
