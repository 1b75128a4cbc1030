package server

import (
	"context"
	"net/http"
	"strconv"
	"strings"

	"github.com/luaws/luaws/luabind"
	"github.com/luaws/luaws/ngxconf"
)

// errorPage is one code's error_page: an internal redirect to URI (or a named location),
// or an external redirect; code is the status sent ("=code"), 0 for the original one, -1
// for the status the redirect target gives ("=").
type errorPage struct {
	uri  string
	code int
}

// ErrorPages are a location's error_page directives by status.
type ErrorPages map[int]errorPage

// parseErrorPage reads "error_page code ... [=[response]] uri" into pages.
func parseErrorPage(d *ngxconf.Directive, pages ErrorPages) error {
	if len(d.Args) < 2 {
		return nargs(d)
	}
	args := d.Args
	uri := args[len(args)-1]
	args = args[:len(args)-1]
	p := errorPage{uri: uri}
	if last := args[len(args)-1]; strings.HasPrefix(last, "=") {
		args = args[:len(args)-1]
		if last == "=" {
			p.code = -1
		} else {
			n, err := strconv.Atoi(last[1:])
			if err != nil || n < 100 || n > 999 {
				return emerg(d, "invalid value \"%s\"", last)
			}
			p.code = n
		}
	}
	if len(args) == 0 {
		return nargs(d)
	}
	for _, a := range args {
		n, err := strconv.Atoi(a)
		if err != nil {
			return emerg(d, "invalid value \"%s\"", a)
		}
		if n < 300 || n > 599 || n == 499 {
			return emerg(d, "value \"%s\" must be between 300 and 599", a)
		}
		pages[n] = p
	}
	return nil
}

type errorPagesKey struct{}
type internalKey struct{}

// withErrorPages puts a location's error pages in r's context (and luabind's hook, so that
// ngx.exit(status) finds them too).
func withErrorPages(r *http.Request, pages ErrorPages) *http.Request {
	if len(pages) == 0 {
		if r.Context().Value(errorPagesKey{}) == nil {
			return r
		}
		ctx := context.WithValue(r.Context(), errorPagesKey{}, ErrorPages(nil))
		return r.WithContext(luabind.WithSpecialHook(ctx, nil))
	}
	ctx := context.WithValue(r.Context(), errorPagesKey{}, pages)
	return r.WithContext(luabind.WithSpecialHook(ctx, serveErrorPage))
}

// isInternal reports whether r is an internal redirect (error_page), which may enter
// "internal" locations.
func isInternal(r *http.Request) bool { return r.Context().Value(internalKey{}) != nil }

// serveErrorPage serves the error_page for status, if the request's location has one and
// the request is not already an error page (recursive_error_pages off); false: none.
func serveErrorPage(w http.ResponseWriter, r *http.Request, status int) bool {
	pages, _ := r.Context().Value(errorPagesKey{}).(ErrorPages)
	p, ok := pages[status]
	if !ok || isInternal(r) {
		return false
	}
	if strings.HasPrefix(p.uri, "http://") || strings.HasPrefix(p.uri, "https://") {
		code := p.code
		if code <= 0 {
			code = http.StatusFound
		}
		w.Header().Set("Location", p.uri)
		writeSpecialPlain(w, r, code)
		return true
	}
	v := ServerOf(r)
	if v == nil {
		return false
	}
	var l *Loc
	r2 := r.Clone(context.WithValue(r.Context(), internalKey{}, true))
	if strings.HasPrefix(p.uri, "@") {
		l = v.NamedLocation(p.uri)
	} else {
		path, query, _ := strings.Cut(p.uri, "?")
		u := *r.URL
		u.Path, u.RawPath, u.RawQuery = path, "", query
		r2.URL = &u
		r2.RequestURI = u.RequestURI()
		if r2.Method != http.MethodHead {
			r2.Method = http.MethodGet
		}
		l = FindLocation(v.Locations, path)
	}
	if l == nil || l.Handler == nil {
		writeSpecialPlain(w, r, http.StatusNotFound)
		return true
	}
	if st := stateOf(r); st != nil && l.re != nil {
		st.captures = l.re.FindStringSubmatch(r2.URL.Path)
	}
	ew := &statusWriter{ResponseWriter: w, code: p.code, orig: status}
	l.Handler.ServeHTTP(ew, r2)
	return true
}

// statusWriter sends an error page's response with the error's status (or "=code"'s).
type statusWriter struct {
	http.ResponseWriter
	code, orig int
	wrote      bool
}

func (w *statusWriter) WriteHeader(code int) {
	if w.wrote {
		return
	}
	w.wrote = true
	switch {
	case w.code > 0:
		code = w.code
	case w.code == 0:
		code = w.orig
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(p []byte) (int, error) {
	if !w.wrote {
		w.WriteHeader(http.StatusOK)
	}
	return w.ResponseWriter.Write(p)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
