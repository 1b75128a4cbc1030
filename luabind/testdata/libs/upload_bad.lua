local upload = require "resty.upload"
ngx.say(select(2, upload:new()))
