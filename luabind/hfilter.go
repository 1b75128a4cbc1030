package luabind

import (
	"net/http"

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
