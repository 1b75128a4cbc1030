-- Generates random.txt with Debian's LuaJIT 2.1 (luajit p gen.lua > random.txt).
local seeds = {"none", "0", "1", "42", "12345.678", "-1", "1e10", "3.14159"}
local forms = {
  {"float", function() return string.format("%.17g", math.random()) end},
  {"1000", function() return tostring(math.random(1000)) end},
  {"5,10", function() return tostring(math.random(5, 10)) end},
  {"-3,3", function() return tostring(math.random(-3, 3)) end},
  {"2.5", function() return tostring(math.random(2.5)) end},
}
for _, s in ipairs(seeds) do
  for _, f in ipairs(forms) do
    if s ~= "none" then math.randomseed(tonumber(s)) else math.randomseed(0) end
    local t = {}
    for i = 1, 1000 do t[i] = f[2]() end
    print(s .. " " .. f[1] .. " " .. table.concat(t, " "))
  end
end
