package luajit

import (
	"math"

	lua "github.com/yuin/gopher-lua"
)

// prng is LuaJIT 2.1's math.random generator: a combined Tausworthe generator with
// period 2^223 ("TW223"), four 64-bit words of state. One per Lua state.
type prng struct {
	u [4]uint64
}

// tw is one TW223 component step: k significant bits, shifts q and s.
func tw(z uint64, k, q, s uint) uint64 {
	return (((z << q) ^ z) >> (k - s)) ^ ((z & (^uint64(0) << (64 - k))) << s)
}

// next returns the bit pattern of a double in [1.0, 2.0).
func (r *prng) next() uint64 {
	r.u[0] = tw(r.u[0], 63, 31, 18)
	r.u[1] = tw(r.u[1], 58, 19, 28)
	r.u[2] = tw(r.u[2], 55, 24, 7)
	r.u[3] = tw(r.u[3], 47, 21, 8)
	x := r.u[0] ^ r.u[1] ^ r.u[2] ^ r.u[3]
	return x&0x000fffffffffffff | 0x3ff0000000000000
}

// seed is LuaJIT's math.randomseed(d): each word is the bit pattern of
// d = d*pi + e (chained), with its top bits forced non-zero, then 10 warm-up steps.
func (r *prng) seed(d float64) {
	shifts := uint32(0x11090601) // 64-k for the four components, 8 bits each
	for i := 0; i < 4; i++ {
		m := uint64(1) << (shifts & 255)
		shifts >>= 8
		d = float64(d*math.Pi) + math.E // no fused multiply-add: match C's rounding
		u := math.Float64bits(d)
		if u < m {
			u += m
		}
		r.u[i] = u
	}
	for i := 0; i < 10; i++ {
		r.next()
	}
}

// float returns the next value in [0, 1).
func (r *prng) float() float64 {
	return math.Float64frombits(r.next()) - 1.0
}

func newRandomFuncs(L *lua.LState) (random, randomseed *lua.LFunction) {
	rs := &prng{}
	rs.seed(0) // nginx never seeds: a fresh worker starts here (first random(1000) is 795)
	random = L.NewFunction(func(L *lua.LState) int {
		n := L.GetTop()
		d := rs.float()
		if n > 0 {
			r1 := checkNum(L, 1)
			if n == 1 {
				d = math.Floor(d*r1) + 1.0
			} else {
				r2 := checkNum(L, 2)
				d = math.Floor(d*(r2-r1+1.0)) + r1
			}
		}
		L.Push(lua.LNumber(d))
		return 1
	})
	randomseed = L.NewFunction(func(L *lua.LState) int {
		rs.seed(checkNum(L, 1))
		return 0
	})
	return random, randomseed
}
