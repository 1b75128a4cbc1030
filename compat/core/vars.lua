-- Deterministic ngx.var values of a request, and the error for writing an
-- undefined variable.
-- @request GET /t/../t?a=1&b=%20two&a=3
local names = { "request_method", "uri", "document_uri", "request_uri", "args", "query_string", "is_args",
                "arg_a", "arg_b", "arg_missing", "scheme", "server_protocol", "host", "http_host",
                "remote_addr", "server_addr", "content_length", "request_body", "https", "nonexistent_var" }
for _, n in ipairs(names) do
  local v = ngx.var[n]
  if n == "http_host" and v then v = v:gsub(":%d+$", ":<port>") end
  ngx.say(n, " = ", type(v) == "string" and "[" .. v .. "]" or tostring(v))
end
ngx.say("server_port matches digits: ", tostring(ngx.var.server_port:match("^%d+$") ~= nil), " type=", type(ngx.var.server_port))
ngx.say("remote_port matches digits: ", tostring(ngx.var.remote_port:match("^%d+$") ~= nil))
ngx.say("#binary_remote_addr = ", #ngx.var.binary_remote_addr)
local ok, err = pcall(function() ngx.var.undefined_thing = "x" end)
ngx.say("write undefined: ok=", tostring(ok), " err=", (tostring(err):gsub("^[^:]*:%d+: ", "")))
ngx.say("ngx.req.http_version() = ", ngx.req.http_version(), " get_method = ", ngx.req.get_method())
ngx.say("ngx.var.uri after set_uri_args: ", (function() ngx.req.set_uri_args("z=9") return ngx.var.args end)())
