package luajit

import (
	"strconv"

	"github.com/yuin/gopher-lua/ast"
)

// multiAssign rewrites a multiple assignment so that gopher-lua computes it as Lua does:
//
//	a, t[k] = e1, e2
//
// becomes
//
//	do local (t 2), (k 2) = t, k; local (assign 1), (assign 2) = e1, e2
//	   (t 2)[(k 2)] = (assign 2); a = (assign 1) end
//
// Lua evaluates every expression of a multiple assignment before it assigns any (Lua 5.1
// manual §2.4.3; LuaJIT evaluates an indexed target's table and key first, then the
// values), but gopher-lua v1.1.2's compiler evaluates a value straight into a local
// target's register, so a later expression reads the new value: "a, b = a + 1, a + b" sets
// b from the new a (yuin/gopher-lua#440), "e, t = e[1], e[2]" indexes the number just
// assigned, "b, s.y = b + 1, b" stores the new b, and after a generic for a call in such a
// statement can read a stale register. Local statements into fresh registers have none of
// these problems, and the assignments that follow only move values between registers that
// nothing else writes. Single assignments are left alone.
func multiAssign(s *ast.AssignStmt) ast.Stmt {
	if len(s.Lhs) < 2 {
		return s
	}
	line, last := s.Line(), s.LastLine()
	at := func(n interface {
		SetLine(int)
		SetLastLine(int)
	}) {
		n.SetLine(line)
		n.SetLastLine(last)
	}
	ident := func(name string) *ast.IdentExpr {
		id := &ast.IdentExpr{Value: name}
		at(id)
		return id
	}
	assigned := map[string]bool{}
	for _, e := range s.Lhs {
		if id, ok := e.(*ast.IdentExpr); ok {
			assigned[id.Value] = true
		}
	}
	// stable: an operand that reads the same before and after the values are computed and
	// the names assigned, so it keeps its place (and its name in error messages).
	stable := func(e ast.Expr) bool {
		if id, ok := e.(*ast.IdentExpr); ok {
			return !assigned[id.Value]
		}
		return constantKey(e)
	}
	var block []ast.Stmt
	targets := make([]ast.Expr, len(s.Lhs))
	for i, e := range s.Lhs {
		targets[i] = e
		ix, ok := e.(*ast.AttrGetExpr)
		if !ok || (stable(ix.Object) && stable(ix.Key)) {
			continue
		}
		n := strconv.Itoa(i + 1)
		var names []string
		var exprs []ast.Expr
		obj, key := ix.Object, ix.Key
		if !stable(obj) {
			names, exprs = append(names, "(t "+n+")"), append(exprs, obj)
			obj = ident(names[len(names)-1])
		}
		if !stable(key) {
			names, exprs = append(names, "(k "+n+")"), append(exprs, key)
			key = ident(names[len(names)-1])
		}
		local := &ast.LocalAssignStmt{Names: names, Exprs: exprs}
		at(local)
		block = append(block, local)
		target := &ast.AttrGetExpr{Object: obj, Key: key}
		at(target)
		targets[i] = target
	}
	names := make([]string, len(s.Lhs))
	values := make([]ast.Expr, len(s.Lhs))
	for i := range s.Lhs {
		names[i] = "(assign " + strconv.Itoa(i+1) + ")"
		values[i] = ident(names[i])
	}
	local := &ast.LocalAssignStmt{Names: names, Exprs: s.Rhs}
	at(local)
	block = append(block, local)
	// One assignment per target, the last first, as LuaJIT stores them (so in "a, a = 1, 2"
	// the first wins); gopher-lua's multiple store is itself unreliable ("i, a[k] = v1, v2"
	// with a global i leaves i unchanged).
	for i := len(targets) - 1; i >= 0; i-- {
		assign := &ast.AssignStmt{Lhs: []ast.Expr{targets[i]}, Rhs: []ast.Expr{values[i]}}
		at(assign)
		block = append(block, assign)
	}
	do := &ast.DoBlockStmt{Stmts: block}
	at(do)
	return do
}

// constantKey reports whether an index key is a constant, which needs no register of its own.
func constantKey(e ast.Expr) bool {
	switch e.(type) {
	case *ast.StringExpr, *ast.NumberExpr, *ast.TrueExpr, *ast.FalseExpr:
		return true
	}
	return false
}
