-- resty.core.utils: str_replace_char(str, find, replace), every byte find of str replaced
-- by the byte replace.

local find, gsub, gmatch = string.find, string.gsub, string.gmatch

local _M = { version = require("resty.core.base").version }

local function escape(c)
    return (gsub(c, "%W", "%%%0"))
end

function _M.str_replace_char(str, f, r)
    if not find(str, f, nil, true) then
        return str
    end
    return (gsub(str, escape(f:sub(1, 1)), (gsub(r:sub(1, 1), "%%", "%%%%"))))
end

return _M
