package luajit

import (
	"math"

	lua "github.com/yuin/gopher-lua"
)

// LuaJIT 2.1's math functions with its argument checks ("bad argument #1 to 'abs' (number
// expected, got no value)"; numeric strings accepted) and results.

func math1(f func(float64) float64) lua.LGFunction {
	return func(L *lua.LState) int {
		L.Push(lua.LNumber(f(checkNum(L, 1))))
		return 1
	}
}

func math2(f func(x, y float64) float64) lua.LGFunction {
	return func(L *lua.LState) int {
		L.Push(lua.LNumber(f(checkNum(L, 1), checkNum(L, 2))))
		return 1
	}
}

var mathFuncs = map[string]lua.LGFunction{
	"abs":   math1(math.Abs),
	"ceil":  math1(math.Ceil),
	"floor": math1(math.Floor),
	"sqrt":  math1(math.Sqrt),
	"sin":   math1(math.Sin),
	"cos":   math1(math.Cos),
	"tan":   math1(math.Tan),
	"asin":  math1(math.Asin),
	"acos":  math1(math.Acos),
	"atan":  math1(math.Atan),
	"sinh":  math1(math.Sinh),
	"cosh":  math1(math.Cosh),
	"tanh":  math1(math.Tanh),
	"exp":   math1(math.Exp),
	"log10": math1(math.Log10),
	"deg":   math1(func(x float64) float64 { return x * (180 / math.Pi) }),
	"rad":   math1(func(x float64) float64 { return x * (math.Pi / 180) }),
	"atan2": math2(math.Atan2),
	"pow":   math2(math.Pow),
	"fmod":  math2(math.Mod),
	"log": func(L *lua.LState) int {
		x := checkNum(L, 1)
		if L.Get(2) == lua.LNil {
			L.Push(lua.LNumber(math.Log(x)))
			return 1
		}
		b := checkNum(L, 2)
		switch b {
		case 2:
			L.Push(lua.LNumber(math.Log2(x)))
		case 10:
			L.Push(lua.LNumber(math.Log10(x)))
		default:
			L.Push(lua.LNumber(math.Log(x) / math.Log(b)))
		}
		return 1
	},
	"modf": func(L *lua.LState) int {
		x := checkNum(L, 1)
		i, f := math.Modf(x)
		if math.IsInf(x, 0) {
			f = 0
		}
		L.Push(lua.LNumber(i))
		L.Push(lua.LNumber(f))
		return 2
	},
	"frexp": func(L *lua.LState) int {
		f, e := math.Frexp(checkNum(L, 1))
		L.Push(lua.LNumber(f))
		L.Push(lua.LNumber(e))
		return 2
	},
	"ldexp": func(L *lua.LState) int {
		L.Push(lua.LNumber(math.Ldexp(checkNum(L, 1), checkInt(L, 2))))
		return 1
	},
	"min": mathMinMax(true),
	"max": mathMinMax(false),
}

func mathMinMax(isMin bool) lua.LGFunction {
	return func(L *lua.LState) int {
		r := checkNum(L, 1)
		for i := 2; i <= L.GetTop(); i++ {
			x := checkNum(L, i)
			if isMin && x < r || !isMin && x > r {
				r = x
			}
		}
		L.Push(lua.LNumber(r))
		return 1
	}
}
