-- resty.limit.traffic: lua-resty-limit-traffic 0.09's combine(), several limiters
-- (resty.limit.req/conn/count objects) applied to one request, all or none committed.

local max = math.max

local _M = { _VERSION = '0.09' }

-- combine(limiters, keys, states?): the largest delay, or nil, err. The last limiter is
-- tried with commit first; the others are only committed once it accepted, and a
-- rejection rolls back what was committed.
function _M.combine(limiters, keys, states)
    local n = #limiters
    local delay = 0
    for i = 1, n do
        local d, err = limiters[i]:incoming(keys[i], i == n)
        if not d then
            return nil, err
        end
        if i == n then
            if states then
                states[i] = err
            end
            delay = d
        end
    end

    for i = 1, n - 1 do
        local d, err = limiters[i]:incoming(keys[i], true)
        if not d then
            for j = 1, i - 1 do
                limiters[j]:uncommit(keys[j])
            end
            limiters[n]:uncommit(keys[n])
            return nil, err
        end
        if states then
            states[i] = err
        end
        delay = max(delay, d)
    end
    return delay
end

return _M
