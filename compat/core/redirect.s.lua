-- /s: ngx.redirect by case (arg c)
local c = ngx.var.arg_c
if c == "1" then
  return ngx.redirect("/foo?a=1")
elseif c == "2" then
  return ngx.redirect("http://example.com/x", 301)
elseif c == "3" then
  ngx.header["X-A"] = "1"
  return ngx.redirect("/foo", 308)
elseif c == "4" then
  return ngx.redirect("/see", ngx.HTTP_SEE_OTHER)
end
ngx.say("no case")
