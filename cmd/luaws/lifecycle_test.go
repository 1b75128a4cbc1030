package main

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// foreground runs luaws in the foreground on dir/nginx.conf (conf has %d for the port) and
// waits until it accepts; the process gets QUIT (then KILL) at the end of the test.
type fgServer struct {
	cmd  *exec.Cmd
	dir  string
	port int
	done chan struct{} // closed when the process has exited, with err set
	err  error
}

func startForeground(t *testing.T, conf string, files map[string]string) *fgServer {
	t.Helper()
	dir := t.TempDir()
	port := freePort(t)
	os.Mkdir(filepath.Join(dir, "logs"), 0o755)
	for name, src := range files {
		writeFile(t, filepath.Join(dir, name), src)
	}
	writeFile(t, filepath.Join(dir, "nginx.conf"), fmt.Sprintf(conf, port))
	cmd := exec.Command(os.Args[0], "-p", dir+"/", "-c", "nginx.conf")
	cmd.Env = append(os.Environ(), "LUAWS_TEST_AS_MAIN=1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &fgServer{cmd: cmd, dir: dir, port: port, done: make(chan struct{})}
	go func() { s.err = cmd.Wait(); close(s.done) }()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-s.done:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
		}
	})
	for i := 0; ; i++ {
		c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err == nil {
			c.Close()
			break
		}
		if i == 250 {
			t.Fatalf("luaws did not start: %s", stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	return s
}

func writeFile(t testing.TB, path, src string) {
	t.Helper()
	// write to a temporary name and rename: a reader never sees half a file
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

func (s *fgServer) url(path string) string { return fmt.Sprintf("ws://127.0.0.1:%d%s", s.port, path) }

func (s *fgServer) errorLog() string {
	b, _ := os.ReadFile(filepath.Join(s.dir, "logs/error.log"))
	return string(b)
}

// ask opens a websocket to path, sends msg and returns the reply (the connection stays
// open when keep is true).
func ask(path, msg string) (string, *websocket.Conn, error) {
	c, _, err := websocket.DefaultDialer.Dial(path, nil)
	if err != nil {
		return "", nil, fmt.Errorf("handshake: %w", err)
	}
	if err := c.WriteMessage(websocket.TextMessage, []byte(msg)); err != nil {
		c.Close()
		return "", nil, err
	}
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, b, err := c.ReadMessage()
	if err != nil {
		c.Close()
		return "", nil, fmt.Errorf("reply: %w", err)
	}
	return string(b), c, nil
}

func askClose(path, msg string) (string, error) {
	got, c, err := ask(path, msg)
	if c != nil {
		c.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""))
		c.Close()
	}
	return got, err
}

const reloadConf = `daemon off;
worker_processes 2;
error_log logs/error.log notice;
events {}
http {
  lua_shared_dict counts 1m;
  server {
    listen 127.0.0.1:%d;
    location / { content_by_lua_file ws.lua; }
  }
}
`

// wsVersion is a handler that answers every message with its version and the number of
// connections served so far (a shared-dict counter).
func wsVersion(v string) string {
	return `local server = require "resty.websocket.server"
local wb = assert(server:new{ timeout = 10000 })
local n = ngx.shared.counts:incr("conns", 1, 0)
while true do
  local data, typ = wb:recv_frame()
  if not data or typ == "close" then break end
  wb:send_text("` + v + ` " .. n)
end
`
}

// TestReloadUnderLoad: 20 reloads while 4 gorilla clients loop (connect, ask, close): no
// attempt fails, every reload's code serves the connections after it, a websocket opened
// before the reloads goes on with the code it started with, the shared-dict counter counts
// every connection across the reloads, an edited file changes nothing until a reload, and a
// reload to a broken Lua file is refused with the old code still serving.
func TestReloadUnderLoad(t *testing.T) {
	s := startForeground(t, reloadConf, map[string]string{"ws.lua": wsVersion("v0")})
	pid := s.cmd.Process.Pid
	long, longConn, err := ask(s.url("/"), "hi")
	if err != nil || long != "v0 1" {
		t.Fatalf("first connection: %q %v", long, err)
	}
	defer longConn.Close()

	var ok, failed atomic.Int64
	var firstErr atomic.Value
	stop := make(chan struct{})
	var wg sync.WaitGroup
	clients := 4
	if n, err := strconv.Atoi(os.Getenv("LUAWS_RELOAD_CLIENTS")); err == nil && n > 0 {
		clients = n // for the README's figure
	}
	for i := 0; i < clients; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				if _, err := askClose(s.url("/"), "x"); err != nil {
					failed.Add(1)
					firstErr.CompareAndSwap(nil, err.Error())
				} else {
					ok.Add(1)
				}
			}
		}()
	}
	waitVersion := func(v string) {
		t.Helper()
		for i := 0; i < 500; i++ {
			got, err := askClose(s.url("/"), "x")
			if err == nil {
				ok.Add(1)
			} else {
				failed.Add(1)
			}
			if strings.HasPrefix(got, v+" ") {
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
		t.Fatalf("version %s never served; log:\n%s", v, s.errorLog())
	}
	const reloads = 20
	for i := 1; i <= reloads; i++ {
		writeFile(t, filepath.Join(s.dir, "ws.lua"), wsVersion("v"+strconv.Itoa(i)))
		if i == reloads {
			// edited on disk, not reloaded yet: still the previous code
			if got, err := askClose(s.url("/"), "x"); err != nil || !strings.HasPrefix(got, "v"+strconv.Itoa(i-1)+" ") {
				t.Fatalf("an edit without a reload changed the code: %q %v", got, err)
			}
			ok.Add(1)
		}
		syscall.Kill(pid, syscall.SIGHUP)
		waitVersion("v" + strconv.Itoa(i))
	}
	close(stop)
	wg.Wait()
	if n := failed.Load(); n != 0 {
		t.Fatalf("%d of %d attempts failed over %d reloads (first: %v); log:\n%s", n, n+ok.Load(), reloads, firstErr.Load(), s.errorLog())
	}
	// the long-lived websocket still runs v0's code
	if err := longConn.WriteMessage(websocket.TextMessage, []byte("again")); err != nil {
		t.Fatal(err)
	}
	_, b, err := longConn.ReadMessage()
	if err != nil || string(b) != "v0 1" {
		t.Fatalf("the websocket opened before the reloads: %q %v", b, err)
	}
	// the counter survived every reload: it counted every connection
	got, err := askClose(s.url("/"), "x")
	if want := fmt.Sprintf("v%d %d", reloads, ok.Load()+2); err != nil || got != want {
		t.Fatalf("after %d reloads: %q %v, want %q", reloads, got, err, want)
	}
	// a broken nginx.conf: the reload is refused and logged, the old code serves
	confPath := filepath.Join(s.dir, "nginx.conf")
	goodConf, err := os.ReadFile(confPath)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, confPath, strings.Replace(string(goodConf), "location / {", "location / { no_such_directive;", 1))
	syscall.Kill(pid, syscall.SIGHUP)
	for i := 0; !strings.Contains(s.errorLog(), `unknown directive "no_such_directive"`); i++ {
		if i == 500 {
			t.Fatalf("no error logged for the broken reload:\n%s", s.errorLog())
		}
		time.Sleep(10 * time.Millisecond)
	}
	if got, err := askClose(s.url("/"), "x"); err != nil || !strings.HasPrefix(got, fmt.Sprintf("v%d ", reloads)) {
		t.Fatalf("after a broken reload: %q %v", got, err)
	}
	// a handler file that does not compile: as nginx, the reload goes through (the file is
	// compiled by the first request that runs it), and each request fails with a 500 and
	// "failed to load external Lua file"; the websocket opened first still runs
	writeFile(t, confPath, string(goodConf))
	writeFile(t, filepath.Join(s.dir, "ws.lua"), "local x = = 1\n")
	syscall.Kill(pid, syscall.SIGHUP)
	for i := 0; !strings.Contains(s.errorLog(), "ws.lua:1: unexpected symbol near '='"); i++ {
		if i == 500 {
			t.Fatalf("no load failure logged after the reload:\n%s", s.errorLog())
		}
		_, _ = askClose(s.url("/"), "x")
		time.Sleep(10 * time.Millisecond)
	}
	if !strings.Contains(s.errorLog(), "failed to load external Lua file") {
		t.Errorf("the load failure is not nginx's:\n%s", s.errorLog())
	}
	if err := longConn.WriteMessage(websocket.TextMessage, []byte("still")); err != nil {
		t.Fatal(err)
	}
	if _, b, err := longConn.ReadMessage(); err != nil || string(b) != "v0 1" {
		t.Fatalf("the websocket opened before the reloads: %q %v", b, err)
	}
	t.Logf("%d reloads under %d looping clients: %d connections, %d failed", reloads, clients, ok.Load(), failed.Load())
}

// TestWorkerProcesses: worker_processes 4 gives four workers, each with its id, the count,
// a pid of its own, its own init_worker_by_lua run and its own timers; connections are
// spread over them.
func TestWorkerProcesses(t *testing.T) {
	conf := `daemon off;
worker_processes 4;
error_log logs/error.log notice;
events {}
http {
  lua_shared_dict w 1m;
  init_worker_by_lua_block {
    local id = ngx.worker.id()
    ngx.shared.w:set("init" .. id, ngx.worker.pid())
    ngx.timer.at(0, function() ngx.shared.w:set("timer" .. id, true) end)
  }
  server {
    listen 127.0.0.1:%d;
    location / {
      content_by_lua_block {
        local w = ngx.shared.w
        local inits, timers = 0, 0
        for i = 0, ngx.worker.count() - 1 do
          if w:get("init" .. i) then inits = inits + 1 end
          if w:get("timer" .. i) then timers = timers + 1 end
        end
        ngx.say(ngx.worker.id(), " ", ngx.worker.count(), " ", ngx.worker.pid(), " ", inits, " ", timers)
      }
    }
  }
}
`
	s := startForeground(t, conf, nil)
	ids := map[string]string{}
	for i := 0; i < 40 && len(ids) < 4; i++ {
		resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/", s.port))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		f := strings.Fields(string(b))
		if len(f) != 5 || f[1] != "4" || f[3] != "4" || f[4] != "4" {
			t.Fatalf("got %q, want id, count 4, pid, 4 init_worker runs, 4 timers", b)
		}
		if p, seen := ids[f[0]]; seen && p != f[2] {
			t.Fatalf("worker %s has pids %s and %s", f[0], p, f[2])
		}
		ids[f[0]] = f[2]
	}
	pids := map[string]bool{}
	for id, pid := range ids {
		if id < "0" || id > "3" {
			t.Fatalf("worker id %s", id)
		}
		pids[pid] = true
	}
	if len(ids) != 4 || len(pids) != 4 {
		t.Fatalf("40 requests reached workers %v, want 4 distinct ids and pids", ids)
	}
	if !pids[strconv.Itoa(s.cmd.Process.Pid)] {
		t.Fatalf("no worker reports the process id %d: %v", s.cmd.Process.Pid, ids)
	}
}

// TestGracefulQuit: SIGQUIT with 200 live websockets. Handlers go on with
// ngx.worker.exiting() true; those that end within worker_shutdown_timeout send every frame
// and their own close; the others get a close frame 1001 "going away" from luaws when it ends.
// No client sees a connection cut without a close frame, and luaws exits 0.
func TestGracefulQuit(t *testing.T) {
	conf := `daemon off;
worker_shutdown_timeout 1s;
error_log logs/error.log notice;
events {}
http {
  server {
    listen 127.0.0.1:%d;
    location / {
      content_by_lua_block {
        local server = require "resty.websocket.server"
        local wb = assert(server:new{ timeout = 10000 })
        local n = tonumber(ngx.var.arg_n)
        wb:send_text("ready")
        for i = 1, n do
          ngx.sleep(0.1)
          local ok = wb:send_text(i .. " " .. tostring(ngx.worker.exiting()))
          if not ok then return end
        end
        wb:send_close(1000, "done")
      }
    }
  }
}
`
	s := startForeground(t, conf, nil)
	const clients = 200
	type result struct {
		n, frames int
		exiting   bool
		code      int
		err       error
	}
	results := make(chan result, clients)
	var ready sync.WaitGroup
	for i := 0; i < clients; i++ {
		n := 5 // ends within the timeout
		if i%2 == 1 {
			n = 1000 // outlives it
		}
		ready.Add(1)
		go func() {
			r := result{n: n}
			defer func() { results <- r }()
			c, _, err := websocket.DefaultDialer.Dial(s.url(fmt.Sprintf("/?n=%d", n)), nil)
			if err != nil {
				r.err = err
				ready.Done()
				return
			}
			defer c.Close()
			c.SetReadDeadline(time.Now().Add(10 * time.Second))
			_, b, err := c.ReadMessage()
			ready.Done()
			if err != nil || string(b) != "ready" {
				r.err = fmt.Errorf("ready: %q %v", b, err)
				return
			}
			for {
				_, b, err := c.ReadMessage()
				if ce, ok := err.(*websocket.CloseError); ok {
					r.code = ce.Code
					if ce.Code == websocket.CloseGoingAway && ce.Text != "going away" {
						r.err = fmt.Errorf("1001 with reason %q", ce.Text)
					}
					return
				}
				if err != nil {
					r.err = err
					return
				}
				var i int
				var ex string
				fmt.Sscanf(string(b), "%d %s", &i, &ex)
				if i != r.frames+1 {
					r.err = fmt.Errorf("frame %q after %d frames", b, r.frames)
					return
				}
				r.frames = i
				r.exiting = ex == "true"
			}
		}()
	}
	ready.Wait()
	if err := s.cmd.Process.Signal(syscall.SIGQUIT); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < clients; i++ {
		r := <-results
		switch {
		case r.err != nil:
			t.Errorf("n=%d after %d frames: %v", r.n, r.frames, r.err)
		case r.n == 5 && (r.code != websocket.CloseNormalClosure || r.frames != 5 || !r.exiting):
			t.Errorf("n=5: close %d after %d frames (exiting %v), want 1000 after 5 with exiting true", r.code, r.frames, r.exiting)
		case r.n == 1000 && (r.code != websocket.CloseGoingAway || !r.exiting):
			t.Errorf("n=1000: close %d after %d frames (exiting %v), want 1001 with exiting true", r.code, r.frames, r.exiting)
		}
	}
	select {
	case <-s.done:
		if s.err != nil {
			t.Fatalf("luaws exited with %v; log:\n%s", s.err, s.errorLog())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("luaws still running 10s after QUIT")
	}
	if log := s.errorLog(); !strings.Contains(log, "closing 100 websocket connection(s) on shutdown timeout") ||
		strings.Contains(log, "[error]") {
		t.Errorf("log:\n%s", log)
	}
}

// TestMaxRunningTimeDirective: lua_max_running_time in a location bounds that location's Lua
// only; the log names the chunk and the request.
func TestMaxRunningTimeDirective(t *testing.T) {
	conf := `daemon off;
error_log logs/error.log notice;
events {}
http {
  server {
    listen 127.0.0.1:%d;
    location /spin {
      lua_max_running_time 50ms;
      content_by_lua_block { local n = 0 while true do n = n + 1 end }
    }
    location /sum {
      content_by_lua_block { local n = 0 for i = 1, 1e6 do n = n + i end ngx.say(n) }
    }
  }
}
`
	s := startForeground(t, conf, nil)
	for _, tt := range []struct {
		path string
		code int
	}{{"/spin", 500}, {"/sum", 200}} {
		resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d%s", s.port, tt.path))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tt.code {
			t.Errorf("%s: %d, want %d", tt.path, resp.StatusCode, tt.code)
		}
	}
	for i := 0; !strings.Contains(s.errorLog(), `lua entry thread aborted: runtime error: content_by_lua(nginx.conf:9):1: lua_max_running_time (50ms) exceeded without yielding`); i++ {
		if i == 500 {
			t.Fatalf("log:\n%s", s.errorLog())
		}
		time.Sleep(10 * time.Millisecond)
	}
}
