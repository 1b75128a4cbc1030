package luabind_test

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gorilla/websocket"

	"github.com/luaws/luaws/errlog"
	"github.com/luaws/luaws/luabind"
)

// TestAllowedOrigins: with an Origin allow-list (the host's, or server:new's
// allowed_origins), a browser handshake from another origin gets 403 and an [error] line;
// listed origins and clients that send no Origin get the websocket.
func TestAllowedOrigins(t *testing.T) {
	dir := t.TempDir()
	log := &syncBuf{}
	host, err := luabind.NewHost(luabind.Config{Log: errlog.New(log, errlog.Info),
		AllowedOrigins: []string{"https://app.example.com", "http://127.0.0.1:8080"}})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	for name, src := range map[string]string{
		"host":   echoWS,
		"option": strings.Replace(echoWS, "server:new{ timeout = 5000 }", `server:new{ timeout = 5000, allowed_origins = { "https://other.example" } }`, 1),
	} {
		p := filepath.Join(dir, name+".lua")
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		h, err := host.FileHandler(p)
		if err != nil {
			t.Fatal(err)
		}
		mux.Handle("/"+name, h)
	}
	srv := httptest.NewUnstartedServer(mux)
	srv.Config.ConnContext = host.ConnContext
	srv.Start()
	defer srv.Close()
	ws := "ws" + strings.TrimPrefix(srv.URL, "http")
	for _, tt := range []struct {
		path, origin string
		ok           bool
	}{
		{"/host", "https://app.example.com", true},
		{"/host", "HTTPS://APP.EXAMPLE.COM", true},
		{"/host", "http://127.0.0.1:8080", true},
		{"/host", "", true}, // not a browser
		{"/host", "https://evil.example", false},
		{"/host", "https://app.example.com.evil.example", false},
		{"/host", "null", false},
		{"/option", "https://other.example", true},
		{"/option", "https://app.example.com", false},
	} {
		hdr := http.Header{}
		if tt.origin != "" {
			hdr.Set("Origin", tt.origin)
		}
		c, resp, err := websocket.DefaultDialer.Dial(ws+tt.path, hdr)
		if tt.ok {
			if err != nil {
				t.Errorf("%s from %q: %v", tt.path, tt.origin, err)
				continue
			}
			if err := c.WriteMessage(websocket.TextMessage, []byte("hi")); err != nil {
				t.Fatal(err)
			}
			if _, b, err := c.ReadMessage(); err != nil || string(b) != "hi" {
				t.Errorf("%s from %q: echo %q %v", tt.path, tt.origin, b, err)
			}
			c.Close()
			continue
		}
		if err == nil {
			c.Close()
			t.Errorf("%s from %q: handshake accepted", tt.path, tt.origin)
			continue
		}
		if resp == nil || resp.StatusCode != http.StatusForbidden {
			t.Errorf("%s from %q: %v, want a 403", tt.path, tt.origin, err)
		}
		want := `[error] `
		line := log.waitFor(t, `origin "`+tt.origin+`" is not allowed`)
		if !strings.Contains(line, want) || !strings.Contains(line, `websocket handshake refused: origin "`+tt.origin+`" is not allowed, client: 127.0.0.1, server: localhost, request: "GET `+tt.path+` HTTP/1.1"`) {
			t.Errorf("log line %q", line)
		}
	}
}
