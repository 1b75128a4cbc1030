package server

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// captureUpstream is an upstream that records the raw request (head and body) it gets and
// answers "ok".
type captureUpstream struct {
	ln  net.Listener
	got chan string
}

func newCaptureUpstream(t *testing.T) *captureUpstream {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	u := &captureUpstream{ln: ln, got: make(chan string, 16)}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go u.serve(c)
		}
	}()
	return u
}

func (u *captureUpstream) serve(c net.Conn) {
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(3 * time.Second))
	br := bufio.NewReader(c)
	var head strings.Builder
	n := int64(0)
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			u.got <- head.String() + "<" + err.Error() + ">"
			return
		}
		head.WriteString(line)
		if k, v, ok := strings.Cut(line, ":"); ok && strings.EqualFold(k, "Content-Length") {
			n, _ = strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		}
		if line == "\r\n" {
			break
		}
	}
	body, _ := io.ReadAll(io.LimitReader(br, n))
	u.got <- head.String() + string(body)
	_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
}

func (u *captureUpstream) port() string {
	return strconv.Itoa(u.ln.Addr().(*net.TCPAddr).Port)
}

// TestProxyRequestHead: the bytes an upstream gets through proxy_pass, as
// ngx_http_proxy_create_request writes them: HTTP/1.0 unless proxy_http_version 1.1,
// proxy_set_header fields first (nginx's Host and Connection: close after the configured
// ones, an empty value not sent), Content-Length of the body (a chunked one read whole),
// then the client's fields in their order and case, but those proxy_set_header names
// (TE, Keep-Alive, Expect, Upgrade included) and names with underscores; changed by
// ngx.req.set_header/clear_header in place. Each expectation is what Debian's nginx
// 1.22.1 sends for the same configuration and request (checked with
// $echo_client_request_headers).
func TestProxyRequestHead(t *testing.T) {
	up := newCaptureUpstream(t)
	back := "http://127.0.0.1:" + up.port() + "/back"
	conf := "http { server { listen 127.0.0.1:0;\n" +
		"location = /plain { proxy_pass " + back + "; }\n" +
		"location = /v11 { proxy_http_version 1.1; proxy_set_header Host foo; proxy_set_header Connection close; proxy_pass " + back + "; }\n" +
		"location = /connfirst { proxy_set_header Connection close; proxy_set_header X-Extra \"e\"; proxy_set_header X-Empty \"\"; proxy_pass " + back + "; }\n" +
		"location = /lua { rewrite_by_lua_block { ngx.req.clear_header('B') ngx.req.set_header('A', {'a1', 'a2'}) ngx.req.set_header('c', 'c2') ngx.req.set_header('foo_bar', 'u') } proxy_pass " + back + "; }\n" +
		"location = /nohdr { proxy_pass_request_headers off; proxy_pass " + back + "; }\n" +
		"location = /cl { rewrite_by_lua_block { ngx.req.set_header('Content-Length', 3) } proxy_pass " + back + "; }\n" +
		"location = /esc { access_by_lua_block { ngx.req.set_header('Foo\\r', '123\\r\\n') ngx.req.set_header('Bar\\228\\184\\173', 'ab\\228\\184\\173\\0') } proxy_pass " + back + "; }\n" +
		"location = /xff { proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for; proxy_pass " + back + "; }\n" +
		"location = /rb { access_by_lua_block { ngx.req.read_body() } proxy_pass " + back + "; }\n" +
		"location = /sb { access_by_lua_block { ngx.req.read_body() ngx.req.set_body_data('replaced!') } proxy_pass " + back + "; }\n" +
		"} }\n"
	base, _, _ := startConf(t, conf, nil)
	addr := strings.TrimPrefix(base, "http://")
	host := "Host: 127.0.0.1:" + up.port() + "\r\n"
	tests := []struct{ name, req, want string }{
		{"defaults", "GET /plain?x=1 HTTP/1.1\r\nHost: h\r\nUser-Agent: t\r\nX-B: 1\r\nx-a: 2\r\nConnection: close\r\nKeep-Alive: 1\r\nTE: x\r\nUpgrade: z\r\nx_u: 3\r\n\r\n",
			"GET /back?x=1 HTTP/1.0\r\n" + host + "Connection: close\r\nUser-Agent: t\r\nX-B: 1\r\nx-a: 2\r\n\r\n"},
		{"http 1.1, configured order", "GET /v11 HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
			"GET /back HTTP/1.1\r\nHost: foo\r\nConnection: close\r\n\r\n"},
		{"configured fields before the defaults", "GET /connfirst HTTP/1.1\r\nHost: h\r\nConnection: close\r\nX-Extra: client\r\n\r\n",
			"GET /back HTTP/1.0\r\nConnection: close\r\nX-Extra: e\r\n" + host + "\r\n"},
		{"list changed by Lua", "GET /lua HTTP/1.1\r\nHost: h\r\nA: a0\r\nB: b\r\nC: c\r\nA: a00\r\nD: d\r\nConnection: close\r\n\r\n",
			"GET /back HTTP/1.0\r\n" + host + "Connection: close\r\nA: a1\r\nC: c2\r\nD: d\r\nA: a2\r\nfoo_bar: u\r\n\r\n"},
		{"proxy_pass_request_headers off", "POST /nohdr HTTP/1.1\r\nHost: h\r\nConnection: close\r\nContent-Length: 5\r\nX-A: 1\r\n\r\nhello",
			"POST /back HTTP/1.0\r\n" + host + "Connection: close\r\nContent-Length: 5\r\n\r\nhello"},
		{"chunked body read whole", "POST /plain HTTP/1.1\r\nHost: h\r\nConnection: close\r\nTransfer-Encoding: chunked\r\nX-A: 1\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
			"POST /back HTTP/1.0\r\n" + host + "Connection: close\r\nContent-Length: 5\r\nX-A: 1\r\n\r\nhello"},
		{"Content-Length lowered by Lua", "POST /cl HTTP/1.1\r\nHost: h\r\nConnection: close\r\nContent-Length: 5\r\nX-A: 1\r\n\r\nhello",
			"POST /back HTTP/1.0\r\n" + host + "Connection: close\r\nContent-Length: 3\r\nX-A: 1\r\n\r\nhel"},
		{"unsafe bytes escaped in names and values", "GET /esc HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
			"GET /back HTTP/1.0\r\n" + host + "Connection: close\r\nFoo%0D: 123%0D%0A\r\nBar%E4%B8%AD: ab\xe4\xb8\xad%00\r\n\r\n"},
		{"proxy_add_x_forwarded_for", "GET /xff HTTP/1.1\r\nHost: h\r\nX-Forwarded-For: 1.1.1.1\r\nConnection: close\r\nX-Forwarded-For: 2.2.2.2\r\n\r\n",
			"GET /back HTTP/1.0\r\nX-Forwarded-For: 1.1.1.1, 2.2.2.2, 127.0.0.1\r\n" + host + "Connection: close\r\n\r\n"},
		{"body read by Lua first", "POST /rb HTTP/1.1\r\nHost: h\r\nConnection: close\r\nContent-Length: 5\r\n\r\nhello",
			"POST /back HTTP/1.0\r\n" + host + "Connection: close\r\nContent-Length: 5\r\n\r\nhello"},
		{"body replaced by Lua", "POST /sb HTTP/1.1\r\nHost: h\r\nConnection: close\r\nContent-Length: 5\r\n\r\nhello",
			"POST /back HTTP/1.0\r\n" + host + "Connection: close\r\nContent-Length: 9\r\n\r\nreplaced!"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := rawExchange(t, addr, tt.req)
			if !strings.HasPrefix(resp, "HTTP/1.1 200 OK\r\n") || !strings.HasSuffix(resp, "ok") {
				t.Errorf("response:\n%q", resp)
			}
			select {
			case got := <-up.got:
				if got != tt.want {
					t.Errorf("upstream got\n%q\nwant\n%q", got, tt.want)
				}
			case <-time.After(3 * time.Second):
				t.Fatal("the upstream got nothing")
			}
		})
	}
}

// TestProxyKeepalive: with an upstream{} keepalive and proxy_http_version 1.1 with
// Connection "" the upstream's connection serves the next request too.
func TestProxyKeepalive(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	conns := make(chan int, 8)
	go func() {
		for i := 1; ; i++ {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func(c net.Conn, id int) {
				defer c.Close()
				br := bufio.NewReader(c)
				for {
					req, err := http.ReadRequest(br)
					if err != nil {
						return
					}
					_, _ = io.Copy(io.Discard, req.Body)
					conns <- id
					_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
				}
			}(c, i)
		}
	}()
	conf := "http { upstream b { server " + ln.Addr().String() + "; keepalive 4; }\n" +
		"server { listen 127.0.0.1:0;\n" +
		"location / { proxy_http_version 1.1; proxy_set_header Connection \"\"; proxy_pass http://b; } } }\n"
	base, _, _ := startConf(t, conf, nil)
	for i := 0; i < 3; i++ {
		resp, err := http.Get(base + "/x")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if string(b) != "ok" {
			t.Fatalf("body %q", b)
		}
		if id := <-conns; id != 1 {
			t.Errorf("request %d on upstream connection %d, want 1", i, id)
		}
	}
}
