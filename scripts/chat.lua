-- A broadcast chat room: every text message a client sends goes to every connected client.
--
--   luaws --location /chat=scripts/chat.lua --shared-dict chat=10m
--
-- Messages are numbered and kept in the shared dict "chat"; each connection runs a second
-- light thread that sends whatever it has not sent yet, then sleeps on a semaphore that every
-- publisher posts. The semaphore lives in a module-level table, shared by every connection of
-- the worker (lua_code_cache on, the default), as it would be under OpenResty.

local server = require "resty.websocket.server"
local semaphore = require "ngx.semaphore"

local dict = ngx.shared.chat
if not dict then
    ngx.log(ngx.ERR, "chat.lua needs a shared dict named \"chat\"")
    return ngx.exit(500)
end

local room = package.loaded["luaws.chat.room"]
if not room then
    room = { wakeup = semaphore.new(0) }
    package.loaded["luaws.chat.room"] = room
end

local wb, err = server:new{ timeout = 60000, max_payload_len = 65535 }
if not wb then
    ngx.log(ngx.ERR, "failed to new websocket: ", err)
    return ngx.exit(444)
end

local function publish(msg)
    local id, err = dict:incr("last", 1, 0)
    if not id then
        ngx.log(ngx.ERR, "failed to number a message: ", err)
        return
    end
    local ok, err = dict:set("msg:" .. id, msg, 300)
    if not ok then
        ngx.log(ngx.ERR, "failed to store message ", id, ": ", err)
    end
    -- wake every connection waiting for news: count() is minus the number of waiters
    local waiting = -room.wakeup:count()
    if waiting > 0 then
        room.wakeup:post(waiting)
    end
end

local sent = dict:get("last") or 0

local function push()
    while true do
        -- read "last" right before deciding to wait: sending blocks, and messages published
        -- meanwhile must not be missed (nothing yields between this read and the wait)
        local last = dict:get("last") or 0
        if sent < last then
            sent = sent + 1
            local msg = dict:get("msg:" .. sent)
            if msg then
                local bytes, err = wb:send_text(msg)
                if not bytes then
                    ngx.log(ngx.INFO, "failed to push a message: ", err)
                    return
                end
            end
        else
            room.wakeup:wait(30)
        end
    end
end

local pusher = ngx.thread.spawn(push)

while true do
    local data, typ, err = wb:recv_frame()
    if not data then
        if not string.find(err, "timeout", 1, true) then
            break
        end
    elseif typ == "close" then
        break
    elseif typ == "text" then
        publish(data)
    end
end

ngx.thread.kill(pusher)
wb:send_close()
