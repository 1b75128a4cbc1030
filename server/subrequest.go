package server

import (
	"fmt"
	"net/http"

	"github.com/luaws/luaws/errlog"
	"github.com/luaws/luaws/luabind"
)

// Internal requests: subrequests (ngx.location.capture, echo_location) and internal
// redirects (ngx.exec, echo_exec) go through dispatch, nginx's location matching for a
// request that is already inside the server. Unlike a client's request, an internal one may
// enter "internal" locations; a named location ("@name") is reached by name only.

// dispatch serves an internal request r of the virtual server r came in on.
func (s *Site) dispatch(w http.ResponseWriter, r *http.Request) {
	v := ServerOf(r)
	if v == nil {
		writeSpecial(w, r, http.StatusNotFound)
		return
	}
	var l *Loc
	if name := luabind.NamedTarget(r.Context()); name != "" {
		l = v.NamedLocation(name)
		if l == nil {
			s.Log.Logf(errlog.Err, logConn(r, firstName(v)), "could not find named location \"%s\"", name)
			writeSpecial(w, r, http.StatusInternalServerError)
			return
		}
	}
	if luabind.IsSubrequest(r.Context()) {
		// a request state of its own: not logged (log_subrequest off), its own $1..$9
		var st *reqState
		r, st = withState(r, nil, v.Vars)
		defer st.endSubrequest()
	}
	if l == nil { // a URI: the server's rewrites first, as for any internal redirect
		if r = v.serverRewrite(w, r); r == nil {
			return
		}
		l = FindLocation(v.Locations, r.URL.Path)
	}
	if l == nil || l.Handler == nil {
		writeSpecial(w, r, http.StatusNotFound)
		return
	}
	if st := stateOf(r); st != nil && l.re != nil {
		st.captures = l.re.FindStringSubmatch(r.URL.Path)
	}
	l.Handler.ServeHTTP(w, r)
}

// endSubrequest runs a subrequest state's end hooks (limit_conn slots); nothing is logged.
func (st *reqState) endSubrequest() {
	st.mu.Lock()
	hooks := st.onEnd
	st.onEnd, st.ended = nil, true
	st.mu.Unlock()
	for _, f := range hooks {
		f()
	}
}

// internalRedirect serves r again at uri (with args) or at the named location, as nginx's
// ngx_http_internal_redirect / ngx_http_named_location: past 10 redirects it is a 500.
func internalRedirect(w http.ResponseWriter, r *http.Request, uri, args string, log *errlog.Logger, c *errlog.Conn) {
	var err error
	ctx := r.Context()
	if len(uri) > 0 && uri[0] == '@' {
		ctx, err = luabind.WithNamedTarget(ctx, uri)
	} else {
		ctx, err = luabind.WithInternalRedirect(ctx)
	}
	if err != nil {
		if log != nil {
			log.Log(errlog.Err, c, fmt.Sprintf("rewrite or internal redirection cycle while internally redirecting to \"%s\"", uri))
		}
		writeSpecial(w, r, http.StatusInternalServerError)
		return
	}
	d := luabind.DispatcherOf(ctx)
	if d == nil {
		writeSpecial(w, r, http.StatusNotFound)
		return
	}
	nr := r.Clone(ctx)
	if uri[0] != '@' {
		u := *r.URL
		u.Path, u.RawPath, u.RawQuery = uri, "", args
		nr.URL = &u
	}
	d(w, nr)
}
