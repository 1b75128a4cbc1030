package luabind

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"net"
	"net/http"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/luaws/luaws/wsnative"
)

// readHead reads an HTTP head (through the blank line) from br.
func readHead(br *bufio.Reader) (string, error) {
	var b strings.Builder
	for {
		line, err := br.ReadString('\n')
		b.WriteString(line)
		if err != nil {
			return b.String(), err
		}
		if line == "\r\n" {
			return b.String(), nil
		}
	}
}

func headerValue(head, name string) string {
	for _, l := range strings.Split(head, "\r\n") {
		if k, v, ok := strings.Cut(l, ":"); ok && strings.EqualFold(k, name) {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// headPeer records the request head it gets and answers with reply (where $ACCEPT is the
// right Sec-WebSocket-Accept), then closes.
func headPeer(got chan<- string, reply string) func(net.Conn) {
	return func(c net.Conn) {
		c.SetDeadline(time.Now().Add(5 * time.Second))
		head, _ := readHead(bufio.NewReader(c))
		got <- head
		accept := wsnative.AcceptKey(headerValue(head, "Sec-WebSocket-Key"))
		c.Write([]byte(strings.ReplaceAll(reply, "$ACCEPT", accept)))
	}
}

// rawWSPeer accepts the handshake (101, right accept) and then reports, for every frame it
// gets, "mask=<bit> host=<Host>" as an unmasked text frame.
func rawWSPeer(c net.Conn) {
	br := bufio.NewReader(c)
	head, err := readHead(br)
	if err != nil {
		return
	}
	accept := wsnative.AcceptKey(headerValue(head, "Sec-WebSocket-Key"))
	c.Write([]byte("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " + accept + "\r\n\r\n"))
	for {
		var h [2]byte
		if _, err := br.Read(h[:1]); err != nil {
			return
		}
		if _, err := br.Read(h[1:]); err != nil {
			return
		}
		n := int(h[1] & 0x7f)
		if h[1]&0x80 != 0 {
			n += 4
		}
		buf := make([]byte, n)
		if _, err := io_ReadFull(br, buf); err != nil {
			return
		}
		msg := "mask=" + itoa(int(h[1]>>7)) + " host=" + headerValue(head, "Host")
		wsnative.WriteFrame(c, true, 0x1, []byte(msg), false, [4]byte{})
	}
}

func io_ReadFull(br *bufio.Reader, b []byte) (int, error) {
	n := 0
	for n < len(b) {
		m, err := br.Read(b[n:])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

const clientPrelude = showLua + `local client = require "resty.websocket.client"
local function show2(a, b) show(a, b) end
`

// TestWebSocketClientRequestHead: the exact request bytes, in upstream's header order, and
// math.randomseed(0) keys as LuaJIT draws them (t/cs.t tests 19-21).
func TestWebSocketClientRequestHead(t *testing.T) {
	const key0 = "y7KXwBSpVrxtkR0O+bQt+Q=="
	for _, tc := range []struct {
		name, uri, opts, want string
	}{
		{"scalar protocols", "ws://127.0.0.1:$PORT/", `{protocols = "json"}`,
			"GET / HTTP/1.1\r\nUpgrade: websocket\r\nHost: 127.0.0.1:$PORT\r\nSec-WebSocket-Key: " + key0 +
				"\r\nSec-WebSocket-Protocol: json\r\nSec-WebSocket-Version: 13\r\nConnection: Upgrade\r\n\r\n"},
		{"table protocols", "ws://127.0.0.1:$PORT/", `{protocols = {"xml", "json"}}`,
			"GET / HTTP/1.1\r\nUpgrade: websocket\r\nHost: 127.0.0.1:$PORT\r\nSec-WebSocket-Key: " + key0 +
				"\r\nSec-WebSocket-Protocol: xml,json\r\nSec-WebSocket-Version: 13\r\nConnection: Upgrade\r\n\r\n"},
		{"origin", "ws://127.0.0.1:$PORT/", `{origin = "test.com"}`,
			"GET / HTTP/1.1\r\nUpgrade: websocket\r\nHost: 127.0.0.1:$PORT\r\nSec-WebSocket-Key: " + key0 +
				"\r\nSec-WebSocket-Version: 13\r\nOrigin: test.com\r\nConnection: Upgrade\r\n\r\n"},
		{"no path, no options", "ws://127.0.0.1:$PORT", `nil`,
			"GET / HTTP/1.1\r\nUpgrade: websocket\r\nHost: 127.0.0.1:$PORT\r\nSec-WebSocket-Key: " + key0 +
				"\r\nSec-WebSocket-Version: 13\r\nConnection: Upgrade\r\n\r\n"},
		{"everything", "ws://127.0.0.1:$PORT/p/q?a=1&b=2",
			`{protocols = {"a", "b"}, origin = "http://o.example", host = "h.example:8080", key = "a2V5a2V5a2V5a2V5a2V5aw==",
			  headers = {"X-One: 1", "X-Two: two"}, pool = "everything", pool_size = 3}`,
			"GET /p/q?a=1&b=2 HTTP/1.1\r\nUpgrade: websocket\r\nHost: h.example:8080\r\nSec-WebSocket-Key: a2V5a2V5a2V5a2V5a2V5aw==" +
				"\r\nSec-WebSocket-Protocol: a,b\r\nSec-WebSocket-Version: 13\r\nOrigin: http://o.example\r\nConnection: Upgrade" +
				"\r\nX-One: 1\r\nX-Two: two\r\n\r\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := make(chan string, 1)
			p := tcpPeer(t, headPeer(got, "blah"))
			vars := map[string]string{"PORT": p}
			body, logs := runLua(t, Config{}, clientPrelude+`math.randomseed(0)
				local wb = client:new() show(wb:connect("`+tc.uri+`", `+tc.opts+`))`, vars)
			if want := "nil failed to receive response header: closed\n"; body != want {
				t.Errorf("body %q, want %q\n%s", body, want, logs)
			}
			select {
			case head := <-got:
				if want := subst(tc.want, vars); head != want {
					t.Errorf("request head:\n%q\nwant:\n%q", head, want)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("no request")
			}
		})
	}
}

// TestWebSocketClientResponses: what connect makes of the response head.
func TestWebSocketClientResponses(t *testing.T) {
	for _, tc := range []struct {
		name, reply, want string
		prefix            bool // want is a prefix of the body
	}{
		{"not HTTP/1.1", "blah\r\n\r\n", "nil bad HTTP response status line: blah\n", false},
		{"not 101", "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", "nil bad HTTP response status", true},
		{"wrong Sec-WebSocket-Accept", "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: d3Jvbmc=\r\n\r\n", "nil ", true},
		{"101: ok, nil, the raw head", "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: $ACCEPT\r\nX-A: b\r\n\r\n",
			"1 nil HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: $ACCEPT\r\nX-A: b\n", false},
		{"header cut short", "HTTP/1.1 101 Switching", "nil failed to receive response header: closed\n", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := make(chan string, 1)
			p := tcpPeer(t, headPeer(got, tc.reply))
			body, logs := runLua(t, Config{}, clientPrelude+`local wb = client:new() show(wb:connect("ws://127.0.0.1:$PORT/"))`,
				map[string]string{"PORT": p})
			head := <-got
			want := strings.ReplaceAll(tc.want, "$ACCEPT", wsnative.AcceptKey(headerValue(head, "Sec-WebSocket-Key")))
			if tc.prefix && !strings.HasPrefix(body, want) || !tc.prefix && body != want || tc.prefix && body == "nil \n" {
				t.Errorf("body %q, want %q (prefix %v)\n%s", body, want, tc.prefix, logs)
			}
		})
	}
}

// wsEchoServer is a luaws websocket handler: echoes text and binary, answers "big" with an
// 11-byte text, "quiet" with nothing, and a close with a close.
const wsEchoServer = `
ngx.header["X-My-Custom-Header"] = "test"
local server = require "resty.websocket.server"
local wb, err = server:new{timeout = 5000, max_payload_len = 1000000}
if not wb then ngx.log(ngx.ERR, "failed to new websocket: ", err) return ngx.exit(444) end
while true do
  local data, typ, err = wb:recv_frame()
  if not data then return ngx.exit(444) end
  if typ == "close" then wb:send_close(1000, "bye") return end
  if data == "big" then wb:send_text("0123456789A")
  elseif data == "headers" then wb:send_text((ngx.var.http_host or "") .. " " .. (ngx.var.ssl_server_name or "-"))
  elseif data ~= "quiet" then
    if typ == "binary" then wb:send_binary(data) else wb:send_text(data) end
  end
end
`

// TestWebSocketClient: luaws client against a luaws server (ws), and every option.
func TestWebSocketClient(t *testing.T) {
	srv, _ := luaServer(t, Config{}, wsEchoServer, nil)
	wsURL := "ws" + strings.TrimPrefix(srv.URL, "http") + "/s"
	for _, tc := range []struct {
		name, src, want string
	}{
		{"exactly 13 exported keys",
			`local ks = {} for k in pairs(client) do ks[#ks + 1] = k end table.sort(ks) show(#ks, table.concat(ks, ","))`,
			"13 _VERSION,close,connect,new,recv_frame,send_binary,send_close,send_frame,send_ping,send_pong,send_text,set_keepalive,set_timeout\n"},
		{"echo text and binary; ok, err, res",
			`local wb = client:new() local ok, err, res = wb:connect("$URL")
			 show(ok, err, res:match("^HTTP/1%.1 101 Switching Protocols\r\n") ~= nil, res:find("X-My-Custom-Header: test", 1, true) ~= nil, res:sub(-2) ~= "\r\n")
			 show(wb:send_text("hello")) show(wb:recv_frame())
			 local bin = "" for i = 0, 255 do bin = bin .. string.char(i) end
			 show(wb:send_binary(bin)) local d, typ = wb:recv_frame() show(d == bin, typ)
			 show(wb:send_ping("p")) show(wb:recv_frame())
			 show(wb:close()) show(wb:send_text("x")) show(wb:send_close())`,
			"1 nil true true true\n11 nil\nhello text nil\n264 nil\ntrue binary\n7 nil\np text nil\n1\nnil already closed\nnil already closed\n"},
		{"send_close then recv the reply, close() sends no second close",
			`local wb = client:new() assert(wb:connect("$URL")) show(wb:send_close(1000, "done")) show(wb:recv_frame()) show(wb:close())`,
			"12 nil\nbye close 1000\n1\n"},
		{"set_keepalive and connection reused",
			`for i = 1, 3 do local wb = client:new() local ok, err, res = wb:connect("$URL", {pool = "reuse-test"})
			   show(ok, err, res == "connection reused" and res or res:sub(1, 12)) wb:send_text("hello " .. i) show(wb:recv_frame()) show(wb:set_keepalive()) end`,
			"1 nil HTTP/1.1 101\nhello 1 text nil\n1\n1 nil connection reused\nhello 2 text nil\n1\n1 nil connection reused\nhello 3 text nil\n1\n"},
		{"max_payload_len default is 65536 (send)",
			`local wb = client:new() assert(wb:connect("$URL")) show(wb:send_text(string.rep("x", 65536)))
			 show(wb:recv_frame() == string.rep("x", 65536)) show(wb:send_text(string.rep("x", 65537))) show(wb:send_text("x"))`,
			"65550 nil\ntrue\nnil payload too big\nnil fatal error already happened\n"},
		{"max_payload_len applies to both directions",
			`local wb = client:new{max_payload_len = 10} assert(wb:connect("$URL")) show(wb:send_text("01234567890"))
			 wb = client:new{max_payload_len = 10} assert(wb:connect("$URL")) show(wb:send_text("big")) show(wb:recv_frame())`,
			"nil payload too big\n9 nil\nnil nil exceeding max payload len\n"},
		{"max_send_len and max_recv_len",
			`local wb = client:new{max_send_len = 5, max_recv_len = 100} assert(wb:connect("$URL")) show(wb:send_text("big")) show(wb:recv_frame()) show(wb:send_text("123456"))
			 wb = client:new{max_send_len = 100, max_recv_len = 10} assert(wb:connect("$URL")) show(wb:send_text("big")) show(wb:recv_frame())`,
			"9 nil\n0123456789A text nil\nnil payload too big\n9 nil\nnil nil exceeding max payload len\n"},
		{"timeout option and set_timeout: a timeout is not fatal",
			`local wb = client:new{timeout = 50} assert(wb:connect("$URL")) wb:send_text("quiet") show(wb:recv_frame())
			 show(wb:send_text("again")) show(wb:recv_frame()) wb:set_timeout(30) wb:send_text("quiet") show(wb:recv_frame())`,
			"nil nil failed to receive the first 2 bytes: timeout\n11 nil\nagain text nil\nnil nil failed to receive the first 2 bytes: timeout\n"},
		{"host header option reaches the server",
			`local wb = client:new() assert(wb:connect("$URL", {host = "client.test:8080"})) wb:send_text("headers") show(wb:recv_frame())`,
			"client.test:8080 - text nil\n"},
		{"pool_size and backlog",
			`local o = {pool = "bl", pool_size = 1, backlog = 0}
			 local a = client:new() show2(a:connect("$URL", o)) local b = client:new() show2(b:connect("$URL", o))`,
			"1 nil\nnil failed to connect: too many waiting connect operations\n"},
		{"option errors",
			`local wb = client:new() show2(wb:connect("http://x/")) show2(wb:connect("$URL", {server_name = 1}))
			 show2(wb:connect("$URL", {headers = "x"})) show2(wb:connect("$URL", {host = 1})) show2(wb:connect("$URL", {key = 1}))
			 local ok, err = pcall(wb.connect, wb, "$URL", {client_cert = "x"}) show(ok, (err:gsub("^.-client%.lua:%d+: ", "")))`,
			"nil bad websocket uri\nnil SSL server_name must be a string\nnil custom headers must be a table\n" +
				"nil custom host header must be a string\nnil custom Sec-WebSocket-Key must be a string\n" +
				"false client_priv_key must be provided with client_cert\n"},
		{"refused",
			`local wb = client:new() show2(wb:connect("ws://127.0.0.1:$CLOSED/"))`,
			"nil failed to connect: connection refused\n"},
		{"not initialized",
			`local wb = setmetatable({}, {__index = client}) show2(wb:connect("$URL")) show(wb:send_text("x")) show(wb:recv_frame()) show(wb:close())`,
			"nil not initialized\nnil not initialized yet\nnil nil not initialized yet\nnil not initialized\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			vars := map[string]string{"URL": wsURL, "CLOSED": closedPort(t)}
			body, logs := runLua(t, Config{}, clientPrelude+tc.src, vars)
			if body != tc.want {
				t.Errorf("body:\n%s\nwant:\n%s\nlog:\n%s", body, tc.want, logs)
			}
		})
	}
}

// TestWebSocketClientRawPeer: send_unmasked, masking by default, ws://unix: URIs.
func TestWebSocketClientRawPeer(t *testing.T) {
	p := tcpPeer(t, rawWSPeer)
	u := unixPeer(t, rawWSPeer)
	body, logs := runLua(t, Config{}, clientPrelude+`
		local wb = client:new() assert(wb:connect("ws://127.0.0.1:$PORT/")) wb:send_text("a") show(wb:recv_frame())
		wb = client:new{send_unmasked = true} assert(wb:connect("ws://127.0.0.1:$PORT/")) wb:send_text("a") show(wb:recv_frame())
		wb = client:new() show2(wb:connect("ws://unix:$UNIX:/path")) wb:send_text("a") show(wb:recv_frame())`,
		map[string]string{"PORT": p, "UNIX": u})
	want := "mask=1 host=127.0.0.1:" + p + " text nil\nmask=0 host=127.0.0.1:" + p + " text nil\n"
	if !strings.HasPrefix(body, want) || !strings.HasSuffix(body, "mask=1 host=unix_sock text nil\n") {
		t.Errorf("body:\n%s\nwant:\n%s1 nil ...\nmask=1 host=unix_sock text nil\nlog:\n%s", body, want, logs)
	}
}

// TestWebSocketClientTLS: wss against a luaws server serving TLS with a CA generated here.
func TestWebSocketClientTLS(t *testing.T) {
	ca := newPKI(t, "wss test")
	other := newPKI(t, "unknown")
	var mu sync.Mutex
	var snis []string
	cfgFor := func(p *pki, mtls bool) *tls.Config {
		c := &tls.Config{Certificates: []tls.Certificate{p.server}, GetConfigForClient: func(h *tls.ClientHelloInfo) (*tls.Config, error) {
			mu.Lock()
			snis = append(snis, h.ServerName)
			mu.Unlock()
			return nil, nil
		}}
		if mtls {
			c.ClientCAs = ca.caPool
			c.ClientAuth = tls.RequireAndVerifyClientCert
		}
		return c
	}
	good, _ := luaServer(t, Config{}, wsEchoServer, cfgFor(ca, false))
	bad, _ := luaServer(t, Config{}, wsEchoServer, cfgFor(other, false))
	mt, _ := luaServer(t, Config{}, wsEchoServer, cfgFor(ca, true))
	wss := func(s string) string { return "wss" + strings.TrimPrefix(s, "https") + "/s" }
	trusted := Config{TrustedCertificate: ca.caFile}
	for _, tc := range []struct {
		name string
		cfg  Config
		src  string
		want string
		sni  string
	}{
		{"ssl_verify with the trusted CA, server_name", trusted,
			`local wb = client:new() show2(wb:connect("$GOOD", {ssl_verify = true, server_name = "test.com"})) wb:send_text("hi") show(wb:recv_frame()) show(wb:close())`,
			"1 nil\nhi text nil\n1\n", "test.com"},
		{"SNI from the host option", trusted,
			`local wb = client:new() show2(wb:connect("$GOOD", {ssl_verify = false, host = "test.com"})) wb:send_text("headers") show(wb:recv_frame())`,
			"1 nil\ntest.com test.com text nil\n", "test.com"},
		{"server_name wins over host", trusted,
			`local wb = client:new() show2(wb:connect("$GOOD", {host = "client.test", server_name = "test.com"})) wb:send_text("headers") show(wb:recv_frame())`,
			"1 nil\nclient.test test.com text nil\n", "test.com"},
		{"unknown CA with ssl_verify", trusted,
			`local wb = client:new() show2(wb:connect("$BAD", {ssl_verify = true, server_name = "test.com"}))`,
			"nil ssl handshake failed: 20: unable to get local issuer certificate\n", "test.com"},
		{"unknown CA without ssl_verify", trusted,
			`local wb = client:new() show2(wb:connect("$BAD", {server_name = "test.com"})) wb:send_text("hi") show(wb:recv_frame())`,
			"1 nil\nhi text nil\n", "test.com"},
		{"client_cert and client_priv_key (mTLS)", trusted,
			`local ssl = require "ngx.ssl" local wb = client:new()
			 show2(wb:connect("$MTLS", {ssl_verify = true, server_name = "test.com", client_cert = assert(ssl.parse_pem_cert($CERT)), client_priv_key = assert(ssl.parse_pem_priv_key($KEY))}))
			 wb:send_text("hi") show(wb:recv_frame())`,
			"1 nil\nhi text nil\n", "test.com"},
		{"mTLS server without a client cert", trusted,
			`local wb = client:new{timeout = 2000} local ok, err = wb:connect("$MTLS", {server_name = "test.com"})
			 if ok then ok, err = wb:send_text("hi") if ok then local d, typ d, typ, err = wb:recv_frame() ok = d end end show(ok, err ~= nil)`,
			"nil true\n", "test.com"},
		{"wss keepalive: connection reused", trusted,
			`for i = 1, 2 do local wb = client:new() local ok, err, res = wb:connect("$GOOD", {ssl_verify = true, server_name = "test.com", pool = "wss"})
			  show(ok, err, res == "connection reused") wb:send_text("m" .. i) show(wb:recv_frame()) show(wb:set_keepalive()) end`,
			"1 nil false\nm1 text nil\n1\n1 nil true\nm2 text nil\n1\n", "test.com"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mu.Lock()
			snis = nil
			mu.Unlock()
			vars := map[string]string{"GOOD": wss(good.URL), "BAD": wss(bad.URL), "MTLS": wss(mt.URL),
				"CERT": luaLongString(string(ca.clientCertPEM)), "KEY": luaLongString(string(ca.clientKey))}
			body, logs := runLua(t, tc.cfg, clientPrelude+tc.src, vars)
			if body != tc.want {
				t.Errorf("body:\n%s\nwant:\n%s\nlog:\n%s", body, tc.want, logs)
			}
			mu.Lock()
			defer mu.Unlock()
			if len(snis) == 0 || snis[0] != tc.sni {
				t.Errorf("SNI seen by the server: %q, want %q first", snis, tc.sni)
			}
		})
	}
}

// TestWebSocketClientGorillaServer: the luaws client against gorilla/websocket's server:
// echo, binary, and a message gorilla writes in 16-byte fragments.
func TestWebSocketClientGorillaServer(t *testing.T) {
	up := websocket.Upgrader{WriteBufferSize: 16, ReadBufferSize: 1024}
	var subproto string
	srv := http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		subproto = r.Header.Get("Sec-WebSocket-Protocol")
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.Close()
		for {
			mt, msg, err := c.ReadMessage()
			if err != nil {
				return
			}
			if string(msg) == "frag" {
				wr, _ := c.NextWriter(websocket.TextMessage)
				wr.Write([]byte(strings.Repeat("0123456789", 4)))
				wr.Close()
				continue
			}
			c.WriteMessage(mt, msg)
		}
	})}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	body, logs := runLua(t, Config{}, clientPrelude+`
		local wb = client:new() show2(wb:connect("ws://$ADDR/ws", {protocols = "chat"}))
		show(wb:send_text("hello gorilla")) show(wb:recv_frame())
		local bin = "" for i = 0, 255 do bin = bin .. string.char(255 - i) end
		wb:send_binary(bin) local d, typ, err = wb:recv_frame() show(d == bin, typ, err)
		wb:send_text("frag") local parts = {}
		repeat d, typ, err = wb:recv_frame() show(#d, typ, err) parts[#parts + 1] = d until err ~= "again"
		show(table.concat(parts))
		show(wb:close()) `, map[string]string{"ADDR": ln.Addr().String()})
	want := "1 nil\n19 nil\nhello gorilla text nil\ntrue binary nil\n16 text again\n16 continuation again\n8 continuation nil\n" +
		strings.Repeat("0123456789", 4) + "\n1\n"
	if body != want {
		t.Errorf("body:\n%s\nwant:\n%s\nlog:\n%s", body, want, logs)
	}
	if subproto != "chat" {
		t.Errorf("gorilla saw protocols %q", subproto)
	}
}

// TestWebSocketServerPushThread: gorilla's client against a luaws handler whose spawned
// thread pushes messages while the entry thread reads and echoes.
func TestWebSocketServerPushThread(t *testing.T) {
	srv, logs := luaServer(t, Config{}, `
		local server = require "resty.websocket.server"
		local wb = assert(server:new{timeout = 5000})
		local pusher = ngx.thread.spawn(function()
		  for i = 1, 20 do local ok, err = wb:send_text("push " .. i) if not ok then ngx.log(ngx.ERR, "push: ", err) return end ngx.sleep(0.002) end
		end)
		while true do
		  local data, typ, err = wb:recv_frame()
		  if not data then ngx.log(ngx.ERR, "recv_frame: ", err) break end if typ == "close" then break end
		  local ok, err = wb:send_text("echo " .. data) if not ok then ngx.log(ngx.ERR, "echo: ", err) break end
		end
		ngx.thread.wait(pusher)
		wb:send_close()`, nil)
	c, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(srv.URL, "http")+"/s", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	written := make(chan struct{})
	go func() {
		defer close(written)
		for i := 1; i <= 20; i++ {
			c.WriteMessage(websocket.TextMessage, []byte(itoa(i)))
			time.Sleep(time.Millisecond)
		}
	}()
	var pushes, echoes []string
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	for len(pushes) < 20 || len(echoes) < 20 {
		_, msg, err := c.ReadMessage()
		if err != nil {
			t.Fatalf("read: %v after %d pushes, %d echoes\n%s", err, len(pushes), len(echoes), logs)
		}
		if s, ok := strings.CutPrefix(string(msg), "push "); ok {
			pushes = append(pushes, s)
		} else if s, ok := strings.CutPrefix(string(msg), "echo "); ok {
			echoes = append(echoes, s)
		}
	}
	for i := range 20 {
		if pushes[i] != itoa(i+1) || echoes[i] != itoa(i+1) {
			t.Fatalf("out of order: pushes %v echoes %v", pushes, echoes)
		}
	}
	<-written // one writer at a time on a gorilla connection
	c.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(1000, ""))
	if _, _, err := c.ReadMessage(); !websocket.IsCloseError(err, websocket.CloseNoStatusReceived, 1000) {
		t.Errorf("after close: %v", err)
	}
	if strings.Contains(logs.String(), "[error]") {
		t.Errorf("errors logged:\n%s", logs)
	}
}

var _ = bytes.Equal
var _ = sort.Strings

// protocolPrelude: a fake socket over scripted bytes (receive(n) / send(data)) for
// resty.websocket.protocol, and hex helpers.
const protocolPrelude = showLua + `local protocol = require "resty.websocket.protocol"
local function unhex(h) return (h:gsub("%x%x", function(b) return string.char(tonumber(b, 16)) end)) end
local function hex(s) return (s:gsub(".", function(c) return string.format("%02x", c:byte()) end)) end
local function fake(bytes, sendfail)
  local pos, s = 1, {out = {}}
  function s:receive(n)
    if pos + n - 1 > #bytes then pos = #bytes + 1 return nil, "closed" end
    local d = bytes:sub(pos, pos + n - 1) pos = pos + n return d
  end
  function s:send(d) if sendfail then return nil, sendfail end self.out[#self.out + 1] = d return #d end
  return s
end
`

func hexOf(b []byte) string {
	const digits = "0123456789abcdef"
	out := make([]byte, 0, 2*len(b))
	for _, c := range b {
		out = append(out, digits[c>>4], digits[c&15])
	}
	return string(out)
}

func frameBytes(fin bool, op byte, payload string, masked bool) string {
	var b bytes.Buffer
	wsnative.WriteFrame(&b, fin, op, []byte(payload), masked, [4]byte{1, 2, 3, 4})
	return b.String()
}

// TestWebSocketProtocolRecvFrame: recv_frame on a fake socket, every outcome and error string.
func TestWebSocketProtocolRecvFrame(t *testing.T) {
	long := strings.Repeat("y", 200)
	huge := strings.Repeat("z", 70000)
	for _, tc := range []struct {
		name, wire string
		max        int
		force      bool
		want       string
	}{
		{"text", "\x81\x05hello", 100, false, "hello text nil"},
		{"masked text, forced", frameBytes(true, 1, "hello", true), 100, true, "hello text nil"},
		{"binary 16-bit length", frameBytes(true, 2, long, false), 1000, false, long + " binary nil"},
		{"64-bit length", frameBytes(true, 1, huge, true), 100000, false, huge + " text nil"},
		{"fragment", "\x01\x03abc", 100, false, "abc text again"},
		{"continuation", "\x80\x03def", 100, false, "def continuation nil"},
		{"ping", "\x89\x01p", 100, false, "p ping nil"},
		{"pong", "\x8a\x00", 100, false, " pong nil"},
		{"close without body", "\x88\x00", 100, false, " close nil"},
		{"close with code and message", "\x88\x05\x03\xe8bye", 100, false, "bye close 1000"},
		{"masked close", frameBytes(true, 8, "\x03\xe9bye", true), 100, true, "bye close 1001"},
		{"close with a 1-byte body", "\x88\x01\x03", 100, false, "nil nil close frame with a body must carry a 2-byte status code"},
		{"nothing", "", 100, false, "nil nil failed to receive the first 2 bytes: closed"},
		{"one byte", "\x81", 100, false, "nil nil failed to receive the first 2 bytes: closed"},
		{"RSV bits", "\xc1\x00", 100, false, "nil nil bad RSV1, RSV2, or RSV3 bits"},
		{"reserved non-control", "\x83\x00", 100, false, "nil nil reserved non-control frames"},
		{"reserved control", "\x8b\x00", 100, false, "nil nil reserved control frames"},
		{"unmasked when forced", "\x81\x05hello", 100, true, "nil nil frame unmasked"},
		{"2-byte length cut", "\x81\x7e\x00", 100, false, "nil nil failed to receive the 2 byte payload length: closed"},
		{"8-byte length cut", "\x81\x7f\x00\x00", 100, false, "nil nil failed to receive the 8 byte payload length: closed"},
		{"8-byte length, high word", "\x81\x7f\x00\x00\x00\x01\x00\x00\x00\x00", 100, false, "nil nil payload len too large"},
		{"8-byte length, bit 31", "\x81\x7f\x00\x00\x00\x00\x80\x00\x00\x00", 100, false, "nil nil payload len too large"},
		{"long control frame", "\x89\x7e\x00\x7e", 1000, false, "nil nil too long payload for control frame"},
		{"fragmented control frame", "\x09\x00", 100, false, "nil nil fragmented control frame"},
		{"exceeding max payload len", "\x81\x05hello", 4, false, "nil nil exceeding max payload len"},
		{"payload cut", "\x81\x05hel", 100, false, "nil nil failed to read masking-len and payload: closed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			force := "false"
			if tc.force {
				force = "true"
			}
			body, logs := runLua(t, Config{}, protocolPrelude+`show(protocol.recv_frame(fake(unhex("$WIRE")), $MAX, `+force+`))`,
				map[string]string{"WIRE": hexOf([]byte(tc.wire)), "MAX": itoa(tc.max)})
			if body != tc.want+"\n" {
				t.Errorf("body %.200q, want %.200q\n%s", body, tc.want+"\n", logs)
			}
		})
	}
}

// TestWebSocketProtocolBuildSend: build_frame and send_frame bytes and errors, masking keys as
// LuaJIT draws them after math.randomseed(0) (observed on OpenResty), and the exports.
func TestWebSocketProtocolBuildSend(t *testing.T) {
	for _, tc := range []struct{ name, src, want string }{
		{"exactly 5 exported keys",
			`local ks = {} for k in pairs(protocol) do ks[#ks + 1] = k end table.sort(ks) show(#ks, table.concat(ks, ","))`,
			"5 _VERSION,build_frame,new_tab,recv_frame,send_frame\n"},
		{"build_frame unmasked",
			`show(hex(protocol.build_frame(true, 1, 5, "hello", false))) show(hex(protocol.build_frame(false, 0, 0, "", false)))
			 show(hex(protocol.build_frame(true, 2, 200, string.rep("a", 200), false):sub(1, 5)))
			 show(hex(protocol.build_frame(true, 1, 70000, string.rep("a", 70000), false):sub(1, 11)))`,
			"810568656c6c6f\n0000\n827e00c861\n817f000000000001117061\n"},
		{"build_frame masked after math.randomseed(0)",
			`math.randomseed(0) show(hex(protocol.build_frame(true, 1, 5, "hello", true))) show(hex(protocol.build_frame(true, 2, 3, "abc", true)))`,
			"8185cb511a84a33476e8a4\n8283b2e7fec4d3859d\n"},
		{"build_frame payload too big",
			`show(protocol.build_frame(true, 1, 0x80000000, "", false))`,
			"nil payload too big\n"},
		{"send_frame",
			`local s = fake("") show(protocol.send_frame(s, true, 1, "hello", 100, false)) show(protocol.send_frame(s, true, 2, nil, 100, false))
			 show(protocol.send_frame(s, true, 1, 42, 100, false)) show(hex(table.concat(s.out)))
			 math.randomseed(0) s = fake("") show(protocol.send_frame(s, true, 1, "hello", 100, true)) show(hex(s.out[1]))`,
			"7\n2\n4\n810568656c6c6f82008102" + "3432" + "\n11\n8185cb511a84a33476e8a4\n"},
		{"send_frame errors",
			`local s = fake("") show(protocol.send_frame(s, true, 1, "hello", 4, false))
			 show(protocol.send_frame(s, true, 9, string.rep("x", 126), 1000, false))
			 show(protocol.send_frame(s, false, 9, "x", 1000, false))
			 show(protocol.send_frame(fake("", "closed"), true, 1, "x", 100, false))
			 show(#s.out)`,
			"nil payload too big\nnil too much payload for control frame\nnil fragmented control frame\nnil failed to send frame: closed\n0\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body, logs := runLua(t, Config{}, protocolPrelude+tc.src, nil)
			if body != tc.want {
				t.Errorf("body:\n%s\nwant:\n%s\nlog:\n%s", body, tc.want, logs)
			}
		})
	}
}

// TestWebSocketSessionOnLuaSocket: the object methods on a socket that is not luaws's (a Lua
// table with receive/send put in wb.sock) take protocol's Lua path, unmasked and masked.
func TestWebSocketSessionOnLuaSocket(t *testing.T) {
	for _, tc := range []struct{ name, src, want string }{
		{"recv_frame",
			`local wb = client:new() wb.sock = fake(unhex("$WIRE")) show(wb:recv_frame()) show(wb:recv_frame())`,
			"hello text nil\nnil nil failed to receive the first 2 bytes: closed\n"},
		{"send_text unmasked",
			`local wb = client:new() wb.send_unmasked = true local s = fake("") wb.sock = s
			 show(wb:send_text("hi")) show(hex(s.out[1]))`,
			"4 nil\n81026869\n"},
		{"send_text masked after math.randomseed(0)",
			`local wb = client:new() local s = fake("") wb.sock = s math.randomseed(0)
			 show(wb:send_text("hi")) show(#s.out[1])`,
			"8 nil\n8\n"},
		{"send failing",
			`local wb = client:new() wb.send_unmasked = true wb.sock = fake("", "broken")
			 show(wb:send_text("hi")) show(wb.fatal)`,
			"nil failed to send frame: broken\ntrue\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := protocolPrelude + `local client = require "resty.websocket.client"` + "\n" + tc.src
			body, logs := runLua(t, Config{}, src, map[string]string{"WIRE": hexOf([]byte("\x81\x05hello"))})
			if body != tc.want {
				t.Errorf("%s: body %q, want %q\n%s", tc.name, body, tc.want, logs)
			}
		})
	}
}
