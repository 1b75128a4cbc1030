-- ngx.exit(N): 444 closes the connection with no response; error codes give
-- nginx's status line (its reason phrases); ngx.exit(200)/ngx.OK after a
-- body keep the body; ngx.status before the body sets the status line.
-- Requests are HTTP/1.0 so the body ends with the connection (no chunks).
local raw = require "_raw"
local cases = { "code=444", "code=500", "code=400", "code=403", "code=404", "code=405", "code=408",
                "code=429", "code=502", "code=503", "code=504", "code=301", "code=302",
                "code=200&say=1", "code=0&say=1", "code=0&say=1&status=201", "code=0&say=1&status=299",
                "code=444&say=1&status=404" }
for _, q in ipairs(cases) do
  local status, h, body = raw.request("GET /s?" .. q .. " HTTP/1.0\r\nHost: localhost\r\n\r\n")
  local line = q .. ": " .. status
  if status:match(" 20%d ") then
    line = line .. " body=" .. string.format("%q", body or "")
  end
  ngx.say(line)
end
