package server

import (
	"bytes"
	"context"
	"io"
	"net"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/luaws/luaws/errlog"
	"github.com/luaws/luaws/internal/errpage"
	"github.com/luaws/luaws/ngxconf"
)

// lockedBuffer is a log sink tests read while the server writes.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// startFlagServer serves Lua locations as `luaws --location` does, on a free port.
func startFlagServer(t *testing.T, o Options) (addr string, logs *lockedBuffer) {
	t.Helper()
	logs = &lockedBuffer{}
	o.Listen = "127.0.0.1:0"
	o.Log = errlog.New(logs, errlog.Info)
	srv, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	a, err := srv.Listen()
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
	})
	return a.String(), logs
}

// rawExchange sends req on a fresh connection and reads until the server closes it (or 3s).
func rawExchange(t *testing.T, addr, req string) string {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(3 * time.Second))
	if _, err := io.WriteString(c, req); err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(c)
	return string(b)
}

var dateLine = regexp.MustCompile(`\r\nDate: [^\r]*\r\n`)

// TestRequestFramingAsNginx: the framings Debian's nginx refuses get its page, byte for byte
// but the date, the connection closes, and the request pipelined behind is not served.
// (The expected responses and log lines are nginx 1.22.1's for the same bytes.)
func TestRequestFramingAsNginx(t *testing.T) {
	addr, logs := startFlagServer(t, Options{Locations: []Location{
		{Path: "/echo", Code: []byte(`ngx.req.read_body() ngx.say("body=", ngx.req.get_body_data())`)},
		{Path: "/noread", Code: []byte(`ngx.say("ok")`)},
	}})
	next := "GET /noread HTTP/1.1\r\nHost: x\r\n\r\n"
	page := func(status int) string {
		return dateLine.ReplaceAllString(string(errpage.Response(status, time.Now(), "", false)), "\r\n")
	}
	for _, tc := range []struct {
		name, req string
		status    int    // 0: no response at all
		log       string // nginx's error-log message
	}{
		{"duplicate Content-Length", "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello" + next,
			400, `[info] client sent duplicate header line: "Content-Length: 5", previous value: "Content-Length: 5" while reading client request headers, client: 127.0.0.1, server: localhost, request: "POST /echo HTTP/1.1", host: "x"`},
		{"Content-Length and chunked", "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n" + next,
			400, `client sent "Content-Length" and "Transfer-Encoding" headers at the same time while reading client request headers`},
		{"conflicting Content-Length", "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello" + next,
			400, `client sent duplicate header line: "Content-Length: 6", previous value: "Content-Length: 5" while reading client request headers`},
		{"chunked twice", "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + next,
			400, `client sent duplicate header line: "Transfer-Encoding: chunked", previous value: "Transfer-Encoding: chunked"`},
		{"unknown transfer coding", "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n" + next,
			501, `client sent unknown "Transfer-Encoding": "gzip, chunked" while reading client request headers`},
		{"negative length", "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n" + next,
			400, `client sent invalid "Content-Length" header while reading client request headers`},
		{"HTTP/1.0 chunked", "POST /echo HTTP/1.0\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + next,
			400, `client sent HTTP/1.0 request with "Transfer-Encoding" header while reading client request headers`},
		{"invalid chunk size, body read", "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nZZ\r\nhello\r\n0\r\n\r\n" + next,
			400, `[error] client sent invalid chunked body, client: 127.0.0.1`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := dateLine.ReplaceAllString(rawExchange(t, addr, tc.req), "\r\n")
			if strings.Contains(got, "ok\n") {
				t.Errorf("the pipelined request was served:\n%q", got)
			}
			if tc.status != 0 && got != page(tc.status) {
				t.Errorf("response\n%q\nwant nginx's\n%q", got, page(tc.status))
			}
			if tc.log == "" {
				return
			}
			deadline := time.Now().Add(2 * time.Second)
			for !strings.Contains(regexp.MustCompile(`\d+#\d+: \*\d+ `).ReplaceAllString(logs.String(), ""), tc.log) {
				if time.Now().After(deadline) {
					t.Fatalf("no log line %q in\n%s", tc.log, logs.String())
				}
				time.Sleep(10 * time.Millisecond)
			}
		})
	}
	// Well-framed requests are still served, pipelined included.
	ok := "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello" +
		"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3;ext=1\r\nabc\r\n2\r\nde\r\n0\r\nX-Trailer: 1\r\n\r\n" +
		"GET /noread HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
	got := rawExchange(t, addr, ok)
	if strings.Count(got, "HTTP/1.1 200 OK") != 3 || !strings.Contains(got, "body=hello\n") || !strings.Contains(got, "body=abcde\n") || !strings.Contains(got, "ok\n") {
		t.Errorf("pipelined good requests:\n%s", got)
	}
}

// TestSnifferSplitReads: the framing is followed whatever the read boundaries.
func TestSnifferSplitReads(t *testing.T) {
	stream := "POST /a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n" +
		"GET /b HTTP/1.1\r\nHost: x\r\n\r\n" +
		"POST /c HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nz"
	for _, step := range []int{1, 2, 3, 7, 64, len(stream)} {
		var s sniffer
		for i := 0; i < len(stream); i += step {
			s.feed([]byte(stream[i:min(i+step, len(stream))]))
		}
		if s.bad == nil || s.bad.index != 2 || s.bad.line != "POST /c HTTP/1.1" || s.bad.status != 400 {
			t.Errorf("step %d: verdict %+v, want request 2 refused", step, s.bad)
		}
	}
}

// TestSiteFraming: an nginx.conf site refuses the same framings, with the server_name of the
// server in the log line, and serves nothing pipelined behind.
func TestSiteFraming(t *testing.T) {
	dir := t.TempDir()
	conf := "http { server { listen 127.0.0.1:0; server_name example.org;\n" +
		"location = /echo { content_by_lua_block { ngx.req.read_body() ngx.say(ngx.req.get_body_data()) } }\n" +
		"location = /noread { content_by_lua_block { ngx.say('ok') } } } }\n"
	cfg, err := ngxconf.Parse(filepath.Join(dir, "nginx.conf"), []byte(conf), nil)
	if err != nil {
		t.Fatal(err)
	}
	logs := &lockedBuffer{}
	site, err := FromNginx(cfg.Directives[0], NginxOptions{Prefix: dir + "/", ConfDir: dir, Log: errlog.New(logs, errlog.Info)})
	if err != nil {
		t.Fatal(err)
	}
	if err := site.Listen(); err != nil {
		t.Fatal(err)
	}
	go site.Serve()
	defer site.Shutdown(context.Background())
	addr := site.Addrs()[0].String()
	got := rawExchange(t, addr, "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"+
		"5\r\nhello\r\n0\r\n\r\nGET /noread HTTP/1.1\r\nHost: x\r\n\r\n")
	if !strings.HasPrefix(got, "HTTP/1.1 400 Bad Request\r\n") || strings.Contains(got, "ok\n") {
		t.Errorf("response:\n%q", got)
	}
	want := `client sent "Content-Length" and "Transfer-Encoding" headers at the same time while reading client request headers, client: 127.0.0.1, server: example.org, request: "POST /echo HTTP/1.1", host: "x"`
	if !strings.Contains(logs.String(), want) {
		t.Errorf("log:\n%s", logs.String())
	}
	if got := rawExchange(t, addr, "GET /noread HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"); !strings.HasSuffix(got, "\r\n\r\n3\r\nok\n\r\n0\r\n\r\n") {
		t.Errorf("a good request:\n%q", got)
	}
}

// TestRawRequestHead: ngx.req.raw_header is the head as the client sent it and
// get_headers(0, true) keeps the names' case, request by request on a keep-alive connection
// (pipelined); once Lua changed a header, get_headers lists the changed list, names as sent.
func TestRawRequestHead(t *testing.T) {
	dir := t.TempDir()
	conf := "http { server { listen 127.0.0.1:0;\n" +
		"location = /raw { content_by_lua_block { ngx.print(ngx.req.raw_header(true)) } }\n" +
		"location = /names { content_by_lua_block { local h = ngx.req.get_headers(0, true) ngx.say(h['X-Mixed-CASE'], ' ', tostring(h['x-mixed-case']), ' ', tostring(h.foo_bar)) } }\n" +
		"location = /changed { content_by_lua_block { ngx.req.set_header('X-New', 'n') local h = ngx.req.get_headers(0, true) ngx.say(h['X-New'], ' ', tostring(h['X-Mixed-CASE']), ' ', h['X-Mixed-Case']) } } } }\n"
	cfg, err := ngxconf.Parse(filepath.Join(dir, "nginx.conf"), []byte(conf), nil)
	if err != nil {
		t.Fatal(err)
	}
	site, err := FromNginx(cfg.Directives[0], NginxOptions{Prefix: dir + "/", ConfDir: dir, Log: errlog.New(&lockedBuffer{}, errlog.Info)})
	if err != nil {
		t.Fatal(err)
	}
	if err := site.Listen(); err != nil {
		t.Fatal(err)
	}
	go site.Serve()
	defer site.Shutdown(context.Background())
	addr := site.Addrs()[0].String()
	head1 := "GET /raw HTTP/1.1\r\nHost: x\r\nX-Mixed-CASE:   spaced  \r\nfoo_bar: u\r\n\r\n"
	head2 := "GET /names HTTP/1.1\r\nhost: x\r\nX-Mixed-CASE: v\r\nfoo_bar: u\r\n\r\n"
	head3 := "GET /changed HTTP/1.1\r\nHost: x\r\nX-Mixed-CASE: w\r\nConnection: close\r\n\r\n"
	got := rawExchange(t, addr, head1+head2+head3)
	for _, want := range []string{
		"Host: x\r\nX-Mixed-CASE:   spaced  \r\nfoo_bar: u\r\n\r\n", // the first, as sent, without its request line
		"v nil nil\n", // names in their case; underscores ignored
		"n w nil\n",   // changed: still the client's names, nginx's list changed in place
	} {
		if !strings.Contains(got, want) {
			t.Errorf("responses lack %q:\n%q", want, got)
		}
	}
}
