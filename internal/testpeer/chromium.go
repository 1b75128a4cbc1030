package testpeer

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// A small Chrome DevTools Protocol client: just what an end-to-end test of a
// page needs (navigate, evaluate, click, type, screenshot). It speaks CDP over
// gorilla/websocket, which the module already has, instead of pulling
// chromedp and its code-generated protocol packages into go.mod.

// ChromiumFlags are the flags headless Chromium needs on these machines: no
// sandbox (we run as root), no GPU, and no background traffic to the closed
// network (without these it fails to reach Google's hosts at every start).
var ChromiumFlags = []string{
	"--headless",
	"--no-sandbox",
	"--disable-gpu",
	"--disable-quic",
	"--no-first-run",
	"--disable-background-networking",
	"--disable-component-update",
	"--disable-sync",
	"--disable-dev-shm-usage",
	"--window-size=1024,768",
}

// Browser is a headless Chromium with one page attached over CDP.
type Browser struct {
	t    testing.TB
	proc *Proc
	conn *websocket.Conn

	wmu sync.Mutex // serialises writes to conn

	mu      sync.Mutex
	nextID  int64
	pending map[int64]chan cdpReply
	console []string // console messages and exceptions of the page
	readErr error
}

type cdpReply struct {
	Result json.RawMessage `json:"result"`
	Error  *struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

type cdpMessage struct {
	ID     int64           `json:"id"`
	Method string          `json:"method"`
	Params json.RawMessage `json:"params"`
	cdpReply
}

// StartChromium starts headless Chromium (Require "chromium") with a fresh
// profile and attaches to its page. Chromium is stopped when the test ends;
// on failure its console output is logged.
func StartChromium(t testing.TB) *Browser {
	t.Helper()
	bin := Require(t, "chromium")
	profile := t.TempDir() // registered first, so removed after Chromium stops
	args := append(append([]string{}, ChromiumFlags...),
		"--user-data-dir="+profile,
		"--remote-debugging-address=127.0.0.1",
		"--remote-debugging-port=0",
		"about:blank")
	p := startProc(t, bin, args...)
	b := &Browser{t: t, proc: p, pending: map[int64]chan cdpReply{}}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("chromium output:\n%s", p.Output.String())
			t.Logf("page console:\n%s", strings.Join(b.Console(), "\n"))
		}
	})

	// Chromium writes the DevTools port to DevToolsActivePort in the profile.
	var port int
	deadline := time.Now().Add(StartTimeout)
	for {
		data, err := os.ReadFile(filepath.Join(profile, "DevToolsActivePort"))
		if err == nil {
			first, _, _ := strings.Cut(string(data), "\n")
			if n, err := strconv.Atoi(strings.TrimSpace(first)); err == nil && n > 0 {
				port = n
				break
			}
		}
		if done, werr := p.Exited(); done {
			t.Fatalf("testpeer: chromium exited at start (%v):\n%s", werr, p.Output.String())
		}
		if time.Now().After(deadline) {
			t.Fatalf("testpeer: chromium wrote no DevToolsActivePort in %v:\n%s", StartTimeout, p.Output.String())
		}
		time.Sleep(20 * time.Millisecond) // poll interval
	}

	wsURL, err := pageTarget(port)
	if err != nil {
		t.Fatalf("testpeer: chromium: %v", err)
	}
	conn, _, err := websocket.DefaultDialer.Dial(wsURL, nil)
	if err != nil {
		t.Fatalf("testpeer: chromium: dial %s: %v", wsURL, err)
	}
	b.conn = conn
	t.Cleanup(func() { conn.Close() })
	go b.readLoop()
	for _, m := range []string{"Page.enable", "Runtime.enable"} {
		if _, err := b.Call(m, nil); err != nil {
			t.Fatalf("testpeer: chromium: %v", err)
		}
	}
	return b
}

// pageTarget returns the DevTools websocket URL of a page of the browser
// listening on port, opening one if there is none yet.
func pageTarget(port int) (string, error) {
	base := "http://127.0.0.1:" + strconv.Itoa(port)
	deadline := time.Now().Add(StartTimeout)
	for {
		var targets []struct {
			Type string `json:"type"`
			URL  string `json:"webSocketDebuggerUrl"`
		}
		resp, err := http.Get(base + "/json/list")
		if err == nil {
			err = json.NewDecoder(resp.Body).Decode(&targets)
			resp.Body.Close()
		}
		if err == nil {
			for _, tg := range targets {
				if tg.Type == "page" && tg.URL != "" {
					return tg.URL, nil
				}
			}
			req, _ := http.NewRequest(http.MethodPut, base+"/json/new?about:blank", nil)
			if resp, err := http.DefaultClient.Do(req); err == nil {
				resp.Body.Close()
			}
		}
		if time.Now().After(deadline) {
			return "", fmt.Errorf("no page target at %s/json/list (%v)", base, err)
		}
		time.Sleep(50 * time.Millisecond) // poll interval
	}
}

func (b *Browser) readLoop() {
	for {
		var m cdpMessage
		if err := b.conn.ReadJSON(&m); err != nil {
			b.mu.Lock()
			b.readErr = err
			for id, ch := range b.pending {
				close(ch)
				delete(b.pending, id)
			}
			b.mu.Unlock()
			return
		}
		if m.ID != 0 {
			b.mu.Lock()
			ch := b.pending[m.ID]
			delete(b.pending, m.ID)
			b.mu.Unlock()
			if ch != nil {
				ch <- m.cdpReply
			}
			continue
		}
		switch m.Method {
		case "Runtime.consoleAPICalled":
			var ev struct {
				Type string `json:"type"`
				Args []struct {
					Value       any    `json:"value"`
					Description string `json:"description"`
				} `json:"args"`
			}
			_ = json.Unmarshal(m.Params, &ev)
			parts := []string{"console." + ev.Type + ":"}
			for _, a := range ev.Args {
				if a.Value != nil {
					parts = append(parts, fmt.Sprint(a.Value))
				} else {
					parts = append(parts, a.Description)
				}
			}
			b.addConsole(strings.Join(parts, " "))
		case "Runtime.exceptionThrown":
			var ev struct {
				Details struct {
					Text      string `json:"text"`
					Exception struct {
						Description string `json:"description"`
					} `json:"exception"`
				} `json:"exceptionDetails"`
			}
			_ = json.Unmarshal(m.Params, &ev)
			b.addConsole("exception: " + ev.Details.Text + " " + ev.Details.Exception.Description)
		}
	}
}

func (b *Browser) addConsole(s string) {
	b.mu.Lock()
	b.console = append(b.console, s)
	b.mu.Unlock()
}

// Console returns the console messages and uncaught exceptions seen so far.
func (b *Browser) Console() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.console...)
}

// CallTimeout bounds one CDP call.
const CallTimeout = 30 * time.Second

// Call sends one CDP command to the page and returns its result.
func (b *Browser) Call(method string, params any) (json.RawMessage, error) {
	ch := make(chan cdpReply, 1)
	b.mu.Lock()
	if b.readErr != nil {
		b.mu.Unlock()
		return nil, fmt.Errorf("cdp %s: connection lost: %w", method, b.readErr)
	}
	b.nextID++
	id := b.nextID
	b.pending[id] = ch
	b.mu.Unlock()
	msg := map[string]any{"id": id, "method": method}
	if params != nil {
		msg["params"] = params
	}
	b.wmu.Lock()
	err := b.conn.WriteJSON(msg)
	b.wmu.Unlock()
	if err != nil {
		return nil, fmt.Errorf("cdp %s: write: %w", method, err)
	}
	select {
	case r, ok := <-ch:
		if !ok {
			return nil, fmt.Errorf("cdp %s: connection lost", method)
		}
		if r.Error != nil {
			return nil, fmt.Errorf("cdp %s: %d %s", method, r.Error.Code, r.Error.Message)
		}
		return r.Result, nil
	case <-time.After(CallTimeout):
		b.mu.Lock()
		delete(b.pending, id)
		b.mu.Unlock()
		return nil, fmt.Errorf("cdp %s: no answer in %v", method, CallTimeout)
	}
}

// Eval evaluates a JavaScript expression in the page (awaiting a promise)
// and unmarshals its value into out (which may be nil).
func (b *Browser) Eval(expr string, out any) error {
	res, err := b.Call("Runtime.evaluate", map[string]any{
		"expression":    expr,
		"returnByValue": true,
		"awaitPromise":  true,
	})
	if err != nil {
		return err
	}
	var r struct {
		Result struct {
			Type  string          `json:"type"`
			Value json.RawMessage `json:"value"`
		} `json:"result"`
		Exception *struct {
			Text      string `json:"text"`
			Exception struct {
				Description string `json:"description"`
			} `json:"exception"`
		} `json:"exceptionDetails"`
	}
	if err := json.Unmarshal(res, &r); err != nil {
		return fmt.Errorf("eval %q: %w", expr, err)
	}
	if r.Exception != nil {
		return fmt.Errorf("eval %q: %s %s", expr, r.Exception.Text, r.Exception.Exception.Description)
	}
	if out == nil || r.Result.Type == "undefined" {
		return nil
	}
	if err := json.Unmarshal(r.Result.Value, out); err != nil {
		return fmt.Errorf("eval %q: result %s: %w", expr, r.Result.Value, err)
	}
	return nil
}

// Poll evaluates cond (a JavaScript expression giving a boolean) until it is
// true or timeout passes; on timeout it returns an error naming what, and
// the value of show (a JavaScript expression, for the message).
func (b *Browser) Poll(what, cond, show string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		var ok bool
		err := b.Eval("Boolean("+cond+")", &ok)
		if err == nil && ok {
			return nil
		}
		if time.Now().After(deadline) {
			var shown any
			if serr := b.Eval(show, &shown); serr != nil {
				shown = serr.Error()
			}
			if err != nil {
				return fmt.Errorf("waiting %v for %s: %v (page shows %v)", timeout, what, err, shown)
			}
			return fmt.Errorf("waiting %v for %s: timed out (page shows %v)", timeout, what, shown)
		}
		time.Sleep(25 * time.Millisecond) // poll interval, not synchronisation
	}
}

// Navigate loads url and waits until the document has loaded.
func (b *Browser) Navigate(url string, timeout time.Duration) error {
	res, err := b.Call("Page.navigate", map[string]any{"url": url})
	if err != nil {
		return err
	}
	var r struct {
		ErrorText string `json:"errorText"`
	}
	_ = json.Unmarshal(res, &r)
	if r.ErrorText != "" {
		return fmt.Errorf("navigate %s: %s", url, r.ErrorText)
	}
	js, _ := json.Marshal(url)
	return b.Poll("page "+url+" loaded",
		"location.href === "+string(js)+" && document.readyState === 'complete'",
		"location.href + ' ' + document.readyState", timeout)
}

// Click clicks, with real mouse events at its centre, the element that the
// JavaScript expression elem evaluates to.
func (b *Browser) Click(elem string) error {
	var pt struct {
		X, Y  float64
		Found bool
	}
	err := b.Eval(`(() => { const e = (`+elem+`); if (!e) return {found: false};
		e.scrollIntoView({block: 'center'}); const r = e.getBoundingClientRect();
		return {found: r.width > 0 && r.height > 0, x: r.x + r.width/2, y: r.y + r.height/2}; })()`, &pt)
	if err != nil {
		return fmt.Errorf("click: %w", err)
	}
	if !pt.Found {
		return fmt.Errorf("click: no visible element %s", elem)
	}
	for _, typ := range []string{"mouseMoved", "mousePressed", "mouseReleased"} {
		p := map[string]any{"type": typ, "x": pt.X, "y": pt.Y}
		if typ != "mouseMoved" {
			p["button"] = "left"
			p["clickCount"] = 1
		}
		if _, err := b.Call("Input.dispatchMouseEvent", p); err != nil {
			return fmt.Errorf("click %s: %w", elem, err)
		}
	}
	return nil
}

// InsertText types text into the focused element, as an IME would: any
// Unicode, in one input event.
func (b *Browser) InsertText(text string) error {
	_, err := b.Call("Input.insertText", map[string]any{"text": text})
	return err
}

// Screenshot saves a PNG of the page to path.
func (b *Browser) Screenshot(path string) error {
	res, err := b.Call("Page.captureScreenshot", map[string]any{"format": "png"})
	if err != nil {
		return err
	}
	var r struct {
		Data string `json:"data"`
	}
	if err := json.Unmarshal(res, &r); err != nil {
		return fmt.Errorf("screenshot: %w", err)
	}
	png, err := base64.StdEncoding.DecodeString(r.Data)
	if err != nil {
		return fmt.Errorf("screenshot: %w", err)
	}
	if len(png) == 0 {
		return errors.New("screenshot: empty image")
	}
	return os.WriteFile(path, png, 0o644)
}
