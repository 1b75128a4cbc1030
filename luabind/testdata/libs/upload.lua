local upload = require "resty.upload"
local cjson = require "cjson"
local form, err = upload:new(4)
if not form then
    ngx.say("new: ", err)
    return
end
form:set_timeout(1000)
while true do
    local typ, res, err = form:read()
    if not typ then
        ngx.say("failed: ", err)
        return
    end
    ngx.say(typ, " ", type(res) == "table" and table.concat(res, "|") or tostring(res))
    if typ == "eof" then break end
end
