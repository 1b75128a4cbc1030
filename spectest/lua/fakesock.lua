-- A fake socket for resty.websocket.protocol: receive(n) hands out scripted bytes, send(data)
-- records what was sent. protocol.recv_frame / send_frame take it as they take a cosocket.
--
--   local sock = luaws.fake_socket{ luaws.hex "81 02", "hi", { err = "timeout" } }
--   protocol.recv_frame(sock, 65535)       --> "hi", "text", nil
--   protocol.recv_frame(sock, 65535)       --> nil, nil, "failed to receive the first 2 bytes: timeout"
--
-- Script entries are byte strings (concatenated as one stream) or { err = "..." }: a read
-- reaching that point fails with the error (and the bytes read so far as the partial result),
-- as a cosocket's receive(n) does. Past the end of the script, reads fail with "closed".
-- sock.send_error = "broken pipe" makes send fail; sock.sent lists what was sent,
-- sock:sent_data() is all of it, sock.reads lists the sizes asked for.

local type = type
local concat = table.concat
local char = string.char
local tonumber = tonumber

local M = {}

local mt = {}
mt.__index = mt

function mt.receive(self, n)
    if type(n) ~= "number" then
        error("fake socket: receive(n) with a byte count only, got " .. tostring(n), 2)
    end
    self.reads[#self.reads + 1] = n
    local buf = self.buf
    while #buf < n do
        local nxt = self.script[self.pos]
        if nxt == nil then
            self.buf = ""
            return nil, "closed", buf
        end
        self.pos = self.pos + 1
        if type(nxt) == "table" then
            self.buf = ""
            return nil, nxt.err or "unknown", buf
        end
        buf = buf .. nxt
    end
    self.buf = buf:sub(n + 1)
    return buf:sub(1, n)
end

function mt.send(self, data)
    if self.send_error then
        return nil, self.send_error
    end
    if type(data) == "table" then
        data = concat(data)
    end
    self.sent[#self.sent + 1] = data
    return #data
end

function mt.sent_data(self)
    return concat(self.sent)
end

function mt.settimeout() return true end
function mt.settimeouts() return true end
function mt.close(self) self.closed = true return 1 end

-- fake_socket(script): script is a string or a list of strings and { err = ... } entries.
function M.fake_socket(script)
    if type(script) == "string" then
        script = { script }
    end
    return setmetatable({ script = script or {}, pos = 1, buf = "", sent = {}, reads = {} }, mt)
end

-- hex "81 02 68 69" is the bytes 0x81 0x02 0x68 0x69 (spaces optional): frames read better as
-- hex dumps than as escapes.
function M.hex(s)
    local out = {}
    for h in s:gsub("%s", ""):gmatch("..") do
        local b = tonumber(h, 16)
        if not b then
            error("hex: bad byte '" .. h .. "'", 2)
        end
        out[#out + 1] = char(b)
    end
    return concat(out)
end

-- tohex shows bytes as "81 02 68 69".
function M.tohex(s)
    local out = {}
    for i = 1, #s do
        out[i] = string.format("%02x", s:byte(i))
    end
    return concat(out, " ")
end

return M
