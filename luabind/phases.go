package luabind

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"strings"
	"time"

	lua "github.com/yuin/gopher-lua"

	"github.com/luaws/luaws/internal/varexpand"
	"github.com/luaws/luaws/luabind/luajit"

	"github.com/luaws/luaws/errlog"
)

// Chunk is the Lua of one nginx *_by_lua* directive: a file (File) or inline source (Src,
// named Name in errors and log lines, e.g. "content_by_lua(nginx.conf:56)").
type Chunk struct {
	Name string
	Src  []byte
	File string
	// FilePath, for a *_by_lua_file path with nginx variables in it ("lua/$1.lua"), gives
	// the file of each request, loaded then (and cached by path and modification time) as
	// lua-nginx-module does; File is unused then.
	FilePath func(*http.Request) string
	// Lazy: a File that does not compile fails the requests that run it ("failed to load
	// external Lua file", 500) instead of the start-up, as nginx.conf's request-phase
	// *_by_lua_file do. luaws's own --location scripts are checked at start and reload.
	Lazy bool
}

// SetByLua is one set_by_lua* directive: $Var gets what the chunk returns; Args are ngx.arg.
type SetByLua struct {
	Var   string
	Chunk Chunk
	Args  []string
}

// Phases are the Lua handlers of one nginx location. They run in order in one Lua state per
// request (so ngx.ctx and globals carry from one phase to the next, as under OpenResty):
// set_by_lua*, rewrite_by_lua*, access_by_lua*, content_by_lua*, then log_by_lua* after the
// response. A nil phase is skipped.
type Phases struct {
	Set                           []SetByLua // set_by_lua*, run by Script
	Rewrite, Access, Content, Log *Chunk
	// HeaderFilter is header_filter_by_lua*: it runs once, just before the response header
	// goes out (Lua's output, an error page, or the Fallback's), and may change ngx.header
	// and ngx.status.
	HeaderFilter *Chunk
	// BodyFilter is body_filter_by_lua*: it runs on each piece of the response body (see
	// bfilter.go).
	BodyFilter *Chunk
	// Fallback serves the content phase when Content is nil (static files, return, ...).
	Fallback http.Handler
	// Settings are the location's server name, error log, socket logging, resolver...
	Settings *Settings
	// Guard runs the server's preaccess and access checks (limit_req, allow/deny,
	// auth_basic, ...) after the rewrite phase, as nginx orders them. done: it answered
	// (403, 401, 503...) and the request ends there (the log phase still runs); skipAccess:
	// "satisfy any" is already met, so access_by_lua* does not run.
	Guard func(w http.ResponseWriter, r *http.Request) (done, skipAccess bool)
	// Script runs the location's rewrite-module directives (set, rewrite, if, return, ...)
	// first, in order with set_by_lua*: setLua(hr, i) runs Set[i] for hr and returns its value. It
	// returns the request the later phases see (its URI may have changed) and, when the
	// script ended the request's course here, answer (a response served under the
	// location's filters, then log_by_lua*: return, a redirect) or handoff (another
	// configuration serves the request: "rewrite ... last", an "if" block). Set runs only
	// through it.
	Script func(hr *http.Request, setLua func(hr *http.Request, i int) (string, error)) (next *http.Request, answer, handoff http.Handler)
}

// PhaseHandler serves a location's Phases.
type PhaseHandler struct {
	host     *Host
	sc       *scope
	set      []setStep
	phases   [4]phaseStep // rewrite, access, content, log
	hfilter  func() (*lua.FunctionProto, error)
	bfilter  func(*request) (*lua.FunctionProto, error)
	fallback http.Handler
	guard    func(http.ResponseWriter, *http.Request) (bool, bool)
	script   func(*http.Request, func(*http.Request, int) (string, error)) (*http.Request, http.Handler, http.Handler)
}

type setStep struct {
	name  string
	args  []string
	proto func() (*lua.FunctionProto, error)
	path  func(*http.Request) string // set_by_lua_file with variables in its path
}

type phaseStep struct {
	name  string
	proto func() (*lua.FunctionProto, error)
	path  func(*http.Request) string // see Chunk.FilePath
}

// chunkProto compiles c now (a syntax error is returned) and returns its proto getter.
func (h *Host) chunkProto(c *Chunk) (func() (*lua.FunctionProto, error), error) {
	if c.FilePath != nil {
		return func() (*lua.FunctionProto, error) { return nil, errors.New("a per-request file") }, nil
	}
	if c.File != "" {
		if _, err := h.protos.file(c.File); err != nil {
			return nil, fmt.Errorf("load %s: %w", c.File, err)
		}
		file := c.File
		return func() (*lua.FunctionProto, error) { return h.protos.file(file) }, nil
	}
	proto, err := compile(c.Name, c.Src)
	if err != nil {
		return nil, err
	}
	return func() (*lua.FunctionProto, error) { return proto, nil }, nil
}

// inlineLoadError is an inline request-phase chunk that does not compile. lua-nginx-module
// compiles such code on the first request that runs it, so nginx starts (and -t passes) and
// each request logs "failed to load inlined Lua code: ..." and answers 500.
type inlineLoadError struct{ err error }

func (e *inlineLoadError) Error() string {
	return "failed to load inlined Lua code: " + luaSyntaxText(e.err)
}

// phaseProto is chunkProto for a request phase: an inline chunk's syntax error is kept for
// request time (inlineLoadError) instead of failing start-up.
func (h *Host) phaseProto(c *Chunk) (func() (*lua.FunctionProto, error), error) {
	get, err := h.chunkProto(c)
	switch {
	case err == nil:
	case c.File == "" && c.FilePath == nil:
		le := &inlineLoadError{err: err}
		return func() (*lua.FunctionProto, error) { return nil, le }, nil
	case c.File != "" && c.Lazy:
		// a handler's file is compiled on the first request that runs it: nginx starts
		fe := &fileLoadError{path: c.File, err: err}
		return func() (*lua.FunctionProto, error) { return nil, fe }, nil
	}
	return get, err
}

// fileLoadError is a request-phase *_by_lua_file whose file does not compile: each
// request running it logs "failed to load external Lua file ..." and answers 500.
type fileLoadError struct {
	path    string
	err     error
	missing bool // the file is not there (a balancer then goes on without it, as nginx)
}

func (e *fileLoadError) Error() string {
	inner := errors.Unwrap(e.err) // chunkProto's "load PATH: ..."
	if inner == nil {
		inner = e.err
	}
	return fmt.Sprintf("failed to load external Lua file \"%s\": %s", e.path, luaSyntaxText(inner))
}

// loadFailure is the error.log text of a chunk that could not be loaded at request time.
func loadFailure(err error) string {
	var le *inlineLoadError
	if errors.As(err, &le) {
		return le.Error()
	}
	var fe *fileLoadError
	if errors.As(err, &fe) {
		return fe.Error()
	}
	return "failed to load Lua chunk: " + err.Error()
}

// CheckChunk reports what start-up refuses in a request-phase chunk (nginx -t): a Lua file
// that does not load. An inline chunk's syntax error is reported at request time.
func (h *Host) CheckChunk(c Chunk) error {
	_, err := h.phaseProto(&c)
	return err
}

// PhaseHandler compiles every chunk of p now and returns the location's handler.
func (h *Host) PhaseHandler(p Phases) (*PhaseHandler, error) {
	ph := &PhaseHandler{host: h, sc: h.scope(p.Settings), fallback: p.Fallback, guard: p.Guard,
		script: p.Script}
	for _, s := range p.Set {
		proto, err := h.phaseProto(&s.Chunk)
		if err != nil {
			return nil, err
		}
		ph.set = append(ph.set, setStep{name: s.Var, args: s.Args, proto: proto, path: s.Chunk.FilePath})
	}
	for i, c := range []*Chunk{p.Rewrite, p.Access, p.Content, p.Log} {
		ph.phases[i].name = [...]string{"rewrite", "access", "content", "log"}[i]
		if c == nil {
			continue
		}
		proto, err := h.phaseProto(c)
		if err != nil {
			return nil, err
		}
		ph.phases[i].proto, ph.phases[i].path = proto, c.FilePath
	}
	if p.HeaderFilter != nil {
		if p.HeaderFilter.FilePath != nil {
			return nil, errors.New("header_filter_by_lua_file with variables in its path is not supported by luaws")
		}
		proto, err := h.phaseProto(p.HeaderFilter)
		if err != nil {
			return nil, err
		}
		ph.hfilter = proto
	}
	if p.BodyFilter != nil {
		get, err := h.bodyFilterProto(p.BodyFilter)
		if err != nil {
			return nil, err
		}
		ph.bfilter = get
	}
	return ph, nil
}

// varsKey carries the values of the location's "set $var value;" directives (computed by
// the server) into the request, where ngx.var reads and writes them.
type varsKey struct{}

// WithVars returns ctx carrying nginx variables defined by "set" for the request.
func WithVars(ctx context.Context, vars map[string]string) context.Context {
	return context.WithValue(ctx, varsKey{}, vars)
}

// SetVarsOf is the map of the request's "set" variables (WithVars), where the server's
// access checks write theirs (auth_request_set); nil if none.
func SetVarsOf(ctx context.Context) map[string]string {
	m, _ := ctx.Value(varsKey{}).(map[string]string)
	return m
}

// Variable computes the built-in nginx variable $name for hr (as ngx.var.name would), for
// the server's own use of variables in directive values.
func (h *Host) Variable(hr *http.Request, name string) (string, bool) {
	r := &request{host: h, sc: h.scope(nil), r: hr}
	return r.variable(name)
}

// ServeHTTP runs the location's phases for one request, on a goroutine of its own so that
// a websocket handler's ServeHTTP returns once it takes the connection over (see Handler).
func (ph *PhaseHandler) ServeHTTP(w http.ResponseWriter, hr *http.Request) { ph.start(w, hr) }

// serveFallback serves the response with a handler that is not Lua (static files, echo, a
// return), under the location's header and body filters.
func (r *request) serveFallback(h http.Handler) {
	r.phase = "content"
	fw := r.w
	var bw *bodyWriter
	if r.bf != nil {
		bw = &bodyWriter{ResponseWriter: fw, r: r}
		fw = bw
	}
	if r.hfilter != nil {
		fw = &filterWriter{ResponseWriter: fw, r: r}
	}
	if len(r.header.fields) > 0 { // ngx.header set by an earlier phase: nginx's headers_out
		hd := fw.Header()
		for _, f := range r.header.fields {
			hd[http.CanonicalHeaderKey(f.name)] = append([]string(nil), f.values...)
		}
	}
	h.ServeHTTP(fw, r.withRequest(r.withBody(r.withHeaderList(r.withLuaVars(r.r)))))
	if bw != nil {
		bw.end()
	}
	r.headersSent = true
}

// start serves the request on a goroutine of its own (see ServeHTTP).
func (ph *PhaseHandler) start(w http.ResponseWriter, hr *http.Request) {
	r := &request{host: ph.host, sc: ph.sc, w: w, r: hr, start: time.Now(), detached: make(chan struct{})}
	done := make(chan struct{})
	ph.host.active.Add(1)
	go func() {
		defer ph.host.active.Done()
		defer close(done)
		defer r.survive("request")
		ph.serveWith(r)
	}()
	select {
	case <-done:
	case <-r.detached:
	}
}

// begin gives a request its log context and variables and binds it to its worker's Lua
// state; the returned function lets go of it.
func (r *request) begin() func() {
	hr := r.r
	r.logc = errlog.Conn{
		ID:      connID(hr),
		Client:  remoteIP(hr.RemoteAddr),
		Server:  r.sc.serverName,
		Request: hr.Method + " " + hr.RequestURI + " " + hr.Proto,
		Host:    hr.Host,
	}
	r.vars = map[string]lua.LValue{}
	if vars, ok := hr.Context().Value(varsKey{}).(map[string]string); ok {
		r.setVars = vars
		for k, v := range vars {
			r.vars[k] = lua.LString(v)
		}
	}
	r.adoptInternal(hr)
	return r.attach(context.Background(), r.host.workerFor(hr), nil)
}

// SetRunner compiles set_by_lua* chunks that run outside a location's phases (at server
// level, in nginx's server-rewrite phase): the function returned runs the i-th for hr (with
// the variables of WithVars) and returns its value.
func (h *Host) SetRunner(sets []SetByLua, st *Settings) (func(hr *http.Request, i int) (string, error), error) {
	var steps []setStep
	for _, s := range sets {
		proto, err := h.phaseProto(&s.Chunk)
		if err != nil {
			return nil, err
		}
		steps = append(steps, setStep{name: s.Var, args: s.Args, proto: proto, path: s.Chunk.FilePath})
	}
	sc := h.scope(st)
	return func(hr *http.Request, i int) (string, error) {
		r := &request{host: h, sc: sc, r: hr, start: time.Now()}
		release := r.begin()
		defer release()
		if r.vm.own { // a fresh state (lua_code_cache off)
			r.replayInit(r.L)
		}
		r.phase = "set"
		v, err := r.runSet(r.L, steps[i])
		r.releaseCtx()
		if err != nil {
			return "", err
		}
		return luaToString(v), nil
	}, nil
}

func (ph *PhaseHandler) serveWith(r *request) {
	w, hr := r.w, r.r
	release := r.begin()
	defer release()
	L := r.L
	r.hfilter = ph.hfilter
	if ph.bfilter != nil {
		r.bf = &bodyFilter{get: ph.bfilter}
	}
	if r.vm.own { // a fresh state (lua_code_cache off): replay the init code in it
		r.replayInit(L)
	}

	failed := false
	if ph.script != nil {
		next, answer, handoff := ph.script(hr, func(cur *http.Request, i int) (string, error) {
			r.phase, r.r = "set", cur
			for k, v := range r.setVars { // what the script set so far
				r.vars[k] = lua.LString(v)
			}
			v, err := r.runSet(L, ph.set[i])
			if err != nil {
				return "", err
			}
			r.setVar(ph.set[i].name, v)
			return luaToString(v), nil
		})
		for k, v := range r.setVars {
			r.vars[k] = lua.LString(v)
		}
		r.r, hr = next, next
		switch {
		case handoff != nil: // another location or an "if" block's configuration serves
			r.releaseCtx()
			handoff.ServeHTTP(w, hr)
			return
		case answer != nil: // the rewrite phase ends there, before any Lua of it
			r.serveFallback(answer)
			ph.finishAndLog(r, L, false)
			return
		}
	}
	content := false
	for i := 0; i < 3 && !failed; i++ {
		st := ph.phases[i]
		if i == 1 && ph.guard != nil {
			done, skip := ph.guard(w, r.withHeaderList(r.withLuaVars(hr)))
			for k, v := range r.setVars { // auth_request_set's
				r.vars[k] = lua.LString(v)
			}
			if done {
				r.headersSent, content = true, true
				break
			}
			if skip {
				continue
			}
		}
		if st.proto == nil {
			if i == 2 && ph.fallback != nil && !r.exited {
				r.serveFallback(ph.fallback)
				content = true
			}
			continue
		}
		var proto *lua.FunctionProto
		var err error
		if st.path != nil {
			proto, err = ph.host.requestFile(r, st.path(hr))
			if err != nil {
				break
			}
		} else if proto, err = st.proto(); err != nil {
			r.sc.log.Log(errlog.Err, &r.logc, loadFailure(err))
			failed = true
			break
		}
		r.phase = st.name
		if r.sc.needBody && !r.readNeededBody() {
			content = true
			break
		}
		failed, _ = r.runPhase(L, proto)
		if failed || r.exec != nil {
			break
		}
		if i == 2 {
			content = true
			break
		}
		// rewrite/access: ngx.exit(ngx.OK) or a plain return goes on to the next phase;
		// ngx.exit(status), output or a taken-over connection ends the request here.
		if r.exited && r.exitStatus == 0 && !r.headersSent && !r.hijacked {
			r.exited = false
			continue
		}
		if r.exited || r.headersSent || r.hijacked {
			content = true
			break
		}
	}
	if !content && !failed && !r.exited {
		// No content handler: nginx would serve the location's static files; with none, 404.
		r.exited, r.exitStatus = true, http.StatusNotFound
	}
	r.shareVarsBack()
	if r.exec != nil && !failed { // ngx.exec: the target location serves (and logs) the request
		r.runExec()
		return
	}
	ph.finishAndLog(r, L, failed)
}

// readNeededBody reads the request body before the first Lua phase of a location with
// lua_need_request_body on; a client that sends a bad body or goes away ends the request
// with 400, as under nginx. It reports whether the phases go on.
func (r *request) readNeededBody() bool {
	if r.bodyRead || r.bodyGone() {
		return true
	}
	r.readBodyCuttable(r.bodyCutter(), func() { r.body() })
	err := r.bodyErr
	if err == nil {
		return true
	}
	r.bodyErr = nil
	r.logBodyError(err)
	r.exited, r.exitStatus = true, http.StatusBadRequest
	r.sendSpecial(http.StatusBadRequest)
	return false
}

// finishAndLog completes the response and runs log_by_lua*.
func (ph *PhaseHandler) finishAndLog(r *request, L *lua.LState, failed bool) {
	r.finish(failed)
	r.reportSent()
	if lpath := ph.phases[3].path; lpath != nil {
		// a log_by_lua_file loaded per request: a failure is logged, the response stays
		exited, status := r.exited, r.exitStatus
		proto, err := ph.host.requestFile(r, lpath(r.r))
		r.exited, r.exitStatus = exited, status
		if err == nil {
			r.phase = "log"
			r.exited = false
			r.runPhase(L, proto)
		}
	} else if lp := ph.phases[3].proto; lp != nil {
		if proto, err := lp(); err == nil {
			r.phase = "log"
			r.exited = false
			r.runPhase(L, proto)
		} else {
			r.sc.log.Log(errlog.Err, &r.logc, loadFailure(err))
		}
	}
	r.releaseCtx()
}

// requestFile loads a handler file named per request; on failure it logs as
// lua-nginx-module does and ends the request with 404 (no such file) or 500.
func (h *Host) requestFile(r *request, path string) (*lua.FunctionProto, error) {
	proto, err := h.protos.file(path)
	if err == nil {
		return proto, nil
	}
	status := http.StatusInternalServerError
	reason := luaSyntaxText(err)
	var pe *fs.PathError
	if errors.As(err, &pe) {
		reason = "cannot open " + path + ": " + capitalErrno(pe.Err)
		if errors.Is(err, fs.ErrNotExist) {
			status = http.StatusNotFound
		}
	}
	r.sc.log.Log(errlog.Err, &r.logc, fmt.Sprintf("failed to load external Lua file \"%s\": %s", path, reason))
	r.exited, r.exitStatus = true, status
	return nil, err
}

// capitalErrno is strerror's wording ("No such file or directory").
func capitalErrno(err error) string {
	msg := err.Error()
	if msg != "" {
		msg = strings.ToUpper(msg[:1]) + msg[1:]
	}
	return msg
}

// luaSyntaxText is a compile error as LuaJIT words it ("FILE:2: ... near 'x'").
func luaSyntaxText(err error) string {
	return strings.TrimSpace(err.Error())
}

// runPhase runs proto as a new entry light thread of the request and waits for the user
// threads it spawned, as request.run does for a lone content handler.
func (r *request) runPhase(_ *lua.LState, proto *lua.FunctionProto) (bool, error) {
	return r.runEntry(chunkMain(proto))
}

// runSet runs a set_by_lua chunk with ngx.arg set and returns its first result as a string.
func (r *request) runSet(L *lua.LState, s setStep) (lua.LValue, error) {
	var proto *lua.FunctionProto
	var err error
	if s.path != nil {
		if proto, err = r.host.requestFile(r, s.path(r.r)); err != nil {
			return nil, err
		}
	} else if proto, err = s.proto(); err != nil {
		r.sc.log.Log(errlog.Err, &r.logc, loadFailure(err))
		return nil, err
	}
	args := L.CreateTable(len(s.args), 0)
	for _, a := range s.args {
		args.Append(lua.LString(varexpand.Expand(a, r.varString)))
	}
	v := r.vm
	v.baton.Lock()
	ngx := L.GetGlobal("ngx").(*lua.LTable)
	ngx.RawSetString("arg", args)
	r.entry = r.newThread(L)
	r.entry.owns()
	top := L.GetTop()
	L.Push(luajit.NewFunction(L, proto))
	dirty := r.dirtyL
	r.dirtyL = true
	err = L.PCall(0, 1, nil)
	if err == nil {
		r.dirtyL = dirty
	}
	r.entry.cancel()
	ngx.RawSetString("arg", lua.LNil)
	v.baton.Unlock()
	if err != nil {
		msg := err.Error()
		if ae, ok := err.(*lua.ApiError); ok && ae.Object != nil && ae.Object.Type() != lua.LTString && ae.Object.Type() != lua.LTNumber {
			msg = "unknown reason" // error(nil), error({}), as lua-nginx-module words it
		}
		r.sc.log.Log(errlog.Err, &r.logc, "failed to run set_by_lua*: "+msg)
		L.SetTop(top)
		return nil, err
	}
	res := L.Get(-1)
	L.SetTop(top)
	switch res.(type) {
	case lua.LString, lua.LNumber:
		return lua.LString(luaToString(res)), nil
	}
	return lua.LString(""), nil
}

// init_by_lua* and init_worker_by_lua*.
//
// Under OpenResty, init code runs once in the master's Lua VM and every request then sees
// the globals and modules it set up. With lua_code_cache on (the default) luaws's requests
// run in their worker's shared state, so RunInit runs the init chunks in each worker's state
// (once per worker, as nginx forks its workers after init) — their globals and modules are
// simply there. With lua_code_cache off each request has a fresh state, so:
//   - RunInit runs the init chunks once, at start-up, in a state of their own: their side
//     effects (shared dict writes, log lines, a start-up failure on error) happen once, as
//     under nginx;
//   - every request's state replays the same chunks before its first phase, so the globals
//     and modules they set up are there; during the replay ngx.log/print are silent and
//     ngx.shared.DICT writes are no-ops (reads work), so the replay repeats no side effect
//     and cannot undo what requests wrote since.

// SetInit compiles the init chunks (in order) that RunInit runs and requests replay.
func (h *Host) SetInit(chunks []Chunk) error {
	h.initProtos = nil
	for i := range chunks {
		get, err := h.chunkProto(&chunks[i])
		if err != nil {
			return err
		}
		proto, err := get()
		if err != nil {
			return err
		}
		h.initProtos = append(h.initProtos, proto)
	}
	return nil
}

// RunInit runs the init chunks once, outside of any request; an error is nginx's
// "init_by_lua error: ..." that stops start-up.
func (h *Host) RunInit() error {
	targets := h.workers
	if len(targets) == 0 {
		targets = []*vm{nil} // a state of its own, for the side effects
	}
	for _, v := range targets {
		for _, proto := range h.initProtos {
			r := &request{host: h, sc: h.scope(nil), start: time.Now(), phase: "init"}
			if _, err := r.run(context.Background(), v, chunkMain(proto), nil); err != nil {
				if r.initErr != "" {
					return &InitError{Msg: r.initErr}
				}
				return &InitError{Msg: luaErrorText(err)}
			}
		}
	}
	return nil
}

// InitError is an init_by_lua* chunk's error, which stops start-up; nginx logs it at the
// error level (not emerg), with the chunk's stack traceback.
type InitError struct{ Msg string }

func (e *InitError) Error() string { return "init_by_lua error: " + e.Msg }

func luaErrorText(err error) string {
	if ae, ok := err.(*lua.ApiError); ok {
		return ae.Object.String()
	}
	return err.Error()
}

// sharedProxySrc wraps ngx.shared so that writes do nothing while replaying is true.
const sharedProxySrc = `
local real, replaying = ...
local writes = {set=true, safe_set=true, add=true, safe_add=true, replace=true, delete=true,
  incr=true, lpush=true, rpush=true, lpop=true, rpop=true, flush_all=true, flush_expired=true,
  expire=true, cas=true}
local proxies = {}
return setmetatable({}, {__index = function(_, name)
  local p = proxies[name]
  if p then return p end
  local d = real[name]
  if d == nil then return nil end
  p = setmetatable({}, {__index = function(_, m)
    local f = d[m]
    if type(f) ~= "function" then return f end
    return function(self, ...)
      if self == p then self = d end
      if writes[m] and replaying() then
        if m == "incr" then return d:get((...)) end
        return true
      end
      return f(self, ...)
    end
  end})
  proxies[name] = p
  return p
end})
`

var sharedProxyProto = func() *lua.FunctionProto {
	p, err := compile("=ngx.shared", []byte(sharedProxySrc))
	if err != nil {
		panic(err)
	}
	return p
}()

// replayInit replays the init chunks in a request's state (see above).
func (r *request) replayInit(L *lua.LState) {
	if len(r.host.initProtos) == 0 {
		return
	}
	ngx := L.GetGlobal("ngx").(*lua.LTable)
	replaying := L.NewFunction(func(L *lua.LState) int {
		L.Push(lua.LBool(r.phase == "init"))
		return 1
	})
	L.Push(luajit.NewFunction(L, sharedProxyProto))
	L.Push(ngx.RawGetString("shared"))
	L.Push(replaying)
	L.Call(2, 1)
	ngx.RawSetString("shared", L.Get(-1))
	L.Pop(1)
	// ngx.log and print stay Go functions (their "[lua] file:line:" prefix looks one level up).
	ngx.RawSetString("log", L.NewFunction(func(L *lua.LState) int {
		if r.phase == "init" {
			return 0
		}
		return ngxLog(L)
	}))
	L.SetGlobal("print", L.NewFunction(func(L *lua.LState) int {
		if r.phase == "init" {
			return 0
		}
		return ngxLuaPrint(L)
	}))
	r.phase = "init"
	for _, proto := range r.host.initProtos {
		if failed, err := r.runPhase(L, proto); failed {
			r.sc.log.Log(errlog.Err, &r.logc, "init_by_lua replay: "+luaErrorText(err))
		}
	}
	r.phase = ""
}
