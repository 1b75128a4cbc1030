package luabind

import (
	"os"
	"strconv"
	"strings"
	"time"

	lua "github.com/yuin/gopher-lua"

	"github.com/luaws/luaws/errlog"
	"github.com/luaws/luaws/luabind/lnull"
	"github.com/luaws/luaws/luabind/luajit"
	"github.com/luaws/luaws/luabind/shdict"
)

// ngxConstants are lua-nginx-module's numeric constants.
var ngxConstants = map[string]int{
	"OK": 0, "ERROR": -1, "AGAIN": -2, "DONE": -4, "DECLINED": -5,

	"STDERR": errlog.Stderr, "EMERG": errlog.Emerg, "ALERT": errlog.Alert, "CRIT": errlog.Crit,
	"ERR": errlog.Err, "WARN": errlog.Warn, "NOTICE": errlog.Notice, "INFO": errlog.Info,
	"DEBUG": errlog.Debug,

	"HTTP_GET": 2, "HTTP_HEAD": 4, "HTTP_POST": 8, "HTTP_PUT": 16, "HTTP_DELETE": 32,
	"HTTP_MKCOL": 64, "HTTP_COPY": 128, "HTTP_MOVE": 256, "HTTP_OPTIONS": 512,
	"HTTP_PROPFIND": 1024, "HTTP_PROPPATCH": 2048, "HTTP_LOCK": 4096, "HTTP_UNLOCK": 8192,
	"HTTP_PATCH": 16384, "HTTP_TRACE": 32768,

	"HTTP_CONTINUE": 100, "HTTP_SWITCHING_PROTOCOLS": 101, "HTTP_OK": 200, "HTTP_CREATED": 201,
	"HTTP_ACCEPTED": 202, "HTTP_NO_CONTENT": 204, "HTTP_PARTIAL_CONTENT": 206,
	"HTTP_SPECIAL_RESPONSE": 300, "HTTP_MOVED_PERMANENTLY": 301, "HTTP_MOVED_TEMPORARILY": 302,
	"HTTP_SEE_OTHER": 303, "HTTP_NOT_MODIFIED": 304, "HTTP_TEMPORARY_REDIRECT": 307,
	"HTTP_PERMANENT_REDIRECT": 308, "HTTP_BAD_REQUEST": 400, "HTTP_UNAUTHORIZED": 401,
	"HTTP_PAYMENT_REQUIRED": 402, "HTTP_FORBIDDEN": 403, "HTTP_NOT_FOUND": 404,
	"HTTP_NOT_ALLOWED": 405, "HTTP_NOT_ACCEPTABLE": 406, "HTTP_REQUEST_TIMEOUT": 408,
	"HTTP_CONFLICT": 409, "HTTP_GONE": 410, "HTTP_UPGRADE_REQUIRED": 426,
	"HTTP_TOO_MANY_REQUESTS": 429, "HTTP_CLOSE": 444, "HTTP_ILLEGAL": 451,
	"HTTP_INTERNAL_SERVER_ERROR": 500, "HTTP_METHOD_NOT_IMPLEMENTED": 501,
	"HTTP_BAD_GATEWAY": 502, "HTTP_SERVICE_UNAVAILABLE": 503, "HTTP_GATEWAY_TIMEOUT": 504,
	"HTTP_VERSION_NOT_SUPPORTED": 505, "HTTP_INSUFFICIENT_STORAGE": 507,
}

// ngxFuncs are the request-independent ngx.* functions of this file set; the request is found
// from the calling thread.
var ngxFuncs = map[string]lua.LGFunction{
	"log":          ngxLog,
	"say":          ngxSay,
	"print":        ngxPrint,
	"flush":        ngxFlush,
	"eof":          ngxEOF,
	"exit":         ngxExit,
	"send_headers": ngxSendHeaders,
	"sleep":        ngxSleep,
	"get_phase":    ngxGetPhase,
	"on_abort":     ngxOnAbort,
}

// openNgx installs the global ngx table (and print) in a state; every function finds the
// request it serves from the calling thread, so one table serves all requests of a state.
func openNgx(L *lua.LState, h *Host, worker int) *ngxTimeCache {
	ngx := L.CreateTable(0, 160)
	for k, v := range ngxConstants {
		ngx.RawSetString(k, lua.LNumber(v))
	}
	for k, fn := range ngxFuncs {
		ngx.RawSetString(k, L.NewFunction(fn))
	}
	ngx.RawSetString("null", lnull.Get(L))

	header := L.NewTable()
	hmt := L.NewTable()
	hmt.RawSetString("__index", L.NewFunction(ngxHeaderIndex))
	hmt.RawSetString("__newindex", L.NewFunction(ngxHeaderNewIndex))
	L.SetMetatable(header, hmt)
	ngx.RawSetString("header", header)

	ngx.RawSetString("var", newVarTable(L))
	ngx.RawSetString("req", newReqTable(L))
	ngx.RawSetString("config", newConfigTable(L, h.cfg.Prefix))
	ngx.RawSetString("worker", newWorkerTable(L, worker, h.workerCount()))
	ngx.RawSetString("thread", newThreadTable(L))
	ngx.RawSetString("socket", newSocketTable(L))
	ngx.RawSetString("timer", newTimerTable(L))
	L.Push(L.NewFunction(openNgxSemaphore))
	L.Call(0, 1)
	ngx.RawSetString("semaphore", L.Get(-1))
	L.Pop(1)
	ngx.RawSetString("shared", shdict.Bind(L, h.cfg.SharedDicts))
	clock := registerNgxExtras(L, ngx, h)
	registerSubrequestAPI(L, ngx)

	// ngx.status, ngx.headers_sent and ngx.ctx live behind the metatable, as in OpenResty.
	mt := L.NewTable()
	mt.RawSetString("__index", L.NewFunction(ngxIndex))
	mt.RawSetString("__newindex", L.NewFunction(ngxNewIndex))
	L.SetMetatable(ngx, mt)

	L.SetGlobal("ngx", ngx)
	L.SetGlobal("print", L.NewFunction(ngxLuaPrint))
	pkg := L.GetGlobal("package").(*lua.LTable)
	if loaded, ok := pkg.RawGetString("loaded").(*lua.LTable); ok {
		loaded.RawSetString("ngx", ngx)
		loaded.RawSetString("ngx.semaphore", ngx.RawGetString("semaphore"))
	}
	return clock
}

func ngxIndex(L *lua.LState) int {
	r := requestOf(L)
	if key := L.CheckString(2); r.r == nil && key != "ctx" {
		if key == "status" || key == "headers_sent" { // no request: lua-resty-core refuses
			ngxStrError(L, 1, "API disabled in the current context")
		}
		L.Push(lua.LNil)
		return 1
	}
	switch L.CheckString(2) {
	case "status":
		st := r.status
		if st == 0 && r.headersSent {
			st = 200
		}
		L.Push(lua.LNumber(st))
	case "headers_sent":
		L.Push(lua.LBool(r.headersSent))
	case "is_subrequest":
		L.Push(lua.LBool(r.internal != nil && r.internal.sub))
	case "ctx":
		if r.ngxCtx == nil {
			r.ngxCtx = L.NewTable()
			r.holdCtx()
		}
		L.Push(r.ngxCtx)
	default:
		L.Push(lua.LNil)
	}
	return 1
}

func ngxNewIndex(L *lua.LState) int {
	r := requestOf(L)
	key := L.CheckString(2)
	switch key {
	case "status":
		if r.r == nil {
			ngxStrError(L, 1, "API disabled in the current context")
		}
		if r.headersSent {
			logf(L, r, errlog.Err, "attempt to set ngx.status after sending out response headers")
			return 0
		}
		r.status = statusValue(L, L.Get(3))
	case "ctx":
		r.ngxCtx = L.CheckTable(3)
		r.holdCtx()
	default:
		L.RawSet(L.CheckTable(1), L.Get(2), L.Get(3))
	}
	return 0
}

func newConfigTable(L *lua.LState, prefix string) *lua.LTable {
	t := L.CreateTable(0, 8)
	t.RawSetString("debug", lua.LTrue)
	t.RawSetString("subsystem", lua.LString("http"))
	t.RawSetString("ngx_lua_version", lua.LNumber(10023))
	t.RawSetString("nginx_version", lua.LNumber(1025000))
	t.RawSetString("is_console", lua.LFalse)
	t.RawSetString("prefix", L.NewFunction(func(L *lua.LState) int {
		if prefix == "" {
			wd, _ := os.Getwd()
			prefix = wd + "/"
		}
		L.Push(lua.LString(prefix))
		return 1
	}))
	t.RawSetString("nginx_configure", L.NewFunction(func(L *lua.LState) int {
		L.Push(lua.LString(""))
		return 1
	}))
	return t
}

func newWorkerTable(L *lua.LState, id, count int) *lua.LTable {
	t := L.CreateTable(0, 5)
	pid := workerPid(id)
	t.RawSetString("pid", L.NewFunction(func(L *lua.LState) int {
		L.Push(lua.LNumber(pid))
		return 1
	}))
	t.RawSetString("id", L.NewFunction(func(L *lua.LState) int {
		L.Push(lua.LNumber(id))
		return 1
	}))
	t.RawSetString("count", L.NewFunction(func(L *lua.LState) int {
		L.Push(lua.LNumber(count))
		return 1
	}))
	t.RawSetString("exiting", L.NewFunction(func(L *lua.LState) int {
		L.Push(lua.LBool(requestOf(L).host.Exiting()))
		return 1
	}))
	// pids lists every worker's pid (lua-resty-core: refused in init and init_worker)
	t.RawSetString("pids", L.NewFunction(func(L *lua.LState) int {
		if th := threadOf(L); th == nil || th.req.phase == "init" || th.req.phase == "init_worker" {
			L.Push(lua.LNil)
			L.Push(lua.LString("API disabled in the current context"))
			return 2
		}
		pids := L.CreateTable(count, 0)
		for i := 0; i < count; i++ {
			pids.RawSetInt(i+1, lua.LNumber(workerPid(i)))
		}
		L.Push(pids)
		return 1
	}))
	return t
}

// ngx.sleep(seconds): blocks only the calling light thread. As lua-nginx-module, the delay
// is counted in whole milliseconds and the debug log tells when the thread sleeps and wakes.
func ngxSleep(L *lua.LState) int {
	if n := L.GetTop(); n != 1 {
		ngxStrError(L, 1, "attempt to pass "+strconv.Itoa(n)+" arguments, but accepted 1")
	}
	sec, ok := toNumber(L.Get(1))
	if !ok {
		ngxStrArgTypeError(L, 1, "number")
	}
	delay := int64(sec * 1000)
	if delay < 0 {
		ngxStrError(L, 1, "invalid sleep duration \""+strconv.FormatInt(delay, 10)+"\"")
	}
	t := threadOf(L)
	if t == nil {
		L.RaiseError("no request found")
	}
	r := t.req
	checkYieldable(L, r)
	debug := r.sc.log.Enabled(errlog.Debug)
	if debug {
		r.sc.log.Log(errlog.Debug, &r.logc, "lua ready to sleep for "+strconv.FormatInt(delay, 10)+" ms")
	}
	if luajit.CannotYield(L, t.L) { // the timer is set, the yield fails: nginx drops the timer
		if debug {
			r.sc.log.Log(errlog.Debug, &r.logc, "lua clean up the timer for pending ngx.sleep")
		}
		L.Error(lua.LString(luajit.ErrYieldAcrossC), 0)
	}
	t.sleep(L, time.Duration(delay)*time.Millisecond)
	if debug && t.ctx.Err() == nil {
		var uri, args string // a timer's fake request has neither
		if r.r != nil {
			uri, _ = r.variable("uri")
			args, _ = r.variable("args")
		}
		r.sc.log.Log(errlog.Debug, &r.logc, "lua sleep timer expired: \""+uri+"?"+args+"\"")
	}
	return 0
}

func ngxGetPhase(L *lua.LState) int {
	phase := "content"
	if t := threadOf(L); t != nil && t.req.phase != "" {
		phase = t.req.phase
	}
	L.Push(lua.LString(phase))
	return 1
}

// statusValue is what lua-resty-core's ngx.status setter makes of v: tonumber(v), passed
// to a C int (FFI truncates; anything else is FFI's conversion error).
func statusValue(L *lua.LState, v lua.LValue) int {
	if s, ok := v.(lua.LString); ok {
		if f, err := strconv.ParseFloat(strings.TrimSpace(string(s)), 64); err == nil {
			v = lua.LNumber(f)
		} else {
			v = lua.LNil
		}
	}
	n, ok := v.(lua.LNumber)
	if !ok {
		L.RaiseError("bad argument #2 to 'ngx_http_lua_ffi_set_resp_status' (cannot convert '%s' to 'int')", v.Type().String())
	}
	return int(n)
}
