package luabind

import (
	"net/http"
	"strings"

	lua "github.com/yuin/gopher-lua"

	"github.com/luaws/luaws/errlog"
)

// checkOrigin refuses a websocket handshake whose Origin is not allowed (cross-site
// WebSocket hijacking: a page elsewhere opening a socket with the user's cookies). The
// allowed origins are opt (server:new's allowed_origins, a list) or else the host's
// AllowedOrigins; with neither, every origin is allowed, as under OpenResty. A handshake
// without Origin (not from a browser) is allowed. A refused one ends the request with 403,
// as ngx.exit(403) would, and an [error] line naming the origin.
func checkOrigin(L *lua.LState, r *request, opt lua.LValue) {
	allowed := r.host.cfg.AllowedOrigins
	if t, ok := opt.(*lua.LTable); ok {
		allowed = nil
		t.ForEach(func(_, v lua.LValue) {
			if s, ok := v.(lua.LString); ok {
				allowed = append(allowed, string(s))
			}
		})
		if len(allowed) == 0 {
			allowed = []string{""} // an empty list allows no browser origin
		}
	}
	if len(allowed) == 0 {
		return
	}
	origin := r.r.Header.Get("Origin")
	if origin == "" || originAllowed(origin, allowed) {
		return
	}
	r.sc.log.Log(errlog.Err, &r.logc, "websocket handshake refused: origin \""+origin+"\" is not allowed")
	r.exited = true
	r.exitStatus = http.StatusForbidden
	r.sendSpecial(http.StatusForbidden)
	r.killAll()
	L.RaiseError("%s", errExit.Error())
}

func originAllowed(origin string, allowed []string) bool {
	origin = strings.TrimSuffix(strings.ToLower(origin), "/")
	for _, a := range allowed {
		if a == "*" || strings.TrimSuffix(strings.ToLower(a), "/") == origin {
			return true
		}
	}
	return false
}
