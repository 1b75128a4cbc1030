package server

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"golang.org/x/crypto/bcrypt"

	"github.com/luaws/luaws/errlog"
	"github.com/luaws/luaws/ngxconf"
)

// syncBuf is a log sink safe for the server's goroutines.
type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startConf serves the http{} block conf (listening on 127.0.0.1:0) with files written
// under the prefix first; it returns the base URL, the error log and the prefix.
func startConf(t *testing.T, conf string, files map[string]string) (string, *syncBuf, string) {
	t.Helper()
	return startConfLevel(t, conf, files, errlog.Info)
}

// startConfLevel is startConf with the error log at level.
func startConfLevel(t *testing.T, conf string, files map[string]string, level int) (string, *syncBuf, string) {
	t.Helper()
	dir := t.TempDir()
	for _, d := range []string{"conf", "logs", "html"} {
		os.MkdirAll(filepath.Join(dir, d), 0o755)
	}
	for name, body := range files {
		os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755)
		os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644)
	}
	cfg, err := ngxconf.Parse(filepath.Join(dir, "conf/nginx.conf"), []byte(conf), nil)
	if err != nil {
		t.Fatal(err)
	}
	logs := &syncBuf{}
	site, err := FromNginx(cfg.Directives[0], NginxOptions{Prefix: dir + "/", ConfDir: filepath.Join(dir, "conf"),
		Log: errlog.New(logs, level)})
	if err != nil {
		t.Fatal(err)
	}
	if err := site.Listen(); err != nil {
		t.Fatal(err)
	}
	go site.Serve()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		site.Shutdown(ctx)
		site.Close()
	})
	return "http://" + site.Addrs()[0].String(), logs, dir
}

// clientFrom is an HTTP client whose connections come from the loopback address local.
func clientFrom(local string) *http.Client {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(local)}, Timeout: 5 * time.Second}
	return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DialContext: d.DialContext, DisableKeepAlives: true}}
}

// waitLines reads a log file once it has n lines (a line is written when its request has
// ended, just after the client got the response), or after 5s.
func waitLines(path string, n int) []byte {
	var b []byte
	for i := 0; i < 500; i++ {
		b, _ = os.ReadFile(path)
		if bytes.Count(b, []byte("\n")) >= n {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	return b
}

type confReq struct {
	from       string // client address; "" is 127.0.0.1
	path       string
	user, pass string
	want       int
	wantBody   string // substring
	wantHeader string // "Name: value"
}

func runReqs(t *testing.T, base string, reqs []confReq) {
	t.Helper()
	for _, rq := range reqs {
		from := rq.from
		if from == "" {
			from = "127.0.0.1"
		}
		req, _ := http.NewRequest("GET", base+rq.path, nil)
		if rq.user != "" {
			req.SetBasicAuth(rq.user, rq.pass)
		}
		resp, err := clientFrom(from).Do(req)
		if err != nil {
			t.Fatalf("%s from %s: %v", rq.path, from, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != rq.want || !strings.Contains(string(body), rq.wantBody) {
			t.Errorf("%s from %s (%s:%s): got %d %q, want %d with %q", rq.path, from, rq.user, rq.pass,
				resp.StatusCode, body, rq.want, rq.wantBody)
		}
		if rq.wantHeader != "" {
			k, v, _ := strings.Cut(rq.wantHeader, ": ")
			if got := resp.Header.Get(k); got != v {
				t.Errorf("%s: header %s = %q, want %q", rq.path, k, got, v)
			}
		}
	}
}

func TestAccessAndAuth(t *testing.T) {
	bc, _ := bcrypt.GenerateFromPassword([]byte("secret"), bcrypt.MinCost)
	htpasswd := "# users\n" +
		"apr:$apr1$abcdefgh$h9FWgUz3n9YxylKLlR5SQ/\n" +
		"md5:$1$saltsalt$9xy1btjgzLYfb7hivXtC//\n" +
		"sha:{SHA}5en6G6MezRroT3XKqkdPOmY/BfQ=\n" +
		"plain:{PLAIN}secret\n" +
		// openssl passwd -6 / -5 -salt saltsalt secret; glibc's crypt with rounds=1000
		"sha6:$6$saltsalt$TVLlQcbpFVof5W3Yz4DTP6gRstiNuHwwTt6GLc1E5n0U0aDehy0S5knV8wiOQSpT0Y77vwPZN.Pq.H91p5hVO1\n" +
		"sha5:$5$saltsalt$0IyaXrmV7.sGNS6tirgqHLqX/G.FBvgkYA.lpPdS5sA\n" +
		"rounds:$6$rounds=1000$abc$MqEcPZUYRGGcOeq7PhMpfjfu/F0HrVEI0OlZBijWvO8mSG77iNUDP5MqFceKpJTBc8iITVtNyLiNTRNCxv6oh0\n" +
		"bc:" + strings.Replace(string(bc), "$2a$", "$2y$", 1) + "\n"
	conf := `http {
    access_log off;
    server {
        listen 127.0.0.1:0;
        location /two { allow 127.0.0.2; deny all; content_by_lua_block { ngx.say("in") } }
        location /ret { deny all; return 200 "rewrite phase first\n"; }
        location /v6 { allow ::1; allow 127.0.0.0/30; deny all; content_by_lua_block { ngx.say("lua in") } }
        location /admin {
            auth_basic "Admin Area";
            auth_basic_user_file htpasswd;
            content_by_lua_block { ngx.say("hello ", ngx.var.remote_user) }
        }
        location /any {
            satisfy any;
            allow 127.0.0.2;
            deny all;
            auth_basic "Any";
            auth_basic_user_file htpasswd;
            content_by_lua_block { ngx.say("any ok") }
        }
        location /open { auth_basic off; return 200 "open\n"; }
    }
}`
	base, logs, dir := startConf(t, conf, map[string]string{"conf/htpasswd": htpasswd})
	runReqs(t, base, []confReq{
		{path: "/two", want: 403, wantBody: "<center><h1>403 Forbidden</h1></center>"},
		{from: "127.0.0.2", path: "/two", want: 200, wantBody: "in"},
		{path: "/ret", want: 200, wantBody: "rewrite phase first"}, // as nginx: return runs before deny
		{path: "/v6", want: 200, wantBody: "lua in"},
		{from: "127.0.0.5", path: "/v6", want: 403},
		{path: "/admin", want: 401, wantBody: "401 Authorization Required", wantHeader: `Www-Authenticate: Basic realm="Admin Area"`},
		{path: "/admin", user: "apr", pass: "wrong", want: 401},
		{path: "/admin", user: "nobody", pass: "secret", want: 401},
		{path: "/admin", user: "apr", pass: "secret", want: 200, wantBody: "hello apr"},
		{path: "/admin", user: "md5", pass: "secret", want: 200, wantBody: "hello md5"},
		{path: "/admin", user: "sha", pass: "secret", want: 200, wantBody: "hello sha"},
		{path: "/admin", user: "plain", pass: "secret", want: 200, wantBody: "hello plain"},
		{path: "/admin", user: "sha6", pass: "secret", want: 200, wantBody: "hello sha6"},
		{path: "/admin", user: "sha5", pass: "secret", want: 200, wantBody: "hello sha5"},
		{path: "/admin", user: "rounds", pass: "secret", want: 200, wantBody: "hello rounds"},
		{path: "/admin", user: "sha6", pass: "secreT", want: 401},
		{path: "/admin", user: "bc", pass: "secret", want: 200, wantBody: "hello bc"},
		{path: "/admin", user: "bc", pass: "secreT", want: 401},
		{from: "127.0.0.2", path: "/any", want: 200, wantBody: "any ok"},
		{path: "/any", want: 401},
		{path: "/any", user: "sha", pass: "secret", want: 200, wantBody: "any ok"},
		{path: "/open", want: 200},
	})
	for _, want := range []string{
		`[error] .*: \*\d+ access forbidden by rule, client: 127.0.0.1, server: , request: "GET /two HTTP/1.1", host: "127.0.0.1:\d+"`,
		`[info] .*: \*\d+ no user/password was provided for basic authentication, client: 127.0.0.1, server: , request: "GET /admin HTTP/1.1"`,
		`[error] .*: \*\d+ user "apr": password mismatch, client: 127.0.0.1`,
		`[error] .*: \*\d+ user "nobody" was not found in "` + regexp.QuoteMeta(filepath.Join(dir, "conf/htpasswd")) + `", client: 127.0.0.1`,
	} {
		if !regexp.MustCompile(regexp.QuoteMeta(want[:7]) + want[7:]).MatchString(logs.String()) {
			t.Errorf("error log lacks %s\n%s", want, logs)
		}
	}
}

func TestLimits(t *testing.T) {
	conf := `http {
    access_log off;
    lua_shared_dict st 1m;
    limit_req_zone $binary_remote_addr zone=one:1m rate=1r/m;
    limit_req_zone $binary_remote_addr zone=two:1m rate=1r/m;
    limit_conn_zone $binary_remote_addr zone=addr:1m;
    limit_req_zone $binary_remote_addr zone=d:1m rate=100r/s;
    server {
        listen 127.0.0.1:0;
        location /delay { limit_req zone=d burst=5; content_by_lua_block { ngx.say("delayed") } }
        location /req { limit_req zone=one; content_by_lua_block { ngx.say("req") } }
        location /burst { limit_req zone=two burst=1 nodelay; limit_req_status 429; content_by_lua_block { ngx.say("burst") } }
        location /conn {
            limit_conn addr 1;
            content_by_lua_block {
                local st = ngx.shared.st
                st:set("in", 1)
                while not st:get("go") do ngx.sleep(0.01) end
                ngx.say("conn done")
            }
        }
        location /probe { content_by_lua_block { ngx.say(ngx.shared.st:get("in") or "no") } }
        location /go { content_by_lua_block { ngx.shared.st:set("go", 1) ngx.say("go") } }
    }
}`
	base, logs, _ := startConf(t, conf, nil)
	runReqs(t, base, []confReq{
		{path: "/req", want: 200},
		{path: "/req", want: 503, wantBody: "503 Service Temporarily Unavailable"},
		{from: "127.0.0.2", path: "/req", want: 200}, // its own key
		{path: "/burst", want: 200},
		{path: "/burst", want: 200}, // the burst slot, not delayed
		{path: "/burst", want: 429},
		{path: "/delay", want: 200},
		{path: "/delay", want: 200, wantBody: "delayed"}, // in the burst: delayed, not refused
	})
	// limit_conn: one request in /conn holds the slot; a second from the same address is
	// refused until the first ends.
	done := make(chan string, 1)
	go func() {
		resp, err := clientFrom("127.0.0.1").Get(base + "/conn")
		if err != nil {
			done <- err.Error()
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		done <- fmt.Sprintf("%d %s", resp.StatusCode, b)
	}()
	for i := 0; ; i++ {
		resp, err := clientFrom("127.0.0.1").Get(base + "/probe")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if string(b) == "1\n" {
			break
		}
		if i > 500 {
			t.Fatal("the first /conn request never started")
		}
		time.Sleep(10 * time.Millisecond)
	}
	runReqs(t, base, []confReq{
		{path: "/conn", want: 503},
		{path: "/go", want: 200},
	})
	if got := <-done; got != "200 conn done\n" {
		t.Errorf("first /conn: %q", got)
	}
	runReqs(t, base, []confReq{{path: "/conn", want: 200, wantBody: "conn done"}}) // released
	if !regexp.MustCompile(`\[warn\] .* delaying request, excess: \d\.\d{3}, by zone "d", client: 127\.0\.0\.1`).MatchString(logs.String()) {
		t.Errorf("no delay line:\n%s", logs)
	}
	for _, want := range []string{
		`limiting requests, excess: 1.000 by zone "one", client: 127.0.0.1, server: , request: "GET /req HTTP/1.1"`,
		`limiting requests, excess: 2.000 by zone "two", client: 127.0.0.1`,
		`limiting connections by zone "addr", client: 127.0.0.1, server: , request: "GET /conn HTTP/1.1"`,
	} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("error log lacks %q\n%s", want, logs)
		}
	}
}

func TestAccessLogFormats(t *testing.T) {
	conf := `http {
    log_format mine '$remote_addr "$request" $status $body_bytes_sent $request_method:$uri:$args "$http_x_test" $remote_user';
    access_log logs/access.log;
    server {
        listen 127.0.0.1:0;
        access_log logs/mine.log mine;
        location /body500 { content_by_lua_block { ngx.status = 500 ngx.say("oops") } }
        location /exit500 { content_by_lua_block { ngx.exit(500) } }
        location /ret { return 201 "made\n"; }
        location /quiet { access_log off; return 204; }
        location /both { access_log logs/access.log; access_log logs/mine.log mine; return 200 "x"; }
        location /ws {
            content_by_lua_block {
                local server = require "resty.websocket.server"
                local wb = assert(server:new())
                local data = wb:recv_frame()
                wb:send_text("echo:" .. data)
                wb:send_close(1000, "bye")
            }
        }
    }
}`
	base, _, dir := startConf(t, conf, nil)
	for _, p := range []string{"/body500", "/exit500", "/ret?a=1", "/quiet", "/both", "/missing"} {
		req, _ := http.NewRequest("GET", base+p, nil)
		req.Header.Set("X-Test", `q"uote`)
		req.Header.Set("User-Agent", "conf-test")
		resp, err := clientFrom("127.0.0.1").Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	ws, _, err := websocket.DefaultDialer.Dial(strings.Replace(base, "http", "ws", 1)+"/ws", nil)
	if err != nil {
		t.Fatal(err)
	}
	ws.WriteMessage(websocket.TextMessage, []byte("hi"))
	ws.ReadMessage()
	ws.ReadMessage()
	ws.Close()
	wantMine := []string{
		`127.0.0.1 "GET /body500 HTTP/1.1" 500 5 GET:/body500:- "q\x22uote" -`,
		`127.0.0.1 "GET /exit500 HTTP/1.1" 500 176 GET:/exit500:- "q\x22uote" -`,
		`127.0.0.1 "GET /ret?a=1 HTTP/1.1" 201 5 GET:/ret:a=1 "q\x22uote" -`,
		`127.0.0.1 "GET /both HTTP/1.1" 200 1 GET:/both:- "q\x22uote" -`,
		`127.0.0.1 "GET /missing HTTP/1.1" 404 152 GET:/missing:- "q\x22uote" -`,
		`127.0.0.1 "GET /ws HTTP/1.1" 101 16 GET:/ws:- "-" -`,
	}
	// the websocket's line is written when it ends
	mine := waitLines(filepath.Join(dir, "logs/mine.log"), len(wantMine))
	// a line is written when its request ends, which for a taken-over connection may come
	// after the next request's: compare the lines, not their order
	got := strings.Split(strings.TrimSpace(string(mine)), "\n")
	sort.Strings(got)
	sort.Strings(wantMine)
	if strings.Join(got, "\n") != strings.Join(wantMine, "\n") {
		t.Errorf("mine.log:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(wantMine, "\n"))
	}
	combined := waitLines(filepath.Join(dir, "logs/access.log"), 1)
	re := regexp.MustCompile(`^127\.0\.0\.1 - - \[\d\d/[A-Z][a-z]{2}/\d{4}:\d\d:\d\d:\d\d [+-]\d{4}\] "GET /both HTTP/1\.1" 200 1 "-" "conf-test"$`)
	if !re.MatchString(strings.TrimSpace(string(combined))) {
		t.Errorf("access.log (only /both logs there: the server's own log replaces http's):\n%s", combined)
	}
}

func TestProxyPass(t *testing.T) {
	var mu sync.Mutex
	var seen []string
	unblock := make(chan struct{})
	backend := func(name string) *httptest.Server {
		return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/slow" {
				<-unblock
				return
			}
			if websocket.IsWebSocketUpgrade(r) {
				c, err := (&websocket.Upgrader{}).Upgrade(w, r, nil)
				if err != nil {
					return
				}
				defer c.Close()
				for {
					mt, p, err := c.ReadMessage()
					if err != nil {
						return
					}
					c.WriteMessage(mt, append([]byte(name+":"), p...))
				}
			}
			mu.Lock()
			seen = append(seen, fmt.Sprintf("%s %s %s host=%s conn=%s real=%s", name, r.Method, r.RequestURI,
				r.Host, r.Header.Get("Connection"), r.Header.Get("X-Real-IP")))
			mu.Unlock()
			w.Header().Set("X-Backend", name)
			fmt.Fprintf(w, "from %s %s\n", name, r.RequestURI)
		}))
	}
	a, b := backend("a"), backend("b")
	defer a.Close()
	defer b.Close()
	defer close(unblock)
	dead, _ := net.Listen("tcp", "127.0.0.1:0")
	deadAddr := dead.Addr().String()
	dead.Close()
	conf := fmt.Sprintf(`http {
    access_log off;
    upstream pool {
        server %s weight=2;
        server %s;
        keepalive 4;
    }
    upstream withdead {
        server %s max_fails=1 fail_timeout=30s;
        server %s;
    }
    server {
        listen 127.0.0.1:0;
        location /rr/ {
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header X-Real-IP $remote_addr;
            proxy_pass http://pool;
        }
        location /strip/ { proxy_pass http://%s/new/; }
        location /dead/ { proxy_pass http://withdead; }
        location /ws {
            proxy_pass http://%s;
            proxy_http_version 1.1;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection "upgrade";
            proxy_read_timeout 5s;
            access_log logs/ws.log;
        }
        location /noupgrade { proxy_pass http://%s; }
        location /slow { proxy_read_timeout 100ms; proxy_pass http://%s; }
        location /lua/ {
            rewrite_by_lua_block { ngx.req.set_uri("/moved/x") ngx.req.set_uri_args("k=v") }
            proxy_pass http://%s;
        }
        location /luaargs/ { rewrite_by_lua_block { ngx.req.set_uri_args("a=1") } proxy_pass http://%s; }
        location /raw/ { proxy_pass http://%s; }
    }
}`, a.Listener.Addr(), b.Listener.Addr(), deadAddr, a.Listener.Addr(), a.Listener.Addr(), b.Listener.Addr(), b.Listener.Addr(),
		a.Listener.Addr(), a.Listener.Addr(), a.Listener.Addr(), a.Listener.Addr())
	base, logs, dir := startConf(t, conf, nil)
	runReqs(t, base, []confReq{
		{path: "/rr/1", want: 200, wantBody: "from a /rr/1"},
		{path: "/rr/2", want: 200, wantBody: "from b /rr/2"},
		{path: "/rr/3", want: 200, wantBody: "from a /rr/3"},
		{path: "/rr/4", want: 200, wantBody: "from a /rr/4"},
		{path: "/rr/5", want: 200, wantBody: "from b /rr/5"},
		{path: "/strip/x?q=1", want: 200, wantBody: "from a /new/x?q=1", wantHeader: "X-Backend: a"},
		{path: "/dead/y", want: 200, wantBody: "from a /dead/y"},
		{path: "/dead/z", want: 200, wantBody: "from a /dead/z"}, // the dead one is out for 30s
		{path: "/slow", want: 504, wantBody: "504 Gateway Time-out"},
		// a URI or arguments Lua changed go upstream (nginx's normalized URI), not the client's
		{path: "/lua/p?q=1", want: 200, wantBody: "from a /moved/x?k=v"},
		{path: "/luaargs/p?q=1", want: 200, wantBody: "from a /luaargs/p?a=1"},
		{path: "/raw/a%41b?x=%20", want: 200, wantBody: "from a /raw/a%41b?x=%20"},
	})
	if !strings.Contains(logs.String(), `upstream timed out (110: Connection timed out) while reading response header from upstream, client: 127.0.0.1, server: , request: "GET /slow HTTP/1.1", upstream: "http://`+a.Listener.Addr().String()+`/slow"`) {
		t.Errorf("no timeout line:\n%s", logs)
	}
	mu.Lock()
	got := strings.Join(seen, "\n")
	mu.Unlock()
	if !strings.Contains(got, "a GET /rr/1 host=pool conn= real=127.0.0.1") ||
		!strings.Contains(got, "a GET /new/x?q=1 host="+a.Listener.Addr().String()+" conn=close real=") {
		t.Errorf("backend saw:\n%s", got)
	}
	if n := strings.Count(logs.String(), "connect() failed (111: Connection refused) while connecting to upstream"); n != 1 {
		t.Errorf("want one connect() failure logged, got %d:\n%s", n, logs)
	}
	if !strings.Contains(logs.String(), `request: "GET /dead/y HTTP/1.1", upstream: "http://`+deadAddr+`/dead/y", host: "`) {
		t.Errorf("connect failure line lacks the upstream:\n%s", logs)
	}
	// WebSocket through the proxy to gorilla's echo
	ws, resp, err := websocket.DefaultDialer.Dial(strings.Replace(base, "http", "ws", 1)+"/ws", nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.Header.Get("Server") != "luaws" {
		t.Errorf("101 Server: %q", resp.Header.Get("Server"))
	}
	for _, m := range []string{"one", strings.Repeat("x", 100000)} {
		ws.WriteMessage(websocket.TextMessage, []byte(m))
		_, p, err := ws.ReadMessage()
		if err != nil || string(p) != "b:"+m {
			t.Fatalf("echo through proxy: %q %v", p[:min(len(p), 20)], err)
		}
	}
	ws.Close()
	// the tunnel's line, when it ends: 101 and what went to the client after the head
	// (2 frames: 2+5 and 10+100002 bytes)
	if line := string(waitLines(filepath.Join(dir, "logs/ws.log"), 1)); !strings.Contains(line, `"GET /ws HTTP/1.1" 101 100019 "-"`) {
		t.Errorf("ws.log: %q", line)
	}
	// without proxy_set_header Upgrade the upgrade is not passed, as nginx does
	_, resp, err = websocket.DefaultDialer.Dial(strings.Replace(base, "http", "ws", 1)+"/noupgrade", nil)
	if err == nil || resp == nil || resp.StatusCode == 101 {
		t.Errorf("an upgrade went through a location without Upgrade headers: %v", err)
	}
}

func TestStubStatusAndLuaMerge(t *testing.T) {
	silent, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	go func() {
		for {
			c, err := silent.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	_, port, _ := net.SplitHostPort(silent.Addr().String())
	conf := `http {
    access_log off;
    lua_check_client_abort on;
    lua_socket_read_timeout 50ms;
    access_by_lua_block { ngx.header["X-Access"] = "http" }
    server {
        listen 127.0.0.1:0;
        location /own { access_by_lua_block { ngx.header["X-Access"] = "own" } content_by_lua_block { ngx.say("own") } }
        location /read {
            content_by_lua_block {
                local s = ngx.socket.tcp()
                assert(s:connect("127.0.0.1", ` + port + `))
                ngx.say(s:receive())
            }
        }
        location = /status { stub_status; }
        location /abort { content_by_lua_block { local ok, err = ngx.on_abort(function() end) ngx.say(ok, " ", err) } }
        location /abortoff { lua_check_client_abort off; content_by_lua_block { local ok, err = ngx.on_abort(function() end) ngx.say(ok, " ", err) } }
    }
}`
	base, _, _ := startConf(t, conf, nil)
	runReqs(t, base, []confReq{
		{path: "/abort", want: 200, wantBody: "1 nil", wantHeader: "X-Access: http"}, // inherited
		{path: "/own", want: 200, wantBody: "own", wantHeader: "X-Access: own"},
		{path: "/abortoff", want: 200, wantBody: "nil lua_check_client_abort is off"},
		{path: "/read", want: 200, wantBody: "niltimeout"}, // the http-level read timeout
	})
	resp, err := clientFrom("127.0.0.1").Get(base + "/status")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	// (the earlier connections' closes may not have been seen yet: they are still counted,
	// as waiting)
	re := regexp.MustCompile(`^Active connections: \d \nserver accepts handled requests\n 5 5 5 \nReading: 0 Writing: 1 Waiting: \d \n$`)
	if !re.Match(body) || resp.Header.Get("Content-Type") != "text/plain" {
		t.Errorf("stub_status:\n%q", body)
	}
}

func TestConfRejects(t *testing.T) {
	tests := []struct{ conf, want string }{
		{`http { server { lua_shared_dic x 1m; } }`, `unknown directive "lua_shared_dic" in /x/conf/nginx.conf:1`},
		{"http {\n server {\n  location /a { mirror /m; }\n }\n}", `"mirror" directive is not supported by luaws`},
		{"http {\n server {\n  location /a { }\n  location /a { }\n }\n}", `duplicate location "/a" in /x/conf/nginx.conf:4`},
		{"http {\n server {\n  location /a { location /a/b {} location /a/b {} }\n }\n}", `duplicate location "/a/b" in /x/conf/nginx.conf:3`},
		{"http {\n server {\n  location = /a { }\n  location /a { }\n  location = /a {}\n }\n}", `duplicate location "=/a" in /x/conf/nginx.conf:5`},
		{`http { server { location / { limit_req zone=nope; } } }`, `unknown limit_req_zone "nope"`},
		{"http {\n server {\n  location / {\n   rewrite ^/(.*) ;\n }\n }\n}", `invalid number of arguments in "rewrite" directive in /x/conf/nginx.conf:4`},
		{"http { server { location / { rewrite ^/(.* /x; } } }", `pcre2_compile() failed: missing closing parenthesis in "^/(.*"`},
		{"http { server { location / { rewrite ^/ /x lst; } } }", `invalid parameter "lst"`},
		{"http { server { location / { if ($x) { return 403; } } } }", ""},
		{"http { server { location / { if $x { return 403; } } } }", `invalid condition "$x"`},
		{"http { server { location / { if ($x ~ a b) { return 403; } } } }", `invalid condition "$x"`},
		{"http { server { location / { if ($x == a) { return 403; } } } }", `unexpected "==" in condition`},
		{"http { server { location / { if (-q /x) { return 403; } } } }", `invalid condition "-q"`},
		{"http { server { location / { if ($x ~* \"(\") { return 403; } } } }", `pcre2_compile() failed: missing closing parenthesis in "("`},
		{"http { server { location / { if ($x) { gzip on; } } } }", `"gzip" directive inside "if" is not supported by luaws`},
		{"http { server { if ($x) { add_header X 1; } } }", `"add_header" directive is not allowed here`},
		{"http { server { location / { if () { } } } }", `invalid condition ")"`},
		{"http { server { location / { if ( ) { } } } }", `invalid condition ")"`},
		{"http { server { location / { if ( { } } } }", `invalid condition "("`},
		{"http { server { location / { if ($a { } } } }", `invalid condition "$a"`},
		{"http { server { location / { if (!-f) { } } } }", `invalid condition "!-f"`},
		{"http { server { location / { if ($a =) { } } } }", `invalid condition "$a"`},
		{"http { server { location / { return; } } }", `invalid number of arguments in "return" directive`},
		{"http { server { location / { set $a; } } }", `invalid number of arguments in "set" directive`},
		{"http { server { location / { break 1; } } }", `invalid number of arguments in "break" directive`},
		{"http { map $a { default 1; } server { } }", `invalid number of arguments in "map" directive`},
		{"http { map $a b { default 1; } server { } }", `invalid variable name "b"`},
		{"http { map $a $b { x 1 2; } server { } }", `invalid number of the map parameters`},
		{"http { map $a $b { ~( 1; } server { } }", `pcre2_compile() failed: missing closing parenthesis in "("`},
		{"http { map $a $b { default 1; default 2; } server { } }", `duplicate default map parameter`},
		{"http { map $a $b { x 1; x 2; } server { } }", `conflicting parameter "x"`},
		{"http { server { location / { if ($x) return 403; } } }", `directive "if" has no opening "{"`},
		{"http { server { location / { rewrite \"^/(a))x\" /y; } } }", `pcre2_compile() failed: unmatched closing parenthesis in "^/(a))x" at ")x"`},
		{"http {\n server { listen 127.0.0.1:1 default_server; }\n server {\n  listen 127.0.0.1:1 default_server;\n }\n}", `a duplicate default server for 127.0.0.1:1 in /x/conf/nginx.conf:4`},
		{"http {\n server { listen 1; listen 1; }\n}", `a duplicate listen 0.0.0.0:1 in /x/conf/nginx.conf:2`},
		{"http {\n location / { }\n server { }\n}", `"location" directive is not allowed here in /x/conf/nginx.conf:2`},
		{"http {\n content_by_lua_block { ngx.say(1) }\n server { }\n}", `"content_by_lua_block" directive is not allowed here in /x/conf/nginx.conf:2`},
		{"http {\n upstream u { server 127.0.0.1:1; balancer_by_lua_block { }\n balancer_by_lua_file x.lua; }\n server { }\n}", `"balancer_by_lua_file" directive is duplicate in /x/conf/nginx.conf:3`},
		{"http { proxy_next_upstream_tries x; server { } }", `invalid value "x" in "proxy_next_upstream_tries" directive`},
		{"http { server { proxy_bind 127.0.0.1 x; } }", `invalid number of arguments in "proxy_bind" directive`},
		{"http { server { proxy_bind $remote_addr transparent; } }", `"proxy_bind ... transparent" is not supported by luaws`},
	}
	for _, tt := range tests {
		cfg, err := ngxconf.Parse("/x/conf/nginx.conf", []byte(tt.conf), nil)
		if err != nil {
			t.Fatal(err)
		}
		_, err = FromNginx(cfg.Directives[0], NginxOptions{Prefix: "/x/", ConfDir: "/x/conf", Log: errlog.New(io.Discard, errlog.Err)})
		if tt.want == "" { // accepted
			if err != nil {
				t.Errorf("%s: %v", tt.conf, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: got %v, want %q", tt.conf, err, tt.want)
		}
	}
}

func TestLuaFileVariables(t *testing.T) {
	conf := `http {
    server {
        listen 127.0.0.1:0;
        location ~ ^/app/(\w+)$ { content_by_lua_file lua/$1.lua; }
        location /u/ { set $dir lua; content_by_lua_file $dir$uri.lua; }
    }
}`
	base, logs, dir := startConf(t, conf, map[string]string{
		"lua/hello.lua": "#!/usr/bin/env luajit\nngx.say(\"hello from \", ngx.var.uri, \" line \", debug.getinfo(1, \"l\").currentline)\n",
		"lua/bad.lua":   "error(\"boom\")\n",
	})
	os.MkdirAll(filepath.Join(dir, "lua/u"), 0o755)
	os.WriteFile(filepath.Join(dir, "lua/u/x.lua"), []byte(`ngx.say("u x")`), 0o644)
	runReqs(t, base, []confReq{
		{path: "/app/hello", want: 200, wantBody: "hello from /app/hello line 2"},
		{path: "/app/nope", want: 404},
		{path: "/app/bad", want: 500},
		{path: "/u/x", want: 200, wantBody: "u x"},
		{path: "/u/y", want: 404},
	})
	for _, want := range []string{
		`failed to load external Lua file "` + dir + `/lua/nope.lua": cannot open ` + dir + `/lua/nope.lua: No such file or directory, client: 127.0.0.1, server: `,
		`failed to load external Lua file "` + dir + `/lua/u/y.lua": cannot open`,
		dir + `/lua/bad.lua:1: boom`,
	} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("error log lacks %q\n%s", want, logs)
		}
	}
	// no access_log anywhere: nginx's default, logs/access.log in the combined format
	access := waitLines(filepath.Join(dir, "logs/access.log"), 5)
	if n := strings.Count(string(access), `"GET /app/`); n != 3 || !strings.Contains(string(access), `"GET /app/nope HTTP/1.1" 404 152 "-" "Go-http-client/1.1"`) {
		t.Errorf("default access log:\n%s", access)
	}
}

func TestErrorPage(t *testing.T) {
	conf := `http {
    access_log off;
    server {
        listen 127.0.0.1:0;
        error_page 404 /404.html;
        error_page 403 = @denied;
        location = /404.html { internal; }
        location @denied { return 418 "named\n"; }
        location /forbid { deny all; }
        location /luaexit { content_by_lua_block { ngx.exit(404) } }
        location /teapot { error_page 500 =200 /ok; content_by_lua_block { error("x") } }
        location /ok { internal; content_by_lua_block { ngx.say("recovered ", ngx.var.uri) } }
        location /away { error_page 404 http://example.org/x; }
        location /t/ { try_files $uri $uri/index.txt /fallback.txt; }
        location /t2/ { try_files $uri =410; }
        location /t3/ { try_files /nothing @app; }
        location @app { content_by_lua_block { ngx.say("app ", ngx.var.uri) } }
    }
}`
	base, _, _ := startConf(t, conf, map[string]string{"html/404.html": "custom 404\n",
		"html/t/a.txt": "file a\n", "html/t/d/index.txt": "dir index\n", "html/fallback.txt": "fell back\n"})
	runReqs(t, base, []confReq{
		{path: "/missing", want: 404, wantBody: "custom 404"},
		{path: "/404.html", want: 404, wantBody: "custom 404"}, // internal: 404, whose page is itself
		{path: "/forbid", want: 418, wantBody: "named"},
		{path: "/luaexit", want: 404, wantBody: "custom 404"},
		{path: "/teapot", want: 200, wantBody: "recovered /ok"},
		{path: "/ok", want: 404, wantBody: "custom 404"},
		{path: "/t/a.txt", want: 200, wantBody: "file a"},
		{path: "/t/d", want: 200, wantBody: "dir index"},
		{path: "/t/d/", want: 200, wantBody: "dir index"}, // $uri is "/t/d/", a directory, but written without "/"
		{path: "/t/zz", want: 200, wantBody: "fell back"},
		{path: "/t2/zz", want: 410},
		{path: "/t3/q", want: 200, wantBody: "app /t3/q"},
	})
	resp, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Get(base + "/away")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 302 || resp.Header.Get("Location") != "http://example.org/x" {
		t.Errorf("/away: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
}

// checkLogs waits up to 2 s for the error log to match each of want (a line may follow its
// response), then checks it matches none of nologs.
func checkLogs(t *testing.T, logs *syncBuf, want, nologs []string) {
	t.Helper()
	for _, w := range want {
		re := regexp.MustCompile("(?s)" + w)
		ok := false
		for i := 0; i < 100 && !ok; i++ {
			if ok = re.MatchString(logs.String()); !ok {
				time.Sleep(20 * time.Millisecond)
			}
		}
		if !ok {
			t.Errorf("error log has no line matching %s:\n%s", w, logs.String())
		}
	}
	for _, bad := range nologs {
		if regexp.MustCompile(bad).MatchString(logs.String()) {
			t.Errorf("error log matches %s:\n%s", bad, logs.String())
		}
	}
}
