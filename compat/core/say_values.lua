-- ngx.say / ngx.print of numbers, booleans, nil, ngx.null, nested array
-- tables, and the errors for values they refuse (messages normalised to drop
-- the chunk position).
local function try(label, f, ...)
  local ok, err = pcall(f, ...)
  if not ok then
    err = tostring(err):gsub("^[^:]*:%d+: ", "")
    ngx.say(label, " -> error: ", err)
  end
end
local nums = { 0, -0.0, 1, -1, 1.5, 0.1, 1/3, -1/3, 100, 1e14, 1e15, 1e16, 2^53, 2^63, 1e100,
               123456789012, 12345678901234567, 1e-5, 1/0, -1/0 }
for i, n in ipairs(nums) do
  ngx.print("say#", i, ": ")
  ngx.say(n)
end
ngx.say("print: ", -0.0, " ", 1e15, " ", 1/3, " ", 2^31)
ngx.say(nil)
ngx.say(true, " ", false)
ngx.say(ngx.null)
ngx.say({ "a", { "b", 1, { 2.5 } }, "c" })
ngx.say({})
ngx.say("x", {}, "y")
try("say({a=1})", ngx.say, { a = 1 })
try("say({1,nil,3}) holes", ngx.say, { [1] = "a", [3] = "c" })
try("say(function)", ngx.say, print)
try("say({true})", ngx.say, { true })
try("say({nil-in-table})", ngx.say, { ngx.null })
try("print(coroutine)", ngx.print, coroutine.create(function() end))
ngx.say("end")
