-- The request's header list as ngx.req.set_header / clear_header change it, seen
-- through get_headers(n, true) for growing n (which names the list holds first):
-- a set value replaces the first field of its name in place, keeping the client's
-- spelling of the name, and removes the later ones; a table's other values and new
-- names go to the end, spelt as given (underscores kept); clear removes every
-- field of the name; unsafe bytes of names and values are %-escaped.
-- @header A: a0
-- @header B: b
-- @header X-Mixed-CASE: m
-- @header A: a00
-- @header C: c
ngx.req.clear_header("B")
ngx.req.set_header("a", {"a1", "a2"})
ngx.req.set_header("x-mixed-case", "m2")
ngx.req.set_header("New_Name", "n")
ngx.req.set_header("Foo\r", "1\n2")
local seen = {}
for n = 1, 12 do
  local h = ngx.req.get_headers(n, true)
  local new = {}
  for k in pairs(h) do
    if not seen[k] then new[#new + 1] = k end
  end
  table.sort(new)
  for _, k in ipairs(new) do
    seen[k] = true
    local v = h[k]
    if k == "User-Agent" or k == "Host" then v = "(" .. k .. ")" end
    ngx.say(n, " ", k, ": ", type(v) == "table" and table.concat(v, ",") or v)
  end
end
ngx.say("lower a: ", table.concat(ngx.req.get_headers()["a"], ","))
ngx.say("b: ", tostring(ngx.req.get_headers()["b"]))
