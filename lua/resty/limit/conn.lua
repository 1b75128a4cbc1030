-- resty.limit.conn: lua-resty-limit-traffic 0.09's concurrency limiter (nginx's
-- limit_conn, with a burst of delayed connections) on a lua_shared_dict counter per key.

local shared = ngx.shared
local setmetatable = setmetatable
local assert = assert
local floor = math.floor

local _M = { _VERSION = '0.09' }
local mt = { __index = _M }

function _M.new(dict_name, max, burst, default_conn_delay)
    local dict = shared[dict_name]
    if not dict then
        return nil, "shared dict not found"
    end
    assert(max > 0 and burst >= 0 and default_conn_delay > 0)
    return setmetatable({
        dict = dict,
        max = max + 0, -- a string max fails here, as upstream's
        burst = burst,
        unit_delay = default_conn_delay,
    }, mt)
end

function _M.incoming(self, key, commit)
    local dict, max = self.dict, self.max
    local limit = max + self.burst
    self.committed = false

    local conn, err
    if commit then
        conn, err = dict:incr(key, 1, 0)
        if not conn then
            return nil, err
        end
        if conn > limit then
            conn, err = dict:incr(key, -1)
            if not conn then
                return nil, err
            end
            return nil, "rejected"
        end
        self.committed = true
    else
        conn = (dict:get(key) or 0) + 1
        if conn > limit then
            return nil, "rejected"
        end
    end

    if conn <= max then
        return 0, conn
    end
    -- every max connections beyond the first max wait one more unit
    return self.unit_delay * floor((conn - 1) / max), conn
end

function _M.is_committed(self)
    return self.committed
end

function _M.leaving(self, key, req_latency)
    assert(key)
    local conn, err = self.dict:incr(key, -1)
    if not conn then
        return nil, err
    end
    if req_latency then
        self.unit_delay = (req_latency + self.unit_delay) / 2
    end
    return conn
end

function _M.uncommit(self, key)
    assert(key)
    return self.dict:incr(key, -1)
end

function _M.set_conn(self, conn)
    self.max = conn
end

function _M.set_burst(self, burst)
    self.burst = burst
end

return _M
