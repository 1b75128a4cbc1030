-- resty.limit.req: lua-resty-limit-traffic 0.09's request-rate limiter (nginx's
-- limit_req "leaky bucket") on a lua_shared_dict.
--
-- Each key's record is the 16-byte string upstream's FFI struct makes on x86-64 (two
-- little-endian 64-bit unsigned integers: the excess in 1/1000 requests and the time of
-- the last request in milliseconds), so dicts written by either read the same.

local shared = ngx.shared
local now = ngx.now
local setmetatable = setmetatable
local type = type
local assert = assert
local abs, max, floor = math.abs, math.max, math.floor
local char, byte = string.char, string.byte

local _M = { _VERSION = '0.09' }
local mt = { __index = _M }

local REC_SIZE = 16

local function u64le(n)
    n = floor(n)
    local b = {}
    for i = 1, 8 do
        local r = n % 256
        b[i] = r
        n = (n - r) / 256
    end
    return char(b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8])
end

local function read_u64le(s, at)
    local n = 0
    for i = at + 7, at, -1 do
        n = n * 256 + byte(s, i)
    end
    return n
end

local function encode(excess, last)
    return u64le(excess) .. u64le(last)
end

-- decode returns excess, last of a record, or nil when v is not one
local function decode(v)
    if type(v) ~= "string" or #v ~= REC_SIZE then
        return nil
    end
    return read_u64le(v, 1), read_u64le(v, 9)
end

function _M.new(dict_name, rate, burst)
    local dict = shared[dict_name]
    if not dict then
        return nil, "shared dict not found"
    end
    assert(rate > 0 and burst >= 0)
    return setmetatable({ dict = dict, rate = rate * 1000, burst = burst * 1000 }, mt)
end

function _M.incoming(self, key, commit)
    local dict, rate = self.dict, self.rate
    local t = now() * 1000
    local excess = 0

    local v = dict:get(key)
    if v then
        local prev, last = decode(v)
        if not prev then
            return nil, "shdict abused by other users"
        end
        excess = max(prev - rate * abs(t - last) / 1000 + 1000, 0)
        if excess > self.burst then
            return nil, "rejected"
        end
    end

    if commit then
        dict:set(key, encode(excess, t))
    end
    -- the delay in seconds, and the excess in requests
    return excess / rate, excess / 1000
end

function _M.uncommit(self, key)
    assert(key)
    local dict = self.dict
    local v = dict:get(key)
    if not v then
        return nil, "not found"
    end
    local excess, last = decode(v)
    if not excess then
        return nil, "shdict abused by other users"
    end
    dict:set(key, encode(max(excess - 1000, 0), last))
    return true
end

function _M.set_rate(self, rate)
    self.rate = rate * 1000
end

function _M.set_burst(self, burst)
    self.burst = burst * 1000
end

return _M
