-- wb:recv_frame()'s three return values on the server for each kind of frame
-- a client sends: text, empty text, binary (all byte values incl. 0), ping
-- with and without payload, pong, a text message in three fragments, a
-- binary one in two, lengths at the 125/126 and 65535 boundaries, and a close
-- with code and reason.
-- @shared_dict log 1m
local fmt = require "_fmt"
local dict = ngx.shared.log

local wb, err = fmt.connect()
if not wb then
  ngx.say("connect failed: ", err)
  return
end
local all = {}
for i = 0, 255 do all[#all + 1] = string.char(i) end
local steps = {
  { true, 0x1, "hello" },
  { true, 0x1, "" },
  { true, 0x2, table.concat(all) },
  { true, 0x9, "p1" },
  { true, 0x9, "" },
  { true, 0xa, "pong!" },
  { false, 0x1, "ab" },
  { false, 0x0, "cd" },
  { true, 0x0, "ef" },
  { false, 0x2, "\0\1" },
  { true, 0x0, "" },
  { true, 0x1, string.rep("x", 125) },
  { true, 0x1, string.rep("y", 126) },
  { true, 0x2, string.rep("z", 1000) },
}
for _, s in ipairs(steps) do
  local bytes, err = wb:send_frame(s[1], s[2], s[3])
  if not bytes then
    ngx.say("send failed: ", err)
  end
end
local bytes, err = wb:send_close(1001, "going away")
if not bytes then
  ngx.say("send_close failed: ", err)
end
if not fmt.wait_done(dict, "done") then
  ngx.say("server did not finish")
end
-- long payloads: show their length, not their bytes
for i = 1, dict:get("n") or 0 do
  local line = dict:get("line" .. i)
  line = line:gsub('"(' .. string.rep("[xyz]", 100) .. '[xyz]*)"', function(s) return "<" .. #s .. " bytes " .. s:sub(1, 1) .. ">" end)
  ngx.say(line)
end
