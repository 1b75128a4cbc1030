package luajit

import (
	"reflect"
	"strconv"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// Stack tracebacks as LuaJIT (debug.traceback) and lua-nginx-module (the "thread aborted"
// log) write them. gopher-lua's own names Go functions "[G]", writes "in function <x:N>"
// for every Lua function and shows the host's Go frames below the main chunk.

// tbFrame is what a traceback line says of one frame.
type tbFrame struct {
	goFn           bool
	src            string
	line           int // -1: none
	namewhat, name string
	main           bool
	linedefined    int
}

// describe reads frame fr of co for a traceback.
func describe(co *lua.LState, fr *frameInfo) tbFrame {
	f := tbFrame{goFn: fr.fn.IsG, line: -1}
	f.namewhat, f.name = calledAs(co, fr)
	if f.goFn {
		f.src = "[C]"
		return f
	}
	p := fr.fn.Proto
	f.src, f.main, f.linedefined = p.SourceName, p.LineDefined == 0, p.LineDefined
	if fr.pc >= 0 && fr.pc < len(p.DbgSourcePositions) {
		f.line = p.DbgSourcePositions[fr.pc]
	}
	return f
}

// tbFrames are co's frames from level on, as a traceback shows them: the library's frames
// written in Lua (shims) are left out, and so are the host's Go frames under the bottom
// Lua frame (a handler's main chunk is the bottom of its thread, as under nginx).
//
// gopher-lua counts a tail-called frame as Lua 5.1 does, with an extra level for the
// frames it replaced; asked for such a level, GetStack answers the bottom frame. LuaJIT
// keeps no trace of tail calls, so those levels are dropped: every level that answers the
// bottom frame except the last.
func tbFrames(co *lua.LState, level int) []tbFrame {
	type entry struct {
		fr  *frameInfo
		ptr uintptr
	}
	var all []entry
	for ; ; level++ {
		fr := frameAt(co, level)
		if fr == nil {
			break
		}
		all = append(all, entry{fr, framePtr(fr.dbg)})
	}
	var out []tbFrame
	bottom := 0 // frames up to the last Lua one
	hidden := co.G.Registry.RawGetString(hiddenFrameKey)
	for i, e := range all {
		fr := e.fr
		if i < len(all)-1 && e.ptr != 0 && e.ptr == all[len(all)-1].ptr {
			continue
		}
		if isShim(fr.fn) || lua.LValue(fr.fn) == hidden {
			continue
		}
		out = append(out, describe(co, fr))
		if !fr.fn.IsG {
			bottom = len(out)
		}
	}
	return out[:bottom]
}

// framePtr identifies the call frame behind dbg (0 when unknown).
func framePtr(dbg *lua.Debug) uintptr {
	f := reflect.ValueOf(dbg).Elem().FieldByName("frame")
	if !f.IsValid() || f.IsNil() {
		return 0
	}
	return f.Pointer()
}

// text is the frame's line after the tab: "x.lua:3: in function 'f'".
func (f tbFrame) text() string {
	var b strings.Builder
	b.WriteString(f.src)
	b.WriteByte(':')
	if f.line > 0 {
		b.WriteString(strconv.Itoa(f.line))
		b.WriteByte(':')
	}
	switch {
	case f.namewhat != "":
		b.WriteString(" in function '" + f.name + "'")
	case f.main:
		b.WriteString(" in main chunk")
	case f.goFn:
		b.WriteString(" ?")
	default:
		b.WriteString(" in function <" + f.src + ":" + strconv.Itoa(f.linedefined) + ">")
	}
	return b.String()
}

// LuaJIT's luaL_traceback shows at most 22 frames: past that, the first tbLevels1, "...",
// and the last tbLevels2 (measured with LuaJIT 2.1's debug.traceback).
const (
	tbLevels1 = 11
	tbLevels2 = 10
)

// Traceback is LuaJIT's luaL_traceback of co from level: msg (when not nil) on the first
// line, then "stack traceback:" and a line per frame.
func Traceback(co *lua.LState, msg *string, level int) string {
	var b strings.Builder
	if msg != nil {
		b.WriteString(*msg)
		b.WriteByte('\n')
	}
	b.WriteString("stack traceback:")
	frames := tbFrames(co, level)
	for i, f := range frames {
		if i == tbLevels1 && len(frames) > tbLevels1+tbLevels2+1 {
			b.WriteString("\n\t...")
		}
		if i >= tbLevels1 && i < len(frames)-tbLevels2 && len(frames) > tbLevels1+tbLevels2+1 {
			continue
		}
		b.WriteString("\n\t")
		b.WriteString(f.text())
	}
	return b.String()
}

// nginxTraceDepth is lua-nginx-module's NGX_HTTP_LUA_BT_DEPTH: frames per coroutine.
const nginxTraceDepth = 22

// ThreadTraceback is the traceback lua-nginx-module logs after "lua entry thread aborted:
// runtime error: ...": "stack traceback:", then "coroutine 0:" and the failing thread's
// frames from level, the one that raised first. After a runtime error of the VM (the
// raising frame is Lua code), LuaJIT no longer knows that frame's line: it has none.
func ThreadTraceback(L *lua.LState, level int) string {
	return ThreadTracebackHead + traceFrames(L, level)
}

// ThreadTracebackHead is how ThreadTraceback starts, before the failing thread's frames.
const ThreadTracebackHead = "stack traceback:\ncoroutine 0:"

// traceFrames is ThreadTraceback's frame lines, each "\n\t" and the frame.
func traceFrames(L *lua.LState, level int) string {
	var b strings.Builder
	for i, f := range tbFrames(L, level) {
		if i == nginxTraceDepth {
			b.WriteString("\n\t...")
			break
		}
		if i == 0 && !f.goFn {
			f.line = -1
		}
		b.WriteString("\n\t")
		b.WriteString(f.text())
	}
	return b.String()
}

// debugTraceback is LuaJIT's debug.traceback([thread,] [message [, level]]): a message
// that is neither a string nor a number (nil included, when given) is returned as it is;
// level defaults to 1 (the caller), 0 for another coroutine.
func debugTraceback(L *lua.LState) int {
	co, arg := L, 1
	if th, ok := L.Get(1).(*lua.LState); ok {
		co, arg = th, 2
	}
	var msg *string
	switch v := L.Get(arg).(type) {
	case lua.LString:
		s := string(v)
		msg = &s
	case lua.LNumber:
		s := FormatNumber(float64(v))
		msg = &s
	default:
		if L.GetTop() >= arg {
			L.SetTop(arg)
			L.Push(v)
			return 1
		}
	}
	level := 0
	if co == L {
		level = 1
	}
	if L.GetTop() > arg {
		level = checkInt(L, arg+1)
	}
	if co == L && level >= 1 {
		// called in tail position: LuaJIT's caller frame is gone, gopher-lua's not
		if c := frameAt(L, 1); c != nil && !c.fn.IsG && c.pc >= 0 && opcode(c.fn.Proto.Code[c.pc]) == lua.OP_TAILCALL {
			level++
		}
	}
	tb := Traceback(co, msg, level)
	if co != L && level == 0 && L.Status(co) == "suspended" && frameAt(co, 0) != nil {
		// a suspended coroutine's top frame is its yield, which gopher-lua has popped
		tb = strings.Replace(tb, "stack traceback:", "stack traceback:\n\t[C]: in function 'yield'", 1)
	}
	L.Push(lua.LString(tb))
	return 1
}
