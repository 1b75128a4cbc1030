-- LuaJIT's BitOp: signed 32-bit results, wrapping of large and negative
-- inputs, tohex widths, rounding of fractional inputs.
local bit = require "bit"
local cases = {
  { "tobit(0xffffffff)", function() return bit.tobit(0xffffffff) end },
  { "tobit(2^32+5)", function() return bit.tobit(2^32 + 5) end },
  { "tobit(-1)", function() return bit.tobit(-1) end },
  { "tobit(1.5)", function() return bit.tobit(1.5) end },
  { "tobit(2.5)", function() return bit.tobit(2.5) end },
  { "tobit(-1.5)", function() return bit.tobit(-1.5) end },
  { "band(0xffffffff,1)", function() return bit.band(0xffffffff, 1) end },
  { "band(0xff00, 0x0ff0, 0x00ff)", function() return bit.band(0xff00, 0x0ff0, 0x00ff) end },
  { "bor(0x80000000,0)", function() return bit.bor(0x80000000, 0) end },
  { "bor(1,2,4,8)", function() return bit.bor(1, 2, 4, 8) end },
  { "bxor(5,3,1)", function() return bit.bxor(5, 3, 1) end },
  { "bnot(0)", function() return bit.bnot(0) end },
  { "bnot(0x7fffffff)", function() return bit.bnot(0x7fffffff) end },
  { "lshift(1,31)", function() return bit.lshift(1, 31) end },
  { "lshift(1,32)", function() return bit.lshift(1, 32) end },
  { "lshift(1,33)", function() return bit.lshift(1, 33) end },
  { "rshift(-1,28)", function() return bit.rshift(-1, 28) end },
  { "rshift(0x80000000,31)", function() return bit.rshift(0x80000000, 31) end },
  { "arshift(-256,4)", function() return bit.arshift(-256, 4) end },
  { "arshift(0x80000000,31)", function() return bit.arshift(0x80000000, 31) end },
  { "rol(0x12345678,12)", function() return bit.rol(0x12345678, 12) end },
  { "ror(0x12345678,12)", function() return bit.ror(0x12345678, 12) end },
  { "bswap(0x12345678)", function() return bit.bswap(0x12345678) end },
  { "bswap(0xff)", function() return bit.bswap(0xff) end },
  { "tohex(255)", function() return bit.tohex(255) end },
  { "tohex(-1)", function() return bit.tohex(-1) end },
  { "tohex(255,2)", function() return bit.tohex(255, 2) end },
  { "tohex(255,-4)", function() return bit.tohex(255, -4) end },
  { "tohex(0x12345678,-3)", function() return bit.tohex(0x12345678, -3) end },
  { "band(2^53,1)", function() return bit.band(2^53 + 1, 0xffffffff) end },
  { "band('12', 4)", function() return bit.band("12", 4) end },
}
for _, c in ipairs(cases) do
  local ok, v = pcall(c[2])
  if ok then
    ngx.say(c[1], " = ", v)
  else
    ngx.say(c[1], " -> error: ", (tostring(v):gsub("^[^:]*:%d+: ", "")))
  end
end
local ok, err = pcall(bit.band, "x", 1)
ngx.say("band('x',1) ok=", tostring(ok))
ngx.say("type(bit.band(1,1)) = ", type(bit.band(1, 1)))
