local args = ngx.req.get_uri_args()
if args.fail == "1" then error("boom") end
if args.fail == "2" then ngx.say("half") ngx.flush(true) error("boom") end
if args.exit then ngx.exit(tonumber(args.exit)) end
ngx.header["X-Foo"] = "bar"
ngx.header.x_multi = {"a", "b"}
ngx.req.read_body()
if ngx.ctx.given then ngx.ctx.seen = "sub saw " .. ngx.ctx.given end
ngx.print(ngx.req.get_method(), " ", ngx.var.request_method, " ", ngx.var.args or "-",
  " body=", tostring(ngx.req.get_body_data()), " sub=", tostring(ngx.is_subrequest),
  " internal=", tostring(ngx.req.is_internal()), " parentctx=", tostring(ngx.ctx.parent))
