package luabind

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/luaws/luaws/errlog"
)

// waitLog polls the error log until it holds every string of want, failing after a generous
// deadline (timer callbacks run on their own; nothing here depends on how fast).
func waitLog(t testing.TB, logs *lockedBuffer, want ...string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		s := logs.String()
		var missing []string
		for _, w := range want {
			if !strings.Contains(s, w) {
				missing = append(missing, w)
			}
		}
		if len(missing) == 0 {
			return
		}
		if time.Now().After(deadline) {
			for _, m := range missing {
				t.Errorf("error log lacks %q", m)
			}
			t.Logf("error log:\n%.4000s", s)
			return
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// timerServer serves src at /t and "hello" at /hello from one host, shut down (timers fired
// prematurely) when the test ends.
func timerServer(t *testing.T, src string) (string, *Host, *lockedBuffer) {
	t.Helper()
	base, h, logs := rtServer(t, Config{}, nil, map[string]string{"/t": src, "/hello": `ngx.say("hello")`})
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		h.Shutdown(ctx)
	})
	return base, h, logs
}

// TestTimer: ngx.timer.at/every/running_count/pending_count, one case per documented
// behaviour, return value, log line and error text. Expected values were printed by
// Debian's nginx 1.22 + lua-nginx-module 0.10.23 running the same Lua.
func TestTimer(t *testing.T) {
	const pre = `-- try: pcall's status and message, the message without a "chunk:line: " position
		local function try(f, ...) local r = {pcall(f, ...)} return tostring(r[1]) .. " " .. tostring(r[2]):gsub("^[^:]*:%d+: ", "") end
		local function nop() end
		`
	for _, tc := range []struct {
		name, src, want string
		log             []string // lines the error log comes to hold
		nolog           []string
	}{
		{"at returns 1", `ngx.say(ngx.timer.at(0, nop))`, "1\n", nil, nil},
		{"the callback gets premature = false, then the extra arguments",
			`ngx.timer.at(0, function(premature, a, b, c)
			   ngx.log(ngx.WARN, "cb ", tostring(premature), " ", a, " ", b, " ", tostring(c), " ", select("#", premature, a, b, c))
			 end, "x", 2)`,
			"", []string{"cb false x 2 nil 4"}, nil},
		{"a delay > 0 with no extra arguments",
			`ngx.timer.at(0.001, function(...) ngx.log(ngx.WARN, "delayed ", select("#", ...), " ", tostring(...)) end)`,
			"", []string{"delayed 1 false"}, nil},
		{"a negative delay is accepted", `ngx.say(ngx.timer.at(-1, nop))`, "1\n", nil, nil},
		{"at without a function", `ngx.say(try(ngx.timer.at, 1, "x"))`, "false bad argument #2 to '?' (Lua function expected)\n", nil, nil},
		{"at with one argument", `ngx.say(try(ngx.timer.at, 1))`, "false expecting at least 2 arguments but got 1\n", nil, nil},
		{"at with a non-number delay", `ngx.say(try(ngx.timer.at, "x", nop))`, "false bad argument #1 to '?' (number expected, got string)\n", nil, nil},
		{"at with a nil delay", `ngx.say(try(ngx.timer.at, nil, nop))`, "false bad argument #1 to '?' (number expected, got nil)\n", nil, nil},
		{"every returns 1 and repeats, passing its arguments each time",
			`local n = 0
			 ngx.say(ngx.timer.every(0.001, function(premature, tag) n = n + 1 ngx.log(ngx.WARN, "every ", tag, " ", n, " ", tostring(premature)) end, "T"))`,
			"1\n", []string{"every T 1 false", "every T 2 false", "every T 3 false"}, nil},
		{"every with a zero delay raises", `ngx.say(try(ngx.timer.every, 0, nop))`, "false delay cannot be zero\n", nil, nil},
		{"every with a negative delay is accepted", `ngx.say(ngx.timer.every(-1, nop))`, "1\n", nil, nil},
		{"pending_count and running_count",
			`local semaphore = require "ngx.semaphore"
			 local started, release = semaphore.new(), semaphore.new()
			 ngx.say("before ", ngx.timer.pending_count(), " ", ngx.timer.running_count())
			 ngx.timer.at(0, function() started:post() release:wait(10) end)
			 ngx.timer.at(100, nop)
			 ngx.say("two set ", ngx.timer.pending_count(), " ", ngx.timer.running_count())
			 started:wait(10)
			 ngx.say("one running ", ngx.timer.pending_count(), " ", ngx.timer.running_count())
			 release:post()
			 for i = 1, 10000 do if ngx.timer.running_count() == 0 then break end ngx.sleep(0.001) end
			 ngx.say("done ", ngx.timer.pending_count(), " ", ngx.timer.running_count())`,
			"before 0 0\ntwo set 2 0\none running 1 1\ndone 1 0\n", nil, nil},
		{"an erroring callback is logged and is not fatal",
			`ngx.say(ngx.timer.at(0, function() error("boom") end))
			 ngx.timer.at(0, function() error("boom0", 0) end)
			 ngx.timer.at(0, function() error({}) end)
			 ngx.timer.at(0.01, function() ngx.log(ngx.WARN, "later timer ran") end)
			 ngx.say("request goes on")`,
			"1\nrequest goes on\n",
			[]string{
				"lua entry thread aborted: runtime error: content_by_lua(t):4: boom\nstack traceback:",
				"lua entry thread aborted: runtime error: boom0\n",
				"lua entry thread aborted: runtime error: unknown reason\n",
				", context: ngx.timer",
				"later timer ran",
			}, nil},
		{"a callback may sleep and use cosockets",
			`ngx.timer.at(0, function(premature, port)
			   ngx.sleep(0.001)
			   local s = ngx.socket.tcp()
			   local ok, err = s:connect("127.0.0.1", port)
			   ngx.log(ngx.WARN, "timer connect ", tostring(ok), " ", tostring(err))
			   s:send("GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
			   ngx.log(ngx.WARN, "timer got ", s:receive())
			 end, tonumber(ngx.var.server_port))`,
			"", []string{"timer connect 1 nil", "timer got HTTP/1.1 200 OK"}, nil},
		{"request APIs are disabled in a callback; ngx.ctx and the phase are the timer's",
			`ngx.timer.at(0, function()
			   ngx.log(ngx.WARN, "ctx ", type(ngx.ctx), " phase ", ngx.get_phase())
			   ngx.log(ngx.WARN, "say ", try(ngx.say, "x"))
			   ngx.log(ngx.WARN, "var ", try(function() return ngx.var.uri end))
			   ngx.log(ngx.WARN, "req ", try(ngx.req.get_headers))
			 end)`,
			"", []string{"ctx table phase timer", "say false API disabled in the context of ngx.timer",
				"var false API disabled in the current context", "req false API disabled in the current context"}, nil},
		{"timers that expire together start in the order they were created (lua-nginx-module's 106-timer TEST 22)",
			`local s = ""
			 for i = 1, 20 do
			   ngx.timer.at(0.01, function() s = s .. "[" .. i .. "]" if i == 20 then ngx.log(ngx.WARN, "trace: ", s) end end)
			 end
			 ngx.timer.at(0, function() s = s .. "[z]" end)
			 s = "[m]"`,
			"", []string{"trace: [m][z][1][2][3][4][5][6][7][8][9][10][11][12][13][14][15][16][17][18][19][20]"}, nil},
		{"too many pending timers (lua_max_pending_timers 1024)",
			`local n, last, lerr = 0
			 for i = 1, 1100 do
			   local ok, err = ngx.timer.at(100, nop)
			   if not ok then last, lerr = i, err break end
			   n = n + 1
			 end
			 ngx.say(n, " ", tostring(last), " ", tostring(lerr), " ", ngx.timer.pending_count())`,
			"1024 1025 too many pending timers 1024\n", nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			base, _, logs := timerServer(t, pre+tc.src)
			if got := get(t, http.DefaultClient, base+"/t"); got != tc.want {
				t.Errorf("body = %q, want %q\nlog:\n%s", got, tc.want, logs)
			}
			waitLog(t, logs, tc.log...)
		})
	}
}

// TestTimerShutdown: Host.Shutdown (nginx's graceful exit) runs pending timers at once with
// premature = true and ngx.worker.exiting() true; an every timer runs one last time,
// prematurely; while exiting, timers with a delay are refused with "process exiting" but a
// zero delay is still accepted (lua-nginx-module checks ngx_exiting && delay > 0).
func TestTimerShutdown(t *testing.T) {
	base, h, logs := timerServer(t, `
		ngx.timer.at(100, function(premature)
		  ngx.log(ngx.WARN, "long timer premature=", tostring(premature), " exiting=", tostring(ngx.worker.exiting()))
		  local a, b = ngx.timer.at(0.01, function() end)
		  ngx.log(ngx.WARN, "at(0.01) while exiting: ", tostring(a), " ", tostring(b))
		  local c, d = ngx.timer.every(0.01, function() end)
		  ngx.log(ngx.WARN, "every(0.01) while exiting: ", tostring(c), " ", tostring(d))
		  local e, f = ngx.timer.at(0, function(p) ngx.log(ngx.WARN, "at(0) callback premature=", tostring(p)) end)
		  ngx.log(ngx.WARN, "at(0) while exiting: ", tostring(e), " ", tostring(f))
		end)
		ngx.timer.every(100, function(premature) ngx.log(ngx.WARN, "every premature=", tostring(premature)) end)
		ngx.say(ngx.worker.exiting(), " ", ngx.timer.pending_count())`)
	if got := get(t, http.DefaultClient, base+"/t"); got != "false 2\n" {
		t.Errorf("body = %q, want %q", got, "false 2\n")
	}
	if strings.Contains(logs.String(), "premature") {
		t.Fatalf("a timer ran before shutdown:\n%s", logs)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	h.Shutdown(ctx)
	for _, want := range []string{
		"long timer premature=true exiting=true",
		"every premature=true",
		"at(0.01) while exiting: nil process exiting",
		"every(0.01) while exiting: nil process exiting",
		"at(0) while exiting: 1 nil",
		"at(0) callback premature=false",
	} {
		t.Run(want, func(t *testing.T) { waitLog(t, logs, want) })
	}
	if n := strings.Count(logs.String(), "every premature="); n != 1 {
		t.Errorf("the every timer ran %d times during shutdown, want once", n)
	}
}

// TestWorker: ngx.worker.* (one worker, as nginx's default worker_processes 1).
func TestWorker(t *testing.T) {
	for _, tc := range []struct{ name, src, want string }{
		{"pid is the process id", `ngx.say(type(ngx.worker.pid()), " ", ngx.worker.pid())`, fmt.Sprintf("number %d\n", os.Getpid())},
		{"id is 0", `ngx.say(ngx.worker.id())`, "0\n"},
		{"count is 1", `ngx.say(ngx.worker.count())`, "1\n"},
		{"exiting is false while serving", `ngx.say(ngx.worker.exiting())`, "false\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			url, logs := threadTestServer(t, Config{}, tc.src)
			if got := get(t, http.DefaultClient, url); got != tc.want {
				t.Errorf("body = %q, want %q\nlog:\n%s", got, tc.want, logs)
			}
		})
	}
}

// TestLuaJITInHandlers: LuaJIT behaviour that handlers rely on, inside a request (chunks go
// through luajit.Translate and states through luajit.Open). Expected values were printed by
// the same Lua under Debian's nginx + lua-nginx-module (OpenResty's LuaJIT 2.1).
func TestLuaJITInHandlers(t *testing.T) {
	for _, tc := range []struct{ name, src, want string }{
		{`"\xNN" escapes`, `ngx.say("\x41\x62", "\x7a")`, "Abz\n"},
		{`"\z" skips the line break and indentation`, "ngx.say(\"a\\z\n      b\")", "ab\n"},
		{`"\u{...}" escapes`, `ngx.say("\u{48}\u{e9}" == "H\195\169", " ", #"\u{20AC}")`, "true 3\n"},
		{`decimal escapes`, `ngx.say("\65\066")`, "AB\n"},
		{"xpcall passes its extra arguments", `ngx.say(xpcall(function(a, b) return a + b end, debug.traceback, 1, 2))`, "true3\n"},
		{"xpcall's handler gets the error",
			`ngx.say(xpcall(function(a) error("e:" .. a, 0) end, function(m) return "h(" .. m .. ")" end, "x"))`, "falseh(e:x)\n"},
		{"load(string, name)", `local f, err = load("return 1 + ...", "=chunk") ngx.say(f(41), " ", tostring(err))`, "42 nil\n"},
		{"load of bad syntax", `ngx.say(load("x = = 1"))`, "nil[string \"x = = 1\"]:1: unexpected symbol near '='\n"},
		{"load of bad syntax, named", `ngx.say(load("x = = 1", "=mine"))`, "nilmine:1: unexpected symbol near '='\n"},
		{"loadstring", `ngx.say(loadstring("return 'ls'")())`, "ls\n"},
		{`collectgarbage("count")`, `local c = collectgarbage("count") ngx.say(type(c), " ", c > 0)`, "number true\n"},
		{"math.random after math.randomseed(0)",
			`math.randomseed(0) ngx.say(math.random(1000), " ", math.random(1000), " ", math.random(1, 6), " ", math.random())`,
			"795 699 4 0.7532286166836\n"},
		{`string.format("%u") and friends`,
			`ngx.say(string.format("%u %d %5.2f %x %s %q", 42, -3, 3.14159, 255, 1e15, "a\nb\0"))`,
			"42 -3  3.14 ff 1e+15 \"a\\\nb\\0\"\n"},
		{"unpack", `ngx.say(unpack({1, 2, 3}), " ", select("#", unpack({1, nil, 3}, 1, 3)), " ", unpack({4, 5}))`, "1 3 45\n"},
		{`require "bit"`, `local bit = require "bit" ngx.say(bit.band(0xff, 0x0f), " ", bit.tohex(255), " ", bit.tobit(2^32 + 1))`, "15 000000ff 1\n"},
		{"bit is a global, as LuaJIT opens it", `ngx.say(bit.band(0xff, 0x0f), " ", bit.bor(1, 2), " ", bit.bxor(5, 3), " ", bit.lshift(1, 31), " ",
			 bit.rshift(-1, 28), " ", bit.arshift(-16, 2), " ", bit.tohex(255), " ", bit.bnot(0), " ", bit.tobit(2^32 + 1))`,
			"15 3 6 -2147483648 15 -4 000000ff -1 1\n"},
		{"tostring of numbers",
			`ngx.say(tostring(1e15), " ", tostring(1/3), " ", tostring(-0.0), " ", tostring(0/0), " ", tostring(1/0), " ",
			 tostring(-1/0), " ", tostring(2^53), " ", tostring(100), " ", tostring(1e100), " ", tostring(123456789012), " ", tostring(0.1))`,
			"1e+15 0.33333333333333 -0 nan inf -inf 9.007199254741e+15 100 1e+100 123456789012 0.1\n"},
		{"jit.version", `ngx.say(type(jit), " ", jit.version)`, "table LuaJIT 2.1.0-beta3\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			url, logs := threadTestServer(t, Config{}, tc.src)
			if got := get(t, http.DefaultClient, url); got != tc.want {
				t.Errorf("body = %q, want %q\nlog:\n%s", got, tc.want, logs)
			}
		})
	}
}

// With the debug log on, ngx.exit(0) in a timer's user thread ends the timer while its entry
// thread sleeps (lua-nginx-module's 106-timer TEST 19): the sleep's debug line names the fake
// request's empty URI instead of failing on it, and the entry thread never goes on.
func TestTimerUserThreadExitDebug(t *testing.T) {
	logs := &lockedBuffer{}
	base, h, _ := rtServer(t, Config{Log: errlog.New(logs, errlog.Debug)}, nil, map[string]string{"/t": `
		ngx.timer.at(0.01, function()
		  ngx.thread.spawn(function() ngx.sleep(0.05) ngx.exit(0) end)
		  ngx.sleep(0.02)
		  ngx.log(ngx.WARN, "entry woke")
		  ngx.sleep(1)
		  ngx.log(ngx.WARN, "entry thread END")
		end)
		ngx.say("registered timer")`})
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		h.Shutdown(ctx)
	})
	if got := get(t, http.DefaultClient, base+"/t"); got != "registered timer\n" {
		t.Fatalf("body %q", got)
	}
	waitLog(t, logs, `lua sleep timer expired: "?"`, "entry woke", "http lua close fake http connection")
	time.Sleep(50 * time.Millisecond)
	for _, bad := range []string{"entry thread END", "[error]", "runtime error"} {
		if strings.Contains(logs.String(), bad) {
			t.Errorf("log has %q:\n%s", bad, logs)
		}
	}
}
