package server

import (
	"context"
	"net/http"
	"os"
	"strconv"
	"strings"
)

// TryFiles is try_files: the first of files that exists under the location's root (a name
// written with a trailing "/" must be a directory, any other a file) is served; else the
// last argument: "=code", a URI (an internal redirect) or a named location.
type TryFiles struct {
	files    []string
	fallback string
	root     func(uri string) string // the file a URI maps to (root or alias)
	vars     Variables
}

// serve runs try_files; done: it answered, else next serves the rewritten request.
func (t *TryFiles) serve(w http.ResponseWriter, r *http.Request, next http.Handler) {
	for _, f := range t.files {
		uri := expandRequest(f, r, t.vars)
		if uri == "" {
			continue
		}
		st, err := os.Stat(t.root(uri))
		if err != nil {
			continue
		}
		if strings.HasSuffix(f, "/") != st.IsDir() { // as written, not as expanded: nginx's test_dir
			continue
		}
		if uri != r.URL.Path {
			u := *r.URL
			u.Path, u.RawPath = uri, ""
			r2 := r.Clone(r.Context())
			r2.URL = &u
			r = r2
		}
		next.ServeHTTP(w, r)
		return
	}
	fb := expandRequest(t.fallback, r, t.vars)
	if code, ok := strings.CutPrefix(fb, "="); ok {
		n, err := strconv.Atoi(code)
		if err == nil {
			writeSpecial(w, r, n)
			return
		}
	}
	v := ServerOf(r)
	if v == nil {
		writeSpecial(w, r, http.StatusNotFound)
		return
	}
	r2 := r.Clone(context.WithValue(r.Context(), internalKey{}, true))
	var l *Loc
	if strings.HasPrefix(fb, "@") {
		l = v.NamedLocation(fb)
	} else {
		path, query, hasQuery := strings.Cut(fb, "?")
		u := *r.URL
		u.Path, u.RawPath = path, ""
		if hasQuery {
			u.RawQuery = query
		}
		r2.URL = &u
		r2.RequestURI = u.RequestURI()
		l = FindLocation(v.Locations, path)
	}
	if l == nil || l.Handler == nil {
		writeSpecial(w, r, http.StatusNotFound)
		return
	}
	if st := stateOf(r); st != nil && l.re != nil {
		st.captures = l.re.FindStringSubmatch(r2.URL.Path)
	}
	l.Handler.ServeHTTP(w, r2)
}
