-- recv_frame on close frames: empty (no status: err is nil), a bare status
-- code, code + reason, the largest code the client API allows, and a 1-byte
-- body (an error, fatal).
-- @shared_dict log 1m
local fmt = require "_fmt"
local dict = ngx.shared.log

local cases = {
  { "empty", "" },
  { "code-only", string.char(0x03, 0xe8) },
  { "code-reason", string.char(0x03, 0xe9) .. "going away" },
  { "code-4000", string.char(0x0f, 0xa0) .. "app" },
  { "one-byte", "\3" },
}
for _, c in ipairs(cases) do
  local name, payload = c[1], c[2]
  local wb, err = fmt.connect("?case=" .. name)
  if not wb then
    ngx.say(name, ": connect failed: ", err)
  else
    local bytes, err = wb:send_frame(true, 0x8, payload)
    if not bytes then ngx.say(name, ": send failed: ", err) end
    fmt.wait_done(dict, name)
    ngx.say(name, ": ", dict:get(name) or "(nothing recorded)")
    wb.sock:close()
  end
end
