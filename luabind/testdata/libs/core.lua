local core = require "resty.core"
ngx.say("core: ", core.version)
local base = require "resty.core.base"
local names = {}
for k in pairs(base) do names[#names + 1] = k end
table.sort(names)
ngx.say("base: ", table.concat(names, " "))
ngx.say("FFI: ", base.FFI_OK, " ", base.FFI_ERROR, " ", base.FFI_AGAIN, " ", base.FFI_DECLINED, " ", base.FFI_NO_REQ_CTX, " ", base.FFI_BAD_CONTEXT)
ngx.say("request: ", type(base.get_request()) ~= "nil")
ngx.say("subsystem: ", pcall(base.allows_subsystem, "http"), " ", select(2, pcall(base.allows_subsystem, "stream")))
local memo = {}
local r1 = base.ref_in_table(memo, "a")
local r2 = base.ref_in_table(memo, "b")
ngx.say("ref: ", r1, " ", r2, " ", base.ref_in_table(memo, nil))
for _, m in ipairs{"var", "worker", "regex", "shdict", "time", "hash", "uri", "exit", "base64", "request", "response", "phase", "ndk", "socket", "coroutine", "param", "misc", "ctx", "utils"} do
    local mod = require("resty.core." .. m)
    ngx.say(m, ": ", type(mod), " ", mod.version or mod._VERSION)
end
local t = require "resty.core.time"
ngx.say("monotonic: ", t.monotonic_msec() > 0, " ", t.monotonic_time() > 0, " ", math.abs(t.monotonic_msec() / 1000 - t.monotonic_time()) < 1)
ngx.say("str_replace_char: ", require("resty.core.utils").str_replace_char("a.b.c", ".", "%"))
local b64 = require "ngx.base64"
ngx.say("b64: ", b64.encode_base64url(""), "|", b64.encode_base64url("\255\254\253hello?"), "|", b64.encode_base64url("a"))
for _, s in ipairs{"__79aGVsbG8_", "YQ", "YQ==", "a", "ab$", "YWJj=junk", "", "Y Q"} do
    local v, err = b64.decode_base64url(s)
    ngx.say("decode ", s, ": ", v and ngx.encode_base64(v) or "nil", " ", err)
end
ngx.say("b64 bad: ", select(2, b64.encode_base64url(1)), " ", select(2, b64.decode_base64url(nil)))
local process = require "ngx.process"
ngx.say("process: ", type(process.type()), " ", type(process.get_master_pid()), " ", select(2, process.enable_privileged_agent()))
local errlog = require "ngx.errlog"
ngx.say("errlog: ", type(errlog.get_sys_filter_level()), " ", errlog.get_logs(), " ", type(select(2, errlog.get_logs())))
ngx.say("filter: ", errlog.set_filter_level(ngx.WARN), " ", type(select(2, errlog.set_filter_level(ngx.WARN))), " ", select(2, errlog.set_filter_level()))
errlog.raw_log(ngx.NOTICE, "raw line")
ngx.say("raw_log: ", select(2, pcall(errlog.raw_log, "x", "m")), " | ", select(2, pcall(errlog.raw_log, ngx.ERR, 1)), " | ", (select(2, pcall(errlog.raw_log, 99, "m")):gsub("^.*: ", "")))
local resp = require "ngx.resp"
ngx.say("resp: ", resp.version)
