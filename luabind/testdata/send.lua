-- send.lua: server:new (options from the query string), then one send operation chosen by
-- op, logged as "op OP: bytes=... err=... fatal=...", then a second text frame "after" so the
-- test sees whether the object is still usable ("after: bytes=... err=...").
local server = require "resty.websocket.server"

local opts = {}
for _, k in ipairs({"max_payload_len", "max_send_len"}) do
    local v = ngx.var["arg_" .. k]
    if v then
        opts[k] = tonumber(v)
    end
end
if ngx.var.arg_send_masked then
    opts.send_masked = true
end

local wb, err = server:new(opts)
if not wb then
    ngx.log(ngx.ERR, "failed to new websocket: ", err)
    return ngx.exit(444)
end

local ops = {
    text = function() return wb:send_text("hello") end,
    text_utf8 = function() return wb:send_text("héllo, 世界") end,
    text_empty = function() return wb:send_text("") end,
    text_nil = function() return wb:send_text() end,
    text_number = function() return wb:send_text(42) end,
    binary = function() return wb:send_binary("\0\1\2\255") end,
    binary_125 = function() return wb:send_binary(string.rep("b", 125)) end,
    binary_126 = function() return wb:send_binary(string.rep("b", 126)) end,
    binary_65535 = function() return wb:send_binary(string.rep("b", 65535)) end,
    binary_65536 = function() return wb:send_binary(string.rep("b", 65536)) end,
    ping = function() return wb:send_ping() end,
    ping_msg = function() return wb:send_ping("are you there") end,
    ping_126 = function() return wb:send_ping(string.rep("p", 126)) end,
    pong = function() return wb:send_pong() end,
    pong_msg = function() return wb:send_pong("yes") end,
    pong_126 = function() return wb:send_pong(string.rep("p", 126)) end,
    close = function() return wb:send_close() end,
    close_code = function() return wb:send_close(1000) end,
    close_code_msg = function() return wb:send_close(1001, "going away") end,
    close_string_code = function() return wb:send_close("1000", "x") end,
    close_big_code = function() return wb:send_close(0x8000, "x") end,
    close_max_code = function() return wb:send_close(0x7fff) end,
    close_126 = function() return wb:send_close(1000, string.rep("c", 124)) end,
    frame_nofin = function() return wb:send_frame(false, 0x1, "frag") end,
    frame_binary = function() return wb:send_frame(true, 0x2, "raw") end,
    frame_ping_nofin = function() return wb:send_frame(false, 0x9, "x") end,
    continue = function() return wb:send_continue("tail") end,
    set_timeout = function()
        wb:set_timeout(tonumber(ngx.var.arg_ms) or 10)
        local data, typ, err = wb:recv_frame()
        return data, err
    end,
}

local f = ops[ngx.var.arg_op]
if not f then
    ngx.log(ngx.ERR, "no such op: ", ngx.var.arg_op)
    return ngx.exit(500)
end
local bytes, err = f()
ngx.log(ngx.WARN, "op ", ngx.var.arg_op, ": bytes=", tostring(bytes), " err=", tostring(err),
        " fatal=", tostring(wb.fatal))
bytes, err = wb:send_text("after")
ngx.log(ngx.WARN, "after: bytes=", tostring(bytes), " err=", tostring(err))
