package server

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/luaws/luaws/errlog"
	"github.com/luaws/luaws/luabind"
	"github.com/luaws/luaws/luabind/shdict"
	"github.com/luaws/luaws/ngxconf"
)

// NginxOptions say how FromNginx resolves paths and reports what it does not implement.
type NginxOptions struct {
	Prefix  string // nginx's -p, ending in "/"
	ConfDir string // the directory of the main configuration file
	Log     *errlog.Logger
	// Ignored is called once per directive name luaws accepts without implementing.
	Ignored func(d *ngxconf.Directive, why string)
	// Opened collects files opened for logging (closed by the caller on exit).
	Opened func(closer interface{ Close() error })
	// Warn receives nginx's configuration warnings ("conflicting server name ...", with
	// their position); nil logs them to Log.
	Warn func(msg string)
	// Lifecycle is what the main level and the previous configuration pass on: see
	// lifecycle.go.
	Lifecycle
}

// NginxSite is a Site built from an http{} block, with what the command needs around it.
type NginxSite struct {
	*Site
	// Hosts are the Lua hosts, one per distinct set of Lua settings (server name,
	// resolver, lua_socket_log_errors, ...).
	Hosts []*luabind.Host
	// Init is init_by_lua* then init_worker_by_lua* (already run once by FromNginx).
	Init []luabind.Chunk
	// Logs are the error logs opened by error_log at http/server level (reopened by USR1).
	Logs []*errlog.Logger
	// Dicts are the lua_shared_dict zones (a reload keeps those whose name and size stay).
	Dicts *shdict.Registry
}

// emerg is a configuration error at d.
func emerg(d *ngxconf.Directive, format string, args ...any) error {
	return &ngxconf.Error{Msg: fmt.Sprintf(format, args...), File: d.File, Line: d.Line}
}

// scope is what a level (http, server, location) passes down to the levels inside it.
type scope struct {
	root, alias  string
	rootSet      bool
	index        []string
	defaultType  string
	tokensOff    bool          // server_tokens off
	keepalive    time.Duration // keepalive_timeout (0: not set, -1: off)
	more         []*moreCmd    // headers-more commands, the outer levels' first
	headers      []Header
	sockLog      *bool
	resolver     string
	trusted      string
	poolSize     int
	poolTimeout  time.Duration
	maxBody      int64
	log          *errlog.Logger
	sslCert      string
	sslKey       string
	clientCA     string
	verifyClient string
	sslCertLua   *ngxconf.Directive // ssl_certificate_by_lua* (http or server level)
	serverName   string
	serverNames  []string  // the server's server_name values
	referers     *referers // valid_referers
	types        map[string]string

	// access and limits
	rules           []accessRule
	auth            *basicAuth
	satisfyAny      bool
	limitReqs       []*limitReq
	limitReqStatus  int
	limitReqLevel   int
	limitConns      []*limitConn
	limitConnStatus int
	limitConnLevel  int
	limitReqDry     bool
	limitConnDry    bool
	// access_log: logs set at this level or inherited; accessSet once any level set one
	accessLogs []*AccessLog
	accessSet  bool
	// lua-nginx-module per-location flags (nil: the default)
	checkAbort   *bool
	needBody     bool // lua_need_request_body
	codeCacheOff bool
	gzip         *gzipConf // gzip and gzip_* (nil: never set)
	// dav_methods (nil: off), dav_access, create_full_put_path, min_delete_depth
	davMethods  map[string]bool
	davAccess   os.FileMode
	davFullPath bool
	davMinDepth int
	// auth_request URI ("": off) and its auth_request_set
	authRequest    string
	authRequestSet []SetVar
	// proxy
	proxySet       []Header
	proxyVersion   string
	nextTries      int    // proxy_next_upstream_tries (0: no limit)
	proxyBind      string // proxy_bind's address (variables allowed; "" or "off": none)
	connectTimeout time.Duration
	readTimeout    time.Duration
	sendTimeout    time.Duration
	passHeaders    bool
	passBody       bool
	resolverTime   time.Duration
	errorPages     ErrorPages
	// rewrite/access/log_by_lua* of the http and server levels, by phase
	luaPhases map[string]*ngxconf.Directive
	// lua_socket_{connect,send,read}_timeout
	luaConnect, luaSend, luaRead time.Duration
	maxRun                       time.Duration // lua_max_running_time
}

type builder struct {
	o        NginxOptions
	stats    *luabind.Stats // shared by the site's hosts, served by luaws_metrics
	site     *NginxSite
	dicts    *shdict.Registry
	luaPath  string
	luaCPath string
	// lua_max_pending_timers, lua_max_running_timers (0: nginx's defaults)
	maxPendingTimers, maxRunningTimers int
	hosts                              map[string]*luabind.Host
	ignored                            map[string]bool

	reqZones   map[string]*limitReqZone
	connZones  map[string]*limitConnZone
	formats    map[string]*LogFormat
	logFiles   map[string]*logFile
	upstreams  map[string]*Upstream
	defaultLog []*AccessLog
	vars       Variables
	maps       maps // the map variables
	lifecycleSettings
}

// FromNginx builds a Site from the http{} block of an nginx configuration: its servers,
// locations and Lua handlers, every Lua chunk compiled (and init_by_lua* run) now.
func FromNginx(http *ngxconf.Directive, o NginxOptions) (*NginxSite, error) {
	b := &builder{o: o, stats: &luabind.Stats{}, dicts: shdict.NewRegistry(), hosts: map[string]*luabind.Host{}, ignored: map[string]bool{},
		reqZones: map[string]*limitReqZone{}, connZones: map[string]*limitConnZone{},
		formats: map[string]*LogFormat{}, logFiles: map[string]*logFile{}, upstreams: map[string]*Upstream{}}
	b.site = &NginxSite{Site: &Site{Log: o.Log}}
	if err := ngxconf.Check(http.Block, func(d *ngxconf.Directive) {
		b.ignore(d, "tuning only, not implemented by luaws")
	}); err != nil {
		return nil, err
	}
	sc := scope{root: o.Prefix + "html", index: []string{"index.html"}, defaultType: "text/plain",
		log: o.Log, maxBody: 1 << 20, limitReqStatus: 503, limitReqLevel: errlog.Err,
		limitConnStatus: 503, limitConnLevel: errlog.Err, proxyVersion: "1.0", davAccess: 0600,
		connectTimeout: 60 * time.Second, readTimeout: 60 * time.Second, sendTimeout: 60 * time.Second,
		passHeaders: true, passBody: true}
	combined, _ := ParseLogFormat("combined", combinedFormat, "default")
	b.formats["combined"] = combined
	// Lua-wide settings first: they apply to every host, whatever their position.
	for _, d := range http.Block {
		switch d.Name {
		case "lua_package_path":
			if len(d.Args) != 1 {
				return nil, nargs(d)
			}
			// lua-nginx-module puts the server prefix (-p) for $prefix and ${prefix}
			b.luaPath = strings.NewReplacer("${prefix}", b.o.Prefix, "$prefix", b.o.Prefix).Replace(d.Args[0])
		case "lua_package_cpath":
			if len(d.Args) != 1 {
				return nil, nargs(d)
			}
			b.luaCPath = strings.NewReplacer("${prefix}", b.o.Prefix, "$prefix", b.o.Prefix).Replace(d.Args[0])
		case "lua_max_pending_timers", "lua_max_running_timers":
			if len(d.Args) != 1 {
				return nil, nargs(d)
			}
			n, err := strconv.Atoi(d.Args[0])
			if err != nil || n < 0 {
				return nil, emerg(d, "\"%s\" directive invalid number", d.Name)
			}
			if d.Name == "lua_max_pending_timers" {
				b.maxPendingTimers = n
			} else {
				b.maxRunningTimers = n
			}
		case "lua_shared_dict":
			if len(d.Args) != 2 {
				return nil, nargs(d)
			}
			n, err := shdict.ParseSize(d.Args[1])
			if err != nil {
				return nil, emerg(d, "invalid lua shared dict size \"%s\"", d.Args[1])
			}
			if err := b.dicts.Add(d.Args[0], n); err != nil {
				return nil, emerg(d, "%v", err)
			}
		default:
			if err := b.httpLevel(d); err != nil {
				return nil, err
			}
			if err := b.lifecycle(d); err != nil {
				return nil, err
			}
		}
	}
	b.dicts.Inherit(o.PrevDicts)
	b.site.Dicts = b.dicts
	if err := b.settings(http.Block, &sc, "http"); err != nil {
		return nil, err
	}
	var init []luabind.Chunk
	for _, d := range http.Block {
		switch d.Name {
		case "init_by_lua", "init_by_lua_block", "init_by_lua_file",
			"init_worker_by_lua", "init_worker_by_lua_block", "init_worker_by_lua_file":
			c, err := b.chunk(d)
			if err != nil {
				return nil, err
			}
			init = append(init, c)
		case "server":
			v, err := b.server(d, sc)
			if err != nil {
				return nil, err
			}
			b.site.Servers = append(b.site.Servers, v)
		}
	}
	if err := checkListens(b.site.Servers); err != nil {
		return nil, err
	}
	checkServerNames(b.site.Servers, b.warn)
	if len(b.site.Servers) == 0 {
		return nil, emerg(http, "no \"server\" block in \"http\"")
	}
	b.site.Init = init
	for _, h := range b.site.Hosts {
		h.SetInit(init)
	}
	if len(b.site.Hosts) == 0 {
		h, err := b.host(sc)
		if err != nil {
			return nil, err
		}
		h.SetInit(init)
	}
	b.site.ConnContext = b.site.Hosts[0].ConnContext
	b.site.LuaHosts = b.site.Hosts
	if err := b.site.Hosts[0].RunInit(); err != nil {
		return nil, err
	}
	return b.site, nil
}

func nargs(d *ngxconf.Directive) error {
	return emerg(d, "invalid number of arguments in \"%s\" directive", d.Name)
}

func (b *builder) ignore(d *ngxconf.Directive, why string) {
	if b.ignored[d.Name] || b.o.Ignored == nil {
		return
	}
	b.ignored[d.Name] = true
	b.o.Ignored(d, why)
}

// path resolves a relative path against the prefix.
func (b *builder) path(p string) string {
	if p == "" || filepath.IsAbs(p) {
		return p
	}
	return b.o.Prefix + p
}

// confPath resolves a relative path against the configuration directory (ssl_* files).
func (b *builder) confPath(p string) string {
	if p == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(b.o.ConfDir, p)
}

func onOff(d *ngxconf.Directive) (bool, error) {
	if len(d.Args) != 1 {
		return false, nargs(d)
	}
	switch d.Args[0] {
	case "on":
		return true, nil
	case "off":
		return false, nil
	}
	return false, emerg(d, "invalid value \"%s\" in \"%s\" directive, it must be \"on\" or \"off\"", d.Args[0], d.Name)
}

// settings applies a level's directives to sc; nested blocks are handled by the caller.
func (b *builder) settings(ds []*ngxconf.Directive, sc *scope, level string) error {
	var headers []Header
	seen := map[string]bool{} // array directives met at this level replace the inherited ones
	for _, d := range ds {
		if err := checkContext(d, level); err != nil {
			return err
		}
		var err error
		switch d.Name {
		case "root", "alias":
			if len(d.Args) != 1 {
				return nargs(d)
			}
			if d.Name == "alias" && level != "location" {
				return emerg(d, "\"alias\" directive is not allowed here")
			}
			p := b.path(d.Args[0])
			if d.Name == "root" {
				sc.root, sc.alias, sc.rootSet = strings.TrimSuffix(p, "/"), "", true
			} else {
				sc.alias, sc.root = p, ""
			}
		case "index":
			if len(d.Args) == 0 {
				return nargs(d)
			}
			sc.index = d.Args
		case "default_type":
			if len(d.Args) != 1 {
				return nargs(d)
			}
			sc.defaultType = d.Args[0]
		case "more_set_headers", "more_clear_headers", "more_set_input_headers", "more_clear_input_headers":
			cmd, err := parseMore(d)
			if err != nil {
				return err
			}
			sc.more = append(sc.more[:len(sc.more):len(sc.more)], cmd)
		case "server_tokens":
			if len(d.Args) != 1 {
				return nargs(d)
			}
			switch d.Args[0] {
			case "on", "build":
				sc.tokensOff = false
			case "off":
				sc.tokensOff = true
			default:
				return emerg(d, "invalid value \"%s\" in \"%s\" directive, it must be \"on\", \"off\" or \"build\"", d.Args[0], d.Name)
			}
		case "valid_referers":
			if sc.referers, err = parseReferers(d, sc.serverNames); err != nil {
				return err
			}
		case "add_header":
			if len(d.Args) < 2 || len(d.Args) > 3 {
				return nargs(d)
			}
			h := Header{Name: d.Args[0], Value: d.Args[1]}
			if len(d.Args) == 3 {
				if d.Args[2] != "always" {
					return emerg(d, "invalid parameter \"%s\"", d.Args[2])
				}
				h.Always = true
			}
			headers = append(headers, h)
		case "lua_max_running_time":
			if sc.maxRun, err = maxRunningTime(d); err != nil {
				return err
			}
		case "lua_socket_log_errors":
			var on bool
			if on, err = onOff(d); err == nil {
				sc.sockLog = &on
			}
		case "resolver":
			if len(d.Args) == 0 {
				return nargs(d)
			}
			sc.resolver = ""
			for _, a := range d.Args {
				if strings.Contains(a, "=") {
					continue // ipv6=off, valid=30s: luaws asks for A records only
				}
				if sc.resolver == "" {
					sc.resolver = a
				}
			}
		case "lua_ssl_trusted_certificate":
			if len(d.Args) != 1 {
				return nargs(d)
			}
			sc.trusted = b.confPath(d.Args[0])
		case "lua_socket_pool_size":
			if len(d.Args) != 1 {
				return nargs(d)
			}
			n, err := strconv.Atoi(d.Args[0])
			if err != nil || n <= 0 {
				return emerg(d, "invalid value \"%s\" in \"%s\" directive", d.Args[0], d.Name)
			}
			sc.poolSize = n
		case "lua_socket_keepalive_timeout":
			if len(d.Args) != 1 {
				return nargs(d)
			}
			t, err := ParseTime(d.Args[0])
			if err != nil {
				return emerg(d, "invalid value \"%s\" in \"%s\" directive", d.Args[0], d.Name)
			}
			if t == 0 {
				t = -1 // unlimited (0 is "not set" in luabind.Config)
			}
			sc.poolTimeout = t
		case "client_max_body_size":
			if len(d.Args) != 1 {
				return nargs(d)
			}
			n, err := shdict.ParseSize(d.Args[0])
			if err != nil {
				return emerg(d, "\"%s\" directive invalid value", d.Name)
			}
			sc.maxBody = n
		case "keepalive_timeout":
			if len(d.Args) < 1 || len(d.Args) > 2 {
				return nargs(d)
			}
			t, err := ParseTime(d.Args[0])
			if err != nil {
				return emerg(d, "\"%s\" directive invalid value", d.Name)
			}
			if t == 0 {
				t = -1 // keep-alive off
			}
			sc.keepalive = t
			if level == "http" {
				b.site.KeepaliveTimeout = t
			}
		case "error_log":
			lg, err := b.openLog(d)
			if err != nil {
				return err
			}
			sc.log = lg
		case "ssl_certificate":
			if len(d.Args) != 1 {
				return nargs(d)
			}
			sc.sslCert = b.confPath(d.Args[0])
		case "ssl_certificate_key":
			if len(d.Args) != 1 {
				return nargs(d)
			}
			sc.sslKey = b.confPath(d.Args[0])
		case "ssl_client_certificate", "ssl_trusted_certificate":
			if len(d.Args) != 1 {
				return nargs(d)
			}
			sc.clientCA = b.confPath(d.Args[0])
		case "ssl_certificate_by_lua_block", "ssl_certificate_by_lua_file":
			if level == "location" {
				return emerg(d, "\"%s\" directive is not allowed here", d.Name)
			}
			sc.sslCertLua = d
		case "ssl_verify_client":
			if len(d.Args) != 1 {
				return nargs(d)
			}
			sc.verifyClient = d.Args[0]
		case "types":
			sc.types = map[string]string{}
			for _, t := range d.Block {
				for _, ext := range t.Args {
					sc.types[strings.ToLower(ext)] = t.Name
				}
			}
		case "server", "location", "listen", "server_name", "set", "return", "include", "if",
			"init_by_lua", "init_by_lua_block", "init_by_lua_file",
			"init_worker_by_lua", "init_worker_by_lua_block", "init_worker_by_lua_file",
			"set_by_lua", "set_by_lua_block", "set_by_lua_file",
			"content_by_lua", "content_by_lua_block", "content_by_lua_file":
			// handled by the caller
		case "rewrite_by_lua", "rewrite_by_lua_block", "rewrite_by_lua_file",
			"access_by_lua", "access_by_lua_block", "access_by_lua_file",
			"header_filter_by_lua", "header_filter_by_lua_block", "header_filter_by_lua_file",
			"body_filter_by_lua", "body_filter_by_lua_block", "body_filter_by_lua_file",
			"log_by_lua", "log_by_lua_block", "log_by_lua_file":
			// the location's own are read by content(); the ones of http and server are
			// inherited by locations without their own, as lua-nginx-module merges them
			if level != "location" {
				ph := d.Name[:strings.Index(d.Name, "_")]
				m := map[string]*ngxconf.Directive{}
				for k, v := range sc.luaPhases {
					m[k] = v
				}
				m[ph] = d
				sc.luaPhases = m
			}
		default:
			err = b.moreSettings(d, sc, level, seen)
		}
		if err != nil {
			return err
		}
	}
	if headers != nil {
		sc.headers = headers // add_header at a level replaces the inherited ones, as in nginx
	}
	return nil
}

// openLog opens an http/server-level error_log.
func (b *builder) openLog(d *ngxconf.Directive) (*errlog.Logger, error) {
	if len(d.Args) < 1 || len(d.Args) > 2 {
		return nil, nargs(d)
	}
	level := errlog.Err
	if len(d.Args) == 2 {
		l, err := errlog.ParseLevel(d.Args[1])
		if err != nil {
			return nil, emerg(d, "invalid log level \"%s\"", d.Args[1])
		}
		level = l
	}
	p := d.Args[0]
	if p != "stderr" && !strings.HasPrefix(p, "syslog:") {
		p = b.path(p)
	}
	lg, err := errlog.Open(p, level)
	if err != nil {
		return nil, emerg(d, "%v", err)
	}
	b.site.Logs = append(b.site.Logs, lg)
	if b.o.Opened != nil {
		b.o.Opened(lg)
	}
	return lg, nil
}

// host returns the Lua host for a scope. Settings that differ per server or location
// (server name, error log, socket logging, resolver, default type) travel with each
// location's handler (luabind.Settings), so one host — one set of worker Lua states, as one
// nginx worker — normally serves the whole config; only cosocket-level settings that
// lua-nginx-module keeps per worker (trusted CA, pool size and timeout) split hosts.
func (b *builder) host(sc scope) (*luabind.Host, error) {
	key := fmt.Sprintf("%q|%d|%v|%v", sc.trusted, sc.poolSize, sc.poolTimeout, sc.codeCacheOff)
	if h := b.hosts[key]; h != nil {
		return h, nil
	}
	h, err := luabind.NewHost(luabind.Config{
		LuaPath:                b.luaPath,
		LuaCPath:               b.luaCPath,
		Log:                    sc.log,
		ServerName:             sc.serverName,
		SocketLogErrors:        sc.sockLog,
		DefaultType:            sc.defaultType,
		SharedDicts:            b.dicts,
		Resolver:               sc.resolver,
		NoResolver:             sc.resolver == "",
		TrustedCertificate:     sc.trusted,
		SocketPoolSize:         sc.poolSize,
		SocketKeepaliveTimeout: sc.poolTimeout,
		Prefix:                 b.o.Prefix,
		Workers:                b.o.Workers,
		CodeCacheOff:           sc.codeCacheOff || b.codeCacheOff,
		ResolverTimeout:        sc.resolverTime,
		Stats:                  b.stats,
		MaxPendingTimers:       b.maxPendingTimers,
		MaxRunningTimers:       b.maxRunningTimers,
	})
	if err != nil {
		return nil, err
	}
	b.hosts[key] = h
	b.site.Hosts = append(b.site.Hosts, h)
	if ms := b.maps; len(ms) > 0 {
		h.SetVariables(func(r *http.Request, name string) (string, bool) { return ms.variable(r, name, h) })
	}
	return h, nil
}

// server builds one server{} block.
func (b *builder) server(d *ngxconf.Directive, sc scope) (*VServer, error) {
	v := &VServer{Pos: d.Pos()}
	names := ngxconf.Find(d.Block, "server_name")
	for _, n := range names {
		v.Names = append(v.Names, n.Args...)
	}
	sc.serverName, sc.serverNames = "", v.Names
	if len(v.Names) > 0 {
		sc.serverName = v.Names[0]
	}
	if err := b.settings(d.Block, &sc, "server"); err != nil {
		return nil, err
	}
	v.MaxBodySize = sc.maxBody
	anySSL := false
	for _, l := range ngxconf.Find(d.Block, "listen") {
		if len(l.Args) == 0 {
			return nil, nargs(l)
		}
		addr, err := NormalizeListen(l.Args[0])
		if err != nil {
			return nil, emerg(l, "%v", err)
		}
		ls := Listen{Addr: addr, File: l.File, Line: l.Line}
		for _, p := range l.Args[1:] {
			switch {
			case p == "ssl":
				ls.SSL, anySSL = true, true
			case p == "default_server" || p == "default":
				ls.DefaultServer = true
			case strings.HasPrefix(p, "so_keepalive="):
				if err := ls.KeepAlive.Set(strings.TrimPrefix(p, "so_keepalive=")); err != nil {
					return nil, emerg(l, "%v", err)
				}
			case p == "reuseport", p == "http2", p == "deferred", p == "bind", p == "ipv6only=on",
				p == "ipv6only=off", strings.HasPrefix(p, "backlog="), strings.HasPrefix(p, "rcvbuf="),
				strings.HasPrefix(p, "sndbuf="), strings.HasPrefix(p, "fastopen="):
			default:
				return nil, emerg(l, "invalid parameter \"%s\"", p)
			}
		}
		v.Listens = append(v.Listens, ls)
	}
	if len(v.Listens) == 0 {
		v.Listens = []Listen{{Addr: "0.0.0.0:80"}}
	}
	if anySSL {
		cfg, err := b.serverTLS(d, sc)
		if err != nil {
			return nil, err
		}
		v.TLS = cfg
	}
	logs, err := b.logsOf(&sc)
	if err != nil {
		return nil, emerg(d, "%v", err)
	}
	v.AccessLogs, v.ServerTokensOff, v.KeepaliveTimeout, v.more = logs, sc.tokensOff, sc.keepalive, sc.more
	if h, err := b.host(sc); err == nil {
		v.Vars = h
	}
	seenLoc := map[string]bool{}
	for _, ld := range ngxconf.Find(d.Block, "location") {
		l, err := b.location(ld, sc, "")
		if err != nil {
			return nil, err
		}
		if err := checkDuplicateLocation(seenLoc, l, ld); err != nil {
			return nil, err
		}
		v.Locations = append(v.Locations, l)
	}
	// The server level's rewrite directives run before any location is searched (nginx's
	// server-rewrite phase); with no location matching, the server's own root serves.
	def, err := b.content(d, sc, "/", true)
	if err != nil {
		return nil, err
	}
	v.Rewrite = def
	plain := *def
	plain.Script = nil
	v.Locations = append(v.Locations, &Loc{Modifier: "", Path: "", Handler: &plain})
	return v, nil
}

func (b *builder) serverTLS(d *ngxconf.Directive, sc scope) (*tls.Config, error) {
	if sc.sslCert == "" {
		return nil, emerg(d, "no \"ssl_certificate\" is defined for the \"listen ... ssl\" directive")
	}
	cert, err := tls.LoadX509KeyPair(sc.sslCert, sc.sslKey)
	if err != nil {
		return nil, emerg(d, "cannot load certificate \"%s\": %v", sc.sslCert, err)
	}
	cfg := TLSConfig(cert)
	if sc.sslCertLua != nil {
		if err := b.sslCertHook(cfg, sc); err != nil {
			return nil, err
		}
	}
	switch sc.verifyClient {
	case "", "off":
	case "on", "optional", "optional_no_ca":
		if sc.clientCA == "" && sc.verifyClient != "optional_no_ca" {
			return nil, emerg(d, "no ssl_client_certificate for ssl_verify_client")
		}
		pool := x509.NewCertPool()
		if sc.clientCA != "" {
			pem, err := os.ReadFile(sc.clientCA)
			if err != nil {
				return nil, emerg(d, "cannot load \"%s\": %v", sc.clientCA, err)
			}
			pool.AppendCertsFromPEM(pem)
		}
		cfg.ClientCAs = pool
		switch sc.verifyClient {
		case "on":
			cfg.ClientAuth = tls.RequireAndVerifyClientCert
		case "optional":
			cfg.ClientAuth = tls.VerifyClientCertIfGiven
		default:
			cfg.ClientAuth = tls.RequestClientCert
		}
	default:
		return nil, emerg(d, "invalid value \"%s\" in \"ssl_verify_client\" directive", sc.verifyClient)
	}
	return cfg, nil
}

// sslCertHook makes cfg run the scope's ssl_certificate_by_lua* in each handshake, in
// place of presenting its certificate directly.
func (b *builder) sslCertHook(cfg *tls.Config, sc scope) error {
	c, err := b.chunk(sc.sslCertLua)
	if err != nil {
		return err
	}
	h, err := b.host(sc)
	if err != nil {
		return err
	}
	hook, err := h.SSLCertHook(c)
	if err != nil {
		return emerg(sc.sslCertLua, "%v", err)
	}
	def := cfg.Certificates[0]
	cfg.Certificates = nil
	cfg.GetCertificate = func(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
		return hook(hello, &def)
	}
	return nil
}

// location builds a location{} block and those nested in it.
func (b *builder) location(d *ngxconf.Directive, sc scope, parent string) (*Loc, error) {
	l := &Loc{}
	switch len(d.Args) {
	case 1:
		l.Path = d.Args[0]
		if strings.HasPrefix(l.Path, "@") {
			l.Modifier = "@"
		} else if strings.HasPrefix(l.Path, "=") && len(l.Path) > 1 {
			l.Modifier, l.Path = "=", l.Path[1:]
		} else if strings.HasPrefix(l.Path, "~*") && len(l.Path) > 2 {
			l.Modifier, l.Path = "~*", l.Path[2:]
		} else if strings.HasPrefix(l.Path, "~") && len(l.Path) > 1 {
			l.Modifier, l.Path = "~", l.Path[1:]
		} else if strings.HasPrefix(l.Path, "^~") && len(l.Path) > 2 {
			l.Modifier, l.Path = "^~", l.Path[2:]
		}
	case 2:
		switch d.Args[0] {
		case "=", "^~", "~", "~*":
			l.Modifier, l.Path = d.Args[0], d.Args[1]
		default:
			return nil, emerg(d, "invalid location modifier \"%s\"", d.Args[0])
		}
	default:
		return nil, nargs(d)
	}
	if parent != "" && (l.Modifier == "" || l.Modifier == "^~") && !strings.HasPrefix(l.Path, parent) {
		return nil, emerg(d, "location \"%s\" is outside location \"%s\"", l.Path, parent)
	}
	if err := b.settings(d.Block, &sc, "location"); err != nil {
		return nil, err
	}
	for _, x := range ngxconf.Find(d.Block, "internal") {
		if len(x.Args) != 0 {
			return nil, nargs(x)
		}
		l.Internal = true
	}
	l.ErrorPages = sc.errorPages
	seenLoc := map[string]bool{}
	for _, nd := range ngxconf.Find(d.Block, "location") {
		n, err := b.location(nd, sc, l.Path)
		if err != nil {
			return nil, err
		}
		if err := checkDuplicateLocation(seenLoc, n, nd); err != nil {
			return nil, err
		}
		l.Nested = append(l.Nested, n)
	}
	h, err := b.content(d, sc, l.Path, false)
	if err != nil {
		return nil, err
	}
	l.Handler, l.ServerTokensOff = h, sc.tokensOff
	if strings.HasSuffix(l.Path, "/") && l.Modifier != "~" && l.Modifier != "~*" && l.Modifier != "@" &&
		len(ngxconf.Find(d.Block, "proxy_pass")) > 0 {
		l.redirect = &Loc{Modifier: l.Modifier, Path: l.Path, Handler: autoRedirect{h, l.Path},
			Internal: l.Internal, ErrorPages: l.ErrorPages, ServerTokensOff: l.ServerTokensOff}
	}
	if l.Modifier == "~" || l.Modifier == "~*" {
		if err := (&VServer{Locations: []*Loc{l}}).compile(); err != nil {
			return nil, emerg(d, "%v", err)
		}
	}
	return l, nil
}

// chunk reads a *_by_lua* directive: inline source (named as lua-nginx-module names it) or
// a file.
func (b *builder) chunk(d *ngxconf.Directive) (luabind.Chunk, error) {
	if len(d.Args) < 1 {
		return luabind.Chunk{}, nargs(d)
	}
	src := d.Args[len(d.Args)-1]
	if strings.HasPrefix(d.Name, "set_by_lua") {
		if len(d.Args) < 2 {
			return luabind.Chunk{}, nargs(d)
		}
		src = d.Args[1]
	}
	if strings.HasSuffix(d.Name, "_file") {
		if strings.Contains(src, "$") {
			// resolved per request (content() sets FilePath); nginx checks nothing now
			return luabind.Chunk{File: src}, nil
		}
		p := b.path(src)
		if _, err := os.Stat(p); err != nil {
			if !strings.HasPrefix(d.Name, "init") {
				// nginx opens a handler's file at request time: a 404 (or 500) then
				return luabind.Chunk{FilePath: func(*http.Request) string { return p }}, nil
			}
			return luabind.Chunk{}, emerg(d, "failed to load Lua file \"%s\": %v", p, err)
		}
		return luabind.Chunk{File: p, Lazy: !strings.HasPrefix(d.Name, "init")}, nil
	}
	return luabind.Chunk{Name: d.Chunkname(), Src: []byte(src)}, nil
}

// content builds the handler of a location (or, with server set, of a server's own level):
// its rewrite-module script (rewrite.go), add_header, the Lua phases, static files.
func (b *builder) content(d *ngxconf.Directive, sc scope, locPath string, server bool) (*LocHandler, error) {
	lh := &LocHandler{Headers: sc.headers, DefaultType: sc.defaultType, Referers: sc.referers, More: sc.more}
	var ph luabind.Phases
	lua := false
	host, err := b.host(sc)
	if err != nil {
		return nil, err
	}
	check := func(x *ngxconf.Directive, c luabind.Chunk) error {
		if err := host.CheckChunk(c); err != nil {
			what := "inlined Lua code"
			if c.File != "" {
				what = "Lua file"
			}
			return emerg(x, "failed to load %s: %s", what, luaSyntaxError(err))
		}
		return nil
	}
	lh.log, lh.serverName = sc.log, sc.serverName
	lh.root, lh.alias, lh.locPath = sc.root, sc.alias, locPath
	lh.ifConf = func(ifd *ngxconf.Directive) (*LocHandler, error) { return b.ifConfig(d, ifd, sc, locPath) }
	var luaSets []*ngxconf.Directive
	ifConf := lh.ifConf
	if server {
		ifConf = nil
	}
	if lh.Script, err = b.compileScript(d.Block, lh, &luaSets, ifConf); err != nil {
		return nil, err
	}
	var sets []luabind.SetByLua
	for _, x := range luaSets {
		c, err := b.chunk(x)
		if err != nil {
			return nil, err
		}
		if strings.HasSuffix(x.Name, "_file") && strings.Contains(c.File, "$") {
			tmpl := c.File
			c = luabind.Chunk{FilePath: func(r *http.Request) string { return b.path(expandRequest(tmpl, r, host)) }}
		}
		var args []string
		if !x.Lua && len(x.Args) > 2 {
			args = x.Args[2:]
		}
		if err := check(x, c); err != nil {
			return nil, err
		}
		sets = append(sets, luabind.SetByLua{Var: strings.ToLower(x.Args[0][1:]), Chunk: c, Args: args})
	}
	if server && len(sets) > 0 { // run by the server-rewrite phase, outside any location's phases
		if lh.setLua, err = host.SetRunner(sets, b.luaSettings(sc, locPath)); err != nil {
			return nil, emerg(d, "%v", err)
		}
	} else if len(sets) > 0 {
		ph.Set, lua = sets, true
	}
	for _, x := range d.Block {
		switch x.Name {
		case "rewrite_by_lua", "rewrite_by_lua_block", "rewrite_by_lua_file",
			"access_by_lua", "access_by_lua_block", "access_by_lua_file",
			"content_by_lua", "content_by_lua_block", "content_by_lua_file",
			"header_filter_by_lua", "header_filter_by_lua_block", "header_filter_by_lua_file",
			"body_filter_by_lua", "body_filter_by_lua_block", "body_filter_by_lua_file",
			"log_by_lua", "log_by_lua_block", "log_by_lua_file":
			if server && strings.HasPrefix(x.Name, "content") {
				return nil, emerg(x, "\"%s\" directive is not allowed here", x.Name)
			}
			c, err := b.chunk(x)
			if err != nil {
				return nil, err
			}
			if strings.HasSuffix(x.Name, "_file") && strings.Contains(c.File, "$") {
				tmpl := c.File
				c = luabind.Chunk{FilePath: func(r *http.Request) string {
					return b.path(expandRequest(tmpl, r, host))
				}}
			}
			slot := map[string]**luabind.Chunk{"rewrite": &ph.Rewrite, "access": &ph.Access,
				"content": &ph.Content, "header": &ph.HeaderFilter, "body": &ph.BodyFilter,
				"log": &ph.Log}[x.Name[:strings.Index(x.Name, "_")]]
			if *slot != nil {
				return nil, emerg(x, "\"%s\" directive is duplicate", x.Name)
			}
			if err := check(x, c); err != nil {
				return nil, err
			}
			cc := c
			*slot = &cc
			lua = true
		}
	}
	for _, phase := range []string{"rewrite", "access", "header", "body", "log"} {
		x := sc.luaPhases[phase]
		slot := map[string]**luabind.Chunk{"rewrite": &ph.Rewrite, "access": &ph.Access,
			"header": &ph.HeaderFilter, "body": &ph.BodyFilter, "log": &ph.Log}[phase]
		if x == nil || *slot != nil {
			continue
		}
		c, err := b.chunk(x)
		if err != nil {
			return nil, err
		}
		if err := check(x, c); err != nil {
			return nil, err
		}
		*slot = &c
		lua = true
	}
	lh.Vars = host
	logs, err := b.logsOf(&sc)
	if err != nil {
		return nil, emerg(d, "%v", err)
	}
	lh.Logs = logs
	lh.ErrorPages = sc.errorPages
	lh.Guard = &Guard{limitReqs: sc.limitReqs, limitReqStatus: sc.limitReqStatus, limitReqLevel: sc.limitReqLevel,
		limitConns: sc.limitConns, limitConnStatus: sc.limitConnStatus, limitConnLevel: sc.limitConnLevel,
		reqDry: sc.limitReqDry, connDry: sc.limitConnDry,
		rules: sc.rules, auth: sc.auth, satisfyAny: sc.satisfyAny, vars: host, log: sc.log, serverName: sc.serverName}
	if sc.authRequest != "" {
		lh.Guard.authReq = &authRequest{uri: sc.authRequest, sets: sc.authRequestSet, vars: host}
	}
	switch {
	case sc.auth != nil && sc.auth.realm == "":
		lh.Guard.auth = nil // auth_basic_user_file alone: auth_basic is off
	case sc.auth != nil && sc.auth.file == "":
		// nginx then checks nothing; say so, as it does not
		b.warn(fmt.Sprintf("\"auth_basic\" without \"auth_basic_user_file\" checks nothing in %s", d.Pos()))
		lh.Guard.auth = nil
	}
	var static http.Handler
	if ph.Content == nil && !server {
		alt, err := b.contentModule(d, sc, locPath, host)
		if err != nil {
			return nil, err
		}
		static = alt
	}
	if ph.Content == nil && static == nil {
		st := &Static{Root: sc.root, Alias: sc.alias, LocPath: locPath, Index: sc.index,
			DefaultType: sc.defaultType, Types: sc.types, Log: sc.log}
		st.LogConn = func(r *http.Request) *errlog.Conn { return logConn(r, sc.serverName) }
		static = st
		if sc.davMethods != nil {
			static = &Dav{Static: st, Methods: sc.davMethods, Access: sc.davAccess,
				CreateFullPath: sc.davFullPath, MinDeleteDepth: sc.davMinDepth}
		}
		static = sc.gzip.wrap(static)
		for _, x := range ngxconf.Find(d.Block, "try_files") {
			if len(x.Args) < 2 {
				return nil, nargs(x)
			}
			lh.TryFiles = &TryFiles{files: x.Args[:len(x.Args)-1], fallback: x.Args[len(x.Args)-1],
				root: st.file, vars: host}
		}
	} else if tf := ngxconf.Find(d.Block, "try_files"); len(tf) > 0 {
		return nil, emerg(tf[0], "\"try_files\" with a Lua or proxy content handler is not supported by luaws")
	}
	if lua && lh.TryFiles != nil {
		return nil, emerg(d, "\"try_files\" beside *_by_lua* is not supported by luaws")
	}
	if lua {
		ph.Fallback = static
		ph.Settings = b.luaSettings(sc, locPath)
		if !lh.Guard.empty() {
			ph.Guard = lh.Guard.Check
			lh.GuardInNext = true
		}
		if len(lh.Script.ops) > 0 && !server {
			ph.Script, lh.ScriptInNext = lh.luaScript, true
		}
		h, err := host.PhaseHandler(ph)
		if err != nil {
			return nil, emerg(d, "%v", err)
		}
		lh.Next = h
	} else {
		lh.Next = static
	}
	lh.Next = b.echoFilters(d, sc, host, lh.Next)
	return lh, nil
}

// luaSettings are a location's (or a server level's) settings of its Lua code.
func (b *builder) luaSettings(sc scope, locPath string) *luabind.Settings {
	return &luabind.Settings{ServerName: sc.serverName, Log: sc.log, SocketLogErrors: sc.sockLog,
		DefaultType: sc.defaultType, Resolver: sc.resolver, NoResolver: sc.resolver == "",
		CheckClientAbort: sc.checkAbort, NeedRequestBody: sc.needBody, ResolverTimeout: sc.resolverTime,
		SocketConnectTimeout: sc.luaConnect, SocketSendTimeout: sc.luaSend, SocketReadTimeout: sc.luaRead,
		Location: locPath, MaxRunningTime: sc.maxRun}
}

// logConn is the request context of a server-side log line.
func logConn(r *http.Request, serverName string) *errlog.Conn {
	c := &errlog.Conn{ID: luabind.ConnID(r), Client: hostOnly(r.RemoteAddr), Server: serverName,
		Request: r.Method + " " + r.RequestURI + " " + r.Proto, Host: r.Host}
	if luabind.IsSubrequest(r.Context()) {
		c.Subrequest = r.URL.Path
		c.Request = luabind.MainRequest(r).Method + " " + r.RequestURI + " " + r.Proto
	}
	return c
}

// gopherSyntax is gopher-lua's parse error: "CHUNK line:2(column:12) near '=':   syntax error".
var gopherSyntax = regexp.MustCompile(`^(.*) line:(\d+)\(column:\d+\) near '(.*)':\s+(.*?)\s*$`)

// luaSyntaxError words a compile error as LuaJIT does: "CHUNK:2: syntax error near '='".
func luaSyntaxError(err error) string {
	msg := strings.TrimSpace(err.Error())
	if m := gopherSyntax.FindStringSubmatch(msg); m != nil {
		return fmt.Sprintf("%s:%s: %s near '%s'", m[1], m[2], m[4], m[3])
	}
	return msg
}
