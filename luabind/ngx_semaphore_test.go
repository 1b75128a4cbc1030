package luabind

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/luaws/luaws/errlog"
)

// rtServer serves several inline handlers (path -> Lua source) from one Host, so that
// requests to different locations share the worker's Lua state as under nginx. modules are
// Lua files (name -> source) put on lua_package_path. It returns the base URL, the host and
// its error log.
func rtServer(t testing.TB, cfg Config, modules, locations map[string]string) (string, *Host, *lockedBuffer) {
	t.Helper()
	if len(modules) > 0 {
		dir := t.TempDir()
		for name, src := range modules {
			if err := os.WriteFile(filepath.Join(dir, name+".lua"), []byte(src), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		cfg.LuaPath = dir + "/?.lua;;"
	}
	logs := &lockedBuffer{}
	if cfg.Log == nil {
		cfg.Log = errlog.New(logs, errlog.Info)
	}
	h, err := NewHost(cfg)
	if err != nil {
		t.Fatalf("NewHost: %v", err)
	}
	mux := http.NewServeMux()
	for path, src := range locations {
		hd, err := h.InlineHandler("content_by_lua("+strings.TrimPrefix(path, "/")+")", []byte(src))
		if err != nil {
			t.Fatalf("InlineHandler %s: %v", path, err)
		}
		mux.Handle(path, hd)
	}
	srv := httptest.NewUnstartedServer(mux)
	srv.Config.ConnContext = h.ConnContext
	srv.Start()
	t.Cleanup(srv.Close)
	return srv.URL, h, logs
}

// waitFor polls url until it answers want (a state another request reaches, such as "a
// waiter is queued"), failing after a generous deadline; no timing decides pass or fail.
func waitFor(t testing.TB, url, want string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	var got string
	for time.Now().Before(deadline) {
		if got = get(t, http.DefaultClient, url); got == want {
			return
		}
		time.Sleep(2 * time.Millisecond)
	}
	t.Fatalf("GET %s: %q, waited for %q", url, got, want)
}

// TestSemaphore: lua-resty-core's ngx.semaphore, one case per documented behaviour, return
// value and error text. Expected values were printed by Debian's nginx 1.22 +
// lua-nginx-module 0.10.23 + lua-resty-core 0.1.25 running the same Lua.
func TestSemaphore(t *testing.T) {
	const pre = `local semaphore = require "ngx.semaphore"
		-- try: pcall's status and message, the message without a "chunk:line: " position
		local function try(f, ...) local r = {pcall(f, ...)} return tostring(r[1]) .. " " .. tostring(r[2]):gsub("^[^:]*:%d+: ", "") end
		`
	for _, tc := range []struct{ name, src, want string }{
		{"new() has no resources",
			`local s, err = semaphore.new() ngx.say(s:count(), " ", tostring(err))`, "0 nil\n"},
		{"new(n) has n resources", `ngx.say(semaphore.new(2):count())`, "2\n"},
		{"new(1.5) truncates to 1", `ngx.say(semaphore.new(1.5):count())`, "1\n"},
		{"new with a non-number is new(0)", `ngx.say(semaphore.new("x"):count())`, "0\n"},
		{"new returns a table (a Lua object, as lua-resty-core's)", `ngx.say(type(semaphore.new()))`, "table\n"},
		{"new(-1) raises", `ngx.say(try(semaphore.new, -1))`, "false no negative number\n"},
		{"wait(0) with no resource: nil, timeout",
			`local s = semaphore.new() local ok, err = s:wait(0) ngx.say(tostring(ok), " ", err)`, "nil timeout\n"},
		{"wait(t > 0) timing out: false, timeout",
			`local s = semaphore.new() local ok, err = s:wait(0.01) ngx.say(tostring(ok), " ", err)`, "false timeout\n"},
		{"wait with a resource: true, takes it",
			`local s = semaphore.new(2) local ok, err = s:wait(0) ngx.say(tostring(ok), " ", tostring(err), " ", s:count())`,
			"true nil 1\n"},
		{"wait(t > 0) with a resource returns at once",
			`local s = semaphore.new(1) ngx.say(tostring(s:wait(10)), " ", s:count())`, "true 0\n"},
		{"wait(-1) raises", `local s = semaphore.new() ngx.say(try(s.wait, s, -1))`, "false no negative number\n"},
		{"wait() without a timeout raises (lua-resty-core computes nil * 1000)",
			`local s = semaphore.new(1) ngx.say((pcall(s.wait, s)))`, "false\n"},
		{"wait on a non-semaphore raises", `local s = semaphore.new() ngx.say(try(s.wait, nil, 0))`, "false not a semaphore instance\n"},
		{"post() adds one and returns true",
			`local s = semaphore.new() ngx.say(tostring(s:post()), " ", s:count())`, "true 1\n"},
		{"post(n) adds n", `local s = semaphore.new() s:post() ngx.say(tostring(s:post(3)), " ", s:count())`, "true 4\n"},
		{"post(1.5) is accepted", `local s = semaphore.new() ngx.say(tostring(s:post(1.5)))`, "true\n"},
		{"post(0) raises", `local s = semaphore.new() ngx.say(try(s.post, s, 0))`, "false positive number required\n"},
		{"post(-1) raises", `local s = semaphore.new() ngx.say(try(s.post, s, -1))`, "false positive number required\n"},
		{"post on a non-semaphore raises", `local s = semaphore.new() ngx.say(try(s.post, {}))`, "false not a semaphore instance\n"},
		{"count on a non-semaphore raises", `local s = semaphore.new() ngx.say(try(s.count, 1))`, "false not a semaphore instance\n"},
		{"count is minus the number of waiters",
			`local s = semaphore.new()
			 local t = ngx.thread.spawn(function() ngx.say("waiter ", tostring(s:wait(1))) end)
			 ngx.say("one waiter ", s:count())
			 s:post(2)
			 ngx.say("after post(2) ", s:count())
			 ngx.thread.wait(t)
			 ngx.say("after the wait ", s:count())`,
			"one waiter -1\nafter post(2) 1\nwaiter true\nafter the wait 1\n"},
		{"waiters are woken first in, first out",
			`local s, done = semaphore.new(), semaphore.new()
			 local order = {}
			 for i = 1, 3 do ngx.thread.spawn(function() local ok = s:wait(5) order[#order+1] = i .. tostring(ok) done:post() end) end
			 for i = 1, 3 do s:post(1) done:wait(5) end
			 ngx.say(table.concat(order, ","))`,
			"1true,2true,3true\n"},
		{"post(n) wakes n waiters, which run in the order they waited",
			`local s = semaphore.new()
			 local order = {}
			 local ts = {}
			 for i = 1, 3 do ts[i] = ngx.thread.spawn(function() s:wait(5) order[#order+1] = i end) end
			 s:post(3)
			 for i = 1, 3 do ngx.thread.wait(ts[i]) end
			 ngx.say(table.concat(order, ","))`,
			"1,2,3\n"},
		{"a killed waiter leaves the queue and does not take a post",
			`local s = semaphore.new()
			 local t1 = ngx.thread.spawn(function() s:wait(5) ngx.say("killed ran") end)
			 local t2 = ngx.thread.spawn(function() ngx.say("t2 ", tostring(s:wait(5))) end)
			 ngx.say("two waiters ", s:count())
			 ngx.thread.kill(t1)
			 ngx.say("after kill ", s:count())
			 s:post(1)
			 ngx.thread.wait(t2)
			 ngx.say("after post ", s:count())
			 local t3 = ngx.thread.spawn(function() s:wait(5) end)
			 ngx.thread.kill(t3) s:post(1)
			 ngx.say("only waiter killed, then post: ", s:count())`,
			"two waiters -2\nafter kill -1\nt2 true\nafter post 0\nonly waiter killed, then post: 1\n"},
		{"a timed-out waiter leaves the queue",
			`local s = semaphore.new()
			 ngx.say(tostring(s:wait(0.001)), " ", s:count())
			 s:post() ngx.say(s:count())`,
			"false 0\n1\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			url, logs := threadTestServer(t, Config{}, pre+tc.src)
			if got := get(t, http.DefaultClient, url); got != tc.want {
				t.Errorf("body = %q, want %q\nlog:\n%s", got, tc.want, logs)
			}
		})
	}
}

// semModule is a module-level semaphore, shared by every request of the worker's state.
var semModule = map[string]string{"semmod": `
local semaphore = require "ngx.semaphore"
return { sem = semaphore.new(0), mutex = semaphore.new(1), inside = 0, entered = 0 }
`}

// TestSemaphoreAcrossRequests: a post from one request wakes a waiter in another request of
// the same worker state (how a chat handler wakes every connection), in FIFO order.
func TestSemaphoreAcrossRequests(t *testing.T) {
	base, _, logs := rtServer(t, Config{}, semModule, map[string]string{
		"/wait":  `local m = require "semmod" local ok, err = m.sem:wait(10) ngx.print(tostring(ok), " ", tostring(err), " ", ngx.var.arg_id or "")`,
		"/post":  `local m = require "semmod" ngx.print(tostring(m.sem:post(tonumber(ngx.var.arg_n) or 1)))`,
		"/count": `local m = require "semmod" ngx.print(m.sem:count())`,
	})
	t.Run("post wakes a waiter of another request", func(t *testing.T) {
		res := make(chan string, 1)
		go func() { res <- get(t, http.DefaultClient, base+"/wait") }()
		waitFor(t, base+"/count", "-1")
		if got := get(t, http.DefaultClient, base+"/post"); got != "true" {
			t.Errorf("post: %q", got)
		}
		if got := <-res; got != "true nil " {
			t.Errorf("waiter got %q, want %q\nlog:\n%s", got, "true nil ", logs)
		}
	})
	t.Run("waiters of different requests are woken in FIFO order", func(t *testing.T) {
		const n = 5
		res := make(chan string, n)
		for i := 1; i <= n; i++ {
			go func() { res <- get(t, http.DefaultClient, fmt.Sprintf("%s/wait?id=%d", base, i)) }()
			waitFor(t, base+"/count", fmt.Sprint(-i))
		}
		for i := 1; i <= n; i++ {
			get(t, http.DefaultClient, base+"/post")
			if got, want := <-res, fmt.Sprintf("true nil %d", i); got != want {
				t.Errorf("post #%d woke %q, want %q", i, got, want)
			}
		}
	})
}

// TestSemaphoreConcurrent: many requests use one module-level semaphore as a mutex around a
// critical section that blocks (ngx.sleep); run with -race.
func TestSemaphoreConcurrent(t *testing.T) {
	for _, cfg := range []struct {
		name string
		cfg  Config
	}{{"one worker", Config{}}, {"four workers", Config{Workers: 4}}} {
		t.Run(cfg.name, func(t *testing.T) {
			base, _, logs := rtServer(t, cfg.cfg, semModule, map[string]string{
				"/t": `local m = require "semmod"
					local ok, err = m.mutex:wait(30)
					if not ok then ngx.print("wait: ", err) return end
					m.inside = m.inside + 1
					local seen = m.inside
					ngx.sleep(0)
					m.inside = m.inside - 1
					m.entered = m.entered + 1
					m.mutex:post()
					ngx.print(seen == 1 and "ok" or "two inside")`,
				"/entered": `local m = require "semmod" ngx.print(m.entered)`,
			})
			const clients, each = 16, 25
			c := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: clients}}
			var wg sync.WaitGroup
			for i := 0; i < clients; i++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for j := 0; j < each; j++ {
						if got := get(t, c, base+"/t"); got != "ok" {
							t.Errorf("request: %q", got)
							return
						}
					}
				}()
			}
			wg.Wait()
			if cfg.cfg.Workers <= 1 {
				if got := get(t, c, base+"/entered"); got != fmt.Sprint(clients*each) {
					t.Errorf("entered %s times, want %d", got, clients*each)
				}
			}
			if strings.Contains(logs.String(), "[error]") {
				t.Errorf("errors logged:\n%.2000s", logs)
			}
		})
	}
}

// TestSharedState: with the code cache on (the default) every request of a worker runs in
// one Lua state, so module-level tables (and the semaphores in them) are shared, as under
// OpenResty; with CodeCacheOff each request starts afresh. Globals: lua-nginx-module 0.10.23
// (Debian's, and every release since the "_G write guard") runs request code with _G as its
// environment, so a global written by one request is seen by the next, and the first write
// of a new global logs a warning (t/158-global-var.t; observed on nginx).
func TestSharedState(t *testing.T) {
	modules := map[string]string{"modstate": `local _M = { hits = 0 } return _M`}
	locs := map[string]string{
		"/module": `local m = require "modstate" m.hits = m.hits + 1 ngx.print(m.hits)`,
		"/global": `local before = tostring(leaked) leaked = (leaked or 0) + 1 ngx.print(before, " ", tostring(_G.leaked))`,
	}
	for _, tc := range []struct {
		name string
		cfg  Config
		path string
		want []string // bodies of successive requests
	}{
		{"module tables are shared by the worker's requests", Config{}, "/module", []string{"1", "2", "3"}},
		{"module tables are per request with the code cache off", Config{CodeCacheOff: true}, "/module", []string{"1", "1", "1"}},
		{"globals are shared by the worker's requests, the first write warned about", Config{}, "/global",
			[]string{"nil 1", "1 2", "2 3"}},
		{"globals are per request with the code cache off", Config{CodeCacheOff: true}, "/global", []string{"nil 1", "nil 1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			base, _, logs := rtServer(t, tc.cfg, modules, locs)
			for i, want := range tc.want {
				if got := get(t, http.DefaultClient, base+tc.path); got != want {
					t.Errorf("request %d: %q, want %q", i+1, got, want)
				}
			}
			if tc.path == "/global" && !tc.cfg.CodeCacheOff {
				const warn = "writing a global Lua variable ('leaked') which may lead to race conditions between concurrent requests, so prefer the use of 'local' variables"
				if n := strings.Count(logs.String(), warn); n != 1 {
					t.Errorf("warning logged %d times, want once: %q\nlog:\n%s", n, warn, logs)
				}
			}
		})
	}
}
