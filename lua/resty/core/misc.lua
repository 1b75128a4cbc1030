-- resty.core.misc: under lua-resty-core it installs ngx.status, ngx.is_subrequest and
-- ngx.headers_sent as FFI-backed magic keys; they are native in luaws.

return { version = require("resty.core.base").version }
