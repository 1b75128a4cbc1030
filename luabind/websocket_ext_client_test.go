package luabind

import (
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/gorilla/websocket"
)

// TestWebSocketClientCompression: resty.websocket.client with compression = true against
// gorilla's server with compression on (and off): messages are compressed both ways when the
// server accepts the offer, sent plain when it does not.
func TestWebSocketClientCompression(t *testing.T) {
	for _, serverOn := range []bool{true, false} {
		up := websocket.Upgrader{EnableCompression: serverOn}
		srv := http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			c, err := up.Upgrade(w, r, nil)
			if err != nil {
				return
			}
			defer c.Close()
			c.EnableWriteCompression(true)
			for {
				mt, msg, err := c.ReadMessage()
				if err != nil {
					return
				}
				c.WriteMessage(mt, msg)
			}
		})}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		go srv.Serve(ln)
		t.Cleanup(func() { srv.Close() })
		body, logs := runLua(t, Config{}, clientPrelude+`
			local wb = client:new() local ok, err, head = wb:connect("ws://$ADDR/ws", {compression = true})
			show(ok, err)
			local ext = head:match("[Ss]ec%-[Ww]eb[Ss]ocket%-[Ee]xtensions: ([^\r\n]*)")
			show(ext ~= nil)
			for _, m in ipairs({"hello", string.rep("abc", 20000), "", "hello"}) do
				wb:send_text(m) local d, typ, err = wb:recv_frame() show(d == m, typ, err)
			end
			show(wb:close()) `, map[string]string{"ADDR": ln.Addr().String()})
		want := "1 nil\n" + map[bool]string{true: "true", false: "false"}[serverOn] + "\n" +
			strings.Repeat("true text nil\n", 4) + "1\n"
		if body != want {
			t.Errorf("server compression %v: body:\n%s\nwant:\n%s\nlog:\n%s", serverOn, body, want, logs)
		}
	}
}
