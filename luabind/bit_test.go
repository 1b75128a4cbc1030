package luabind

import (
	"strconv"
	"testing"

	lua "github.com/yuin/gopher-lua"
)

func TestBitReference(t *testing.T) { ngxStrRunRef(t, bitRefCases) }

var bitRefCases = []ngxStrRefCase{
	{`T("tobit 2^32+1", bit.tobit, 2^32+1)`, `tobit 2^32+1 => number:1`},
	{`T("tobit 0xffffffff", bit.tobit, 0xffffffff)`, `tobit 0xffffffff => number:-1`},
	{`T("tobit -1", bit.tobit, -1)`, `tobit -1 => number:-1`},
	{`T("tobit 1.5", bit.tobit, 1.5)`, `tobit 1.5 => number:2`},
	{`T("tobit 2.5", bit.tobit, 2.5)`, `tobit 2.5 => number:2`},
	{`T("tobit -1.5", bit.tobit, -1.5)`, `tobit -1.5 => number:-2`},
	{`T("tobit 0.5", bit.tobit, 0.5)`, `tobit 0.5 => number:0`},
	{`T("tobit 2^52", bit.tobit, 2^52)`, `tobit 2^52 => number:0`},
	{`T("tobit 2^52+3", bit.tobit, 2^52+3)`, `tobit 2^52+3 => number:2`},
	{`T("tobit 2^53+2", bit.tobit, 2^53+2)`, `tobit 2^53+2 => number:1`},
	{`T("tobit 2^60+12345", bit.tobit, 2^60+2^40)`, `tobit 2^60+12345 => number:0`},
	{`T("tobit -2^60", bit.tobit, -2^60)`, `tobit -2^60 => number:0`},
	{`T("tobit 1e20", bit.tobit, 1e20)`, `tobit 1e20 => number:2025163840`},
	{`T("tobit -1e20", bit.tobit, -1e20)`, `tobit -1e20 => number:2025163840`},
	{`T("tobit 2^51", bit.tobit, 2^51)`, `tobit 2^51 => number:0`},
	{`T("tobit -2^51", bit.tobit, -2^51)`, `tobit -2^51 => number:0`},
	{`T("tobit 2^51+2^31", bit.tobit, 2^51+2^31)`, `tobit 2^51+2^31 => number:1073741824`},
	{`T("tobit inf", bit.tobit, 1/0)`, `tobit inf => number:0`},
	{`T("tobit -inf", bit.tobit, -1/0)`, `tobit -inf => number:0`},
	{`T("tobit nan", bit.tobit, 0/0)`, `tobit nan => number:0`},
	{`T("tobit str", bit.tobit, "0x10")`, `tobit str => number:16`},
	{`T("tobit str2", bit.tobit, " 12 ")`, `tobit str2 => number:12`},
	{`T("tobit badstr", bit.tobit, "x")`, `tobit badstr !! bad argument #1 to '?' (number expected, got string)`},
	{`T("tobit nil", bit.tobit, nil)`, `tobit nil !! bad argument #1 to '?' (number expected, got nil)`},
	{`T("tobit none", bit.tobit)`, `tobit none !! bad argument #1 to '?' (number expected, got no value)`},
	{`T("tobit 2^31", bit.tobit, 2^31)`, `tobit 2^31 => number:-2147483648`},
	{`T("tobit -2^31-1", bit.tobit, -2^31-1)`, `tobit -2^31-1 => number:2147483647`},
	{`T("tobit 3.9999", bit.tobit, 3.9999)`, `tobit 3.9999 => number:4`},
	{`T("tobit -0", bit.tobit, -0.0)`, `tobit -0 => number:0`},
	{`T("tobit 1e-300", bit.tobit, 1e-300)`, `tobit 1e-300 => number:0`},
	{`T("tobit 2^32-0.5", bit.tobit, 2^32-0.5)`, `tobit 2^32-0.5 => number:0`},
	{`T("band ff", bit.band, 0xffffffff, 0xffffffff)`, `band ff => number:-1`},
	{`T("band 1", bit.band, 7)`, `band 1 => number:7`},
	{`T("band many", bit.band, 0xff, 0xf0f, 0x3c)`, `band many => number:12`},
	{`T("band none", bit.band)`, `band none !! bad argument #1 to '?' (number expected, got no value)`},
	{`T("band nil2", bit.band, 1, nil)`, `band nil2 !! bad argument #2 to '?' (number expected, got nil)`},
	{`T("band str2", bit.band, 1, "a")`, `band str2 !! bad argument #2 to '?' (number expected, got string)`},
	{`T("bor", bit.bor, 1, 2, 4, 0x80000000)`, `bor => number:-2147483641`},
	{`T("bxor", bit.bxor, 0xff, 0x0f, 1)`, `bxor => number:241`},
	{`T("bnot 0", bit.bnot, 0)`, `bnot 0 => number:-1`},
	{`T("bnot 0x7fffffff", bit.bnot, 0x7fffffff)`, `bnot 0x7fffffff => number:-2147483648`},
	{`T("bnot two", bit.bnot, 1, 2)`, `bnot two => number:-2`},
	{`T("lshift", bit.lshift, 1, 31)`, `lshift => number:-2147483648`},
	{`T("lshift 32", bit.lshift, 1, 32)`, `lshift 32 => number:1`},
	{`T("lshift 33", bit.lshift, 1, 33)`, `lshift 33 => number:2`},
	{`T("lshift -1", bit.lshift, 1, -1)`, `lshift -1 => number:-2147483648`},
	{`T("lshift 1.5", bit.lshift, 1, 1.5)`, `lshift 1.5 => number:4`},
	{`T("lshift 2.5", bit.lshift, 1, 2.5)`, `lshift 2.5 => number:4`},
	{`T("rshift", bit.rshift, -1, 28)`, `rshift => number:15`},
	{`T("rshift 0", bit.rshift, -256, 0)`, `rshift 0 => number:-256`},
	{`T("arshift", bit.arshift, -256, 4)`, `arshift => number:-16`},
	{`T("arshift 31", bit.arshift, 0x80000000, 31)`, `arshift 31 => number:-1`},
	{`T("rol", bit.rol, 0x12345678, 12)`, `rol => number:1164411171`},
	{`T("ror", bit.ror, 0x12345678, 12)`, `ror => number:1736516421`},
	{`T("rol 0", bit.rol, 0x12345678, 0)`, `rol 0 => number:305419896`},
	{`T("rol -4", bit.rol, 0x12345678, -4)`, `rol -4 => number:-2128394905`},
	{`T("ror 36", bit.ror, 0x12345678, 36)`, `ror 36 => number:-2128394905`},
	{`T("bswap", bit.bswap, 0x12345678)`, `bswap => number:2018915346`},
	{`T("bswap2", bit.bswap, 0xff)`, `bswap2 => number:-16777216`},
	{`T("lshift nil", bit.lshift, 1)`, `lshift nil !! bad argument #2 to '?' (number expected, got no value)`},
	{`T("lshift none", bit.lshift)`, `lshift none !! bad argument #1 to '?' (number expected, got no value)`},
	{`T("tohex 1", bit.tohex, 1)`, `tohex 1 => "00000001"`},
	{`T("tohex -1", bit.tohex, -1)`, `tohex -1 => "ffffffff"`},
	{`T("tohex neg n", bit.tohex, 0xabcdef, -4)`, `tohex neg n => "CDEF"`},
	{`T("tohex n=2", bit.tohex, 0xabcdef, 2)`, `tohex n=2 => "ef"`},
	{`T("tohex n=10", bit.tohex, 0xabcdef, 10)`, `tohex n=10 => "0000abcdef"`},
	{`T("tohex n=16", bit.tohex, 1, 16)`, `tohex n=16 => "0000000000000001"`},
	{`T("tohex n=-16", bit.tohex, -1, -16)`, `tohex n=-16 => "00000000FFFFFFFF"`},
	{`T("tohex n=0", bit.tohex, 0xabcdef, 0)`, `tohex n=0 => ""`},
	{`T("tohex n=300", function() return #bit.tohex(1, 300) end)`, `tohex n=300 => number:254`},
	{`T("tohex n=-2^31", function() return #bit.tohex(1, -2^31) end)`, `tohex n=-2^31 => number:254`},
	{`T("tohex n=nil", bit.tohex, 1, nil)`, `tohex n=nil !! bad argument #2 to '?' (number expected, got nil)`},
	{`T("tohex n=str", bit.tohex, 1, "x")`, `tohex n=str !! bad argument #2 to '?' (number expected, got string)`},
	{`T("tohex 2^32+255", bit.tohex, 2^32+255)`, `tohex 2^32+255 => "000000ff"`},
	{`T("tohex n=1.5", bit.tohex, 255, 1.5)`, `tohex n=1.5 => "ff"`},
	{`T("tohex n=-9", bit.tohex, 255, -9)`, `tohex n=-9 => "0000000FF"`},
	{`T("tohex none", bit.tohex)`, `tohex none !! bad argument #1 to '?' (number expected, got no value)`},
	{`T("lshift sh str", bit.lshift, "1", "4")`, `lshift sh str => number:16`},
	{`T("rol nil", function() local r = bit.rol(nil, 1) return r end)`, `rol nil !! POS: bad argument #1 to 'rol' (number expected, got nil)`},
	{`T("band direct", function() local r = bit.band(1, {}) return r end)`, `band direct !! POS: bad argument #2 to 'band' (number expected, got table)`},
	{`T("tobit direct", function() local r = bit.tobit() return r end)`, `tobit direct !! POS: bad argument #1 to 'tobit' (number expected, got no value)`},
	{`T("tohex direct", function() local r = bit.tohex(1, true) return r end)`, `tohex direct !! POS: bad argument #2 to 'tohex' (number expected, got boolean)`},
	{`T("band 2^53 frac", bit.band, 2^52 + 0.5, 0xffffffff)`, `band 2^53 frac => number:0`},
	{`T("fields", function() local t = {} for k in pairs(bit) do t[#t+1] = k end table.sort(t) return table.concat(t, ",") end)`, `fields => "arshift,band,bnot,bor,bswap,bxor,lshift,rol,ror,rshift,tobit,tohex"`},
	{`T("type", function() return type(bit.band(1,1)), math.type and 1 end)`, `type => "number", nil:nil`},
	{`T("tostring", function() return tostring(bit.lshift(1, 31)), tostring(bit.tobit(2^31)) end)`, `tostring => "-2147483648", "-2147483648"`},
	{`T("bit direct", function() local r = bit.band(nil) return r end)`, `bit direct !! POS: bad argument #1 to 'band' (number expected, got nil)`},
	{`T("bit local", function() local band = bit.band; local r = band(nil) return r end)`, `bit local !! POS: bad argument #1 to 'band' (number expected, got nil)`},
}

// lj_num2bit on values around every precision edge, observed in LuaJIT 2.1: the value as
// %.17g, bit.tobit of it, then tohex(v, -8), bswap, rol(v, 7), arshift(v, 3), bxor(v, 0x5a5a5a5a).
func TestBitNormalisation(t *testing.T) {
	cases := []struct {
		in   string
		want int32
		ops  string
	}{
		{"0", 0, "00000000 0 0 0 1515870810"},
		{"1", 1, "00000001 16777216 128 0 1515870811"},
		{"-1", -1, "FFFFFFFF -1 -1 -1 -1515870811"},
		{"0.49999999999999994", 0, "00000000 0 0 0 1515870810"},
		{"1.4999998999999999", 1, "00000001 16777216 128 0 1515870811"},
		{"3.5", 4, "00000004 67108864 512 0 1515870814"},
		{"-3.5", -4, "FFFFFFFC -50331649 -385 -1 -1515870810"},
		{"4.5", 4, "00000004 67108864 512 0 1515870814"},
		{"2147483647.5", -2147483648, "80000000 128 64 -268435456 -631612838"},
		{"2147483648.5", -2147483648, "80000000 128 64 -268435456 -631612838"},
		{"-2147483648.5", -2147483648, "80000000 128 64 -268435456 -631612838"},
		{"4294967296", 0, "00000000 0 0 0 1515870810"},
		{"6442450944", -2147483648, "80000000 128 64 -268435456 -631612838"},
		{"8589934599", 7, "00000007 117440512 896 0 1515870813"},
		{"281474976723001.75", 12346, "0000303A 976224256 1580288 1543 1515874912"},
		{"1125899906842623", -1, "FFFFFFFF -1 -1 -1 -1515870811"},
		{"2251799813685247.5", 0, "00000000 0 0 0 1515870810"},
		{"2251799813685249", 0, "00000000 0 0 0 1515870810"},
		{"4503599627370495", 0, "00000000 0 0 0 1515870810"},
		{"4503599627370497", 0, "00000000 0 0 0 1515870810"},
		{"9007199254740991", 0, "00000000 0 0 0 1515870810"},
		{"9007199254740992", 0, "00000000 0 0 0 1515870810"},
		{"18014398509481988", 1, "00000001 16777216 128 0 1515870811"},
		{"4.6116860184273879e+18", 0, "00000000 0 0 0 1515870810"},
		{"9.2233720368547758e+18", 0, "00000000 0 0 0 1515870810"},
		{"1.8446744073709552e+19", 0, "00000000 0 0 0 1515870810"},
		{"1.180591620718485e+21", 4096, "00001000 1048576 524288 512 1515866714"},
		{"10000000000000000", 937459712, "37E08000 8446007 -264241125 117182464 1840962138"},
		{"1e+17", -2049400832, "85D8A000 10541189 -330301374 -256175104 -545064358"},
		{"123456789012.345", -1097262572, "BE991A14 337287614 1284311647 -137157822 -456966066"},
		{"-123456789012.345", 1097262572, "4166E5EC -320510399 -1284311520 137157821 456966070"},
		{"-4503599627370499", -12, "FFFFFFF4 -184549377 -1409 -2 -1515870802"},
		{"-9007199254740994", 4, "00000004 67108864 512 0 1515870814"},
		{"1.0000000000000001e+300", -2013235812, "8800759C -1670053752 3853892 -251654477 -765841466"},
		{"-1.0000000000000001e+300", -2013235812, "8800759C -1670053752 3853892 -251654477 -765841466"},
		{"4.9406564584124654e-324", 0, "00000000 0 0 0 1515870810"},
		{"2147483647", 2147483647, "7FFFFFFF -129 -65 268435455 631612837"},
		{"2147483648", -2147483648, "80000000 128 64 -268435456 -631612838"},
		{"3735928559", -559038737, "DEADBEEF -272716322 1457485807 -69879843 -2064128843"},
		{"-3735928559", 559038737, "21524111 289493537 -1457485680 69879842 2064128843"},
	}
	for _, c := range cases {
		v, err := strconv.ParseFloat(c.in, 64)
		if err != nil {
			t.Fatal(err)
		}
		if got := bitNum2Bit(v); got != c.want {
			t.Errorf("num2bit(%s) = %d, want %d", c.in, got, c.want)
		}
		L := ngxStrTestState(t)
		L.SetGlobal("v", lua.LNumber(v))
		if err := L.DoString(`r = bit.tohex(v, -8) .. " " .. bit.bswap(v) .. " " .. bit.rol(v, 7) .. " " .. bit.arshift(v, 3) .. " " .. bit.bxor(v, 0x5a5a5a5a)`); err != nil {
			t.Fatal(err)
		}
		if got := L.GetGlobal("r").String(); got != c.ops {
			t.Errorf("ops(%s) = %q, want %q", c.in, got, c.ops)
		}
	}
}
