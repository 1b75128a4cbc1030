-- resty.websocket.server, live: handlers under spec/handlers/ run in luaws.serve; the client
-- side is resty.websocket.client or a raw cosocket. One `it` per behaviour and error string
-- of lua-resty-websocket's documentation (README) and lib/resty/websocket/server.lua.
local client = require "resty.websocket.client"
local protocol = require "resty.websocket.protocol"
local h = require "spec.helpers"
local hex = luaws.hex

describe("resty.websocket.server", function()
  local srv
  setup(function()
    srv = luaws.serve {
      ["/probe"] = "spec/handlers/probe.lua",
      ["/headers"] = "spec/handlers/headers.lua",
    }
  end)
  teardown(function() srv:stop() end)

  local function connect(query, opts)
    local wb = client:new(opts)
    local ok, err, res = wb:connect(srv.url .. "/probe" .. (query or ""))
    assert.is_nil(err)
    assert.truthy(ok)
    return wb, res
  end

  describe("server:new(opts)", function()
    it("answers the handshake with 101 Switching Protocols", function()
      local _, res = connect()
      assert.matches("^HTTP/1.1 101 ", res)
    end)

    it("sends Upgrade: websocket and the Sec-WebSocket-Accept of RFC 6455's example key", function()
      local head = h.request(srv, h.handshake(srv, "/probe"), true)
      assert.matches("\r\n[Uu]pgrade: websocket", head)
      assert.matches("\r\nSec%-WebSocket%-Accept: s3pPLMBiTxaQ9kYGzzhZRbK%+xOo=", head)
    end)

    it("echoes the Sec-WebSocket-Protocol request header", function()
      local wb = client:new()
      local ok, err, res = wb:connect(srv.url .. "/probe", { protocols = { "chat", "superchat" } })
      assert.truthy(ok)
      assert.matches("\r\nSec%-WebSocket%-Protocol: chat,superchat", res)
    end)

    it("fails with \"bad http version\" for HTTP/1.0", function()
      local lines = h.handshake(srv, "/probe")
      lines[1] = "GET /probe HTTP/1.0"
      local resp = h.request(srv, lines)
      assert.are.equal("bad http version\n", h.body(resp))
    end)

    it("fails with \"bad \\\"upgrade\\\" request header: nil\" without Upgrade", function()
      local resp = h.request(srv, h.without(h.handshake(srv, "/probe"), "upgrade:"))
      assert.are.equal("bad \"upgrade\" request header: nil\n", h.body(resp))
    end)

    it("names the bad Upgrade value: \"bad \\\"upgrade\\\" request header: h2c\"", function()
      local lines = h.without(h.handshake(srv, "/probe"), "upgrade:")
      lines[#lines + 1] = "Upgrade: h2c"
      assert.are.equal("bad \"upgrade\" request header: h2c\n", h.body(h.request(srv, lines)))
    end)

    it("fails with \"bad \\\"connection\\\" request header\" without Connection: upgrade", function()
      local lines = h.without(h.handshake(srv, "/probe"), "connection:")
      lines[#lines + 1] = "Connection: keep-alive"
      assert.are.equal("bad \"connection\" request header\n", h.body(h.request(srv, lines)))
    end)

    it("fails with \"bad \\\"sec-websocket-key\\\" request header\" without a key", function()
      local lines = h.without(h.handshake(srv, "/probe"), "sec-websocket-key:")
      assert.are.equal("bad \"sec-websocket-key\" request header\n", h.body(h.request(srv, lines)))
    end)

    it("fails with \"bad \\\"sec-websocket-version\\\" request header\" unless the version is 13", function()
      local lines = h.without(h.handshake(srv, "/probe"), "sec-websocket-version:")
      lines[#lines + 1] = "Sec-WebSocket-Version: 8"
      assert.are.equal("bad \"sec-websocket-version\" request header\n", h.body(h.request(srv, lines)))
    end)

    it("limits received payloads to max_payload_len, 65535 by default", function()
      local wb = connect()
      wb:send_binary(string.rep("a", 65535))
      assert.are.same({ 65535, "binary", "nil" }, { unpack(h.reply(wb), 1, 3) })
      wb:send_binary(string.rep("a", 65536))
      assert.truthy(h.wait_log(srv, "probe: fatal: exceeding max payload len"))
    end)

    it("takes max_payload_len from opts", function()
      local wb = connect("?max_payload_len=10")
      wb:send_text("0123456789")
      assert.are.same({ 10, "text" }, { unpack(h.reply(wb), 1, 2) })
      wb:send_text("0123456789a")
      wb:send_text("0123456789a")
      assert.truthy(h.wait_log(srv, "probe: fatal: exceeding max payload len"))
    end)

    it("takes max_recv_len (receiving) from opts, defaulting to max_payload_len", function()
      local wb = connect("?max_payload_len=100&max_recv_len=4")
      wb:send_text("abcd")
      assert.are.same({ 4, "text" }, { unpack(h.reply(wb), 1, 2) })
      wb:send_text("do send_text 50")  -- 15 bytes > max_recv_len
      assert.truthy(h.wait_log(srv, "probe: fatal: exceeding max payload len"))
    end)

    it("takes max_send_len (sending) from opts: \"payload too big\" past it", function()
      local wb = connect("?max_send_len=20")
      wb:send_text("do send_text 21")
      h.reply(wb)
      assert.are.same({ "ret|nil|payload too big" }, h.reply(wb))
    end)

    it("sends unmasked frames by default", function()
      local head, _, sock = h.request(srv, h.handshake(srv, "/probe"), true)
      assert(sock:send(protocol.build_frame(true, 0x1, 2, "hi", true)))
      local b = sock:receive(2)
      assert.are.equal(0, b:byte(2) - b:byte(2) % 128 == 128 and 1 or 0)
      sock:close()
    end)

    it("sends masked frames with send_masked = true", function()
      local head, _, sock = h.request(srv, h.handshake(srv, "/probe?send_masked=true"), true)
      assert(sock:send(protocol.build_frame(true, 0x1, 2, "hi", true)))
      local b = sock:receive(2)
      assert.is_true(b:byte(2) >= 128)
      sock:close()
    end)

    it("uses opts.timeout (ms) for network operations", function()
      local wb = connect("?timeout=50")
      local r = h.reply(wb)    -- the probe's recv_frame timed out and said so
      assert.are.same({ 0, "nil", "failed to receive the first 2 bytes: timeout" }, { unpack(r, 1, 3) })
    end)
  end)

  describe("wb:set_timeout(ms)", function()
    it("changes the network timeout", function()
      local wb = connect()
      wb:send_text("do set_timeout 50")
      h.reply(wb)
      h.reply(wb)
      local r = h.reply(wb)
      assert.are.same({ 0, "nil", "failed to receive the first 2 bytes: timeout" }, { unpack(r, 1, 3) })
    end)
  end)

  describe("wb:recv_frame()", function()
    it("returns the payload and \"text\" for a text frame", function()
      local wb = connect()
      wb:send_text("hello")
      assert.are.same({ 5, "text", "nil", "hello" }, h.reply(wb))
    end)

    it("returns \"binary\" for a binary frame", function()
      local wb = connect()
      wb:send_binary("bin")
      assert.are.same({ 3, "binary", "nil", "bin" }, h.reply(wb))
    end)

    it("returns \"ping\" for a ping frame", function()
      local wb = connect()
      wb:send_ping("p")
      assert.are.same({ 1, "ping", "nil", "p" }, h.reply(wb))
    end)

    it("returns \"pong\" for a pong frame", function()
      local wb = connect()
      wb:send_pong("q")
      assert.are.same({ 1, "pong", "nil", "q" }, h.reply(wb))
    end)

    it("returns err \"again\" for a fragment, then \"continuation\"", function()
      local wb = connect()
      wb:send_frame(false, 0x1, "hel")
      assert.are.same({ 3, "text", "again", "hel" }, h.reply(wb))
      wb:send_frame(true, 0x0, "lo")
      assert.are.same({ 2, "continuation", "nil", "lo" }, h.reply(wb))
    end)

    it("returns the message, \"close\" and the status code for a close frame", function()
      local wb = connect()
      wb:send_close(1001, "going away")
      assert.are.same({ 10, "close", "1001", "going away" }, h.reply(wb))
    end)

    it("fails with \"frame unmasked\" when the client does not mask", function()
      local wb = connect(nil, { send_unmasked = true })
      wb:send_text("hi")
      assert.truthy(h.wait_log(srv, "probe: fatal: frame unmasked"))
    end)

    it("returns \"fatal error already happened\" after a fatal error", function()
      local head, _, sock = h.request(srv, h.handshake(srv, "/probe"), true)
      assert(sock:send(hex "c1 80 00 00 00 00"))   -- RSV1 set
      assert.truthy(h.wait_log(srv, "probe: fatal: bad RSV1, RSV2, or RSV3 bits"))
      assert.truthy(h.wait_log(srv, "probe: then: fatal error already happened"))
      sock:close()
    end)
  end)

  describe("sending", function()
    it("wb:send_text returns the bytes sent on the TCP level", function()
      local wb = connect()
      wb:send_text("do send_text 5")
      h.reply(wb)
      assert.are.same({ "aaaaa", "text" }, { wb:recv_frame() })
      assert.are.same({ "ret|7|nil" }, h.reply(wb))
    end)

    it("wb:send_binary sends a binary frame", function()
      local wb = connect()
      wb:send_text("do send_binary 200")
      h.reply(wb)
      local data, typ = wb:recv_frame()
      assert.are.same({ 200, "binary" }, { #data, typ })
      assert.are.same({ "ret|204|nil" }, h.reply(wb))
    end)

    it("wb:send_ping sends a ping, with an optional message", function()
      local wb = connect()
      wb:send_text("do send_ping hey")
      h.reply(wb)
      assert.are.same({ "hey", "ping" }, { wb:recv_frame() })
      wb:send_text("do send_ping")
      h.reply(wb)
      h.reply(wb)
      assert.are.same({ "", "ping" }, { wb:recv_frame() })
    end)

    it("wb:send_pong sends a pong", function()
      local wb = connect()
      wb:send_text("do send_pong yo")
      h.reply(wb)
      assert.are.same({ "yo", "pong" }, { wb:recv_frame() })
    end)

    it("wb:send_close(code, msg) sends the status code and message", function()
      local wb = connect()
      wb:send_text("do send_close 1000 enough, enough!")
      h.reply(wb)
      assert.are.same({ "enough, enough!", "close", 1000 }, { wb:recv_frame() })
      assert.are.same({ "ret|19|nil" }, h.reply(wb))
    end)

    it("wb:send_close() sends an empty close frame", function()
      local wb = connect()
      wb:send_text("do send_close")
      h.reply(wb)
      local data, typ, code = wb:recv_frame()
      assert.are.same({ "", "close" }, { data, typ })
      assert.is_nil(code)
    end)

    it("wb:send_close fails with \"bad status code\" for a code over 0x7fff", function()
      local wb = connect()
      wb:send_text("do send_close 40000")
      h.reply(wb)
      assert.are.same({ "ret|nil|bad status code" }, h.reply(wb))
    end)

    it("wb:send_close fails with \"bad status code\" for a code that is not a number", function()
      local wb = connect()
      wb:send_text("do send_close_str 1000")
      h.reply(wb)
      assert.are.same({ "ret|nil|bad status code" }, h.reply(wb))
    end)

    it("wb:send_frame(fin, opcode, payload) sends a raw frame", function()
      local wb = connect()
      wb:send_text("do send_frame false 1 part")
      h.reply(wb)
      assert.are.same({ "part", "text", "again" }, { wb:recv_frame() })
    end)

    it("wb:send_frame fails with \"fragmented control frame\" for a control frame without fin", function()
      local wb = connect()
      wb:send_text("do send_frame false 9 x")
      h.reply(wb)
      assert.are.same({ "ret|nil|fragmented control frame" }, h.reply(wb))
    end)

    it("wb:send_ping fails with \"too much payload for control frame\" over 125 bytes", function()
      local wb = connect()
      wb:send_text("do send_ping " .. string.rep("x", 126))
      h.reply(wb)
      assert.are.same({ "ret|nil|too much payload for control frame" }, h.reply(wb))
    end)
  end)
end)
