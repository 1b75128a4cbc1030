package server

import (
	"fmt"
	"github.com/luaws/luaws/luabind"
	"github.com/luaws/luaws/metrics"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/luaws/luaws/errlog"
	"github.com/luaws/luaws/ngxconf"
)

// httpLevel reads the http-only declarations: zones, log formats, upstream blocks.
func (b *builder) httpLevel(d *ngxconf.Directive) error {
	switch d.Name {
	case "map":
		name, m, err := parseMap(d)
		if err != nil {
			return err
		}
		if b.maps == nil {
			b.maps = maps{}
		}
		b.maps[name] = m
	case "limit_req_zone":
		z, err := parseLimitReqZone(d.Args)
		if err != nil {
			return emerg(d, "%v", err)
		}
		if b.reqZones[z.name] != nil {
			return emerg(d, "limit_req_zone \"%s\" is already bound to key \"%s\"", z.name, b.reqZones[z.name].key)
		}
		b.reqZones[z.name] = z
	case "limit_conn_zone":
		z, err := parseLimitConnZone(d.Args)
		if err != nil {
			return emerg(d, "%v", err)
		}
		if b.connZones[z.name] != nil {
			return emerg(d, "limit_conn_zone \"%s\" is already bound to key \"%s\"", z.name, b.connZones[z.name].key)
		}
		b.connZones[z.name] = z
	case "log_format":
		if len(d.Args) < 2 {
			return nargs(d)
		}
		name, parts := d.Args[0], d.Args[1:]
		escape := "default"
		if strings.HasPrefix(parts[0], "escape=") {
			escape = strings.TrimPrefix(parts[0], "escape=")
			if escape != "default" && escape != "json" && escape != "none" {
				return emerg(d, "unknown log format escaping \"%s\"", escape)
			}
			parts = parts[1:]
		}
		if b.formats[name] != nil {
			return emerg(d, "duplicate \"log_format\" name \"%s\"", name)
		}
		f, err := ParseLogFormat(name, strings.Join(parts, ""), escape)
		if err != nil {
			return emerg(d, "%v", err)
		}
		b.formats[name] = f
	case "upstream":
		if len(d.Args) != 1 || d.Block == nil {
			return nargs(d)
		}
		if b.upstreams[d.Args[0]] != nil {
			return emerg(d, "duplicate upstream \"%s\"", d.Args[0])
		}
		u := &Upstream{Name: d.Args[0]}
		for _, x := range d.Block {
			switch x.Name {
			case "server":
				p, err := parseUpstreamServer(x.Args)
				if err != nil {
					return emerg(x, "%v", err)
				}
				u.peers = append(u.peers, p)
			case "keepalive":
				if len(x.Args) != 1 {
					return nargs(x)
				}
				n, err := strconv.Atoi(x.Args[0])
				if err != nil || n <= 0 {
					return emerg(x, "invalid value \"%s\" in \"keepalive\" directive", x.Args[0])
				}
				u.keepalive = n
			case "balancer_by_lua_block", "balancer_by_lua_file":
				if u.balancer != nil {
					return emerg(x, "\"%s\" directive is duplicate", x.Name)
				}
				c, err := b.chunk(x)
				if err != nil {
					return err
				}
				u.balancer = luabind.NewBalancer(c)
			case "keepalive_timeout", "keepalive_requests", "keepalive_time":
				b.ignore(x, "tuning only, not implemented by luaws")
			default:
				return emerg(x, "\"%s\" directive is not allowed here", x.Name)
			}
		}
		if len(u.peers) == 0 {
			return emerg(d, "no servers are inside upstream")
		}
		b.upstreams[u.Name] = u
	}
	return nil
}

// logFileFor opens a log file once, however many access_log directives name it.
func (b *builder) logFileFor(p string) (*logFile, error) {
	if f := b.logFiles[p]; f != nil {
		return f, nil
	}
	f, err := openLogFile(p)
	if err != nil {
		return nil, err
	}
	b.logFiles[p] = f
	if b.o.Opened != nil {
		b.o.Opened(f)
	}
	return f, nil
}

// logsOf is a level's access logs: its own or inherited, else nginx's default
// (logs/access.log, combined). Where nginx would fail to open the default log (no logs/
// directory under the prefix, as in embedded uses), luaws logs nothing instead.
func (b *builder) logsOf(sc *scope) ([]*AccessLog, error) {
	if sc.accessSet {
		return sc.accessLogs, nil
	}
	if b.defaultLog == nil {
		b.defaultLog = []*AccessLog{}
		if f, err := b.logFileFor(b.path("logs/access.log")); err == nil {
			b.defaultLog = []*AccessLog{{file: f, format: b.formats["combined"]}}
		}
	}
	return b.defaultLog, nil
}

func logLevelArg(d *ngxconf.Directive) (int, error) {
	if len(d.Args) != 1 {
		return 0, nargs(d)
	}
	switch d.Args[0] {
	case "info":
		return errlog.Info, nil
	case "notice":
		return errlog.Notice, nil
	case "warn":
		return errlog.Warn, nil
	case "error":
		return errlog.Err, nil
	}
	return 0, emerg(d, "invalid value \"%s\" in \"%s\" directive", d.Args[0], d.Name)
}

func statusArg(d *ngxconf.Directive) (int, error) {
	if len(d.Args) != 1 {
		return 0, nargs(d)
	}
	n, err := strconv.Atoi(d.Args[0])
	if err != nil || n < 400 || n > 599 {
		return 0, emerg(d, "value must be between 400 and 599")
	}
	return n, nil
}

func timeArg(d *ngxconf.Directive) (time.Duration, error) {
	if len(d.Args) != 1 {
		return 0, nargs(d)
	}
	v, err := ParseTime(d.Args[0])
	if err != nil {
		return 0, emerg(d, "\"%s\" directive invalid value", d.Name)
	}
	return v, nil
}

// moreSettings applies the access, limit, log, proxy and lua_* directives of a level.
func (b *builder) moreSettings(d *ngxconf.Directive, sc *scope, level string, seen map[string]bool) error {
	first := func(group string) bool {
		if seen[group] {
			return false
		}
		seen[group] = true
		return true
	}
	switch d.Name {
	case "allow", "deny":
		if len(d.Args) != 1 {
			return nargs(d)
		}
		ru, err := parseAccessRule(d.Name == "deny", d.Args[0], func(msg string) {
			b.warn(msg + " in " + d.Pos())
		})
		if err != nil {
			return emerg(d, "%v", err)
		}
		if first("access") {
			sc.rules = nil
		}
		sc.rules = append(append([]accessRule(nil), sc.rules...), ru)
	case "gzip", "gzip_types", "gzip_min_length", "gzip_comp_level", "gzip_http_version", "gzip_proxied", "gzip_vary":
		g := gzipConf{level: 1, minLength: 20, httpVersion: 11}
		if sc.gzip != nil {
			g = *sc.gzip
		}
		if err := parseGzip(&g, d.Name, d.Args); err != nil {
			return emerg(d, "%v", err)
		}
		sc.gzip = &g
	case "dav_methods":
		if len(d.Args) == 0 {
			return nargs(d)
		}
		sc.davMethods = map[string]bool{}
		for _, m := range d.Args {
			switch m = strings.ToUpper(m); m {
			case "OFF":
				if len(d.Args) != 1 {
					return emerg(d, "invalid value \"%s\"", "off")
				}
				sc.davMethods = nil
			case "PUT", "DELETE", "MKCOL", "COPY", "MOVE":
				sc.davMethods[m] = true
			default:
				return emerg(d, "invalid value \"%s\"", strings.ToLower(m))
			}
		}
	case "dav_access":
		if len(d.Args) == 0 || len(d.Args) > 3 {
			return nargs(d)
		}
		m, err := parseDavAccess(d.Args)
		if err != nil {
			return emerg(d, "%v", err)
		}
		sc.davAccess = m
	case "create_full_put_path":
		on, err := onOff(d)
		if err != nil {
			return err
		}
		sc.davFullPath = on
	case "min_delete_depth":
		if len(d.Args) != 1 {
			return nargs(d)
		}
		n, err := strconv.Atoi(d.Args[0])
		if err != nil || n < 0 {
			return emerg(d, "invalid number \"%s\"", d.Args[0])
		}
		sc.davMinDepth = n
	case "auth_request":
		if len(d.Args) != 1 {
			return nargs(d)
		}
		sc.authRequest = d.Args[0]
		if d.Args[0] == "off" {
			sc.authRequest = ""
		}
	case "auth_request_set":
		if len(d.Args) != 2 {
			return nargs(d)
		}
		if len(d.Args[0]) < 2 || d.Args[0][0] != '$' {
			return emerg(d, "invalid variable name \"%s\"", d.Args[0])
		}
		if first("auth_request_set") {
			sc.authRequestSet = nil
		}
		sc.authRequestSet = append(append([]SetVar(nil), sc.authRequestSet...), SetVar{Name: d.Args[0][1:], Value: d.Args[1]})
	case "satisfy":
		if len(d.Args) != 1 || (d.Args[0] != "all" && d.Args[0] != "any") {
			return emerg(d, "invalid value \"%s\" in \"satisfy\" directive, it must be \"all\" or \"any\"", strings.Join(d.Args, " "))
		}
		sc.satisfyAny = d.Args[0] == "any"
	case "auth_basic":
		if len(d.Args) != 1 {
			return nargs(d)
		}
		if d.Args[0] == "off" {
			sc.auth = nil
			break
		}
		a := &basicAuth{realm: d.Args[0]}
		if sc.auth != nil {
			a.file = sc.auth.file
		}
		sc.auth = a
	case "auth_basic_user_file":
		if len(d.Args) != 1 {
			return nargs(d)
		}
		if strings.Contains(d.Args[0], "$") {
			return emerg(d, "variables in \"auth_basic_user_file\" are not supported by luaws")
		}
		a := &basicAuth{file: b.confPath(d.Args[0])}
		if sc.auth != nil {
			a.realm = sc.auth.realm
		}
		sc.auth = a
	case "limit_req":
		if len(d.Args) == 0 {
			return nargs(d)
		}
		l := &limitReq{}
		nodelay := false
		for _, a := range d.Args {
			switch {
			case strings.HasPrefix(a, "zone="):
				l.zone = b.reqZones[a[5:]]
				if l.zone == nil {
					return emerg(d, "unknown limit_req_zone \"%s\"", a[5:])
				}
			case strings.HasPrefix(a, "burst="):
				n, err := strconv.ParseInt(a[6:], 10, 64)
				if err != nil || n < 0 {
					return emerg(d, "invalid burst value \"%s\"", a)
				}
				l.burst = n * 1000
			case strings.HasPrefix(a, "delay="):
				n, err := strconv.ParseInt(a[6:], 10, 64)
				if err != nil || n < 0 {
					return emerg(d, "invalid delay value \"%s\"", a)
				}
				l.delay = n * 1000
			case a == "nodelay":
				nodelay = true
			default:
				return emerg(d, "invalid parameter \"%s\"", a)
			}
		}
		if l.zone == nil {
			return emerg(d, "\"limit_req\" must have \"zone\" parameter")
		}
		if nodelay {
			l.delay = l.burst
		}
		if first("limit_req") {
			sc.limitReqs = nil
		}
		sc.limitReqs = append(append([]*limitReq(nil), sc.limitReqs...), l)
	case "limit_conn":
		if len(d.Args) != 2 {
			return nargs(d)
		}
		z := b.connZones[d.Args[0]]
		if z == nil {
			return emerg(d, "unknown limit_conn_zone \"%s\"", d.Args[0])
		}
		n, err := strconv.Atoi(d.Args[1])
		if err != nil || n <= 0 || n > 65535 {
			return emerg(d, "invalid number of connections \"%s\"", d.Args[1])
		}
		if first("limit_conn") {
			sc.limitConns = nil
		}
		sc.limitConns = append(append([]*limitConn(nil), sc.limitConns...), &limitConn{zone: z, n: n})
	case "limit_req_status", "limit_conn_status":
		n, err := statusArg(d)
		if err != nil {
			return err
		}
		if d.Name == "limit_req_status" {
			sc.limitReqStatus = n
		} else {
			sc.limitConnStatus = n
		}
	case "limit_req_log_level", "limit_conn_log_level":
		n, err := logLevelArg(d)
		if err != nil {
			return err
		}
		if d.Name == "limit_req_log_level" {
			sc.limitReqLevel = n
		} else {
			sc.limitConnLevel = n
		}
	case "limit_req_dry_run", "limit_conn_dry_run":
		on, err := onOff(d)
		if err != nil {
			return err
		}
		if d.Name == "limit_req_dry_run" {
			sc.limitReqDry = on
		} else {
			sc.limitConnDry = on
		}
	case "access_log":
		if len(d.Args) == 0 {
			return nargs(d)
		}
		if first("access_log") {
			sc.accessLogs, sc.accessSet = nil, true
		}
		if d.Args[0] == "off" {
			sc.accessLogs = nil
			break
		}
		format := b.formats["combined"]
		for i, a := range d.Args[1:] {
			if i == 0 && !strings.Contains(a, "=") {
				format = b.formats[a]
				if format == nil {
					return emerg(d, "unknown log format \"%s\"", a)
				}
				continue
			}
			k, _, _ := strings.Cut(a, "=")
			switch k {
			case "buffer", "flush", "gzip":
			default:
				return emerg(d, "invalid parameter \"%s\"", a)
			}
		}
		if strings.HasPrefix(d.Args[0], "syslog:") || strings.Contains(d.Args[0], "$") {
			return emerg(d, "\"access_log %s\" is not supported by luaws", d.Args[0])
		}
		f, err := b.logFileFor(b.path(d.Args[0]))
		if err != nil {
			return emerg(d, "%v", err)
		}
		sc.accessLogs = append(append([]*AccessLog(nil), sc.accessLogs...), &AccessLog{file: f, format: format})
	case "lua_need_request_body":
		on, err := onOff(d)
		if err != nil {
			return err
		}
		sc.needBody = on
	case "lua_check_client_abort":
		on, err := onOff(d)
		if err != nil {
			return err
		}
		sc.checkAbort = &on
	case "lua_code_cache":
		on, err := onOff(d)
		if err != nil {
			return err
		}
		sc.codeCacheOff = !on
	case "resolver_timeout":
		t, err := timeArg(d)
		if err != nil {
			return err
		}
		sc.resolverTime = t
	case "proxy_set_header":
		if len(d.Args) != 2 {
			return nargs(d)
		}
		if first("proxy_set_header") {
			sc.proxySet = nil
		}
		sc.proxySet = append(append([]Header(nil), sc.proxySet...), Header{Name: d.Args[0], Value: d.Args[1]})
	case "proxy_bind":
		if len(d.Args) < 1 || len(d.Args) > 2 || len(d.Args) == 2 && d.Args[1] != "transparent" {
			return nargs(d)
		}
		if len(d.Args) == 2 { // IP_TRANSPARENT: a non-local source address
			return emerg(d, "\"proxy_bind ... transparent\" is not supported by luaws")
		}
		sc.proxyBind = d.Args[0]
	case "proxy_next_upstream_tries":
		if len(d.Args) != 1 {
			return nargs(d)
		}
		n, err := strconv.Atoi(d.Args[0])
		if err != nil || n < 0 {
			return emerg(d, "invalid value \"%s\" in \"proxy_next_upstream_tries\" directive", d.Args[0])
		}
		sc.nextTries = n
	case "proxy_http_version":
		if len(d.Args) != 1 || (d.Args[0] != "1.0" && d.Args[0] != "1.1") {
			return emerg(d, "invalid value \"%s\" in \"proxy_http_version\" directive, it must be \"1.0\" or \"1.1\"", strings.Join(d.Args, " "))
		}
		sc.proxyVersion = d.Args[0]
	case "lua_socket_connect_timeout", "lua_socket_send_timeout", "lua_socket_read_timeout":
		t, err := timeArg(d)
		if err != nil {
			return err
		}
		switch d.Name {
		case "lua_socket_connect_timeout":
			sc.luaConnect = t
		case "lua_socket_send_timeout":
			sc.luaSend = t
		default:
			sc.luaRead = t
		}
	case "proxy_connect_timeout", "proxy_read_timeout", "proxy_send_timeout":
		t, err := timeArg(d)
		if err != nil {
			return err
		}
		switch d.Name {
		case "proxy_connect_timeout":
			sc.connectTimeout = t
		case "proxy_read_timeout":
			sc.readTimeout = t
		default:
			sc.sendTimeout = t
		}
	case "proxy_pass_request_headers", "proxy_pass_request_body":
		on, err := onOff(d)
		if err != nil {
			return err
		}
		if d.Name == "proxy_pass_request_headers" {
			sc.passHeaders = on
		} else {
			sc.passBody = on
		}
	case "limit_req_zone", "limit_conn_zone", "log_format", "upstream", "lua_shared_dict", "lua_package_path":
		if level != "http" {
			return emerg(d, "\"%s\" directive is not allowed here", d.Name)
		}
	case "error_page":
		if first("error_page") {
			sc.errorPages = ErrorPages{}
		} else {
			pages := ErrorPages{}
			for k, v := range sc.errorPages {
				pages[k] = v
			}
			sc.errorPages = pages
		}
		if err := parseErrorPage(d, sc.errorPages); err != nil {
			return err
		}
	case "internal":
		if level != "location" {
			return emerg(d, "\"internal\" directive is not allowed here")
		}
	case "proxy_pass", "stub_status", "luaws_metrics":
		// handled by content
	case "daemon", "master_process", "worker_processes", "pid", "events", "http", "env", "user":
		return emerg(d, "\"%s\" directive is not allowed here", d.Name)
	}
	// anything else is read elsewhere (listen, server_name, the Lua phases) or is tuning
	return nil
}

// checkServerNames warns, as nginx does, about a server name two servers on one address
// both claim (the first keeps it).
func checkServerNames(vs []*VServer, warn func(string)) {
	seen := map[string]bool{}
	for _, v := range vs {
		for _, l := range v.Listens {
			for _, n := range v.Names {
				key := l.Addr + " " + strings.ToLower(n)
				if n == "" {
					continue
				}
				if seen[key] {
					warn(fmt.Sprintf("conflicting server name \"%s\" on %s, ignored", n, l.Addr))
					continue
				}
				seen[key] = true
			}
		}
	}
}

// warn reports a configuration warning.
func (b *builder) warn(msg string) {
	if b.o.Warn != nil {
		b.o.Warn(msg)
	} else if b.o.Log != nil {
		b.o.Log.Log(errlog.Warn, nil, msg)
	}
}

// locationKey is what makes two locations duplicates in nginx: the same exact, prefix (with
// or without ^~) or named path.
func locationKey(l *Loc) string {
	switch l.Modifier {
	case "=":
		return "=" + l.Path
	case "", "^~":
		return " " + l.Path
	case "@":
		return "@" + l.Path
	}
	return ""
}

func checkDuplicateLocation(seen map[string]bool, l *Loc, d *ngxconf.Directive) error {
	k := locationKey(l)
	if k == "" {
		return nil
	}
	if seen[k] {
		name := l.Path
		if l.Modifier == "=" {
			name = "=" + l.Path
		}
		return &ngxconf.Error{Msg: fmt.Sprintf("duplicate location \"%s\"", name), File: d.File, Line: d.Line}
	}
	seen[k] = true
	return nil
}

// contentModule is a location's non-Lua content handler other than static files:
// proxy_pass or stub_status (nil: static files).
func (b *builder) contentModule(d *ngxconf.Directive, sc scope, locPath string, vars Variables) (http.Handler, error) {
	out, err := b.echoHandler(d, sc, vars)
	if err != nil {
		return nil, err
	}
	for _, x := range d.Block {
		switch x.Name {
		case "stub_status":
			if len(x.Args) > 1 {
				return nil, nargs(x)
			}
			out = &StubStatus{site: b.site.Site}
		case "luaws_metrics":
			if len(x.Args) != 0 {
				return nil, nargs(x)
			}
			site := b.site
			out = metrics.HostsHandler(func() []*luabind.Host { return site.Hosts })
		case "proxy_pass":
			if len(x.Args) != 1 {
				return nil, nargs(x)
			}
			if strings.Contains(x.Args[0], "$") { // evaluated per request (proxyvar.go)
				vp := &varProxy{tmpl: x.Args[0], upstreams: b.upstreams, proto: &Proxy{scheme: proxyScheme(x.Args[0]),
					locPath: locPath, headers: proxyHeaders(sc.proxySet), version: sc.proxyVersion, passHeaders: sc.passHeaders,
					passBody: sc.passBody, connectTimeout: sc.connectTimeout, readTimeout: sc.readTimeout,
					sendTimeout: sc.sendTimeout, vars: vars, log: sc.log, serverName: sc.serverName, nextTries: sc.nextTries, bind: sc.proxyBind}}
				for _, u := range b.upstreams {
					if u.balancer != nil {
						if err := b.balancerHost(vp.proto, sc, locPath); err != nil {
							return nil, err
						}
						break
					}
				}
				out = vp
				continue
			}
			u, host, uri, hasURI, err := parseProxyPass(x.Args[0], b.upstreams)
			if err != nil {
				return nil, emerg(x, "%v", err)
			}
			if hasURI && d.Name == "location" && len(d.Args) > 0 &&
				(strings.HasPrefix(d.Args[0], "~") || strings.HasPrefix(d.Args[0], "@")) {
				return nil, emerg(x, "\"proxy_pass\" cannot have URI part in location given by regular expression, or inside named location, or inside \"if\" statement, or inside \"limit_except\" block")
			}
			p := &Proxy{upstream: u, scheme: proxyScheme(x.Args[0]), proxyHost: host, uri: uri, hasURI: hasURI,
				locPath: locPath, headers: proxyHeaders(sc.proxySet), version: sc.proxyVersion, passHeaders: sc.passHeaders,
				passBody: sc.passBody, connectTimeout: sc.connectTimeout, readTimeout: sc.readTimeout,
				sendTimeout: sc.sendTimeout, vars: vars, log: sc.log, serverName: sc.serverName, nextTries: sc.nextTries, bind: sc.proxyBind}
			if u.balancer != nil {
				if err := b.balancerHost(p, sc, locPath); err != nil {
					return nil, err
				}
			}
			out = p
		}
	}
	return out, nil
}

// balancerHost gives p the Lua host its upstreams' balancer_by_lua* runs in when the
// location has no Lua phase of its own.
func (b *builder) balancerHost(p *Proxy, sc scope, locPath string) error {
	h, err := b.host(sc)
	if err != nil {
		return err
	}
	p.lua, p.luaSettings = h, b.luaSettings(sc, locPath)
	return nil
}

// allowedIn are the levels where nginx takes a directive, for those a level could
// otherwise read silently (a location at http level, content_by_lua in a server, ...).
var allowedIn = map[string]string{
	"location": "server location", "listen": "server", "server_name": "server",
	"proxy_pass": "location if", "internal": "location", "alias": "location",
	"stub_status":    "server location",
	"luaws_metrics":  "server location",
	"content_by_lua": "location if", "content_by_lua_block": "location if", "content_by_lua_file": "location if",
	"set_by_lua": "server location if", "set_by_lua_block": "server location if", "set_by_lua_file": "server location if",
	"set": "server location if", "return": "server location if", "try_files": "server location",
	"rewrite": "server location if", "break": "server location if", "if": "server location if",
	"map": "http", "server": "http", "upstream": "http", "init_by_lua": "http", "init_by_lua_block": "http",
	"init_by_lua_file": "http", "init_worker_by_lua": "http", "init_worker_by_lua_block": "http",
	"init_worker_by_lua_file": "http",
}

// checkContext is nginx's "directive is not allowed here" for allowedIn.
func checkContext(d *ngxconf.Directive, level string) error {
	where, ok := allowedIn[d.Name]
	if !ok || strings.Contains(" "+where+" ", " "+level+" ") {
		return nil
	}
	return emerg(d, "\"%s\" directive is not allowed here", d.Name)
}

// checkListens is nginx's check of listen directives: one server may not listen twice on an
// address, nor two servers both be its default_server.
func checkListens(vs []*VServer) error {
	deflt := map[string]bool{}
	for _, v := range vs {
		mine := map[string]bool{}
		for _, l := range v.Listens {
			if mine[l.Addr] {
				return &ngxconf.Error{Msg: fmt.Sprintf("a duplicate listen %s", l.Addr), File: l.File, Line: l.Line}
			}
			mine[l.Addr] = true
			if l.DefaultServer {
				if deflt[l.Addr] {
					return &ngxconf.Error{Msg: fmt.Sprintf("a duplicate default server for %s", l.Addr), File: l.File, Line: l.Line}
				}
				deflt[l.Addr] = true
			}
		}
	}
	return nil
}
