package luabind

import (
	"crypto/rand"
	"encoding/hex"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	lua "github.com/yuin/gopher-lua"
)

// newVarTable builds ngx.var: nginx variables computed from the request on access.
func newVarTable(L *lua.LState) *lua.LTable {
	t := L.NewTable()
	mt := L.NewTable()
	mt.RawSetString("__index", L.NewFunction(ngxVarIndex))
	mt.RawSetString("__newindex", L.NewFunction(ngxVarNewIndex))
	L.SetMetatable(t, mt)
	return t
}

// varName is the key of an ngx.var access: lua-resty-core's "bad variable name" (with the
// caller's position) for anything but a string or a number (a capture group).
func varName(L *lua.LState) string {
	switch v := L.Get(2).(type) {
	case lua.LString:
		return strings.ToLower(string(v))
	case lua.LNumber:
		return luaToString(v)
	}
	L.RaiseError("bad variable name")
	return ""
}

func ngxVarIndex(L *lua.LState) int {
	r := requestOf(L)
	name := varName(L)
	if v, ok := r.vars[name]; ok {
		L.Push(v)
		return 1
	}
	if r.r == nil {
		ngxStrError(L, 1, "API disabled in the current context")
	}
	if s, ok := r.variable(name); ok {
		L.Push(lua.LString(s))
	} else {
		L.Push(lua.LNil)
	}
	return 1
}

func ngxVarNewIndex(L *lua.LState) int {
	r := requestOf(L)
	name := varName(L)
	if _, ok := r.vars[name]; !ok && name == "args" && r.r != nil {
		// $args has a set handler in nginx: it changes the request's query string
		switch v := L.Get(3).(type) {
		case lua.LString:
			r.r.URL.RawQuery, r.argsNil = string(v), false
		case lua.LNumber:
			r.r.URL.RawQuery, r.argsNil = luaToString(v), false
		case *lua.LNilType:
			r.r.URL.RawQuery, r.argsNil = "", true
		default:
			L.RaiseError("bad variable value")
		}
		return 0
	}
	if _, ok := r.vars[name]; !ok {
		if _, builtin := builtinVariables[name]; builtin {
			L.RaiseError("variable \"%s\" not changeable", name)
		}
		L.RaiseError("variable \"%s\" not found for writing; maybe it is a built-in variable that is not changeable or you forgot to use \"set $%s '';\" in the config file to define it first", name, name)
	}
	v := L.Get(3)
	switch v.(type) {
	case lua.LString, *lua.LNilType:
	case lua.LNumber:
		v = lua.LString(luaToString(v))
	default:
		L.RaiseError("bad variable value")
	}
	r.setVar(name, v)
	return 0
}

// builtinVariables are the variables of nginx's core and usual modules without a set
// handler ($args has one, handled above): writing one is "not changeable"; prefix
// variables ($http_*, $arg_*, ...) and unknown names are "not found for writing".
var builtinVariables = map[string]struct{}{}

func init() {
	for _, n := range strings.Fields(`binary_remote_addr body_bytes_sent bytes_sent connection
		connection_requests connection_time content_length content_type document_root
		document_uri host hostname https is_args msec nginx_version pid pipe proxy_protocol_addr
		proxy_protocol_port proxy_protocol_server_addr proxy_protocol_server_port query_string
		realpath_root remote_addr remote_port remote_user request request_body request_body_file
		request_completion request_filename request_id request_length request_method
		request_time request_uri scheme server_addr server_name server_port server_protocol
		status time_iso8601 time_local uri invalid_referer upstream_addr upstream_status
		upstream_response_time upstream_connect_time upstream_header_time
		upstream_response_length upstream_bytes_received upstream_bytes_sent`) {
		builtinVariables[n] = struct{}{}
	}
}

// setVar assigns a variable of the location (v: a string or nil).
func (r *request) setVar(name string, v lua.LValue) {
	r.vars[name] = v
	if _, ok := r.setVars[name]; ok {
		s, _ := v.(lua.LString)
		r.setVars[name] = string(s) // nil: not found, which add_header writes as ""
	}
}

// varString is the value of $name as a directive argument sees it ("" when unset).
func (r *request) varString(name string) string {
	if v, ok := r.vars[name]; ok {
		s, _ := v.(lua.LString)
		return string(s)
	}
	s, _ := r.variable(name)
	return s
}

// variable computes the nginx variable name ($name) for this request.
func (r *request) variable(name string) (string, bool) {
	hr := r.r
	switch name {
	case "uri", "document_uri":
		return hr.URL.Path, true
	case "request_uri":
		return hr.RequestURI, true
	case "args", "query_string":
		if r.argsNil || hr.URL.RawQuery == "" && !strings.Contains(hr.RequestURI, "?") {
			return "", false
		}
		return hr.URL.RawQuery, true
	case "is_args":
		if hr.URL.RawQuery != "" {
			return "?", true
		}
		return "", true
	case "request_method":
		if r.internal != nil {
			return r.mainMethod(), true
		}
		return hr.Method, true
	case "request":
		if l, ok := RequestLineOf(hr.Context()); ok {
			return l, true
		}
		return hr.Method + " " + hr.RequestURI + " " + hr.Proto, true
	case "server_protocol":
		return hr.Proto, true
	case "scheme":
		if hr.TLS != nil {
			return "https", true
		}
		return "http", true
	case "https":
		if hr.TLS != nil {
			return "on", true
		}
		return "", true
	case "host":
		h := hr.Host
		if h == "" {
			return r.sc.serverName, true
		}
		if host, _, err := net.SplitHostPort(h); err == nil {
			h = host
		}
		return strings.ToLower(h), true
	case "http_host":
		if hr.Host == "" {
			return "", false
		}
		return hr.Host, true
	case "remote_addr":
		return remoteIP(hr.RemoteAddr), true
	case "remote_user":
		if u, _, ok := hr.BasicAuth(); ok {
			return u, true
		}
		return "", false
	case "remote_port":
		return remotePort(hr.RemoteAddr), true
	case "binary_remote_addr":
		ip := net.ParseIP(remoteIP(hr.RemoteAddr))
		if ip4 := ip.To4(); ip4 != nil {
			return string(ip4), true
		}
		return string(ip), true
	case "server_addr", "server_port":
		addr, _ := hr.Context().Value(http.LocalAddrContextKey).(net.Addr)
		if addr == nil {
			return "", false
		}
		host, port, _ := net.SplitHostPort(addr.String())
		if name == "server_addr" {
			return host, true
		}
		return port, true
	case "server_name":
		return r.sc.serverName, true
	case "invalid_referer": // a location with valid_referers has it among its variables
		return "", true
	case "hostname":
		h, _ := os.Hostname()
		return h, true
	case "pid":
		return strconv.Itoa(os.Getpid()), true
	case "request_id":
		if r.requestID == "" {
			var b [16]byte
			_, _ = rand.Read(b[:])
			r.requestID = hex.EncodeToString(b[:])
		}
		return r.requestID, true
	case "content_type":
		return header1(hr, "Content-Type")
	case "content_length":
		return header1(hr, "Content-Length")
	case "msec":
		now := time.Now()
		return strconv.FormatInt(now.Unix(), 10) + "." + strconv.FormatInt(int64(now.Nanosecond()/1e6)+1000, 10)[1:], true
	case "time_local":
		return time.Now().Format("02/Jan/2006:15:04:05 -0700"), true
	case "time_iso8601":
		return time.Now().Format("2006-01-02T15:04:05-07:00"), true
	case "nginx_version":
		return "1.25.0", true
	case "status":
		if r.status == 0 {
			return "000", true
		}
		return strconv.Itoa(r.status), true
	case "ssl_server_name":
		if hr.TLS == nil || hr.TLS.ServerName == "" {
			return "", false
		}
		return hr.TLS.ServerName, true
	case "ssl_protocol":
		if hr.TLS == nil {
			return "", false
		}
		return tlsVersionName(hr.TLS.Version), true
	}
	switch {
	case name == "proxy_add_x_forwarded_for": // the client's X-Forwarded-For, then its address
		ip := remoteIP(hr.RemoteAddr)
		if xff := hr.Header.Values("X-Forwarded-For"); len(xff) > 0 {
			return strings.Join(xff, ", ") + ", " + ip, true
		}
		return ip, true
	case strings.HasPrefix(name, "http_"):
		return header1(hr, strings.ReplaceAll(name[5:], "_", "-"))
	case strings.HasPrefix(name, "arg_"):
		return queryArg(hr.URL.RawQuery, name[4:])
	case strings.HasPrefix(name, "cookie_"):
		c, err := hr.Cookie(name[7:])
		if err != nil {
			return "", false
		}
		return c.Value, true
	case strings.HasPrefix(name, "sent_http_"):
		key := strings.ReplaceAll(name[10:], "_", "-")
		v := r.header.get(key)
		if r.headersSent && r.w != nil {
			v = r.sentHead().Values(key) // what the header filters left
		}
		if v == nil {
			return "", false
		}
		return strings.Join(v, ", "), true
	}
	if r.host != nil && r.host.moreVars != nil {
		return r.host.moreVars(hr, name)
	}
	return "", false
}

// header1 returns a request header as nginx's $http_* does: the first of repeated headers
// (nginx 1.22, OpenResty's reference here), except Cookie, joined with "; ".
func header1(hr *http.Request, name string) (string, bool) {
	vals := hr.Header.Values(name)
	if len(vals) == 0 {
		return "", false
	}
	if strings.EqualFold(name, "cookie") {
		return strings.Join(vals, "; "), true
	}
	return vals[0], true
}

// queryArg finds $arg_name: the raw (not unescaped) value of the first matching argument,
// names compared case-insensitively, as nginx does; an argument without "=" ("?x") is not
// found (nginx looks for "name=").
func queryArg(q, name string) (string, bool) {
	for q != "" {
		var kv string
		kv, q, _ = strings.Cut(q, "&")
		k, v, eq := strings.Cut(kv, "=")
		if eq && strings.EqualFold(k, name) {
			return v, true
		}
	}
	return "", false
}

func tlsVersionName(v uint16) string {
	switch v {
	case 0x0301:
		return "TLSv1"
	case 0x0302:
		return "TLSv1.1"
	case 0x0303:
		return "TLSv1.2"
	case 0x0304:
		return "TLSv1.3"
	}
	return ""
}
