package luabind_test

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// rawHTTP sends a raw request (%s is replaced by the server's host:port) and reads the
// response; bodyErr is the error reading the body (a response cut short).
func rawHTTP(t testing.TB, ts *testServer, req string) (resp *http.Response, body []byte, bodyErr error) {
	t.Helper()
	c := ts.dial(t)
	if _, err := io.WriteString(c, strings.ReplaceAll(req, "%s", ts.addr)); err != nil {
		t.Fatal(err)
	}
	_ = c.SetReadDeadline(time.Now().Add(waitTimeout))
	resp, err := http.ReadResponse(newBufReader(c), nil)
	if err != nil {
		t.Fatalf("read response: %v; log:\n%s", err, ts.log.String())
	}
	body, bodyErr = io.ReadAll(resp.Body)
	return resp, body, bodyErr
}

const getT = "GET /t HTTP/1.1\r\nHost: %s\r\n\r\n"

// logLineRE matches one whole nginx error log line of this test server's request "GET /t".
func logLineRE(ts *testServer, level, msg string) *regexp.Regexp {
	pid := os.Getpid()
	if level == "debug" { // nginx adds no request context to debug lines
		return regexp.MustCompile(fmt.Sprintf(`(?m)^\d{4}/\d\d/\d\d \d\d:\d\d:\d\d \[debug\] %d#%d: \*\d+ %s$`, pid, pid, msg))
	}
	return regexp.MustCompile(fmt.Sprintf(`(?m)^\d{4}/\d\d/\d\d \d\d:\d\d:\d\d \[%s\] %d#%d: \*\d+ %s, client: 127\.0\.0\.1, `+
		`server: localhost, request: "GET /t HTTP/1\.1", host: "%s"$`, level, pid, pid, msg, regexp.QuoteMeta(ts.addr)))
}

// TestNgxLogLines checks ngx.log at every level, print, and the "[lua] file:line: fname(): "
// prefix, as observed on nginx 1.22.1 + lua-nginx-module 0.10.23.
func TestNgxLogLines(t *testing.T) {
	t.Parallel()
	ts := serveScript(t, "log.lua", `ngx.log(ngx.STDERR, "lvl stderr")
ngx.log(ngx.EMERG, "lvl emerg")
ngx.log(ngx.ALERT, "lvl alert")
ngx.log(ngx.CRIT, "lvl crit")
ngx.log(ngx.ERR, "lvl err")
ngx.log(ngx.WARN, "lvl warn")
ngx.log(ngx.NOTICE, "lvl notice")
ngx.log(ngx.INFO, "lvl info")
ngx.log(ngx.DEBUG, "lvl debug")
local function greet() ngx.log(ngx.WARN, "hi from greet") end
greet()
function gfun() ngx.log(ngx.WARN, "hi from gfun") end
gfun()
local t = {f = function() ngx.log(ngx.WARN, "hi from field") end}
t.f()
print("a", 1, nil, true)
ngx.log(ngx.WARN, "multi ", 1.5, " ", nil, " ", true, " ", ngx.null, " ", 10)
ngx.say("ok")
`)
	_, body, _ := rawHTTP(t, ts, getT)
	if string(body) != "ok\n" {
		t.Fatalf("body %q; log:\n%s", body, ts.log.String())
	}
	cases := []struct{ level, msg string }{
		{"", `\[lua\] log\.lua:1: lvl stderr`}, // nginx's err_levels[0] is the empty string
		{"emerg", `\[lua\] log\.lua:2: lvl emerg`},
		{"alert", `\[lua\] log\.lua:3: lvl alert`},
		{"crit", `\[lua\] log\.lua:4: lvl crit`},
		{"error", `\[lua\] log\.lua:5: lvl err`},
		{"warn", `\[lua\] log\.lua:6: lvl warn`},
		{"notice", `\[lua\] log\.lua:7: lvl notice`},
		{"info", `\[lua\] log\.lua:8: lvl info`},
		{"debug", `\[lua\] log\.lua:9: lvl debug`},
		{"warn", `\[lua\] log\.lua:10: greet\(\): hi from greet`},
		{"warn", `\[lua\] log\.lua:12: gfun\(\): hi from gfun`},
		{"warn", `\[lua\] log\.lua:14: f\(\): hi from field`},
		{"notice", `\[lua\] log\.lua:16: a1niltrue`},
		{"warn", `\[lua\] log\.lua:17: multi 1\.5 nil true null 10`},
	}
	log := ts.log.String()
	for _, tc := range cases {
		re := logLineRE(ts, tc.level, tc.msg)
		if !re.MatchString(log) {
			t.Errorf("no log line matching\n%s\nlog:\n%s", re, log)
		}
	}
}

// ngxCase is one handler script answering a raw request.
type ngxCase struct {
	name       string
	script     string
	request    string // raw, %s = host:port; getT if empty
	wantStatus int
	wantBody   string // exact, unless bodyHas
	bodyHas    []string
	wantHeader map[string][]string
	noHeader   []string
	wantLog    []string // regexps matched against the whole log
	notLog     []string // substrings that must not be logged
	cutShort   bool     // the body must end with an error (connection closed mid-response)
}

func runNgxCases(t *testing.T, cases []ngxCase) {
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ts := serveScript(t, "t.lua", tc.script)
			req := tc.request
			if req == "" {
				req = getT
			}
			resp, body, bodyErr := rawHTTP(t, ts, req)
			if tc.wantStatus != 0 && resp.StatusCode != tc.wantStatus {
				t.Errorf("status = %d, want %d", resp.StatusCode, tc.wantStatus)
			}
			want := strings.ReplaceAll(tc.wantBody, "$ADDR", ts.addr)
			want = strings.ReplaceAll(want, "$PORT", ts.addr[strings.LastIndexByte(ts.addr, ':')+1:])
			want = strings.ReplaceAll(want, "$PID", strconv.Itoa(os.Getpid()))
			if tc.bodyHas != nil {
				for _, s := range tc.bodyHas {
					if !bytes.Contains(body, []byte(s)) {
						t.Errorf("body %q does not contain %q", body, s)
					}
				}
			} else if string(body) != want {
				t.Errorf("body:\n got %q\nwant %q", body, want)
			}
			if tc.cutShort && bodyErr == nil {
				t.Errorf("body read completed (%q), want the connection cut mid-response", body)
			}
			if !tc.cutShort && bodyErr != nil {
				t.Errorf("body read: %v", bodyErr)
			}
			for k, v := range tc.wantHeader {
				if got := resp.Header.Values(k); strings.Join(got, "\x00") != strings.Join(v, "\x00") {
					t.Errorf("header %s = %q, want %q", k, got, v)
				}
			}
			for _, k := range tc.noHeader {
				if got := resp.Header.Values(k); len(got) > 0 {
					t.Errorf("header %s = %q, want none", k, got)
				}
			}
			log := ts.log.String()
			for _, re := range tc.wantLog {
				if !regexp.MustCompile(re).MatchString(log) {
					t.Errorf("no log match for %s; log:\n%s", re, log)
				}
			}
			for _, s := range tc.notLog {
				if strings.Contains(log, s) {
					t.Errorf("log contains %q:\n%s", s, log)
				}
			}
		})
	}
}

func TestNgxAPI(t *testing.T) {
	t.Parallel()
	pid := os.Getpid()
	tail := `, client: 127\.0\.0\.1, server: localhost, request: "GET /t HTTP/1\.1", host: "127\.0\.0\.1:\d+"`
	runNgxCases(t, []ngxCase{
		{name: "say print flush", script: `
ngx.print("a", 1, true, nil, {"x", {"y", 2}}, ngx.null)
ngx.say()
local r = ngx.say("b")
ngx.say(r)
ngx.say(ngx.flush(true))
ngx.say(-0.0, " ", 0.1, " ", 1e15, " ", 2^53)`,
			wantStatus: 200, wantBody: "a1truenilxy2null\nb\n1\n1\n0 0.1 1e+15 9.007199254741e+15\n",
			wantHeader: map[string][]string{"Content-Type": {"text/plain"}}},
		{name: "ngx.redirect", script: `ngx.header["X-A"] = "1"
return ngx.redirect("/foo?a=1", 308)`, wantStatus: 308, bodyHas: []string{"<center><h1>308 Permanent Redirect</h1></center>"},
			wantHeader: map[string][]string{"Location": {"/foo?a=1"}, "X-A": {"1"}, "Content-Type": {"text/html"}}},
		{name: "ngx.redirect default status", script: `return ngx.redirect("http://example.com/x")`, wantStatus: 302,
			bodyHas: []string{"<center><h1>302 Found</h1></center>"}, wantHeader: map[string][]string{"Location": {"http://example.com/x"}}},
		{name: "ngx.redirect errors, set_method, set_body_data", script: `local a = {pcall(ngx.redirect, "/x", 200)}
local b = {pcall(ngx.redirect, "/x\r\nY: z")}
ngx.say(a[1], a[2])
ngx.say(b[1], b[2])
ngx.req.set_method(ngx.HTTP_PUT)
ngx.say(ngx.req.get_method(), " ", ngx.var.request_method, " ", select(2, pcall(ngx.req.set_method, 3)))
ngx.say(pcall(ngx.req.set_body_data, "x"))
ngx.req.read_body()
ngx.req.set_body_data("new body")
ngx.say(ngx.req.get_body_data(), " ", ngx.var.http_content_length)
ngx.say(pcall(ngx.redirect, "/foo"))`, wantStatus: 200,
			wantBody: "falseonly ngx.HTTP_MOVED_TEMPORARILY, ngx.HTTP_MOVED_PERMANENTLY, ngx.HTTP_PERMANENT_REDIRECT, ngx.HTTP_SEE_OTHER, and ngx.HTTP_TEMPORARY_REDIRECT are allowed\n" +
				"falseunsafe byte \"0x0d\" in redirect uri \"/x\\x0D\\x0AY: z\"\n" +
				"PUT PUT unsupported HTTP method: 3\nfalserequest body not read yet\nnew body 8\n" +
				"falseattempt to call ngx.redirect after sending out the headers\n"},
		{name: "ngx.status", script: `ngx.status = 201
ngx.say(ngx.status)`, wantStatus: 201, wantBody: "201\n"},
		{name: "ngx.status default", script: `ngx.say(ngx.status)`, wantStatus: 200, wantBody: "0\n"},
		{name: "ngx.header", script: `ngx.header["X-Foo"] = "bar"
ngx.header.content_type = "text/html"
ngx.header.x_multi = {"a", "b"}
ngx.header["X-Gone"] = "x"
ngx.header["X-Gone"] = nil
ngx.say(ngx.header["X-Foo"], " ", ngx.header.x_foo, " ", ngx.header["content-type"], " ", table.concat(ngx.header["X-Multi"], ","))`,
			wantStatus: 200, wantBody: "bar bar text/html a,b\n",
			wantHeader: map[string][]string{"X-Foo": {"bar"}, "Content-Type": {"text/html"}, "X-Multi": {"a", "b"}},
			noHeader:   []string{"X-Gone"}},
		{name: "ngx.headers_sent", script: `local before = ngx.headers_sent
ngx.say(tostring(before))
ngx.say(tostring(ngx.headers_sent))`, wantStatus: 200, wantBody: "false\ntrue\n"},
		{name: "ngx.send_headers", script: `ngx.status = 202
ngx.header["X-A"] = "1"
ngx.say(ngx.send_headers())
ngx.say(ngx.send_headers())`, wantStatus: 202, wantBody: "1\nnilheader already sent\n",
			wantHeader: map[string][]string{"X-A": {"1"}}},
		{name: "ngx.var", request: "GET /t?a=1&b=x%20y&A=3 HTTP/1.1\r\nHost: Example.COM:1234\r\nUser-Agent: ua-test\r\nX-Custom-Header: v1\r\n\r\n",
			script: `for _, k in ipairs{"server_port", "remote_addr", "host", "http_host", "http_user_agent",
  "http_x_custom_header", "uri", "request_uri", "args", "arg_a", "arg_b", "arg_zz",
  "request_method", "scheme", "server_name", "HTTP_USER_AGENT"} do
  ngx.say(k, "=", tostring(ngx.var[k]))
end`, wantStatus: 200, wantBody: "server_port=$PORT\nremote_addr=127.0.0.1\nhost=example.com\nhttp_host=Example.COM:1234\n" +
				"http_user_agent=ua-test\nhttp_x_custom_header=v1\nuri=/t\nrequest_uri=/t?a=1&b=x%20y&A=3\nargs=a=1&b=x%20y&A=3\n" +
				"arg_a=1\narg_b=x%20y\narg_zz=nil\nrequest_method=GET\nscheme=http\nserver_name=localhost\nHTTP_USER_AGENT=ua-test\n"},
		{name: "ngx.var no args", script: `ngx.say(tostring(ngx.var.args), " ", tostring(ngx.var.arg_a), " ", ngx.var.request_uri)`,
			wantStatus: 200, wantBody: "nil nil /t\n"},
		{name: "ngx.var POST", request: "POST /t HTTP/1.1\r\nHost: %s\r\nContent-Length: 3\r\nContent-Type: text/x\r\n\r\nabc",
			script:     `ngx.say(ngx.var.request_method, " ", ngx.req.get_method(), " ", ngx.var.content_type, " ", ngx.var.content_length)`,
			wantStatus: 200, wantBody: "POST POST text/x 3\n"},
		{name: "ngx.req.get_headers", request: "GET /t HTTP/1.1\r\nHost: %s\r\nContent-Type: text/x\r\nX-Custom-Header: v1\r\nX-Multi: a\r\nX-Multi: b\r\n\r\n",
			script: `local h = ngx.req.get_headers()
ngx.say(h["content-type"], " ", h["Content-Type"], " ", h.content_type, " ", h["X-Custom-Header"], " ", h.x_custom_header)
local keys = {}
for k in pairs(h) do keys[#keys + 1] = k end
table.sort(keys)
ngx.say(table.concat(keys, ","))
ngx.say(type(h["x-multi"]), " ", table.concat(h["x-multi"], "|"))
ngx.say(tostring(h.nope))`,
			wantStatus: 200, wantBody: "text/x text/x text/x v1 v1\ncontent-type,host,x-custom-header,x-multi\ntable a|b\nnil\n"},
		{name: "get_method http_version 1.1", script: `ngx.say(ngx.req.get_method(), " ", ngx.req.http_version())`,
			wantStatus: 200, wantBody: "GET 1.1\n"},
		{name: "http_version 1.0", request: "GET /t HTTP/1.0\r\nHost: %s\r\n\r\n",
			script: `ngx.say(ngx.req.http_version())`, wantStatus: 200, wantBody: "1\n"},
		{name: "ngx.null", script: `ngx.say(ngx.null)
ngx.say(tostring(ngx.null))
ngx.say(type(ngx.null), " ", tostring(ngx.null == ngx.null), " ", tostring(ngx.null == nil))`,
			wantStatus: 200, wantBody: "null\nuserdata: NULL\nuserdata true false\n"},
		{name: "ngx.ctx", script: `ngx.ctx.a = 1
local function f() return ngx.ctx.a end
ngx.say(f(), " ", type(ngx.ctx))
ngx.ctx = {b = 2}
ngx.say(tostring(ngx.ctx.a), " ", ngx.ctx.b)`, wantStatus: 200, wantBody: "1 table\nnil 2\n"},
		{name: "ngx.config", script: `ngx.say(type(ngx.config.ngx_lua_version), " ", ngx.config.ngx_lua_version, " ", tostring(ngx.config.debug), " ", ngx.config.subsystem)`,
			wantStatus: 200, wantBody: "number 10023 true http\n"},
		{name: "ngx.worker", script: `ngx.say(ngx.worker.pid(), " ", type(ngx.worker.pid()), " ", ngx.worker.id(), " ", ngx.worker.count())`,
			wantStatus: 200, wantBody: fmt.Sprintf("%d number 0 1\n", pid)},
		{name: "constants", script: `ngx.say(ngx.OK, " ", ngx.ERROR, " ", ngx.AGAIN, " ", ngx.DONE, " ", ngx.DECLINED, " ", ngx.HTTP_OK, " ", ngx.HTTP_CLOSE, " ", ngx.HTTP_SWITCHING_PROTOCOLS, " ", ngx.ERR, " ", ngx.DEBUG)`,
			wantStatus: 200, wantBody: "0 -1 -2 -4 -5 200 444 101 4 8\n"},
		{name: "exit 500 before headers", script: `ngx.header["X-Dropped"] = "1"
ngx.exit(500)
ngx.log(ngx.ERR, "after exit")`, wantStatus: 500,
			bodyHas:    []string{"<html>\r\n<head><title>500 Internal Server Error</title></head>", "<center><h1>500 Internal Server Error</h1></center>"},
			wantHeader: map[string][]string{"Content-Type": {"text/html"}}, notLog: []string{"after exit"}},
		{name: "exit 404 before headers", script: `return ngx.exit(ngx.HTTP_NOT_FOUND)`, wantStatus: 404,
			bodyHas: []string{"<center><h1>404 Not Found</h1></center>"}},
		{name: "exit 200 after say", script: `ngx.say("hi")
ngx.exit(200)
ngx.say("not sent")`, wantStatus: 200, wantBody: "hi\n"},
		{name: "exit OK after say", script: `ngx.say("hi")
ngx.exit(ngx.OK)
ngx.say("not sent")`, wantStatus: 200, wantBody: "hi\n"},
		{name: "exit inside pcall does not return", script: `pcall(function() ngx.exit(403) end)
ngx.log(ngx.ERR, "after exit")`, wantStatus: 403, bodyHas: []string{"403 Forbidden"}, notLog: []string{"after exit"}},
		{name: "runtime error before output", script: `local t = nil
t.x = 1`, wantStatus: 500, bodyHas: []string{"<center><h1>500 Internal Server Error</h1></center>"},
			wantLog: []string{fmt.Sprintf(`(?m)^\d{4}/\d\d/\d\d \d\d:\d\d:\d\d \[error\] %d#%d: \*\d+ lua entry thread aborted: runtime error: \S*t\.lua:2: .*\nstack traceback:\n(.*\n)*.*`+tail+`$`, pid, pid)}},
		{name: "runtime error in LuaJIT's words", script: `local t = nil
local y = t.x`, wantStatus: 500, bodyHas: []string{"500 Internal Server Error"},
			wantLog: []string{`lua entry thread aborted: runtime error: \S*t\.lua:2: attempt to index local 't' \(a nil value\)\nstack traceback:\ncoroutine 0:\n\t\S*t\.lua: in main chunk, client`}},
		{name: "user thread error in LuaJIT's words", script: `local th = ngx.thread.spawn(function() f() end)
ngx.say((select(2, ngx.thread.wait(th)):match("t%.lua:.*")))`, wantStatus: 200, wantBody: "t.lua:1: attempt to call global 'f' (a nil value)\n",
			wantLog: []string{`lua user thread aborted: runtime error: \S*t\.lua:1: attempt to call global 'f' \(a nil value\)\nstack traceback:\n`}},
		{name: "error() before output", script: `error("boom")`, wantStatus: 500, bodyHas: []string{"500 Internal Server Error"},
			wantLog: []string{`\[error\] \d+#\d+: \*\d+ lua entry thread aborted: runtime error: \S*t\.lua:1: boom\nstack traceback:\n`}},
		{name: "runtime error after output", script: `ngx.say("partial")
ngx.flush(true)
error("boom")`, wantStatus: 200, wantBody: "partial\n", cutShort: true,
			wantLog: []string{`\[error\] \d+#\d+: \*\d+ lua entry thread aborted: runtime error: \S*t\.lua:3: boom\nstack traceback:\n`}},
	})
}

// TestNgxExit444 checks that ngx.exit(444) closes the connection without a response and that
// the handler stops there.
func TestNgxExit444(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, script string }{
		{"before output", `ngx.header["X-A"] = "1"
ngx.exit(444)
ngx.log(ngx.ERR, "after exit")`},
		{"return ngx.exit", `do return ngx.exit(ngx.HTTP_CLOSE) end
ngx.log(ngx.ERR, "after exit")`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ts := serveScript(t, "t.lua", tc.script)
			c := ts.dial(t)
			fmt.Fprintf(c, getT, ts.addr)
			_ = c.SetReadDeadline(time.Now().Add(waitTimeout))
			b, err := io.ReadAll(c)
			if err != nil && !isReset(err) {
				t.Fatal(err)
			}
			if len(b) != 0 {
				t.Errorf("got %q, want no response bytes", b)
			}
			if strings.Contains(ts.log.String(), "after exit") {
				t.Errorf("the handler went on after ngx.exit(444)")
			}
		})
	}
}

// TestNgxExitAfterUpgrade: after the 101, ngx.exit ends the handler and closes the connection.
func TestNgxExitAfterUpgrade(t *testing.T) {
	t.Parallel()
	for _, status := range []string{"444", "ngx.OK", "500", "ngx.ERROR"} {
		t.Run(status, func(t *testing.T) {
			t.Parallel()
			ts := serveScript(t, "t.lua", `local wb, err = require("resty.websocket.server"):new()
if not wb then ngx.log(ngx.ERR, "failed: ", err) return ngx.exit(444) end
wb:send_text("before")
ngx.exit(`+status+`)
ngx.log(ngx.ERR, "after exit")
wb:send_text("after")`)
			c := ts.upgrade(t, "/t")
			got := c.readAll(t)
			if want := serverFrame(true, 0x1, []byte("before")); !bytes.Equal(got, want) {
				t.Errorf("after the 101: %q, want %q and then the connection closed", got, want)
			}
			if l := ts.log.lines("[error]"); len(l) > 0 {
				t.Errorf("error lines: %q", l)
			}
		})
	}
}
