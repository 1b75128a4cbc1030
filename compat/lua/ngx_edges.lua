-- ngx API edges of issue 9: ngx.status set to a non-number, ngx.req.is_internal, and
-- ngx.var.arg_x for a bare "?x" (no "=").
-- @request GET /t?x&y=&z=1
local ok, err = pcall(function() ngx.status = "abc" end)
ngx.say("status=abc: ", ok, " ", (tostring(err):gsub("^[^:]*:%d+: ", "")))
ngx.say("status: ", ngx.status)
ngx.say("is_internal: ", ngx.req.is_internal())
ngx.say("arg_x: ", tostring(ngx.var.arg_x), " arg_y: [", tostring(ngx.var.arg_y), "] arg_z: ", ngx.var.arg_z, " arg_w: ", tostring(ngx.var.arg_w))
local args = ngx.req.get_uri_args()
ngx.say("uri args x: ", tostring(args.x), " y: [", tostring(args.y), "]")
