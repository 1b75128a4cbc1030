package luabind

import (
	"sort"
	"strings"
	"testing"

	lua "github.com/yuin/gopher-lua"
)

func TestNgxArgsReference(t *testing.T) { ngxStrRunRef(t, ngxArgsRefCases) }

var ngxArgsRefCases = []ngxStrRefCase{
	{`T("dec basic", ngx.decode_args, "a=1&b&c=&a=2")`, `dec basic => {a={1="1",2="2"},b=boolean:true,c=""}`},
	{`T("dec esc", ngx.decode_args, "a%20b=c+d&%3D=%26")`, `dec esc => {=="&",a b="c d"}`},
	{`T("dec empty", ngx.decode_args, "")`, `dec empty => {}`},
	{`T("dec &&", ngx.decode_args, "&&a=1&&")`, `dec && => {a="1"}`},
	{`T("dec =x", ngx.decode_args, "=x&y")`, `dec =x => {y=boolean:true}`},
	{`T("dec a=b=c", ngx.decode_args, "a=b=c")`, `dec a=b=c => {a="b=c"}`},
	{`T("dec trailing =", ngx.decode_args, "a=")`, `dec trailing = => {a=""}`},
	{`T("dec trailing &", ngx.decode_args, "a&")`, `dec trailing & => {a=boolean:true}`},
	{`T("dec just =", ngx.decode_args, "=")`, `dec just = => {}`},
	{`T("dec multi", ngx.decode_args, "a=1&a=2&a=3&a")`, `dec multi => {a={1="1",2="2",3="3",4=boolean:true}}`},
	{`T("dec max1", ngx.decode_args, "a=1&b=2&c=3", 1)`, `dec max1 => {a="1"}, "truncated"`},
	{`T("dec max2", ngx.decode_args, "a=1&b=2&c=3", 2)`, `dec max2 => {a="1",b="2"}, "truncated"`},
	{`T("dec max3", ngx.decode_args, "a=1&b=2&c=3", 3)`, `dec max3 => {a="1",b="2",c="3"}`},
	{`T("dec max0", ngx.decode_args, "a=1&b=2&c=3", 0)`, `dec max0 => {a="1",b="2",c="3"}`},
	{`T("dec max-1", ngx.decode_args, "a=1&b=2&c=3", -1)`, `dec max-1 => {a="1",b="2",c="3"}`},
	{`T("dec max1 empty", ngx.decode_args, "&b=2&c=3", 1)`, `dec max1 empty => {}, "truncated"`},
	{`T("dec max str", ngx.decode_args, "a=1&b=2&c=3", "2")`, `dec max str => {a="1",b="2"}, "truncated"`},
	{`T("dec max bad", ngx.decode_args, "a=1", "x")`, `dec max bad !! bad argument #2 to '?' (number expected, got string)`},
	{`T("dec max nil", ngx.decode_args, "a=1", nil)`, `dec max nil !! bad argument #2 to '?' (number expected, got nil)`},
	{`T("dec max 1.9", ngx.decode_args, "a=1&b=2&c=3", 1.9)`, `dec max 1.9 => {a="1"}, "truncated"`},
	{`T("dec num", ngx.decode_args, 12)`, `dec num => {12=boolean:true}`},
	{`T("dec nil", ngx.decode_args, nil)`, `dec nil !! bad argument #1 to '?' (string expected, got nil)`},
	{`T("dec none", ngx.decode_args)`, `dec none !! expecting 1 or 2 arguments but seen 0`},
	{`T("dec three", ngx.decode_args, "a", 1, 2)`, `dec three !! expecting 1 or 2 arguments but seen 3`},
	{`T("dec tab", ngx.decode_args, {})`, `dec tab !! bad argument #1 to '?' (string expected, got table)`},
	{`T("dec 150 count", function() local t, e = ngx.decode_args(table.concat((function() local b = {} for i = 1, 150 do b[#b+1] = "k" .. i .. "=" .. i end return b end)(), "&")); local n = 0; for _ in pairs(t) do n = n + 1 end; return n, e end)`, `dec 150 count => number:100, "truncated"`},
	{`T("dec 150 count 0", function() local t, e = ngx.decode_args(table.concat((function() local b = {} for i = 1, 150 do b[#b+1] = "k" .. i .. "=" .. i end return b end)(), "&"), 0); local n = 0; for _ in pairs(t) do n = n + 1 end; return n, e end)`, `dec 150 count 0 => number:150, nil:nil`},
	{`T("dec 100 exact", function() local t, e = ngx.decode_args(table.concat((function() local b = {} for i = 1, 150 do b[#b+1] = "k" .. i .. "=" .. i end return b end)(), "&", 1, 100)); local n = 0; for _ in pairs(t) do n = n + 1 end; return n, e end)`, `dec 100 exact => number:100, nil:nil`},
	{`T("dec 100 exact&", function() local t, e = ngx.decode_args(table.concat((function() local b = {} for i = 1, 150 do b[#b+1] = "k" .. i .. "=" .. i end return b end)(), "&", 1, 100) .. "&"); local n = 0; for _ in pairs(t) do n = n + 1 end; return n, e end)`, `dec 100 exact& => number:100, "truncated"`},
	{`T("enc basic", ngx.encode_args, {a = "1"})`, `enc basic => "a=1"`},
	{"T(\"enc esc\", ngx.encode_args, {[\"a b\"] = \"c&d=\xc3\xa9\"})", `enc esc => "a%20b=c%26d%3D%C3%A9"`},
	{`T("enc true", ngx.encode_args, {a = true})`, `enc true => "a"`},
	{`T("enc false", ngx.encode_args, {a = false})`, `enc false => ""`},
	{`T("enc num", ngx.encode_args, {a = 3})`, `enc num => "a=3"`},
	{`T("enc float", ngx.encode_args, {a = 0.1})`, `enc float => "a=0.1"`},
	{`T("enc big", ngx.encode_args, {a = 1e15})`, `enc big => "a=1e%2B15"`},
	{`T("enc 2^53", ngx.encode_args, {a = 2^53})`, `enc 2^53 => "a=9.007199254741e%2B15"`},
	{`T("enc nan", ngx.encode_args, {a = 0/0})`, `enc nan => "a=nan"`},
	{`T("enc inf", ngx.encode_args, {a = 1/0, b = -1/0})`, `enc inf => "a=inf&b=-inf"`},
	{`T("enc -0", ngx.encode_args, {a = -0.0})`, `enc -0 => "a=-0"`},
	{`T("enc 1/3", ngx.encode_args, {a = 1/3})`, `enc 1/3 => "a=0.33333333333333"`},
	{`T("enc arr", ngx.encode_args, {a = {"1", 2, true, false, "x y"}})`, `enc arr => "a=1&a=2&a&a=x%20y"`},
	{`T("enc arr esc key", ngx.encode_args, {["a b"] = {"1", "2"}})`, `enc arr esc key => "a%20b=1&a%20b=2"`},
	{`T("enc empty", ngx.encode_args, {})`, `enc empty => ""`},
	{`T("enc empty sub", ngx.encode_args, {a = {}})`, `enc empty sub => ""`},
	{`T("enc empty sub esc", ngx.encode_args, {["a b"] = {}})`, `enc empty sub esc !! buffer error: 0 != 2`},
	{`T("enc false sub esc", ngx.encode_args, {["a b"] = {false}})`, `enc false sub esc !! buffer error: 0 != 2`},
	{`T("enc false esc", ngx.encode_args, {["a b"] = false})`, `enc false esc !! buffer error: 0 != 2`},
	{`T("enc empty key", ngx.encode_args, {[""] = "x"})`, `enc empty key => "=x"`},
	{`T("enc num key", ngx.encode_args, {[1] = "x"})`, `enc num key !! attempt to use a non-string key in the "args" option table`},
	{`T("enc bool val in sub", ngx.encode_args, {a = {{}}})`, `enc bool val in sub !! attempt to use table as query arg value`},
	{`T("enc fn", ngx.encode_args, {a = print})`, `enc fn !! attempt to use function as query arg value`},
	{`T("enc ud null", ngx.encode_args, {a = ngx.null})`, `enc ud null !! attempt to use userdata as query arg value`},
	{`T("enc sub nil?", ngx.encode_args, {a = {ngx.null}})`, `enc sub nil? !! attempt to use userdata as query arg value`},
	{`T("enc none", ngx.encode_args)`, `enc none !! expecting 1 argument but seen 0`},
	{`T("enc two", ngx.encode_args, {}, {})`, `enc two !! expecting 1 argument but seen 2`},
	{`T("enc str", ngx.encode_args, "a")`, `enc str !! bad argument #1 to '?' (table expected, got string)`},
	{`T("enc nil", ngx.encode_args, nil)`, `enc nil !! bad argument #1 to '?' (table expected, got nil)`},
	{`T("enc sub hash", ngx.encode_args, {a = {x = "1"}})`, `enc sub hash => "a=1"`},
	{`T("enc sub mixed key", ngx.encode_args, {a = {[3] = "3", [1] = "1"}})`, `enc sub mixed key => "a=1&a=3"`},
	{`T("enc 2 keys", ngx.encode_args, {a = "1", b = "2"})`, `enc 2 keys => "a=1&b=2"`},
	{`T("enc tilde", ngx.encode_args, {["~!*()'"] = "~!*()'"})`, `enc tilde => "~!*()'=~!*()'"`},
	{`T("enc mixed false", ngx.encode_args, {["a b"] = false, c = "1"})`, `enc mixed false !! buffer error: 3 != 5`},
	{`T("enc sub false mixed", ngx.encode_args, {a = {false, "1", true}})`, `enc sub false mixed => "a=1&a"`},
	{`T("enc sub 1.5", ngx.encode_args, {a = {1.5, 1e100}})`, `enc sub 1.5 => "a=1.5&a=1e%2B100"`},
	{`T("dec max 2^40", ngx.decode_args, "a=1&b=2", 2^40)`, `dec max 2^40 => {a="1",b="2"}`},
	{`T("dec max -2^40", ngx.decode_args, "a=1&b=2", 2^40)`, `dec max -2^40 => {a="1",b="2"}`},
	{`T("dec %", ngx.decode_args, "a%=%zz&b%41=%2")`, `dec % => {a%="%zz",bA="%2"}`},
	{`T("dec plus key", ngx.decode_args, "a+b=c+d")`, `dec plus key => {a b="c d"}`},
	{`T("dec ?", ngx.decode_args, "a?b=c?d")`, `dec ? => {a?b="c?d"}`},
}

// The Go entry point the request API reuses: same parser, max <= 0 is unlimited.
func TestNgxArgsDecodeGo(t *testing.T) {
	L := ngxStrTestState(t)
	cases := []struct {
		in    string
		max   int
		want  string
		trunc bool
	}{
		{"a=1&b&c=&a=2", 100, `{a={1="1",2="2"},b=boolean:true,c=""}`, false},
		{"a=1&b=2&c=3", 2, `{a="1",b="2"}`, true},
		{"a=1&b=2&c=3", 0, `{a="1",b="2",c="3"}`, false},
		{"a=1&b=2&c=3", -1, `{a="1",b="2",c="3"}`, false},
		{"%41%zz=x+y&&=v", 100, `{A%zz="x y"}`, false},
	}
	for _, c := range cases {
		tab, trunc := ngxArgsDecodeTrunc(L, c.in, c.max)
		if got := ngxArgsShow(tab); got != c.want || trunc != c.trunc {
			t.Errorf("decode(%q, %d) = %s, %v; want %s, %v", c.in, c.max, got, trunc, c.want, c.trunc)
		}
		if got := ngxArgsShow(ngxArgsDecode(L, c.in, c.max)); got != c.want {
			t.Errorf("ngxArgsDecode(%q, %d) = %s; want %s", c.in, c.max, got, c.want)
		}
	}
}

// ngxArgsShow prints a decoded table the way the reference snippets' show() does.
func ngxArgsShow(v lua.LValue) string {
	switch v := v.(type) {
	case lua.LString:
		return ngxStrQuote(string(v))
	case *lua.LTable:
		var keys []string
		vals := map[string]lua.LValue{}
		v.ForEach(func(k, x lua.LValue) {
			keys = append(keys, k.String())
			vals[k.String()] = x
		})
		sort.Strings(keys)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = k + "=" + ngxArgsShow(vals[k])
		}
		return "{" + strings.Join(parts, ",") + "}"
	}
	return v.Type().String() + ":" + v.String()
}
