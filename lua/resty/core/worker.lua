-- resty.core.worker: lua-resty-core's FFI ngx.worker.* (native in luaws); upstream's
-- module table carries _VERSION rather than version.

return { _VERSION = require("resty.core.base").version }
