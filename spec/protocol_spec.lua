-- resty.websocket.protocol: frames read from and written to any object with receive(n) and
-- send(data) — here luaws.fake_socket, fed scripted bytes. Each `it` is one documented
-- behaviour or error string of lua-resty-websocket (README and lib/resty/websocket/protocol.lua).
local protocol = require "resty.websocket.protocol"
local hex = luaws.hex

local function recv(bytes, max_payload_len, force_masking)
  local sock = luaws.fake_socket(bytes)
  return protocol.recv_frame(sock, max_payload_len or 65535, force_masking)
end

-- mask applies a 4-byte masking key (RFC 6455 section 5.3) to payload
local function mask(key, payload)
  local out = {}
  for i = 1, #payload do
    local k = key:byte((i - 1) % 4 + 1)
    local b = payload:byte(i)
    -- xor without bit ops: sum the differing bits
    local x, bitv = 0, 1
    for _ = 1, 8 do
      if (b % 2) ~= (k % 2) then x = x + bitv end
      b, k, bitv = math.floor(b / 2), math.floor(k / 2), bitv * 2
    end
    out[i] = string.char(x)
  end
  return table.concat(out)
end

describe("protocol.recv_frame(sock, max_payload_len, force_masking)", function()
  describe("frame types", function()
    it("returns the payload and \"text\" for a text frame", function()
      assert.are.same({ "hi", "text" }, { recv(hex "81 02" .. "hi") })
    end)

    it("returns \"binary\" for a binary frame", function()
      assert.are.same({ "\1\2", "binary" }, { recv(hex "82 02 01 02") })
    end)

    it("returns \"ping\" for a ping frame", function()
      assert.are.same({ "p", "ping" }, { recv(hex "89 01" .. "p") })
    end)

    it("returns \"pong\" for a pong frame", function()
      assert.are.same({ "", "pong" }, { recv(hex "8a 00") })
    end)

    it("returns \"continuation\" for a continuation frame", function()
      assert.are.same({ "rest", "continuation" }, { recv(hex "80 04" .. "rest") })
    end)

    it("returns an empty string for an empty data frame", function()
      assert.are.same({ "", "text" }, { recv(hex "81 00") })
    end)

    it("returns err \"again\" for a frame without the FIN bit (a fragment)", function()
      assert.are.same({ "hel", "text", "again" }, { recv(hex "01 03" .. "hel") })
    end)
  end)

  describe("close frames", function()
    it("returns the message, \"close\" and the status code as a number", function()
      assert.are.same({ "bye", "close", 1000 }, { recv(hex "88 05 03 e8" .. "bye") })
    end)

    it("returns an empty message when the body is only a status code", function()
      assert.are.same({ "", "close", 1001 }, { recv(hex "88 02 03 e9") })
    end)

    it("returns \"\", \"close\" and no status code for an empty close frame", function()
      local data, typ, code = recv(hex "88 00")
      assert.are.same({ "", "close" }, { data, typ })
      assert.is_nil(code)
    end)

    it("fails with a 1-byte body: \"close frame with a body must carry a 2-byte status code\"", function()
      assert.are.same({ nil, nil, "close frame with a body must carry a 2-byte status code" },
                      { recv(hex "88 01 03") })
    end)

    it("unmasks the status code and message of a masked close frame", function()
      local key = hex "01 02 03 04"
      local body = mask(key, hex "03 e8" .. "ok")
      assert.are.same({ "ok", "close", 1000 }, { recv(hex "88 84" .. key .. body, 65535, true) })
    end)
  end)

  describe("masking", function()
    it("unmasks a masked frame's payload", function()
      local key = hex "37 fa 21 3d"
      assert.are.same({ "Hello", "text" },
                      { recv(hex "81 85" .. key .. mask(key, "Hello"), 65535, true) })
    end)

    it("accepts an unmasked frame when force_masking is off", function()
      assert.are.same({ "hi", "text" }, { recv(hex "81 02" .. "hi", 65535, false) })
    end)

    it("fails with \"frame unmasked\" for an unmasked frame when force_masking is on", function()
      assert.are.same({ nil, nil, "frame unmasked" }, { recv(hex "81 02" .. "hi", 65535, true) })
    end)
  end)

  describe("payload lengths", function()
    it("reads a 16-bit extended length (126 to 65535 bytes)", function()
      local payload = string.rep("a", 300)
      local data, typ = recv(hex "82 7e 01 2c" .. payload)
      assert.are.equal(300, #data)
      assert.are.equal("binary", typ)
    end)

    it("reads a 64-bit extended length (more than 65535 bytes)", function()
      local payload = string.rep("b", 65536)
      local data = recv(hex "82 7f 00 00 00 00 00 01 00 00" .. payload, 70000)
      assert.are.equal(65536, #data)
    end)

    it("fails with \"payload len too large\" when the high 32 bits of a 64-bit length are set", function()
      assert.are.same({ nil, nil, "payload len too large" },
                      { recv(hex "82 7f 00 00 00 01 00 00 00 00") })
    end)

    it("fails with \"payload len too large\" for a length of 2^31 or more", function()
      assert.are.same({ nil, nil, "payload len too large" },
                      { recv(hex "82 7f 00 00 00 00 80 00 00 00") })
    end)

    it("fails with \"exceeding max payload len\" past max_payload_len", function()
      assert.are.same({ nil, nil, "exceeding max payload len" }, { recv(hex "81 05" .. "hello", 4) })
    end)

    it("accepts a payload of exactly max_payload_len", function()
      assert.are.same({ "hell", "text" }, { recv(hex "81 04" .. "hell", 4) })
    end)
  end)

  describe("protocol errors", function()
    it("fails with \"too long payload for control frame\" for a control frame over 125 bytes", function()
      assert.are.same({ nil, nil, "too long payload for control frame" },
                      { recv(hex "89 7e 00 7e" .. string.rep("x", 126)) })
    end)

    it("fails with \"fragmented control frame\" for a control frame without FIN", function()
      assert.are.same({ nil, nil, "fragmented control frame" }, { recv(hex "09 00") })
    end)

    for _, b in ipairs { "c1", "a1", "91" } do
      it("fails with \"bad RSV1, RSV2, or RSV3 bits\" (first byte 0x" .. b .. ")", function()
        assert.are.same({ nil, nil, "bad RSV1, RSV2, or RSV3 bits" }, { recv(hex(b .. " 00")) })
      end)
    end

    for op = 3, 7 do
      it("fails with \"reserved non-control frames\" for opcode 0x" .. op, function()
        assert.are.same({ nil, nil, "reserved non-control frames" },
                        { recv(string.char(0x80 + op, 0)) })
      end)
    end

    for op = 0xb, 0xf do
      it(string.format("fails with \"reserved control frames\" for opcode 0x%x", op), function()
        assert.are.same({ nil, nil, "reserved control frames" }, { recv(string.char(0x80 + op, 0)) })
      end)
    end
  end)

  describe("socket errors", function()
    it("prefixes a failed header read with \"failed to receive the first 2 bytes: \"", function()
      assert.are.same({ nil, nil, "failed to receive the first 2 bytes: timeout" },
                      { recv { { err = "timeout" } } })
    end)

    it("prefixes a failed 16-bit length read with \"failed to receive the 2 byte payload length: \"", function()
      assert.are.same({ nil, nil, "failed to receive the 2 byte payload length: closed" },
                      { recv(hex "81 7e 00") })
    end)

    it("prefixes a failed 64-bit length read with \"failed to receive the 8 byte payload length: \"", function()
      assert.are.same({ nil, nil, "failed to receive the 8 byte payload length: closed" },
                      { recv(hex "81 7f 00 00") })
    end)

    it("prefixes a failed payload read with \"failed to read masking-len and payload: \"", function()
      assert.are.same({ nil, nil, "failed to read masking-len and payload: closed" },
                      { recv(hex "81 05" .. "he") })
    end)

    it("says \"unknown\" when the socket gives no error string", function()
      local sock = { receive = function() return nil end }
      assert.are.same({ nil, nil, "failed to receive the first 2 bytes: unknown" },
                      { protocol.recv_frame(sock, 65535) })
    end)

    it("reads the header, then the payload, with receive(n)", function()
      local sock = luaws.fake_socket(hex "81 03" .. "abc")
      protocol.recv_frame(sock, 65535)
      assert.are.same({ 2, 3 }, sock.reads)
    end)
  end)
end)

describe("protocol.build_frame(fin, opcode, payload_len, payload, masking)", function()
  it("builds an unmasked frame: FIN and opcode, length, payload", function()
    assert.are.equal(hex "81 02" .. "hi", protocol.build_frame(true, 0x1, 2, "hi", false))
  end)

  it("leaves the FIN bit clear when fin is false", function()
    assert.are.equal(hex "02 02" .. "hi", protocol.build_frame(false, 0x2, 2, "hi", false))
  end)

  it("uses a 16-bit extended length from 126 bytes", function()
    local payload = string.rep("a", 126)
    assert.are.equal(hex "82 7e 00 7e" .. payload, protocol.build_frame(true, 0x2, 126, payload, false))
  end)

  it("uses a 64-bit extended length past 65535 bytes", function()
    local payload = string.rep("a", 65536)
    local frame = protocol.build_frame(true, 0x2, 65536, payload, false)
    assert.are.equal(hex "82 7f 00 00 00 00 00 01 00 00", frame:sub(1, 10))
    assert.are.equal(10 + 65536, #frame)
  end)

  it("sets the mask bit and a 4-byte key, and masks the payload, when masking", function()
    local frame = protocol.build_frame(true, 0x1, 5, "Hello", true)
    assert.are.equal(2 + 4 + 5, #frame)
    assert.are.equal(0x85, frame:byte(2))
    assert.are.equal("Hello", mask(frame:sub(3, 6), frame:sub(7)))
  end)

  it("round-trips through recv_frame with force_masking", function()
    local frame = protocol.build_frame(true, 0x2, 3, "xyz", true)
    assert.are.same({ "xyz", "binary" }, { recv(frame, 65535, true) })
  end)

  it("returns nil and \"payload too big\" for a length of 2^31 or more", function()
    assert.are.same({ nil, "payload too big" }, { protocol.build_frame(true, 0x2, 2 ^ 31, "", false) })
  end)
end)

describe("protocol.send_frame(sock, fin, opcode, payload, max_payload_len, masking)", function()
  it("sends the frame and returns the number of bytes sent", function()
    local sock = luaws.fake_socket()
    assert.are.equal(4, protocol.send_frame(sock, true, 0x1, "hi", 65535, false))
    assert.are.equal(hex "81 02" .. "hi", sock:sent_data())
  end)

  it("sends an empty payload when payload is nil", function()
    local sock = luaws.fake_socket()
    protocol.send_frame(sock, true, 0x9, nil, 65535, false)
    assert.are.equal(hex "89 00", sock:sent_data())
  end)

  it("sends tostring(payload) for a non-string payload", function()
    local sock = luaws.fake_socket()
    protocol.send_frame(sock, true, 0x1, 42, 65535, false)
    assert.are.equal(hex "81 02" .. "42", sock:sent_data())
  end)

  it("masks the frame when masking is true", function()
    local sock = luaws.fake_socket()
    assert.are.equal(8, protocol.send_frame(sock, true, 0x1, "hi", 65535, true))
    assert.are.equal(0x82, sock:sent_data():byte(2))
  end)

  it("fails with \"payload too big\" past max_payload_len", function()
    local sock = luaws.fake_socket()
    assert.are.same({ nil, "payload too big" }, { protocol.send_frame(sock, true, 0x1, "hello", 4, false) })
    assert.are.same({}, sock.sent)
  end)

  it("fails with \"too much payload for control frame\" for a control frame over 125 bytes", function()
    local sock = luaws.fake_socket()
    assert.are.same({ nil, "too much payload for control frame" },
                    { protocol.send_frame(sock, true, 0x9, string.rep("x", 126), 65535, false) })
  end)

  it("fails with \"fragmented control frame\" for a control frame without FIN", function()
    local sock = luaws.fake_socket()
    assert.are.same({ nil, "fragmented control frame" },
                    { protocol.send_frame(sock, false, 0x8, "", 65535, false) })
  end)

  it("prefixes a socket error with \"failed to send frame: \"", function()
    local sock = luaws.fake_socket()
    sock.send_error = "broken pipe"
    assert.are.same({ nil, "failed to send frame: broken pipe" },
                    { protocol.send_frame(sock, true, 0x1, "hi", 65535, false) })
  end)
end)
