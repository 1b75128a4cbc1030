package luabind

import (
	"strconv"
	"strings"

	lua "github.com/yuin/gopher-lua"

	"github.com/luaws/luaws/errlog"
	"github.com/luaws/luaws/luabind/lnull"
)

// ngx.log(level, ...): one error log line, prefixed as lua-nginx-module does with
// "[lua] <chunk basename>:<line>: <function>(): ".
func ngxLog(L *lua.LState) int {
	level := L.CheckInt(1)
	if level < errlog.Stderr || level > errlog.Debug {
		L.ArgError(1, "bad log level: "+strconv.Itoa(level))
	}
	logArgs(L, level, 2)
	return 0
}

// print(...) is ngx.log(ngx.NOTICE, ...).
func ngxLuaPrint(L *lua.LState) int {
	logArgs(L, errlog.Notice, 1)
	return 0
}

func logArgs(L *lua.LState, level, first int) {
	t := threadOf(L)
	var lg *errlog.Logger
	var c *errlog.Conn
	if t != nil {
		lg, c = t.req.sc.log, &t.req.logc
	} else {
		return
	}
	if !lg.Enabled(level) {
		return
	}
	var b strings.Builder
	b.WriteString(luaSourcePrefix(L))
	for i := first; i <= L.GetTop(); i++ {
		v := L.Get(i)
		switch v := v.(type) {
		case lua.LString, lua.LNumber, lua.LBool, *lua.LNilType:
			b.WriteString(luaToString(v))
		case *lua.LUserData:
			if lnull.Is(L, v) {
				b.WriteString("null")
			} else {
				b.WriteString(L.ToStringMeta(v).String())
			}
		case *lua.LTable:
			if L.GetMetaField(v, "__tostring") == lua.LNil {
				L.ArgError(i-first+1, "expected table to have __tostring metamethod")
			}
			b.WriteString(L.ToStringMeta(v).String())
		default:
			b.WriteString(v.String())
		}
	}
	lg.Log(level, c, b.String())
}

// luaSourcePrefix is "[lua] echo.lua:12: fname(): " for the Lua function calling ngx.log.
func luaSourcePrefix(L *lua.LState) string {
	dbg, ok := L.GetStack(1)
	if !ok {
		return "[lua] ?:0: "
	}
	if _, err := L.GetInfo("Sln", dbg, nil); err != nil {
		return "[lua] ?:0: "
	}
	src := dbg.Source
	if i := strings.LastIndexByte(src, '/'); i >= 0 && !strings.HasSuffix(src, ")") {
		src = src[i+1:]
	}
	var b strings.Builder
	b.WriteString("[lua] ")
	b.WriteString(src)
	b.WriteByte(':')
	b.WriteString(strconv.Itoa(dbg.CurrentLine))
	b.WriteString(": ")
	if name := dbg.Name; name != "" && dbg.What != "main" && !strings.HasPrefix(name, "<") &&
		name != "?" && name != "main chunk" && name != "(anonymous)" {
		b.WriteString(name)
		b.WriteString("(): ")
	}
	return b.String()
}

// logf writes a line of luaws's own (not from ngx.log), in request context.
func logf(_ *lua.LState, r *request, level int, msg string) {
	r.sc.log.Log(level, &r.logc, msg)
}
