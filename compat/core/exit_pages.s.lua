return ngx.exit(tonumber(ngx.var.arg_code))
