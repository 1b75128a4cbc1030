package server

import (
	"net/http"
	"strings"

	"github.com/luaws/luaws/errlog"
	"github.com/luaws/luaws/luabind"
)

// authRequest is ngx_http_auth_request_module: "auth_request URI" issues a subrequest to
// URI in the access phase (the request's method and headers, no body, its response body
// dropped); a 2xx status lets the request go on, 401 and 403 are the answer (401 with the
// subrequest's WWW-Authenticate), any other status is logged and answered with 500.
// "auth_request_set $var value" sets variables once the subrequest is done, the value
// evaluated with its response ($sent_http_*, $upstream_http_*) and the shared variables.
type authRequest struct {
	uri  string
	sets []SetVar
	vars Variables
}

// check runs the subrequest for r: 0 when it allows r, else the status to answer with.
func (a *authRequest) check(w http.ResponseWriter, r *http.Request, g *Guard) int {
	uri, args, _ := strings.Cut(a.uri, "?")
	set := luabind.SetVarsOf(r.Context())
	vars := map[string]string{}
	for k, v := range set {
		vars[k] = v
	}
	for k, v := range luabind.LuaVars(r.Context()) {
		vars[k] = v
	}
	sr := luabind.NewSubrequest(r, r.Method, uri, args, nil)
	luabind.ShareVars(sr, vars) // an auth subrequest shares its parent's variables
	cw := luabind.NewCaptureWriter()
	done := luabind.StartSubrequest(luabind.DispatcherOf(r.Context()), cw, sr, func(p any) {
		g.logf(r, errlog.Crit, "luaws: subrequest %s: panic: %v", uri, p)
	})
	<-done
	status := cw.Status()
	if status == 0 {
		status = http.StatusOK
	}
	if len(a.sets) > 0 {
		res := map[string]string{}
		for k, vs := range cw.Header() {
			res["sent_http_"+varName(k)] = strings.Join(vs, ", ")
		}
		for k, vs := range cw.Upstream {
			res["upstream_http_"+varName(k)] = strings.Join(vs, ", ")
		}
		for k, v := range vars {
			res[k] = v
		}
		for _, s := range a.sets {
			v := expand(s.Value, r, a.vars, res)
			if set != nil {
				set[s.Name] = v
			}
			res[s.Name] = v
		}
	}
	switch {
	case status >= 200 && status < 300:
		return 0
	case status == http.StatusUnauthorized:
		if v := cw.Header().Values("WWW-Authenticate"); len(v) > 0 {
			w.Header()["WWW-Authenticate"] = v // nginx's spelling
		}
		return status
	case status == http.StatusForbidden:
		return status
	}
	g.logf(r, errlog.Err, "auth request unexpected status: %d", status)
	return http.StatusInternalServerError
}

// varName is a header name as a variable's suffix: "X-User" is "x_user".
func varName(header string) string {
	return strings.ToLower(strings.ReplaceAll(header, "-", "_"))
}

// SetVar is a variable a directive sets to a value with variables ("auth_request_set").
type SetVar struct{ Name, Value string }
