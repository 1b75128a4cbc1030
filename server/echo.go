package server

import (
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/luaws/luaws/errlog"
	"github.com/luaws/luaws/internal/buildinfo"
	"github.com/luaws/luaws/luabind"
	"github.com/luaws/luaws/ngxconf"
)

// The echo module's directives (echo-nginx-module, bundled with OpenResty and shipped by
// Debian as libnginx-mod-http-echo), as lua-nginx-module's tests and OpenResty users' configs
// use them: the content commands echo, echo_duplicate, echo_flush, echo_sleep,
// echo_location[_async], echo_subrequest[_async], echo_exec, echo_request_body,
// echo_read_request_body and echo_reset_timer (run in order as the location's content
// handler), echo_status (the status of that response), and the filters echo_before_body /
// echo_after_body (text around whatever content handler the location has).

// echoCommands are the content-phase commands, run in their order.
var echoCommands = map[string]bool{
	"echo": true, "echo_duplicate": true, "echo_flush": true, "echo_sleep": true,
	"echo_blocking_sleep": true, "echo_location": true, "echo_location_async": true,
	"echo_subrequest": true, "echo_subrequest_async": true, "echo_exec": true,
	"echo_request_body": true, "echo_read_request_body": true, "echo_reset_timer": true,
}

type echoCmd struct {
	d    *ngxconf.Directive
	name string
	args []string
}

// EchoHandler runs a location's echo commands.
type EchoHandler struct {
	cmds        []echoCmd
	status      int
	defaultType string
	vars        Variables
	log         *errlog.Logger
	serverName  string
}

// echoHandler builds the echo content handler of a location (nil: it has no echo command).
func (b *builder) echoHandler(d *ngxconf.Directive, sc scope, vars Variables) (http.Handler, error) {
	h := &EchoHandler{status: http.StatusOK, defaultType: sc.defaultType, vars: vars, log: sc.log,
		serverName: sc.serverName}
	for _, x := range d.Block {
		switch {
		case x.Name == "echo_status":
			if len(x.Args) != 1 {
				return nil, nargs(x)
			}
			n, err := strconv.Atoi(x.Args[0])
			if err != nil || n < 100 || n > 999 {
				return nil, emerg(x, "invalid status code \"%s\"", x.Args[0])
			}
			h.status = n
		case echoCommands[x.Name]:
			if err := checkEchoArgs(x); err != nil {
				return nil, err
			}
			h.cmds = append(h.cmds, echoCmd{d: x, name: x.Name, args: x.Args})
		}
	}
	if len(h.cmds) == 0 {
		return nil, nil
	}
	return h, nil
}

func checkEchoArgs(x *ngxconf.Directive) error {
	n := len(x.Args)
	bad := false
	switch x.Name {
	case "echo_flush", "echo_request_body", "echo_read_request_body", "echo_reset_timer":
		bad = n != 0
	case "echo_sleep", "echo_blocking_sleep":
		bad = n != 1
		if !bad {
			if _, err := strconv.ParseFloat(x.Args[0], 64); err != nil && !strings.Contains(x.Args[0], "$") {
				return emerg(x, "invalid sleep duration \"%s\"", x.Args[0])
			}
		}
	case "echo_duplicate":
		bad = n != 2
	case "echo_location", "echo_location_async", "echo_exec":
		bad = n < 1 || n > 2
	case "echo_subrequest", "echo_subrequest_async":
		bad = n < 2
	}
	if bad {
		return nargs(x)
	}
	return nil
}

// echoRun is one request's run of the commands: output in order, async subrequests'
// bodies in their place.
type echoRun struct {
	h       *EchoHandler
	w       http.ResponseWriter
	r       *http.Request
	sent    bool
	pending []*echoSeg // output waiting for an async subrequest before it
	body    []byte
	read    bool
	start   time.Time
}

type echoSeg struct {
	data []byte
	cap  *luabind.CaptureWriter
	done <-chan struct{}
}

func (h *EchoHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	e := &echoRun{h: h, w: w, r: r, start: time.Now()}
	for _, c := range h.cmds {
		if done := e.run(c); done {
			return
		}
	}
	e.header()
	e.drain(true)
}

func (e *echoRun) logf(level int, format string, args ...any) {
	if e.h.log != nil {
		e.h.log.Logf(level, logConn(e.r, e.h.serverName), format, args...)
	}
}

// expand expands the variables in a command's argument: the echo module's own
// ($echo_request_method, ...), those a Lua capture or Lua phase set, "set" ones, built-ins.
func (e *echoRun) expand(s string) string {
	if !strings.Contains(s, "$") {
		return s
	}
	set := map[string]string{}
	for k, v := range luabind.InternalVars(e.r.Context()) { // a location's own "set" wins
		set[k] = v
	}
	if st := stateOf(e.r); st != nil {
		for i := 1; i < len(st.captures) && i < 10; i++ {
			set[strconv.Itoa(i)] = st.captures[i]
		}
		for k, v := range st.set {
			set[k] = v
		}
	}
	for k, v := range luabind.LuaVars(e.r.Context()) {
		set[k] = v
	}
	if strings.Contains(s, "echo_") {
		main := luabind.MainRequest(e.r)
		uri := e.r.URL.EscapedPath()
		if e.r.URL.RawQuery != "" {
			uri += "?" + e.r.URL.RawQuery
		}
		set["echo_request_method"] = e.r.Method
		set["echo_client_request_method"] = main.Method
		set["echo_request_uri"] = e.r.URL.Path
		set["echo_cacheable_request_uri"] = uri
		set["echo_timer_elapsed"] = strconv.FormatFloat(time.Since(e.start).Seconds(), 'f', 3, 64)
		set["echo_request_body"] = string(e.body)
		if strings.Contains(s, "echo_client_request_headers") {
			set["echo_client_request_headers"] = clientRequestHeaders(main)
		}
	}
	return expand(s, e.r, e.h.vars, set)
}

// header sends the response header (echo's status, the default type), once.
func (e *echoRun) header() {
	if e.sent {
		return
	}
	e.sent = true
	h := e.w.Header()
	h.Set("Server", buildinfo.ServerToken)
	if h.Get("Content-Type") == "" {
		h.Set("Content-Type", e.h.defaultType)
	}
	if luabind.CaptureOf(e.w) == nil {
		luabind.Unsized(h, e.h.status)
	}
	e.w.WriteHeader(e.h.status)
}

// out writes p after any output still waiting for an async subrequest.
func (e *echoRun) out(p []byte) {
	e.header()
	if len(e.pending) > 0 {
		e.pending = append(e.pending, &echoSeg{data: append([]byte(nil), p...)})
		return
	}
	if e.r.Method != http.MethodHead {
		_, _ = e.w.Write(p)
	}
}

// drain writes the output whose async subrequests are done (all of it, waiting, with wait).
func (e *echoRun) drain(wait bool) {
	for len(e.pending) > 0 {
		s := e.pending[0]
		if s.done != nil {
			if !wait {
				select {
				case <-s.done:
				default:
					return
				}
			}
			<-s.done
			s.data = s.cap.Body()
		}
		e.pending = e.pending[1:]
		if len(s.data) > 0 && e.r.Method != http.MethodHead {
			_, _ = e.w.Write(s.data)
		}
	}
}

func (e *echoRun) flush() {
	e.header()
	e.drain(false)
	_ = http.NewResponseController(e.w).Flush()
}

// run runs one command; done: the request is over (echo_exec).
func (e *echoRun) run(c echoCmd) (done bool) {
	switch c.name {
	case "echo":
		e.out([]byte(e.echoText(c.args)))
	case "echo_duplicate":
		n, err := strconv.Atoi(e.expand(c.args[0]))
		if err != nil || n < 0 {
			e.logf(errlog.Err, "invalid size specified: \"%s\"", c.args[0])
			return false
		}
		e.out([]byte(strings.Repeat(e.expand(c.args[1]), n)))
	case "echo_flush":
		e.flush()
	case "echo_sleep", "echo_blocking_sleep":
		sec, err := strconv.ParseFloat(e.expand(c.args[0]), 64)
		if err != nil || sec < 0 {
			e.logf(errlog.Err, "invalid sleep duration \"%s\"", c.args[0])
			return false
		}
		luabind.Settle(e.r.Context())
		t := time.NewTimer(time.Duration(sec * float64(time.Second)))
		select {
		case <-t.C:
		case <-e.r.Context().Done():
			t.Stop()
		}
	case "echo_reset_timer":
		e.start = time.Now()
	case "echo_read_request_body":
		if !e.read {
			e.read = true
			if e.r.Body != nil {
				e.body, _ = io.ReadAll(e.r.Body)
			}
		}
	case "echo_request_body":
		if !e.read && luabind.IsSubrequest(e.r.Context()) && e.r.Body != nil {
			e.read = true // a subrequest's body is in memory: there is nothing to wait for
			e.body, _ = io.ReadAll(e.r.Body)
		}
		if len(e.body) > 0 {
			e.out(e.body)
		}
	case "echo_location", "echo_location_async":
		uri := e.expand(c.args[0])
		args := ""
		if len(c.args) == 2 {
			args = e.expand(c.args[1])
		}
		e.subrequest(http.MethodGet, uri, args, nil, c.name == "echo_location_async")
	case "echo_subrequest", "echo_subrequest_async":
		e.echoSubrequest(c)
	case "echo_exec":
		uri := e.expand(c.args[0])
		args := ""
		if len(c.args) == 2 {
			args = e.expand(c.args[1])
		}
		if uri[0] != '@' {
			if i := strings.IndexByte(uri, '?'); i >= 0 {
				if args == "" {
					args = uri[i+1:]
				}
				uri = uri[:i]
			}
		} else if args != "" {
			args = "" // named locations take no query string
		}
		if e.sent {
			e.logf(errlog.Err, "echo_exec: headers already sent")
			return false
		}
		internalRedirect(e.w, e.r, uri, args, e.h.log, logConn(e.r, e.h.serverName))
		return true
	}
	return false
}

// echoText is echo's output for its arguments: joined by spaces, then a newline unless -n
// comes first ("--" ends the options).
func (e *echoRun) echoText(args []string) string {
	newline := true
	for len(args) > 0 && strings.HasPrefix(args[0], "-") {
		if args[0] == "-n" {
			newline = false
			args = args[1:]
			continue
		}
		if args[0] == "--" {
			args = args[1:]
		}
		break
	}
	parts := make([]string, len(args))
	for i, a := range args {
		parts[i] = e.expand(a)
	}
	s := strings.Join(parts, " ")
	if newline {
		s += "\n"
	}
	return s
}

// echoSubrequest is "echo_subrequest METHOD URI [-q ARGS] [-b BODY]".
func (e *echoRun) echoSubrequest(c echoCmd) {
	method := strings.ToUpper(c.args[0])
	uri := e.expand(c.args[1])
	var args string
	var body []byte
	for i := 2; i+1 < len(c.args); i += 2 {
		switch c.args[i] {
		case "-q":
			args = e.expand(c.args[i+1])
		case "-b":
			body = []byte(e.expand(c.args[i+1]))
		}
	}
	e.subrequest(method, uri, args, body, c.name == "echo_subrequest_async")
}

// subrequest issues a subrequest whose body goes into the output in its place: now
// (waiting for it), or once it is done with async.
func (e *echoRun) subrequest(method, uri, args string, body []byte, async bool) {
	if i := strings.IndexByte(uri, '?'); i >= 0 {
		if args == "" {
			args = uri[i+1:]
		} else {
			args = uri[i+1:] + "&" + args
		}
		uri = uri[:i]
	}
	e.header()
	if luabind.SubrequestDepth(e.r.Context())+1 > luabind.MaxSubrequestDepth {
		e.logf(errlog.Err, "subrequests cycle while processing \"%s\"", uri)
		return
	}
	sr := luabind.NewSubrequest(e.r, method, uri, args, body)
	cw := luabind.NewCaptureWriter()
	cw.KeepErrorPages()
	done := luabind.StartSubrequest(luabind.DispatcherOf(e.r.Context()), cw, sr, func(p any) {
		e.logf(errlog.Crit, "luaws: subrequest %s: panic: %v", uri, p)
	})
	e.pending = append(e.pending, &echoSeg{cap: cw, done: done})
	if !async {
		e.drain(true)
	}
}

// echoFilters wraps a location's content handler with its echo_before_body and
// echo_after_body text (next unchanged when it has neither).
func (b *builder) echoFilters(d *ngxconf.Directive, sc scope, vars Variables, next http.Handler) http.Handler {
	var before, after [][]string
	for _, x := range d.Block {
		switch x.Name {
		case "echo_before_body":
			before = append(before, x.Args)
		case "echo_after_body":
			after = append(after, x.Args)
		}
	}
	if before == nil && after == nil {
		return next
	}
	h := &EchoHandler{vars: vars, log: sc.log, serverName: sc.serverName}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e := &echoRun{h: h, w: w, r: r, sent: true}
		fw := &echoFilterWriter{ResponseWriter: w}
		fw.before = func() {
			for _, a := range before {
				_, _ = w.Write([]byte(e.echoText(a)))
			}
		}
		next.ServeHTTP(fw, r)
		if !fw.started {
			fw.start(http.StatusOK)
		}
		if r.Method != http.MethodHead {
			for _, a := range after {
				_, _ = w.Write([]byte(e.echoText(a)))
			}
		}
	})
}

// echoFilterWriter puts the before-body text ahead of the first body byte; the length of
// the body changes, so Content-Length goes.
type echoFilterWriter struct {
	http.ResponseWriter
	before  func()
	started bool
}

func (w *echoFilterWriter) start(code int) {
	w.started = true
	w.Header().Del("Content-Length")
	w.ResponseWriter.WriteHeader(code)
	if w.before != nil {
		w.before()
	}
}

func (w *echoFilterWriter) WriteHeader(code int) {
	if !w.started {
		w.start(code)
	}
}

func (w *echoFilterWriter) Write(p []byte) (int, error) {
	if !w.started {
		w.start(http.StatusOK)
	}
	return w.ResponseWriter.Write(p)
}

func (w *echoFilterWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// clientRequestHeaders is $echo_client_request_headers: the main request's head as the
// client sent it, request line to empty line; rebuilt from the header list where the server
// did not keep the bytes (TLS).
func clientRequestHeaders(main *http.Request) string {
	if head := luabind.ClientHead(main.Context()); head != nil {
		return string(head)
	}
	var b strings.Builder
	b.WriteString(main.Method + " " + main.RequestURI + " " + main.Proto + "\r\n")
	for _, f := range luabind.RequestHeaders(main) {
		b.WriteString(f.Name + ": " + f.Value + "\r\n")
	}
	b.WriteString("\r\n")
	return b.String()
}
