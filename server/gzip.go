package server

import (
	"compress/gzip"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/luaws/luaws/luabind"
	"github.com/luaws/luaws/luabind/shdict"
)

// gzipConf is ngx_http_gzip_filter_module's settings: gzip, gzip_types (text/html always),
// gzip_min_length, gzip_comp_level, gzip_http_version, gzip_proxied (off or any),
// gzip_vary.
type gzipConf struct {
	on          bool
	types       map[string]bool // "*" for any
	minLength   int64
	level       int
	httpVersion int // 10 or 11
	proxiedAny  bool
	vary        bool
}

// gzipOK is ngx_http_gzip_ok: the client takes gzip (Accept-Encoding names it, not with
// q=0), speaks at least gzip_http_version, and is not behind a proxy (Via) unless
// gzip_proxied any; a subrequest's output is never compressed.
func (g *gzipConf) gzipOK(r *http.Request) bool {
	if r.ProtoMajor*10+r.ProtoMinor < g.httpVersion || luabind.IsSubrequest(r.Context()) {
		return false
	}
	if r.Header.Get("Via") != "" && !g.proxiedAny {
		return false
	}
	for _, part := range strings.Split(strings.Join(r.Header.Values("Accept-Encoding"), ","), ",") {
		coding, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if !strings.EqualFold(strings.TrimSpace(coding), "gzip") {
			continue
		}
		if q, ok := strings.CutPrefix(strings.ReplaceAll(params, " ", ""), "q="); ok {
			if f, err := strconv.ParseFloat(q, 64); err == nil && f == 0 {
				return false
			}
		}
		return true
	}
	return false
}

// wrap puts the gzip filter around next (next unchanged when gzip is off).
func (g *gzipConf) wrap(next http.Handler) http.Handler {
	if g == nil || !g.on {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gw := &gzipWriter{ResponseWriter: w, g: g, r: r, ok: g.gzipOK(r)}
		next.ServeHTTP(gw, r)
		gw.close()
	})
}

// gzipWriter compresses a response the filter takes: status 200, 403 or 404, no
// Content-Encoding yet, a type of gzip_types, a length not under gzip_min_length. The
// Content-Length goes (the response is chunked), Accept-Ranges too, and a strong ETag
// becomes weak, as nginx does. gzip_vary's Vary goes on every response the filter would
// take, compressed (ok: the client takes gzip) or not.
type gzipWriter struct {
	http.ResponseWriter
	g       *gzipConf
	r       *http.Request
	ok      bool
	started bool
	zw      *gzip.Writer
}

func (w *gzipWriter) WriteHeader(code int) {
	if w.started {
		return
	}
	w.started = true
	h := w.Header()
	ctype, _, _ := strings.Cut(h.Get("Content-Type"), ";")
	ctype = strings.ToLower(strings.TrimSpace(ctype))
	n, lenErr := strconv.ParseInt(h.Get("Content-Length"), 10, 64)
	if (code != http.StatusOK && code != http.StatusForbidden && code != http.StatusNotFound) ||
		h.Get("Content-Encoding") != "" || (lenErr == nil && n < w.g.minLength) ||
		!(ctype == "text/html" || w.g.types["*"] || w.g.types[ctype]) || w.r.Method == http.MethodHead {
		w.ResponseWriter.WriteHeader(code)
		return
	}
	if w.g.vary {
		h.Add("Vary", "Accept-Encoding")
	}
	if !w.ok {
		w.ResponseWriter.WriteHeader(code)
		return
	}
	h.Del("Content-Length")
	h.Del("Accept-Ranges")
	h.Set("Content-Encoding", "gzip")
	if et := h.Get("ETag"); strings.HasPrefix(et, "\"") {
		h.Set("ETag", "W/"+et)
	}
	w.ResponseWriter.WriteHeader(code)
	zw, err := gzip.NewWriterLevel(w.ResponseWriter, w.g.level)
	if err != nil {
		zw = gzip.NewWriter(w.ResponseWriter)
	}
	w.zw = zw
}

func (w *gzipWriter) Write(p []byte) (int, error) {
	if !w.started {
		w.WriteHeader(http.StatusOK)
	}
	if w.zw == nil {
		return w.ResponseWriter.Write(p)
	}
	if _, err := w.zw.Write(p); err != nil {
		return 0, fmt.Errorf("gzip: %w", err)
	}
	return len(p), nil
}

// Flush sends what is compressed so far (ngx.flush, echo_flush).
func (w *gzipWriter) Flush() {
	if w.zw != nil {
		_ = w.zw.Flush()
	}
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (w *gzipWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *gzipWriter) close() {
	if w.zw != nil {
		_ = w.zw.Close()
	}
}

// parseGzip applies one gzip_* directive to g.
func parseGzip(g *gzipConf, name string, args []string) error {
	one := func() (string, error) {
		if len(args) != 1 {
			return "", fmt.Errorf("invalid number of arguments in \"%s\" directive", name)
		}
		return args[0], nil
	}
	switch name {
	case "gzip", "gzip_vary":
		v, err := one()
		if err != nil {
			return err
		}
		if v != "on" && v != "off" {
			return fmt.Errorf("invalid value \"%s\" in \"%s\" directive, it must be \"on\" or \"off\"", v, name)
		}
		if name == "gzip" {
			g.on = v == "on"
		} else {
			g.vary = v == "on"
		}
	case "gzip_types":
		if len(args) == 0 {
			return fmt.Errorf("invalid number of arguments in \"%s\" directive", name)
		}
		g.types = map[string]bool{}
		for _, t := range args {
			g.types[strings.ToLower(t)] = true
		}
	case "gzip_min_length":
		v, err := one()
		if err != nil {
			return err
		}
		n, perr := shdict.ParseSize(v)
		if perr != nil {
			return fmt.Errorf("\"%s\" directive invalid value", name)
		}
		g.minLength = n
	case "gzip_comp_level":
		v, err := one()
		if err != nil {
			return err
		}
		n, perr := strconv.Atoi(v)
		if perr != nil || n < 1 || n > 9 {
			return fmt.Errorf("\"%s\" directive invalid value", name)
		}
		g.level = n
	case "gzip_http_version":
		v, err := one()
		if err != nil {
			return err
		}
		switch v {
		case "1.0":
			g.httpVersion = 10
		case "1.1":
			g.httpVersion = 11
		default:
			return fmt.Errorf("invalid value \"%s\" in \"%s\" directive, it must be \"1.0\" or \"1.1\"", v, name)
		}
	case "gzip_proxied":
		for _, a := range args {
			switch a {
			case "off":
				g.proxiedAny = false
			case "any":
				g.proxiedAny = true
			default:
				return fmt.Errorf("\"gzip_proxied %s\" is not supported by luaws (off or any)", a)
			}
		}
	}
	return nil
}
