-- resty.limit.count: lua-resty-limit-traffic 0.09's fixed-window request counter (GitHub
-- API style: limit requests per window seconds) on a lua_shared_dict, with incr's init_ttl.

local shared = ngx.shared
local setmetatable = setmetatable
local assert = assert

local _M = { _VERSION = '0.09' }
local mt = { __index = _M }

function _M.new(dict_name, limit, window)
    local dict = shared[dict_name]
    if not dict then
        return nil, "shared dict not found"
    end
    assert(limit > 0 and window > 0)
    return setmetatable({ dict = dict, limit = limit, window = window }, mt)
end

function _M.incoming(self, key, commit)
    local remaining, err
    if commit then
        remaining, err = self.dict:incr(key, -1, self.limit, self.window)
        if not remaining then
            return nil, err
        end
    else
        remaining = (self.dict:get(key) or self.limit) - 1
    end
    if remaining < 0 then
        return nil, "rejected"
    end
    return 0, remaining
end

function _M.uncommit(self, key)
    assert(key)
    local remaining, err = self.dict:incr(key, 1)
    if remaining then
        return remaining
    end
    if err == "not found" then
        return self.limit
    end
    return nil, err
end

return _M
