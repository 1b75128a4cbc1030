package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"time"

	"github.com/luaws/luaws/errlog"
	"github.com/luaws/luaws/html"
	"github.com/luaws/luaws/luabind"
	"github.com/luaws/luaws/luabind/shdict"
	"github.com/luaws/luaws/scripts"
)

// server is a running luaws: a listener, the HTTP server and the Lua host.
type server struct {
	opts *options
	log  *errlog.Logger
	host *luabind.Host
	mux  *http.ServeMux
}

func newServer(o *options) (*server, error) {
	level, err := errlog.ParseLevel(o.logLevel)
	if err != nil {
		return nil, err
	}
	lg, err := errlog.Open(o.errorLog, level)
	if err != nil {
		return nil, err
	}
	dicts := shdict.NewRegistry()
	for _, d := range o.sharedDicts {
		name, size, ok := strings.Cut(d, "=")
		if !ok {
			return nil, fmt.Errorf("--shared-dict %q: want NAME=SIZE", d)
		}
		n, err := shdict.ParseSize(size)
		if err != nil {
			return nil, fmt.Errorf("--shared-dict %q: %w", d, err)
		}
		if err := dicts.Add(name, n); err != nil {
			return nil, fmt.Errorf("--shared-dict %q: %w", d, err)
		}
	}
	host, err := luabind.NewHost(luabind.Config{LuaPath: o.luaPath, Log: lg, SharedDicts: dicts})
	if err != nil {
		return nil, err
	}
	s := &server{opts: o, log: lg, host: host, mux: http.NewServeMux()}
	if err := s.routes(); err != nil {
		return nil, err
	}
	return s, nil
}

// routes maps each location to its handler; with none, the seed blog post's demo.
func (s *server) routes() error {
	locs := s.opts.locations
	if len(locs) == 0 {
		h, err := s.host.InlineHandler("echo.lua", scripts.Echo)
		if err != nil {
			return fmt.Errorf("compile the embedded echo handler: %w", err)
		}
		s.mux.Handle("/s", h)
	}
	for _, l := range locs {
		script, err := filepath.Abs(l.script)
		if err != nil {
			return err
		}
		h, err := s.host.FileHandler(script)
		if err != nil {
			return fmt.Errorf("location %s: %w", l.path, err)
		}
		s.mux.Handle(l.path, exact(l.path, h))
	}
	var files http.Handler
	switch {
	case s.opts.root != "":
		files = http.FileServer(http.Dir(s.opts.root))
	case len(locs) == 0:
		files = http.FileServerFS(html.FS)
	default:
		files = http.NotFoundHandler()
	}
	s.mux.Handle("/", files)
	return nil
}

// exact serves h only for exactly path (ServeMux patterns without a trailing slash already
// match exactly; this keeps "/s/" and friends out).
func exact(path string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != path {
			http.NotFound(w, r)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// listen opens the listening socket with nginx's so_keepalive semantics: keepalive only
// when asked (nginx leaves the system default, which is off).
func (s *server) listen() (net.Listener, error) {
	ka := s.opts.keepalive
	lc := net.ListenConfig{KeepAlive: -1}
	if ka.on {
		lc.KeepAliveConfig = net.KeepAliveConfig{Enable: true, Idle: ka.idle, Interval: ka.intvl, Count: ka.count}
		if ka.idle == 0 {
			lc.KeepAliveConfig.Idle = -1
		}
		if ka.intvl == 0 {
			lc.KeepAliveConfig.Interval = -1
		}
		if ka.count == 0 {
			lc.KeepAliveConfig.Count = -1
		}
		lc.KeepAlive = 0
	}
	ln, err := lc.Listen(context.Background(), "tcp", s.opts.listen)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", s.opts.listen, err)
	}
	return ln, nil
}

func (s *server) serve(ctx context.Context, stderr io.Writer) error {
	ln, err := s.listen()
	if err != nil {
		return err
	}
	hs := &http.Server{
		Handler:           s.mux,
		ConnContext:       s.host.ConnContext,
		ReadHeaderTimeout: 60 * time.Second, // client_header_timeout
		MaxHeaderBytes:    32 << 10,
		ErrorLog:          log.New(logWriter{s.log}, "", 0),
		TLSNextProto:      map[string]func(*http.Server, *tls.Conn, http.Handler){}, // HTTP/1.1 only: websockets
	}
	scheme := "http"
	if s.opts.tlsCert != "" {
		cert, err := tls.LoadX509KeyPair(s.opts.tlsCert, s.opts.tlsKey)
		if err != nil {
			return fmt.Errorf("load TLS certificate: %w", err)
		}
		hs.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, NextProtos: []string{"http/1.1"}}
		ln = tls.NewListener(ln, hs.TLSConfig)
		scheme = "https"
	}
	s.log.Logf(errlog.Notice, nil, "luaws/%s listening on %s://%s", version, scheme, ln.Addr())
	if len(s.opts.locations) == 0 {
		fmt.Fprintf(stderr, "luaws %s: echo demo at %s://%s/websockets.html\n", version, scheme, ln.Addr())
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		if errors.Is(err, http.ErrServerClosed) {
			return nil
		}
		return err
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = hs.Shutdown(sctx)
		return nil
	}
}

// logWriter sends net/http's own complaints (bad TLS handshakes, ...) to the error log at
// info level, as nginx logs client errors.
type logWriter struct{ l *errlog.Logger }

func (w logWriter) Write(p []byte) (int, error) {
	msg := string(p)
	for len(msg) > 0 && msg[len(msg)-1] == '\n' {
		msg = msg[:len(msg)-1]
	}
	w.l.Log(errlog.Info, nil, msg)
	return len(p), nil
}
