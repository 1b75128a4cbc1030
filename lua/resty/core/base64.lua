-- resty.core.base64: under lua-resty-core it rebinds part of the ngx API to FFI calls; luaws
-- implements that API natively, so the module only reports the version.

return { version = require("resty.core.base").version }
