// Package luabind hosts OpenResty Lua handlers on gopher-lua: requests run as light threads of
// their worker's Lua state (or, with lua_code_cache off, of a fresh state each), instantiated
// from compiled, cached chunks; it provides the ngx API, the light-thread scheduler and the
// native side of the resty.websocket.* modules.
package luabind

import (
	"context"
	"crypto/x509"
	"fmt"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"time"

	lua "github.com/yuin/gopher-lua"

	"github.com/luaws/luaws/errlog"
	"github.com/luaws/luaws/luabind/shdict"
)

// Config is what a Host is built from; the command line or an nginx.conf fills it.
type Config struct {
	// LuaPath is nginx's lua_package_path: ";"-separated templates, ";;" for the default path.
	LuaPath string
	// LuaCPath is nginx's lua_package_cpath, package.cpath ("" when not set: luaws loads no
	// C modules; ";;" stands for LuaJIT's default cpath).
	LuaCPath string
	// Log is the error log; nil logs to standard error at "error".
	Log *errlog.Logger
	// ServerName is reported as ngx.var.server_name and in log lines ("localhost" if empty).
	ServerName string
	// SocketLogErrors is lua_socket_log_errors (OpenResty's default: on).
	SocketLogErrors *bool
	// DefaultType is nginx's default_type for responses without a Content-Type.
	DefaultType string
	// SharedDicts are the lua_shared_dict zones (nil: none).
	SharedDicts *shdict.Registry
	// Resolver is nginx's resolver (a DNS server address) for cosocket name lookups; empty
	// means Go's resolver (the system's), unless NoResolver.
	Resolver string
	// ResolverTimeout is resolver_timeout (0: the connect timeout alone bounds a lookup).
	ResolverTimeout time.Duration
	// NoResolver makes host names fail as under nginx with no resolver directive.
	NoResolver bool
	// TrustedCertificate is lua_ssl_trusted_certificate: CA certificates (PEM) trusted, with
	// the system's, when a cosocket verifies a server.
	TrustedCertificate string
	// SocketPoolSize is lua_socket_pool_size (default 30).
	SocketPoolSize int
	// SocketKeepaliveTimeout is lua_socket_keepalive_timeout (0: the default 60s; negative:
	// "0", no limit).
	SocketKeepaliveTimeout time.Duration
	// CheckClientAbort is lua_check_client_abort: notice clients that go away early.
	CheckClientAbort bool
	// CodeCacheOff is "lua_code_cache off": a fresh Lua state per request. By default requests
	// share their worker's state, as under OpenResty.
	CodeCacheOff bool
	// Prefix is nginx's -p prefix (ending in "/"), ngx.config.prefix(); empty means the
	// working directory.
	Prefix string
	// Workers is worker_processes: how many shared Lua states requests are spread over
	// (default 1, nginx's default). Each state runs one light thread at a time.
	Workers int
	// AllowOSExit lets os.exit end the process (`luaws run`); by default it ends only the
	// request or timer that calls it (see osexit.go).
	AllowOSExit bool
	// MemoryLimit caps (in bytes) any one string or buffer the Lua library functions of a
	// state build (string.rep, string.format, table.concat, `..`, ngx.say's buffer): asking
	// for more fails that call with LuaJIT's "not enough memory". 0: only LuaJIT's own
	// string limit (luajit.MaxStr) applies.
	MemoryLimit int64
	// WebSocket holds the defaults of luaws's opt-in WebSocket extensions (--ws-*).
	WebSocket WSDefaults
	// Stats, when set, collects the counters behind luaws --metrics (stats.go).
	Stats *Stats
	// MaxRunningTime is lua_max_running_time: a request whose Lua runs longer than this
	// without yielding (blocking I/O, sleeps and waits yield) is aborted; 0 means no bound.
	MaxRunningTime time.Duration
	// MaxPendingTimers and MaxRunningTimers are lua_max_pending_timers and
	// lua_max_running_timers (0: nginx's defaults, 1024 and 256).
	MaxPendingTimers, MaxRunningTimers int
	// AllowedOrigins, when not empty, are the origins ("https://example.com", or "*") a
	// websocket handshake that carries an Origin header may come from: another gets a 403,
	// against cross-site WebSocket hijacking. server:new{ allowed_origins = {...} } overrides.
	AllowedOrigins []string
}

// Host holds what every request of the process shares: configuration, the compiled-chunk
// cache and the connection counter behind nginx's "*N" log prefix.
type Host struct {
	cfg       Config
	moreVars  func(hr *http.Request, name string) (string, bool) // SetVariables
	log       *errlog.Logger
	luaPath   string
	luaCPath  string
	protos    *protoCache
	connSeq   atomic.Uint64
	sockLog   bool
	preloaded []preloadEntry

	pools            *connPools
	roots            *x509.CertPool
	poolSize         int
	keepaliveTimeout time.Duration

	workers    []*vm
	nextWorker atomic.Uint32
	active     sync.WaitGroup // requests whose Lua handler still runs (websockets included)
	runq       chan func()    // idle runners take requests' handlers from here (runner.go)
	timers     *timers
	initProtos []*lua.FunctionProto // init_by_lua*, init_worker_by_lua*: see phases.go
	watchdog   watchdog             // lua_max_running_time: see budget.go

	wsmu       sync.Mutex
	websockets map[*request]*socket // websockets being served, for GoAway
}

// NewHost checks cfg and compiles the embedded modules once.
func NewHost(cfg Config) (*Host, error) {
	h := &Host{cfg: cfg, log: cfg.Log, protos: newProtoCache(), runq: make(chan func())}
	h.protos.keep = !cfg.CodeCacheOff
	if h.log == nil {
		h.log = errlog.New(stderrWriter{}, errlog.Err)
	}
	if h.cfg.ServerName == "" {
		h.cfg.ServerName = "localhost"
	}
	if h.cfg.DefaultType == "" {
		h.cfg.DefaultType = "text/plain"
	}
	h.sockLog = cfg.SocketLogErrors == nil || *cfg.SocketLogErrors
	if h.cfg.SharedDicts == nil {
		h.cfg.SharedDicts = shdict.NewRegistry()
	}
	h.luaPath = expandLuaPath(cfg.LuaPath)
	h.luaCPath = expandLuaCPath(cfg.LuaCPath)
	h.pools = newConnPools()
	h.timers = newTimers(cfg.MaxPendingTimers, cfg.MaxRunningTimers)
	h.poolSize = cfg.SocketPoolSize
	if h.poolSize <= 0 {
		h.poolSize = 30
	}
	switch h.keepaliveTimeout = cfg.SocketKeepaliveTimeout; {
	case h.keepaliveTimeout == 0:
		h.keepaliveTimeout = 60 * time.Second
	case h.keepaliveTimeout < 0:
		h.keepaliveTimeout = 0 // no limit
	}
	roots, err := x509.SystemCertPool()
	if err != nil {
		roots = x509.NewCertPool()
	}
	if cfg.TrustedCertificate != "" {
		pem, err := os.ReadFile(cfg.TrustedCertificate)
		if err != nil {
			return nil, fmt.Errorf("lua_ssl_trusted_certificate: %w", err)
		}
		if !roots.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("lua_ssl_trusted_certificate %s: no certificate found", cfg.TrustedCertificate)
		}
	}
	h.roots = roots
	entries, err := embeddedModules(h.protos)
	if err != nil {
		return nil, fmt.Errorf("compile embedded modules: %w", err)
	}
	h.preloaded = entries
	if !cfg.CodeCacheOff {
		n := cfg.Workers
		if n <= 0 {
			n = 1
		}
		for i := 0; i < n; i++ {
			h.workers = append(h.workers, h.newVM(i))
		}
		if cfg.MemoryLimit > 0 {
			go h.guardMemory(h.timers.stop)
		}
	}
	return h, nil
}

// Wait waits (up to ctx) until no Lua handler runs: a graceful stop waits for websocket
// handlers, which outlive their ServeHTTP once they take the connection over.
func (h *Host) Wait(ctx context.Context) error {
	done := make(chan struct{})
	go func() { h.active.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Log returns the host's error log.
func (h *Host) Log() *errlog.Logger { return h.log }

// SetVariables gives the host variables beyond nginx's built-in ones (the http level's map
// variables): more computes $name for a request, or reports that it is not one of them.
func (h *Host) SetVariables(more func(hr *http.Request, name string) (string, bool)) {
	h.moreVars = more
}
