-- resty.core.response: set_resp_header(tb, key, value, no_override), the function behind
-- ngx.header's __newindex (tb is unused) and ngx.resp.add_header (no_override true).

local add_header = require("ngx.resp").add_header
local header = ngx.header
local tostring = tostring
local type = type

local _M = { version = require("resty.core.base").version }

function _M.set_resp_header(_, key, value, no_override)
    if type(key) ~= "string" then
        key = tostring(key)
    end
    if no_override then
        if value == nil then
            error("invalid header value", 3)
        end
        return add_header(key, value)
    end
    header[key] = value
end

return _M
