package luajit

import (
	"math"

	lua "github.com/yuin/gopher-lua"
	"github.com/yuin/gopher-lua/ast"
)

// Rewrites of the parsed chunk, besides concatenation (concat.go), for semantics that sit
// inside gopher-lua's VM instructions. Each is applied only where it can change a result:
//
//   - A numeric for whose initial value or limit may be a string (anything but a number
//     constant, arithmetic or a length) gets the bound raised to the power 1: one VM
//     instruction per loop entry that coerces a numeric string as LuaJIT does ("for i =
//     1, ngx.var.arg_n") and returns every number as it is (-0 and NaN included);
//     gopher-lua refuses strings. TranslateError words a failure of that operation (an
//     exponent 1 no script writes) as LuaJIT's "'for' limit must be a number".
//   - A numeric for whose step is not a non-zero number constant goes through the native
//     (for): LuaJIT runs a loop with step 0 for ever when init <= limit, gopher-lua never.
//   - In a chunk naming "__len", # becomes the native (len): Lua 5.1 and LuaJIT take the
//     raw length of a table whatever its metatable says; gopher-lua calls __len.
//   - In a chunk naming "__unm", unary minus becomes the native (unm): LuaJIT passes the
//     operand twice to __unm; gopher-lua once.
//   - The constant -0 is read from an upvalue: gopher-lua's compiler keeps one constant
//     for 0 and -0, so in a function with both, one reads as the other.
//   - In a chunk naming an arithmetic metamethod ("__add", ...), that operator becomes a
//     call of a helper written in Lua (arith.go): the metamethod may be a callable table
//     and may yield, as in LuaJIT.
//   - "return coroutine.yield(...)" (a callee named yield, in tail position) becomes
//     "return (pass)(coroutine.yield(...))", a native returning its arguments: gopher-lua
//     cannot resume a coroutine that yielded from a Go function it tail-called (a Go
//     panic on the second resume); LuaJIT can.
//   - In a chunk naming "yield", a generic for becomes a while loop calling its iterator
//     with an ordinary call: gopher-lua's TFORLOOP calls a Lua iterator in a nested VM
//     loop, so an iterator that yields the enclosing coroutine breaks it (a Go panic);
//     LuaJIT yields.
//
// The natives are reached through upvalues of the chunk, as the concatenation's.

const (
	lenLocal  = "(len)"
	unmLocal  = "(unm)"
	forLocal  = "(for)"
	passLocal = "(pass)"
	negZero   = "(-0)"
)

// helperOrder is the order the helper locals are declared in a chunk's wrapper.
var helperOrder = []string{concatLocal, lenLocal, unmLocal, forLocal, passLocal, negZero, "(add)", "(sub)", "(mul)", "(div)", "(mod)", "(pow)"}

// helperUpvalues are shared by every chunk: closed and never written.
var helperUpvalues = map[string]*lua.Upvalue{
	concatLocal: closedUpvalue(nativeConcat),
	lenLocal:    closedUpvalue(nativeLen),
	unmLocal:    closedUpvalue(nativeUnm),
	forLocal:    closedUpvalue(nativeFor),
	passLocal:   closedUpvalue(func(L *lua.LState) int { return L.GetTop() }),
}

func init() {
	nz := &lua.Upvalue{}
	nz.SetValue(lua.LNumber(math.Copysign(0, -1)))
	helperUpvalues[negZero] = nz
	for name, fn := range arithHelpers {
		uv := &lua.Upvalue{}
		uv.SetValue(fn)
		helperUpvalues[name] = uv
	}
}

func closedUpvalue(f lua.LGFunction) *lua.Upvalue {
	uv := &lua.Upvalue{}
	uv.SetValue(&lua.LFunction{IsG: true, GFunction: f})
	return uv
}

// helperCall is the call of helper local name with args, at the lines of at.
func (r *rewriter) helperCall(name string, at ast.Expr, args ...ast.Expr) *ast.FuncCallExpr {
	r.used[name] = true
	fn := &ast.IdentExpr{Value: name}
	fn.SetLine(at.Line())
	fn.SetLastLine(at.LastLine())
	call := &ast.FuncCallExpr{Func: fn, Args: args, AdjustRet: true}
	call.SetLine(at.Line())
	call.SetLastLine(at.LastLine())
	return call
}

// numberTyped reports whether e always yields a number (or raises): a number constant,
// arithmetic, a length (metamethods aside).
func numberTyped(e ast.Expr) bool {
	switch e.(type) {
	case *ast.NumberExpr, *ast.ArithmeticOpExpr, *ast.UnaryMinusOpExpr, *ast.UnaryLenOpExpr:
		return true
	}
	return false
}

// constNumber is the value of a number constant, possibly negated.
func constNumber(e ast.Expr) (float64, bool) {
	switch e := e.(type) {
	case *ast.NumberExpr:
		f, err := parseNumber(e.Value)
		return f, err == nil
	case *ast.UnaryMinusOpExpr:
		f, ok := constNumber(e.Expr)
		return -f, ok
	}
	return 0, false
}

// powOne is e ^ 1, which coerces a numeric string and leaves every number as it is.
func powOne(e ast.Expr) ast.Expr {
	one := &ast.NumberExpr{Value: "1"}
	one.SetLine(e.Line())
	one.SetLastLine(e.LastLine())
	m := &ast.ArithmeticOpExpr{Operator: "^", Lhs: e, Rhs: one}
	m.SetLine(e.Line())
	m.SetLastLine(e.LastLine())
	return m
}

// numberFor rewrites a numeric for as described above.
func (r *rewriter) numberFor(s *ast.NumberForStmt) ast.Stmt {
	if s.Step != nil {
		if f, ok := constNumber(s.Step); !ok || f == 0 {
			// local (for1), (for2), (for3) = (for)(init, limit, step)
			call := r.helperCall(forLocal, s.Init, s.Init, s.Limit, s.Step)
			call.AdjustRet = false
			names := []string{"(for init)", "(for lim)", "(for stp)"}
			local := &ast.LocalAssignStmt{Names: names, Exprs: []ast.Expr{call}}
			local.SetLine(s.Line())
			local.SetLastLine(s.Line())
			ids := make([]ast.Expr, 3)
			for i, n := range names {
				id := &ast.IdentExpr{Value: n}
				id.SetLine(s.Line())
				id.SetLastLine(s.Line())
				ids[i] = id
			}
			s.Init, s.Limit, s.Step = ids[0], ids[1], ids[2]
			do := &ast.DoBlockStmt{Stmts: []ast.Stmt{local, s}}
			do.SetLine(s.Line())
			do.SetLastLine(s.LastLine())
			return do
		}
	}
	if !numberTyped(s.Init) {
		s.Init = powOne(s.Init)
	}
	if !numberTyped(s.Limit) {
		s.Limit = powOne(s.Limit)
	}
	return s
}

func (r *rewriter) length(e *ast.UnaryLenOpExpr) ast.Expr {
	if _, ok := e.Expr.(*ast.StringExpr); ok {
		return e
	}
	if !r.pass2 {
		r.lenOps = true
		return e
	}
	return r.helperCall(lenLocal, e, e.Expr)
}

// tailYield rewrites "return yield(...)" as described above.
func (r *rewriter) tailYield(s *ast.ReturnStmt) {
	if len(s.Exprs) != 1 {
		return
	}
	call, ok := s.Exprs[0].(*ast.FuncCallExpr)
	if !ok || call.AdjustRet || call.Receiver != nil {
		return
	}
	switch f := call.Func.(type) {
	case *ast.IdentExpr:
		ok = f.Value == "yield"
	case *ast.AttrGetExpr:
		k, isStr := f.Key.(*ast.StringExpr)
		ok = isStr && k.Value == "yield"
	default:
		ok = false
	}
	if ok {
		pass := r.helperCall(passLocal, call, call)
		pass.AdjustRet = false
		s.Exprs[0] = pass
	}
}

// arith rewrites a binary arithmetic in a chunk naming its metamethod (see arith.go).
func (r *rewriter) arith(e *ast.ArithmeticOpExpr) ast.Expr {
	_, lconst := constNumber(e.Lhs)
	_, rconst := constNumber(e.Rhs)
	if lconst && rconst {
		return e
	}
	if !r.pass2 {
		r.arithExprs = true
		return e
	}
	op, ok := arithOps[e.Operator]
	if !ok || !r.sawArith[op.event] {
		return e
	}
	return r.helperCall(op.local, e, e.Lhs, e.Rhs)
}

func (r *rewriter) unm(e *ast.UnaryMinusOpExpr) ast.Expr {
	if f, ok := constNumber(e.Expr); ok {
		if f == 0 && !math.Signbit(f) {
			// -0 as a constant: gopher-lua's constant table holds one entry for 0 and
			// -0 (they compare equal), so the chunk would see one as the other
			r.used[negZero] = true
			id := &ast.IdentExpr{Value: negZero}
			id.SetLine(e.Line())
			id.SetLastLine(e.LastLine())
			return id
		}
		return e
	}
	if !r.pass2 {
		r.unmOps = true
		return e
	}
	return r.helperCall(unmLocal, e, e.Expr)
}

// operandName is how LuaJIT names the value passed to the running native helper: the
// caller's argument register, e.g. "local 't' (a nil value)".
func operandName(L *lua.LState, v lua.LValue) string {
	what := "a " + v.Type().String() + " value"
	fr := frameAt(L, 1)
	if fr == nil || fr.fn.IsG || fr.pc < 0 {
		return what
	}
	inst := fr.fn.Proto.Code[fr.pc]
	if op := opcode(inst); op != lua.OP_CALL && op != lua.OP_TAILCALL {
		return what
	}
	if name := fr.nameOf(argA(inst)+1, fr.pc, 0); name != "" {
		return name + " (" + what + ")"
	}
	return what
}

// nativeLen is a rewritten #x: the raw length of a table or string, __len otherwise.
func nativeLen(L *lua.LState) int {
	v := L.Get(1)
	switch x := v.(type) {
	case *lua.LTable:
		L.Push(lua.LNumber(x.Len()))
		return 1
	case lua.LString:
		L.Push(lua.LNumber(len(x)))
		return 1
	}
	mm := L.GetMetaField(v, "__len")
	if mm == lua.LNil {
		raise(L, "attempt to get length of "+operandName(L, v))
	}
	L.Push(mm)
	L.Push(v)
	L.Call(1, 1)
	return 1
}

// nativeUnm is a rewritten -x: __unm gets the operand twice, as in LuaJIT.
func nativeUnm(L *lua.LState) int {
	v := L.Get(1)
	switch x := v.(type) {
	case lua.LNumber:
		L.Push(-x)
		return 1
	case lua.LString:
		if f, err := parseNumber(string(x)); err == nil {
			L.Push(lua.LNumber(-f))
			return 1
		}
	}
	mm := L.GetMetaField(v, "__unm")
	if mm == lua.LNil {
		raise(L, "attempt to perform arithmetic on "+operandName(L, v))
	}
	L.Push(mm)
	L.Push(v)
	L.Push(v)
	L.Call(2, 1)
	return 1
}

// nativeFor is a rewritten numeric for's (init, limit, step): numeric strings coerced,
// LuaJIT's errors, and for a zero step a limit that makes gopher-lua's loop (which tests
// init >= limit for a step <= 0) run for ever when init <= limit, as LuaJIT's does, and
// never otherwise.
func nativeFor(L *lua.LState) int {
	init := forBound(L, 1, "initial value")
	limit := forBound(L, 2, "limit")
	step := forBound(L, 3, "step")
	if step == 0 {
		if init <= limit {
			limit = math.Inf(-1)
		} else {
			limit = math.Inf(1)
		}
	}
	L.Push(lua.LNumber(init))
	L.Push(lua.LNumber(limit))
	L.Push(lua.LNumber(step))
	return 3
}

func forBound(L *lua.LState, n int, what string) float64 {
	switch v := L.Get(n).(type) {
	case lua.LNumber:
		return float64(v)
	case lua.LString:
		if f, err := parseNumber(string(v)); err == nil {
			return f
		}
	}
	raise(L, "'for' "+what+" must be a number")
	return 0
}

// forBoundError names the bound whose coercion (the "^ 1" numberFor adds) failed at the
// frame's instruction, "" when that instruction is not one.
func (fr *frameInfo) forBoundError() string {
	if fr.fn.IsG || fr.pc < 0 {
		return ""
	}
	p := fr.fn.Proto
	inst := p.Code[fr.pc]
	if opcode(inst) != lua.OP_POW {
		return ""
	}
	c := argC(inst)
	if c&rkBit == 0 || c&^rkBit >= len(p.Constants) || p.Constants[c&^rkBit] != lua.LNumber(1) {
		return ""
	}
	a := argA(inst)
	for i := fr.pc + 1; i < len(p.Code) && i <= fr.pc+256; i++ {
		switch opcode(p.Code[i]) {
		case lua.OP_CALL, lua.OP_TAILCALL, lua.OP_RETURN, lua.OP_SETLIST, lua.OP_CONCAT:
			if argA(p.Code[i]) <= a || opcode(p.Code[i]) == lua.OP_CONCAT && argB(p.Code[i]) <= a {
				return "" // the value is consumed by something else: a script's own x ^ 1
			}
			continue
		case lua.OP_FORPREP:
		default:
			continue
		}
		switch a - argA(p.Code[i]) {
		case 0:
			return "'for' initial value must be a number"
		case 1:
			return "'for' limit must be a number"
		}
		return ""
	}
	return ""
}

// genericFor is "for k, v in e1, e2, e3 do body end" as
//
//	do
//	  local (for generator), (for state), (for control) = e1, e2, e3
//	  while true do
//	    local k, v = (for generator)((for state), (for control))
//	    if k == nil then break end
//	    (for control) = k
//	    body
//	  end
//	end
func genericFor(s *ast.GenericForStmt) ast.Stmt {
	line := s.Line()
	at := func(n interface {
		SetLine(int)
		SetLastLine(int)
	}) {
		n.SetLine(line)
		n.SetLastLine(line)
	}
	ident := func(name string) *ast.IdentExpr {
		id := &ast.IdentExpr{Value: name}
		at(id)
		return id
	}
	const gen, state, control = "(for generator)", "(for state)", "(for control)"
	hidden := &ast.LocalAssignStmt{Names: []string{gen, state, control}, Exprs: s.Exprs}
	at(hidden)
	call := &ast.FuncCallExpr{Func: ident(gen), Args: []ast.Expr{ident(state), ident(control)}}
	at(call)
	vars := &ast.LocalAssignStmt{Names: s.Names, Exprs: []ast.Expr{call}}
	at(vars)
	nilx := &ast.NilExpr{}
	at(nilx)
	cond := &ast.RelationalOpExpr{Operator: "==", Lhs: ident(s.Names[0]), Rhs: nilx}
	at(cond)
	brk := &ast.BreakStmt{}
	at(brk)
	stop := &ast.IfStmt{Condition: cond, Then: []ast.Stmt{brk}, Else: []ast.Stmt{}}
	at(stop)
	next := &ast.AssignStmt{Lhs: []ast.Expr{ident(control)}, Rhs: []ast.Expr{ident(s.Names[0])}}
	at(next)
	body := append([]ast.Stmt{vars, stop, next}, s.Stmts...)
	tru := &ast.TrueExpr{}
	at(tru)
	loop := &ast.WhileStmt{Condition: tru, Stmts: body}
	loop.SetLine(line)
	loop.SetLastLine(s.LastLine())
	do := &ast.DoBlockStmt{Stmts: []ast.Stmt{hidden, loop}}
	do.SetLine(line)
	do.SetLastLine(s.LastLine())
	return do
}
