-- ngx.location.capture / capture_multi from a content handler: the result table (status,
-- body, truncated, header keys as the handler set them, a repeated header as a list), args as
-- a table and a string (joined to the URI's own with "&"), method and body, HEAD without a
-- body, the parent's method in $request_method, ctx given and not, is_subrequest and
-- is_internal on both sides, a capture of a missing location (404, no body), a handler that
-- fails before and after output (500 / truncated), and the option errors.
local function show(r)
  ngx.say(r.status, " ", tostring(r.truncated), " [", r.body, "] foo=", tostring(r.header["X-Foo"]),
    " multi=", type(r.header["x-multi"]) == "table" and table.concat(r.header["x-multi"], ",") or tostring(r.header["x-multi"]))
end
show(ngx.location.capture("/s?a=1", {args = {b = "x y"}}))
show(ngx.location.capture("/s", {method = ngx.HTTP_POST, body = "hello"}))
show(ngx.location.capture("/s", {method = ngx.HTTP_HEAD}))
local c = {given = "yes"}
ngx.ctx.parent = "p"
show(ngx.location.capture("/s", {ctx = c, args = "ctx=1"}))
ngx.say("ctx after: ", tostring(c.seen), " parent=", ngx.ctx.parent)
local a, b = ngx.location.capture_multi{{"/s", {args = "n=1"}}, {"/s", {args = "n=2"}}}
show(a) show(b)
show(ngx.location.capture("/s", {args = "fail=1"}))
show(ngx.location.capture("/s", {args = "fail=2"}))
show(ngx.location.capture("/s", {args = "exit=403"}))
local n = ngx.location.capture("/nope")
ngx.say("nope ", n.status, " [", n.body, "]")
ngx.say("main: ", tostring(ngx.is_subrequest), " ", tostring(ngx.req.is_internal()))
for _, f in ipairs{
  function() return ngx.location.capture("/s", {method = "GET"}) end,
  function() return ngx.location.capture("/s", {ctx = "x"}) end,
  function() return ngx.location.capture("/s", {args = true}) end,
  function() return ngx.location.capture("/s", {body = {}}) end,
  function() return ngx.location.capture("/s", {vars = 1}) end,
  function() return ngx.location.capture("/../s") end,
  function() return ngx.location.capture_multi({}) end,
  function() return ngx.location.capture_multi({"/s"}) end,
  function() return ngx.location.capture() end,
} do
  local ok, err = pcall(f)
  ngx.say(ok, " ", (tostring(err):gsub("^[^:]*:%d+: ", "")))
end
