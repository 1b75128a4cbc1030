-- resty.lock: lua-resty-lock 0.09's API, a lock on a key of a lua_shared_dict shared by all
-- the light threads (and workers) of the server. Waiting sleeps in growing steps.
--
-- Difference from the FFI original: gopher-lua has no __gc, so a lock object that is dropped
-- without unlock() keeps its key until the entry's exptime runs out.

local shared = ngx.shared
local sleep = ngx.sleep
local min, max = math.min, math.max
local setmetatable = setmetatable

local _M = { _VERSION = '0.09' }
local mt = { __index = _M }

local function opt(opts, name)
    if opts then
        return opts[name]
    end
    return nil
end

function _M.new(_, dict_name, opts)
    local dict = shared[dict_name]
    if not dict then
        return nil, "dictionary not found"
    end

    local exptime = opt(opts, "exptime") or 30
    local timeout = opt(opts, "timeout")
    local step = opt(opts, "step")
    if timeout then
        timeout = min(timeout, exptime)
        if step then
            step = min(step, timeout)
        end
    end

    return setmetatable({
        dict = dict,
        exptime = exptime,
        timeout = timeout or 5,
        step = step or 0.001,
        ratio = opt(opts, "ratio") or 2,
        max_step = opt(opts, "max_step") or 0.5,
        held = false,
    }, mt)
end

-- try takes the key when it is free: true, or false when someone holds it, or nil, err.
local function try(self, key)
    local ok, err = self.dict:add(key, true, self.exptime)
    if ok then
        self.held = true
        self.key = key
        return true
    end
    if err == "exists" then
        return false
    end
    return nil, err
end

function _M.lock(self, key)
    if key == nil then
        return nil, "nil key"
    end
    if self.held then
        return nil, "locked"
    end

    local got, err = try(self, key)
    if got then
        return 0
    end
    if got == nil then
        return nil, err
    end

    local step, left, waited = self.step, self.timeout, 0
    while left > 0 do
        sleep(step)
        waited = waited + step
        left = left - step

        got, err = try(self, key)
        if got then
            return waited
        end
        if got == nil then
            return nil, err
        end
        if left <= 0 then
            break
        end
        step = min(max(0.001, step * self.ratio), left, self.max_step)
    end
    return nil, "timeout"
end

function _M.unlock(self)
    if not self.held then
        return nil, "unlocked"
    end
    local ok, err = self.dict:delete(self.key)
    if not ok then
        return nil, err
    end
    self.held = false
    return 1
end

function _M.expire(self, time)
    if not self.held then
        return nil, "unlocked"
    end
    local ok, err = self.dict:replace(self.key, true, time or self.exptime)
    if not ok then
        return nil, err
    end
    return true
end

return _M
