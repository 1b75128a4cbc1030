-- resty.lrucache: lua-resty-lrucache 0.14's API, an LRU cache of Lua values local to one Lua
-- state (one worker), with optional per-item TTLs and 32-bit user flags.
--
-- The values live in self.hasht (key -> value, as upstream's); the recency order is a
-- circular doubly linked list of node tables headed by self.ring, newest first. Nodes of
-- deleted or flushed items are not kept for reuse: a new item allocates its node.

local now = ngx.now
local setmetatable = setmetatable
local type = type
local floor = math.floor
local clear = require "table.clear"

local _M = { _VERSION = '0.14' }
local mt = { __index = _M }

local function unlink(node)
    node.prev.next = node.next
    node.next.prev = node.prev
end

local function push_front(ring, node)
    local first = ring.next
    node.next, node.prev = first, ring
    first.prev = node
    ring.next = node
end

local function new_ring()
    local ring = {}
    ring.next, ring.prev = ring, ring
    return ring
end

-- flags are kept as the C uint32_t upstream stores them: a number >= 0, modulo 2^32
local function user_flags(flags)
    if type(flags) == "number" and flags >= 0 then
        return floor(flags) % 4294967296
    end
    return 0
end

function _M.new(size)
    if size < 1 then
        return nil, "size too small"
    end
    return setmetatable({
        hasht = {},
        key2node = {},
        ring = new_ring(),
        num_items = 0,
        max_items = size,
    }, mt)
end

function _M.count(self)
    return self.num_items
end

function _M.capacity(self)
    return self.max_items
end

function _M.get(self, key)
    local val = self.hasht[key]
    if val == nil then
        return nil
    end
    local node = self.key2node[key]
    unlink(node)
    push_front(self.ring, node)
    if node.expire >= 0 and node.expire < now() then
        return nil, val, node.flags
    end
    return val, nil, node.flags
end

function _M.delete(self, key)
    self.hasht[key] = nil
    local node = self.key2node[key]
    if not node then
        return false
    end
    self.key2node[key] = nil
    unlink(node)
    self.num_items = self.num_items - 1
    return true
end

function _M.set(self, key, value, ttl, flags)
    local hasht, key2node = self.hasht, self.key2node
    hasht[key] = value

    local node = key2node[key]
    if node then
        unlink(node)
    elseif self.num_items >= self.max_items then
        -- reuse the least recently used item's node
        node = self.ring.prev
        unlink(node)
        local old = node.key
        hasht[old] = nil
        key2node[old] = nil
        node.key = key
        key2node[key] = node
    else
        node = { key = key }
        key2node[key] = node
        self.num_items = self.num_items + 1
    end
    push_front(self.ring, node)

    if ttl then
        node.expire = now() + ttl
    else
        node.expire = -1
    end
    node.flags = user_flags(flags)
end

function _M.get_keys(self, max_count, res)
    if not max_count or max_count == 0 then
        max_count = self.num_items
    end
    res = res or {}
    local ring = self.ring
    local node, i = ring.next, 0
    while node ~= ring and i < max_count do
        i = i + 1
        res[i] = node.key
        node = node.next
    end
    res[i + 1] = nil
    return res
end

function _M.flush_all(self)
    clear(self.hasht)
    clear(self.key2node)
    self.ring = new_ring()
    self.num_items = 0
end

return _M
