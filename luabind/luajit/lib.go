package luajit

import (
	"bufio"
	"errors"
	"math"
	"os"
	"regexp"
	"runtime/metrics"
	"strconv"
	"strings"

	lua "github.com/yuin/gopher-lua"
	"github.com/yuin/gopher-lua/parse"
)

// Open installs LuaJIT/OpenResty-compatible replacements into L, whose base, string,
// table and math libraries must already be open (package too, for the preload entries).
// All state (the PRNG, the collector settings) belongs to L.
func Open(L *lua.LState) {
	g := L.G.Global
	gc := &gcState{pause: 200, stepmul: 200, running: true}
	base := map[string]lua.LGFunction{
		"tostring":       baseToString,
		"error":          baseError,
		"print":          basePrint,
		"xpcall":         baseXPCall,
		"load":           baseLoad,
		"loadstring":     baseLoad, // one function in LuaJIT 2.1
		"collectgarbage": gc.collect,
	}
	for name, fn := range base {
		g.RawSetString(name, L.NewFunction(fn))
	}
	if orig, ok := g.RawGetString("tonumber").(*lua.LFunction); ok {
		g.RawSetString("tonumber", L.NewFunction(func(L *lua.LState) int { return baseToNumber(L, orig) }))
	}
	if tbl, ok := g.RawGetString("string").(*lua.LTable); ok {
		tbl.RawSetString("format", L.NewFunction(strFormat))
		tbl.RawSetString("rep", L.NewFunction(strRep))
		tbl.RawSetString("dump", L.NewFunction(strDump))
	}
	if tbl, ok := g.RawGetString("math").(*lua.LTable); ok {
		tbl.RawSetString("huge", lua.LNumber(math.Inf(1))) // gopher-lua has math.MaxFloat64
		random, randomseed := newRandomFuncs(L)
		tbl.RawSetString("random", random)
		tbl.RawSetString("randomseed", randomseed)
	}
	if tbl, ok := g.RawGetString("table").(*lua.LTable); ok {
		unpack := g.RawGetString("unpack")
		if unpack == lua.LNil {
			unpack = tbl.RawGetString("unpack")
			g.RawSetString("unpack", unpack)
		}
		tbl.RawSetString("unpack", unpack)
		for name, fn := range tableFuncs {
			tbl.RawSetString(name, L.NewFunction(fn))
		}
	}
	openLibs(L)
	g.RawSetString("jit", newJit(L))
	openErrors(L)
	Preload(L)
}

// Preload registers package.preload entries LuaJIT/OpenResty code requires:
// "table.new", "table.clear", "table.nkeys", "table.isempty", "table.isarray",
// "table.clone", "string.buffer" and a minimal "jit". Each module also sets its field in the table
// library, as LuaJIT's do. Without the package library it does nothing.
func Preload(L *lua.LState) {
	pkg, ok := L.G.Global.RawGetString("package").(*lua.LTable)
	if !ok {
		return
	}
	preload, ok := pkg.RawGetString("preload").(*lua.LTable)
	if !ok {
		return
	}
	for name, fn := range tableFuncs {
		name, fn := name, fn
		preload.RawSetString("table."+name, L.NewFunction(func(L *lua.LState) int {
			f := L.NewFunction(fn)
			if tbl, ok := L.G.Global.RawGetString("table").(*lua.LTable); ok {
				if cur, ok := tbl.RawGetString(name).(*lua.LFunction); ok {
					f = cur // keep the one Open installed
				} else {
					tbl.RawSetString(name, f)
				}
			}
			L.Push(f)
			return 1
		}))
	}
	preload.RawSetString("string.buffer", L.NewFunction(func(L *lua.LState) int {
		L.Push(bufferModule(L))
		return 1
	}))
	preload.RawSetString("jit", L.NewFunction(func(L *lua.LState) int {
		j := L.G.Global.RawGetString("jit")
		if _, ok := j.(*lua.LTable); !ok {
			j = newJit(L)
			L.G.Global.RawSetString("jit", j)
		}
		L.Push(j)
		return 1
	}))
}

func newJit(L *lua.LState) *lua.LTable {
	j := L.NewTable()
	j.RawSetString("version", lua.LString("LuaJIT 2.1.0-beta3"))
	j.RawSetString("version_num", lua.LNumber(20100))
	j.RawSetString("os", lua.LString("Linux"))
	j.RawSetString("arch", lua.LString("x64"))
	noop := L.NewFunction(func(L *lua.LState) int { return 0 })
	for _, name := range []string{"on", "off", "flush"} {
		j.RawSetString(name, noop)
	}
	// jit.status(): the compiler is reported off, since nothing is compiled.
	j.RawSetString("status", L.NewFunction(func(L *lua.LState) int {
		L.Push(lua.LFalse)
		return 1
	}))
	opt := L.NewTable()
	opt.RawSetString("start", noop)
	j.RawSetString("opt", opt)
	return j
}

// --- helpers with LuaJIT's error texts ---

// funcName is the name LuaJIT's errors give the running Go function: the name at the call
// site, or "?" (e.g. when called by pcall).
func funcName(L *lua.LState) string {
	dbg, ok := L.GetStack(0)
	if !ok {
		return "?"
	}
	if _, err := L.GetInfo("n", dbg, lua.LNil); err != nil {
		return "?"
	}
	name := dbg.Name
	if name == "" || name[0] == '<' || name[0] == '(' || name == "main chunk" || name == "corountine" {
		return "?"
	}
	return name
}

func argError(L *lua.LState, n int, msg string) {
	raise(L, "bad argument #"+strconv.Itoa(n)+" to '"+funcName(L)+"' ("+msg+")")
}

// raise raises msg from the running Go function as LuaJIT does: prefixed with the
// caller's position when the caller is Lua code, bare when it is a built-in (pcall).
func raise(L *lua.LState, msg string) {
	if dbg, ok := L.GetStack(1); ok {
		if fn, err := L.GetInfo("Sf", dbg, lua.LNil); err == nil && (dbg.What == "G" || isShim(fn.(*lua.LFunction))) {
			L.Error(lua.LString(msg), 0)
			return
		}
		// called in tail position: LuaJIT's caller is no longer a Lua frame
		if fr := frameAt(L, 1); fr != nil && !fr.fn.IsG && fr.pc >= 0 && opcode(fr.fn.Proto.Code[fr.pc]) == lua.OP_TAILCALL {
			L.Error(lua.LString(msg), 0)
			return
		}
	}
	L.RaiseError("%s", msg)
}

func typeName(L *lua.LState, n int) string {
	if n > L.GetTop() {
		return "no value"
	}
	return L.Get(n).Type().String()
}

func typeError(L *lua.LState, n int, want string) {
	argError(L, n, want+" expected, got "+typeName(L, n))
}

// checkNum is lj_lib_checknum: a number, or a string that converts to one.
func checkNum(L *lua.LState, n int) float64 {
	switch v := L.Get(n).(type) {
	case lua.LNumber:
		return float64(v)
	case lua.LString:
		if f, err := parseNumber(string(v)); err == nil {
			return f
		}
	}
	typeError(L, n, "number")
	return 0
}

// parseNumber converts a string as Lua does: decimal (strconv syntax, no inf/nan) or
// hexadecimal integers, surrounded by optional whitespace.
func parseNumber(s string) (float64, error) {
	t := strings.TrimSpace(s)
	neg := false
	h := t
	if len(h) > 0 && (h[0] == '-' || h[0] == '+') {
		neg, h = h[0] == '-', h[1:]
	}
	if len(h) > 2 && h[0] == '0' && (h[1] == 'x' || h[1] == 'X') && !strings.ContainsAny(h, "pP.") {
		u, err := strconv.ParseUint(h[2:], 16, 64)
		if err != nil {
			return 0, err
		}
		if neg {
			return -float64(u), nil
		}
		return float64(u), nil
	}
	if t == "" || strings.ContainsAny(t, "_iInN") {
		return 0, strconv.ErrSyntax
	}
	return strconv.ParseFloat(t, 64)
}

// checkString is lj_lib_checkstr: a string, or a number (formatted as LuaJIT does).
func checkString(L *lua.LState, n int) string {
	switch v := L.Get(n).(type) {
	case lua.LString:
		return string(v)
	case lua.LNumber:
		return FormatNumber(float64(v))
	}
	typeError(L, n, "string")
	return ""
}

// tostring is LuaJIT's tostring of v: __tostring first, numbers as "%.14g".
func tostring(L *lua.LState, v lua.LValue) string {
	if n, ok := v.(lua.LNumber); ok {
		return FormatNumber(float64(n))
	}
	if mt := L.GetMetaField(v, "__tostring"); mt != lua.LNil {
		L.Push(mt)
		L.Push(v)
		L.Call(1, 1)
		r := L.Get(-1)
		L.Pop(1)
		if s, ok := r.(lua.LString); ok {
			return string(s)
		}
		if n, ok := r.(lua.LNumber); ok {
			return FormatNumber(float64(n))
		}
		raise(L, "'__tostring' must return a string")
	}
	return v.String()
}

// --- base library ---

func baseToString(L *lua.LState) int {
	if L.GetTop() < 1 {
		argError(L, 1, "value expected")
	}
	v := L.Get(1)
	if n, ok := v.(lua.LNumber); ok {
		L.Push(lua.LString(FormatNumber(float64(n))))
		return 1
	}
	L.Push(lua.LString(tostring(L, v)))
	return 1
}

// basePrint writes to standard output, as gopher-lua's print does, with LuaJIT's
// formatting of numbers. (The host may replace print with the nginx-log one.)
func basePrint(L *lua.LState) int {
	top := L.GetTop()
	var b []byte
	for i := 1; i <= top; i++ {
		if i > 1 {
			b = append(b, '\t')
		}
		b = append(b, tostring(L, L.Get(i))...)
	}
	b = append(b, '\n')
	w := bufio.NewWriterSize(os.Stdout, len(b))
	w.Write(b)
	w.Flush()
	return 0
}

// baseXPCall is xpcall(f, handler, ...) with the extra arguments passed to f (LuaJIT).
func baseXPCall(L *lua.LState) int {
	if L.GetTop() < 2 || L.Get(2).Type() != lua.LTFunction {
		typeError(L, 2, "function")
	}
	handler := L.Get(2).(*lua.LFunction)
	fn := L.Get(1)
	top := L.GetTop()
	L.Push(fn)
	for i := 3; i <= top; i++ {
		L.Push(L.Get(i))
	}
	if err := L.PCall(top-2, lua.MultRet, handler); err != nil {
		L.Push(lua.LFalse)
		if aerr, ok := err.(*lua.ApiError); ok {
			L.Push(aerr.Object)
		} else {
			L.Push(lua.LString(err.Error()))
		}
		return 2
	}
	L.Insert(lua.LTrue, top+1)
	return L.GetTop() - top
}

// ChunkID is LuaJIT's display name for a chunk name (lj_debug_shortname): "=name" ->
// "name", "@path" -> "path" (its last 56 bytes after "..." when longer), anything else ->
// `[string "first line..."]`.
func ChunkID(source string) string {
	const idsize = 60
	if strings.HasPrefix(source, "=") {
		s := source[1:]
		if len(s) > idsize-1 {
			s = s[:idsize-1]
		}
		return s
	}
	if strings.HasPrefix(source, "@") {
		s := source[1:]
		if len(s) >= idsize {
			s = "..." + s[len(s)-(idsize-4):]
		}
		return s
	}
	n := 0
	for n < len(source) && n < idsize-12 && source[n] >= ' ' {
		n++
	}
	if n < len(source) {
		if n > idsize-15 {
			n = idsize - 15
		}
		return `[string "` + source[:n] + `..."]`
	}
	return `[string "` + source + `"]`
}

// compile runs src (named by its LuaJIT chunk name) through Translate and gopher-lua.
// Errors come back as LuaJIT-shaped messages.
func compile(L *lua.LState, src []byte, chunkname string) (*lua.LFunction, string) {
	name := ChunkID(chunkname)
	if len(src) > 0 && src[0] == 0x1b {
		return undump(L, src, name)
	}
	tsrc, err := Translate("="+name, src)
	if err != nil {
		return nil, err.Error()
	}
	chunk, err := parse.Parse(strings.NewReader(string(tsrc)), name)
	if err != nil {
		return nil, parseErrorText(name, tsrc, err)
	}
	proto, err := Compile(chunk, name)
	if err != nil {
		return nil, compileErrorText(name, tsrc, err)
	}
	if se := CheckSyntax(name, tsrc); se != nil {
		return nil, se.Error() // accepted by gopher-lua, refused by LuaJIT ("x = 1e", "x=1;;")
	}
	if strings.HasPrefix(chunkname, "=") {
		noteChunkSource(L, name, chunkname)
	}
	return NewFunction(L, proto), ""
}

// parseErrorText reshapes a gopher-lua parse error as "chunk:line: message near 'token'".
// The message is gopher-lua's own (LuaJIT's wording, e.g. "unexpected symbol", differs).
func parseErrorText(name string, src []byte, err error) string {
	if se := CheckSyntax(name, src); se != nil {
		return se.Error()
	}
	pe, ok := err.(*parse.Error)
	if !ok {
		return name + ": " + strings.TrimSpace(err.Error())
	}
	line := pe.Pos.Line
	tok := pe.Token
	msg := pe.Message
	if msg == "syntax error" {
		msg = "unexpected symbol" // LuaJIT's most common wording for what yacc calls this
	}
	if line == parse.EOF || tok == "EOF" {
		tok = "<eof>"
	}
	if line == parse.EOF {
		line = 1 // LuaJIT reports the last line
		for i := 0; i < len(src); {
			if src[i] == '\n' || src[i] == '\r' {
				i = eol(src, i)
				line++
				continue
			}
			i++
		}
	}
	return name + ":" + itoa(line) + ": " + msg + " near '" + tok + "'"
}

// compileErrorText words a gopher-lua compile error (a scope error such as a break outside
// a loop) as LuaJIT does where the syntax checker finds it, else as gopher-lua does.
func compileErrorText(name string, src []byte, err error) string {
	if se := CheckSyntax(name, src); se != nil {
		return se.Error()
	}
	if msg := labelError(name, err); msg != "" {
		return msg
	}
	return name + ": " + err.Error()
}

// Label errors of gopher-lua's compiler, and LuaJIT's words and line for each.
var (
	undefinedLabel = regexp.MustCompile(`^no visible label '(.*)' for <goto> at line (\d+)$`)
	duplicateLabel = regexp.MustCompile(`^label '(.*)' already defined on line \d+$`)
	gotoIntoScope  = regexp.MustCompile(`^<goto (.*)> at line (\d+) (jumps into the scope of local '.*')$`)
)

// labelError words a goto/label scope error of gopher-lua's compiler as LuaJIT does
// ("x.lua:2: undefined label 'y'"); "" for any other error.
func labelError(name string, err error) string {
	var ce *lua.CompileError
	if !errors.As(err, &ce) {
		return ""
	}
	if m := undefinedLabel.FindStringSubmatch(ce.Message); m != nil {
		return name + ":" + m[2] + ": undefined label '" + m[1] + "'"
	}
	if m := duplicateLabel.FindStringSubmatch(ce.Message); m != nil {
		// gopher-lua reports the line after the second label's
		return name + ":" + itoa(ce.Line-1) + ": duplicate label '" + m[1] + "'"
	}
	if m := gotoIntoScope.FindStringSubmatch(ce.Message); m != nil {
		return name + ":" + m[2] + ": <goto " + m[1] + "> " + m[3]
	}
	return ""
}

// SyntaxCheck runs LuaJIT's grammar over src (Translate's output) that gopher-lua
// compiled: what gopher-lua accepts and LuaJIT refuses ("x = 1e", "x=1;;", "f\n(1)") gets
// LuaJIT's error. It costs about a tenth of loading the chunk (BenchmarkCheckSyntax, once
// per load).
func SyntaxCheck(chunkname string, src []byte) error {
	if se := CheckSyntax(displayChunk(chunkname), src); se != nil {
		return se
	}
	return nil
}

// CompileError is ParseError for an error of Compile.
func CompileError(chunkname string, src []byte, err error) error {
	name := displayChunk(chunkname)
	if se := CheckSyntax(name, src); se != nil {
		return se
	}
	if msg := labelError(name, err); msg != "" {
		return errors.New(msg)
	}
	return err
}

// ParseError words a failed parse.Parse of src (Translate's output) as LuaJIT does, for a
// chunk named chunkname as given to Translate ("@x.lua", "=name" or a display name).
func ParseError(chunkname string, src []byte, err error) error {
	return errors.New(parseErrorText(displayChunk(chunkname), src, err))
}

func itoa(n int) string { return strconv.Itoa(n) }

// baseLoad is LuaJIT 2.1's load(chunk [, chunkname [, mode [, env]]]).
func baseLoad(L *lua.LState) int {
	var src []byte
	chunkname := ""
	v := L.Get(1)
	switch v := v.(type) {
	case lua.LString:
		src = []byte(v)
		chunkname = string(v)
	case lua.LNumber:
		src = []byte(FormatNumber(float64(v)))
		chunkname = string(src)
	case *lua.LFunction:
		chunkname = "=(load)"
		for {
			L.Push(v)
			L.Call(0, 1)
			r := L.Get(-1)
			L.Pop(1)
			if r == lua.LNil {
				break
			}
			s, ok := r.(lua.LString)
			if !ok {
				L.Push(lua.LNil)
				L.Push(lua.LString("reader function must return a string"))
				return 2
			}
			if len(s) == 0 {
				break
			}
			src = append(src, s...)
		}
	default:
		typeError(L, 1, "function")
	}
	if L.GetTop() >= 2 && L.Get(2) != lua.LNil {
		chunkname = checkString(L, 2)
	}
	if L.GetTop() >= 3 && L.Get(3) != lua.LNil {
		mode := checkString(L, 3)
		binary := len(src) > 0 && src[0] == 0x1b
		if (binary && !strings.Contains(mode, "b")) || (!binary && !strings.Contains(mode, "t")) {
			L.Push(lua.LNil)
			L.Push(lua.LString("attempt to load chunk with wrong mode"))
			return 2
		}
	}
	fn, msg := compile(L, src, chunkname)
	if fn == nil {
		L.Push(lua.LNil)
		L.Push(lua.LString(msg))
		return 2
	}
	if L.GetTop() >= 4 && L.Get(4) != lua.LNil {
		env, ok := L.Get(4).(*lua.LTable)
		if !ok {
			typeError(L, 4, "table")
		}
		fn.Env = env
	}
	L.Push(fn)
	return 1
}

// --- collectgarbage ---

// gcState answers collectgarbage as LuaJIT does, without running Go's collector for the
// whole process: "count" is an estimate from the Go heap, the rest report LuaJIT's values.
type gcState struct {
	pause, stepmul float64
	running        bool
}

var heapSample = []metrics.Sample{{Name: "/gc/heap/live:bytes"}, {Name: "/memory/classes/heap/objects:bytes"}}

// heapKiB estimates the memory in use in KiB (Go heap objects; the whole process's, as
// a state's own share cannot be measured cheaply).
func heapKiB() float64 {
	s := make([]metrics.Sample, len(heapSample))
	copy(s, heapSample)
	metrics.Read(s)
	for _, m := range s {
		if m.Value.Kind() == metrics.KindUint64 && m.Value.Uint64() > 0 {
			return float64(m.Value.Uint64()) / 1024
		}
	}
	return 0
}

func (gc *gcState) collect(L *lua.LState) int {
	opt := "collect"
	if L.GetTop() >= 1 && L.Get(1) != lua.LNil {
		opt = checkString(L, 1)
	}
	arg := func() float64 {
		if L.GetTop() >= 2 && L.Get(2) != lua.LNil {
			return checkNum(L, 2)
		}
		return 0
	}
	switch opt {
	case "count":
		L.Push(lua.LNumber(heapKiB()))
	case "collect", "stop", "restart":
		gc.running = opt != "stop"
		L.Push(lua.LNumber(0))
	case "step":
		// LuaJIT returns true when the step finished a cycle; a step of some size on a
		// small heap does.
		L.Push(lua.LBool(arg() > 0))
	case "setpause":
		old := gc.pause
		gc.pause = arg()
		L.Push(lua.LNumber(old))
	case "setstepmul":
		old := gc.stepmul
		gc.stepmul = arg()
		L.Push(lua.LNumber(old))
	case "isrunning":
		L.Push(lua.LBool(gc.running))
	default:
		argError(L, 1, "invalid option '"+opt+"'")
	}
	return 1
}

// --- table extensions ---

var tableFuncs = map[string]lua.LGFunction{
	"new":     tabNew,
	"clear":   tabClear,
	"nkeys":   tabNkeys,
	"isempty": tabIsEmpty,
	"isarray": tabIsArray,
	"clone":   tabClone,
	"concat":  tabConcat,
}

func checkTable(L *lua.LState, n int) *lua.LTable {
	t, ok := L.Get(n).(*lua.LTable)
	if !ok {
		typeError(L, n, "table")
	}
	return t
}

// tabNew is table.new(narr, nrec): sizes are hints, capped so a script cannot make one
// allocation of any size.
func tabNew(L *lua.LState) int {
	narr, nrec := checkNum(L, 1), checkNum(L, 2)
	const limit = 1 << 16
	a, h := int(max(0, min(narr, limit))), int(max(0, min(nrec, limit)))
	L.Push(L.CreateTable(a, h))
	return 1
}

func tabClear(L *lua.LState) int {
	t := checkTable(L, 1)
	var keys []lua.LValue
	t.ForEach(func(k, _ lua.LValue) { keys = append(keys, k) })
	for _, k := range keys {
		t.RawSet(k, lua.LNil)
	}
	return 0
}

func tabNkeys(L *lua.LState) int {
	t := checkTable(L, 1)
	n := 0
	t.ForEach(func(_, _ lua.LValue) { n++ })
	L.Push(lua.LNumber(n))
	return 1
}

func tabIsEmpty(L *lua.LState) int {
	t := checkTable(L, 1)
	k, _ := t.Next(lua.LNil)
	L.Push(lua.LBool(k == lua.LNil))
	return 1
}

// tabIsArray is OpenResty's table.isarray: true when every key is an integer-valued
// number (empty tables included).
func tabIsArray(L *lua.LState) int {
	t := checkTable(L, 1)
	ok := true
	t.ForEach(func(k, _ lua.LValue) {
		if n, isNum := k.(lua.LNumber); !isNum || float64(n) != float64(int64(n)) {
			ok = false
		}
	})
	L.Push(lua.LBool(ok))
	return 1
}

// tabClone is OpenResty's table.clone: a shallow copy without the metatable.
func tabClone(L *lua.LState) int {
	t := checkTable(L, 1)
	c := L.CreateTable(t.Len(), 0)
	t.ForEach(func(k, v lua.LValue) { c.RawSet(k, v) })
	L.Push(c)
	return 1
}

// strRep is string.rep(s, n, sep) as LuaJIT 2.1's: the separator argument (gopher-lua ignores
// it), n taken as an int32 (string.rep("x", 2^31) is ""), and LuaJIT's limit checked before
// anything is allocated (lj_buf_putstr_rep): "not enough memory" past it.
func strRep(L *lua.LState) int {
	s := checkString(L, 1) // numbers as LuaJIT's %.14g, LuaJIT's argument errors
	n := int64(checkInt32(L, 2))
	sep := ""
	if L.Get(3) != lua.LNil {
		sep = checkString(L, 3)
	}
	if n <= 0 || (s == "" && sep == "") {
		L.Push(lua.LString(""))
		return 1
	}
	total := int64(len(s))*n + int64(len(sep))*(n-1)
	if sep != "" && n > 1 {
		// LuaJIT builds sep..s once and repeats that n-1 times after s
		CheckBufLen(L, int64(len(s)+len(sep))*(n-1))
	} else {
		CheckBufLen(L, total)
	}
	CheckBufLen(L, total)
	// strings.Repeat copies by doubling: a 64 MiB string.rep is a handful of copies
	L.Push(lua.LString(strings.Repeat(s+sep, int(n-1)) + s))
	return 1
}

// baseToNumber is tonumber with LuaJIT's string scanner for base 10: exponents without a
// fraction ("1e2"), "inf", "nan" and hex floats, which gopher-lua's scanner refuses; other
// cases go to gopher-lua's own tonumber.
func baseToNumber(L *lua.LState, orig *lua.LFunction) int {
	if n, ok := L.Get(1).(lua.LNumber); ok && L.Get(2) != lua.LNil {
		L.Replace(1, lua.LString(FormatNumber(float64(n)))) // LuaJIT reads it as a string then
	}
	if str, ok := L.Get(1).(lua.LString); ok && (L.GetTop() < 2 || L.Get(2) == lua.LNil) {
		t := strings.TrimSpace(string(str))
		if t != "" && !strings.ContainsRune(t, '_') {
			lower := strings.ToLower(strings.TrimLeft(t, "+-"))
			hex := strings.HasPrefix(lower, "0x")
			if f, err := strconv.ParseFloat(t, 64); err == nil {
				if !hex || strings.ContainsAny(lower, ".p") {
					L.Push(lua.LNumber(f))
					return 1
				}
			} else if errors.Is(err, strconv.ErrRange) {
				L.Push(lua.LNumber(f)) // overflow gives ±inf, as strtod
				return 1
			}
		}
	}
	n := L.GetTop()
	L.Push(orig)
	for i := 1; i <= n; i++ {
		L.Push(L.Get(i))
	}
	L.Call(n, 1)
	return 1
}
