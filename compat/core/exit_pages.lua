-- The error page of ngx.exit(N) for the statuses the access and limit directives answer
-- with: its <title> line (nginx's page for 401 says "Authorization Required", while its
-- status line says "Unauthorized"; 503 is "Service Temporarily Unavailable").
local raw = require "_raw"
for _, code in ipairs({ 401, 403, 429, 502, 503, 504 }) do
  local status, h, body = raw.request("GET /s?code=" .. code .. " HTTP/1.0\r\nHost: localhost\r\n\r\n")
  ngx.say(status, " | ", (body or ""):match("<title>(.-)</title>"))
end
