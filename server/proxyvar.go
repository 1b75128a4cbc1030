package server

import (
	"net/http"
	"net/url"
	"strings"
	"sync"

	"github.com/luaws/luaws/errlog"
	"github.com/luaws/luaws/luabind"
)

// varProxy is proxy_pass with variables in its URL ("http://127.0.0.1:$server_port/x"):
// the URL is evaluated per request, as nginx does, and then names an upstream{} group or
// one server; a URI part is sent as it is (the request's URI is not appended). The proxies
// of the URLs met are kept (up to varProxyCache), with their connections.
type varProxy struct {
	tmpl      string
	proto     *Proxy // the location's settings; upstream, host and URI come per request
	upstreams map[string]*Upstream

	mu    sync.Mutex
	cache map[string]*Proxy
}

const varProxyCache = 64

func (v *varProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	url := expandRequest(v.tmpl, r, v.proto.vars)
	v.mu.Lock()
	p := v.cache[url]
	v.mu.Unlock()
	if p == nil {
		u, host, uri, hasURI, err := parseProxyPass(url, v.upstreams)
		if err != nil || strings.Contains(host, "$") {
			if v.proto.log != nil {
				v.proto.log.Logf(errlog.Err, logConn(r, v.proto.serverName), "invalid URL prefix in \"%s\"", url)
			}
			writeSpecial(w, r, http.StatusInternalServerError)
			return
		}
		b := v.proto
		p = &Proxy{upstream: u, scheme: proxyScheme(url), proxyHost: host, uri: uri, hasURI: hasURI,
			exactURI: hasURI, locPath: b.locPath, headers: b.headers, version: b.version, passHeaders: b.passHeaders,
			passBody: b.passBody, connectTimeout: b.connectTimeout, readTimeout: b.readTimeout,
			sendTimeout: b.sendTimeout, vars: b.vars, log: b.log, serverName: b.serverName,
			nextTries: b.nextTries, lua: b.lua, luaSettings: b.luaSettings, bind: b.bind}
		v.mu.Lock()
		if v.cache == nil || len(v.cache) >= varProxyCache {
			v.cache = map[string]*Proxy{}
		}
		v.cache[url] = p
		v.mu.Unlock()
	}
	p.ServeHTTP(w, r)
}

// requestTarget is the URI of r as an upstream gets it when proxy_pass has no URI part:
// the client's as it sent it, or, once the URI or the arguments changed (an internal
// request, ngx.req.set_uri, set_uri_args, $args), the normalized current one, as nginx.
func requestTarget(r *http.Request) string {
	if !luabind.IsInternal(r.Context()) && !uriChanged(r) {
		return r.RequestURI
	}
	t := r.URL.EscapedPath()
	if r.URL.RawQuery != "" {
		t += "?" + r.URL.RawQuery
	}
	return t
}

// uriChanged reports whether r's URI or arguments are no longer those of its request line.
func uriChanged(r *http.Request) bool {
	path, query, _ := strings.Cut(r.RequestURI, "?")
	if query != r.URL.RawQuery {
		return true
	}
	if path == r.URL.EscapedPath() || path == r.URL.RawPath {
		return false
	}
	u, err := url.ParseRequestURI(path)
	return err != nil || u.Path != r.URL.Path
}
