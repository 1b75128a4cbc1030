package luabind

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/luaws/luaws/internal/testpeer"
	"github.com/luaws/luaws/luabind/mysql"
)

// resty.mysql against a real MariaDB (one server for all cases) and against scripted fake
// servers for what a real one never sends.

// mysqlUsers are the accounts the cases log in with (created at bootstrap).
const mysqlUsers = `
create database ngx_test character set utf8mb4 collate utf8mb4_unicode_ci;
create user 'ngx_test'@'%' identified by 'ngx_test';
grant all on ngx_test.* to 'ngx_test'@'%';
create user 'user_native'@'%' identified with mysql_native_password using password('pass_native');
grant all on ngx_test.* to 'user_native'@'%';
create user 'nopass_native'@'%' identified with mysql_native_password;
grant all on ngx_test.* to 'nopass_native'@'%';
create user 'user_old'@'%' identified via mysql_old_password using password('pass_old');
grant all on ngx_test.* to 'user_old'@'%';
create user 'ed25519_user'@'%' identified via ed25519 using 'STIwVk/F6qiXJuOr8AgPSWVxmiN3rUjEX5DfzGAJ32A';
grant all on ngx_test.* to 'ed25519_user'@'%';
`

// mysqlPrelude connects db as ngx_test (the block's $PORT) and defines row(), which prints
// a row's fields sorted by name as name=type:value.
const mysqlPrelude = `local mysql = require "resty.mysql"
local function row(r)
  local keys = {} for k in pairs(r) do keys[#keys + 1] = tostring(k) end table.sort(keys)
  local out = {}
  for _, k in ipairs(keys) do
    local v = r[k] if v == nil then v = r[tonumber(k)] end
    out[#out + 1] = k .. "=" .. (v == ngx.null and "null" or type(v) .. ":" .. tostring(v))
  end
  ngx.say(table.concat(out, " "))
end
local function ok(res, ...) if type(res) == "table" then show("ok", #res, ...) else show(res, ...) end end
local db = mysql:new()
db:set_timeout(5000)
local function connect(o)
  o = o or {}
  o.host = o.host or (not o.path and "127.0.0.1" or nil)
  o.port = o.port or $PORT
  o.database = o.database or "ngx_test"
  o.user = o.user or "ngx_test"
  o.password = o.password or "ngx_test"
  return db:connect(o)
end
`

func TestRestyMySQL(t *testing.T) {
	certFile, keyFile := selfSignedCert(t)
	m := testpeer.StartMariaDB(t, testpeer.MariaDBOptions{
		InitSQL: mysqlUsers,
		Plugins: []string{"auth_ed25519"},
		Args: []string{"--secure-auth=0",
			"--ssl-cert=" + certFile, "--ssl-key=" + keyFile, "--ssl-ca=" + certFile,
			"--max-allowed-packet=16M"},
	})
	t.Logf("mariadb %s", m)
	vars := func(*testing.T) map[string]string {
		return map[string]string{"PORT": strconv.Itoa(m.Port), "SOCK": m.Unix}
	}
	runSockCases(t, []sockCase{
		{name: "connect and close", peers: vars, src: mysqlPrelude + `
show(connect())
show(db:server_ver():match("MariaDB") ~= nil, db:get_reused_times())
show(db:close())
show(db:close())
show(db:query("select 1"))
`, want: "1\ntrue 0\n1\nnil closed\nnil failed to send query: cannot send query in the current context: nil\n"},
		{name: "bad password", peers: vars, src: mysqlPrelude + `
show(connect({password = "wrong"}))
show(connect({user = "nosuch", password = ""}))
`, want: "nil Access denied for user 'ngx_test'@'127.0.0.1' (using password: YES) 1045 28000\n" +
			"nil Access denied for user 'nosuch'@'127.0.0.1' (using password: NO) 1045 28000\n"},
		{name: "bad options", peers: vars, src: mysqlPrelude + `
show(db:connect({database = "ngx_test"}))
show(connect({charset = "klingon"}))
show(connect({port = 1}))
show(mysql.connect({}, {host = "127.0.0.1"}))
show(mysql._VERSION)
`, want: "nil neither \"host\" nor \"path\" options are specified\nnil charset 'klingon' is not supported\n" +
			"nil failed to connect: connection refused\nnil not initialized\n0.29\n",
			log: []string{"connect() failed (111: Connection refused)"}},
		{name: "every column type", peers: vars, src: mysqlPrelude + `
connect()
ok(db:query("drop table if exists types"))
ok(db:query([[create table types (id serial primary key, ti tinyint, si smallint, mi mediumint,
  i int, bi bigint, f float, d double, de decimal(10,3), c char(3), vc varchar(10), tx text,
  bl blob, dt datetime, da date, tm time, ts timestamp null, y year, b bit(8), e enum('a','b'),
  st set('x','y'), j json)]]))
local res = db:query([[insert into types values (null, -1, 300, 70000, 2147483647,
  9007199254740993, 1.5, 3.14159265358979, 12.345, 'abc', 'héllo', 'text', 'bl\0b',
  '2020-01-02 03:04:05', '2020-01-02', '10:11:12', null, 2024, b'1000001', 'b', 'x,y', '{"a":1}')]])
show(res.affected_rows, res.insert_id, res.warning_count, res.server_status, res.message)
db:query("insert into types (id) values (null)")
for _, r in ipairs(db:query("select * from types order by id")) do row(r) end
row(db:query("select 1 + 1 as two, 2.5 as dc, 1e3 as dbl, 'x' as s, null as n, 18446744073709551615 as u")[1])
`, want: "ok 0\nok 0\n1 1 0 2 nil\n" +
			"b=string:A bi=string:9007199254740993 bl=string:bl\x00b c=string:abc d=number:3.1415926535898 " +
			"da=string:2020-01-02 de=number:12.345 dt=string:2020-01-02 03:04:05 e=string:b f=number:1.5 " +
			"i=number:2147483647 id=string:1 j=string:{\"a\":1} mi=number:70000 si=number:300 st=string:x,y " +
			"ti=number:-1 tm=string:10:11:12 ts=null tx=string:text vc=string:héllo y=number:2024\n" +
			"b=null bi=null bl=null c=null d=null da=null de=null dt=null e=null f=null i=null id=string:2 " +
			"j=null mi=null si=null st=null ti=null tm=null ts=null tx=null vc=null y=null\n" +
			"dbl=number:1000 dc=number:2.5 n=null s=string:x two=number:2 u=string:18446744073709551615\n"},
		{name: "multiple result sets", peers: vars, src: mysqlPrelude + `
connect()
db:query("create table if not exists multi (id int)")
local res, err = db:query("select 1 as a; select 2 as b, 'x' as c; insert into multi values (1); select * from nosuch; select 3")
row(res[1]) show(err)
res, err = db:read_result() row(res[1]) show(err)
res, err = db:read_result() show(res.affected_rows, err)
show(db:read_result())
show(db:read_result())
show(db:query("select 4 as d")[1].d)
`, want: "a=number:1\nagain\nb=number:2 c=string:x\nagain\n1 again\n" +
			"nil Table 'ngx_test.nosuch' doesn't exist 1146 42S02\nnil cannot read result in the current context: 1\n4\n"},
		{name: "send_query and read_result", peers: vars, src: mysqlPrelude + `
show(db:send_query("select 1"))
connect()
show(db:read_result())
show(db:send_query("select 1 as one"))
show(db:send_query("select 2"))
show(db:query("select 2"))
show(db:set_keepalive())
local res = db:read_result()
show(res[1].one)
show(db:read_result())
db:set_compact_arrays(true)
res = db:query("select 1, null, 'a'")
show(res[1][1], res[1][2], res[1][3], res[1][4])
db.compact = false
show(db:query("select 5 as five")[1].five)
`, want: "nil cannot send query in the current context: nil\nnil cannot read result in the current context: 1\n" +
			"20\nnil cannot send query in the current context: 2\nnil failed to send query: cannot send query in the current context: 2\n" +
			"nil cannot be reused in the current connection state: 2\n1\nnil cannot read result in the current context: 1\n" +
			"1 userdata: NULL a nil\n5\n"},
		{name: "compact_arrays option", peers: vars, src: mysqlPrelude + `
connect({compact_arrays = true})
local res = db:query("select 'a' as x, 2 as y union all select 'b', null")
show(#res, res[1][1], res[1][2], res[2][1], res[2][2])
`, want: "2 a 2 b userdata: NULL\n"},
		{name: "large row and max_packet_size", peers: vars, src: mysqlPrelude + `
connect()
local res = db:query("select repeat('x', 900000) as big, 1 as n")
show(#res[1].big, res[1].n)
show(db:query("select repeat('y', 1048577) as big"))
db = mysql:new()
connect({max_packet_size = 4 * 1024 * 1024})
res = db:query("select repeat('z', 3000000) as big")
show(#res[1].big)
`, want: "900000 1\nnil packet size too big: 1048581\n3000000\n"},
		{name: "pool reuse", peers: vars, src: mysqlPrelude + `
connect({pool = "p1"})
db:query("set @v = 42")
show(db:get_reused_times(), db:set_keepalive(10000, 5))
db = mysql:new()
show(connect({pool = "p1"}))
show(db:get_reused_times(), db:query("select @v as v")[1].v)
show(db:set_keepalive())
db = mysql:new()
connect()
show(db:get_reused_times())
db:close()
`, want: "0 1\n1\n1 42\n1\n0\n"},
		{name: "unix socket, charset", peers: vars, src: mysqlPrelude + `
show(connect({path = "$SOCK", user = "user_native", password = "pass_native", charset = "utf8mb4"}))
local r = db:query("select 'é' as e, @@character_set_client as cs, current_user() as u")[1]
show(r.e, r.cs, r.u)
db = mysql:new()
connect({charset = "latin1"})
show(db:query("select @@character_set_client as cs")[1].cs)
`, want: "1\né utf8mb4 user_native@%\nlatin1\n"},
		{name: "auth plugins", peers: vars, src: mysqlPrelude + `
show(connect({user = "nopass_native", password = ""}))
show(db:query("select current_user() as u")[1].u)
db = mysql:new()
show(connect({user = "user_old", password = "pass_old"}))
show(db:query("select current_user() as u")[1].u)
db = mysql:new()
show(connect({user = "user_old", password = "wrong"}))
db = mysql:new()
show(connect({user = "ed25519_user", password = "ed25519_pass"}))
show(db:query("select current_user() as u")[1].u)
db = mysql:new()
show(connect({user = "ed25519_user", password = "nope"}))
`, want: "1\nnopass_native@%\n1\nuser_old@%\n" +
			"nil Access denied for user 'user_old'@'127.0.0.1' (using password: YES) 1045 28000\n" +
			"1\ned25519_user@%\n" +
			"nil Access denied for user 'ed25519_user'@'127.0.0.1' (using password: YES) 1045 28000\n"},
		{name: "ssl", peers: vars, src: mysqlPrelude + `
show(connect({ssl = true}))
local r = db:query("show status like 'Ssl_version'")[1]
show(r.Variable_name, r.Value:match("^TLS") ~= nil)
show(db:set_keepalive())
`, want: "1\nSsl_version true\n1\n"},
		{name: "ssl verify", cfg: Config{TrustedCertificate: certFile}, peers: vars, src: mysqlPrelude + `
show(connect({ssl_verify = true}))
show(db:query("show status like 'Ssl_cipher'")[1].Value ~= "")
`, want: "1\ntrue\n"},
		{name: "read timeout", peers: vars, src: mysqlPrelude + `
connect()
db:set_timeout(100)
show(db:query("select sleep(2)"))
show(db:query("select 1"))
`, want: "nil failed to receive packet header: timeout\nnil failed to send query: cannot send query in the current context: 2\n",
			log: []string{"lua tcp socket read timed out"}},
	})
}

// selfSignedCert writes an ECDSA certificate for 127.0.0.1 and its key.
func selfSignedCert(t *testing.T) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true,
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile
}

/* ===== scripted fake servers ===== */

// myConn is the server side of one fake MySQL connection.
type myConn struct {
	c   net.Conn
	r   *bufio.Reader
	seq byte
}

func (m *myConn) write(payload string) {
	var h [4]byte
	h[0], h[1], h[2], h[3] = byte(len(payload)), byte(len(payload)>>8), byte(len(payload)>>16), m.seq
	m.seq++
	m.c.Write(append(h[:], payload...))
}

func (m *myConn) read() (string, error) {
	var h [4]byte
	m.c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.ReadFull(m.r, h[:]); err != nil {
		return "", err
	}
	n := int(h[0]) | int(h[1])<<8 | int(h[2])<<16
	m.seq = h[3] + 1
	b := make([]byte, n)
	_, err := io.ReadFull(m.r, b)
	return string(b), err
}

const fakeScramble = "0123456789abcdefghij"

// greet sends a protocol-10 handshake naming plugin.
func (m *myConn) greet(plugin string) {
	caps := uint32(0x3f7cf | 0x80000 | 0x8000)
	var b strings.Builder
	b.WriteString("\x0a5.7.99-fake\x00\x01\x00\x00\x00")
	b.WriteString(fakeScramble[:8] + "\x00")
	b.WriteString(string([]byte{byte(caps), byte(caps >> 8), 33, 2, 0, byte(caps >> 16), byte(caps >> 24), 21}))
	b.WriteString(strings.Repeat("\x00", 10))
	b.WriteString(fakeScramble[8:] + "\x00" + plugin + "\x00")
	m.write(b.String())
}

// login greets with plugin and reads the handshake response, returning its auth data.
func (m *myConn) login(plugin string) string {
	m.greet(plugin)
	resp, err := m.read()
	if err != nil {
		return ""
	}
	// flags(4) max(4) charset(1) filler(23) user\0 lenenc-auth db\0 plugin\0
	rest := resp[32:]
	rest = rest[strings.IndexByte(rest, 0)+1:]
	n := int(rest[0])
	return rest[1 : 1+n]
}

const myOK = "\x00\x00\x00\x02\x00\x00\x00"

func myErr(errno int, state, msg string) string {
	return "\xff" + string([]byte{byte(errno), byte(errno >> 8)}) + "#" + state + msg
}

func lenencStr(s string) string { return string([]byte{byte(len(s))}) + s }

// colDef is a column definition packet for a column of type typ.
func colDef(name string, typ byte) string {
	return lenencStr("def") + lenencStr("db") + lenencStr("t") + lenencStr("t") + lenencStr(name) +
		lenencStr(name) + "\x0c\x21\x00\x00\x01\x00\x00" + string([]byte{typ}) + "\x00\x00\x00\x00\x00"
}

const myEOF = "\xfe\x00\x00\x02\x00"

// fakeMySQL serves each connection with script (after which the connection closes).
func fakeMySQL(script func(m *myConn)) func(t *testing.T) map[string]string {
	return port(func(c net.Conn) {
		script(&myConn{c: c, r: bufio.NewReader(c)})
	})
}

// queryPeer logs any native-password user in and answers the first query with reply
// (packets, numbered from 1; "raw:" bytes go out as they are), then runs after.
func queryPeer(reply []string, after func(m *myConn)) func(t *testing.T) map[string]string {
	return fakeMySQL(func(m *myConn) {
		m.login("mysql_native_password")
		m.write(myOK)
		if _, err := m.read(); err != nil {
			return
		}
		for _, p := range reply {
			if raw, ok := strings.CutPrefix(p, "raw:"); ok {
				m.c.Write([]byte(raw))
				continue
			}
			m.write(p)
		}
		if after != nil {
			after(m)
		}
	})
}

var rsaKey = sync.OnceValues(func() (*rsa.PrivateKey, error) { return rsa.GenerateKey(rand.Reader, 2048) })

func rsaPEM(t *testing.T) (*rsa.PrivateKey, string) {
	key, err := rsaKey()
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	return key, string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
}

// decryptPassword undoes what a client sends for RSA full authentication.
func decryptPassword(key *rsa.PrivateKey, enc string) string {
	plain, err := rsa.DecryptOAEP(sha1.New(), nil, key, []byte(enc), nil)
	if err != nil {
		return "(" + err.Error() + ")"
	}
	for i := range plain {
		plain[i] ^= fakeScramble[i%len(fakeScramble)]
	}
	return strings.TrimSuffix(string(plain), "\x00")
}

const fakeConnect = `local mysql = require "resty.mysql"
local db = mysql:new()
db:set_timeout(2000)
local function connect(o)
  o = o or {}
  o.host, o.port, o.user, o.password = "127.0.0.1", $PORT, o.user or "u", o.password or "secret"
  return db:connect(o)
end
`

func TestRestyMySQLFakeServers(t *testing.T) {
	key, pub := rsaPEM(t)
	got := make(chan string, 4)
	check := func(want string) func(t *testing.T) {
		return func(t *testing.T) {
			select {
			case g := <-got:
				if g != want {
					t.Errorf("server saw %q, want %q", g, want)
				}
			case <-time.After(5 * time.Second):
				t.Errorf("server saw nothing")
			}
		}
	}
	rows := []string{"\x01", colDef("a", 0x03), myEOF}
	runSockCases(t, []sockCase{
		{name: "old protocol", peers: fakeMySQL(func(m *myConn) { m.write("\x09old\x00") }),
			src: fakeConnect + `show(connect())`, want: "nil unsupported protocol version 9, version 10 or higher is required\n"},
		{name: "not mysql", peers: port(replyPeer("HTTP/1.1 400 Bad Request\r\n\r\n", false)),
			src: fakeConnect + `show(connect())`, want: "nil packet size too big: 5526600\n"},
		{name: "empty packet", peers: port(replyPeer("\x00\x00\x00\x00", false)),
			src: fakeConnect + `show(connect())`, want: "nil empty packet\n"},
		{name: "truncated handshake", peers: fakeMySQL(func(m *myConn) { m.write("\x0a5.5\x00\x01\x00") }),
			src: fakeConnect + `show(connect())`, want: "nil 1st part of scramble not found\n"},
		{name: "no server version", peers: fakeMySQL(func(m *myConn) { m.write("\x0a5.5") }),
			src: fakeConnect + `show(connect())`, want: "nil bad handshake initialization packet: bad server version\n"},
		{name: "error greeting", peers: fakeMySQL(func(m *myConn) { m.write(myErr(1129, "HY000", "Host is blocked")) }),
			src: fakeConnect + `show(connect())`, want: "nil Host is blocked\n"},
		{name: "gone during handshake", peers: port(replyPeer("\x30\x00\x00\x00\x0a5.5", true)),
			src: fakeConnect + `show(connect())`, want: "nil failed to read packet content: closed\n"},
		{name: "gone before auth result", peers: fakeMySQL(func(m *myConn) { m.login("mysql_native_password") }),
			src: fakeConnect + `show(connect())`, want: "nil failed to receive the result packet: failed to receive packet header: closed nil nil\n"},
		{name: "unknown plugin", peers: fakeMySQL(func(m *myConn) { m.greet("dialog") }),
			src: fakeConnect + `show(connect())`, want: "nil unknown plugin: dialog\n"},
		{name: "native token", peers: fakeMySQL(func(m *myConn) {
			got <- m.login("mysql_native_password")
			m.write(myOK)
		}), src: fakeConnect + `show(connect())`, want: "1\n", after: check(mysql.NativeToken("secret", fakeScramble))},
		{name: "caching_sha2 fast path", peers: fakeMySQL(func(m *myConn) {
			got <- m.login("caching_sha2_password")
			m.write("\x01\x03")
			m.write(myOK)
		}), src: fakeConnect + `show(connect())`, want: "1\n", after: check(mysql.SHA256Token("secret", fakeScramble))},
		{name: "caching_sha2 full auth with RSA", peers: fakeMySQL(func(m *myConn) {
			m.login("caching_sha2_password")
			m.write("\x01\x04")
			if req, _ := m.read(); req != "\x02" {
				got <- "public key request " + req
				return
			}
			m.write("\x01" + pub)
			enc, _ := m.read()
			got <- decryptPassword(key, enc)
			m.write(myOK)
		}), src: fakeConnect + `show(connect()) show(db.public_key ~= nil)`, want: "1\ntrue\n", after: check("secret")},
		{name: "caching_sha2 full auth bad key", peers: fakeMySQL(func(m *myConn) {
			m.login("caching_sha2_password")
			m.write("\x01\x04")
			m.read()
			m.write("\x01not a key")
			drain(m.c)
		}), src: fakeConnect + `show(connect())`, want: "nil new rsa err: no PEM public key nil nil\n"},
		{name: "caching_sha2 full auth bad reply", peers: fakeMySQL(func(m *myConn) {
			m.login("caching_sha2_password")
			m.write("\x01\x07")
		}), src: fakeConnect + `show(connect())`, want: "nil malformed packet nil nil\n"},
		{name: "sha256_password", peers: fakeMySQL(func(m *myConn) {
			if first := m.login("sha256_password"); first != "\x01" {
				got <- "first response " + first
				return
			}
			m.write("\x01" + pub)
			enc, _ := m.read()
			got <- decryptPassword(key, enc)
			m.write(myOK)
		}), src: fakeConnect + `show(connect())`, want: "1\n", after: check("secret")},
		{name: "auth switch", peers: fakeMySQL(func(m *myConn) {
			m.login("caching_sha2_password")
			m.write("\xfemysql_native_password\x00abcdefghijklmnopqrst\x00")
			resp, _ := m.read()
			got <- resp
			m.write(myErr(1045, "28000", "Access denied"))
		}), src: fakeConnect + `show(connect())`, want: "nil Access denied 1045 28000\n",
			after: check(mysql.NativeToken("secret", "abcdefghijklmnopqrst"))},
		{name: "clear password switch", peers: fakeMySQL(func(m *myConn) {
			m.login("mysql_native_password")
			m.write("\xfemysql_clear_password\x00")
			resp, _ := m.read()
			got <- resp
			m.write(myOK)
		}), src: fakeConnect + `show(connect())`, want: "1\n", after: check("secret\x00")},
		{name: "vanishes mid result", peers: queryPeer(append(rows, "\x011"), nil), src: fakeConnect + `
connect()
show(db:query("select a"))
show(db:query("select a"))
`, want: "nil failed to receive packet header: closed\nnil failed to send query: cannot send query in the current context: 2\n"},
		{name: "vanishes mid packet", peers: queryPeer([]string{"\x01", "raw:\x30\x00\x00\x02abc"}, nil), src: fakeConnect + `
connect()
show(db:query("select a"))
`, want: "nil failed to read packet content: closed\n"},
		{name: "error mid rows", peers: queryPeer(append(rows, "\x011", myErr(1317, "70100", "Query execution was interrupted")), myDrain), src: fakeConnect + `
connect()
show(db:query("select a"))
show(db:send_query("select a"))
`, want: "nil Query execution was interrupted 1317 70100\n13\n"},
		{name: "bad field packet", peers: queryPeer([]string{"\x01", myOK}, myDrain), src: fakeConnect + `
connect()
show(db:query("select a"))
`, want: "nil bad field packet type: OK\n"},
		{name: "no eof after fields", peers: queryPeer([]string{"\x01", colDef("a", 3), "\x02ab"}, myDrain), src: fakeConnect + `
connect()
show(db:query("select a"))
`, want: "nil unexpected packet type DATA while eof packet is expected\n"},
		{name: "local infile", peers: queryPeer([]string{"\xfb/etc/passwd"}, myDrain), src: fakeConnect + `
connect()
show(db:query("load data local infile '/etc/passwd' into table t"))
`, want: "nil packet type LOCALINFILE not supported\n"},
		{name: "malformed ok", peers: queryPeer([]string{"\x00\xfc"}, myDrain), src: fakeConnect + `
connect()
show(db:query("do 1"))
`, want: "nil malformed packet\n"},
		{name: "garbage values", peers: queryPeer(append(rows, "\x03abc", "\xfb", "\x05ab", "\x0212", myEOF), myDrain), src: fakeConnect + `
connect()
local res, err = db:query("select a")
show(#res, err, res[1].a, res[2].a, res[3].a, res[4].a)
`, want: "4 nil nil userdata: NULL nil 12\n"},
		{name: "read timeout", peers: queryPeer(nil, myDrain), src: fakeConnect + `
connect()
db:set_timeout(50)
show(db:query("select 1"))
`, want: "nil failed to receive packet header: timeout\n", log: []string{"lua tcp socket read timed out"}},
		{name: "connect timeout on greeting", peers: port(drain), src: fakeConnect + `
db:set_timeout(50)
show(connect())
`, want: "nil failed to receive packet header: timeout\n"},
	})
}

// myDrain keeps the connection open, reading until the client closes it.
func myDrain(m *myConn) { drain(m.c) }
