-- ngx.req.get_headers(): lowercased keys, repeated headers as a list,
-- headers with underscores dropped by nginx, the metatable that makes
-- h["User-Agent"] and h.user_agent work, raw names with get_headers(0, true),
-- and the "truncated" error with a maximum.
-- @header X-Foo: a
-- @header X-Foo: b
-- @header X-Under_Score: dropped
-- @header X-Empty;
-- @header X-Mixed-CASE: Value With  Spaces
-- @header Content-Type: text/plain
local function show(t)
  local keys = {}
  for k in pairs(t) do keys[#keys + 1] = k end
  table.sort(keys)
  for _, k in ipairs(keys) do
    local v = t[k]
    if type(v) == "table" then
      v = "{" .. table.concat(v, "|") .. "}"
    end
    if k:lower() == "host" then v = v:gsub(":%d+$", ":<port>") end
    ngx.say("  ", k, " = ", v)
  end
end
local h = ngx.req.get_headers()
ngx.say("get_headers():")
show(h)
ngx.say("h['User-Agent'] = ", tostring(h["User-Agent"] ~= nil), ", h.user_agent = ", tostring(h.user_agent ~= nil),
        ", h['X-FOO'] type = ", type(h["X-FOO"]), ", h.x_mixed_case = ", tostring(h.x_mixed_case))
ngx.say("get_headers(0, true):")
show(ngx.req.get_headers(0, true))
local t, err = ngx.req.get_headers(2)
local n = 0
for _ in pairs(t) do n = n + 1 end
ngx.say("get_headers(2): ", n, " keys, err = ", tostring(err))
ngx.say("ngx.var.http_x_foo = ", tostring(ngx.var.http_x_foo))
ngx.say("ngx.var.http_x_under_score = ", tostring(ngx.var.http_x_under_score))
ngx.say("ngx.var.http_x_empty = [", tostring(ngx.var.http_x_empty), "]")
ngx.say("ngx.var.content_type = ", tostring(ngx.var.content_type))
