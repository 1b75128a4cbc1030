package main_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/luaws/luaws/internal/testpeer"
)

// The seed's demo, end to end: a real Chromium opens websockets.html as
// served by `luaws` (no arguments but --listen), clicks Connect, types and
// sends messages, reads the echoes from the page's log list, and disconnects.
//
// Chromium is driven over the DevTools protocol by internal/testpeer's small
// CDP client (on gorilla/websocket, already a dependency) rather than
// chromedp: the test needs five commands, and chromedp would add its
// generated protocol packages and their dependencies to go.mod.

// browserMessages are typed into the page one after another; the second is
// multi-byte UTF-8 (2-, 3- and 4-byte sequences), the third is empty.
var browserMessages = []string{
	"hello luaws",
	"héllo wörld — 你好 🌍 ✓",
	"",
}

const browserStep = 20 * time.Second

func TestBrowserSeedPage(t *testing.T) {
	testpeer.Require(t, "chromium")
	base, _ := testpeer.StartLuaws(t)
	runSeedPage(t, base, "browser-websockets.png")
}

// TestBrowserSeedPageNginxReference runs the same steps against OpenResty
// (Debian's nginx + lua module) serving the seed handler and the seed page,
// to show the test itself is right. Opt-in: LUAWS_NGINX_REFERENCE=1.
func TestBrowserSeedPageNginxReference(t *testing.T) {
	testpeer.RequireNginxReference(t)
	testpeer.Require(t, "chromium")
	root := t.TempDir()
	// the demo page itself: its socket URL follows location.host, so nginx serves it as is
	page, err := os.ReadFile(filepath.Join("..", "..", "html", "websockets.html"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "websockets.html"), page, 0o644); err != nil {
		t.Fatal(err)
	}
	seed, _ := filepath.Abs(filepath.Join("..", "..", "scripts", "echo.lua")) // the seed handler, verbatim
	base, _ := testpeer.StartNginx(t, root, testpeer.NginxLocation{Path: "/s", Script: seed})
	runSeedPage(t, base, "browser-websockets-nginx.png")
}

func runSeedPage(t *testing.T, base, shotName string) {
	b := testpeer.StartChromium(t)
	shot := filepath.Join(testpeer.Artifacts(t), shotName)
	t.Cleanup(func() {
		// A picture of the page as it was at the end, passed or failed.
		if err := b.Screenshot(shot); err != nil {
			t.Errorf("screenshot: %v", err)
			return
		}
		t.Logf("screenshot: %s", shot)
	})

	url := base + "/websockets.html"
	if err := b.Navigate(url, browserStep); err != nil {
		t.Fatalf("open %s: %v", url, err)
	}
	var hasLog bool
	if err := b.Eval(`document.getElementById('log') !== null && document.getElementById('text') !== null`, &hasLog); err != nil || !hasLog {
		var html string
		_ = b.Eval(`document.documentElement.outerHTML.slice(0, 2000)`, &html)
		t.Fatalf("%s is not the seed's page (err %v):\n%s", url, err, html)
	}

	var want []string
	expect := func(step string, lines ...string) {
		t.Helper()
		want = append(want, lines...)
		js, _ := json.Marshal(want)
		if err := b.Poll(step,
			`JSON.stringify(Array.from(document.querySelectorAll('#log li'), li => li.textContent)) === `+quoteJS(string(js)),
			`Array.from(document.querySelectorAll('#log li'), li => li.textContent)`,
			browserStep); err != nil {
			t.Fatalf("%s: want log %q: %v", step, want, err)
		}
	}
	button := func(label string) string {
		l, _ := json.Marshal(label)
		return `Array.from(document.querySelectorAll('button')).find(b => b.textContent.trim() === ` + string(l) + `)`
	}

	if err := b.Click(button("Connect")); err != nil {
		t.Fatal(err)
	}
	expect("connect", "connected")

	for _, msg := range browserMessages {
		if err := b.Click(`document.getElementById('text')`); err != nil {
			t.Fatal(err)
		}
		if err := b.InsertText(msg); err != nil {
			t.Fatalf("type %q: %v", msg, err)
		}
		var typed string
		if err := b.Eval(`document.getElementById('text').value`, &typed); err != nil || typed != msg {
			t.Fatalf("typed %q, the input holds %q (%v)", msg, typed, err)
		}
		if err := b.Click(button("Send")); err != nil {
			t.Fatal(err)
		}
		expect("echo of "+quoteJS(msg), "send: "+msg, "recv: "+msg)
	}

	if err := b.Click(button("Disconnect")); err != nil {
		t.Fatal(err)
	}
	expect("disconnect", "disconnected")

	if c := b.Console(); len(c) > 0 {
		t.Errorf("page console/exceptions: %q", c)
	}
}

// quoteJS returns s as a JavaScript string literal.
func quoteJS(s string) string {
	q, _ := json.Marshal(s)
	return string(q)
}

// TestBrowserCompression: Chromium's own permessage-deflate against luaws --ws-compression,
// the seed handler unchanged: the page's socket negotiates the extension and every echo
// (short, long and repetitive texts) comes back whole.
func TestBrowserCompression(t *testing.T) {
	testpeer.Require(t, "chromium")
	base, _ := testpeer.StartLuaws(t, "--ws-compression")
	b := testpeer.StartChromium(t)
	if err := b.Navigate(base+"/websockets.html", 30*time.Second); err != nil {
		t.Fatal(err)
	}
	var res struct {
		Extensions string   `json:"extensions"`
		Echoes     []string `json:"echoes"`
	}
	js := `new Promise((resolve, reject) => {
	  const msgs = ["hello", "héllo wörld — 你好", "ab".repeat(30000), "hello"];
	  const ws = new WebSocket("ws://" + location.host + "/s");
	  const echoes = [];
	  ws.onopen = () => ws.send(msgs[0]);
	  ws.onmessage = (e) => {
	    echoes.push(e.data);
	    if (echoes.length === msgs.length) { resolve({extensions: ws.extensions, echoes}); ws.close(); }
	    else ws.send(msgs[echoes.length]);
	  };
	  ws.onerror = () => reject(new Error("websocket error"));
	  setTimeout(() => reject(new Error("timeout, echoes: " + echoes.length)), 20000);
	})`
	if err := b.Eval(js, &res); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(res.Extensions, "permessage-deflate") {
		t.Fatalf("ws.extensions = %q, want permessage-deflate", res.Extensions)
	}
	want := []string{"hello", "héllo wörld — 你好", strings.Repeat("ab", 30000), "hello"}
	if len(res.Echoes) != len(want) {
		t.Fatalf("%d echoes, want %d", len(res.Echoes), len(want))
	}
	for i := range want {
		if res.Echoes[i] != want[i] {
			t.Fatalf("echo %d: %d bytes, want %d", i, len(res.Echoes[i]), len(want[i]))
		}
	}
}
