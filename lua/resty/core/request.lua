-- resty.core.request: lua-resty-core's FFI ngx.req.* (native in luaws) and its
-- set_req_header(name, value, override).

local req = ngx.req

local _M = { version = require("resty.core.base").version }

function _M.set_req_header(name, value, override)
    if override == false and req.add_header then
        return req.add_header(name, value)
    end
    return req.set_header(name, value)
end

return _M
