package server

import (
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/luaws/luaws/errlog"
)

// TestBalancerByLua: balancer_by_lua_block in an upstream{} block runs before each attempt
// of proxy_pass, as lua-nginx-module 0.10.23 runs it with lua-resty-core 0.1.25's
// ngx.balancer. Each case's status, log lines and upstream request are what Debian's nginx
// 1.22.1 gives for the same configuration and request.
func TestBalancerByLua(t *testing.T) {
	up := newCaptureUpstream(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().(*net.TCPAddr).Port // nothing listens there
	ln.Close()
	silent, err := net.Listen("tcp", "127.0.0.1:0") // accepts, never answers
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	go func() {
		var held []net.Conn
		for {
			c, err := silent.Accept()
			if err != nil {
				for _, c := range held {
					c.Close()
				}
				return
			}
			held = append(held, c)
		}
	}()
	silentPort := strconv.Itoa(silent.Addr().(*net.TCPAddr).Port)
	conf := `http {
    upstream lua {
        server 127.0.0.1:` + up.port() + `;
        balancer_by_lua_block {
            local b = require "ngx.balancer"
            local t = ngx.var.arg_t
            if t == "peer" then
                print("phase ", ngx.get_phase(), " var ", ngx.var.foo, " hdr ", ngx.req.get_headers()["x-in"])
                assert(b.set_current_peer("127.0.0.1", tonumber(ngx.var.arg_port)))
            elseif t == "err" then
                error("boom")
            elseif t == "exit403" then
                ngx.exit(403)
            elseif t == "exitok" then
                ngx.exit(ngx.OK)
            elseif t == "sock" then
                local s = ngx.socket.tcp()
            elseif t == "sleep" then
                ngx.sleep(0.1)
            elseif t == "retry" then
                ngx.ctx.n = (ngx.ctx.n or 0) + 1
                print("attempt ", ngx.ctx.n, " last failure: ", b.get_last_failure())
                if ngx.ctx.n == 1 then
                    assert(b.set_more_tries(2))
                end
                if ngx.ctx.n < 3 then
                    assert(b.set_current_peer("127.0.0.1:` + strconv.Itoa(closed) + `"))
                else
                    assert(b.set_current_peer("127.0.0.1", ` + up.port() + `))
                end
            elseif t == "limit" then
                ngx.ctx.n = (ngx.ctx.n or 0) + 1
                local ok, err = b.set_more_tries(5)
                print("limit attempt ", ngx.ctx.n, ": ", ok, " ", err)
                b.set_current_peer("127.0.0.1", ` + strconv.Itoa(closed) + `)
            elseif t == "bad" then
                print("bad host: ", b.set_current_peer("localhost", 80))
                print("bad port: ", b.set_current_peer("127.0.0.1:abc", 80))
                print("bad timeout: ", pcall(b.set_timeouts, -1))
                print("timeouts: ", b.set_timeouts(1, 2, 3))
                b.set_current_peer("127.0.0.1", ` + up.port() + `)
            elseif t == "body" then
                ngx.req.set_body_data("hello world")
                assert(b.recreate_request())
            elseif t == "timeout" then
                ngx.ctx.n = (ngx.ctx.n or 0) + 1
                print("timeout attempt ", ngx.ctx.n, " ", b.get_last_failure())
                if ngx.ctx.n == 1 then
                    b.set_more_tries(1)
                    b.set_timeouts(nil, nil, 0.2)
                    b.set_current_peer("127.0.0.1", ` + silentPort + `)
                end
            elseif t == "co" then
                print("co: ", pcall(coroutine.create, print))
                print("thread: ", pcall(ngx.thread.spawn, print))
                print("exec: ", pcall(ngx.exec, "/"))
                print("capture: ", pcall(ngx.location.capture, "/"))
                print("say: ", pcall(ngx.say, "x"))
            elseif t == "ctx" then
                print("ctx from ", ngx.ctx.from)
            elseif t == "hdr" then
                ngx.req.set_header("X-Bal", "yes")
                if ngx.var.arg_r then assert(b.recreate_request()) end
                b.set_current_peer("127.0.0.1", ` + up.port() + `)
            end
        }
    }
    upstream nofile {
        server 127.0.0.1:` + up.port() + `;
        balancer_by_lua_file html/missing.lua;
    }
    upstream file {
        server 127.0.0.1:` + up.port() + `;
        balancer_by_lua_file html/bal.lua;
    }
    upstream badfile {
        server 127.0.0.1:` + up.port() + `;
        balancer_by_lua_file html/badbal.lua;
    }
    upstream broken {
        server 127.0.0.1:` + up.port() + `;
        balancer_by_lua_block {
            ngx.say("x"
        }
    }
    proxy_next_upstream_tries 3;
    server { listen 127.0.0.1:0;
        location /p { set $foo 32; proxy_pass http://lua; }
        location /lua { rewrite_by_lua_block { ngx.ctx.from = "rewrite" } proxy_pass http://lua; }
        location /broken { proxy_pass http://broken; }
        location /nofile { proxy_pass http://nofile; }
        location /file { proxy_pass http://file; }
        location /badfile { proxy_pass http://badfile; }
        location = /outside { content_by_lua_block {
            local b = require "ngx.balancer"
            ngx.say(b.set_current_peer("127.0.0.1", 80))
            ngx.say(b.get_last_failure())
            ngx.say(b.set_timeouts(1))
        } }
    }
}`
	base, logs, dir := startConfLevel(t, conf, map[string]string{"html/bal.lua": "print(\"from the file\")\n",
		"html/badbal.lua": "print(\"x\"\n"}, errlog.Debug)
	tests := []struct {
		name, path string
		status     int
		body       string   // the response body has it
		logs       []string // lines of the error log have them
		noLogs     []string
		head       string // the upstream request has it ("-": no request expected)
		noHead     string
	}{
		{"peer, ngx.var and headers", "/p?t=peer&port=" + up.port(), 200, "ok",
			[]string{"[lua] balancer_by_lua(nginx.conf:4):5: phase balancer var 32 hdr in while connecting to upstream, client: 127.0.0.1",
				"lua balancer peer, tries: 1"}, nil, "GET /p?t=peer", ""},
		{"an error is a 500", "/p?t=err", 500, "500 Internal Server Error",
			[]string{"[error]", "failed to run balancer_by_lua*: balancer_by_lua(nginx.conf:4):8: boom\nstack traceback:\n\t[C]: in function 'error'",
				"in main chunk while connecting to upstream, client: 127.0.0.1"}, nil, "-", ""},
		{"ngx.exit(403) is a 500", "/p?t=exit403", 500, "500 Internal Server Error", nil,
			[]string{"failed to run balancer_by_lua*"}, "-", ""},
		{"ngx.exit(ngx.OK): round robin", "/p?t=exitok", 200, "ok", nil, nil, "GET /p?t=exitok", ""},
		{"no peer set: round robin", "/p?t=none", 200, "ok", nil, nil, "GET /p?t=none", ""},
		{"cosockets disabled", "/p?t=sock", 500, "", []string{
			"failed to run balancer_by_lua*: balancer_by_lua(nginx.conf:4):14: API disabled in the context of balancer_by_lua*"}, nil, "-", ""},
		{"ngx.sleep disabled", "/p?t=sleep", 500, "", []string{
			"failed to run balancer_by_lua*: balancer_by_lua(nginx.conf:4):16: API disabled in the context of balancer_by_lua*"}, nil, "-", ""},
		{"set_more_tries and get_last_failure", "/p?t=retry", 200, "ok", []string{
			"attempt 1 last failure: nil while connecting to upstream",
			"connect() failed (111: Connection refused) while connecting to upstream, client: 127.0.0.1, server: , request: \"GET /p?t=retry HTTP/1.1\", upstream: \"http://127.0.0.1:" + strconv.Itoa(closed) + "/p?t=retry\"",
			"attempt 2 last failure: failed502 while connecting to upstream, client: 127.0.0.1, server: , request: \"GET /p?t=retry HTTP/1.1\", upstream: \"http://127.0.0.1:" + strconv.Itoa(closed) + "/p?t=retry\"",
			"attempt 3 last failure: failed502", "http next upstream, 2"},
			[]string{"upstream server temporarily disabled"}, "GET /p?t=retry", ""},
		{"proxy_next_upstream_tries limits", "/p?t=limit", 502, "502 Bad Gateway", []string{
			"limit attempt 1: true reduced tries due to limit", "limit attempt 2: true reduced tries due to limit",
			"limit attempt 3: true reduced tries due to limit"}, []string{"limit attempt 4"}, "-", ""},
		{"set_current_peer and set_timeouts errors", "/p?t=bad", 200, "ok", []string{
			"bad host: nilno host allowed", "bad port: nilinvalid port",
			"bad timeout: falsebad connect timeout", "timeouts: true"}, nil, "GET /p?t=bad", ""},
		{"coroutines, threads, exec, subrequests and output disabled", "/p?t=co", 200, "ok", []string{
			"co: falseAPI disabled in the context of balancer_by_lua*", "thread: falseAPI disabled in the context of balancer_by_lua*",
			"exec: falseAPI disabled in the context of balancer_by_lua*", "capture: falseAPI disabled in the context of balancer_by_lua*",
			"say: falseAPI disabled in the context of balancer_by_lua*"}, nil, "GET /p?t=co", ""},
		{"the ngx.ctx of the location's Lua phases", "/lua?t=ctx", 200, "ok", []string{"ctx from rewrite while connecting to upstream"},
			nil, "GET /lua?t=ctx", ""},
		{"a request without Lua phases has its own ngx.ctx", "/p?t=ctx", 200, "ok", []string{"ctx from nil while connecting to upstream"},
			nil, "GET /p?t=ctx", ""},
		{"set_body_data and recreate_request", "/p?t=body", 200, "ok", nil, nil, "\r\n\r\nhello world", ""},
		{"set_timeouts: a read timeout, then the next", "/p?t=timeout", 200, "ok", []string{
			"upstream timed out (110: Connection timed out) while reading response header from upstream",
			"timeout attempt 2 failed504", "http next upstream, 4"}, nil, "GET /p?t=timeout", ""},
		{"the head is written once", "/p?t=hdr", 200, "ok", nil, nil, "GET /p?t=hdr", "X-Bal"},
		{"recreate_request writes it again", "/p?t=hdr&r=1", 200, "ok", nil, nil, "X-Bal: yes", ""},
		{"a syntax error is a 500 at request time", "/broken", 500, "", []string{
			"failed to load inlined Lua code: balancer_by_lua(nginx.conf:82):3: ')' expected (to close '(' at line 2) near '<eof>' while connecting to upstream"},
			nil, "-", ""},
		{"balancer_by_lua_file", "/file", 200, "ok", []string{"[lua] bal.lua:1: from the file while connecting to upstream"}, nil, "GET /file", ""},
		{"a balancer_by_lua_file that is not there: round robin", "/nofile", 200, "ok", []string{"failed to load external Lua file \"" +
			dir + "/html/missing.lua\": cannot open " + dir + "/html/missing.lua: No such file or directory while connecting to upstream"}, nil, "GET /nofile", ""},
		{"a balancer_by_lua_file that does not compile", "/badfile", 500, "", []string{"failed to load external Lua file \"" +
			dir + "/html/badbal.lua\": " + dir + "/html/badbal.lua:2: ')' expected (to close '(' at line 1) near '<eof>' while connecting to upstream"}, nil, "-", ""},
		{"ngx.balancer outside the balancer", "/outside", 200, "nilno upstream found\nnilnilno upstream found\nfalseno upstream found\n", nil, nil, "-", ""},
	}
	client := &http.Client{Timeout: 10 * time.Second}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(logs.String())
			req, _ := http.NewRequest("GET", base+tt.path, nil)
			req.Header.Set("X-In", "in")
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.status || !strings.Contains(string(body), tt.body) {
				t.Errorf("%s: got %d %q, want %d with %q", tt.path, resp.StatusCode, body, tt.status, tt.body)
			}
			got := logs.String()[before:]
			for _, want := range tt.logs {
				if !strings.Contains(got, want) {
					t.Errorf("%s: error log lacks %q:\n%s", tt.path, want, got)
				}
			}
			for _, not := range tt.noLogs {
				if strings.Contains(got, not) {
					t.Errorf("%s: error log has %q:\n%s", tt.path, not, got)
				}
			}
			select {
			case head := <-up.got:
				if tt.head == "-" || !strings.Contains(head, tt.head) || tt.noHead != "" && strings.Contains(head, tt.noHead) {
					t.Errorf("%s: upstream got %q, want %q without %q", tt.path, head, tt.head, tt.noHead)
				}
			default:
				if tt.head != "-" {
					t.Errorf("%s: the upstream got no request", tt.path)
				}
			}
		})
	}
}

// TestProxyPassHTTPS: proxy_pass https:// speaks TLS to the upstream as nginx's defaults
// do (no certificate check, no SNI); a handshake that fails is a 502 with nginx's
// "SSL_do_handshake() failed (...) while SSL handshaking to upstream".
func TestProxyPassHTTPS(t *testing.T) {
	tlsUp := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "tls "+r.URL.Path)
	}))
	defer tlsUp.Close()
	plain := newCaptureUpstream(t)
	conf := `http { server { listen 127.0.0.1:0;
        location /tls { proxy_pass https://` + tlsUp.Listener.Addr().String() + `; }
        location /plain { proxy_pass https://127.0.0.1:` + plain.port() + `; }
    } }`
	base, logs, _ := startConf(t, conf, nil)
	tests := []struct {
		name, path, body, log string
		status                int
	}{
		{"a TLS upstream", "/tls", "tls /tls", "", 200},
		{"a plain upstream", "/plain", "502 Bad Gateway", "SSL_do_handshake() failed (", 502},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := http.Get(base + tt.path)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.status || !strings.Contains(string(body), tt.body) {
				t.Errorf("%s: got %d %q, want %d with %q", tt.path, resp.StatusCode, body, tt.status, tt.body)
			}
			if tt.log != "" && !strings.Contains(logs.String(), tt.log) {
				t.Errorf("%s: error log lacks %q:\n%s", tt.path, tt.log, logs.String())
			}
		})
	}
}

// TestProxyBind: proxy_bind (with variables) is the local address of the upstream
// connection; one that cannot be bound is nginx's [crit] "bind(...) failed" and a 500.
func TestProxyBind(t *testing.T) {
	up := newCaptureUpstream(t)
	conf := `http { upstream b { server 127.0.0.1:` + up.port() + `; }
    server { listen 127.0.0.1:0;
        set $local "";
        proxy_bind $local;
        location /empty { proxy_pass http://b; }
        location /lo { access_by_lua_block { ngx.var["local"] = "127.0.0.10" } proxy_pass http://b; }
        location /bad { access_by_lua_block { ngx.var["local"] = "100.100.100.100" } proxy_pass http://b; }
    } }`
	base, logs, _ := startConf(t, conf, nil)
	tests := []struct {
		path, log string
		status    int
	}{
		{"/empty", "", 200},
		{"/lo", "", 200},
		{"/bad", "[crit] ", 500},
		{"/bad", "bind(100.100.100.100) failed (99: Cannot assign requested address) while connecting to upstream", 500},
	}
	for _, tt := range tests {
		resp, err := http.Get(base + tt.path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tt.status {
			t.Errorf("%s: got %d, want %d", tt.path, resp.StatusCode, tt.status)
		}
		if tt.log != "" && !strings.Contains(logs.String(), tt.log) {
			t.Errorf("%s: error log lacks %q:\n%s", tt.path, tt.log, logs.String())
		}
	}
}
