-- A resty.websocket.server handler that reports, for the specs, what the server API returns.
-- Query arguments become server:new options (max_payload_len, max_recv_len, max_send_len,
-- send_masked, timeout). Every received frame is described back in a text frame
-- "data_len|typ|err|data"; text frames starting with "do " are commands whose return values are
-- described back as "ret|v1|v2" after the frame(s) they send:
--   do send_text N     do send_binary N     do send_ping MSG    do send_pong MSG
--   do send_close [CODE [MSG]]    do send_close_str CODE    do send_frame FIN OPCODE PAYLOAD
--   do set_timeout MS
-- Reports go straight to wb.sock with protocol.send_frame, so that they are neither limited by
-- max_send_len nor stopped by wb.fatal (a failed send makes the object fatal, as upstream's).
-- Described payloads are cut at 200 bytes.
-- A fatal receive error is logged at error level as "probe: fatal: ERR", then the handler ends.
local server = require "resty.websocket.server"
local protocol = require "resty.websocket.protocol"

local args = ngx.req.get_uri_args()
local opts = {
  max_payload_len = tonumber(args.max_payload_len),
  max_recv_len = tonumber(args.max_recv_len),
  max_send_len = tonumber(args.max_send_len),
  send_masked = args.send_masked == "true" or nil,
  timeout = tonumber(args.timeout),
}
local wb, err = server:new(opts)
if not wb then
  ngx.status = 400
  ngx.say(err)
  return
end

local function describe_ret(...)
  local out = { "ret" }
  for i = 1, select("#", ...) do
    out[#out + 1] = tostring((select(i, ...)))
  end
  return table.concat(out, "|")
end

local function report(s)
  protocol.send_frame(wb.sock, true, 0x1, s, 2 ^ 30, wb.send_masked)
end

while true do
  local data, typ, rerr = wb:recv_frame()
  if wb.fatal then
    ngx.log(ngx.ERR, "probe: fatal: ", rerr)
    -- a second call must say so
    local _, _, again = wb:recv_frame()
    ngx.log(ngx.ERR, "probe: then: ", again)
    local _, serr = wb:send_text("x")
    ngx.log(ngx.ERR, "probe: send after fatal: ", serr)
    return
  end
  report(#(data or "") .. "|" .. tostring(typ) .. "|" .. tostring(rerr) .. "|"
         .. tostring(data and data:sub(1, 200)))
  if typ == "close" then
    return
  end
  if typ == "text" and data:sub(1, 3) == "do " then
    local cmd, rest = data:match("^do (%S+) ?(.*)$")
    local ret
    if cmd == "send_text" or cmd == "send_binary" then
      ret = describe_ret(wb[cmd](wb, string.rep("a", tonumber(rest))))
    elseif cmd == "send_ping" or cmd == "send_pong" then
      if rest == "" then
        ret = describe_ret(wb[cmd](wb))
      else
        ret = describe_ret(wb[cmd](wb, rest))
      end
    elseif cmd == "send_close" then
      local code, msg = rest:match("^(%d+) ?(.*)$")
      if code then
        ret = describe_ret(wb:send_close(tonumber(code), msg ~= "" and msg or nil))
      else
        ret = describe_ret(wb:send_close())
      end
    elseif cmd == "send_close_str" then
      ret = describe_ret(wb:send_close(rest))
    elseif cmd == "send_frame" then
      local fin, op, payload = rest:match("^(%S+) (%S+) ?(.*)$")
      ret = describe_ret(wb:send_frame(fin == "true", tonumber(op), payload))
    elseif cmd == "set_timeout" then
      ret = describe_ret(wb:set_timeout(tonumber(rest)))
    else
      ret = "unknown command " .. cmd
    end
    report(ret)
  end
end
