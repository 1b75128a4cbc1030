package luabind

import (
	"time"

	"github.com/luaws/luaws/errlog"
)

// Settings are the per-server (or per-location) settings of nginx that Lua code observes:
// one Host (one set of Lua states, as one nginx worker) serves every server of a config,
// each request with its location's Settings. Zero fields take the Host's Config, except
// ServerName.
type Settings struct {
	// ServerName is the server's first server_name; "" for a server with none, as nginx
	// names it in log lines and $server_name.
	ServerName      string
	Log             *errlog.Logger // error_log
	SocketLogErrors *bool          // lua_socket_log_errors
	DefaultType     string         // default_type
	// Resolver (resolver), with NoResolver when there is none: host names then fail as under
	// nginx. ResolverTimeout is resolver_timeout.
	Resolver         string
	NoResolver       bool
	ResolverTimeout  time.Duration
	CheckClientAbort *bool // lua_check_client_abort
	NeedRequestBody  bool  // lua_need_request_body
	// Location names the location in metrics (its path as written in the config).
	Location string
	// SocketConnectTimeout, SocketSendTimeout and SocketReadTimeout are
	// lua_socket_connect_timeout, lua_socket_send_timeout and lua_socket_read_timeout
	// (0: 60s).
	SocketConnectTimeout, SocketSendTimeout, SocketReadTimeout time.Duration
	// MaxRunningTime is lua_max_running_time (0: the host's).
	MaxRunningTime time.Duration
}

// scope is Settings resolved against the host's defaults.
type scope struct {
	serverName      string
	log             *errlog.Logger
	sockLog         bool
	defaultType     string
	resolverAddr    string
	noResolver      bool
	resolverTimeout time.Duration
	checkAbort      bool
	needBody        bool
	location        string
	// cosocket timeouts (0: the default)
	connectTimeout, sendTimeout, readTimeout time.Duration
	maxRun                                   time.Duration
}

// scope resolves s (nil: the host's defaults).
func (h *Host) scope(s *Settings) *scope {
	sc := &scope{
		serverName:      h.cfg.ServerName,
		log:             h.log,
		sockLog:         h.sockLog,
		defaultType:     h.cfg.DefaultType,
		resolverAddr:    h.cfg.Resolver,
		noResolver:      h.cfg.NoResolver,
		resolverTimeout: h.cfg.ResolverTimeout,
		checkAbort:      h.cfg.CheckClientAbort,
		maxRun:          h.cfg.MaxRunningTime,
	}
	if s == nil {
		return sc
	}
	sc.serverName = s.ServerName
	if s.Log != nil {
		sc.log = s.Log
	}
	if s.SocketLogErrors != nil {
		sc.sockLog = *s.SocketLogErrors
	}
	if s.DefaultType != "" {
		sc.defaultType = s.DefaultType
	}
	if s.Resolver != "" || s.NoResolver {
		sc.resolverAddr, sc.noResolver = s.Resolver, s.NoResolver
	}
	if s.ResolverTimeout > 0 {
		sc.resolverTimeout = s.ResolverTimeout
	}
	sc.location = s.Location
	if s.MaxRunningTime > 0 {
		sc.maxRun = s.MaxRunningTime
	}
	sc.needBody = s.NeedRequestBody
	if s.CheckClientAbort != nil {
		sc.checkAbort = *s.CheckClientAbort
	}
	sc.connectTimeout, sc.sendTimeout, sc.readTimeout = s.SocketConnectTimeout, s.SocketSendTimeout, s.SocketReadTimeout
	return sc
}
