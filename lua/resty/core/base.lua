-- resty.core.base: the helpers of lua-resty-core's base module that mean something without
-- the FFI: version, new_tab, clear_tab, get_request, allows_subsystem, ref_in_table, the
-- FFI_* return codes and the string buffer size. The FFI buffers (get_string_buf,
-- get_size_ptr, get_errmsg_ptr) raise an error: luaws has no FFI.

local core = require "luaws.core"
local new_tab = require "table.new"
local clear_tab = require "table.clear"
local error = error
local type = type

local str_buf_size = 4096

local _M = {
    version = core.version,
    new_tab = new_tab,
    clear_tab = clear_tab,
    get_request = core.get_request,
    allows_subsystem = core.allows_subsystem,

    FFI_OK = 0,
    FFI_NO_REQ_CTX = -100,
    FFI_BAD_CONTEXT = -101,
    FFI_ERROR = -1,
    FFI_AGAIN = -2,
    FFI_BUSY = -3,
    FFI_DONE = -4,
    FFI_DECLINED = -5,
}

-- the FFI buffer helpers exist (scripts probe for them) but cannot hand out C pointers
local function no_ffi(name)
    return function()
        error("resty.core.base." .. name .. "(): luaws has no FFI", 2)
    end
end
_M.get_errmsg_ptr = no_ffi("get_errmsg_ptr")
_M.get_size_ptr = no_ffi("get_size_ptr")
_M.get_string_buf = no_ffi("get_string_buf")

function _M.set_string_buf_size(size)
    if type(size) ~= "number" or size <= 0 then
        return
    end
    str_buf_size = size
end

function _M.get_string_buf_size()
    return str_buf_size
end

-- ref_in_table(tb, key): key stored in tb under a free integer slot (slot 0 heads the free
-- list), -1 for nil
function _M.ref_in_table(tb, key)
    if key == nil then
        return -1
    end
    local ref = tb[0]
    if ref and ref ~= 0 then
        tb[0] = tb[ref]
    else
        ref = #tb + 1
    end
    tb[ref] = key
    return ref
end

return _M
