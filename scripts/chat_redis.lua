-- A chat room across machines: every text message a client sends reaches every member of
-- the room, whichever luaws process (or OpenResty worker) the member is connected to, over
-- Redis pub/sub with resty.redis.
--
--   LUAWS_REDIS=127.0.0.1:6379 luaws --location /chat=scripts/chat_redis.lua
--
-- The room is the "room" query argument (default "lobby"), the Redis channel "chat:ROOM".
-- Each connection holds two Redis connections: one subscribed to the room, read by a light
-- thread that forwards every published message to the client, and one (pooled) to publish
-- what the client sends. Once subscribed, the handler sends the client "joined ROOM", so a
-- client knows from then on it misses nothing. Redis delivers a channel's messages in the
-- order they were published, so each member sees every sender's messages in order.
-- Under nginx, declare "env LUAWS_REDIS;" for os.getenv to see the address.

local server = require "resty.websocket.server"
local redis = require "resty.redis"

local addr = os.getenv("LUAWS_REDIS") or "127.0.0.1:6379"
local redis_host, redis_port = addr:match("^(.*):(%d+)$")
redis_host, redis_port = redis_host or addr, tonumber(redis_port) or 6379

local room = ngx.var.arg_room or "lobby"
if not room:match("^[%w_%-]+$") then
    return ngx.exit(400)
end
local channel = "chat:" .. room

local function connect()
    local red = redis:new()
    red:set_timeouts(1000, 5000, 60000)
    local ok, err = red:connect(redis_host, redis_port)
    if not ok then
        return nil, err
    end
    return red
end

-- subscribe before the handshake, so a refused Redis is an HTTP error, not a dead socket
local sub, err = connect()
if not sub then
    ngx.log(ngx.ERR, "failed to connect to redis: ", err)
    return ngx.exit(502)
end
local res, err = sub:subscribe(channel)
if not res then
    ngx.log(ngx.ERR, "failed to subscribe to ", channel, ": ", err)
    return ngx.exit(502)
end

local wb, err = server:new{ timeout = 60000, max_payload_len = 65535 }
if not wb then
    ngx.log(ngx.ERR, "failed to new websocket: ", err)
    sub:close()
    return ngx.exit(444)
end

local function forward()
    while true do
        local reply, err = sub:read_reply()
        if reply then
            -- {"message", channel, payload}
            if reply[1] == "message" then
                local bytes, err = wb:send_text(reply[3])
                if not bytes then
                    ngx.log(ngx.ERR, "failed to send: ", err)
                    return
                end
            end
        elseif err ~= "timeout" then
            ngx.log(ngx.ERR, "failed to read from redis: ", err)
            wb:send_close(1011, "redis went away")
            return
        end
    end
end

local forwarder = ngx.thread.spawn(forward)
wb:send_text("joined " .. room)

local function publish(msg)
    local red, err = connect()
    if not red then
        return nil, err
    end
    local n, err = red:publish(channel, msg)
    if not n then
        red:close()
        return nil, err
    end
    red:set_keepalive(10000, 100)
    return n
end

while true do
    local data, typ, err = wb:recv_frame()
    if not data then
        if not err or not err:find(": timeout", 1, true) then
            break
        end
        local bytes, err = wb:send_ping()
        if not bytes then
            break
        end
    elseif typ == "close" then
        wb:send_close()
        break
    elseif typ == "ping" then
        wb:send_pong(data)
    elseif typ == "text" then
        local ok, err = publish(data)
        if not ok then
            ngx.log(ngx.ERR, "failed to publish: ", err)
            wb:send_close(1011, "cannot publish")
            break
        end
    end
end

ngx.thread.kill(forwarder)
sub:close()
