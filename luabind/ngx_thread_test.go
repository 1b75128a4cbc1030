package luabind

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/luaws/luaws/errlog"
)

// threadTestServer serves Lua source at /t in-process and returns its URL and error log.
func threadTestServer(t testing.TB, cfg Config, src string) (string, *lockedBuffer) {
	t.Helper()
	logs := &lockedBuffer{}
	cfg.Log = errlog.New(logs, errlog.Info)
	h, err := NewHost(cfg)
	if err != nil {
		t.Fatalf("NewHost: %v", err)
	}
	hd, err := h.InlineHandler("t.lua", []byte(src))
	if err != nil {
		t.Fatalf("InlineHandler: %v", err)
	}
	srv := httptest.NewUnstartedServer(hd)
	srv.Config.ConnContext = h.ConnContext
	srv.Start()
	t.Cleanup(srv.Close)
	return srv.URL, logs
}

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

func get(t testing.TB, c *http.Client, url string) string {
	t.Helper()
	resp, err := c.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

func TestLightThreads(t *testing.T) {
	for _, tc := range []struct {
		name, src, want, log string
	}{
		{"spawn runs at once until it blocks",
			`local t = ngx.thread.spawn(function() ngx.say("child 1") ngx.sleep(0.01) ngx.say("child 2") end)
			 ngx.say("parent") ngx.thread.wait(t)`,
			"child 1\nparent\nchild 2\n", ""},
		{"wait returns the first to finish",
			`local a = ngx.thread.spawn(function() ngx.sleep(0.1) return "a" end)
			 local b = ngx.thread.spawn(function() ngx.sleep(0.01) return "b", 2 end)
			 ngx.say(ngx.thread.wait(a, b)) ngx.say(ngx.thread.wait(a))`,
			"trueb2\ntruea\n", ""},
		{"a failing thread: wait gives false and the error, logged, siblings go on",
			`local a = ngx.thread.spawn(function() error("boom", 0) end)
			 local b = ngx.thread.spawn(function() ngx.sleep(0.01) return "fine" end)
			 ngx.say(ngx.thread.wait(a)) ngx.say(ngx.thread.wait(b))`,
			"falseboom\ntruefine\n", "lua user thread aborted: runtime error: boom"},
		{"a thread dead of error(): wait gives error()'s argument, as lua-nginx-module",
			`local a = ngx.thread.spawn(function() error("bad bad!") end)
			 local b = ngx.thread.spawn(function() ngx.sleep(0.001) error("io") end)
			 local c = ngx.thread.spawn(function() local x return x.y end)
			 local ok, e = ngx.thread.wait(a) ngx.say(ok, " ", e)
			 ok, e = ngx.thread.wait(b) ngx.say(ok, " ", e)
			 ok, e = ngx.thread.wait(c) ngx.say(ok, " ", (e:gsub("^.-:%d+: ", "")))`,
			"false bad bad!\nfalse io\nfalse attempt to index local 'x' (a nil value)\n", "lua user thread aborted: runtime error: "},
		{"coroutine.yield in light threads: time slicing, as lua-nginx-module's scheduler",
			`local yield = coroutine.yield
			 local function f() ngx.say("f 1") yield() ngx.say("f 2") yield() ngx.say("f 3") end
			 local self = coroutine.running()
			 ngx.say("0") yield(self) ngx.say("1") ngx.thread.spawn(f) ngx.say("2") yield() ngx.say("3") yield() ngx.say("4")
			 ngx.say(coroutine.status(self), " ", coroutine.running() == self)`,
			"0\n1\nf 1\n2\nf 2\n3\nf 3\n4\nrunning true\n", ""},
		{"spawn posts the spawner: a grandchild that ends lets the entry thread go on first",
			`local function g() ngx.say("g") end
			 local function f() ngx.say("f 1") ngx.thread.spawn(g) ngx.say("f 2") end
			 ngx.thread.spawn(f) ngx.say("entry")`,
			"f 1\ng\nentry\nf 2\n", ""},
		{"posted threads run in the order they yielded",
			`local function slice(n) return function() ngx.say(n, " 1") coroutine.yield() ngx.say(n, " 2") coroutine.yield() ngx.say(n, " 3") end end
			 ngx.thread.spawn(slice("f")) ngx.thread.spawn(slice("g")) ngx.say("done")`,
			"f 1\ng 1\nf 2\ndone\ng 2\nf 3\ng 3\n", ""},
		{"coroutine.yield with nothing posted goes on at once and returns nothing",
			`ngx.say(select("#", coroutine.yield(1, 2)))`,
			"0\n", ""},
		{"a user thread blocked in a coroutine it resumed is normal",
			`local co
			 local t = ngx.thread.spawn(function() co = coroutine.running() coroutine.resume(coroutine.create(function() ngx.sleep(0.01) end)) end)
			 ngx.say(coroutine.status(co)) ngx.thread.wait(t) ngx.say(coroutine.status(co))`,
			"normal\ndead\n", ""},
		{"a thread spawned in a coroutine is that coroutine's to wait on and kill",
			`local t
			 coroutine.resume(coroutine.create(function() t = ngx.thread.spawn(function() ngx.sleep(0.01) end) end))
			 local _, err = pcall(ngx.thread.wait, t)
			 ngx.say(err:match("only the parent.*"))
			 ngx.say(select(2, ngx.thread.kill(t)))`,
			"only the parent coroutine can wait on the thread\nkiller not parent\n", ""},
		{"kill stops a busy loop",
			`local t = ngx.thread.spawn(function() local i = 0 while true do i = i + 1 if i % 1000 == 0 then ngx.sleep(0) end end end)
			 ngx.say(ngx.thread.kill(t)) ngx.say(ngx.thread.kill(t))`,
			"1\nnilalready waited or killed\n", ""},
		{"kill stops a thread inside a user pcall",
			`local t = ngx.thread.spawn(function() pcall(function() while true do ngx.sleep(0.001) end end) ngx.say("escaped") end)
			 ngx.sleep(0.01) ngx.say(ngx.thread.kill(t)) ngx.sleep(0.02)`,
			"1\n", ""},
		{"kill interrupts blocked socket I/O",
			`-- /hang (this same handler) answers only after 2 s, so the thread stays blocked
			 -- in connect, send or receive until it is killed, however slow the machine
			 if ngx.var.uri == "/hang" then ngx.sleep(2) return end
			 local t = ngx.thread.spawn(function()
			   local s = ngx.socket.tcp() s:settimeout(60000)
			   assert(s:connect("127.0.0.1", tonumber(ngx.var.server_port)))
			   s:send("GET /hang HTTP/1.1\r\nHost: x\r\n\r\n") return s:receive() end)
			 ngx.sleep(0.05) ngx.say(ngx.thread.kill(t))`,
			"1\n", ""},
		{"only the parent may kill",
			`local t2
			 local t1 = ngx.thread.spawn(function() t2 = ngx.thread.spawn(function() ngx.sleep(0.05) end) end)
			 ngx.sleep(0) -- t1, posted when it spawned t2, goes on first
			 ngx.say(ngx.thread.kill(t2))`,
			"nilkiller not parent\n", ""},
		{"blocking inside pcall, metamethods, sort comparators, gsub callbacks, coroutines",
			`local ok, v = pcall(function() ngx.sleep(0.001) return 1 end)
			 local m = setmetatable({}, {__index = function(_, k) ngx.sleep(0.001) return k end})
			 local tb = {3, 1, 2} table.sort(tb, function(a, b) ngx.sleep(0) return a < b end)
			 local g = ("ab"):gsub(".", function(c) ngx.sleep(0) return c:upper() end)
			 local co = coroutine.wrap(function() ngx.sleep(0.001) coroutine.yield(5) end)
			 ngx.say(ok, v, m.x, table.concat(tb), g, co())`,
			"true1x123AB5\n", ""},
		{"the request ends when every thread is done",
			`ngx.thread.spawn(function() ngx.sleep(0.02) ngx.say("late") end) ngx.say("entry done")`,
			"entry done\nlate\n", ""},
		{"ngx.exit kills every thread",
			`ngx.thread.spawn(function() ngx.sleep(0.05) ngx.say("never") end) ngx.say("bye") ngx.exit(200)`,
			"bye\n", ""},
		{"ngx.sleep blocks only its thread",
			`local t = ngx.thread.spawn(function() ngx.sleep(0.05) return "slept" end)
			 ngx.say("not blocked") ngx.say(ngx.thread.wait(t))`,
			"not blocked\ntrueslept\n", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			url, logs := threadTestServer(t, Config{}, tc.src)
			got := get(t, http.DefaultClient, url)
			if got != tc.want {
				t.Errorf("body = %q, want %q\nlog:\n%s", got, tc.want, logs)
			}
			if tc.log != "" && !strings.Contains(logs.String(), tc.log) {
				t.Errorf("error log lacks %q:\n%s", tc.log, logs)
			}
		})
	}
}

// TestThreadsDoNotLeak: after 100,000 requests that spawned threads, the goroutine count
// returns to its baseline.
func TestThreadsDoNotLeak(t *testing.T) {
	if testing.Short() {
		t.Skip("100,000 requests")
	}
	url, logs := threadTestServer(t, Config{}, `
		local a = ngx.thread.spawn(function() return 1 end)
		local b = ngx.thread.spawn(function() ngx.sleep(0) return 2 end)
		local c = ngx.thread.spawn(function() ngx.sleep(10) end)
		ngx.thread.wait(a, b) ngx.thread.kill(c) ngx.print("ok")`)
	c := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 16}}
	get(t, c, url)
	c.CloseIdleConnections()
	time.Sleep(100 * time.Millisecond)
	base := runtime.NumGoroutine()
	const n, workers = 100000, 8
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < n/workers; i++ {
				if got := get(t, c, url); got != "ok" {
					t.Errorf("body %q", got)
					return
				}
			}
		}()
	}
	wg.Wait()
	c.CloseIdleConnections() // keep-alive connections are not threads
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > base && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if g := runtime.NumGoroutine(); g > base {
		t.Errorf("%d goroutines after %d requests, baseline %d", g, n, base)
	}
	if strings.Contains(logs.String(), "[error]") {
		t.Errorf("errors logged:\n%.2000s", logs)
	}
}

// Benchmarks: the cost of a blocking operation (ngx.sleep(0) releases and retakes the baton)
// with one and with two live threads, and of spawn + wait; a plain Lua loop is the baseline.
func BenchmarkLightThreads(b *testing.B) {
	for _, bc := range []struct{ name, body string }{
		{"baseline-loop", `local x = 0 for i = 1, N do x = x + i end`},
		{"sleep0-one-thread", `for i = 1, N do ngx.sleep(0) end`},
		{"sleep0-two-threads", `local t = ngx.thread.spawn(function() for i = 1, N do ngx.sleep(0) end end)
			for i = 1, N do ngx.sleep(0) end ngx.thread.wait(t)`},
		{"spawn-wait", `local f = function() return 1 end for i = 1, N do ngx.thread.wait(ngx.thread.spawn(f)) end`},
	} {
		b.Run(bc.name, func(b *testing.B) {
			h, err := NewHost(Config{Log: errlog.New(io.Discard, errlog.Err)})
			if err != nil {
				b.Fatal(err)
			}
			src := "local N = " + itoa(b.N) + "\n" + bc.body
			b.ResetTimer()
			if err := h.RunChunk(context.Background(), "bench.lua", []byte(src), nil); err != nil {
				b.Fatal(err)
			}
		})
	}
}

func itoa(n int) string { return fmtNumber(float64(n)) }

// TestExitInThreadCutsBodyRead: ngx.exit in a user thread ends the request while the entry
// thread still waits on a request body the client never sends (094-uthread-exit TEST 11,
// 12): the response completes and nothing is logged at error.
func TestExitInThreadCutsBodyRead(t *testing.T) {
	for _, tc := range []struct{ name, wait string }{
		{"ngx.req.read_body", `ngx.req.read_body()`},
		{"reqsock:receive", `local sock = ngx.req.socket() sock:settimeout(60000) sock:receive(1024)`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			url, logs := threadTestServer(t, Config{}, `
				ngx.thread.spawn(function() ngx.say("in thread") ngx.sleep(0.01) ngx.exit(0) end)
				ngx.say("after") `+tc.wait+` ngx.say("end")`)
			conn, err := net.Dial("tcp", strings.TrimPrefix(url, "http://"))
			if err != nil {
				t.Fatalf("dial: %v", err)
			}
			defer conn.Close()
			_ = conn.SetDeadline(time.Now().Add(30 * time.Second)) // a hang fails, not a timing
			if _, err := io.WriteString(conn, "POST /t HTTP/1.1\r\nHost: x\r\nContent-Length: 1024\r\n\r\n"); err != nil {
				t.Fatalf("write: %v", err)
			}
			resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
			if err != nil {
				t.Fatalf("read response: %v", err)
			}
			body, err := io.ReadAll(resp.Body)
			if err != nil {
				t.Fatalf("read body: %v", err)
			}
			if got, want := string(body), "in thread\nafter\n"; got != want {
				t.Errorf("body = %q, want %q", got, want)
			}
			if strings.Contains(logs.String(), "[error]") {
				t.Errorf("error logged:\n%s", logs)
			}
		})
	}
}
