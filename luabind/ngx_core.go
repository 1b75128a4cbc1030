package luabind

import (
	"context"
	"encoding/base64"
	"fmt"
	"github.com/luaws/luaws/luabind/luajit"
	"os"

	lua "github.com/yuin/gopher-lua"

	"github.com/luaws/luaws/errlog"
)

// The ngx.* modules lua-resty-core adds (require "ngx.base64", "ngx.process", "ngx.errlog",
// "ngx.resp"), native here: under OpenResty they are FFI calls into lua-nginx-module.

// coreVersion is the lua-resty-core release matched to the lua-nginx-module version luaws
// reports (ngx.config.ngx_lua_version 10023): resty.core.base.version and every resty.core.*
// module's version field.
const coreVersion = "0.1.25"

func init() {
	goModules["ngx.base64"] = openNgxBase64
	goModules["ngx.process"] = openNgxProcess
	goModules["ngx.errlog"] = openNgxErrlog
	goModules["ngx.resp"] = openNgxResp
	goModules["luaws.core"] = openLuawsCore
}

func newCoreModule(L *lua.LState, funcs map[string]lua.LGFunction) *lua.LTable {
	mod := L.CreateTable(0, len(funcs)+1)
	mod.RawSetString("version", lua.LString(coreVersion))
	for name, fn := range funcs {
		mod.RawSetString(name, L.NewFunction(fn))
	}
	return mod
}

// --- ngx.base64 ---

func openNgxBase64(L *lua.LState) int {
	L.Push(newCoreModule(L, map[string]lua.LGFunction{
		"encode_base64url": ngxEncodeBase64URL,
		"decode_base64url": ngxDecodeBase64URL,
	}))
	return 1
}

// ngxEncodeBase64URL is encode_base64url(s): RFC 4648 §5 without padding, as nginx's
// ngx_encode_base64url.
func ngxEncodeBase64URL(L *lua.LState) int {
	s, ok := L.Get(1).(lua.LString)
	if !ok {
		L.Push(lua.LNil)
		L.Push(lua.LString("must provide a string"))
		return 2
	}
	L.Push(lua.LString(base64.RawURLEncoding.EncodeToString([]byte(s))))
	return 1
}

// ngxDecodeBase64URL is decode_base64url(s) as nginx's ngx_decode_base64url: the input ends
// at the first "=", every byte before it must be of the URL alphabet, and a length of 4n+1
// is invalid.
func ngxDecodeBase64URL(L *lua.LState) int {
	s, ok := L.Get(1).(lua.LString)
	if !ok {
		L.Push(lua.LNil)
		L.Push(lua.LString("must provide a string"))
		return 2
	}
	n := 0
	for ; n < len(s); n++ {
		c := s[n]
		if c == '=' {
			break
		}
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return pushInvalidInput(L)
		}
	}
	if n%4 == 1 {
		return pushInvalidInput(L)
	}
	out, err := base64.RawURLEncoding.DecodeString(string(s[:n]))
	if err != nil {
		return pushInvalidInput(L)
	}
	L.Push(lua.LString(out))
	return 1
}

func pushInvalidInput(L *lua.LState) int {
	L.Push(lua.LNil)
	L.Push(lua.LString("invalid input"))
	return 2
}

// --- ngx.process ---

func openNgxProcess(L *lua.LState) int {
	L.Push(newCoreModule(L, map[string]lua.LGFunction{
		"type":                    ngxProcessType,
		"get_master_pid":          ngxProcessMasterPID,
		"signal_graceful_exit":    ngxProcessGracefulExit,
		"enable_privileged_agent": ngxProcessPrivilegedAgent,
	}))
	return 1
}

// ngxProcessType is ngx.process.type(). luaws is one process: its Lua states (the workers)
// answer "worker", and init_by_lua, which nginx runs in the master, answers "master".
func ngxProcessType(L *lua.LState) int {
	typ := "worker"
	if t := threadOf(L); t != nil && t.req.phase == "init" {
		typ = "master"
	}
	L.Push(lua.LString(typ))
	return 1
}

// ngxProcessMasterPID is get_master_pid(): the pid of the process that takes nginx's
// signals, luaws's own.
func ngxProcessMasterPID(L *lua.LState) int {
	L.Push(lua.LNumber(os.Getpid()))
	return 1
}

// ngxProcessGracefulExit is signal_graceful_exit(): the calling worker starts its graceful
// exit, as on a worker's SIGQUIT: ngx.worker.exiting() turns true and pending timers run
// with premature = true. The process keeps serving (nginx's master would start a new
// worker).
func ngxProcessGracefulExit(L *lua.LState) int {
	if t := threadOf(L); t != nil {
		go t.req.host.Shutdown(context.Background())
	}
	return 0
}

// ngxProcessPrivilegedAgent is enable_privileged_agent(connections): luaws has no
// privileged agent process to start.
func ngxProcessPrivilegedAgent(L *lua.LState) int {
	if t := threadOf(L); t == nil || t.req.phase != "init" {
		L.Push(lua.LNil)
		L.Push(lua.LString("API disabled in the current context"))
		return 2
	}
	if v := L.Get(1); v != lua.LNil {
		if n, ok := v.(lua.LNumber); !ok || n < 0 {
			L.Push(lua.LNil)
			L.Push(lua.LString("bad 'connections' argument: number expected and greater than 0"))
			return 2
		}
	}
	L.Push(lua.LNil)
	L.Push(lua.LString("privileged agent process is not supported by luaws"))
	return 2
}

// --- ngx.errlog ---

func openNgxErrlog(L *lua.LState) int {
	L.Push(newCoreModule(L, map[string]lua.LGFunction{
		"raw_log":              ngxRawLog,
		"get_sys_filter_level": ngxSysFilterLevel,
		"set_filter_level":     ngxCaptureNotSet,
		"get_logs":             ngxCaptureNotSet,
	}))
	return 1
}

// ngxRawLog is raw_log(level, msg): msg as it is, with no "[lua] file:line:" prefix.
func ngxRawLog(L *lua.LState) int {
	level, ok := L.Get(1).(lua.LNumber)
	if !ok {
		raiseAtCaller(L, "bad argument #1 to 'raw_log' (must be a number)")
	}
	msg, ok := L.Get(2).(lua.LString)
	if !ok {
		raiseAtCaller(L, "bad argument #2 to 'raw_log' (must be a string)")
	}
	lv := int(level)
	if lv < errlog.Stderr || lv > errlog.Debug {
		raiseAtCaller(L, "bad log level")
	}
	t := threadOf(L)
	if t == nil {
		return 0
	}
	if lg := t.req.sc.log; lg.Enabled(lv) {
		lg.Log(lv, &t.req.logc, string(msg))
	}
	return 0
}

// ngxSysFilterLevel is get_sys_filter_level(): the error_log level in effect.
func ngxSysFilterLevel(L *lua.LState) int {
	lv := errlog.Err
	if t := threadOf(L); t != nil {
		lv = t.req.sc.log.Level()
	}
	L.Push(lua.LNumber(lv))
	return 1
}

// ngxCaptureNotSet answers set_filter_level and get_logs as lua-nginx-module does without
// lua_capture_error_log, which luaws does not have.
func ngxCaptureNotSet(L *lua.LState) int {
	L.Push(lua.LNil)
	if L.GetTop() == 0 || L.Get(1) == lua.LNil {
		if f, ok := L.GetStack(0); ok {
			if _, err := L.GetInfo("n", f, lua.LNil); err == nil && f.Name == "set_filter_level" {
				L.Push(lua.LString(`missing "level" argument`))
				return 2
			}
		}
	}
	L.Push(lua.LString(`directive "lua_capture_error_log" is not set`))
	return 2
}

// --- ngx.resp ---

func openNgxResp(L *lua.LState) int {
	L.Push(newCoreModule(L, map[string]lua.LGFunction{
		"add_header": ngxRespAddHeader,
	}))
	return 1
}

// ngxRespAddHeader is ngx.resp.add_header(key, value): a new field after any of the same
// name (ngx.header replaces them). A table adds each element; an empty table nothing.
func ngxRespAddHeader(L *lua.LState) int {
	r := httpRequestOf(L)
	name := headerName(luaToString(L.Get(1)))
	var vals []string
	switch v := L.Get(2).(type) {
	case *lua.LNilType:
		luaError(L, "invalid header value")
	case *lua.LTable:
		n := v.Len()
		if n == 0 {
			return 0
		}
		for i := 1; i <= n; i++ {
			vals = append(vals, luaToString(v.RawGetInt(i)))
		}
	default:
		vals = []string{luaToString(v)}
	}
	if r.headersSent {
		logf(L, r, errlog.Err, "attempt to set ngx.header.HEADER after sending out response headers")
		return 0
	}
	name = escapeHeader(name, true)
	r.header.set(name, append(append([]string(nil), r.header.get(name)...), escapeHeaderValues(vals)...))
	return 0
}

// --- luaws.core: what the resty.core.* Lua modules need from the host ---

func openLuawsCore(L *lua.LState) int {
	mod := newCoreModule(L, map[string]lua.LGFunction{
		"get_request":      coreGetRequest,
		"allows_subsystem": coreAllowsSubsystem,
		"monotonic_msec":   coreMonotonicMsec,
		"monotonic_time":   coreMonotonicTime,
	})
	L.Push(mod)
	return 1
}

// coreGetRequest is resty.core.base.get_request(): a value standing for the current
// request (truthy), or nil outside of one (init, timers have none either under nginx).
func coreGetRequest(L *lua.LState) int {
	t := threadOf(L)
	if t == nil || t.req.r == nil {
		L.Push(lua.LNil)
		return 1
	}
	ud := L.NewUserData()
	ud.Value = t.req
	L.Push(ud)
	return 1
}

// coreMonotonicMsec is resty.core.time.monotonic_msec(): milliseconds of CLOCK_MONOTONIC
// (since boot), as nginx's ngx_monotonic_time.
func coreMonotonicMsec(L *lua.LState) int {
	L.Push(lua.LNumber(monotonicNanos() / 1e6))
	return 1
}

// coreMonotonicTime is resty.core.time.monotonic_time(): the same in seconds, with
// millisecond precision.
func coreMonotonicTime(L *lua.LState) int {
	L.Push(lua.LNumber(float64(monotonicNanos()/1e6) / 1000))
	return 1
}

// raiseAtCaller raises msg as Lua's error(msg, 2) from a Lua wrapper of the function would:
// prefixed with the calling Lua code's position, bare when the caller is a built-in (pcall).
func raiseAtCaller(L *lua.LState, msg string) {
	if dbg, ok := L.GetStack(1); ok {
		if _, err := L.GetInfo("Sl", dbg, lua.LNil); err == nil && dbg.What != "G" && dbg.CurrentLine > 0 {
			luajit.RaiseVerbatim(L, fmt.Sprintf("%s:%d: %s", dbg.Source, dbg.CurrentLine, msg))
		}
	}
	luajit.RaiseVerbatim(L, msg)
}

// coreAllowsSubsystem is resty.core.base.allows_subsystem(...): an error unless "http"
// (luaws's only subsystem) is among the arguments.
func coreAllowsSubsystem(L *lua.LState) int {
	for i := 1; i <= L.GetTop(); i++ {
		if s, ok := L.Get(i).(lua.LString); ok && s == "http" {
			return 0
		}
	}
	raiseAtCaller(L, "unsupported subsystem: http")
	return 0
}
