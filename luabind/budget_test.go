package luabind_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/luaws/luaws/errlog"
	"github.com/luaws/luaws/luabind"
)

// countWS counts the frames it receives until "end", and sends the count.
const countWS = `
local server = require "resty.websocket.server"
local wb = assert(server:new{ timeout = 5000 })
local n = 0
while true do
  local data = assert(wb:recv_frame())
  if data == "end" then break end
  n = n + 1
end
wb:send_text(tostring(n))
`

const echoWS = `
local server = require "resty.websocket.server"
local wb = assert(server:new{ timeout = 5000 })
while true do
  local data, typ = wb:recv_frame()
  if not data or typ == "close" then break end
  wb:send_text(data)
end
`

// budgetServer serves /spin (Lua that never yields), /echo (a websocket echo) and /busy
// (a second-long computation that returns) from one host.
func budgetServer(t *testing.T, cfg luabind.Config) (*httptest.Server, *syncBuf) {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		"spin.lua":  "local n = 0\nwhile true do n = n + 1 end\n",
		"pspin.lua": "local n = 0\nwhile true do pcall(function() while true do n = n + 1 end end) end\n",
		"busy.lua":  "local t = os.clock() + 1\nwhile os.clock() < t do end\nngx.say('done')\n",
		"echo.lua":  echoWS,
		"count.lua": countWS,
		"slow.lua":  "for i = 1, 5 do ngx.sleep(0.05) end\nngx.say('slept')\n",
	}
	log := &syncBuf{}
	cfg.Log = errlog.New(log, errlog.Info)
	host, err := luabind.NewHost(cfg)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	for name, src := range files {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		h, err := host.FileHandler(p)
		if err != nil {
			t.Fatal(err)
		}
		mux.Handle("/"+strings.TrimSuffix(name, ".lua"), h)
	}
	srv := httptest.NewUnstartedServer(mux)
	srv.Config.ConnContext = host.ConnContext
	srv.Start()
	t.Cleanup(srv.Close)
	return srv, log
}

func echoOnce(t *testing.T, url string) {
	t.Helper()
	c, _, err := websocket.DefaultDialer.Dial(url, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.WriteMessage(websocket.TextMessage, []byte("ping")); err != nil {
		t.Fatal(err)
	}
	_, got, err := c.ReadMessage()
	if err != nil || string(got) != "ping" {
		t.Fatalf("echo: %q %v", got, err)
	}
}

// TestMaxRunningTime: lua_max_running_time aborts a handler that keeps its worker's Lua busy
// without yielding (even inside pcall), logs it at [error] with file:line and the request,
// and the worker serves the next connection; a handler that yields (sleeps) for longer than
// the bound is not touched.
func TestMaxRunningTime(t *testing.T) {
	srv, log := budgetServer(t, luabind.Config{MaxRunningTime: 100 * time.Millisecond})
	ws := "ws" + strings.TrimPrefix(srv.URL, "http")
	for _, tt := range []struct{ path, line string }{
		{"/spin", `spin.lua:2: lua_max_running_time \(100ms\) exceeded without yielding`},
		{"/pspin", `pspin.lua:2: lua_max_running_time \(100ms\) exceeded without yielding`},
	} {
		t.Run(tt.path, func(t *testing.T) {
			done := make(chan int, 1)
			go func() {
				resp, err := http.Get(srv.URL + tt.path)
				if err != nil {
					done <- 0
					return
				}
				resp.Body.Close()
				done <- resp.StatusCode
			}()
			// another connection of the same (only) worker is served meanwhile or right after
			echoOnce(t, ws+"/echo")
			if code := <-done; code != http.StatusInternalServerError {
				t.Fatalf("%s: status %d, want 500", tt.path, code)
			}
			log.waitFor(t, "GET "+tt.path+" ")
			re := regexp.MustCompile(`\[error\] \d+#\d+: \*\d+ lua entry thread aborted: runtime error: \S*` + tt.line +
				`\nstack traceback:\n(?s:.*?), client: 127\.0\.0\.1, server: localhost, request: "GET ` + tt.path + ` HTTP/1\.1", host: "127\.0\.0\.1:\d+"\n`)
			if !re.MatchString(log.String()) {
				t.Fatalf("log does not match %s:\n%s", re, log)
			}
		})
	}
	resp, err := http.Get(srv.URL + "/slow")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(b) != "slept\n" {
		t.Fatalf("/slow: %d %q", resp.StatusCode, b)
	}
}

// TestBusyWorker: with two workers, a request that keeps one worker's Lua busy for a second
// does not hold up new connections: they go to the free worker and are served while it runs.
func TestBusyWorker(t *testing.T) {
	srv, _ := budgetServer(t, luabind.Config{Workers: 2})
	ws := "ws" + strings.TrimPrefix(srv.URL, "http")
	done := make(chan string, 1)
	go func() {
		resp, err := http.Get(srv.URL + "/busy")
		if err != nil {
			done <- err.Error()
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		done <- string(b)
	}()
	time.Sleep(100 * time.Millisecond) // let /busy take its worker (ordering, not a timing check)
	for i := 0; i < 5; i++ {
		echoOnce(t, ws+"/echo")
	}
	select {
	case got := <-done:
		t.Fatalf("/busy ended (%q) before the echoes were served by the other worker", got)
	default:
	}
	if got := <-done; got != "done\n" {
		t.Fatalf("/busy: %q", got)
	}
}

// A websocket handler reading a client that keeps sending never has to wait for I/O (inline
// I/O completes at once), yet each recv_frame is a yield point for lua_max_running_time: the
// handler runs on past the bound.
func TestMaxRunningTimeInlineIO(t *testing.T) {
	// 100 ms: far less than the whole run, and room for a loaded machine's scheduling
	srv, log := budgetServer(t, luabind.Config{MaxRunningTime: 100 * time.Millisecond})
	c, _, err := dialer.Dial("ws"+strings.TrimPrefix(srv.URL, "http")+"/count", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	const n = 100000 // far more work than 100 ms of a busy worker
	msg := []byte(strings.Repeat("f", 20))
	for i := 0; i < n; i++ {
		if err := c.WriteMessage(websocket.TextMessage, msg); err != nil {
			t.Fatalf("frame %d: %v; log:\n%s", i, err, log)
		}
	}
	if err := c.WriteMessage(websocket.TextMessage, []byte("end")); err != nil {
		t.Fatal(err)
	}
	_ = c.SetReadDeadline(time.Now().Add(waitTimeout))
	if _, got, err := c.ReadMessage(); err != nil || string(got) != "100000" {
		t.Fatalf("count: %q, %v; log:\n%s", got, err, log)
	}
	if strings.Contains(log.String(), "lua_max_running_time") {
		t.Fatalf("aborted:\n%s", log)
	}
}
