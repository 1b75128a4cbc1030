package luabind

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/luaws/luaws/errlog"
)

// TestEntryThreadReuse: a request's Lua thread is kept for the next request only when every
// call on it returned normally, and the next request finds it as a fresh one would be: the
// state's globals as its environment, an empty stack.
func TestEntryThreadReuse(t *testing.T) {
	logs := &lockedBuffer{}
	host, err := NewHost(Config{Log: errlog.New(logs, errlog.Info)})
	if err != nil {
		t.Fatal(err)
	}
	hd, err := host.InlineHandler("t.lua", []byte(`
		local step = ngx.var.arg_step
		if step == "setfenv" then
			setfenv(0, setmetatable({marker = true}, {__index = _G}))
		elseif step == "check" then
			ngx.say(getfenv(0) == _G, " ", tostring(rawget(getfenv(0), "marker")), " ", select("#", ...))
			return
		elseif step == "error" then
			error("boom")
		elseif step == "exit" then
			ngx.say("exit")
			return ngx.exit(200)
		elseif step == "caught" then
			local v = "a"
			local ok = pcall(function() local w = v; error("caught " .. w) end)
			ngx.say("caught ", tostring(ok))
			return
		end
		ngx.say("ok")`))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(hd)
	srv.Config.ConnContext = host.ConnContext
	srv.Start()
	defer srv.Close()
	v := host.worker()
	steps := []struct {
		step   string
		status int
		body   string
		spare  int // threads kept after the request
	}{
		{"plain", 200, "ok\n", 1},
		{"plain", 200, "ok\n", 1}, // the same thread again, not a second one
		{"setfenv", 200, "ok\n", 1},
		{"check", 200, "true nil 0\n", 1},
		{"error", 500, "", 0}, // the kept thread served it and is dropped
		{"exit", 200, "exit\n", 0},
		{"caught", 200, "caught false\n", 1},
		{"check", 200, "true nil 0\n", 1},
	}
	for i, s := range steps {
		resp, err := http.Get(srv.URL + "/?step=" + s.step)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != s.status || (s.body != "" && string(b) != s.body) {
			t.Errorf("step %d (%s): got %d %q, want %d %q; log:\n%s", i, s.step, resp.StatusCode, b, s.status, s.body, logs.String())
		}
		v.spareMu.Lock()
		n := len(v.spare)
		v.spareMu.Unlock()
		if n != s.spare {
			t.Errorf("step %d (%s): %d threads kept, want %d", i, s.step, n, s.spare)
		}
	}
}
