-- resty.core.ctx: get_ctx_table(), the request's ngx.ctx table (created on first use).

local _M = { version = require("resty.core.base").version }

function _M.get_ctx_table(ctx)
    if ctx ~= nil and type(ctx) == "table" then
        ngx.ctx = ctx
    end
    return ngx.ctx
end

return _M
