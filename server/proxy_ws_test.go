package server

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// TestProxyWebSocketTunnel: the usual nginx.conf for WebSockets (proxy_http_version 1.1,
// Upgrade $http_upgrade, Connection "upgrade") tunnels the upstream's 101 and then frames
// both ways untouched, between two independent gorilla peers: a message the upstream
// sends first, text and binary echoes, and the upstream's close frame with its code and
// reason reaching the client. The upstream gets nginx's head (HTTP/1.1, the Upgrade and
// Connection the configuration sets, the client's Sec-WebSocket-* fields).
func TestProxyWebSocketTunnel(t *testing.T) {
	heads := make(chan http.Header, 1)
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		heads <- r.Header.Clone()
		c, err := (&websocket.Upgrader{}).Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.Close()
		_ = c.WriteMessage(websocket.TextMessage, []byte("hello first"))
		for {
			typ, p, err := c.ReadMessage()
			if err != nil {
				return
			}
			if string(p) == "bye" {
				_ = c.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(4001, "done"))
				time.Sleep(100 * time.Millisecond)
				return
			}
			_ = c.WriteMessage(typ, append([]byte("echo:"), p...))
		}
	}))
	defer up.Close()
	conf := "http { server { listen 127.0.0.1:0;\n" +
		"location /ws { proxy_pass " + up.URL + "; proxy_http_version 1.1;\n" +
		" proxy_set_header Upgrade $http_upgrade; proxy_set_header Connection \"upgrade\"; } } }\n"
	base, _, _ := startConf(t, conf, nil)
	ws, resp, err := websocket.DefaultDialer.Dial(strings.Replace(base, "http", "ws", 1)+"/ws/x", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	if resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("status %d", resp.StatusCode)
	}
	h := <-heads
	if h.Get("Connection") != "upgrade" || h.Get("Upgrade") != "websocket" || h.Get("Sec-Websocket-Key") == "" {
		t.Errorf("upstream head: %v", h)
	}
	_ = ws.SetReadDeadline(time.Now().Add(3 * time.Second))
	if _, p, err := ws.ReadMessage(); err != nil || string(p) != "hello first" {
		t.Fatalf("first message: %q %v", p, err)
	}
	for _, m := range []struct {
		typ int
		p   string
	}{{websocket.TextMessage, "one"}, {websocket.BinaryMessage, "\x00\x01\xff"}, {websocket.TextMessage, strings.Repeat("y", 70000)}} {
		if err := ws.WriteMessage(m.typ, []byte(m.p)); err != nil {
			t.Fatal(err)
		}
		typ, p, err := ws.ReadMessage()
		if err != nil || typ != m.typ || string(p) != "echo:"+m.p {
			t.Fatalf("echo of %d bytes: type %d, %d bytes, %v", len(m.p), typ, len(p), err)
		}
	}
	_ = ws.WriteMessage(websocket.TextMessage, []byte("bye"))
	_, _, err = ws.ReadMessage()
	if ce, ok := err.(*websocket.CloseError); !ok || ce.Code != 4001 || ce.Text != "done" {
		t.Errorf("close: %v", err)
	}
}
