-- resty.mysql.auth_ed25519: MariaDB's client_ed25519 signature (lua-resty-mysql's helper
-- module), native here: sign(password, scramble) returns the 64-byte signature of the
-- 32-byte scramble, the secret derived from SHA-512(password), or nil, err.

local native = require "luaws.mysql"
local type = type

local _M = { _VERSION = "0.29" }

function _M.sign(password, scramble)
    if type(password) ~= "string" then
        return nil, "password must be a string"
    end
    if type(scramble) ~= "string" or #scramble ~= 32 then
        return nil, "scramble must be a 32-byte string"
    end
    return native.ed25519_sign(password, scramble)
end

return _M
