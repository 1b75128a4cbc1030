-- resty.core and the ngx.* modules it brings: versions, ngx.base64's url variants and their
-- errors, ngx.process and ngx.errlog return types, raw_log's argument errors.
local core = require "resty.core"
ngx.say("core ", core.version, " ", require("resty.core.base").version)
local b64 = require "ngx.base64"
ngx.say(b64.encode_base64url("\255\254\253hello?"), " ", b64.encode_base64url(""), " ", b64.encode_base64url("a"))
for _, s in ipairs { "__79aGVsbG8_", "YQ", "YQ==", "a", "ab$", "YWJj=junk", "", "Y Q", "+/" } do
    local v, err = b64.decode_base64url(s)
    ngx.say("decode [", s, "] ", v and ngx.encode_base64(v) or "nil", " ", tostring(err))
end
ngx.say(select(2, b64.encode_base64url(1)), " ", select(2, b64.decode_base64url(nil)))
local process = require "ngx.process"
ngx.say("process ", type(process.type()), " ", type(process.get_master_pid()), " ", select(2, process.enable_privileged_agent()))
local errlog = require "ngx.errlog"
ngx.say("errlog ", type(errlog.get_sys_filter_level()), " ", tostring(errlog.get_logs()))
errlog.raw_log(ngx.INFO, "compat raw_log line")
for _, args in ipairs { { "x", "m" }, { ngx.ERR, 1 }, { 99, "m" } } do
    ngx.say("raw_log ", (select(2, pcall(errlog.raw_log, args[1], args[2])):gsub("^.-:%d+: ", "")))
end
