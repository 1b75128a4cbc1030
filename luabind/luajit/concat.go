package luajit

import (
	"strings"

	lua "github.com/yuin/gopher-lua"
	"github.com/yuin/gopher-lua/ast"
)

// The ".." operator as LuaJIT evaluates it. gopher-lua's VM turns a number operand into a
// string with its own LNumber.String ("1e15" gives "1000000000000000", 1/3 gives 17 digits,
// -0 gives "0"), which cannot be replaced from outside the VM. Compile therefore rewrites,
// between parse.Parse and lua.Compile, every concatenation chain that has an operand which
// may be a number (anything but a string constant: a name, a call, an index, arithmetic)
// into a call of a native function that formats numbers as LuaJIT does ("%.14g") and
// otherwise behaves as the operator: strings and numbers joined in one allocation, the
// __concat metamethods called pairwise from the right as the VM does, LuaJIT's error
// ("attempt to concatenate a nil value"). A number constant operand is formatted at
// compile time, and chains of string constants stay the VM's own OP_CONCAT.
//
// The native function is reached through an upvalue, not a global (an environment set
// with setfenv cannot hide it): the chunk is compiled as the body of a function nested in
// a wrapper that declares the local concatLocal, and the nested function's prototype is
// the chunk's. NewFunction fills that upvalue when the chunk is instantiated.

// concatLocal is the name of the local holding the native concat; not a valid Lua name, so
// no script can refer to it.
const concatLocal = "(concat)"

// MaxStringLen is the longest string LuaJIT 2.1 makes (LJ_MAX_STR); longer ones fail
// with "string length overflow".
const MaxStringLen = 0x7fffff00

func init() {
	// LuaJIT 2.1 has no Lua 5.0 "arg" table in vararg functions; without this, gopher-lua's
	// compiler declares one in every vararg function but a main chunk (and the chunk body
	// Compile nests would shadow the global arg).
	lua.CompatVarArg = false
}

// Compile compiles a parsed chunk with LuaJIT's concatenation (see above) and the other
// rewrites of rewrite.go; its result is instantiated with NewFunction.
func Compile(chunk []ast.Stmt, name string) (*lua.FunctionProto, error) {
	r := &rewriter{used: map[string]bool{}}
	r.stmts(chunk)
	if (r.sawLen && r.lenOps) || (r.sawUnm && r.unmOps) || (r.sawYield && r.forIns) || (len(r.sawArith) > 0 && r.arithExprs) {
		r.pass2 = true
		r.stmts(chunk)
	}
	if len(r.used) == 0 {
		return lua.Compile(chunk, name)
	}
	body := &ast.FunctionExpr{ParList: &ast.ParList{HasVargs: true, Names: []string{}}, Stmts: chunk}
	if len(chunk) > 0 {
		body.SetLastLine(chunk[len(chunk)-1].LastLine() + 1)
	}
	var locals []string
	for _, h := range helperOrder {
		if r.used[h] {
			locals = append(locals, h)
		}
	}
	wrapper := []ast.Stmt{
		&ast.LocalAssignStmt{Names: locals},
		&ast.ReturnStmt{Exprs: []ast.Expr{body}},
	}
	proto, err := lua.Compile(wrapper, name)
	if err != nil {
		return nil, err
	}
	return proto.FunctionPrototypes[0], nil
}

// NewFunction instantiates a prototype made by Compile (or any other) in L, filling the
// upvalues that hold the rewrites' native functions.
func NewFunction(L *lua.LState, proto *lua.FunctionProto) *lua.LFunction {
	fn := L.NewFunctionFromProto(proto)
	if proto.NumUpvalues > 0 {
		for i, name := range proto.DbgUpvalues {
			if uv, ok := helperUpvalues[name]; ok && i < len(fn.Upvalues) {
				fn.Upvalues[i] = uv
			}
		}
	}
	return fn
}

// nativeConcat is a rewritten "a .. b .. c": nativeConcat(a, b, c).
func nativeConcat(L *lua.LState) int {
	n := L.GetTop()
	size := 0
	simple := true
	for i := 1; i <= n; i++ {
		switch v := L.Get(i).(type) {
		case lua.LString:
			size += len(v)
		case lua.LNumber:
			size += 14
		default:
			simple = false
		}
	}
	if simple {
		var b strings.Builder
		b.Grow(size)
		for i := 1; i <= n; i++ {
			switch v := L.Get(i).(type) {
			case lua.LString:
				b.WriteString(string(v))
			case lua.LNumber:
				b.WriteString(FormatNumber(float64(v)))
			}
		}
		if b.Len() > MaxStringLen {
			raise(L, "string length overflow")
		}
		L.Push(lua.LString(b.String()))
		return 1
	}
	// as the VM: from the right, runs of strings and numbers joined, __concat otherwise
	vals := make([]lua.LValue, n)
	for i := range vals {
		vals[i] = L.Get(i + 1)
	}
	for len(vals) > 1 {
		top := len(vals)
		a, b := vals[top-2], vals[top-1]
		if strOrNum(a) && strOrNum(b) {
			j := top - 2
			for j > 0 && strOrNum(vals[j-1]) {
				j--
			}
			var sb strings.Builder
			for _, v := range vals[j:] {
				sb.WriteString(concatPiece(v))
			}
			if sb.Len() > MaxStringLen {
				raise(L, "string length overflow")
			}
			vals = append(vals[:j], lua.LString(sb.String()))
			continue
		}
		mm := L.GetMetaField(a, "__concat")
		if mm == lua.LNil {
			mm = L.GetMetaField(b, "__concat")
		}
		if mm == lua.LNil {
			bad := a
			if strOrNum(a) {
				bad = b
			}
			raise(L, "attempt to concatenate "+concatOperandName(L, bad, n))
		}
		L.Push(mm)
		L.Push(a)
		L.Push(b)
		L.Call(2, 1)
		r := L.Get(-1)
		L.Pop(1)
		vals = append(vals[:top-2], r)
	}
	L.Push(vals[0])
	return 1
}

// concatOperandName names the operand bad of a rewritten concatenation of n operands as
// LuaJIT does ("local 'x' (a nil value)"): the rightmost argument holding it, read in the
// caller's registers.
func concatOperandName(L *lua.LState, bad lua.LValue, n int) string {
	what := "a " + bad.Type().String() + " value"
	fr := frameAt(L, 1)
	if fr == nil || fr.fn.IsG || fr.pc < 0 {
		return what
	}
	inst := fr.fn.Proto.Code[fr.pc]
	if op := opcode(inst); op != lua.OP_CALL && op != lua.OP_TAILCALL {
		return what
	}
	for j := n; j >= 1; j-- {
		if L.Get(j) == bad {
			if name := fr.nameOf(argA(inst)+j, fr.pc, 0); name != "" {
				return name + " (" + what + ")"
			}
			break
		}
	}
	return what
}

func strOrNum(v lua.LValue) bool {
	switch v.(type) {
	case lua.LString, lua.LNumber:
		return true
	}
	return false
}

func concatPiece(v lua.LValue) string {
	if n, ok := v.(lua.LNumber); ok {
		return FormatNumber(float64(n))
	}
	return string(v.(lua.LString))
}

// rewriter walks a chunk, rewriting it in place: concatenations here, the rest in
// rewrite.go. The first pass does every rewrite that is always made and notes whether
// the chunk names __len or __unm; a second pass (pass2) then rewrites only # and unary
// minus, in a chunk that can observe LuaJIT's treatment of those metamethods.
type rewriter struct {
	used           map[string]bool // helper locals the chunk refers to
	pass2          bool
	sawLen, sawUnm bool            // a string "__len" / "__unm" in the chunk
	lenOps, unmOps bool            // a # / unary minus of a non-constant in the chunk
	sawYield       bool            // the name or field "yield" in the chunk
	sawArith       map[string]bool // arithmetic events ("__add", ...) named in the chunk
	arithExprs     bool            // a binary arithmetic of a non-constant in the chunk
	forIns         bool            // a generic for in the chunk
}

func (r *rewriter) stmts(ss []ast.Stmt) {
	for i, s := range ss {
		ss[i] = r.stmt(s)
	}
}

func (r *rewriter) exprs(es []ast.Expr) {
	for i := range es {
		es[i] = r.expr(es[i])
	}
}

func (r *rewriter) stmt(s ast.Stmt) ast.Stmt {
	switch s := s.(type) {
	case *ast.AssignStmt:
		r.exprs(s.Lhs)
		r.exprs(s.Rhs)
		if !r.pass2 {
			return multiAssign(s)
		}
	case *ast.LocalAssignStmt:
		r.exprs(s.Exprs)
	case *ast.FuncCallStmt:
		s.Expr = r.expr(s.Expr)
	case *ast.DoBlockStmt:
		r.stmts(s.Stmts)
	case *ast.WhileStmt:
		s.Condition = r.expr(s.Condition)
		r.stmts(s.Stmts)
	case *ast.RepeatStmt:
		r.stmts(s.Stmts)
		s.Condition = r.expr(s.Condition)
	case *ast.IfStmt:
		s.Condition = r.expr(s.Condition)
		r.stmts(s.Then)
		r.stmts(s.Else)
	case *ast.NumberForStmt:
		s.Init = r.expr(s.Init)
		s.Limit = r.expr(s.Limit)
		if s.Step != nil {
			s.Step = r.expr(s.Step)
		}
		r.stmts(s.Stmts)
		if !r.pass2 {
			return r.numberFor(s)
		}
	case *ast.GenericForStmt:
		r.exprs(s.Exprs)
		r.stmts(s.Stmts)
		r.forIns = true
		if r.pass2 && r.sawYield {
			return genericFor(s)
		}
	case *ast.FuncDefStmt:
		if s.Name != nil {
			if s.Name.Func != nil {
				s.Name.Func = r.expr(s.Name.Func)
			}
			if s.Name.Receiver != nil {
				s.Name.Receiver = r.expr(s.Name.Receiver)
			}
		}
		r.expr(s.Func)
	case *ast.ReturnStmt:
		r.exprs(s.Exprs)
		if !r.pass2 {
			r.tailYield(s)
		}
	}
	return s
}

func (r *rewriter) expr(e ast.Expr) ast.Expr {
	switch e := e.(type) {
	case nil:
		return nil
	case *ast.AttrGetExpr:
		e.Object = r.expr(e.Object)
		e.Key = r.expr(e.Key)
	case *ast.TableExpr:
		for _, f := range e.Fields {
			if f.Key != nil {
				f.Key = r.expr(f.Key)
			}
			f.Value = r.expr(f.Value)
		}
	case *ast.FuncCallExpr:
		if e.Func != nil {
			e.Func = r.expr(e.Func)
		}
		if e.Receiver != nil {
			e.Receiver = r.expr(e.Receiver)
		}
		r.exprs(e.Args)
	case *ast.LogicalOpExpr:
		e.Lhs = r.expr(e.Lhs)
		e.Rhs = r.expr(e.Rhs)
	case *ast.RelationalOpExpr:
		e.Lhs = r.expr(e.Lhs)
		e.Rhs = r.expr(e.Rhs)
	case *ast.ArithmeticOpExpr:
		e.Lhs = r.expr(e.Lhs)
		e.Rhs = r.expr(e.Rhs)
		return r.arith(e)
	case *ast.UnaryMinusOpExpr:
		e.Expr = r.expr(e.Expr)
		return r.unm(e)
	case *ast.UnaryNotOpExpr:
		e.Expr = r.expr(e.Expr)
	case *ast.UnaryLenOpExpr:
		e.Expr = r.expr(e.Expr)
		return r.length(e)
	case *ast.FunctionExpr:
		r.stmts(e.Stmts)
	case *ast.StringConcatOpExpr:
		if r.pass2 {
			e.Lhs = r.expr(e.Lhs)
			e.Rhs = r.expr(e.Rhs)
			return e
		}
		return r.concat(e)
	case *ast.StringExpr:
		switch e.Value {
		case "__len":
			r.sawLen = true
		case "__unm":
			r.sawUnm = true
		case "yield":
			r.sawYield = true
		case "__add", "__sub", "__mul", "__div", "__mod", "__pow":
			if r.sawArith == nil {
				r.sawArith = map[string]bool{}
			}
			r.sawArith[e.Value] = true
		}
	case *ast.IdentExpr:
		if e.Value == "yield" {
			r.sawYield = true
		}
	}
	return e
}

// concat rewrites one chain a .. b .. c (parsed as a .. (b .. c)).
func (r *rewriter) concat(e *ast.StringConcatOpExpr) ast.Expr {
	var ops []ast.Expr
	var flatten func(x ast.Expr)
	flatten = func(x ast.Expr) {
		if c, ok := x.(*ast.StringConcatOpExpr); ok {
			flatten(c.Lhs)
			flatten(c.Rhs)
			return
		}
		ops = append(ops, r.expr(x))
	}
	flatten(e)
	constant := true
	for i, op := range ops {
		switch x := op.(type) {
		case *ast.StringExpr:
		case *ast.NumberExpr:
			if f, err := parseNumber(x.Value); err == nil {
				s := &ast.StringExpr{Value: FormatNumber(f)}
				s.SetLine(x.Line())
				s.SetLastLine(x.LastLine())
				ops[i] = s
			} else {
				constant = false
			}
		default:
			constant = false
		}
	}
	if constant {
		// the VM's own concatenation of constants, right-associated as parsed
		out := ops[len(ops)-1]
		for i := len(ops) - 2; i >= 0; i-- {
			c := &ast.StringConcatOpExpr{Lhs: ops[i], Rhs: out}
			c.SetLine(e.Line())
			c.SetLastLine(e.LastLine())
			out = c
		}
		return out
	}
	r.used[concatLocal] = true
	if last, ok := ops[len(ops)-1].(*ast.FuncCallExpr); ok {
		last.AdjustRet = true // an operand is one value, as in the VM's concatenation
	} else if last, ok := ops[len(ops)-1].(*ast.Comma3Expr); ok {
		last.AdjustRet = true
	}
	fn := &ast.IdentExpr{Value: concatLocal}
	fn.SetLine(e.Line())
	fn.SetLastLine(e.LastLine())
	call := &ast.FuncCallExpr{Func: fn, Args: ops, AdjustRet: true}
	call.SetLine(e.Line())
	call.SetLastLine(e.LastLine())
	return call
}

// visibleUpvalue maps a script's upvalue number n of fn (1-based) to gopher-lua's, skipping
// the concatenation upvalue the script never declared; 0 when out of range.
func visibleUpvalue(fn *lua.LFunction, n int) int {
	if fn.IsG || fn.Proto == nil {
		return n
	}
	for i, name := range fn.Proto.DbgUpvalues {
		if _, ok := helperUpvalues[name]; ok {
			continue
		}
		if n--; n == 0 {
			return i + 1
		}
	}
	return 0
}

// debugUpvalue is debug.getupvalue (set false) or debug.setupvalue (set true) without the
// concatenation upvalue.
func debugUpvalue(set bool) lua.LGFunction {
	return func(L *lua.LState) int {
		fn, ok := L.Get(1).(*lua.LFunction)
		if !ok {
			typeError(L, 1, "function")
		}
		idx := visibleUpvalue(fn, checkInt(L, 2))
		if idx == 0 {
			return 0
		}
		if set {
			if L.GetTop() < 3 {
				argError(L, 3, "value expected")
			}
			name := L.SetUpvalue(fn, idx, L.Get(3))
			if name == "" {
				return 0
			}
			L.Push(lua.LString(name))
			return 1
		}
		name, v := L.GetUpvalue(fn, idx)
		if name == "" {
			return 0
		}
		L.Push(lua.LString(name))
		L.Push(v)
		return 2
	}
}
