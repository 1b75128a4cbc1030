-- server:new's error for each bad handshake request header, and the status
-- line the client gets when the handler then calls ngx.exit(400); plus the
-- header variants server:new accepts (mixed case, Connection lists, empty key,
-- a request body).
-- @shared_dict hs 1m
local raw = require "_raw"

local KEY = "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
local VER = "Sec-WebSocket-Version: 13\r\n"
local UPG = "Upgrade: websocket\r\n"
local CON = "Connection: Upgrade\r\n"

local cases = {
  { "good", "GET /s HTTP/1.1\r\n", UPG .. CON .. KEY .. VER },
  { "http10", "GET /s HTTP/1.0\r\n", UPG .. CON .. KEY .. VER },
  { "no-upgrade", "GET /s HTTP/1.1\r\n", CON .. KEY .. VER },
  { "upgrade-h2c", "GET /s HTTP/1.1\r\n", "Upgrade: h2c\r\n" .. CON .. KEY .. VER },
  { "upgrade-mixed-case", "GET /s HTTP/1.1\r\n", "Upgrade: WebSocket\r\n" .. CON .. KEY .. VER },
  { "upgrade-twice-bad-first", "GET /s HTTP/1.1\r\n", "Upgrade: foo\r\n" .. UPG .. CON .. KEY .. VER },
  { "upgrade-twice-good-first", "GET /s HTTP/1.1\r\n", UPG .. "Upgrade: foo\r\n" .. CON .. KEY .. VER },
  { "no-connection", "GET /s HTTP/1.1\r\n", UPG .. KEY .. VER },
  { "connection-keep-alive", "GET /s HTTP/1.1\r\n", UPG .. "Connection: keep-alive\r\n" .. KEY .. VER },
  { "connection-list", "GET /s HTTP/1.1\r\n", UPG .. "Connection: keep-alive, Upgrade\r\n" .. KEY .. VER },
  { "connection-twice-upgrade-second", "GET /s HTTP/1.1\r\n", UPG .. "Connection: keep-alive\r\nConnection: Upgrade\r\n" .. KEY .. VER },
  { "no-key", "GET /s HTTP/1.1\r\n", UPG .. CON .. VER },
  { "empty-key", "GET /s HTTP/1.1\r\n", UPG .. CON .. "Sec-WebSocket-Key:\r\n" .. VER },
  { "no-version", "GET /s HTTP/1.1\r\n", UPG .. CON .. KEY },
  { "version-8", "GET /s HTTP/1.1\r\n", UPG .. CON .. KEY .. "Sec-WebSocket-Version: 8\r\n" },
  { "version-13-space", "GET /s HTTP/1.1\r\n", UPG .. CON .. KEY .. "Sec-WebSocket-Version:  13 \r\n" },
  { "post-with-body", "POST /s HTTP/1.1\r\n", UPG .. CON .. KEY .. VER .. "Content-Length: 5\r\n", "hello" },
}

for _, c in ipairs(cases) do
  local name, reqline, headers, body = c[1], c[2], c[3], c[4] or ""
  local req = reqline .. "Host: localhost\r\nX-Case: " .. name .. "\r\n" .. headers .. "\r\n" .. body
  local status, h = raw.request(req)
  -- after a 101 the handler records its outcome once server:new returns: under luaws it
  -- runs in parallel with this request, so wait for it
  for _ = 1, 100 do
    if ngx.shared.hs:get(name) or not status:match(" 101 ") then break end
    ngx.sleep(0.01)
  end
  ngx.say(name, ": ", status, " | ", ngx.shared.hs:get(name) or "(handler did not record)")
  if status:match(" 101 ") then
    ngx.say("    upgrade: ", tostring(h["upgrade"]),
      "; connection: ", tostring(h["connection"] and h["connection"]:lower()),
      "; accept: ", tostring(h["sec-websocket-accept"]))
  end
end
