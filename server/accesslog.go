package server

import (
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/luaws/luaws/luabind"
)

// logFile is one access log file, shared by every access_log directive naming it.
type logFile struct {
	mu   sync.Mutex
	path string
	f    *os.File
}

func openLogFile(p string) (*logFile, error) {
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open() \"%s\" failed (%s)", p, errnoText(err))
	}
	return &logFile{path: p, f: f}, nil
}

// Reopen reopens the file (USR1).
func (l *logFile) Reopen() error {
	f, err := os.OpenFile(l.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return err
	}
	l.mu.Lock()
	old := l.f
	l.f = f
	l.mu.Unlock()
	return old.Close()
}

// Close closes the file.
func (l *logFile) Close() error { return l.f.Close() }

func (l *logFile) write(b []byte) {
	l.mu.Lock()
	_, _ = l.f.Write(b)
	l.mu.Unlock()
}

// LogFormat is a log_format: literal text and variables.
type LogFormat struct {
	Name   string
	parts  []logPart
	escape string // "default", "json" or "none"
}

type logPart struct {
	lit  string
	name string // a variable, when lit is ""
}

// combined is nginx's predefined format.
const combinedFormat = `$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent"`

// ParseLogFormat compiles a log_format string (its pieces already joined).
func ParseLogFormat(name, s, escape string) (*LogFormat, error) {
	f := &LogFormat{Name: name, escape: escape}
	lit := strings.Builder{}
	flush := func() {
		if lit.Len() > 0 {
			f.parts = append(f.parts, logPart{lit: lit.String()})
			lit.Reset()
		}
	}
	for i := 0; i < len(s); i++ {
		if s[i] != '$' {
			lit.WriteByte(s[i])
			continue
		}
		j := i + 1
		var name string
		if j < len(s) && s[j] == '{' {
			k := strings.IndexByte(s[j:], '}')
			if k < 0 {
				return nil, fmt.Errorf("the closing bracket in \"%s\" variable is missing", s[j+1:])
			}
			name, i = s[j+1:j+k], j+k
		} else {
			k := j
			for k < len(s) && isVarChar(s[k]) {
				k++
			}
			if k == j {
				return nil, fmt.Errorf("invalid variable name in \"%s\"", s)
			}
			name, i = s[j:k], k-1
		}
		flush()
		f.parts = append(f.parts, logPart{name: strings.ToLower(name)})
	}
	flush()
	return f, nil
}

func isVarChar(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// AccessLog is one access_log directive: a file and a format.
type AccessLog struct {
	file   *logFile
	format *LogFormat
}

// logEntry is what an access log line is made of: the request and what was sent.
type logEntry struct {
	r         *http.Request
	vars      Variables
	set       map[string]string
	status    int
	bytes     int64
	bodyBytes int64
	start     time.Time
	end       time.Time
	upstream  *upstreamInfo
	connReqs  int
}

// value is a log variable: the ones only a finished request has, then the built-ins.
func (e *logEntry) value(name string) string {
	switch name {
	case "status":
		return fmt.Sprintf("%03d", e.status)
	case "body_bytes_sent":
		return strconv.FormatInt(e.bodyBytes, 10)
	case "bytes_sent":
		return strconv.FormatInt(e.bytes, 10)
	case "request_time":
		d := e.end.Sub(e.start)
		if d < 0 {
			d = 0
		}
		ms := d.Milliseconds()
		return fmt.Sprintf("%d.%03d", ms/1000, ms%1000)
	case "msec":
		ms := e.end.UnixMilli()
		return fmt.Sprintf("%d.%03d", ms/1000, ms%1000)
	case "time_local":
		return e.end.Format("02/Jan/2006:15:04:05 -0700")
	case "time_iso8601":
		return e.end.Format("2006-01-02T15:04:05-07:00")
	case "remote_user":
		if u, _, ok := e.r.BasicAuth(); ok {
			return u
		}
		return ""
	case "request_length":
		return strconv.FormatInt(requestLength(e.r), 10)
	case "pipe":
		return "."
	case "connection_requests":
		return strconv.Itoa(e.connReqs)
	case "connection":
		return strconv.FormatUint(luabind.ConnID(e.r), 10)
	case "upstream_addr", "upstream_status", "upstream_response_time", "upstream_connect_time",
		"upstream_header_time":
		if e.upstream == nil {
			return ""
		}
		return e.upstream.value(name)
	}
	if v, ok := e.set[name]; ok {
		return v
	}
	if e.vars != nil {
		v, _ := e.vars.Variable(e.r, name)
		return v
	}
	return ""
}

// requestLength is $request_length: the request line, header and body as received.
func requestLength(r *http.Request) int64 {
	n := int64(len(r.Method) + 1 + len(r.RequestURI) + 1 + len(r.Proto) + 2)
	for k, vs := range r.Header {
		for _, v := range vs {
			n += int64(len(k) + 2 + len(v) + 2)
		}
	}
	if r.Host != "" && r.Header.Get("Host") == "" {
		n += int64(len("Host: ") + len(r.Host) + 2)
	}
	n += 2
	if r.ContentLength > 0 {
		n += r.ContentLength
	}
	return n
}

func (a *AccessLog) write(e *logEntry) {
	var b []byte
	for _, p := range a.format.parts {
		if p.name == "" {
			b = append(b, p.lit...)
			continue
		}
		v := e.value(p.name)
		switch a.format.escape {
		case "none":
			b = append(b, v...)
		case "json":
			b = appendJSONEscaped(b, v)
		default:
			if v == "" {
				b = append(b, '-')
				continue
			}
			b = appendLogEscaped(b, v)
		}
	}
	b = append(b, '\n')
	a.file.write(b)
}

// appendLogEscaped escapes as nginx's default: '"', '\' and bytes below 0x20 or from 0x7f
// become \xHH.
func appendLogEscaped(b []byte, s string) []byte {
	const hex = "0123456789ABCDEF"
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '"' || c == '\\' || c < 0x20 || c >= 0x7f {
			b = append(b, '\\', 'x', hex[c>>4], hex[c&0xf])
			continue
		}
		b = append(b, c)
	}
	return b
}

// appendJSONEscaped escapes as nginx's escape=json.
func appendJSONEscaped(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '"', '\\':
			b = append(b, '\\', c)
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		case '\b':
			b = append(b, '\\', 'b')
		case '\f':
			b = append(b, '\\', 'f')
		default:
			if c < 0x20 {
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
				continue
			}
			b = append(b, c)
		}
	}
	return b
}

// headBytes estimates the size of the response head net/http wrote for the header map.
func headBytes(proto string, status int, h http.Header) int64 {
	n := len(proto) + 1 + 3 + 1 + len(http.StatusText(status)) + 2
	for k, vs := range h {
		for _, v := range vs {
			n += len(k) + 2 + len(v) + 2
		}
	}
	if h.Get("Date") == "" {
		n += len("Date: Mon, 02 Jan 2006 15:04:05 GMT\r\n")
	}
	return int64(n + 2)
}
