package luabind

import (
	"crypto/tls"
	"net"
	"strings"
	"testing"
	"time"
)

// Lua helper prepended to every cosocket script: show(...) prints every value (nil too),
// space-separated, on one line.
const showLua = `local function show(...) local n = select('#', ...) local t = {} for i = 1, n do t[i] = tostring((select(i, ...))) end ngx.say(table.concat(t, " ")) end
`

type sockCase struct {
	name string
	cfg  Config
	// peers starts what the script talks to and returns the $VARS of its source.
	peers func(t *testing.T) map[string]string
	src   string
	want  string
	log   []string // substrings the error log must hold
	nolog []string // substrings it must not hold
	// after, if set, checks what peers recorded.
	after func(t *testing.T)
}

func runSockCases(t *testing.T, cases []sockCase) {
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			vars := map[string]string{}
			if tc.peers != nil {
				vars = tc.peers(t)
			}
			body, logs := runLua(t, tc.cfg, showLua+tc.src, vars)
			if body != tc.want {
				t.Errorf("body:\n%s\nwant:\n%s\nlog:\n%s", body, tc.want, logs)
			}
			for _, l := range tc.log {
				if !strings.Contains(logs, l) {
					t.Errorf("error log lacks %q:\n%s", l, logs)
				}
			}
			for _, l := range tc.nolog {
				if strings.Contains(logs, l) {
					t.Errorf("error log holds %q:\n%s", l, logs)
				}
			}
			if tc.after != nil {
				tc.after(t)
			}
		})
	}
}

func port(serve func(net.Conn)) func(t *testing.T) map[string]string {
	return func(t *testing.T) map[string]string { return map[string]string{"PORT": tcpPeer(t, serve)} }
}

// stallPeer accepts and never reads, until the test ends: a send to it times out however
// slow the machine is.
func stallPeer(t *testing.T) map[string]string {
	stop := make(chan struct{})
	p := tcpPeer(t, func(net.Conn) { <-stop })
	t.Cleanup(func() { close(stop) }) // runs before tcpPeer's cleanup, which waits for serve
	return map[string]string{"PORT": p}
}

// TestCosocketConnect: ngx.socket.tcp's connect and its errors (strings as Debian's nginx
// 1.22 + lua-nginx-module 0.10.23 return them; observed there).
func TestCosocketConnect(t *testing.T) {
	runSockCases(t, []sockCase{
		{name: "host and port", peers: port(echoPeer),
			src:  `local s = ngx.socket.tcp() show(s:connect("127.0.0.1", $PORT)) show(s:send("hi\n")) show(s:receive())`,
			want: "1\n3\nhi\n"},
		{name: "port as a string", peers: port(echoPeer),
			src:  `local s = ngx.socket.tcp() show(s:connect("127.0.0.1", "$PORT"))`,
			want: "1\n"},
		{name: "unix socket",
			peers: func(t *testing.T) map[string]string { return map[string]string{"PATH": unixPeer(t, echoPeer)} },
			src:   `local s = ngx.socket.tcp() show(s:connect("unix:$PATH")) show(s:send("over unix\n")) show(s:receive())`,
			want:  "1\n10\nover unix\n"},
		{name: "unix socket missing",
			src:  `local s = ngx.socket.tcp() show(s:connect("unix:/nonexistent/luaws.sock"))`,
			want: "nil no such file or directory\n"},
		{name: "bad port",
			src:  `local s = ngx.socket.tcp() show(s:connect("127.0.0.1", 65536)) show(s:connect("127.0.0.1", -1))`,
			want: "nil bad port number: 65536\nnil bad port number: -1\n"},
		{name: "refused",
			peers: func(t *testing.T) map[string]string { return map[string]string{"PORT": closedPort(t)} },
			src:   `local s = ngx.socket.tcp() show(s:connect("127.0.0.1", $PORT))`,
			want:  "nil connection refused\n",
			log:   []string{"[error]", "connect() failed (111: Connection refused)"}},
		{name: "refused, lua_socket_log_errors off", cfg: Config{SocketLogErrors: boolPtr(false)},
			peers: func(t *testing.T) map[string]string { return map[string]string{"PORT": closedPort(t)} },
			src:   `local s = ngx.socket.tcp() show(s:connect("127.0.0.1", $PORT))`,
			want:  "nil connection refused\n",
			nolog: []string{"[error]"}},
		{name: "no resolver", cfg: Config{NoResolver: true},
			src:  `local s = ngx.socket.tcp() show(s:connect("foo.invalid", 80))`,
			want: "nil no resolver defined to resolve \"foo.invalid\"\n"},
		{name: "connect timeout (full backlog-0 listener)",
			peers: func(t *testing.T) map[string]string { return map[string]string{"PORT": blackholePort(t)} },
			src:   `local s = ngx.socket.tcp() s:settimeouts(100, 5000, 5000) show(s:connect("127.0.0.1", $PORT))`,
			want:  "nil timeout\n",
			log:   []string{"lua tcp socket connect timed out, when connecting to 127.0.0.1:"}},
		{name: "connect timeout via settimeout",
			peers: func(t *testing.T) map[string]string { return map[string]string{"PORT": blackholePort(t)} },
			src:   `local s = ngx.socket.tcp() s:settimeout(100) show(s:connect("127.0.0.1", $PORT))`,
			want:  "nil timeout\n"},
		{name: "ngx.socket.connect shorthand",
			peers: func(t *testing.T) map[string]string {
				return map[string]string{"PORT": tcpPeer(t, echoPeer), "CLOSED": closedPort(t)}
			},
			src: `local s, err = ngx.socket.connect("127.0.0.1", $PORT) show(s ~= nil, err) show(s:send("x\n")) show(s:receive())
			      show(ngx.socket.connect("127.0.0.1", $CLOSED))`,
			want: "true nil\n2\nx\nnil connection refused\n"},
		{name: "a cosocket object is a table, as in OpenResty",
			src:  `local s = ngx.socket.tcp() show(type(s), (tostring(s):gsub("0x%x+", "ADDR")))`,
			want: "table table: ADDR\n"},
		{name: "operations on an unconnected socket",
			src: `local s = ngx.socket.tcp() show(s:receive(1)) show(s:send("x")) show(s:close()) show(s:setkeepalive())
			      show(s:getreusedtimes()) show(s:receiveany(1))`,
			want: "nil closed\nnil closed\nnil closed\nnil closed\nnil closed\nnil closed\n"},
		{name: "bad pool_size and backlog raise",
			src: `local s = ngx.socket.tcp() show(pcall(s.connect, s, "127.0.0.1", 80, {pool_size = 0}))
			      show(pcall(s.connect, s, "127.0.0.1", 80, {backlog = -1}))`,
			want: "false bad argument #4 to '?' (bad \"pool_size\" option value: 0)\n" +
				"false bad argument #4 to '?' (bad \"backlog\" option value: -1)\n"},
		{name: "close twice", peers: port(echoPeer),
			src:  `local s = ngx.socket.tcp() show(s:connect("127.0.0.1", $PORT)) show(s:close()) show(s:close())`,
			want: "1\n1\nnil closed\n"},
	})
}

// TestCosocketSendReceive: send's data forms, receive's patterns, receiveany, receiveuntil,
// and partial data on errors.
func TestCosocketSendReceive(t *testing.T) {
	recorded := make(chan string, 1)
	runSockCases(t, []sockCase{
		{name: "send string, nested tables, numbers, booleans",
			peers: port(recordPeer(recorded, 0)),
			src: `local s = ngx.socket.tcp() assert(s:connect("127.0.0.1", $PORT))
			      show(s:send("a")) show(s:send({"b", {"c", {1, 2.5}}, 3})) show(s:send(42)) show(s:send(true))
			      show(s:send({})) show(pcall(s.send, s, {"a", true})) s:close()`,
			want: "1\n7\n2\n4\n0\nfalse bad argument #2 to '?' (bad data type boolean found)\n",
			after: func(t *testing.T) {
				select {
				case got := <-recorded:
					if want := "abc12.53" + "42true"; got != want {
						t.Errorf("peer got %q, want %q", got, want)
					}
				case <-time.After(5 * time.Second):
					t.Error("peer got nothing")
				}
			}},
		{name: "send(nil) sends \"nil\"", peers: port(echoPeer),
			src:  `local s = ngx.socket.tcp() assert(s:connect("127.0.0.1", $PORT)) s:settimeout(1000) show(pcall(s.send, s, nil)) show(s:receiveany(10))`,
			want: "true 3\nnil\n"},
		{name: "receive(n)", peers: port(replyPeer("hello world", true)),
			src:  `local s = ngx.socket.tcp() assert(s:connect("127.0.0.1", $PORT)) show(s:receive(5)) show(s:receive(0)) show(s:receive(6))`,
			want: "hello\n\n world\n"},
		{name: "receive *l drops every CR, default pattern is *l",
			peers: port(replyPeer("line\r1\r\nline2\nlast", true)),
			src: `local s = ngx.socket.tcp() assert(s:connect("127.0.0.1", $PORT))
			      show(s:receive("*l")) show(s:receive()) show(s:receive())`,
			want: "line1\nline2\nnil closed last\n"},
		{name: "receive *a reads to the end", peers: port(replyPeer("all\nof it", true)),
			src:  `local s = ngx.socket.tcp() assert(s:connect("127.0.0.1", $PORT)) show(s:receive(2)) show(s:receive("*a"))`,
			want: "al\nl\nof it\n"},
		{name: "receive(n) on close gives the partial data", peers: port(replyPeer("abc", true)),
			src:  `local s = ngx.socket.tcp() assert(s:connect("127.0.0.1", $PORT)) show(s:receive(10)) show(s:receive(1))`,
			want: "nil closed abc\nnil closed\n"},
		{name: "receive(n) timeout gives the partial data; the socket stays usable",
			peers: port(replyPeer("abc", false)),
			src: `local s = ngx.socket.tcp() assert(s:connect("127.0.0.1", $PORT)) s:settimeouts(1000, 1000, 50)
			      show(s:receive(10)) show(s:send("x")) show(s:receiveany(10)) show(s:receive("*a"))`,
			want: "nil timeout abc\n1\nnil timeout \nnil timeout \n",
			log:  []string{"lua tcp socket read timed out"}},
		{name: "read timeout not logged with lua_socket_log_errors off", cfg: Config{SocketLogErrors: boolPtr(false)},
			peers: port(replyPeer("", false)),
			src:   `local s = ngx.socket.tcp() assert(s:connect("127.0.0.1", $PORT)) s:settimeout(50) show(s:receive(1))`,
			want:  "nil timeout \n",
			nolog: []string{"timed out"}},
		{name: "receiveany", peers: port(replyPeer("hello", true)),
			src: `local s = ngx.socket.tcp() assert(s:connect("127.0.0.1", $PORT)) show(s:receive(1)) show(s:receiveany(2))
			      show(s:receiveany(100)) show(s:receiveany(1)) show(pcall(s.receiveany, s, 0))`,
			want: "h\nel\nlo\nnil closed \nfalse bad argument #2 to '?' (bad max argument)\n"},
		{name: "receiveuntil", peers: port(replyPeer("abc--def----ghi", true)),
			src: `local s = ngx.socket.tcp() assert(s:connect("127.0.0.1", $PORT)) local r = s:receiveuntil("--")
			      show(r()) show(r()) show(r()) show(r())`,
			want: "abc\ndef\n\nnil closed ghi\n"},
		{name: "receiveuntil inclusive", peers: port(replyPeer("abc--def--", true)),
			src: `local s = ngx.socket.tcp() assert(s:connect("127.0.0.1", $PORT)) local r = s:receiveuntil("--", {inclusive = true})
			      show(r()) show(r())`,
			want: "abc--\ndef--\n"},
		{name: "receiveuntil with size", peers: port(replyPeer("hello, world\r\n--abcedhb tail", true)),
			src: `local s = ngx.socket.tcp() assert(s:connect("127.0.0.1", $PORT)) local r = s:receiveuntil("\r\n--abcedhb")
			      for i = 1, 5 do local d, e, p = r(4) show(d, e, p) end show(s:receive(5))`,
			want: "hell nil nil\no, w nil nil\norld nil nil\n nil nil\nnil nil nil\n tail\n"},
		{name: "receiveuntil with size, pattern first", peers: port(replyPeer("--x--", true)),
			src: `local s = ngx.socket.tcp() assert(s:connect("127.0.0.1", $PORT)) local r = s:receiveuntil("--")
			      for i = 1, 4 do local d, e, p = r(4) show(d, e, p) end`,
			want: " nil nil\nnil nil nil\nx nil nil\nnil nil nil\n"},
		{name: "receiveuntil timeout gives the partial data", peers: port(replyPeer("abc", false)),
			src:  `local s = ngx.socket.tcp() assert(s:connect("127.0.0.1", $PORT)) s:settimeout(50) show(s:receiveuntil("zz")())`,
			want: "nil timeout abc\n"},
		{name: "receiveuntil empty pattern",
			src:  `local s = ngx.socket.tcp() show(s:receiveuntil(""))`,
			want: "nil pattern is empty\n"},
		{name: "socket busy reading from two threads", peers: port(replyPeer("", false)),
			src: `local s = ngx.socket.tcp() assert(s:connect("127.0.0.1", $PORT)) s:settimeout(200)
			      local t = ngx.thread.spawn(function() return s:receive(10) end)
			      show(s:receive(1)) show(s:receiveany(1)) show(s:receiveuntil("x")()) show(ngx.thread.wait(t))`,
			want: "nil socket busy reading\nnil socket busy reading\nnil socket busy reading\ntrue nil timeout \n"},
		{name: "send timeout", peers: stallPeer,
			src: `local s = ngx.socket.tcp() assert(s:connect("127.0.0.1", $PORT)) s:settimeouts(1000, 50, 1000)
			      show(s:send(string.rep("x", 64 * 1024 * 1024)))`,
			want: "nil timeout\n",
			log:  []string{"lua tcp socket write timed out"}},
		{name: "settimeout with a negative value raises",
			src:  `local s = ngx.socket.tcp() show(pcall(s.settimeout, s, -1))`,
			want: "false bad timeout value\n"},
	})
}

// TestCosocketPool: setkeepalive, getreusedtimes, pool keys, pool_size and backlog.
func TestCosocketPool(t *testing.T) {
	twoPorts := func(t *testing.T) map[string]string {
		c := countingPeer()
		return map[string]string{"PORT": tcpPeer(t, c), "PORT2": tcpPeer(t, countingPeer())}
	}
	runSockCases(t, []sockCase{
		{name: "reuse count goes up", peers: port(countingPeer()),
			src: `for i = 1, 3 do
			        local s = ngx.socket.tcp() assert(s:connect("127.0.0.1", $PORT)) s:send("id\n")
			        show(s:getreusedtimes(), s:receive(), s:setkeepalive())
			      end`,
			want: "0 conn1 1\n1 conn1 1\n2 conn1 1\n"},
		{name: "pool keyed by host:port or the pool name", peers: twoPorts,
			src: `local function use(port, opts)
			        local s = ngx.socket.tcp() assert(s:connect("127.0.0.1", port, opts)) s:send("id\n")
			        show(s:getreusedtimes(), s:receive(), s:setkeepalive())
			      end
			      use($PORT) use($PORT, {pool = "named"}) use($PORT) use($PORT, {pool = "named"}) use($PORT2) use($PORT2)`,
			want: "0 conn1 1\n0 conn2 1\n1 conn1 1\n1 conn2 1\n0 conn1 1\n1 conn1 1\n"},
		{name: "a connection closed by the peer is not reused", peers: port(replyPeer("", true)),
			src: `local s = ngx.socket.tcp() assert(s:connect("127.0.0.1", $PORT)) show(s:setkeepalive()) ngx.sleep(0.05)
			      s = ngx.socket.tcp() assert(s:connect("127.0.0.1", $PORT)) show(s:getreusedtimes())`,
			want: "1\n0\n"},
		{name: "unread data in buffer", peers: port(replyPeer("abcdef", false)),
			src: `local s = ngx.socket.tcp() assert(s:connect("127.0.0.1", $PORT)) show(s:receive(1))
			      show(s:setkeepalive()) show(s:receive(5)) show(s:setkeepalive())`,
			want: "a\nnil unread data in buffer\nbcdef\n1\n"},
		{name: "setkeepalive on a closed socket", peers: port(echoPeer),
			src: `local s = ngx.socket.tcp() assert(s:connect("127.0.0.1", $PORT)) s:close() show(s:setkeepalive()) show(s:getreusedtimes())
			      s = ngx.socket.tcp() assert(s:connect("127.0.0.1", $PORT)) show(s:setkeepalive()) show(s:setkeepalive()) show(s:send("x"))`,
			want: "nil closed\nnil closed\n1\nnil closed\nnil closed\n"},
		{name: "backlog full: too many waiting connect operations", peers: port(echoPeer),
			src: `local o = {pool = "b0", pool_size = 1, backlog = 0}
			      local a = ngx.socket.tcp() show(a:connect("127.0.0.1", $PORT, o))
			      local b = ngx.socket.tcp() show(b:connect("127.0.0.1", $PORT, o))`,
			want: "1\nnil too many waiting connect operations\n"},
		{name: "backlog: a queued connect resumes when a connection closes", peers: port(countingPeer()),
			src: `local o = {pool = "b1", pool_size = 1, backlog = 1}
			      local a = ngx.socket.tcp() show(a:connect("127.0.0.1", $PORT, o))
			      local th = ngx.thread.spawn(function() local b = ngx.socket.tcp() b:settimeout(2000)
			        local ok, err = b:connect("127.0.0.1", $PORT, o) b:send("id\n") return ok, err, b:receive() end)
			      local c = ngx.socket.tcp() show(c:connect("127.0.0.1", $PORT, o))
			      ngx.sleep(0.05) show(a:close()) show(ngx.thread.wait(th))`,
			want: "1\nnil too many waiting connect operations\n1\ntrue 1 nil conn2\n"},
		{name: "backlog: a queued connect resumes when a connection goes back to the pool", peers: port(countingPeer()),
			src: `local o = {pool = "b2", pool_size = 1, backlog = 1}
			      local a = ngx.socket.tcp() show(a:connect("127.0.0.1", $PORT, o))
			      local th = ngx.thread.spawn(function() local b = ngx.socket.tcp() b:settimeout(1000)
			        local ok, err = b:connect("127.0.0.1", $PORT, o) if not ok then return ok, err end
			        b:send("id\n") return ok, b:getreusedtimes(), b:receive() end)
			      ngx.sleep(0.05) show(a:setkeepalive()) show(ngx.thread.wait(th))`,
			want: "1\n1\ntrue 1 1 conn1\n"},
		{name: "backlog: a queued connect times out", peers: port(echoPeer),
			src: `local o = {pool = "b3", pool_size = 1, backlog = 1}
			      local a = ngx.socket.tcp() show(a:connect("127.0.0.1", $PORT, o))
			      local b = ngx.socket.tcp() b:settimeouts(50, 1000, 1000) show(b:connect("127.0.0.1", $PORT, o))`,
			want: "1\nnil timeout\n",
			log:  []string{"[error]", "lua tcp socket queued connect timed out, when trying to connect to 127.0.0.1:"}},
	})
}

// TestCosocketSSL: sslhandshake against TLS servers of a CA generated here.
func TestCosocketSSL(t *testing.T) {
	ca := newPKI(t, "luaws test")
	other := newPKI(t, "unknown")
	trusted := Config{TrustedCertificate: ca.caFile}
	hello := func(c *tls.Conn) {
		c.Write([]byte("hello over tls, sni=" + c.ConnectionState().ServerName + "\n"))
		drain(c)
	}
	srv := func(p *pki) func(t *testing.T) map[string]string {
		return func(t *testing.T) map[string]string {
			return map[string]string{"PORT": tlsPeer(t, p.server, nil, hello)}
		}
	}
	runSockCases(t, []sockCase{
		{name: "verify true, trusted CA, session returned", cfg: trusted, peers: srv(ca),
			src: `local s = ngx.socket.tcp() assert(s:connect("127.0.0.1", $PORT))
			      local sess, err = s:sslhandshake(nil, "test.com", true) show(type(sess), err) show(s:receive())`,
			want: "userdata nil\nhello over tls, sni=test.com\n"},
		{name: "reused_session false returns true", cfg: trusted, peers: srv(ca),
			src: `local s = ngx.socket.tcp() assert(s:connect("127.0.0.1", $PORT))
			      show(s:sslhandshake(false, "test.com", true)) show(s:receive())`,
			want: "true\nhello over tls, sni=test.com\n"},
		{name: "verify false accepts an unknown CA", peers: srv(other),
			src: `local s = ngx.socket.tcp() assert(s:connect("127.0.0.1", $PORT))
			      show(s:sslhandshake(false, "test.com", false)) show(s:receive())`,
			want: "true\nhello over tls, sni=test.com\n"},
		{name: "no server name: no SNI", peers: srv(other),
			src: `local s = ngx.socket.tcp() assert(s:connect("127.0.0.1", $PORT))
			      show(s:sslhandshake(false)) show(s:receive())`,
			want: "true\nhello over tls, sni=\n"},
		{name: "verify true, unknown CA", cfg: trusted, peers: srv(other),
			src: `local s = ngx.socket.tcp() assert(s:connect("127.0.0.1", $PORT))
			      show(s:sslhandshake(false, "test.com", true))`,
			want: "nil 20: unable to get local issuer certificate\n",
			log:  []string{"lua ssl certificate verify error: (20: unable to get local issuer certificate)"}},
		{name: "verify true, self-signed", cfg: trusted,
			peers: func(t *testing.T) map[string]string {
				return map[string]string{"PORT": tlsPeer(t, ca.selfSigned, nil, hello)}
			},
			src: `local s = ngx.socket.tcp() assert(s:connect("127.0.0.1", $PORT))
			      show(s:sslhandshake(false, "test.com", true))`,
			want: "nil 18: self-signed certificate\n",
			log:  []string{"lua ssl certificate verify error: (18: self-signed certificate)"}},
		{name: "verify true, host mismatch", cfg: trusted, peers: srv(ca),
			src: `local s = ngx.socket.tcp() assert(s:connect("127.0.0.1", $PORT))
			      show(s:sslhandshake(false, "other.example", true))`,
			want: "nil certificate host mismatch\n",
			log:  []string{`lua ssl certificate does not match host "other.example"`}},
		{name: "verify errors not logged with lua_socket_log_errors off",
			cfg: Config{TrustedCertificate: ca.caFile, SocketLogErrors: boolPtr(false)}, peers: srv(other),
			src: `local s = ngx.socket.tcp() assert(s:connect("127.0.0.1", $PORT))
			      show(s:sslhandshake(false, "test.com", true))`,
			want:  "nil 20: unable to get local issuer certificate\n",
			nolog: []string{"[error]"}},
		{name: "client certificate (mTLS) with ngx.ssl.parse_pem_*", cfg: trusted,
			peers: func(t *testing.T) map[string]string {
				return map[string]string{
					"PORT": tlsPeer(t, ca.server, ca.caPool, func(c *tls.Conn) {
						cn := "none"
						if pc := c.ConnectionState().PeerCertificates; len(pc) > 0 {
							cn = pc[0].Subject.CommonName
						}
						c.Write([]byte("client=" + cn + "\n"))
						drain(c)
					}),
					"CERT": luaLongString(string(ca.clientCertPEM)),
					"KEY":  luaLongString(string(ca.clientKey)),
				}
			},
			src: `local ssl = require "ngx.ssl"
			      local cert = assert(ssl.parse_pem_cert($CERT)) local key = assert(ssl.parse_pem_priv_key($KEY))
			      show(ssl.parse_pem_cert("junk")) show(ssl.parse_pem_priv_key("junk"))
			      local s = ngx.socket.tcp() assert(s:connect("127.0.0.1", $PORT))
			      show(s:setclientcert(cert, key)) show(s:sslhandshake(false, "test.com", true)) show(s:receive())`,
			want: "nil PEM_read_bio_X509_AUX() failed\nnil PEM_read_bio_PrivateKey() failed\ntrue\ntrue\nclient=luaws-client\n"},
	})
}
