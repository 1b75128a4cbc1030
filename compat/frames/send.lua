-- The server's send_* return values (bytes sent or nil+error, and wb.fatal):
-- numbers/booleans/nil as payloads (tostring'ed), control frame limits,
-- send_close with a bad status code (no fatal) vs a too-long ping (fatal),
-- and the frames a client receives for them.
-- @shared_dict log 1m
local fmt = require "_fmt"
local dict = ngx.shared.log

local wb, err = fmt.connect()
if not wb then
  ngx.say("connect failed: ", err)
  return
end
ngx.say("client received:")
while true do
  local data, typ, err = wb:recv_frame()
  if data and #data > 100 then data = "<" .. #data .. " bytes>" end
  ngx.say("  ", fmt.all(data, typ, err))
  if not data or typ == "close" then break end
end
fmt.wait_done(dict, "done")
ngx.say("server returns:")
fmt.dump(dict)
