package server

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/luaws/luaws/errlog"
	"github.com/luaws/luaws/internal/buildinfo"
	"github.com/luaws/luaws/luabind"
	"github.com/luaws/luaws/luabind/ngxre"
	"github.com/luaws/luaws/ngxconf"
)

// The rewrite module: a level's set, set_by_lua*, rewrite, return, break and if directives
// run in order as one script, as nginx compiles them: the server's in the server-rewrite
// phase, before the location is found; a location's in the rewrite phase, before its
// rewrite_by_lua*. A rewrite without a flag, or with "last", makes nginx search the
// locations again with the new URI once the location's script is over (10 times at most).

// script is one level's rewrite-module directives.
type script struct {
	ops []rwOp
	log bool // rewrite_log on
}

// rwOp is one compiled directive; run reports how the script goes on.
type rwOp interface {
	run(x *rwRun) rwNext
}

type rwNext int

const (
	rwGo     rwNext = iota // the next directive
	rwBreak                // stop the script (break, rewrite ... break)
	rwLast                 // stop the script and search the locations again (rewrite ... last)
	rwAnswer               // stop: x.answer serves the request (return, a redirect, an error)
)

// rwRun is one execution of the scripts of a request's levels.
type rwRun struct {
	r          *http.Request // the request as the script left it (its URI may change)
	vars       map[string]string
	vs         Variables
	log        *errlog.Logger
	serverName string
	rewriteLog bool
	setLua     func(r *http.Request, i int) (string, error) // set_by_lua*, from the Lua phases
	uriChanged bool                                         // a rewrite without break: search again
	answer     http.Handler
	owner      *LocHandler // the level whose script runs
	conf       *LocHandler // the "if" block whose configuration the request now has (nil: none)
}

func (x *rwRun) expand(s string) string {
	h := x.conf
	if h == nil {
		h = x.owner
	}
	vs := fileVars{x.vs, h}
	if stateOf(x.r) != nil {
		return expandRequest(s, x.r, vs)
	}
	return expand(s, x.r, vs, x.vars)
}

// fileVars adds the variables of a location's files to vs: $document_root,
// $realpath_root and $request_filename (the file the URI maps to, by root or alias).
type fileVars struct {
	vs Variables
	h  *LocHandler
}

func (f fileVars) Variable(r *http.Request, name string) (string, bool) {
	if h := f.h; h != nil {
		root := h.root
		if h.alias != "" {
			root = h.alias
		}
		switch name {
		case "document_root":
			return root, true
		case "realpath_root":
			if p, err := filepath.EvalSymlinks(root); err == nil {
				return p, true
			}
			return root, true
		case "request_filename":
			if h.alias != "" {
				return h.alias + strings.TrimPrefix(r.URL.Path, h.locPath), true
			}
			return h.root + r.URL.Path, true
		}
	}
	if f.vs == nil {
		return "", false
	}
	return f.vs.Variable(r, name)
}

func (x *rwRun) logf(level int, format string, args ...any) {
	if x.log != nil {
		x.log.Logf(level, logConn(x.r, x.serverName), format, args...)
	}
}

// exec runs s; it returns how the script ended.
func (s *script) exec(x *rwRun) rwNext {
	if s == nil {
		return rwGo
	}
	outer := x.rewriteLog
	x.rewriteLog = s.log
	defer func() { x.rewriteLog = outer }()
	for _, op := range s.ops {
		if n := op.run(x); n != rwGo {
			return n
		}
	}
	return rwGo
}

// setOp is "set $name value".
type setOp struct{ name, value string }

func (o *setOp) run(x *rwRun) rwNext {
	v := x.expand(o.value)
	if o.name == "args" { // $args has a set handler: the request's arguments
		u := *x.r.URL
		u.RawQuery = v
		x.r = x.r.Clone(x.r.Context())
		x.r.URL = &u
		return rwGo
	}
	x.vars[o.name] = v
	return rwGo
}

// setLuaOp is set_by_lua*: the i-th of the Lua phases' set steps.
type setLuaOp struct {
	name string
	i    int
}

func (o *setLuaOp) run(x *rwRun) rwNext {
	if x.setLua == nil {
		return rwGo
	}
	v, err := x.setLua(x.r, o.i)
	if err != nil {
		x.answer = special(http.StatusInternalServerError)
		return rwAnswer
	}
	x.vars[o.name] = v
	return rwGo
}

// breakOp is "break".
type breakOp struct{}

func (breakOp) run(x *rwRun) rwNext {
	x.uriChanged = false
	return rwBreak
}

// returnOp is "return code [text|URL]" and "return URL".
type returnOp struct {
	code int
	text string
	h    *LocHandler // the level's default_type
}

func (o *returnOp) run(x *rwRun) rwNext {
	x.answer = &returnAnswer{code: o.code, text: x.expand(o.text), hasText: o.text != "", h: o.h}
	return rwAnswer
}

// matchRe runs re on s for rewrite and if: the captures become $1..$9 (and named ones
// variables), as nginx keeps the last match's.
func (x *rwRun) matchRe(re *ngxre.Regex, src, s string) bool {
	caps, err := re.Match(s)
	if err != nil {
		x.logf(errlog.Alert, "%s", err)
	}
	if x.rewriteLog {
		if caps == nil {
			x.logf(errlog.Notice, "\"%s\" does not match \"%s\"", src, s)
		} else {
			x.logf(errlog.Notice, "\"%s\" matches \"%s\"", src, s)
		}
	}
	if caps == nil {
		return false
	}
	subs := make([]string, len(caps)/2)
	for i := range subs {
		if caps[2*i] >= 0 {
			subs[i] = s[caps[2*i]:caps[2*i+1]]
		}
	}
	if st := stateOf(x.r); st != nil {
		st.captures = subs
	} else {
		for i := 1; i < len(subs) && i < 10; i++ {
			x.vars[strconv.Itoa(i)] = subs[i]
		}
	}
	for name, n := range re.Names() {
		x.vars[strings.ToLower(name)] = subs[n]
	}
	return true
}

// rewriteOp is "rewrite regex replacement [flag]".
type rewriteOp struct {
	src      string // the regex as written
	re       *ngxre.Regex
	repl     string
	redirect int    // 301 or 302, 0 for an internal rewrite
	stop     rwNext // rwGo (no flag), rwLast or rwBreak
}

func (o *rewriteOp) run(x *rwRun) rwNext {
	if !x.matchRe(o.re, o.src, x.r.URL.Path) {
		return rwGo
	}
	repl, keepArgs := o.repl, true
	if strings.HasSuffix(repl, "?") {
		repl, keepArgs = repl[:len(repl)-1], false
	}
	uri := x.expand(repl)
	args := x.r.URL.RawQuery
	if o.redirect != 0 {
		if keepArgs && args != "" {
			sep := "?"
			if strings.Contains(uri, "?") {
				sep = "&"
			}
			uri += sep + args
		}
		if x.rewriteLog {
			x.logf(errlog.Notice, "rewritten redirect: \"%s\"", uri)
		}
		x.answer = &returnAnswer{code: o.redirect, text: uri, hasText: true}
		return rwAnswer
	}
	path, query, hasQuery := strings.Cut(uri, "?")
	switch {
	case hasQuery && keepArgs && args != "":
		args = query + "&" + args
	case hasQuery || !keepArgs:
		args = query
	}
	if x.rewriteLog {
		x.logf(errlog.Notice, "rewritten data: \"%s\", args: \"%s\"", path, args)
	}
	if path == "" { // nginx: "the rewritten URI has a zero length"
		x.logf(errlog.Err, "the rewritten URI has a zero length")
		x.answer = special(http.StatusInternalServerError)
		return rwAnswer
	}
	u := *x.r.URL
	u.Path, u.RawPath, u.RawQuery = path, "", args
	r2 := x.r.Clone(x.r.Context())
	r2.URL = &u
	x.r = r2
	x.uriChanged = o.stop != rwBreak
	return o.stop
}

// ifOp is "if (condition) { ... }".
type ifOp struct {
	cond cond
	body *script
	conf *LocHandler // the block's own configuration (nil: it has only rewrite directives)
}

func (o *ifOp) run(x *rwRun) rwNext {
	if !o.cond.eval(x) {
		return rwGo
	}
	if o.conf != nil {
		x.conf = o.conf
	}
	return o.body.exec(x)
}

// cond is an if condition.
type cond struct {
	kind    string // "var", "=", "!=", "~", "~*", "!~", "!~*", "-f", "!-f", "-d", ...
	v       string // the variable, or the file name (with variables)
	value   string // "=" and "!=": the value (with variables)
	src     string // the regex as written
	re      *ngxre.Regex
	negated bool
}

func (c *cond) eval(x *rwRun) bool {
	v := x.expand(c.v)
	switch c.kind {
	case "var":
		return v != "" && v != "0"
	case "=":
		return v == x.expand(c.value)
	case "!=":
		return v != x.expand(c.value)
	case "~", "~*":
		return x.matchRe(c.re, c.src, v) != c.negated
	}
	st, err := os.Stat(v) // -f -d -e -x
	var ok bool
	switch c.kind {
	case "-f":
		ok = err == nil && st.Mode().IsRegular()
	case "-d":
		ok = err == nil && st.IsDir()
	case "-e":
		ok = err == nil
	case "-x":
		ok = err == nil && !st.IsDir() && st.Mode()&0o111 != 0
	}
	return ok != c.negated
}

// returnAnswer is the response of return (and of a redirecting rewrite).
type returnAnswer struct {
	code    int
	text    string
	hasText bool
	h       *LocHandler
}

func (a *returnAnswer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch a.code {
	case 301, 302, 303, 307, 308:
		if a.hasText {
			w.Header().Set("Location", absoluteLocation(r, a.text))
		}
		writeSpecial(w, r, a.code)
		return
	}
	if !a.hasText {
		writeSpecial(w, r, a.code)
		return
	}
	ctype := "text/plain"
	if a.h != nil {
		ctype = a.h.DefaultType
	}
	serveText(w, r, a.code, ctype, a.text)
}

// autoRedirect is nginx's answer to a URI that names a proxy_pass location but for its
// trailing slash: a 301 to the location's name (with the request's arguments), under that
// location's configuration (its headers-more commands, its error pages).
type autoRedirect struct {
	h    *LocHandler
	name string
}

func (a autoRedirect) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	loc := a.name
	if r.URL.RawQuery != "" {
		loc += "?" + r.URL.RawQuery
	}
	w.Header().Set("Location", absoluteLocation(r, loc))
	a.h.moreOutput(w, r, requestVars(r))
	writeSpecial(w, withErrorPages(r, a.h.ErrorPages), http.StatusMovedPermanently)
}

// special answers with nginx's page for status.
type special int

func (s special) ServeHTTP(w http.ResponseWriter, r *http.Request) { writeSpecial(w, r, int(s)) }

// absoluteLocation is what nginx's header filter makes of a redirect to "/path"
// (absolute_redirect on): the scheme, the Host header's name and the port unless it is the
// scheme's own.
func absoluteLocation(r *http.Request, loc string) string {
	if !strings.HasPrefix(loc, "/") {
		return loc
	}
	scheme, port := "http", "80"
	if r.TLS != nil {
		scheme, port = "https", "443"
	}
	host := hostOnly(r.Host)
	if host == "" {
		host = firstName(ServerOf(r))
	}
	if a, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr); ok {
		if _, p, err := net.SplitHostPort(a.String()); err == nil && p != port {
			host += ":" + p
		}
	}
	return scheme + "://" + host + loc
}

// ---- compiling ---------------------------------------------------------------------------

// rewriteDirectives are the rewrite module's (and set_by_lua*, which runs among them).
var rewriteDirectives = map[string]bool{"set": true, "return": true, "rewrite": true,
	"break": true, "if": true, "rewrite_log": true, "uninitialized_variable_warn": true,
	"set_by_lua": true, "set_by_lua_block": true, "set_by_lua_file": true}

// compileScript compiles a level's rewrite directives. Each set_by_lua* met is appended to
// *luaSets (its op refers to it by index); ifConf builds the configuration of an "if" block
// that has more than rewrite directives (nil: none allowed, as at server level).
func (b *builder) compileScript(ds []*ngxconf.Directive, h *LocHandler, luaSets *[]*ngxconf.Directive,
	ifConf func(ifd *ngxconf.Directive) (*LocHandler, error)) (*script, error) {
	s := &script{}
	for _, d := range ds {
		var op rwOp
		switch d.Name {
		case "set":
			if len(d.Args) != 2 {
				return nil, nargs(d)
			}
			if len(d.Args[0]) < 2 || d.Args[0][0] != '$' {
				return nil, emerg(d, "invalid variable name \"%s\"", d.Args[0])
			}
			op = &setOp{name: strings.ToLower(d.Args[0][1:]), value: d.Args[1]}
		case "set_by_lua", "set_by_lua_block", "set_by_lua_file":
			if len(d.Args) < 2 || len(d.Args[0]) < 2 || d.Args[0][0] != '$' {
				return nil, emerg(d, "invalid variable name")
			}
			op = &setLuaOp{name: strings.ToLower(d.Args[0][1:]), i: len(*luaSets)}
			*luaSets = append(*luaSets, d)
		case "return":
			r, err := parseReturn(d)
			if err != nil {
				return nil, err
			}
			r.h = h
			op = r
		case "break":
			if len(d.Args) != 0 {
				return nil, nargs(d)
			}
			op = breakOp{}
		case "rewrite":
			r, err := parseRewrite(d)
			if err != nil {
				return nil, err
			}
			op = r
		case "rewrite_log":
			on, err := onOff(d)
			if err != nil {
				return nil, err
			}
			s.log = on
			continue
		case "uninitialized_variable_warn":
			if _, err := onOff(d); err != nil {
				return nil, err
			}
			continue
		case "if":
			o, err := b.compileIf(d, h, luaSets, ifConf)
			if err != nil {
				return nil, err
			}
			op = o
		default:
			continue
		}
		s.ops = append(s.ops, op)
	}
	return s, nil
}

func (b *builder) compileIf(d *ngxconf.Directive, h *LocHandler, luaSets *[]*ngxconf.Directive,
	ifConf func(*ngxconf.Directive) (*LocHandler, error)) (*ifOp, error) {
	if d.Block == nil {
		return nil, emerg(d, "directive \"if\" has no opening \"{\"")
	}
	c, err := parseCond(d)
	if err != nil {
		return nil, err
	}
	o := &ifOp{cond: *c}
	for _, x := range d.Block {
		if rewriteDirectives[x.Name] {
			continue
		}
		if ifConf == nil {
			return nil, emerg(x, "\"%s\" directive is not allowed here", x.Name)
		}
		if o.conf, err = ifConf(d); err != nil {
			return nil, err
		}
		h = o.conf
		ifConf = o.conf.ifConf
		break
	}
	if o.body, err = b.compileScript(d.Block, h, luaSets, ifConf); err != nil {
		return nil, err
	}
	return o, nil
}

func parseReturn(d *ngxconf.Directive) (*returnOp, error) {
	if len(d.Args) < 1 || len(d.Args) > 2 {
		return nil, nargs(d)
	}
	a := d.Args[0]
	code, err := strconv.Atoi(a)
	switch {
	case err != nil && len(d.Args) == 1 && isRedirectURL(a):
		return &returnOp{code: 302, text: a}, nil
	case err != nil || code < 0 || code > 999:
		return nil, emerg(d, "invalid return code \"%s\"", a)
	case len(d.Args) == 2:
		return &returnOp{code: code, text: d.Args[1]}, nil
	}
	return &returnOp{code: code}, nil
}

func isRedirectURL(s string) bool {
	return strings.HasPrefix(s, "http://") || strings.HasPrefix(s, "https://") || strings.HasPrefix(s, "$scheme")
}

func parseRewrite(d *ngxconf.Directive) (*rewriteOp, error) {
	if len(d.Args) < 2 || len(d.Args) > 3 {
		return nil, nargs(d)
	}
	re, err := coreRegex(d, d.Args[0], false)
	if err != nil {
		return nil, err
	}
	o := &rewriteOp{src: d.Args[0], re: re, repl: d.Args[1]}
	if isRedirectURL(o.repl) {
		o.redirect = http.StatusFound
	}
	if len(d.Args) == 3 {
		switch d.Args[2] {
		case "last":
			o.stop = rwLast
		case "break":
			o.stop = rwBreak
		case "redirect":
			o.redirect = http.StatusFound
		case "permanent":
			o.redirect = http.StatusMovedPermanently
		default:
			return nil, emerg(d, "invalid parameter \"%s\"", d.Args[2])
		}
	}
	return o, nil
}

// parseCond reads an if condition as nginx's parser does: "(" and ")" may stand apart or
// stick to the first and last arguments.
func parseCond(d *ngxconf.Directive) (*cond, error) {
	args := append([]string(nil), d.Args...)
	if len(args) == 0 {
		return nil, nargs(d)
	}
	if args[0] == "" || args[0][0] != '(' {
		return nil, emerg(d, "invalid condition \"%s\"", args[0])
	}
	if args[0] == "(" {
		args = args[1:]
	} else {
		args[0] = args[0][1:]
	}
	last := len(args) - 1
	if last < 0 {
		return nil, emerg(d, "invalid condition \"%s\"", d.Args[len(d.Args)-1])
	}
	if args[last] == "" || args[last][len(args[last])-1] != ')' {
		return nil, emerg(d, "invalid condition \"%s\"", args[last])
	}
	if args[last] == ")" {
		args = args[:last]
	} else {
		args[last] = args[last][:len(args[last])-1]
	}
	if len(args) == 0 {
		return nil, emerg(d, "invalid condition \"%s\"", ")")
	}
	a := args[0]
	switch {
	case len(a) > 1 && a[0] == '$':
		if len(args) != 1 && len(args) != 3 {
			return nil, emerg(d, "invalid condition \"%s\"", a)
		}
		if len(args) == 1 {
			return &cond{kind: "var", v: a}, nil
		}
		c := &cond{kind: args[1], v: a, value: args[2]}
		switch c.kind {
		case "=", "!=":
			return c, nil
		case "~", "~*", "!~", "!~*":
			c.negated = c.kind[0] == '!'
			c.kind = strings.TrimPrefix(c.kind, "!")
			re, err := coreRegex(d, args[2], c.kind == "~*")
			if err != nil {
				return nil, err
			}
			c.src, c.re = args[2], re
			return c, nil
		}
		return nil, emerg(d, "unexpected \"%s\" in condition", args[1])
	case len(a) == 2 && a[0] == '-', len(a) == 3 && a[0] == '!' && a[1] == '-':
		if len(args) != 2 || !strings.Contains("fdex", a[len(a)-1:]) {
			return nil, emerg(d, "invalid condition \"%s\"", a)
		}
		return &cond{kind: strings.TrimPrefix(a, "!"), negated: a[0] == '!', v: args[1]}, nil
	}
	return nil, emerg(d, "invalid condition \"%s\"", a)
}

// ---- running ------------------------------------------------------------------------------

// runScript runs the location's script for r (setLua runs set_by_lua*, nil without Lua):
// it returns the request the later phases see and, when the script ended the location's
// part, answer (served by this location) or handoff (another configuration serves).
func (h *LocHandler) runScript(r *http.Request, setLua func(*http.Request, int) (string, error)) (*http.Request, http.Handler, http.Handler) {
	x := &rwRun{r: r, vars: requestVars(r), vs: h.Vars, log: h.log, serverName: h.serverName, setLua: setLua, owner: h}
	n := h.Script.exec(x)
	switch {
	case n == rwAnswer && x.conf != nil: // under the configuration of the "if" that held
		return x.r, nil, confAnswer{x.conf, x.answer}
	case n == rwAnswer:
		return x.r, x.answer, nil
	case x.uriChanged:
		return x.r, nil, relocate{h}
	case x.conf != nil:
		return x.r, nil, x.conf
	}
	return x.r, nil, nil
}

// confAnswer serves a script's answer under an "if" block's configuration.
type confAnswer struct {
	conf *LocHandler
	a    http.Handler
}

func (c confAnswer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c.conf.serveAnswer(w, withErrorPages(r, c.conf.ErrorPages), c.a)
}

// relocate searches the server's locations again for a request whose URI a rewrite
// changed, as nginx's post-rewrite phase does (10 times at most).
type relocate struct{ from *LocHandler }

func (rl relocate) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	v, st := ServerOf(r), stateOf(r)
	if v == nil {
		writeSpecial(w, r, http.StatusNotFound)
		return
	}
	// an internal request from now on (ngx.req.is_internal()), counted with the internal
	// redirects as nginx counts URI changes
	ctx, err := luabind.WithInternalRedirect(r.Context())
	if err != nil {
		if h := rl.from; h.log != nil {
			h.log.Logf(errlog.Err, logConn(r, h.serverName), "rewrite or internal redirection cycle while processing \"%s\"", r.URL.Path)
		}
		writeSpecial(w, r, http.StatusInternalServerError)
		return
	}
	r = r.WithContext(ctx)
	l := FindLocation(v.Locations, r.URL.Path)
	if l == nil || l.Handler == nil {
		writeSpecial(w, r, http.StatusNotFound)
		return
	}
	if st != nil && l.re != nil {
		st.captures = l.re.FindStringSubmatch(r.URL.Path)
	}
	l.Handler.ServeHTTP(w, r)
}

// serverRewrite runs the server's script (nginx's server-rewrite phase) before the location
// is searched: it returns the request to route, or nil when the script answered.
func (v *VServer) serverRewrite(w http.ResponseWriter, r *http.Request) *http.Request {
	h := v.Rewrite
	if h == nil || h.Script == nil || len(h.Script.ops) == 0 {
		return r
	}
	vars := requestVars(r)
	r = r.WithContext(luabind.WithVars(r.Context(), vars)) // for set_by_lua*
	x := &rwRun{r: r, vars: vars, vs: h.Vars, log: h.log, serverName: h.serverName, setLua: h.setLua, owner: h}
	if h.Script.exec(x) == rwAnswer {
		h.serveAnswer(w, withErrorPages(x.r, h.ErrorPages), x.answer)
		return nil
	}
	return x.r
}

// requestVars are the variables "set" gave the request (kept across its levels and
// locations, as nginx keeps them in the request).
func requestVars(r *http.Request) map[string]string {
	st := stateOf(r)
	if st == nil {
		return map[string]string{}
	}
	if st.set == nil {
		st.set = map[string]string{}
	}
	return st.set
}

// serveText sends a return's text.
func serveText(w http.ResponseWriter, r *http.Request, code int, ctype, text string) {
	w.Header().Set("Server", buildinfo.ServerToken)
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Content-Length", strconv.Itoa(len(text)))
	w.WriteHeader(code)
	if r.Method != http.MethodHead {
		luabind.HoldLastPiece(w) // one piece, marked last, for a body filter
		_, _ = fmt.Fprint(w, text)
	}
}

// ifAllowed are the directives luaws takes inside a location's "if" block besides the
// rewrite module's (nginx takes a few more; luaws refuses them rather than ignore them).
var ifAllowed = map[string]bool{"add_header": true, "proxy_pass": true, "root": true,
	"access_log": true, "error_page": true, "limit_rate": true, "echo": true, "echo_exec": true,
	"echo_location": true, "echo_location_async": true, "echo_status": true,
	"echo_before_body": true, "echo_after_body": true, "echo_sleep": true, "echo_flush": true,
	"echo_duplicate": true}

// ifConfig builds the configuration a location's "if" block gives the request when its
// condition holds: the enclosing one (parent's) with the block's directives over it, as
// nginx merges the block's nameless location into its location: a content handler or Lua
// phase of the block replaces the enclosing one's, the others are inherited.
func (b *builder) ifConfig(parent, ifd *ngxconf.Directive, sc scope, locPath string) (*LocHandler, error) {
	own := map[string]bool{}
	for _, x := range ifd.Block {
		if !rewriteDirectives[x.Name] && !ifAllowed[x.Name] && !strings.Contains(x.Name, "_by_lua") {
			return nil, emerg(x, "\"%s\" directive inside \"if\" is not supported by luaws", x.Name)
		}
		own[handlerGroup(x.Name)] = true
	}
	if err := b.settings(ifd.Block, &sc, "if"); err != nil {
		return nil, err
	}
	blk := []*ngxconf.Directive{}
	for _, x := range parent.Block {
		if !rewriteDirectives[x.Name] && x.Name != "location" && !own[handlerGroup(x.Name)] {
			blk = append(blk, x)
		}
	}
	for _, x := range ifd.Block {
		if !rewriteDirectives[x.Name] {
			blk = append(blk, x)
		}
	}
	syn := *ifd
	syn.Block = blk
	return b.content(&syn, sc, locPath, false)
}

// handlerGroup names what a directive provides, for ifConfig's inheritance: "content" for
// content handlers, the phase for *_by_lua*, else the directive itself.
func handlerGroup(name string) string {
	if i := strings.Index(name, "_by_lua"); i > 0 {
		if name[:i] == "content" {
			return "content"
		}
		return name[:i]
	}
	if name == "proxy_pass" || name == "stub_status" || name == "luaws_metrics" ||
		strings.HasPrefix(name, "echo") && name != "echo_before_body" && name != "echo_after_body" {
		return "content"
	}
	return name
}

// pcre2Words are PCRE2's texts for the compile errors whose PCRE 8 text ngxre gives (nginx's
// core links PCRE2 on Debian 12; lua-nginx-module's ngx.re PCRE 8).
var pcre2Words = strings.NewReplacer("pcre_compile() failed:", "pcre2_compile() failed:",
	"missing ) in", "missing closing parenthesis in", "unmatched parentheses in",
	"unmatched closing parenthesis in", "nothing to repeat in", "quantifier does not follow a repeatable item in")

// coreRegex compiles a regex of rewrite, if or map, with nginx's emerg text on an error.
func coreRegex(d *ngxconf.Directive, src string, caseless bool) (*ngxre.Regex, error) {
	re, err := ngxre.Compile(src, ngxre.Flags{Caseless: caseless})
	if err != nil {
		return nil, emerg(d, "%s", pcre2Words.Replace(err.Error()))
	}
	return re, nil
}
