package luabind

import (
	"fmt"
	"os"

	lua "github.com/yuin/gopher-lua"

	"github.com/luaws/luaws/errlog"
)

// os.exit([code]) as a server must take it.
//
// Under nginx, os.exit in a handler ends the worker process: every connection of that worker
// drops without a response, and the master starts a new worker. luaws is one process, so by
// default os.exit ends only what called it: in a request, the request (its light threads
// killed, the connection closed without a further response, as the client of a dying nginx
// worker sees); in a timer, the timer; in init_by_lua*, it is an error that stops start-up,
// as os.exit there would stop nginx. Each is logged at error with the caller's file:line.
// Config.AllowOSExit (`luaws run`, a script run as a program) makes it end the process.
func (h *Host) osExit(L *lua.LState) int {
	code := 0
	switch v := L.Get(1).(type) {
	case lua.LBool:
		if !v {
			code = 1
		}
	case lua.LNumber:
		code = int(v)
	case *lua.LNilType:
	default:
		code = L.CheckInt(1)
	}
	if h.cfg.AllowOSExit {
		os.Exit(code)
	}
	where := L.Where(1)
	t := threadOf(L)
	if t == nil || t.req.phase == "init" {
		L.RaiseError("os.exit(%d) called while starting up: luaws does not exit from Lua code here", code)
	}
	r := t.req
	what := "request"
	if r.r == nil {
		what = "timer"
	}
	r.sc.log.Log(errlog.Err, &r.logc, fmt.Sprintf("%s os.exit(%d) ends this %s only (under nginx it ends the worker process)", where, code, what))
	r.exited = true
	if r.r != nil {
		r.exitStatus = 444
		r.abortConn()
	}
	r.killAll()
	L.RaiseError("%s", errExit.Error())
	return 0
}
