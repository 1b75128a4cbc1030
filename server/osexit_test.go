package server

import (
	"io"
	"net/http"
	"regexp"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// TestOSExitEndsOnlyTheRequest: os.exit in a handler or a timer does not end luaws (under
// nginx it ends one worker process): the caller's connection closes without a response, the
// line is logged at error with the caller's position, and websockets, open or new, still echo.
func TestOSExitEndsOnlyTheRequest(t *testing.T) {
	addr, logs := startFlagServer(t, Options{Locations: []Location{
		{Path: "/s", Script: "../scripts/echo.lua"},
		{Path: "/exit", Code: []byte("ngx.header['X-A'] = 1\nos.exit(3)\nngx.say('after')"), Chunkname: "exit.lua"},
		{Path: "/timer", Code: []byte("ngx.timer.at(0, function() os.exit(4) end)\nngx.say('timer set')"), Chunkname: "timer.lua"},
	}})
	echo := func(c *websocket.Conn, msg string) {
		t.Helper()
		if err := c.WriteMessage(websocket.TextMessage, []byte(msg)); err != nil {
			t.Fatal(err)
		}
		_ = c.SetReadDeadline(time.Now().Add(3 * time.Second))
		_, got, err := c.ReadMessage()
		if err != nil || string(got) != msg {
			t.Fatalf("echo %q = %q, %v", msg, got, err)
		}
	}
	open, _, err := websocket.DefaultDialer.Dial("ws://"+addr+"/s", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer open.Close()
	echo(open, "before")

	resp, err := http.Get("http://" + addr + "/exit")
	if err == nil {
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		t.Fatalf("os.exit: got a response %s %q; want the connection closed", resp.Status, b)
	}
	resp, err = http.Get("http://" + addr + "/timer")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()

	echo(open, "still open")
	fresh, _, err := websocket.DefaultDialer.Dial("ws://"+addr+"/s", nil)
	if err != nil {
		t.Fatalf("new websocket after os.exit: %v", err)
	}
	defer fresh.Close()
	echo(fresh, "new connection")

	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`\[error\] \d+#\d+: \*\d+ exit.lua:2: os.exit\(3\) ends this request only \(under nginx it ends the worker process\), client: 127.0.0.1, server: localhost, request: "GET /exit HTTP/1.1"`),
		regexp.MustCompile(`\[error\] \d+#\d+: .*timer.lua:1: os.exit\(4\) ends this timer only`),
	} {
		deadline := time.Now().Add(3 * time.Second)
		for !want.MatchString(logs.String()) {
			if time.Now().After(deadline) {
				t.Fatalf("no log line %s in\n%s", want, logs.String())
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
}
