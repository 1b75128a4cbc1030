-- resty.websocket.client against luaws.serve'd handlers: one `it` per behaviour and error
-- string of lua-resty-websocket's documentation (README) and lib/resty/websocket/client.lua.
local client = require "resty.websocket.client"
local h = require "spec.helpers"

describe("resty.websocket.client", function()
  local srv
  setup(function()
    srv = luaws.serve {
      ["/probe"] = "spec/handlers/probe.lua",
      ["/headers"] = "spec/handlers/headers.lua",
      ["/big"] = { code = [[
        local server = require "resty.websocket.server"
        local wb = server:new{ max_payload_len = 1000000 }
        local n = tonumber(ngx.var.arg_n)
        wb:send_binary(string.rep("z", n))
        wb:recv_frame()
      ]] },
    }
  end)
  teardown(function() srv:stop() end)

  -- headers_seen connects to /headers and returns what the server saw, by header name
  local function headers_seen(uri_suffix, opts)
    local wb = client:new()
    local ok, err = wb:connect(srv.url .. "/headers" .. (uri_suffix or ""), opts)
    assert.is_nil(err)
    local seen = {}
    while true do
      local data = assert(wb:recv_frame())
      if data == "end" then break end
      local k, v = data:match("^([^:]+): (.*)$")
      seen[k] = v
    end
    wb:close()
    return seen
  end

  describe("client:new(opts)", function()
    it("returns a client object", function()
      local wb, err = client:new()
      assert.is_nil(err)
      assert.is_table(wb)
    end)

    it("limits received payloads to max_payload_len, 65536 by default", function()
      local wb = client:new()
      assert.truthy(wb:connect(srv.url .. "/big?n=65536"))
      local data, typ = wb:recv_frame()
      assert.are.same({ 65536, "binary" }, { data and #data, typ })
      wb = client:new()
      assert.truthy(wb:connect(srv.url .. "/big?n=65537"))
      assert.are.same({ nil, nil, "exceeding max payload len" }, { wb:recv_frame() })
    end)

    it("takes max_recv_len from opts", function()
      local wb = client:new{ max_recv_len = 10 }
      assert.truthy(wb:connect(srv.url .. "/big?n=11"))
      assert.are.same({ nil, nil, "exceeding max payload len" }, { wb:recv_frame() })
    end)

    it("takes max_send_len from opts: \"payload too big\" past it", function()
      local wb = client:new{ max_send_len = 3 }
      assert.truthy(wb:connect(srv.url .. "/probe"))
      assert.are.same({ nil, "payload too big" }, { wb:send_text("abcd") })
    end)

    it("sends masked frames by default (the server accepts them)", function()
      local wb = client:new()
      assert.truthy(wb:connect(srv.url .. "/probe"))
      wb:send_text("masked")
      assert.are.same({ 6, "text", "nil", "masked" }, h.reply(wb))
    end)

    it("sends unmasked frames with send_unmasked = true (the server rejects them)", function()
      local wb = client:new{ send_unmasked = true }
      assert.truthy(wb:connect(srv.url .. "/probe"))
      wb:send_text("bare")
      assert.truthy(h.wait_log(srv, "probe: fatal: frame unmasked"))
    end)

    it("uses opts.timeout (ms) for network operations", function()
      local wb = client:new{ timeout = 50 }
      assert.truthy(wb:connect(srv.url .. "/probe?timeout=5000"))
      assert.are.same({ nil, nil, "failed to receive the first 2 bytes: timeout" }, { wb:recv_frame() })
    end)
  end)

  describe("wb:connect(uri, opts)", function()
    it("returns 1, nil and the raw response head", function()
      local wb = client:new()
      local ok, err, res = wb:connect(srv.url .. "/probe")
      assert.are.equal(1, ok)
      assert.is_nil(err)
      assert.matches("^HTTP/1.1 101 Switching Protocols\r\n", res)
    end)

    it("fails with \"bad websocket uri\" for a uri that is not ws:// or wss://", function()
      assert.are.same({ nil, "bad websocket uri" }, { client:new():connect("http://127.0.0.1/") })
    end)

    it("prefixes connect errors with \"failed to connect: \"", function()
      -- a unix socket path nobody listens on (a freed TCP port may be taken by another test)
      local ok, err = client:new():connect("ws://unix:/nonexistent/luaws-spec.sock:/x")
      assert.is_nil(ok)
      assert.matches("^failed to connect: ", err)
    end)

    it("sends GET with the uri's path", function()
      assert.are.equal("GET /headers?a=1", headers_seen("?a=1").request)
    end)

    it("sends Host: <host>:<port> from the uri", function()
      assert.are.equal(srv.host .. ":" .. srv.port, headers_seen().host)
    end)

    it("sends Sec-WebSocket-Version: 13 and a random 16-byte Sec-WebSocket-Key", function()
      local seen = headers_seen()
      assert.are.equal("13", seen["sec-websocket-version"])
      assert.are.equal(16, #ngx.decode_base64(seen["sec-websocket-key"]))
    end)

    it("sends opts.protocols (a table) as one Sec-WebSocket-Protocol header", function()
      assert.are.equal("chat,superchat",
                       headers_seen(nil, { protocols = { "chat", "superchat" } })["sec-websocket-protocol"])
    end)

    it("sends opts.protocols (a string) as Sec-WebSocket-Protocol", function()
      assert.are.equal("chat", headers_seen(nil, { protocols = "chat" })["sec-websocket-protocol"])
    end)

    it("sends opts.origin as Origin", function()
      assert.are.equal("http://example.com", headers_seen(nil, { origin = "http://example.com" }).origin)
    end)

    it("sends opts.headers, a list of \"name: value\" lines", function()
      local seen = headers_seen(nil, { headers = { "X-One: 1", "X-Two: two" } })
      assert.are.same({ "1", "two" }, { seen["x-one"], seen["x-two"] })
    end)

    it("sends opts.host as Host", function()
      assert.are.equal("example.org", headers_seen(nil, { host = "example.org" }).host)
    end)

    it("sends opts.key as Sec-WebSocket-Key", function()
      assert.are.equal("dGhlIHNhbXBsZSBub25jZQ==",
                       headers_seen(nil, { key = "dGhlIHNhbXBsZSBub25jZQ==" })["sec-websocket-key"])
    end)

    it("fails with \"custom headers must be a table\"", function()
      assert.are.same({ nil, "custom headers must be a table" },
                      { client:new():connect(srv.url .. "/probe", { headers = "X-A: 1" }) })
    end)

    it("fails with \"custom host header must be a string\"", function()
      assert.are.same({ nil, "custom host header must be a string" },
                      { client:new():connect(srv.url .. "/probe", { host = 42 }) })
    end)

    it("fails with \"custom Sec-WebSocket-Key must be a string\"", function()
      assert.are.same({ nil, "custom Sec-WebSocket-Key must be a string" },
                      { client:new():connect(srv.url .. "/probe", { key = 42 }) })
    end)

    it("fails with \"SSL server_name must be a string\"", function()
      assert.are.same({ nil, "SSL server_name must be a string" },
                      { client:new():connect(srv.url .. "/probe", { server_name = true }) })
    end)

    it("returns \"connection reused\" for a connection from the pool (no handshake)", function()
      local wb = client:new()
      assert.truthy(wb:connect(srv.url .. "/probe"))
      assert.truthy(wb:set_keepalive())
      local wb2 = client:new()
      local ok, err, res = wb2:connect(srv.url .. "/probe")
      assert.are.same({ 1, "connection reused" }, { ok, res })
      wb2:close()
    end)
  end)

  describe("frames", function()
    local wb
    before_each(function()
      wb = client:new()
      assert.truthy(wb:connect(srv.url .. "/probe"))
    end)
    after_each(function() wb:close() end)

    it("wb:send_text sends a text frame and returns the bytes sent (masked: 6 more)", function()
      assert.are.equal(2 + 4 + 5, wb:send_text("hello"))
      assert.are.same({ 5, "text", "nil", "hello" }, h.reply(wb))
    end)

    it("wb:send_binary sends a binary frame", function()
      wb:send_binary("\0\1")
      assert.are.same({ 2, "binary", "nil", "\0\1" }, h.reply(wb))
    end)

    it("wb:send_ping sends a ping, with an optional message", function()
      wb:send_ping()
      assert.are.same({ 0, "ping", "nil", "" }, h.reply(wb))
      wb:send_ping("m")
      assert.are.same({ 1, "ping", "nil", "m" }, h.reply(wb))
    end)

    it("wb:send_pong sends a pong", function()
      wb:send_pong("m")
      assert.are.same({ 1, "pong", "nil", "m" }, h.reply(wb))
    end)

    it("wb:send_frame(fin, opcode, payload) sends a raw frame", function()
      wb:send_frame(false, 0x2, "ab")
      assert.are.same({ 2, "binary", "again", "ab" }, h.reply(wb))
    end)

    it("wb:recv_frame returns data, type and err", function()
      wb:send_text("do send_close 1000 bye")
      h.reply(wb)
      assert.are.same({ "bye", "close", 1000 }, { wb:recv_frame() })
    end)

    it("wb:send_close(code, msg) sends a close frame", function()
      wb:send_close(1001, "later")
      assert.are.same({ 5, "close", "1001", "later" }, h.reply(wb))
    end)

    it("wb:send_close fails with \"bad status code\" for a code over 0x7fff", function()
      assert.are.same({ nil, "bad status code" }, { wb:send_close(0x8000) })
    end)

    it("refuses to send after send_close: \"already closed\"", function()
      wb:send_close()
      assert.are.same({ nil, "already closed" }, { wb:send_text("late") })
    end)

    it("wb:close() sends a close frame first if none was sent", function()
      assert.are.equal(1, wb:close())
      wb = client:new()   -- for after_each
      assert.truthy(wb:connect(srv.url .. "/probe"))
    end)

    it("wb:set_timeout(ms) changes the network timeout", function()
      wb:set_timeout(30)
      assert.are.same({ nil, nil, "failed to receive the first 2 bytes: timeout" }, { wb:recv_frame() })
    end)

    it("a timeout is not fatal: the object still works", function()
      wb:set_timeout(30)
      wb:recv_frame()
      wb:set_timeout(3000)
      wb:send_text("still here")
      assert.are.same({ 10, "text", "nil", "still here" }, h.reply(wb))
    end)
  end)

  describe("wb:set_keepalive(max_idle_timeout, pool_size)", function()
    it("returns 1 and puts the connection into the pool", function()
      local wb = client:new()
      assert.truthy(wb:connect(srv.url .. "/probe"))
      assert.are.equal(1, wb:set_keepalive(10000, 10))
    end)

    it("makes later operations other than connect() fail with the closed error", function()
      local wb = client:new()
      assert.truthy(wb:connect(srv.url .. "/probe"))
      assert.truthy(wb:set_keepalive())
      local bytes, err = wb:send_text("x")
      assert.is_nil(bytes)
      assert.matches("closed", err)
    end)
  end)
end)
