-- /s?code=N[&say=1][&status=M]: optionally set ngx.status and print, then
-- ngx.exit(N).
if ngx.var.arg_status then
  ngx.status = tonumber(ngx.var.arg_status)
end
if ngx.var.arg_say then
  ngx.say("body")
end
return ngx.exit(tonumber(ngx.var.arg_code))
