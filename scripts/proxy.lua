-- A WebSocket proxy: accepts a client, connects upstream with resty.websocket.client, and
-- pumps frames both ways with two light threads until either side closes.
--
--   luaws --location /proxy=scripts/proxy.lua      # ws://HOST/proxy?upstream=ws://backend/s

local server = require "resty.websocket.server"
local client = require "resty.websocket.client"

local upstream_uri = ngx.var.arg_upstream and ngx.unescape_uri(ngx.var.arg_upstream)
if not upstream_uri then
    ngx.log(ngx.ERR, "no ?upstream=ws://... given")
    return ngx.exit(400)
end

local up = client:new{ timeout = 60000, max_payload_len = 1048576 }
local ok, err = up:connect(upstream_uri)
if not ok then
    ngx.log(ngx.ERR, "failed to connect upstream ", upstream_uri, ": ", err)
    return ngx.exit(502)
end

local down, err = server:new{ timeout = 60000, max_payload_len = 1048576 }
if not down then
    ngx.log(ngx.ERR, "failed to new websocket: ", err)
    up:close()
    return ngx.exit(444)
end

-- pump copies frames from one side to the other, keeping fragments and control frames.
local opcodes = { continuation = 0x0, text = 0x1, binary = 0x2, close = 0x8, ping = 0x9, pong = 0xa }

local function pump(from, to, name)
    while true do
        local data, typ, err = from:recv_frame()
        if not data then
            if not string.find(err, "timeout", 1, true) then
                return name .. ": " .. err
            end
        elseif typ == "close" then
            to:send_close(err, data)
            return name .. ": closed"
        else
            local bytes, serr = to:send_frame(err ~= "again", opcodes[typ], data)
            if not bytes then
                return name .. ": " .. serr
            end
        end
    end
end

local t_up = ngx.thread.spawn(pump, down, up, "client->upstream")
local t_down = ngx.thread.spawn(pump, up, down, "upstream->client")
local _, why = ngx.thread.wait(t_up, t_down)
ngx.log(ngx.INFO, "proxy done: ", why)
ngx.thread.kill(t_up)
ngx.thread.kill(t_down)
up:close()
down:send_close()
