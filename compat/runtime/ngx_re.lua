-- ngx.re: captures (numbered, named, unmatched as false), find, gsub templates and
-- functions, split, options, and the error for a bad pattern.
local m = ngx.re.match("hello 2024-11-22", [[(?<y>\d+)-(\d+)-(\d+)(x)?]], "jo")
ngx.say(m[0], " ", m.y, " ", m[2], " ", m[3], " ", tostring(m[4]))
ngx.say(ngx.re.find("abcABC", "b+", "ji"))
ngx.say(ngx.re.gsub("a1b22c333", [[\d+]], "<$0>"))
ngx.say(ngx.re.gsub("a1b22", [[(\d)]], function(m) return "[" .. m[1] .. "]" end))
ngx.say(ngx.re.sub("hello world", "(o)", "${1}0"))
local it = ngx.re.gmatch("k1=v1,k2=v2", [[(\w+)=(\w+)]])
for cap in it do ngx.say(cap[1], "->", cap[2]) end
local ctx = { pos = 3 }
ngx.say(ngx.re.find("aaaa", "a", "jo", ctx), " pos=", ctx.pos)
ngx.say(tostring(ngx.re.match("x", "(")), " ", select(3, ngx.re.match("x", "(")))
local split = require("ngx.re").split
ngx.say(table.concat(split("a,b,,c", ","), "|"))
