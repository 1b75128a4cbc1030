-- /s: what the server's send_* methods return for odd arguments; sends end
-- with a close (0x7fff "max") and then a control frame too long, which sets
-- wb.fatal.
local server = require "resty.websocket.server"
local fmt = require "_fmt"
local dict = ngx.shared.log
local wb, err = server:new{ timeout = 3000, max_payload_len = 200 }
if not wb then
  fmt.log(dict, "new failed: " .. tostring(err))
  dict:set("done", true)
  return ngx.exit(400)
end
local function try(label, ...)
  fmt.log(dict, label .. " -> " .. fmt.all(...) .. " fatal=" .. tostring(wb.fatal))
end
try("send_text(123)", wb:send_text(123))
try("send_text(nil)", wb:send_text(nil))
try("send_text(1/3)", wb:send_text(1/3))
try("send_binary(true)", wb:send_binary(true))
try("send_text(1e15)", wb:send_text(1e15))
try("send_ping(125 bytes)", wb:send_ping(string.rep("p", 125)))
try("send_pong()", wb:send_pong())
try("send_frame(false,0x1,'a')", wb:send_frame(false, 0x1, "a"))
try("send_continue('b')", wb:send_continue("b"))
try("send_close(70000)", wb:send_close(70000))
try("send_close('1000')", wb:send_close("1000"))
try("send_close(32768)", wb:send_close(32768))
try("send_close(32767,'max')", wb:send_close(32767, "max"))
try("send_ping(126 bytes)", wb:send_ping(string.rep("p", 126)))
try("send_text('after')", wb:send_text("after"))
dict:set("done", true)
