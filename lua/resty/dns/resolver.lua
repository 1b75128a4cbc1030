-- resty.dns.resolver: lua-resty-dns 0.23's API (a DNS stub resolver over cosockets), written
-- for luaws.
--
-- Queries go out over ngx.socket.udp, one socket per nameserver, picked round-robin (from a
-- random one unless no_random); a reply that times out or fails to parse makes the next
-- attempt go to the next nameserver, up to retrans attempts. A truncated reply (TC bit) is
-- asked again over TCP to the same nameserver, and replies with another id are dropped
-- (up to 128 of them per attempt). Answers are tables shaped as lua-resty-dns shapes them
-- (name, type, class, ttl, section and the fields of the record type); a server error code is
-- reported in answers.errcode / answers.errstr. Error strings are lua-resty-dns's. Where the
-- upstream parser would raise a Lua error on a record cut short, this one returns
-- nil, "truncated".

local bit = require "bit"
local band, rshift, lshift = bit.band, bit.rshift, bit.lshift
local byte, char, sub, find, rep, format =
    string.byte, string.char, string.sub, string.find, string.rep, string.format
local concat = table.concat
local type, setmetatable, random = type, setmetatable, math.random
local log, DEBUG = ngx.log, ngx.DEBUG

local TYPE_A, TYPE_NS, TYPE_CNAME, TYPE_SOA, TYPE_PTR = 1, 2, 5, 6, 12
local TYPE_MX, TYPE_TXT, TYPE_AAAA, TYPE_SRV, TYPE_SPF = 15, 16, 28, 33, 99
local SECTION_AN, SECTION_NS, SECTION_AR = 1, 2, 3

local _M = {
    _VERSION = "0.23",
    TYPE_A = TYPE_A, TYPE_NS = TYPE_NS, TYPE_CNAME = TYPE_CNAME, TYPE_SOA = TYPE_SOA,
    TYPE_PTR = TYPE_PTR, TYPE_MX = TYPE_MX, TYPE_TXT = TYPE_TXT, TYPE_AAAA = TYPE_AAAA,
    TYPE_SRV = TYPE_SRV, TYPE_SPF = TYPE_SPF,
    CLASS_IN = 1,
    SECTION_AN = SECTION_AN, SECTION_NS = SECTION_NS, SECTION_AR = SECTION_AR,
}
local mt = { __index = _M }

-- RFC 1035's RCODEs 1-5 as lua-resty-dns words them; others are "unknown".
local rcode_text = { "format error", "server failure", "name error", "not implemented", "refused" }

local MAX_POINTERS = 128   -- compression pointers followed in one name
local MAX_MISMATCH = 128   -- replies with a wrong id read per attempt
local UDP_REPLY_MAX = 4096 -- bytes read of one UDP reply

function _M.new(class, opts)
    if not opts then
        return nil, "no options table specified"
    end
    local list = opts.nameservers
    if not list or #list == 0 then
        return nil, "no nameservers specified"
    end
    local timeout = opts.timeout or 2000
    local servers, socks = {}, {}
    for i = 1, #list do
        local s = list[i]
        local host, port
        if type(s) == "table" then
            host, port = s[1], s[2] or 53
        else
            host, port = s, 53
        end
        local sock, err = ngx.socket.udp()
        if not sock then
            return nil, "failed to create udp socket: " .. err
        end
        local ok, err = sock:setpeername(host, port)
        if not ok then
            return nil, "failed to set peer name: " .. err
        end
        sock:settimeout(timeout)
        servers[i] = { host, port }
        socks[i] = sock
    end
    local tcp, err = ngx.socket.tcp()
    if not tcp then
        return nil, "failed to create tcp socket: " .. err
    end
    tcp:settimeout(timeout)
    return setmetatable({
        socks = socks,
        tcp_sock = tcp,
        servers = servers,
        cur = opts.no_random and 1 or random(1, #socks),
        retrans = opts.retrans or 5,
        no_recurse = opts.no_recurse,
    }, mt)
end

function _M.destroy(self)
    if self.socks then
        for _, s in ipairs(self.socks) do
            s:close()
        end
    end
    if self.tcp_sock then
        self.tcp_sock:close()
    end
    self.socks, self.tcp_sock, self.cur, self.servers, self.retrans, self.no_recurse =
        nil, nil, nil, nil, nil, nil
end

function _M.set_timeout(self, timeout)
    local socks = self.socks
    if not socks then
        return nil, "not initialized"
    end
    for i = 1, #socks do
        socks[i]:settimeout(timeout)
    end
    if not self.tcp_sock then
        return nil, "not initialized"
    end
    self.tcp_sock:settimeout(timeout)
end

-- next_server returns the index of the nameserver to ask now and moves the round-robin on;
-- self.last remembers it for the TCP retry and the error messages.
local function next_server(self)
    local i = self.cur
    self.cur = i % #self.socks + 1
    self.last = i
    return i
end

local function server_text(self)
    return concat(self.servers[self.last], ":")
end

-- encode_query builds the query message (as an array of strings, which send() takes).
local function encode_query(qname, id, no_recurse, opts)
    if byte(qname, 1) == 46 then -- "."
        return nil, "bad name"
    end
    local qtype = opts and opts.qtype or TYPE_A
    local msg = {
        char(band(rshift(id, 8), 0xff), band(id, 0xff)),
        no_recurse and "\0\0" or "\1\0",
        "\0\1\0\0\0\0\0\0", -- one question, no other records
    }
    for label in qname:gmatch("[^.]+") do
        if #label > 63 then
            return nil, "bad name"
        end
        msg[#msg + 1] = char(#label) .. label
    end
    msg[#msg + 1] = "\0"
    msg[#msg + 1] = char(band(rshift(qtype, 8), 0xff), band(qtype, 0xff))
    msg[#msg + 1] = "\0\1" -- class IN
    return msg
end

local function u16(buf, pos)
    local hi, lo = byte(buf, pos, pos + 1)
    if not lo then
        return nil
    end
    return lshift(hi, 8) + lo
end

local function u32(buf, pos)
    local a, b, c, d = byte(buf, pos, pos + 3)
    if not d then
        return nil
    end
    -- as lua-resty-dns computes it: a ttl with the top bit set comes out negative
    return lshift(a, 24) + lshift(b, 16) + lshift(c, 8) + d
end

-- read_name decodes the (possibly compressed) domain name at pos: the name and the position
-- after it, or nil, "truncated".
local function read_name(buf, pos)
    local labels, n = {}, 0
    local p, after = pos, nil
    local jumps = 0
    while jumps < MAX_POINTERS do
        local len = byte(buf, p)
        if not len then
            return nil, "truncated"
        end
        if len == 0 then
            after = after or p + 1
            break
        end
        if band(len, 0xc0) ~= 0 then
            local lo = byte(buf, p + 1)
            if not lo then
                return nil, "truncated"
            end
            after = after or p + 2
            jumps = jumps + 1
            p = lshift(band(len, 0x3f), 8) + lo + 1
        else
            n = n + 1
            labels[n] = sub(buf, p + 1, p + len)
            p = p + len + 1
        end
    end
    return concat(labels, "."), after or p
end

-- name_rdata reads a record whose data is one name, checking it fills the record's length.
local function name_rdata(buf, pos, len, what)
    local name, p = read_name(buf, pos)
    if not name then
        return nil, p
    end
    if p - pos ~= len then
        return nil, format("bad %s record length: %d ~= %d", what, p - pos, len)
    end
    return name, p
end

local function ipv6_text(buf, pos)
    local groups = {}
    for i = 0, 7 do
        local hi, lo = byte(buf, pos + 2 * i, pos + 2 * i + 1)
        groups[i + 1] = hi == 0 and format("%x", lo) or format("%x%02x", hi, lo)
    end
    return concat(groups, ":")
end

-- txt_rdata splits a TXT (or SPF) record into its character strings: one string, or a table of
-- them when there are several. A string that overruns the record is cut at its end.
local function txt_rdata(buf, pos, len)
    local last = pos + len
    local strs = {}
    local p = pos
    repeat
        local slen = byte(buf, p) or 0
        if p + slen + 1 > last then
            slen = last - p - 1
        end
        if slen < 0 then
            slen = 0
        end
        strs[#strs + 1] = sub(buf, p + 1, p + slen)
        p = p + slen + 1
    until p >= last
    if #strs == 1 then
        return strs[1]
    end
    return strs
end

local SOA_FIELDS = { "serial", "refresh", "retry", "expire", "minimum" }

-- read_rdata fills ans with the fields of its record type; it returns the position after
-- the record, or nil, err.
local function read_rdata(ans, buf, pos, len)
    local typ = ans.type
    if typ == TYPE_A then
        if len ~= 4 then
            return nil, "bad A record value length: " .. len
        end
        local a, b, c, d = byte(buf, pos, pos + 3)
        if not d then
            return nil, "truncated"
        end
        ans.address = a .. "." .. b .. "." .. c .. "." .. d
        return pos + 4
    elseif typ == TYPE_AAAA then
        if len ~= 16 then
            return nil, "bad AAAA record value length: " .. len
        end
        if #buf < pos + 15 then
            return nil, "truncated"
        end
        ans.address = ipv6_text(buf, pos)
        return pos + 16
    elseif typ == TYPE_CNAME or typ == TYPE_NS or typ == TYPE_PTR then
        local name, p = name_rdata(buf, pos, len, "cname")
        if not name then
            return nil, p
        end
        local field = typ == TYPE_CNAME and "cname" or typ == TYPE_NS and "nsdname" or "ptrdname"
        ans[field] = name
        return p
    elseif typ == TYPE_MX then
        if len < 3 then
            return nil, "bad MX record value length: " .. len
        end
        ans.preference = u16(buf, pos)
        local name, p = read_name(buf, pos + 2)
        if not name then
            return nil, p
        end
        if p - pos ~= len then
            return nil, format("bad cname record length: %d ~= %d", p - pos, len)
        end
        ans.exchange = name
        return p
    elseif typ == TYPE_SRV then
        if len < 7 then
            return nil, "bad SRV record value length: " .. len
        end
        ans.priority, ans.weight, ans.port = u16(buf, pos), u16(buf, pos + 2), u16(buf, pos + 4)
        local name, p = read_name(buf, pos + 6)
        if not name then
            return nil, p
        end
        if p - pos ~= len then
            return nil, format("bad srv record length: %d ~= %d", p - pos, len)
        end
        ans.target = name
        return p
    elseif typ == TYPE_TXT or typ == TYPE_SPF then
        if #buf < pos + len - 1 then
            return nil, "truncated"
        end
        ans[typ == TYPE_TXT and "txt" or "spf"] = txt_rdata(buf, pos, len)
        return pos + len
    elseif typ == TYPE_SOA then
        local mname, p = read_name(buf, pos)
        if not mname then
            return nil, p
        end
        local rname
        rname, p = read_name(buf, p)
        if not rname then
            return nil, p
        end
        ans.mname, ans.rname = mname, rname
        for _, f in ipairs(SOA_FIELDS) do
            local v = u32(buf, p)
            if not v then
                return nil, "truncated"
            end
            ans[f] = v
            p = p + 4
        end
        return p
    end
    if #buf < pos + len - 1 then
        return nil, "truncated"
    end
    ans.rdata = sub(buf, pos, pos + len - 1)
    return pos + len
end

-- read_section parses count records from pos, appending them to answers unless skip.
local function read_section(answers, section, buf, pos, count, skip)
    for _ = 1, count do
        local name, p = read_name(buf, pos)
        if not name then
            return nil, p
        end
        local typ, class, ttl, len = u16(buf, p), u16(buf, p + 2), u32(buf, p + 4), u16(buf, p + 8)
        if not len then
            return nil, "truncated"
        end
        local ans = { section = section, name = name, type = typ, class = class, ttl = ttl }
        if not skip then
            answers[#answers + 1] = ans
        end
        local err
        pos, err = read_rdata(ans, buf, p + 10, len)
        if not pos then
            return nil, err
        end
    end
    return pos
end

-- parse_reply checks the reply against the query's id and returns its answers.
local function parse_reply(buf, id, opts)
    local n = #buf
    if n < 12 then
        return nil, "truncated"
    end
    local rid = u16(buf, 1)
    if rid ~= id then
        log(DEBUG, "id mismatch in the DNS reply: ", rid, " ~= ", id)
        return nil, "id mismatch"
    end
    local flags = u16(buf, 3)
    if band(flags, 0x8000) == 0 then
        return nil, "bad QR flag in the DNS response"
    end
    if band(flags, 0x200) ~= 0 then
        return nil, "truncated"
    end
    local nqs, nan, nns, nar = u16(buf, 5), u16(buf, 7), u16(buf, 9), u16(buf, 11)
    if nqs ~= 1 then
        return nil, format("bad number of questions in DNS response: %d", nqs)
    end
    local qname, pos = read_name(buf, 13)
    if not qname then
        return nil, pos
    end
    if pos + 3 + nan * 12 > n then
        return nil, "truncated"
    end
    local qclass = u16(buf, pos + 2)
    if qclass ~= 1 then
        return nil, format("unknown query class %d in DNS response", qclass)
    end
    pos = pos + 4

    local answers = {}
    local code = band(flags, 0xf)
    if code ~= 0 then
        answers.errcode = code
        answers.errstr = rcode_text[code] or "unknown"
    end
    local authority, additional
    if opts then
        authority, additional = opts.authority_section, opts.additional_section
        if opts.qtype == TYPE_SOA then
            authority = true
        end
    end
    local err
    pos, err = read_section(answers, SECTION_AN, buf, pos, nan)
    if not pos then
        return nil, err
    end
    if not authority and not additional then
        return answers
    end
    pos, err = read_section(answers, SECTION_NS, buf, pos, nns, not authority)
    if not pos then
        return nil, err
    end
    if not additional then
        return answers
    end
    pos, err = read_section(answers, SECTION_AR, buf, pos, nar)
    if not pos then
        return nil, err
    end
    return answers
end

local function query_id(self)
    return self._id or random(0, 65535) -- _id: a fixed id, for tests (as upstream)
end

-- ask_tcp sends the query to the current nameserver over TCP (short-lived connection).
local function ask_tcp(self, msg, id, opts)
    local sock = self.tcp_sock
    if not sock then
        return nil, "not initialized"
    end
    log(DEBUG, "query the TCP server due to reply truncation")
    local server = self.servers[self.last]
    local where = server_text(self)
    local ok, err = sock:connect(server[1], server[2])
    if not ok then
        return nil, "failed to connect to TCP server " .. where .. ": " .. err
    end
    local q = concat(msg)
    ok, err = sock:send({ char(band(rshift(#q, 8), 0xff), band(#q, 0xff)), q })
    if not ok then
        sock:close()
        return nil, "failed to send query to TCP server " .. where .. ": " .. err
    end
    local head
    head, err = sock:receive(2)
    if not head then
        sock:close()
        return nil, "failed to receive the reply length field from TCP server " .. where .. ": " .. err
    end
    local body
    body, err = sock:receive(u16(head, 1))
    if not body then
        sock:close()
        return nil, "failed to receive the reply message body from TCP server " .. where .. ": " .. err
    end
    local answers
    answers, err = parse_reply(body, id, opts)
    sock:close()
    if not answers then
        return nil, "failed to parse the reply from the TCP server " .. where .. ": " .. err
    end
    return answers
end

function _M.tcp_query(self, qname, opts)
    if not self.socks then
        return nil, "not initialized"
    end
    next_server(self)
    local id = query_id(self)
    local msg, err = encode_query(qname, id, self.no_recurse, opts)
    if not msg then
        return nil, err
    end
    return ask_tcp(self, msg, id, opts)
end

-- ask_udp makes one attempt at the next nameserver: answers, or nil, err.
local function ask_udp(self, msg, id, opts)
    local sock = self.socks[next_server(self)]
    local ok, err = sock:send(msg)
    if not ok then
        return nil, "failed to send request to UDP server " .. server_text(self) .. ": " .. err
    end
    for _ = 1, MAX_MISMATCH do
        local buf
        buf, err = sock:receive(UDP_REPLY_MAX)
        if not buf then
            return nil, "failed to receive reply from UDP server " .. server_text(self) .. ": " .. err
        end
        local answers
        answers, err = parse_reply(buf, id, opts)
        if err == "truncated" then
            answers, err = ask_tcp(self, msg, id, opts)
        end
        if answers then
            return answers
        end
        if err ~= "id mismatch" then
            return nil, err
        end
    end
    return nil, err
end

function _M.query(self, qname, opts, tries)
    if not self.socks then
        return nil, "not initialized"
    end
    local id = query_id(self)
    local msg, err = encode_query(qname, id, self.no_recurse, opts)
    if not msg then
        return nil, err
    end
    if tries then
        tries[1] = nil
    end
    for i = 1, self.retrans do
        local answers
        answers, err = ask_udp(self, msg, id, opts)
        if answers then
            return answers, nil, tries
        end
        if tries then
            tries[i] = err
            if tries[i + 1] ~= nil then -- a table given with more in it ends here
                tries[i + 1] = nil
            end
        end
    end
    return nil, err, tries
end

-- zeros_at returns the end of the run of "0:" groups starting at i (i itself when none).
local function zeros_at(s, i)
    while sub(s, i, i + 1) == "0:" do
        i = i + 2
    end
    return i
end

-- compress_ipv6_addr replaces the first run of zero groups with "::", as lua-resty-dns's
-- regex ^(0:)+|(:0)+$|:(0:)+ does (leftmost match; at one position, in that order).
function _M.compress_ipv6_addr(addr)
    local n = #addr
    local from, to
    for p = 1, n do
        if p == 1 and zeros_at(addr, 1) > 1 then
            from, to = 1, zeros_at(addr, 1) - 1
        elseif (n - p + 1) % 2 == 0 and find(addr, "^:0", p) then
            local q = p
            while sub(addr, q, q + 1) == ":0" do
                q = q + 2
            end
            if q > n then
                from, to = p, n
            end
        end
        if not from and byte(addr, p) == 58 and zeros_at(addr, p + 1) > p + 1 then
            from, to = p, zeros_at(addr, p + 1) - 1
        end
        if from then
            break
        end
    end
    local res = addr
    if from then
        res = sub(addr, 1, from - 1) .. "::" .. sub(addr, to + 1)
    end
    if res == "::0" then
        return "::"
    end
    return res
end

-- expand_ipv6_addr writes the groups "::" stands for as zeros.
local function expand_ipv6_addr(addr)
    if not find(addr, "::", 1, true) then
        return addr
    end
    local _, colons = addr:gsub(":", ":")
    local s = addr
    if byte(s, 1) == 58 then
        s = "0" .. s
    end
    if byte(s, -1) == 58 then
        s = s .. "0"
    end
    local at = find(s, "::", 1, true)
    return sub(s, 1, at - 1) .. ":" .. rep("0:", 8 - colons) .. sub(s, at + 2)
end
_M.expand_ipv6_addr = expand_ipv6_addr

-- arpa_str is the PTR name of an IPv4 or IPv6 address (IPv6 nibbles keep their case).
function _M.arpa_str(addr)
    if not find(addr, ":", 1, true) then
        local a, b, c, d, rest = addr:match("^(%d%d?%d?)%.(%d%d?%d?)%.(%d%d?%d?)%.(%d%d?%d?)(.*)$")
        if not a then
            return addr
        end
        return d .. "." .. c .. "." .. b .. "." .. a .. ".in-addr.arpa" .. rest
    end
    local out = {}
    for group in (expand_ipv6_addr(addr) .. ":"):gmatch("([^:]*):") do
        local g = rep("0", 4 - #group) .. group
        for i = 1, #g do
            out[#out + 1] = sub(g, i, i)
        end
    end
    local rev = {}
    for i = #out, 1, -1 do
        rev[#rev + 1] = out[i]
    end
    rev[#rev + 1] = "ip6.arpa"
    return concat(rev, ".")
end

function _M.reverse_query(self, addr)
    return self:query(_M.arpa_str(addr), { qtype = TYPE_PTR })
end

return _M
