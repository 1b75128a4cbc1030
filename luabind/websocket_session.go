package luabind

import (
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// The server's frame methods in Go. _session.lua's recv_frame and send_text, send_binary,
// send_ping and send_pong are Lua functions around one native call each; on an echo of small
// frames their two Lua calls and some 45 VM instructions were more than half of the VM's own
// work (pprof of the server: 15.9% of its samples before, 7.0% after). For the server (resty.websocket.server) session_methods replaces them with Go
// functions taking the same steps in the same order: the same fields of self read with the
// same metamethods (L.GetField and L.SetField are what the VM's GETTABLE and SETTABLE use),
// the same Lua functions called where the Lua versions call them (protocol's codec for a
// socket that is not luaws's, string.find on an error that is not a string, math.random for
// a masking key), the same results. What differs: an argument error raised below them names
// the handler's line rather than _session.lua's, and a thread killed while it waited stops
// at the handler's next instruction rather than at _session.lua's (in both cases after the
// native call, before self.fatal is touched).

// sessionMethods are the values the Go methods call, as _session.lua's upvalues hold them.
type sessionMethods struct {
	force       lua.LValue // force_masking (true): frames from the client must be masked
	protoRecv   lua.LValue // protocol.recv_frame
	protoSend   lua.LValue // protocol.send_frame
	find        lua.LValue // string.find
	rand        lua.LValue // math.random
	first2      lua.LValue // "failed to receive the first 2 bytes: timeout"
	sessionSend lua.LValue // native.session_send
	isNative    lua.LValue // native.is_native
	nativeSend  lua.LValue // native.send_frame
	sessionRecv lua.LValue // native.session_recv
}

// wsSessionMethods is session_methods(_M, recv_frame, send_frame, first2_timeout, find,
// rand, session_recv, session_send, is_native, native_send), called by _session.lua's
// install for the server with its upvalues: _M's recv_frame and send_{text,binary,ping,pong}
// become Go functions; a call whose self is not a table goes to the Lua function it replaced.
func wsSessionMethods(L *lua.LState) int {
	mod := L.CheckTable(1)
	m := &sessionMethods{
		force:       lua.LTrue,
		protoRecv:   L.Get(2),
		protoSend:   L.Get(3),
		first2:      L.Get(4),
		find:        L.Get(5),
		rand:        L.Get(6),
		sessionRecv: L.Get(7),
		sessionSend: L.Get(8),
		isNative:    L.Get(9),
		nativeSend:  L.Get(10),
	}
	if luaRecv, ok := mod.RawGetString("recv_frame").(*lua.LFunction); ok {
		mod.RawSetString("recv_frame", L.NewFunction(func(L *lua.LState) int {
			if _, ok := L.Get(1).(*lua.LTable); !ok {
				return callLua(L, luaRecv)
			}
			return m.recvFrame(L)
		}))
	}
	for _, s := range []struct {
		name string
		op   lua.LValue // boxed once: no allocation per frame
	}{{"send_text", lua.LNumber(0x1)}, {"send_binary", lua.LNumber(0x2)}, {"send_ping", lua.LNumber(0x9)}, {"send_pong", lua.LNumber(0xa)}} {
		luaSend, ok := mod.RawGetString(s.name).(*lua.LFunction)
		if !ok {
			continue
		}
		op := s.op
		mod.RawSetString(s.name, L.NewFunction(func(L *lua.LState) int {
			if _, ok := L.Get(1).(*lua.LTable); !ok {
				return callLua(L, luaSend)
			}
			return m.sendFrame(L, op)
		}))
	}
	return 0
}

// callLua calls fn with the caller's arguments and returns all its results.
func callLua(L *lua.LState, fn *lua.LFunction) int {
	n := L.GetTop()
	L.Insert(fn, 1)
	L.Call(n, lua.MultRet)
	return L.GetTop()
}

// call calls fn with args and leaves nret results on the stack, as the VM's CALL does.
func call(L *lua.LState, nret int, fn lua.LValue, args ...lua.LValue) {
	L.Push(fn)
	for _, a := range args {
		L.Push(a)
	}
	L.Call(len(args), nret)
}

// killed says whether L's light thread was killed (or its request is over): the VM stops it
// at its next instruction, and the Lua method would not have run another one.
func killed(L *lua.LState) bool {
	t := threadOf(L)
	return t != nil && t.ctx.Err() != nil
}

// recvFrame is _session.lua's recv_frame(self) -> data, typ, err.
func (m *sessionMethods) recvFrame(L *lua.LState) int {
	self := L.Get(1)
	if lua.LVAsBool(L.GetField(self, "fatal")) {
		return push3(L, lua.LNil, lua.LNil, lua.LString("fatal error already happened"))
	}
	sock := L.GetField(self, "sock")
	if !lua.LVAsBool(sock) {
		return push3(L, lua.LNil, lua.LNil, lua.LString("not initialized yet"))
	}
	max := L.GetField(self, "max_recv_len")
	L.SetTop(0)
	if _, ok := isSocket(sock); ok && isNumberOrNil(max) {
		// session_recv's own work, called without a Lua frame: its arguments are checked
		// above (a luaws socket, a number or nil), so it raises nothing of its own
		L.Push(sock)
		L.Push(max)
		L.Push(m.force)
		wsRecvFrame(L)
	} else {
		call(L, 3, m.sessionRecv, sock, max, m.force)
		if L.Get(-3) == lua.LFalse {
			L.SetTop(0)
			call(L, 3, m.protoRecv, sock, L.GetField(self, "max_recv_len"), m.force)
		}
	}
	top := L.GetTop()
	data, typ, err := L.Get(top-2), L.Get(top-1), L.Get(top)
	if killed(L) {
		return 3
	}
	if !lua.LVAsBool(data) && err != m.first2 && !m.isTimeout(L, err) {
		L.SetField(self, "fatal", lua.LTrue)
	}
	return push3(L, data, typ, err)
}

// isTimeout is find(err, ": timeout", 1, true) as a boolean.
func (m *sessionMethods) isTimeout(L *lua.LState, err lua.LValue) bool {
	if s, ok := err.(lua.LString); ok {
		return strings.Contains(string(s), ": timeout")
	}
	call(L, 1, m.find, err, lua.LString(": timeout"), lua.LNumber(1), lua.LTrue)
	v := L.Get(-1)
	L.Pop(1)
	return lua.LVAsBool(v)
}

// sendFrame is _session.lua's send_frame(self, true, op, payload) of the server, which
// send_text, send_binary, send_ping and send_pong are: bytes | nil, err.
func (m *sessionMethods) sendFrame(L *lua.LState, op lua.LValue) int {
	self, payload := L.Get(1), L.Get(2)
	if lua.LVAsBool(L.GetField(self, "fatal")) {
		return push2(L, lua.LNil, lua.LString("fatal error already happened"))
	}
	sock := L.GetField(self, "sock")
	if !lua.LVAsBool(sock) {
		return push2(L, lua.LNil, lua.LString("not initialized yet"))
	}
	masked := L.GetField(self, "send_masked")
	L.SetTop(0)
	switch {
	case !lua.LVAsBool(masked):
		max := L.GetField(self, "max_send_len")
		if _, ok := isSocket(sock); ok && isNumberOrNil(max) && isPayload(payload) {
			// session_send's own work without a Lua frame (its arguments checked above)
			L.Push(sock)
			L.Push(lua.LTrue)
			L.Push(op)
			L.Push(payload)
			L.Push(max)
			L.Push(masked)
			if wsSendFrame(L) == 1 {
				L.Push(lua.LNil)
			}
		} else {
			call(L, 2, m.sessionSend, sock, lua.LTrue, op, payload, max, masked)
			if L.Get(-2) == lua.LFalse {
				L.SetTop(0)
				call(L, 2, m.protoSend, sock, lua.LTrue, op, payload, L.GetField(self, "max_send_len"), masked)
			}
		}
	default:
		call(L, 1, m.isNative, sock)
		native := lua.LVAsBool(L.Get(-1))
		L.SetTop(0)
		if !native {
			call(L, 2, m.protoSend, sock, lua.LTrue, op, payload, L.GetField(self, "max_send_len"), masked)
		} else {
			max := L.GetField(self, "max_send_len")
			call(L, 1, m.rand, lua.LNumber(0xffffffff))
			key := L.Get(-1)
			L.SetTop(0)
			call(L, 2, m.nativeSend, sock, lua.LTrue, op, payload, max, masked, key)
		}
	}
	top := L.GetTop()
	bytes, err := L.Get(top-1), L.Get(top)
	if killed(L) {
		return 2
	}
	if !lua.LVAsBool(bytes) {
		L.SetField(self, "fatal", lua.LTrue)
	}
	return push2(L, bytes, err)
}

func push2(L *lua.LState, a, b lua.LValue) int {
	L.Push(a)
	L.Push(b)
	return 2
}

func push3(L *lua.LState, a, b, c lua.LValue) int {
	L.Push(a)
	L.Push(b)
	L.Push(c)
	return 3
}

// isNumberOrNil says whether maxLenArg takes v without raising.
func isNumberOrNil(v lua.LValue) bool {
	switch v.(type) {
	case lua.LNumber, *lua.LNilType:
		return true
	}
	return false
}

// isPayload says whether payloadArg takes v without raising (a string or nil: the frames
// handlers send).
func isPayload(v lua.LValue) bool {
	switch v.(type) {
	case lua.LString, *lua.LNilType:
		return true
	}
	return false
}
