package server

import (
	"encoding/base64"
	"net/http"
	"strings"
	"time"

	"github.com/luaws/luaws/errlog"
)

// Guard runs a location's preaccess and access phases as nginx does: limit_req, then
// limit_conn, then allow/deny, auth_basic and auth_request combined by satisfy.
type Guard struct {
	limitReqs       []*limitReq
	limitReqStatus  int
	limitReqLevel   int
	limitConns      []*limitConn
	limitConnStatus int
	limitConnLevel  int
	reqDry, connDry bool // limit_req_dry_run, limit_conn_dry_run
	rules           []accessRule
	auth            *basicAuth
	authReq         *authRequest // auth_request (authrequest.go)
	satisfyAny      bool
	vars            Variables
	log             *errlog.Logger
	serverName      string
}

// empty reports whether g checks nothing.
func (g *Guard) empty() bool {
	return g == nil || len(g.limitReqs) == 0 && len(g.limitConns) == 0 && len(g.rules) == 0 && g.auth == nil && g.authReq == nil
}

func (g *Guard) logf(r *http.Request, level int, format string, args ...any) {
	if g.log != nil {
		g.log.Logf(level, logConn(r, g.serverName), format, args...)
	}
}

// Check runs the checks; done: it answered, and the request ends; skipAccess: satisfy any
// is met, so the rest of the access phase (access_by_lua*) does not run.
func (g *Guard) Check(w http.ResponseWriter, r *http.Request) (done, skipAccess bool) {
	if g.empty() {
		return false, false
	}
	// preaccess: limit_req
	var wait time.Duration
	for _, l := range g.limitReqs {
		key := expand(l.zone.key, r, g.vars, nil)
		if key == "" || len(key) > 65535 {
			continue
		}
		ok, d, excess := l.account(key, time.Now(), g.reqDry)
		if !ok {
			if g.reqDry {
				g.logf(r, g.limitReqLevel, "limiting requests, dry run, excess: %d.%03d by zone \"%s\"", excess/1000, excess%1000, l.zone.name)
				continue
			}
			g.logf(r, g.limitReqLevel, "limiting requests, excess: %d.%03d by zone \"%s\"", excess/1000, excess%1000, l.zone.name)
			writeSpecial(w, r, g.limitReqStatus)
			return true, false
		}
		if d > wait {
			wait = d
			delayLevel := g.limitReqLevel + 1 // one level lower, as nginx, but never below info
			if g.limitReqLevel == errlog.Info {
				delayLevel = errlog.Info
			}
			g.logf(r, delayLevel, "delaying request, excess: %d.%03d, by zone \"%s\"", excess/1000, excess%1000, l.zone.name)
		}
	}
	if wait > 0 {
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return true, false
		}
	}
	// preaccess: limit_conn (released when the request really ends)
	for _, l := range g.limitConns {
		key := expand(l.zone.key, r, g.vars, nil)
		if key == "" || len(key) > 255 {
			continue
		}
		if !l.acquire(key) {
			if g.connDry {
				g.logf(r, g.limitConnLevel, "limiting connections, dry run, by zone \"%s\"", l.zone.name)
				continue
			}
			g.logf(r, g.limitConnLevel, "limiting connections by zone \"%s\"", l.zone.name)
			writeSpecial(w, r, g.limitConnStatus)
			return true, false
		}
		l, key := l, key
		if st := stateOf(r); st != nil {
			st.atEnd(func() { l.release(key) })
		} else {
			defer l.release(key)
		}
	}
	// access: allow/deny, then auth_basic
	code := 0
	if len(g.rules) > 0 {
		if accessAllowed(g.rules, r) {
			if g.satisfyAny {
				return false, true
			}
		} else {
			if !g.satisfyAny {
				g.logf(r, errlog.Err, "access forbidden by rule")
				writeSpecial(w, r, http.StatusForbidden)
				return true, false
			}
			code = http.StatusForbidden
		}
	}
	if g.auth != nil {
		user, pass, given := basicCredentials(r)
		res, err := g.auth.check(user, pass, given)
		switch res {
		case authOK:
			if g.satisfyAny {
				return false, true
			}
		case authNone:
			g.logf(r, errlog.Info, "no user/password was provided for basic authentication")
		case authNoUser:
			g.logf(r, errlog.Err, "user \"%s\" was not found in \"%s\"", user, g.auth.file)
		case authMismatch:
			g.logf(r, errlog.Err, "user \"%s\": password mismatch", user)
		case authFileError:
			g.logf(r, errlog.Err, "open() \"%s\" failed (%s)", g.auth.file, errnoText(err))
			writeSpecial(w, r, http.StatusInternalServerError)
			return true, false
		}
		if res != authOK {
			w.Header().Set("WWW-Authenticate", "Basic realm=\""+g.auth.realm+"\"")
			if !g.satisfyAny {
				writeSpecial(w, r, http.StatusUnauthorized)
				return true, false
			}
			code = http.StatusUnauthorized
		}
	}
	if g.authReq != nil {
		c := g.authReq.check(w, r, g)
		switch {
		case c == 0 && g.satisfyAny:
			return false, true
		case c == http.StatusForbidden || c == http.StatusUnauthorized:
			if !g.satisfyAny {
				writeSpecial(w, r, c)
				return true, false
			}
			if code != http.StatusUnauthorized { // nginx's access_code: a 401 stays
				code = c
			}
		case c != 0:
			writeSpecial(w, r, c)
			return true, false
		}
	}
	if code != 0 && g.satisfyAny { // satisfy any, and nothing was satisfied
		if code == http.StatusForbidden {
			g.logf(r, errlog.Err, "access forbidden by rule")
		}
		writeSpecial(w, r, code)
		return true, false
	}
	return false, false
}

// basicCredentials reads "Authorization: Basic ..." as nginx does.
func basicCredentials(r *http.Request) (user, pass string, ok bool) {
	h := r.Header.Get("Authorization")
	if len(h) < 6 || !strings.EqualFold(h[:6], "basic ") {
		return "", "", false
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(h[6:]))
	if err != nil {
		return "", "", false
	}
	user, pass, ok = strings.Cut(string(raw), ":")
	return user, pass, ok
}
