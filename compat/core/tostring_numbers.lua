-- tostring / .. / string.format of numbers as LuaJIT prints them (%.14g),
-- and tonumber of edge strings.
local nums = { 0, -0.0, 1, -1, 1.5, 0.1, 1/3, -1/3, 100, 1e14, 1e15, 1e16, 2^53, 2^63, 1e100,
               123456789012, 12345678901234567, 1e-5, 1/0, -1/0, 2^31, -2^31 }
for i, n in ipairs(nums) do
  ngx.say(i, ": tostring=", tostring(n), " concat=", n .. "", " %d=", string.format("%d", n > -1e15 and n < 1e15 and n or 0),
          " %.3f=", string.format("%.3f", n), " %g=", string.format("%g", n), " %5.1f=[", string.format("%5.1f", n), "]")
end
local nan = 0/0
ngx.say("nan ~= nan: ", tostring(nan ~= nan))
ngx.say("math.floor(-0.5)=", math.floor(-0.5), " math.fmod(7,3)=", math.fmod(7, 3), " 7%3=", 7 % 3, " -7%3=", -7 % 3)
ngx.say("math.huge=", math.huge, " -math.huge=", -math.huge, " math.pi=", math.pi)
for _, s in ipairs{ "10", "0x10", "1e2", " 5 ", "5x", "", "-0", ".5", "0x", "1e", "inf", "nan" } do
  ngx.say("tonumber(", string.format("%q", s), ")=", tostring(tonumber(s)))
end
ngx.say("tonumber('ff',16)=", tonumber("ff", 16), " tonumber('z',36)=", tonumber("z", 36), " tonumber('8',8)=", tostring(tonumber("8", 8)))
ngx.say("string.format('%5.2s|%-5d|%+d|%x|%X|%o|%e|%c', ...)=",
  string.format("%5.2s|%-5d|%+d|%x|%X|%o|%e|%c", "abc", 42, 7, 255, 255, 8, 12345.678, 65))
