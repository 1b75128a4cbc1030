// Package server runs luaws: a listener, net/http, and a luabind.Host serving Lua handlers at
// locations. The command (cmd/luaws) and the spec runner's luaws.serve{} both build on it.
package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io/fs"
	"log"
	"net"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/luaws/luaws/errlog"
	"github.com/luaws/luaws/html"
	"github.com/luaws/luaws/luabind"
	"github.com/luaws/luaws/luabind/shdict"
	"github.com/luaws/luaws/scripts"
)

// Location maps an exact request path to a handler (nginx's "location = PATH").
type Location struct {
	Path string
	// Script is a Lua file (content_by_lua_file); or
	Script string
	// Code is inline Lua (content_by_lua) shown in errors as Chunkname.
	Code      []byte
	Chunkname string
}

// SharedDict is a lua_shared_dict.
type SharedDict struct {
	Name string
	Size int64
}

// Options configure a Server.
type Options struct {
	Listen    string // host:port; ":0" picks a free port
	Locations []Location
	// Root serves static files (nginx's root). With no Root and no Locations, the seed blog
	// post's demo is served: its echo handler at /s and its page at /websockets.html.
	Root        string
	LuaPath     string
	SharedDicts []SharedDict
	Log         *errlog.Logger
	KeepAlive   KeepAlive
	TLSCert     string
	TLSKey      string
	// CheckClientAbort is lua_check_client_abort (the seed's location turns it on).
	CheckClientAbort bool
	// CodeCacheOff gives each request a fresh Lua state (lua_code_cache off).
	CodeCacheOff bool
	// Workers is worker_processes: shared Lua states requests are spread over (default 1).
	Workers int
	// WebSocket are the defaults of luaws's opt-in WebSocket extensions (--ws-compression,
	// --ws-strict); server:new options override them.
	WebSocket luabind.WSDefaults
	// Stats, when set, collects the counters luaws --metrics serves.
	Stats *luabind.Stats
	// MaxRunningTime is lua_max_running_time (--lua-max-run-time; 0: no bound).
	MaxRunningTime time.Duration
	// AllowedOrigins are the origins websocket handshakes may come from (--allowed-origins).
	AllowedOrigins []string
	// Host overrides the luabind configuration built from the fields above.
	HostConfig *luabind.Config
	// AccessLog, if not nil, gets a line per request in nginx's combined format.
	AccessLog *FlagAccessLog
	// MemoryLimit is luabind.Config.MemoryLimit: a cap on any one string a Lua state builds.
	MemoryLimit int64
}

// Server is a configured luaws, ready to listen.
type Server struct {
	opts Options
	log  *errlog.Logger
	host *luabind.Host
	mux  *http.ServeMux
	hs   *http.Server
	ln   net.Listener
	fast *fastPath // plain HTTP: websocket handshakes served without net/http (fastpath.go)

	mu     sync.Mutex
	scheme string
}

// New builds a server: the Lua host, every handler compiled (a syntax error fails here).
func New(o Options) (*Server, error) {
	lg := o.Log
	if lg == nil {
		lg = errlog.New(stderr{}, errlog.Err)
	}
	dicts := shdict.NewRegistry()
	for _, d := range o.SharedDicts {
		if err := dicts.Add(d.Name, d.Size); err != nil {
			return nil, fmt.Errorf("shared dict %s: %w", d.Name, err)
		}
	}
	cfg := luabind.Config{LuaPath: o.LuaPath, Log: lg, SharedDicts: dicts,
		CheckClientAbort: o.CheckClientAbort, CodeCacheOff: o.CodeCacheOff, Workers: o.Workers,
		MemoryLimit: o.MemoryLimit, WebSocket: o.WebSocket, Stats: o.Stats,
		MaxRunningTime: o.MaxRunningTime, AllowedOrigins: o.AllowedOrigins}
	if o.HostConfig != nil {
		cfg = *o.HostConfig
		if cfg.Log == nil {
			cfg.Log = lg
		}
		if cfg.SharedDicts == nil {
			cfg.SharedDicts = dicts
		}
	}
	host, err := luabind.NewHost(cfg)
	if err != nil {
		return nil, err
	}
	s := &Server{opts: o, log: lg, host: host, mux: http.NewServeMux(), scheme: "http"}
	if err := s.routes(); err != nil {
		return nil, err
	}
	return s, nil
}

// Host returns the server's Lua host.
func (s *Server) Host() *luabind.Host { return s.host }

// Log returns the server's error log.
func (s *Server) Log() *errlog.Logger { return s.log }

// routes maps each location to its handler; with none, the seed blog post's demo.
func (s *Server) routes() error {
	locs := s.opts.Locations
	if len(locs) == 0 && s.opts.Root == "" {
		h, err := s.host.InlineHandler("echo.lua", scripts.Echo)
		if err != nil {
			return fmt.Errorf("compile the embedded echo handler: %w", err)
		}
		s.mux.Handle("/s", h)
	}
	seen := map[string]bool{}
	for _, l := range locs {
		var h http.Handler
		var err error
		if l.Script != "" {
			script, aerr := filepath.Abs(l.Script)
			if aerr != nil {
				return aerr
			}
			h, err = s.host.FileHandler(script)
		} else {
			name := l.Chunkname
			if name == "" {
				name = "content_by_lua(" + l.Path + ")"
			}
			h, err = s.host.InlineHandler(name, l.Code)
		}
		if err != nil {
			return fmt.Errorf("location %s: %w", l.Path, err)
		}
		if seen[l.Path] {
			return fmt.Errorf("duplicate location \"%s\"", l.Path)
		}
		seen[l.Path] = true
		s.mux.Handle(l.Path, exact(l.Path, h))
	}
	var files http.Handler
	switch {
	case s.opts.Root != "":
		root, err := filepath.Abs(s.opts.Root)
		if err != nil {
			return err
		}
		st, err := os.Stat(root)
		if errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("root %s: no such directory", s.opts.Root)
		}
		if err != nil {
			return fmt.Errorf("root: %w", err)
		}
		if !st.IsDir() {
			return fmt.Errorf("root %s: not a directory", s.opts.Root)
		}
		files = &Static{Root: root, Index: []string{"index.html"}, DefaultType: "application/octet-stream",
			Log: s.log, LogConn: func(r *http.Request) *errlog.Conn { return logConn(r, s.serverName()) }}
	case len(locs) == 0:
		demo := http.FileServerFS(html.FS)
		files = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			name := strings.TrimPrefix(path.Clean(r.URL.Path), "/")
			if _, err := fs.Stat(html.FS, name); err != nil && name != "" {
				writeSpecial(w, r, http.StatusNotFound)
				return
			}
			demo.ServeHTTP(w, r)
		})
	default:
		files = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			writeSpecial(w, r, http.StatusNotFound)
		})
	}
	for _, l := range locs {
		if l.Path == "/" {
			return nil
		}
	}
	s.mux.Handle("/", files)
	return nil
}

// handler is the server's entry: request framing checked, then the locations, each request
// written to the access log.
func (s *Server) handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w, r, ok := checkFraming(w, r)
		if !ok {
			return
		}
		if bw, ok := w.(*bodyOnlyWriter); ok {
			defer bw.close()
		}
		if bl := badLineOf(r); bl != nil && bl.status != 0 {
			writeSpecial(w, r, bl.status)
			return
		}
		r = r.WithContext(luabind.WithDispatcher(r.Context(), s.mux.ServeHTTP))
		if s.opts.AccessLog == nil {
			s.mux.ServeHTTP(w, r)
			return
		}
		rw := &respWriter{ResponseWriter: w}
		start := time.Now()
		defer s.opts.AccessLog.log(r, rw, start)
		s.mux.ServeHTTP(rw, r)
	})
}

// serverName names the server in log lines.
func (s *Server) serverName() string {
	if s.opts.HostConfig != nil && s.opts.HostConfig.ServerName != "" {
		return s.opts.HostConfig.ServerName
	}
	return "localhost"
}

// Locations are the locations served, in order ("/s" for the demo).
func (s *Server) Locations() []Location {
	if len(s.opts.Locations) == 0 && s.opts.Root == "" {
		return []Location{{Path: "/s", Chunkname: "echo.lua"}, {Path: "/websockets.html"}}
	}
	return s.opts.Locations
}

// exact serves h only for exactly path.
func exact(path string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != path {
			writeSpecial(w, r, http.StatusNotFound)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// Listen binds the listening socket (with so_keepalive as configured) and returns its
// address; Serve then serves on it.
func (s *Server) Listen() (net.Addr, error) {
	lc := s.opts.KeepAlive.listenConfig()
	ln, err := lc.Listen(context.Background(), "tcp", s.opts.Listen)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", s.opts.Listen, err)
	}
	ln = newGuardListener(ln, s.log, s.serverName(), s.opts.TLSCert == "")
	s.hs = &http.Server{
		Handler:           adoptedHandler(s.handler()),
		ConnContext:       fastConnContext(framingContext(s.host.ConnContext)),
		ReadHeaderTimeout: 60 * time.Second, // client_header_timeout
		MaxHeaderBytes:    32 << 10,
		ErrorLog:          log.New(logWriter{s.log}, "", 0),
		TLSNextProto:      map[string]func(*http.Server, *tls.Conn, http.Handler){}, // HTTP/1.1 only
	}
	if s.opts.TLSCert != "" {
		cert, err := tls.LoadX509KeyPair(s.opts.TLSCert, s.opts.TLSKey)
		if err != nil {
			ln.Close()
			return nil, fmt.Errorf("load TLS certificate: %w", err)
		}
		s.hs.TLSConfig = TLSConfig(cert)
		ln = tls.NewListener(ln, s.hs.TLSConfig)
		s.scheme = "https"
	} else {
		s.fast = newFastPath(s, ln)
	}
	s.ln = ln
	return ln.Addr(), nil
}

// URL is the base URL of the listening server ("http://127.0.0.1:8080").
func (s *Server) URL() string {
	return s.scheme + "://" + s.ln.Addr().String()
}

// Serve serves until Shutdown; it returns nil after a shutdown.
func (s *Server) Serve() error {
	if s.ln == nil {
		if _, err := s.Listen(); err != nil {
			return err
		}
	}
	s.log.Logf(errlog.Notice, nil, "luaws listening on %s", s.URL())
	var err error
	if s.fast != nil {
		go s.fast.acceptLoop()
		err = s.hs.Serve(s.fast.slow)
	} else {
		err = s.hs.Serve(s.ln)
	}
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// Shutdown is the graceful stop: it stops accepting, makes ngx.worker.exiting() true and
// waits (up to ctx) for requests and websocket handlers to end; the websockets still open
// when ctx ends get a close frame 1001 "going away".
func (s *Server) Shutdown(ctx context.Context) error {
	s.host.Exit()
	if s.hs == nil {
		return nil
	}
	err := s.hs.Shutdown(ctx)
	s.host.Shutdown(ctx)
	if s.host.Wait(ctx) != nil {
		if n := s.host.Websockets(); n > 0 {
			s.log.Logf(errlog.Notice, nil, "closing %d websocket connection(s) on shutdown timeout", n)
		}
		actx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_ = s.host.GoAway(actx)
		cancel()
		_ = s.hs.Close()
	}
	return err
}

// Close stops the server at once.
func (s *Server) Close() error {
	if s.hs == nil {
		return nil
	}
	return s.hs.Close()
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
