-- resty.core: lua-resty-core's entry module. luaws implements the ngx.* API natively, so
-- loading it changes nothing; it loads the resty.core.* modules as upstream does (scripts
-- check for them) and returns { version = "0.1.25" }, the release matched to the
-- lua-nginx-module version luaws reports.

for _, name in ipairs {
    "var", "worker", "regex", "shdict", "time", "hash", "uri", "exit", "base64", "request",
    "response", "phase", "ndk", "socket", "coroutine", "param", "misc", "ctx",
} do
    require("resty.core." .. name)
end

return { version = require("resty.core.base").version }
