-- recv_frame's errors for frames a server must reject (bytes written raw to
-- the client's socket): RSV bits, reserved opcodes, an unmasked frame, a long
-- or fragmented control frame, a payload over max_payload_len (1000), a
-- 64-bit length with the top bits set, and the peer closing mid-frame; then
-- what a second recv_frame and a send_text return once wb.fatal is set.
-- @shared_dict log 1m
local fmt = require "_fmt"
local dict = ngx.shared.log

local function masked(b1, len_bytes, payload)
  -- mask bit set, masking key 0 (so the payload is sent as is)
  return string.char(b1) .. len_bytes .. "\0\0\0\0" .. payload
end

local cases = {
  { "rsv1", masked(0xc1, string.char(0x80 + 2), "hi") },
  { "rsv3", masked(0x91, string.char(0x80 + 2), "hi") },
  { "opcode-3", masked(0x83, string.char(0x80 + 2), "hi") },
  { "opcode-0xb", masked(0x8b, string.char(0x80 + 2), "hi") },
  { "unmasked", string.char(0x81, 0x02) .. "hi" },
  { "ping-126", masked(0x89, string.char(0x80 + 126, 0, 126), string.rep("p", 126)) },
  { "ping-fragmented", masked(0x09, string.char(0x80 + 1), "p") },
  { "too-long", masked(0x82, string.char(0x80 + 126, 0x03, 0xe9), string.rep("b", 1001)) },
  { "len64-top-bit", string.char(0x82, 0x80 + 127, 0x80, 0, 0, 0, 0, 0, 0, 1) },
  { "len64-too-large", string.char(0x82, 0x80 + 127, 0, 0, 0, 1, 0, 0, 0, 0) },
  { "truncated-payload", masked(0x81, string.char(0x80 + 10), "abc") },
  { "truncated-header", string.char(0x81) },
}
for _, c in ipairs(cases) do
  local name, raw = c[1], c[2]
  local wb, err = fmt.connect("?case=" .. name)
  if not wb then
    ngx.say(name, ": connect failed: ", err)
  else
    local bytes, err = wb.sock:send(raw)
    if not bytes then ngx.say(name, ": send failed: ", err) end
    if name:match("^truncated") then
      wb.sock:close()
    end
    fmt.wait_done(dict, name)
    ngx.say(name, ": ", dict:get(name) or "(nothing recorded)")
    wb.sock:close()
  end
end
