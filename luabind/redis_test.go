package luabind

import (
	"net"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/luaws/luaws/internal/testpeer"
)

// resty.redis against a real redis-server (and a few scripted peers for bad replies).

const redisNew = `local redis = require "resty.redis"
local red = redis:new()
red:set_timeout(2000)
local ok, err = red:connect("127.0.0.1", $PORT)
if not ok then ngx.say("failed to connect: ", err) return end
`

func redisVars(r testpeer.Redis) func(t *testing.T) map[string]string {
	return func(t *testing.T) map[string]string {
		return map[string]string{"PORT": strconv.Itoa(r.Port), "UNIX": r.Unix}
	}
}

func TestRestyRedis(t *testing.T) {
	r := testpeer.StartRedisWith(t)
	vars := redisVars(r)
	runSockCases(t, []sockCase{
		{name: "set get nil incr error", peers: vars, src: redisNew + `
show(red:select(3))
show(red:flushdb())
show(red:set("dog", "an animal"))
show(red:get("dog"))
show(red:get("nokey") == ngx.null)
show(red:incr("n"), red:incrby("n", 41))
show(red:incr("dog"))
show(red:lrange("nolist", 0, -1)[1])
show(red:set("b", true), red:get("b"))
show(red:set("x", nil))
show(red:nosuchcmd("x"))
`, want: "OK nil\nOK nil\nOK nil\nan animal nil\ntrue\n1 42 nil\nfalse ERR value is not an integer or out of range\nnil\nOK true nil\nfalse ERR wrong number of arguments for 'set' command\n" +
			"false ERR unknown command 'nosuchcmd', with args beginning with: 'x' \n"},
		{name: "hashes and dynamic commands", peers: vars, src: redisNew + `
red:del("h")
show(red:hmset("h", { a = "1" }))
show(red:hmset("h", "b", "2", "c", 3))
local h = red:array_to_hash(red:hgetall("h"))
show(h.a, h.b, h.c)
show(red:zadd("z", 1, "one", 2, "two"), #red:zrangebyscore("z", "-inf", "+inf"))
local res = red:mget("h", "nokey")
show(res[1] == ngx.null, res[2] == ngx.null)
red.add_commands("strlen")
show(red:set("s", "hello"), red:strlen("s"))
`, want: "OK nil\nOK nil\n1 2 3\n2 2\ntrue true\nOK 5 nil\n"},
		{name: "pipeline", peers: vars, src: redisNew + `
red:init_pipeline()
red:set("cat", "Marry")
red:set("horse", "Bob")
red:get("cat")
red:hget("cat", "x")
red:get("horse")
local res, err = red:commit_pipeline()
for i, v in ipairs(res) do
    if type(v) == "table" then show(i, v[1], v[2]) else show(i, v) end
end
show(red:commit_pipeline())
red:init_pipeline()
red:get("cat")
red:cancel_pipeline()
show(red:get("cat"))
`, want: "1 OK\n2 OK\n3 Marry\n4 false WRONGTYPE Operation against a key holding the wrong kind of value\n5 Bob\nnil no pipeline\nMarry nil\n"},
		{name: "transaction", peers: vars, src: redisNew + `
show(red:multi())
show(red:set("t", 1))
show(red:incr("t"))
local res = red:exec()
show(res[1], res[2])
`, want: "OK nil\nQUEUED nil\nQUEUED nil\nOK 2\n"},
		{name: "pubsub", peers: vars, src: redisNew + `
local pub = redis:new()
pub:connect("127.0.0.1", $PORT)
local res = red:subscribe("dog")
show(res[1], res[2], res[3])
show(red:set_keepalive())
show(pub:publish("dog", "hello"))
res = red:read_reply()
show(res[1], res[2], res[3])
res = red:psubscribe("c*", "d*")
show(#res, res[1][1], res[2][2], res[2][3])
show(pub:publish("cat", "meow"))
res = red:read_reply()
show(res[1], res[2], res[3], res[4])
red:set_timeout(50)
show(red:read_reply())
res = red:unsubscribe()
show(res[1], res[2], res[3])
res = red:punsubscribe()
show(#res, res[2][1], res[2][3])
show(red:read_reply())
show(red:ping())
show(red:unsubscribe("x"))
`, want: "subscribe dog 1\nnil subscribed state\n1 nil\nmessage dog hello\n2 psubscribe d* 3\n1 nil\npmessage c* cat meow\nnil timeout\nunsubscribe dog 2\n2 punsubscribe 0\nnil not subscribed\nPONG nil\nnil not subscribed\n"},
		{name: "keepalive and reuse", peers: vars, src: `
local redis = require "resty.redis"
for i = 1, 2 do
    local red = redis:new()
    show(red:connect("127.0.0.1", $PORT))
    show(red:get_reused_times())
    show(red:set_keepalive(1000, 10))
end
`, want: "1 nil\n0\n1\n1 nil\n1\n1\n"},
		{name: "unix socket and pool option", peers: vars, src: `
local red = require("resty.redis"):new()
show(red:connect("unix:$UNIX", { pool = "u" }))
show(red:ping())
show(pcall(red.connect, red, "unix:", true))
show(pcall(red.connect, red, "127.0.0.1", true))
show(pcall(red.connect, red, "127.0.0.1", $PORT, 1))
show(pcall(red.connect, red, nil))
`, want: "1 nil\nPONG nil\nfalse bad argument #2 opts: nil or table expected, got boolean\n" +
			"false bad argument #2 port: number expected, got boolean\n" +
			"false bad argument #3 opts: nil or table expected, got number\n" +
			"false bad argument #1 host: string expected, got nil\n"},
		{name: "blpop survives its read timeout", peers: vars, src: redisNew + `
red:set_timeout(100)
show(red:blpop("nolist", 1))
red:set_timeout(2000)
-- the connection stays open: the next read gets blpop's late reply, as upstream
show(red:ping() == ngx.null)
`, want: "nil timeout\ntrue\n", log: []string{"lua tcp socket read timed out"}},
		{name: "module prefix", peers: vars, src: redisNew + `
redis.register_module_prefix("json")
show(red:json():get("k"))
`, want: "false ERR unknown command 'json.get', with args beginning with: 'k' \n"},
		{name: "auth", peers: vars, src: redisNew + `
show(red:auth("nopass"))
`, want: "false ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?\n"},
	})
}

func TestRestyRedisTLS(t *testing.T) {
	dir := t.TempDir()
	cert, key := filepath.Join(dir, "c.pem"), filepath.Join(dir, "k.pem")
	if out, err := exec.Command("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
		"-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=localhost",
		"-addext", "subjectAltName=DNS:localhost").CombinedOutput(); err != nil {
		if testpeer.InCI() {
			t.Fatalf("openssl: %v\n%s", err, out)
		}
		t.Skipf("openssl: %v", err)
	}
	tlsPort := testpeer.FreePort(t)
	testpeer.StartRedisWith(t, "--tls-port", strconv.Itoa(tlsPort), "--tls-cert-file", cert,
		"--tls-key-file", key, "--tls-auth-clients", "no")
	waitTCP(t, "127.0.0.1:"+strconv.Itoa(tlsPort))
	vars := func(*testing.T) map[string]string { return map[string]string{"PORT": strconv.Itoa(tlsPort)} }
	caCfg := Config{TrustedCertificate: cert}
	runSockCases(t, []sockCase{
		{name: "ssl", peers: vars, src: `
local red = require("resty.redis"):new()
show(red:connect("127.0.0.1", $PORT, { ssl = true, server_name = "localhost" }))
show(red:set("k", "v"))
show(red:get("k"))
`, want: "true nil\nOK nil\nv nil\n"},
		{name: "ssl_verify without CA", peers: vars, src: `
local red = require("resty.redis"):new()
show(red:connect("127.0.0.1", $PORT, { ssl = true, ssl_verify = true, server_name = "localhost" }))
`, want: "nil failed to do ssl handshake: 18: self-signed certificate\n"},
		{name: "ssl_verify with CA", cfg: caCfg, peers: vars, src: `
local red = require("resty.redis"):new()
show(red:connect("127.0.0.1", $PORT, { ssl = true, ssl_verify = true, server_name = "localhost" }))
show(red:ping())
`, want: "true nil\nPONG nil\n"},
	})
}

// waitTCP waits until addr accepts connections.
func waitTCP(t *testing.T, addr string) {
	t.Helper()
	for i := 0; i < 500; i++ {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return
		}
		time.Sleep(10 * time.Millisecond) // poll interval
	}
	t.Fatalf("%s never listened", addr)
}

// Bad replies: what lua-resty-redis returns, and nothing crashes.
func TestRestyRedisBadReplies(t *testing.T) {
	runSockCases(t, []sockCase{
		{name: "unknown prefix", peers: port(replyPeer("?what\r\n", false)), src: redisNew + `
show(red:get("a"))
`, want: "nil unknown prefix: \"63\"\n"},
		{name: "vanishes mid bulk", peers: port(answerPeer("$10\r\nabc")), src: redisNew + `
show(red:get("a"))
show(red:get("a"))
`, want: "nil closed\nnil closed\n"},
		{name: "vanishes mid array", peers: port(answerPeer("*3\r\n:1\r\n")), src: redisNew + `
show(red:lrange("a", 0, -1))
`, want: "nil closed\n"},
		{name: "bad bulk length", peers: port(replyPeer("$x\r\n", false)), src: redisNew + `
show(red:get("a"))
`, want: "nil bad bulk length: \"x\"\n"},
		{name: "error inside array", peers: port(replyPeer("*2\r\n-ERR one\r\n$-1\r\n", false)), src: redisNew + `
local res = red:exec()
show(res[1][1], res[1][2], res[2] == ngx.null)
`, want: "false ERR one true\n"},
		{name: "empty line", peers: port(replyPeer("\r\n", false)), src: redisNew + `
show(red:get("a"))
`, want: "nil unknown prefix: \"nil\"\n"},
	})
}

// answerPeer reads the request, writes reply and closes the connection (a server that
// vanishes mid-reply).
func answerPeer(reply string) func(net.Conn) {
	return func(c net.Conn) {
		var buf [4096]byte
		_, _ = c.Read(buf[:])
		_, _ = c.Write([]byte(reply))
	}
}
