package server

import (
	"fmt"
	"net/http"
	"os"
	"sync"
	"time"
)

// The flag-mode access log (luaws --access-log FILE) in nginx's "combined" format. In nginx
// mode, access_log and log_format (accesslog.go) do the same per server and location.

// FlagAccessLog writes nginx's "combined" format.
type FlagAccessLog struct {
	mu   sync.Mutex
	path string
	f    *os.File
}

// OpenAccessLog opens (appends to) an access log.
func OpenAccessLog(p string) (*FlagAccessLog, error) {
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open() \"%s\" failed (%w)", p, err)
	}
	return &FlagAccessLog{path: p, f: f}, nil
}

// Reopen reopens the file (USR1).
func (a *FlagAccessLog) Reopen() error {
	f, err := os.OpenFile(a.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return err
	}
	a.mu.Lock()
	old := a.f
	a.f = f
	a.mu.Unlock()
	return old.Close()
}

// Close closes the file.
func (a *FlagAccessLog) Close() error { return a.f.Close() }

func (a *FlagAccessLog) log(r *http.Request, w *respWriter, _ time.Time) {
	status := w.status
	if w.hijacked && status == 0 {
		status = http.StatusSwitchingProtocols
		if r.Header.Get("Upgrade") == "" {
			status = 444 // closed without a response
		}
	}
	if status == 0 {
		status = http.StatusOK
	}
	user := "-"
	if u, _, ok := r.BasicAuth(); ok {
		user = u
	}
	dash := func(s string) string {
		if s == "" {
			return "-"
		}
		return s
	}
	line := fmt.Sprintf("%s - %s [%s] \"%s %s %s\" %d %d \"%s\" \"%s\"\n",
		hostOnly(r.RemoteAddr), user, time.Now().Format("02/Jan/2006:15:04:05 -0700"),
		r.Method, r.RequestURI, r.Proto, status, w.bytes, dash(r.Referer()), dash(r.UserAgent()))
	a.mu.Lock()
	_, _ = a.f.WriteString(line)
	a.mu.Unlock()
}
