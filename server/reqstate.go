package server

import (
	"context"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/luaws/luaws/luabind"
)

// reqState follows a request to its real end, which for a handler that took the connection
// over (a websocket, a raw error page) comes after ServeHTTP returned: then the access log
// line is written with what was really sent, and limit_conn slots are released.
type reqState struct {
	mu       sync.Mutex
	r        *http.Request
	start    time.Time
	logs     []*AccessLog // the location's access_log (the server's until one is found)
	vars     Variables
	set      map[string]string
	onEnd    []func()
	served   bool // ServeHTTP returned
	rw       *respWriter
	sent     *luabind.Sent
	ended    bool
	upstream *upstreamInfo
	connReqs int
	captures []string // the last regex match's (location, rewrite, if), for $1..$9
	// mapped are the map variables computed (map.go); mapBusy those being computed
	mapped  map[string]string
	mapBusy map[string]bool
}

type reqStateKey struct{}

func stateOf(r *http.Request) *reqState {
	st, _ := r.Context().Value(reqStateKey{}).(*reqState)
	return st
}

// withState attaches a fresh reqState to r (and the hook luabind reports to).
func withState(r *http.Request, logs []*AccessLog, vars Variables) (*http.Request, *reqState) {
	st := &reqState{start: time.Now(), logs: logs, vars: vars}
	ctx := context.WithValue(r.Context(), reqStateKey{}, st)
	ctx = luabind.WithSentHook(ctx, st.reported)
	r = r.WithContext(ctx)
	st.r = r
	return r, st
}

// atEnd runs f when the request ends.
func (st *reqState) atEnd(f func()) {
	st.mu.Lock()
	st.onEnd = append(st.onEnd, f)
	st.mu.Unlock()
}

// reported is luabind's (or the proxy's) account of a taken-over connection.
func (st *reqState) reported(s luabind.Sent) {
	st.mu.Lock()
	st.sent = &s
	ready := st.served
	st.mu.Unlock()
	if ready {
		st.end()
	}
}

// returned is called when ServeHTTP returned.
func (st *reqState) returned(rw *respWriter) {
	st.mu.Lock()
	st.served, st.rw = true, rw
	ready := !rw.hijacked || st.sent != nil
	st.mu.Unlock()
	if ready {
		st.end()
	}
}

func (st *reqState) end() {
	st.mu.Lock()
	if st.ended {
		st.mu.Unlock()
		return
	}
	st.ended = true
	hooks := st.onEnd
	st.mu.Unlock()
	for _, f := range hooks {
		f()
	}
	if len(st.logs) == 0 {
		return
	}
	e := &logEntry{r: st.r, vars: st.vars, set: st.set, start: st.start, end: time.Now(),
		upstream: st.upstream, connReqs: st.connReqs}
	rw := st.rw
	switch {
	case st.sent != nil:
		e.status, e.bytes, e.bodyBytes = st.sent.Status, st.sent.Bytes, st.sent.BodyBytes
		if rw != nil && rw.bytes > 0 { // sent through net/http before the connection was taken over
			e.bodyBytes += rw.bytes
			e.bytes += headBytes("HTTP/1.1", e.status, rw.Header()) + rw.bytes
		}
	case rw.hijacked:
		e.status = 444
	default:
		e.status = rw.status
		if e.status == 0 {
			e.status = http.StatusOK
		}
		e.bodyBytes = rw.wireBody()
		e.bytes = headBytes("HTTP/1.1", e.status, rw.Header()) + e.bodyBytes
	}
	for _, a := range st.logs {
		a.write(e)
	}
}

// wireBody is the body as it went on the wire: chunked framing included, as nginx's
// $body_bytes_sent counts it.
//
// net/http chunks a response only when the handler set no Content-Length and either
// flushed or wrote more than it buffers (2048 bytes) before returning; otherwise it sets the
// length itself. The framing is counted per write, which is how the chunks go out when
// handlers flush what they write (the Lua output path does).
func (w *respWriter) wireBody() int64 {
	if w.chunks == 0 || w.Header().Get("Content-Length") != "" || w.req == nil ||
		w.req.ProtoMajor != 1 || w.req.ProtoMinor != 1 || w.req.Method == http.MethodHead ||
		(!w.flushed && w.bytes < 2048) {
		return w.bytes
	}
	return w.bytes + w.chunkBytes + 5 // "0\r\n\r\n"
}

// countChunk adds the framing of one chunk of n bytes.
func (w *respWriter) countChunk(n int) {
	if n <= 0 {
		return
	}
	w.chunks++
	w.chunkBytes += int64(len(strconv.FormatInt(int64(n), 16)) + 4)
}

// expandRequest expands nginx variables in s for r: the location's regex captures ($1..$9),
// "set" variables, then the built-ins.
func expandRequest(s string, r *http.Request, vars Variables) string {
	st := stateOf(r)
	if st == nil {
		return expand(s, r, vars, nil)
	}
	var set map[string]string
	lv := luabind.LuaVars(r.Context())
	if len(st.captures) > 1 || len(st.set) > 0 || len(lv) > 0 {
		set = make(map[string]string, len(st.set)+len(st.captures)+len(lv))
		for k, v := range st.set {
			set[k] = v
		}
		for k, v := range lv {
			set[k] = v
		}
		for i := 1; i < len(st.captures) && i < 10; i++ {
			set[strconv.Itoa(i)] = st.captures[i]
		}
	}
	return expand(s, r, vars, set)
}
