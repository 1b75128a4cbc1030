package luajit

import (
	"reflect"
	"regexp"
	"strconv"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// Runtime errors in LuaJIT's words.
//
// gopher-lua raises its own texts ("attempt to call a non-function object", "cannot
// perform add operation between number and nil", ...). They are rewritten where an error
// is caught: ErrorHandler is the errfunc the catching code (pcall, xpcall, the host's
// entry and user threads) passes to LState.PCall, so it runs while the failing frame is
// still on the stack. It reads the failing instruction and its registers through the
// debug interface (GetStack, GetInfo, GetLocal, GetUpvalue and the function's prototype)
// to name the variable the way LuaJIT does: local, global, upvalue, field or method. The
// success path pays nothing: nothing runs unless an error was raised.

// ErrorHandler is a PCall errfunc that returns the error value translated by
// TranslateError with the failing frame at level 1.
func ErrorHandler(L *lua.LState) int {
	v := L.Get(1)
	if s, ok := v.(lua.LString); ok {
		v = lua.LString(TranslateError(L, string(s), 1))
	}
	CloseUpvalues(L)
	L.SetTop(0)
	L.Push(v)
	return 1
}

var (
	reIndex  = regexp.MustCompile(`^attempt to index a non-table object\((\w+)\) with key '(.*)'$`)
	reArith  = regexp.MustCompile(`^cannot perform (\w+) operation between (\w+) and (\w+)$`)
	reCmp    = regexp.MustCompile(`^attempt to compare (\w+) with (\w+)$`)
	reBadArg = regexp.MustCompile(`^bad argument #(\d+) to (\S+) \((.*)\)$`)
	rePos    = regexp.MustCompile(`^([^\n]*?:\d+:) `)
)

// fixed maps gopher-lua's messages that need no context to LuaJIT's.
var fixed = map[string]string{
	"for statement init must be a number":       "'for' initial value must be a number",
	"for statement limit must be a number":      "'for' limit must be a number",
	"for statement step must be a number":       "'for' step must be a number",
	"can not resume a dead thread":              "cannot resume dead coroutine",
	"can not resume a running thread":           "cannot resume running coroutine",
	"can not yield from outside of a coroutine": "attempt to yield from outside a coroutine",
}

// TranslateError rewrites a gopher-lua error message into LuaJIT's wording. level is the
// stack level of the frame that raised it (1 inside a PCall errfunc), or -1 when the stack
// is gone, in which case names cannot be given and only the wording changes.
func TranslateError(L *lua.LState, msg string, level int) string {
	pos, body := "", msg
	if m := rePos.FindStringSubmatch(msg); m != nil {
		pos, body = m[1]+" ", msg[len(m[0]):]
	}
	if t, ok := fixed[body]; ok {
		return pos + t
	}
	var fr *frameInfo
	if level >= 0 {
		fr = frameAt(L, level)
	}
	switch {
	case body == "attempt to call a non-function object":
		if fr != nil {
			if d, ok := fr.describeOperand(L, opCall); ok {
				return pos + "attempt to call " + d
			}
		}
		return pos + "attempt to call a nil value"
	case body == "__len undefined":
		if fr != nil {
			if d, ok := fr.describeOperand(L, opLen); ok {
				return pos + "attempt to get length of " + d
			}
		}
		return pos + "attempt to get length of a nil value"
	case body == "__unm undefined":
		if fr != nil {
			if d, ok := fr.describeOperand(L, opArith); ok {
				return pos + "attempt to perform arithmetic on " + d
			}
		}
		return pos + "attempt to perform arithmetic on a nil value"
	}
	if m := reIndex.FindStringSubmatch(body); m != nil {
		if fr != nil {
			if d, ok := fr.describeOperand(L, opIndex); ok {
				return pos + "attempt to index " + d
			}
		}
		return pos + "attempt to index a " + m[1] + " value"
	}
	if m := reArith.FindStringSubmatch(body); m != nil {
		if fr != nil {
			if t := fr.forBoundError(); t != "" {
				return pos + t
			}
		}
		kind, what := opArith, "attempt to perform arithmetic on "
		bad := m[2]
		if m[1] == "concat" {
			kind, what = opConcat, "attempt to concatenate "
			if m[3] != "string" && m[3] != "number" {
				bad = m[3]
			}
		} else if m[2] == "number" || (m[2] == "string" && m[3] != "number" && m[3] != "string") {
			bad = m[3]
		}
		if fr != nil {
			if d, ok := fr.describeOperand(L, kind); ok {
				return pos + what + d
			}
		}
		return pos + what + "a " + bad + " value"
	}
	if m := reCmp.FindStringSubmatch(body); m != nil {
		if m[1] == m[2] {
			return pos + "attempt to compare two " + m[1] + " values"
		}
		return pos + body
	}
	// lua-resty-core's FFI calls (ngx_http_lua_ffi_*, ngx_lua_ffi_*) name the C function
	if m := reBadArg.FindStringSubmatch(body); m != nil && fr != nil && !isVerbatim(L, msg) && !strings.HasPrefix(m[2], "'ngx_") {
		return badArgument(L, fr, pos, m[1], m[2], m[3])
	}
	return msg
}

// verbatimKey holds, in a state's registry, the last message raised with RaiseVerbatim.
const verbatimKey = "luaws.verbatim_error"

// RaiseVerbatim raises msg as a Lua library written in Lua would with error(msg): the
// translator leaves its "bad argument" wording alone (lua-resty-core's raw_log names itself,
// where a C function would be named after its call site).
func RaiseVerbatim(L *lua.LState, msg string) {
	L.G.Registry.RawSetString(verbatimKey, lua.LString(msg))
	L.Error(lua.LString(msg), 0)
}

func isVerbatim(L *lua.LState, msg string) bool {
	v, ok := L.G.Registry.RawGetString(verbatimKey).(lua.LString)
	return ok && string(v) == msg
}

// opKind is the operation that failed.
type opKind int

const (
	opCall opKind = iota
	opIndex
	opArith
	opConcat
	opLen
)

// stackAt is L.GetStack(level) as LuaJIT counts levels: while an xpcall handler runs, the
// Go frame that calls it (errorFuncs.callHandler) is not a level.
// pastBottom reports whether level is below L's bottom frame as LuaJIT counts: gopher-lua
// counts the frames a tail call replaced as levels, and a level past the bottom frame gives
// the bottom frame again (a coroutine body tail-called by its shim is its own caller);
// LuaJIT has nothing there.
func pastBottom(L *lua.LState, level int) bool {
	for j := 0; j < level; j++ {
		d, ok := stackAt(L, j)
		if !ok {
			return true
		}
		if _, err := L.GetInfo("S", d, lua.LNil); err == nil && d.What == "main" {
			return true
		}
	}
	return false
}

func stackAt(L *lua.LState, level int) (*lua.Debug, bool) {
	if n, _ := L.G.Registry.RawGetString(inHandlerKey).(lua.LNumber); n <= 0 || level <= 0 {
		return L.GetStack(level)
	}
	hidden := L.G.Registry.RawGetString(hiddenFrameKey)
	for i, real := 0, 0; ; i++ {
		dbg, ok := L.GetStack(i)
		if !ok {
			return dbg, false
		}
		if i > 0 {
			if fn, err := L.GetInfo("f", dbg, lua.LNil); err == nil && fn == hidden {
				continue
			}
		}
		if real == level {
			return dbg, true
		}
		real++
	}
}

// frameInfo is what the debug interface tells about one frame.
type frameInfo struct {
	dbg   *lua.Debug
	level int
	fn    *lua.LFunction
	pc    int // index of the running instruction in fn.Proto.Code, -1 when unknown
	nargs int // arguments passed to a Go function, -1 when unknown
}

func frameAt(L *lua.LState, level int) *frameInfo {
	dbg, ok := stackAt(L, level)
	if !ok {
		return nil
	}
	fv, err := L.GetInfo("f", dbg, lua.LNil)
	if err != nil {
		return nil
	}
	fn, _ := fv.(*lua.LFunction)
	if fn == nil {
		return nil
	}
	fr := &frameInfo{dbg: dbg, level: level, fn: fn, pc: -1, nargs: -1}
	// The frame's program counter and argument count are not exported; reading them
	// through reflection (error path only) is exact where a line number is ambiguous.
	if f := reflect.ValueOf(dbg).Elem().FieldByName("frame"); f.IsValid() && !f.IsNil() {
		cf := f.Elem()
		if pc := cf.FieldByName("Pc"); pc.IsValid() && pc.CanInt() {
			fr.pc = int(pc.Int()) - 1
		}
		if n := cf.FieldByName("NArgs"); n.IsValid() && n.CanInt() {
			fr.nargs = int(n.Int())
		}
	}
	if !fn.IsG && (fr.pc < 0 || fr.pc >= len(fn.Proto.Code)) {
		fr.pc = -1
	}
	return fr
}

// frameField reads an integer field of the call frame behind dbg (not exported; error
// and debug paths only).
func frameField(dbg *lua.Debug, name string) (int, bool) {
	f := reflect.ValueOf(dbg).Elem().FieldByName("frame")
	if !f.IsValid() || f.IsNil() {
		return 0, false
	}
	v := f.Elem().FieldByName(name)
	if !v.IsValid() || !v.CanInt() {
		return 0, false
	}
	return int(v.Int()), true
}

// instruction fields (gopher-lua uses Lua 5.1's layout).
func opcode(i uint32) int { return int(i >> 26) }
func argA(i uint32) int   { return int(i>>18) & 0xff }
func argB(i uint32) int   { return int(i & 0x1ff) }
func argC(i uint32) int   { return int(i>>9) & 0x1ff }
func argBx(i uint32) int  { return int(i & 0x3ffff) }

const rkBit = 1 << 8

// describeOperand names the operand of the failing instruction as LuaJIT does:
// "global 'f' (a nil value)" or "a table value".
func (fr *frameInfo) describeOperand(L *lua.LState, kind opKind) (string, bool) {
	if fr.fn.IsG || fr.pc < 0 {
		return "", false
	}
	p := fr.fn.Proto
	inst := p.Code[fr.pc]
	op := opcode(inst)
	var rk int // RK operand (register, or constant with rkBit)
	switch kind {
	case opCall:
		switch op {
		case lua.OP_CALL, lua.OP_TAILCALL:
			rk = argA(inst)
		case lua.OP_TFORLOOP:
			rk = argA(inst)
		default:
			return "", false
		}
	case opIndex:
		switch op {
		case lua.OP_GETTABLE, lua.OP_GETTABLEKS, lua.OP_SELF:
			rk = argB(inst)
		case lua.OP_SETTABLE, lua.OP_SETTABLEKS:
			rk = argA(inst)
		default:
			return "", false
		}
	case opLen:
		if op != lua.OP_LEN {
			return "", false
		}
		rk = argB(inst)
	case opArith:
		switch op {
		case lua.OP_UNM:
			rk = argB(inst)
		case lua.OP_ADD, lua.OP_SUB, lua.OP_MUL, lua.OP_DIV, lua.OP_MOD, lua.OP_POW:
			rk = argB(inst)
			if isNumeric(fr.rkValue(L, rk)) {
				rk = argC(inst)
			}
		default:
			return "", false
		}
	case opConcat:
		if op != lua.OP_CONCAT {
			return "", false
		}
		// gopher-lua and LuaJIT both concatenate from the right: the first pair that
		// fails has a non-string operand; LuaJIT names the right one unless it is a
		// string or number.
		b, c := argB(inst), argC(inst)
		rk = -1
		for r := c; r > b; r-- {
			right, left := fr.reg(L, r), fr.reg(L, r-1)
			if !isStrNum(right) {
				rk = r
				break
			}
			if !isStrNum(left) {
				rk = r - 1
				break
			}
		}
		if rk < 0 {
			return "", false
		}
	}
	v := fr.rkValue(L, rk)
	typ := v.Type().String()
	if name := fr.nameOf(rk, fr.pc, 0); name != "" {
		return name + " (a " + typ + " value)", true
	}
	return "a " + typ + " value", true
}

func isNumeric(v lua.LValue) bool {
	switch v := v.(type) {
	case lua.LNumber:
		return true
	case lua.LString:
		_, err := parseNumber(string(v))
		return err == nil
	}
	return false
}

func isStrNum(v lua.LValue) bool {
	t := v.Type()
	return t == lua.LTString || t == lua.LTNumber
}

// reg is the value of register r of the frame.
func (fr *frameInfo) reg(L *lua.LState, r int) lua.LValue {
	_, v := L.GetLocal(fr.dbg, r+1)
	return v
}

func (fr *frameInfo) rkValue(L *lua.LState, rk int) lua.LValue {
	if rk&rkBit != 0 {
		if k := rk &^ rkBit; k < len(fr.fn.Proto.Constants) {
			return fr.fn.Proto.Constants[k]
		}
		return lua.LNil
	}
	return fr.reg(L, rk)
}

// nameOf names what register (or constant) rk holds at pc: "local 'x'", "global 'f'",
// "upvalue 'u'", "field 'k'", "method 'm'", or "" when it is a temporary.
func (fr *frameInfo) nameOf(rk, pc, depth int) string {
	p := fr.fn.Proto
	if rk&rkBit != 0 || depth > 8 {
		return ""
	}
	// a call's base register is above every live local: a local found there is a dead
	// one of an ended block (gopher-lua's local end positions are not reliable)
	callBase := depth == 0 && pc < len(p.Code) && (opcode(p.Code[pc]) == lua.OP_CALL || opcode(p.Code[pc]) == lua.OP_TAILCALL) && argA(p.Code[pc]) == rk
	if name, ok := localName(p, rk, pc); ok && !callBase && !strings.HasPrefix(name, "(") {
		return "local '" + name + "'"
	}
	// the last instruction before pc that set the register (straight-line code)
	for i := pc - 1; i >= 0; i-- {
		inst := p.Code[i]
		a := argA(inst)
		switch op := opcode(inst); op {
		case lua.OP_JMP, lua.OP_FORLOOP, lua.OP_FORPREP, lua.OP_TFORLOOP:
			return ""
		case lua.OP_MOVE:
			if a == rk {
				return fr.nameOf(argB(inst), i, depth+1)
			}
		case lua.OP_GETGLOBAL:
			if a == rk {
				if s, ok := constString(p, argBx(inst)); ok {
					return "global '" + s + "'"
				}
				return ""
			}
		case lua.OP_GETUPVAL:
			if a == rk {
				if b := argB(inst); b < len(p.DbgUpvalues) {
					return "upvalue '" + p.DbgUpvalues[b] + "'"
				}
				return ""
			}
		case lua.OP_GETTABLE, lua.OP_GETTABLEKS:
			if a == rk {
				if c := argC(inst); c&rkBit != 0 {
					if s, ok := constString(p, c&^rkBit); ok {
						return "field '" + s + "'"
					}
				}
				return ""
			}
		case lua.OP_SELF:
			if a == rk {
				if c := argC(inst); c&rkBit != 0 {
					if s, ok := constString(p, c&^rkBit); ok {
						return "method '" + s + "'"
					}
				}
				return ""
			}
			if a+1 == rk {
				return fr.nameOf(argB(inst), i, depth+1)
			}
		case lua.OP_LOADNIL:
			if rk >= a && rk <= argB(inst) {
				return ""
			}
		case lua.OP_CALL:
			if rk >= a {
				return ""
			}
		case lua.OP_SETTABLE, lua.OP_SETTABLEKS, lua.OP_SETGLOBAL, lua.OP_SETUPVAL,
			lua.OP_EQ, lua.OP_LT, lua.OP_LE, lua.OP_TEST, lua.OP_SETLIST, lua.OP_CLOSE, lua.OP_NOP, lua.OP_RETURN, lua.OP_TAILCALL:
			// do not set a register
		default:
			if a == rk {
				return ""
			}
		}
	}
	return ""
}

// localName is the name of the local in register r at instruction pc (Lua 5.1's
// luaF_getlocalname).
//
// gopher-lua's debug ranges cannot be used as they are: a local open at the end of the
// function has EndPc 0, and a closing block writes its EndPc into the DbgLocals entry
// numbered as the local's register, so other locals get wrong ends. The register of each
// local is found instead from the instruction that initialises it, and a local counts as
// dead once a later local takes its register or one below it (locals form a stack), or
// once its for loop is over.
func localName(p *lua.FunctionProto, r, pc int) (string, bool) {
	regs := localRegisters(p)
	best := -1
	for i, l := range p.DbgLocals {
		if l.StartPc > pc {
			break
		}
		if regs[i] == r {
			best = i
		} else if regs[i] < r {
			best = -1 // r's local, if any, started after this one
		}
	}
	if best < 0 {
		return "", false
	}
	if end := forLocalEnd(p, best); end >= 0 && pc >= end {
		return "", false
	}
	return p.DbgLocals[best].Name, true
}

// activeBefore is the number of locals declared before local i still live where it
// starts: its register, locals being a stack.
func activeBefore(p *lua.FunctionProto, i int) int {
	n, start := 0, p.DbgLocals[i].StartPc
	for _, l := range p.DbgLocals[:i] {
		if l.StartPc <= start && l.EndPc > start {
			n++
		}
	}
	return n
}

// localFunction reports whether local i is declared by "local function": gopher-lua
// starts it at the CLOSURE that writes it (not after its initialising instruction).
func localFunction(p *lua.FunctionProto, i int) bool {
	start := p.DbgLocals[i].StartPc
	if start >= len(p.Code) || opcode(p.Code[start]) != lua.OP_CLOSURE {
		return false
	}
	return argA(p.Code[start]) == activeBefore(p, i)
}

// localRegisters is the register of each of p's locals (DbgLocals order).
func localRegisters(p *lua.FunctionProto) []int {
	regs := make([]int, len(p.DbgLocals))
	for i, l := range p.DbgLocals {
		switch {
		case l.StartPc == 0 && i < int(p.NumParameters):
			regs[i] = i
		case localFunction(p, i):
			regs[i] = activeBefore(p, i) // local function f: the closure is made into f
		case i > 0 && p.DbgLocals[i-1].StartPc == l.StartPc && l.StartPc > 0 && !isForHidden(l.Name):
			regs[i] = regs[i-1] + 1 // local a, b = ...
		case i > 0 && isForHidden(p.DbgLocals[i-1].Name):
			regs[i] = regs[i-1] + 1 // the next hidden local, or the loop's first variable
		case i > 0 && l.Name != "" && l.Name[0] != '(' && l.StartPc == l.EndPc:
			regs[i] = regs[i-1] + 1 // a generic for's further variable
		case l.StartPc > 0 && l.StartPc-1 < len(p.Code):
			if isForHidden(l.Name) {
				regs[i] = forBase(p, l.StartPc)
				break
			}
			// the first of the k locals the statement declares: the last register the
			// initialising instruction wrote, less k-1
			k := 1
			for j := i + 1; j < len(p.DbgLocals) && p.DbgLocals[j].StartPc == l.StartPc; j++ {
				k++
			}
			inst := p.Code[l.StartPc-1]
			last := argA(inst)
			switch opcode(inst) {
			case lua.OP_LOADNIL:
				last = argB(inst)
			case lua.OP_CALL:
				if argC(inst) == 0 {
					last = argA(inst) + k - 1
				} else {
					last = argA(inst) + argC(inst) - 2
				}
			case lua.OP_VARARG:
				if argB(inst) == 0 {
					last = argA(inst) + k - 1
				} else {
					last = argA(inst) + argB(inst) - 2
				}
			}
			regs[i] = last - (k - 1)
		default:
			regs[i] = i
		}
	}
	return regs
}

func isForHidden(name string) bool {
	switch name {
	case "(for index)", "(for limit)", "(for step)", "(for generator)", "(for state)", "(for control)":
		return true
	}
	return false
}

// forBase is register A of the for loop whose hidden locals start at start.
func forBase(p *lua.FunctionProto, start int) int {
	for i := start - 1; i < len(p.Code); i++ {
		if i < 0 {
			continue
		}
		switch opcode(p.Code[i]) {
		case lua.OP_FORPREP:
			return argA(p.Code[i])
		case lua.OP_TFORLOOP:
			return argA(p.Code[i])
		}
	}
	return 0
}

// forLocalEnd is where the for loop a hidden local or loop variable belongs to ends, -1
// for other locals.
func forLocalEnd(p *lua.FunctionProto, idx int) int {
	for i := idx; i >= 0 && i > idx-6; i-- {
		switch p.DbgLocals[i].Name {
		case "(for index)", "(for generator)":
			return forLoopEnd(p, p.DbgLocals[i].StartPc)
		}
		if i < idx && !isForHidden(p.DbgLocals[i].Name) {
			return -1
		}
		if i == idx && !isForHidden(p.DbgLocals[i].Name) && (i == 0 || !isForHidden(p.DbgLocals[i-1].Name)) {
			return -1
		}
	}
	return -1
}

// forLoopEnd is the pc after the loop instruction of the for loop whose hidden locals
// start at start: a numeric for's FORPREP jumps to its FORLOOP, a generic for's JMP to
// its TFORLOOP (followed by the jump back).
func forLoopEnd(p *lua.FunctionProto, start int) int {
	for i := start; i < len(p.Code); i++ {
		inst := p.Code[i]
		sbx := argBx(inst) - 131071 // opMaxArgSbx
		switch opcode(inst) {
		case lua.OP_FORPREP:
			return i + 1 + sbx + 1
		case lua.OP_JMP:
			if t := i + 1 + sbx; t >= 0 && t < len(p.Code) && opcode(p.Code[t]) == lua.OP_TFORLOOP {
				return t + 2
			}
		}
	}
	return -1
}

func constString(p *lua.FunctionProto, k int) (string, bool) {
	if k < len(p.Constants) {
		if s, ok := p.Constants[k].(lua.LString); ok {
			return string(s), true
		}
	}
	return "", false
}

// badArgument words "bad argument #n to 'name' (msg)" as LuaJIT: named after the call
// site, self not counted in a method call, "got no value" past the last argument, and
// '?' without a position when the caller is not Lua code or calls in tail position.
func badArgument(L *lua.LState, fr *frameInfo, pos, narg, _, msg string) string {
	n, _ := strconv.Atoi(narg)
	if strings.HasSuffix(msg, " got nil") && fr.fn.IsG && fr.nargs >= 0 && n > fr.nargs {
		msg = strings.TrimSuffix(msg, "nil") + "no value"
	}
	unnamed := "bad argument #" + narg + " to '?' (" + msg + ")"
	if !fr.fn.IsG {
		return pos + unnamed
	}
	caller := frameAt(L, fr.level+1)
	if caller == nil || caller.fn.IsG || caller.pc < 0 {
		return unnamed
	}
	p := caller.fn.Proto
	inst := p.Code[caller.pc]
	if opcode(inst) == lua.OP_TAILCALL {
		return unnamed
	}
	if opcode(inst) != lua.OP_CALL {
		return pos + unnamed
	}
	name := caller.nameOf(argA(inst), caller.pc, 0)
	if name == "" {
		return pos + unnamed
	}
	q := strings.IndexByte(name, '\'')
	kind, id := name[:q-1], name[q:]
	if kind == "method" {
		n--
		if n == 0 {
			return pos + "calling " + id + " on bad self (" + msg + ")"
		}
	}
	return pos + "bad argument #" + strconv.Itoa(n) + " to " + id + " (" + msg + ")"
}

// CloseUpvalues closes the open upvalues of every frame on L's stack, which gopher-lua
// does when an error is raised under a PCall without errfunc but skips when there is one:
// a closure made by the failing function would otherwise see its captured locals' registers
// reused. An errfunc calls it before returning. It works through the public API: an inner
// PCall clears the "has errfunc" flag, and an error raised under a second one closes.
func CloseUpvalues(L *lua.LState) {
	top := L.GetTop()
	L.Push(noop)
	_ = L.PCall(0, 0, nil)
	L.Push(raiseClose)
	_ = L.PCall(0, 0, nil)
	L.SetTop(top)
}

var (
	noop       = &lua.LFunction{IsG: true, GFunction: func(*lua.LState) int { return 0 }}
	raiseClose = &lua.LFunction{IsG: true, GFunction: func(L *lua.LState) int { L.RaiseError("close"); return 0 }}
)
