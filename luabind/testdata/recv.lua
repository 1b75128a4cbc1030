-- recv.lua: server:new with options from the query string, then n calls of recv_frame, each
-- logged as "frame I: data=[...] typ=... err=... fatal=...". With echo=1, data frames are
-- sent back as binary frames so the test can compare large payloads byte for byte.
local server = require "resty.websocket.server"

local opts = {}
for _, k in ipairs({"max_payload_len", "max_recv_len", "max_send_len", "timeout"}) do
    local v = ngx.var["arg_" .. k]
    if v then
        opts[k] = tonumber(v)
    end
end

local wb, err = server:new(opts)
if not wb then
    ngx.log(ngx.ERR, "failed to new websocket: ", err)
    return ngx.exit(444)
end

local n = tonumber(ngx.var.arg_n) or 1
for i = 1, n do
    local data, typ, err = wb:recv_frame()
    local shown = data
    if data and #data > 64 then
        shown = "<" .. #data .. " bytes>"
    end
    ngx.log(ngx.WARN, "frame ", i, ": data=", shown and ("[" .. shown .. "]") or "nil",
            " typ=", tostring(typ), " err=", tostring(err), " errtype=", type(err),
            " fatal=", tostring(wb.fatal))
    if data and ngx.var.arg_echo and typ ~= "close" then
        local bytes, err = wb:send_binary(data)
        if not bytes then
            ngx.log(ngx.ERR, "failed to echo: ", err)
        end
    end
end
ngx.log(ngx.WARN, "handler done")
