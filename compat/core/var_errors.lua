-- ngx.var errors as lua-resty-core words them: a key that is neither a string nor a number,
-- a built-in variable without a set handler, an unknown or prefix variable (045-ngx-var TEST 9-11).
ngx.say(pcall(function() return ngx.var[true] end))
ngx.say(pcall(function() ngx.var[true] = 56 end))
ngx.say(pcall(function() ngx.var.query_string = 56 end))
ngx.say(pcall(function() ngx.var.uri = "/x" end))
ngx.say(pcall(function() ngx.var.nonexistent_xyz = 1 end))
ngx.say(pcall(function() ngx.var.http_foo = 1 end))
ngx.say(pcall(function() ngx.var.arg_a = 1 end))
