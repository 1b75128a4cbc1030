package luabind

import (
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestNgxEOF: ngx.eof() completes the response at once, as nginx does, while the handler
// goes on (a client does not wait for the handler's background work).
func TestNgxEOF(t *testing.T) {
	url, logs := threadTestServer(t, Config{}, `
		ngx.say("done early")
		ngx.eof()
		ngx.say("after eof")
		ngx.sleep(0.5)
		ngx.log(ngx.ERR, "background work finished")`)
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	// The whole body arrived while the handler was still sleeping after eof.
	if strings.Contains(logs.String(), "background work finished") {
		t.Errorf("the response ended only with the handler: eof did not complete it")
	}
	if string(body) != "done early\n" || resp.ContentLength != int64(len(body)) {
		t.Errorf("body %q, Content-Length %d", body, resp.ContentLength)
	}
	deadline := time.Now().Add(3 * time.Second)
	for !strings.Contains(logs.String(), "background work finished") && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if !strings.Contains(logs.String(), "background work finished") {
		t.Errorf("the handler did not go on after eof:\n%s", logs)
	}
}

// After ngx.eof() the connection stays open until the request ends, as under nginx (092-eof
// TEST 2: a client reading to the close sees the handler's later log lines done).
func TestNgxEOFConnectionLastsTheRequest(t *testing.T) {
	url, logs := threadTestServer(t, Config{}, `
		ngx.say(1)
		ngx.eof()
		ngx.sleep(0.2)
		ngx.log(ngx.ERR, "background work finished")`)
	c, err := net.Dial("tcp", strings.TrimPrefix(url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(c)
	if !strings.HasSuffix(string(b), "\r\n\r\n1\n") {
		t.Errorf("response %q", b)
	}
	if !strings.Contains(logs.String(), "background work finished") {
		t.Errorf("the connection closed before the request ended")
	}
}
