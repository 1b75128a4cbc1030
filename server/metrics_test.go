package server

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// TestMetricsLocation: "luaws_metrics;" in an nginx.conf location serves the site's
// Prometheus metrics, as stub_status serves nginx's counters.
func TestMetricsLocation(t *testing.T) {
	conf := `http {
    access_log off;
    lua_shared_dict dogs 1m;
    server {
        listen 127.0.0.1:0;
        location = /metrics { luaws_metrics; }
        location = /s {
            content_by_lua_block {
                local wb = assert(require("resty.websocket.server"):new())
                local data = wb:recv_frame()
                wb:send_text(data)
                wb:send_close()
            }
        }
    }
}`
	base, _, _ := startConf(t, conf, nil)
	c, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(base, "http")+"/s", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	if err := c.WriteMessage(websocket.TextMessage, []byte("hello")); err != nil {
		t.Fatal(err)
	}
	if _, msg, err := c.ReadMessage(); err != nil || string(msg) != "hello" {
		t.Fatalf("echo %q, %v", msg, err)
	}
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{
		`luaws_websocket_connections_total{location="/s"} 1`,
		`luaws_websocket_frames_received_total{opcode="text"} 1`,
		`luaws_shared_dict_capacity_bytes{zone="dogs"} 1.048576e+06`,
		"go_goroutines ",
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("metrics lack %q:\n%s", want, body)
		}
	}
}
