package luabind

import (
	"net/http"
	"sort"

	lua "github.com/yuin/gopher-lua"

	"github.com/luaws/luaws/errlog"
	"github.com/luaws/luaws/luabind/luajit"
)

// headerFilter runs the location's header_filter_by_lua* once, just before the response
// header goes out; the caller holds the baton. As in lua-nginx-module the chunk runs to its
// end without yielding (ngx.sleep and the output API are disabled there), it sees and may
// change ngx.header and ngx.status, and an error is logged as "failed to run
// header_filter_by_lua*: ..." and the connection is closed with nothing sent. It reports
// whether the response may go on.
func (r *request) headerFilter() bool {
	get := r.hfilter
	if get == nil || r.vm == nil {
		return true
	}
	r.hfilter = nil
	if ef, ok := findWriter[EarlyHeaderFilter](r.w); ok {
		r.earlyHeaderFilter(ef)
	}
	proto, err := get()
	if err != nil {
		r.sc.log.Log(errlog.Err, &r.logc, loadFailure(err))
		r.abortConn()
		return false
	}
	v := r.vm
	L, leave := r.enterFilter("header_filter")
	L.Push(luajit.NewFunction(L, proto))
	err = v.pcall(L, 0, 0)
	leave()
	if err != nil && !r.exited {
		r.sc.log.Log(errlog.Err, &r.logc, "failed to run header_filter_by_lua*: "+errorWithTrace(err))
		r.abortConn()
		return false
	}
	return true
}

// filterWriter runs the header filter on the header of a response that is not Lua's (a
// static file, return, proxy_pass): the filter sees that header through ngx.header and
// ngx.status, and what it leaves is what goes out.
type filterWriter struct {
	http.ResponseWriter
	r       *request
	done    bool
	aborted bool // the filter failed: the connection is closed, nothing more goes out
}

func (w *filterWriter) WriteHeader(code int) {
	if !w.done {
		w.done = true
		r := w.r
		h := w.ResponseWriter.Header()
		r.vm.baton.Lock()
		r.header.fields = r.header.fields[:0]
		for k, vs := range h {
			r.header.set(k, append([]string(nil), vs...))
		}
		r.status = code
		ok := r.headerFilter()
		for k := range h {
			delete(h, k)
		}
		for _, f := range r.header.fields {
			h[http.CanonicalHeaderKey(f.name)] = f.values
		}
		code = r.status
		r.vm.baton.Unlock()
		w.aborted = !ok
	}
	if !w.aborted {
		w.ResponseWriter.WriteHeader(code)
	}
}

func (w *filterWriter) Write(p []byte) (int, error) {
	if !w.done {
		w.WriteHeader(http.StatusOK)
	}
	if w.aborted {
		return 0, http.ErrHijacked
	}
	return w.ResponseWriter.Write(p)
}

func (w *filterWriter) Flush() {
	if w.aborted {
		return
	}
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (w *filterWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// enterFilter gives a filter phase (header_filter, body_filter) a light thread of its own
// holding the baton, on a fresh Lua thread of the state; leave gives the phase and the
// baton back to what ran before.
func (r *request) enterFilter(phase string) (L *lua.LState, leave func()) {
	v := r.vm
	L, _ = v.L.NewThread()
	prev, prevOwner := r.phase, v.baton.owner.Load()
	t := r.newThread(L)
	t.owns()
	v.baton.claim(t)
	r.phase = phase
	return L, func() {
		r.phase = prev
		t.cancel()
		if prevOwner != nil {
			v.baton.claim(prevOwner)
		}
	}
}

// EarlyHeaderFilter is a ResponseWriter with header filters nginx runs before
// header_filter_by_lua* (headers-more's: OpenResty adds that module after the Lua one, and
// a filter added later runs earlier). EarlyHeaderFilter runs them on h, once.
type EarlyHeaderFilter interface {
	EarlyHeaderFilter(h http.Header, status int)
}

// earlyHeaderFilter runs ef on the response header before the Lua header filter sees it.
func (r *request) earlyHeaderFilter(ef EarlyHeaderFilter) {
	h := make(http.Header, len(r.header.fields)+1)
	for _, f := range r.header.fields {
		h[http.CanonicalHeaderKey(f.name)] = append([]string(nil), f.values...)
	}
	defaultType := false // the type nginx would give the response, for -t to match
	if _, ok := h["Content-Type"]; !ok && r.sc.defaultType != "" {
		h["Content-Type"], defaultType = []string{r.sc.defaultType}, true
	}
	st := r.status
	if st == 0 {
		st = http.StatusOK
	}
	ef.EarlyHeaderFilter(h, st)
	for _, f := range append([]headerField(nil), r.header.fields...) {
		k := http.CanonicalHeaderKey(f.name)
		r.header.set(f.name, h[k])
		delete(h, k)
	}
	names := make([]string, 0, len(h))
	for k := range h {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		vs := h[k]
		if k == "Content-Type" && defaultType && len(vs) == 1 && vs[0] == r.sc.defaultType {
			continue
		}
		r.header.set(k, vs)
	}
}

// HeadPreviewer is a ResponseWriter whose header filters change a response head it has not
// written yet: PreviewHead applies them to h, a copy, leaving the response alone.
type HeadPreviewer interface {
	PreviewHead(h http.Header, status int)
}

// sentHead is the head the response goes out with, once sent (ngx.send_headers, the first
// output) even when still pending: the header filters' result, as $sent_http_* sees it.
func (r *request) sentHead() http.Header {
	h := make(http.Header, len(r.header.fields)+1)
	for _, f := range r.header.fields {
		h[http.CanonicalHeaderKey(f.name)] = append([]string(nil), f.values...)
	}
	if _, ok := h["Content-Type"]; !ok && r.sc.defaultType != "" {
		h["Content-Type"] = []string{r.sc.defaultType}
	}
	if p, ok := findWriter[HeadPreviewer](r.w); ok {
		st := r.status
		if st == 0 {
			st = http.StatusOK
		}
		p.PreviewHead(h, st)
	}
	return h
}
