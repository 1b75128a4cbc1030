-- resty.core.time: the monotonic clock functions lua-resty-core adds (ngx.now, ngx.time,
-- ngx.update_time... are native in luaws).

local core = require "luaws.core"

return {
    version = core.version,
    monotonic_msec = core.monotonic_msec,
    monotonic_time = core.monotonic_time,
}
