-- resty.lrucache.pureffi: lua-resty-lrucache's second implementation, same API as
-- resty.lrucache plus the load factor argument of new(). luaws has no FFI hash table to
-- tune: the cache is resty.lrucache's, and the load factor only sets bucket_sz (the power of
-- two upstream would size its bucket vector to) as upstream computes it.

local base = require "resty.lrucache"
local setmetatable = setmetatable

local _M = { _VERSION = '0.13' }
for name, fn in pairs(base) do
    if type(fn) == "function" then
        _M[name] = fn
    end
end
local mt = { __index = _M }

function _M.new(size, load_factor)
    local self, err = base.new(size)
    if not self then
        return nil, err
    end

    local lf = load_factor or 0.5
    if lf > 1 then
        lf = 1
    elseif lf < 0.1 then
        lf = 0.1
    end
    local need, bucket_sz = size / lf, 2
    while bucket_sz < need do
        bucket_sz = bucket_sz * 2
    end
    self.size = size
    self.bucket_sz = bucket_sz
    self.load_factor = lf
    return setmetatable(self, mt)
end

return _M
