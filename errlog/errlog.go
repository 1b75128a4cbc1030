// Package errlog writes nginx's error log: one line per event, in nginx's exact layout,
// written unbuffered so that tools reading the file right after a request see every line.
//
//	2026/11/22 01:55:02 [error] 4242#4242: *7 message, client: 127.0.0.1, server: localhost, request: "GET /s HTTP/1.1", host: "127.0.0.1:8080"
package errlog

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Levels, numbered as nginx numbers them (and as ngx.STDERR ... ngx.DEBUG are).
const (
	Stderr = iota
	Emerg
	Alert
	Crit
	Err
	Warn
	Notice
	Info
	Debug
)

// levelNames are nginx's, which leave the stderr level's name empty ("[] " in a line).
var levelNames = [...]string{"", "emerg", "alert", "crit", "error", "warn", "notice", "info", "debug"}

// LevelName returns nginx's name of a level ("error" for Err, "" for Stderr).
func LevelName(level int) string {
	if level < 0 || level >= len(levelNames) {
		return "unknown"
	}
	return levelNames[level]
}

// ParseLevel parses an nginx level name ("debug", "info", "notice", "warn", "error", "crit",
// "alert", "emerg").
func ParseLevel(s string) (int, error) {
	for i, n := range levelNames {
		if n == s && i > 0 {
			return i, nil
		}
	}
	return 0, fmt.Errorf("invalid log level %q (want debug, info, notice, warn, error, crit, alert or emerg)", s)
}

// Logger is an error log. Its zero value is not usable; create one with New or Open.
type Logger struct {
	mu    sync.Mutex
	w     io.Writer
	path  string // "" when w is not a file we opened
	file  *os.File
	level int
	pid   string
	now   func() time.Time
	buf   []byte
	// sys is a syslog error log (error_log syslog:...): lines up to level go there, and
	// lines up to wlevel to w, nginx's default error log when no error log is a file.
	sys    *syslogPeer
	sysb   []byte
	wlevel int
}

// New returns a logger writing lines of the given level or more severe to w.
func New(w io.Writer, level int) *Logger {
	pid := strconv.Itoa(os.Getpid())
	return &Logger{w: w, level: level, pid: pid + "#" + pid, now: time.Now}
}

// Open returns a logger appending to the file at path ("stderr" means standard error;
// "syslog:server=ADDR,..." sends each line to a syslog server, as nginx does).
func Open(path string, level int) (*Logger, error) {
	if path == "" || path == "stderr" {
		return New(os.Stderr, level), nil
	}
	if params, ok := strings.CutPrefix(path, "syslog:"); ok {
		p, err := openSyslog(params)
		if err != nil {
			return nil, err
		}
		l := New(io.Discard, level)
		l.sys, l.wlevel = p, -1
		return l, nil
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open error log: %w", err)
	}
	l := New(f, level)
	l.path, l.file = path, f
	return l, nil
}

// SetDefault makes a syslog logger also append lines of level error and more severe to the
// file at path, as nginx writes its default error log (-e, or logs/error.log) when none of
// the main error logs is a file.
func (l *Logger) SetDefault(path string) error {
	if l.sys == nil {
		return nil
	}
	w := io.Writer(os.Stderr)
	if path != "" && path != "stderr" {
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
		if err != nil {
			return fmt.Errorf("open error log: %w", err)
		}
		l.path, l.file, w = path, f, f
	}
	l.mu.Lock()
	l.w, l.wlevel = w, Err
	l.mu.Unlock()
	return nil
}

// Reopen reopens the log file (nginx's USR1), so that rotated logs are released.
func (l *Logger) Reopen() error {
	if l.path == "" {
		return nil
	}
	f, err := os.OpenFile(l.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return fmt.Errorf("reopen error log: %w", err)
	}
	l.mu.Lock()
	old := l.file
	l.file, l.w = f, f
	l.mu.Unlock()
	return old.Close()
}

// Close closes the file the logger opened, if any.
func (l *Logger) Close() error {
	if l.sys != nil {
		_ = l.sys.conn.Close()
	}
	if l.file == nil {
		return nil
	}
	return l.file.Close()
}

// Level is the least severe level written.
func (l *Logger) Level() int { return l.level }

// Enabled reports whether lines of this level are written.
func (l *Logger) Enabled(level int) bool {
	return level <= l.level || l.sys != nil && level <= l.wlevel
}

// Conn is the request context of a log line: nginx's "*N" connection number and the
// ", client: ..." suffix. The zero Conn means no request context.
type Conn struct {
	ID      uint64
	Context string // e.g. "ngx.timer": ", context: ngx.timer" follows the message
	Client  string
	Server  string
	Request string // the request line, e.g. "GET /s HTTP/1.1"
	// Subrequest is a subrequest's URI (its lines name the main request's line too).
	Subrequest string
	// Upstream is the proxied server a line is about ("http://127.0.0.1:8081/x").
	Upstream string
	Host     string
	// Action is what the request was doing (nginx's log->action): " while connecting to
	// upstream" follows the message.
	Action string
}

// Log writes one line. The message is written as is; nginx's layout is added around it.
func (l *Logger) Log(level int, c *Conn, msg string) {
	if !l.Enabled(level) {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.buf[:0]
	now := l.now()
	b = now.AppendFormat(b, "2006/01/02 15:04:05")
	b = append(b, " ["...)
	b = append(b, LevelName(level)...)
	b = append(b, "] "...)
	b = append(b, l.pid...)
	b = append(b, ": "...)
	if c != nil && c.ID != 0 {
		b = append(b, '*')
		b = strconv.AppendUint(b, c.ID, 10)
		b = append(b, ' ')
	}
	b = append(b, msg...)
	if level == Debug {
		c = nil // nginx adds the request context (its log handler) to non-debug lines only
	}
	if c != nil && c.Action != "" {
		b = append(b, " while "...)
		b = append(b, c.Action...)
	}
	if c != nil && c.Context != "" {
		b = append(b, ", context: "...)
		b = append(b, c.Context...)
	}
	if c != nil && c.Client != "" {
		b = append(b, ", client: "...)
		b = append(b, c.Client...)
		b = append(b, ", server: "...)
		b = append(b, c.Server...)
		if c.Request != "" {
			b = append(b, ", request: \""...)
			b = append(b, c.Request...)
			b = append(b, '"')
		}
		if c.Subrequest != "" {
			b = append(b, ", subrequest: \""...)
			b = append(b, c.Subrequest...)
			b = append(b, '"')
		}
		if c.Upstream != "" {
			b = append(b, ", upstream: \""...)
			b = append(b, c.Upstream...)
			b = append(b, '"')
		}
		if c.Host != "" {
			b = append(b, ", host: \""...)
			b = append(b, c.Host...)
			b = append(b, '"')
		}
	}
	b = append(b, '\n')
	if l.sys != nil {
		if level <= l.level {
			l.sysb = l.sys.send(l.sysb[:0], level, now, b[:len(b)-1])
		}
		if level <= l.wlevel {
			_, _ = l.w.Write(b)
		}
	} else {
		_, _ = l.w.Write(b) // one write per line: nothing is buffered in the process
	}
	if cap(b) <= 64<<10 {
		l.buf = b
	}
}

// Logf formats and writes one line.
func (l *Logger) Logf(level int, c *Conn, format string, args ...any) {
	if !l.Enabled(level) {
		return
	}
	l.Log(level, c, fmt.Sprintf(format, args...))
}
