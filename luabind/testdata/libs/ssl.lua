-- ngx.ssl outside the ssl_* phases: PEM to DER, and the TLS functions on a plain connection
local ssl = require "ngx.ssl"
local function rd(p) local f = assert(io.open(p)) local s = f:read("*a") f:close() return s end
local cert = rd("testdata/libs/test-cert.pem")
local der = ssl.cert_pem_to_der(cert)
ngx.say("cert der ", ngx.md5(der), " ", #ssl.cert_pem_to_der(cert .. cert) == 2 * #der)
ngx.say("bad cert ", select(2, ssl.cert_pem_to_der("junk")))
for _, k in ipairs{"key.pem", "key8.pem", "eckey.pem"} do
    local d, err = ssl.priv_key_pem_to_der(rd("testdata/libs/test-" .. k))
    ngx.say(k, " ", d and ngx.md5(d) or err)
end
ngx.say("bad key ", select(2, ssl.priv_key_pem_to_der("junk")))
ngx.say("plain: ", select(2, ssl.server_name()), " ", select(2, ssl.get_tls1_version()), " ", select(2, ssl.get_tls1_version_str()))
ngx.say(ssl.TLS1_2_VERSION, " ", ssl.TLS1_3_VERSION)
