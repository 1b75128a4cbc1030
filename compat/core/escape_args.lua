-- ngx.escape_uri / unescape_uri, encode_args (single-key tables only, hash
-- order is not comparable), decode_args (keys printed sorted), and friends:
-- quote_sql_str, base64, md5, sha1 (hex), crc32.
-- @request GET /t?a=1&b=x%20y&a=2&c&d=&e=%ZZ
local function show_args(t)
  local keys = {}
  for k in pairs(t) do keys[#keys + 1] = k end
  table.sort(keys)
  local out = {}
  for _, k in ipairs(keys) do
    local v = t[k]
    if type(v) == "table" then
      local parts = {}
      for i, x in ipairs(v) do parts[i] = type(x) == "string" and x or tostring(x) end
      v = "{" .. table.concat(parts, ",") .. "}"
    elseif type(v) ~= "string" then
      v = tostring(v)
    end
    out[#out + 1] = k .. "=" .. v
  end
  return table.concat(out, " ")
end
local function to_hex(s)
  return (s:gsub(".", function(c) return string.format("%02x", c:byte()) end))
end

local s = "a b&c=d/é~!*'();:@+$,?#[]%\0\n"
ngx.say("escape_uri: ", ngx.escape_uri(s))
ngx.say("escape_uri(nil): ", ngx.escape_uri(nil))
ngx.say("escape_uri(123): ", ngx.escape_uri(123))
ngx.say("unescape_uri: ", ngx.unescape_uri("a%20b+c%zz%2%41%e4%bd%a0"))
ngx.say("unescape_uri(nil): ", ngx.unescape_uri(nil))
for _, t in ipairs{ { a = 1 }, { b = true }, { c = false }, { ["a b"] = "x y&z" }, { d = { 1, "two", true } },
                    { e = "é" }, { f = 1.5 }, {} } do
  ngx.say("encode_args: [", ngx.encode_args(t), "]")
end
ngx.say("decode_args: ", show_args(ngx.decode_args("a=1&b=2&a=3&c&d=&=e&f=x%20y+z")))
ngx.say("decode_args max 2: ", show_args(ngx.decode_args("a=1&b=2&c=3", 2)))
ngx.say("get_uri_args: ", show_args(ngx.req.get_uri_args()))
local args, err = ngx.req.get_uri_args(2)
ngx.say("get_uri_args(2): ", show_args(args), " err=", tostring(err))
ngx.say("quote_sql_str: ", ngx.quote_sql_str("it's \"q\"\0\n\r\t\26\\"))
ngx.say("encode_base64: ", ngx.encode_base64("\0\1\2\255 hello"), " ", ngx.encode_base64(""), " ", ngx.encode_base64("ab", true))
ngx.say("decode_base64: ", tostring(ngx.decode_base64("aGVsbG8=")), " ", tostring(ngx.decode_base64("invalid!")), " ", tostring(ngx.decode_base64("aGVsbG8")))
ngx.say("md5: ", ngx.md5("abc"), " md5_bin: ", to_hex(ngx.md5_bin("abc")))
ngx.say("sha1_bin: ", to_hex(ngx.sha1_bin("abc")))
ngx.say("crc32_short: ", ngx.crc32_short("hello"), " crc32_long: ", ngx.crc32_long("hello"))
