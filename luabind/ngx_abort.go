package luabind

import (
	lua "github.com/yuin/gopher-lua"

	"github.com/luaws/luaws/errlog"
)

// ngx.on_abort(f): f runs as a user thread when the client closes its connection early
// (lua_check_client_abort on). Without a handler, such an abort ends the request: every
// light thread is killed, as nginx finalizes it with 499.
func ngxOnAbort(L *lua.LState) int {
	r := outputRequestOf(L) // "API disabled in the context of ngx.timer"
	fn := L.CheckFunction(1)
	if !r.sc.checkAbort {
		L.Push(lua.LNil)
		L.Push(lua.LString("lua_check_client_abort is off"))
		return 2
	}
	if r.abortHandler != nil {
		L.Push(lua.LNil)
		L.Push(lua.LString("duplicate call"))
		return 2
	}
	r.abortHandler = fn
	L.Push(lua.LNumber(1))
	return 1
}

// watchAbort waits for the client to go away while the handler runs (net/http cancels the
// request's context when it sees the connection close) and reacts as nginx does, also when
// the entry thread is over and only user threads still run.
func (r *request) watchAbort(done <-chan struct{}) {
	if r.r == nil || !r.sc.checkAbort {
		return
	}
	go func() {
		select {
		case <-done:
			return
		case <-r.r.Context().Done():
		}
		v := r.vm
		v.baton.Lock()
		defer r.passBaton()
		if r.hijacked || r.exited || r.entry == nil || !r.running() {
			return
		}
		r.sc.log.Log(errlog.Info, &r.logc, "client prematurely closed connection")
		if r.abortHandler != nil {
			parent := r.entry
			if parent.ctx.Err() != nil {
				parent = nil // the entry thread is over: the handler is the request's alone
			}
			r.spawn(r.L, parent, r.abortHandler, nil)
			return
		}
		r.exited = true
		r.exitStatus = 499
		r.killAll()
	}()
}

// running reports whether a light thread of the request is still under way (the caller
// holds the baton, so a thread it sees running cannot end meanwhile).
func (r *request) running() bool {
	if r.entry != nil && r.entry.ctx.Err() == nil {
		return true
	}
	r.thmu.Lock()
	defer r.thmu.Unlock()
	for _, t := range r.threads {
		select {
		case <-t.user.done:
		default:
			return true
		}
	}
	return false
}
