-- resty.upload: lua-resty-upload 0.11's streaming reader of multipart/form-data request
-- bodies, on the request's downstream cosocket (ngx.req.socket()).
--
-- form:read() returns typ, res, err with typ one of "header" (res = {name, value, line},
-- or the raw line when it is not "name: value"), "body" (a chunk of at most chunk_size
-- bytes), "part_end" and "eof". With preserve_body, everything read is also appended to
-- the request body (ngx.req.init_body/append_body/finish_body), so later phases can read it.

local req = ngx.req
local var = ngx.var
local match = string.match
local setmetatable = setmetatable
local type = type

local _M = { _VERSION = '0.11' }
local mt = { __index = _M }

local CHUNK_SIZE = 4096
local MAX_LINE_SIZE = 512

local BEGIN, HEADER, BODY, EOF = 1, 2, 3, 4

-- keep_body makes sock's receive and receiveuntil iterators copy what they return into the
-- request body buffer, delimiters included.
local function keep_body(sock)
    local receive, receiveuntil = sock.receive, sock.receiveuntil

    sock.receiveuntil = function(self, pattern)
        local iter, err = receiveuntil(self, pattern)
        if not iter then
            req.finish_body()
            return nil, err
        end
        return function(size)
            local data, rerr = iter(size)
            if data then
                req.append_body(data)
            end
            -- the delimiter was consumed: at the end of a whole read, or when a sized
            -- read reports the end of the data
            if (size == nil and data) or (size and not data and not rerr) then
                req.append_body(pattern)
            end
            return data, rerr
        end
    end

    sock.receive = function(self, arg)
        local data, err, partial = receive(self, arg)
        if data then
            req.append_body(data)
        elseif partial then
            req.append_body(partial)
        end
        if data == nil then
            req.finish_body()
        end
        return data, err
    end
end

local function boundary_of(content_type)
    if type(content_type) == "table" then
        content_type = content_type[1]
    end
    if not content_type then
        return nil
    end
    return match(content_type, ';%s*boundary="([^"]+)"')
        or match(content_type, ';%s*boundary=([^",;]+)')
end

function _M.new(_, chunk_size, max_line_size, preserve_body)
    local boundary = boundary_of(var.content_type)
    if not boundary then
        return nil, "no boundary defined in Content-Type"
    end

    local sock, err = req.socket()
    if not sock then
        return nil, err
    end
    if preserve_body then
        req.init_body(chunk_size)
        keep_body(sock)
    end

    local to_boundary, err2 = sock:receiveuntil("--" .. boundary)
    if not to_boundary then
        return nil, err2
    end
    local read_line, err3 = sock:receiveuntil("\r\n")
    if not read_line then
        return nil, err3
    end

    return setmetatable({
        sock = sock,
        size = chunk_size or CHUNK_SIZE,
        line_size = max_line_size or MAX_LINE_SIZE,
        read2boundary = to_boundary,
        read_line = read_line,
        boundary = boundary,
        state = BEGIN,
        preserve_body = preserve_body,
    }, mt)
end

function _M.set_timeout(self, timeout)
    local sock = self.sock
    if not sock then
        return nil, "not initialized"
    end
    return sock:settimeout(timeout)
end

-- line reads one CRLF-terminated line of at most line_size bytes: line, or nil, err
local function line(self)
    local read_line = self.read_line
    local l, err = read_line(self.line_size)
    if not l then
        return nil, err
    end
    local more, err2 = read_line(1)
    if more then
        if self.preserve_body then
            req.finish_body()
        end
        return nil, "line too long: " .. l .. more .. "..."
    end
    if err2 then
        return nil, err2
    end
    return l
end

local function drain(self)
    local sock, size = self.sock, self.size
    while true do
        local data, err = sock:receive(size)
        if err and err ~= "closed" then
            return nil, err
        end
        if not data then
            return true
        end
    end
end

local read_header

local function read_body(self)
    local chunk, err = self.read2boundary(self.size)
    if err then
        return nil, nil, err
    end
    if chunk then
        return "body", chunk
    end

    -- at a boundary: "--" ends the form, CRLF (or the rest of the line) starts a part
    local after = self.sock:receive(2)
    if after == "--" then
        local ok, derr = drain(self)
        if not ok then
            return nil, nil, derr
        end
        self.state = EOF
        return "part_end"
    end
    if after ~= "\r\n" then
        local ok, lerr = line(self)
        if not ok then
            return nil, nil, lerr
        end
    end
    self.state = HEADER
    return "part_end"
end

read_header = function(self)
    local l, err = line(self)
    if not l then
        return nil, nil, err
    end
    if l == "" then
        self.state = BODY
        return read_body(self)
    end
    local name, value = match(l, "([^: \t]+)%s*:%s*(.+)")
    if not name then
        return "header", l
    end
    return "header", { name, value, l }
end

local function read_preamble(self)
    local sock = self.sock
    if not sock then
        return nil, nil, "not initialized"
    end
    local to_boundary, size = self.read2boundary, self.size
    while to_boundary(size) do
    end

    local ok, err = line(self)
    if not ok then
        return nil, nil, err
    end
    local to_next, err2 = sock:receiveuntil("\r\n--" .. self.boundary)
    if not to_next then
        return nil, nil, err2
    end
    self.read2boundary = to_next
    self.state = HEADER
    return read_header(self)
end

local handlers = {
    [BEGIN] = read_preamble,
    [HEADER] = read_header,
    [BODY] = read_body,
    [EOF] = function() return "eof", nil end,
}

function _M.read(self)
    local handler = handlers[self.state]
    if handler then
        return handler(self)
    end
    return nil, nil, "bad state: " .. self.state
end

return _M
