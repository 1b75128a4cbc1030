package shdict

import (
	"strings"
	"sync/atomic"
	"testing"

	lua "github.com/yuin/gopher-lua"
)

// prelude gives each snippet show(label, ...), which prints how many values came back and
// each one (strings quoted), and pc(label, f, ...), which does the same under pcall, the
// helpers the expected outputs were produced with on Debian's nginx 1.22 +
// lua-nginx-module 0.10.23 + lua-resty-core 0.1.25.
const prelude = `
local function repr(v)
  if type(v) == "string" then return string.format("%q", v) end
  if type(v) == "number" then return numstr(v) end
  return tostring(v)
end
function show(label, ...)
  local n = select('#', ...)
  local t = {}
  for i = 1, n do t[#t+1] = repr((select(i, ...))) end
  ngx.say(label, " => ", n, ": ", table.concat(t, ", "))
end
function pc(label, f, ...)
  local r = {pcall(f, ...)}
  if r[1] then show(label, unpack(r, 2, table.maxn(r))) else ngx.say(label, " !! ", tostring(r[2])) end
end
d = ngx.shared.dogs
`

// testEnv is a registry with nginx's test dicts and a clock the snippets move with ngx.sleep.
type testEnv struct {
	reg   *Registry
	clock atomic.Int64
}

func newTestEnv(t testing.TB) *testEnv {
	t.Helper()
	env := &testEnv{reg: NewRegistry()}
	env.clock.Store(1_700_000_000_000)
	for _, z := range []struct {
		name string
		size string
	}{{"dogs", "1m"}, {"small", "12k"}, {"tiny", "16k"}, {"big", "10m"}} {
		size, err := ParseSize(z.size)
		if err != nil {
			t.Fatal(err)
		}
		if err := env.reg.Add(z.name, size); err != nil {
			t.Fatal(err)
		}
		env.reg.Get(z.name).now = env.clock.Load
	}
	return env
}

// state builds a Lua state with a small ngx table (say, sleep, shared) writing to out.
func (env *testEnv) state(out *strings.Builder) *lua.LState {
	L := lua.NewState()
	ngx := L.NewTable()
	ngx.RawSetString("shared", Bind(L, env.reg))
	ngx.RawSetString("say", L.NewFunction(func(L *lua.LState) int {
		for i := 1; i <= L.GetTop(); i++ {
			v := L.Get(i)
			if n, ok := v.(lua.LNumber); ok {
				out.WriteString(numberString(float64(n)))
			} else {
				out.WriteString(v.String())
			}
		}
		out.WriteByte('\n')
		L.Push(lua.LNumber(1))
		return 1
	}))
	ngx.RawSetString("sleep", L.NewFunction(func(L *lua.LState) int {
		env.clock.Add(int64(float64(L.CheckNumber(1)) * 1000))
		return 0
	}))
	L.SetGlobal("ngx", ngx)
	L.SetGlobal("numstr", L.NewFunction(func(L *lua.LState) int {
		L.Push(lua.LString(numberString(float64(L.CheckNumber(1)))))
		return 1
	}))
	return L
}

func (env *testEnv) run(t *testing.T, code string) string {
	t.Helper()
	var out strings.Builder
	L := env.state(&out)
	defer L.Close()
	if err := L.DoString(prelude + code); err != nil {
		t.Fatalf("lua error: %v\noutput so far:\n%s", err, out.String())
	}
	return out.String()
}

func TestDictLua(t *testing.T) {
	cases := []struct {
		name, code, want string
	}{
		{"set and get", `show("set", d:set("a", "x")) show("get", d:get("a"))`,
			"set => 3: true, nil, false\nget => 1: \"x\"\n"},
		{"flags returned when non-zero", `show("set flags", d:set("b", 1.5, 0, 7)) show("get flags", d:get("b"))`,
			"set flags => 3: true, nil, false\nget flags => 2: 1.5, 7\n"},
		{"get missing", `show("get missing", d:get("zz"))`, "get missing => 1: nil\n"},
		{"nil key", `show("get", d:get(nil)) show("set", d:set(nil, 1)) show("ttl", d:ttl(nil)) show("lpush", d:lpush(nil, 1))`,
			"get => 2: nil, \"nil key\"\nset => 2: nil, \"nil key\"\nttl => 2: nil, \"nil key\"\nlpush => 2: nil, \"nil key\"\n"},
		{"empty key", `show("get", d:get("")) show("set", d:set("", 1)) show("lpush", d:lpush("", 1))`,
			"get => 2: nil, \"empty key\"\nset => 2: nil, \"empty key\"\nlpush => 2: nil, \"empty key\"\n"},
		{"key too long", `show("get", d:get(string.rep("k", 65536))) show("get 65535", d:get(string.rep("k", 65535))) show("set", d:set(string.rep("k", 65536), 1))`,
			"get => 2: nil, \"key too long\"\nget 65535 => 1: nil\nset => 2: nil, \"key too long\"\n"},
		{"number and boolean keys become strings", `d:set(12, "twelve") show("get", d:get("12")) d:set(1/3, "x") show("third", d:get("0.33333333333333")) d:set(true, 1) show("bool", d:get("true")) d:set(1e15, 1) show("1e15", d:get("1e+15"))`,
			"get => 1: \"twelve\"\nthird => 1: \"x\"\nbool => 1: 1\n1e15 => 1: 1\n"},
		{"booleans", `d:set("t", true) d:set("f", false) show("t", d:get("t")) show("f", d:get("f"))`,
			"t => 1: true\nf => 1: false\n"},
		{"bad value type", `show("table", d:set("tt", {})) show("func", d:set("tt", print))`,
			"table => 2: nil, \"bad value type\"\nfunc => 2: nil, \"bad value type\"\n"},
		{"negative exptime", `pc("set", d.set, d, "n", 1, -1)`, "set !! bad \"exptime\" argument\n"},
		{"flags as C int", `d:set("fn", 1, 0, -1) show("neg", d:get("fn")) d:set("fb", 1, 0, 3000000000) show("big", d:get("fb")) d:set("f", 1, 0, 1.7) show("frac", d:get("f"))`,
			"neg => 2: 1, -1\nbig => 2: 1, -2147483648\nfrac => 2: 1, 1\n"},
		{"flags string", `pc("set", d.set, d, "fs", 1, 0, "5")`,
			"set !! bad argument #10 to 'ngx_lua_ffi_shdict_store' (cannot convert 'string' to 'int')\n"},
		{"exptime string", `pc("set", d.set, d, "es", 1, "5")`, "set !! attempt to compare string with number\n"},
		{"add", `d:set("a", "x") show("exists", d:add("a", "y")) show("new", d:add("c", "y")) show("safe exists", d:safe_add("a", "y"))`,
			"exists => 3: false, \"exists\", false\nnew => 3: true, nil, false\nsafe exists => 3: false, \"exists\", false\n"},
		{"add or replace nil", `d:set("a", 1) show("add", d:add("nn", nil)) show("replace", d:replace("a", nil))`,
			"add => 3: false, \"attempt to add or replace nil values\", false\nreplace => 3: false, \"attempt to add or replace nil values\", false\n"},
		{"replace", `d:set("a", "x") show("missing", d:replace("zz", 1)) show("ok", d:replace("a", "z", 0, 3)) show("get", d:get("a"))`,
			"missing => 3: false, \"not found\", false\nok => 3: true, nil, false\nget => 2: \"z\", 3\n"},
		{"delete", `d:set("s", 1) show("delete", d:delete("s")) show("again", d:delete("s")) show("get", d:get("s"))`,
			"delete => 3: true, nil, false\nagain => 3: true, nil, false\nget => 1: nil\n"},
		{"set nil deletes", `d:set("c", 1) show("set", d:set("c", nil)) show("get", d:get("c"))`,
			"set => 3: true, nil, false\nget => 1: nil\n"},
		{"incr", `show("missing", d:incr("i", 1)) show("init", d:incr("i", 1, 10)) show("existing", d:incr("i", 2)) show("existing init", d:incr("i", 2, 100)) show("str", d:incr("i", "3")) show("float", d:incr("i", 0.5))`,
			"missing => 2: nil, \"not found\"\ninit => 3: 11, nil, false\nexisting => 1: 13\nexisting init => 3: 15, nil, false\nstr => 1: 18\nfloat => 1: 18.5\n"},
		{"incr not a number", `d:set("a", "x") show("incr", d:incr("a", 1)) d:rpush("L", 1) show("list", d:incr("L", 1))`,
			"incr => 2: nil, \"not a number\"\nlist => 2: nil, \"not a number\"\n"},
		{"incr bad args", `pc("nil", d.incr, d, "i", nil) pc("init", d.incr, d, "j", 1, "x") pc("ttl no init", d.incr, d, "j", 1, nil, 10) pc("neg ttl", d.incr, d, "j", 1, 0, -1)`,
			"nil !! cannot convert 'nil' to 'double'\ninit !! bad init arg: number expected, got string\nttl no init !! must provide \"init\" when providing \"init_ttl\"\nneg ttl !! bad \"init_ttl\" argument\n"},
		{"incr init_ttl", `show("incr", d:incr("j", 1, 0, 10)) show("ttl", d:ttl("j")) show("false init", d:incr("k", 1, false))`,
			"incr => 3: 1, nil, false\nttl => 1: 10\nfalse init => 2: nil, \"not found\"\n"},
		{"ttl and expire", `d:set("a", 1) show("missing", d:ttl("zz")) show("never", d:ttl("a")) show("expire", d:expire("a", 5)) show("ttl", d:ttl("a")) show("expire 0", d:expire("a", 0)) show("ttl", d:ttl("a")) show("expire missing", d:expire("zz", 1)) pc("no exptime", d.expire, d, "a") show("neg", d:expire("a", -3)) show("ttl", d:ttl("a"))`,
			"missing => 2: nil, \"not found\"\nnever => 1: 0\nexpire => 1: true\nttl => 1: 5\nexpire 0 => 1: true\nttl => 1: 0\nexpire missing => 2: nil, \"not found\"\nno exptime !! bad \"exptime\" argument\nneg => 1: true\nttl => 1: 0\n"},
		{"exptime has ms precision", `d:set("ms", 1, 0.0004) show("ttl", d:ttl("ms")) d:set("ms", 1, 1.5) show("ttl", d:ttl("ms"))`,
			"ttl => 1: 0\nttl => 1: 1.5\n"},
		{"lists", `show("lpush", d:lpush("L", "one")) show("lpush2", d:lpush("L", 2)) show("rpush", d:rpush("L", "three")) show("llen", d:llen("L")) show("llen missing", d:llen("nolist"))
			show("get", d:get("L")) show("get_stale", d:get_stale("L")) show("ttl", d:ttl("L"))
			show("lpop", d:lpop("L")) show("rpop", d:rpop("L")) show("lpop", d:lpop("L")) show("empty", d:lpop("L")) show("llen", d:llen("L")) show("rpop missing", d:rpop("zz"))`,
			"lpush => 1: 1\nlpush2 => 1: 2\nrpush => 1: 3\nllen => 1: 3\nllen missing => 1: 0\nget => 2: nil, \"value is a list\"\nget_stale => 2: nil, \"value is a list\"\nttl => 1: 0\nlpop => 1: 2\nrpop => 1: \"three\"\nlpop => 1: \"one\"\nempty => 1: nil\nllen => 1: 0\nrpop missing => 1: nil\n"},
		{"list vs scalar", `d:set("a", 1) show("llen", d:llen("a")) show("lpush", d:lpush("a", 1)) show("rpop", d:rpop("a")) d:rpush("LL", 1) show("set", d:set("LL", "v")) show("get", d:get("LL"))`,
			"llen => 2: nil, \"value not a list\"\nlpush => 2: nil, \"value not a list\"\nrpop => 2: nil, \"value not a list\"\nset => 3: true, nil, false\nget => 1: \"v\"\n"},
		{"list bad values and args", `show("bool", d:lpush("L", true)) show("nil", d:lpush("L", nil)) pc("table key", d.lpush, d, {}, 1) pc("bool key", d.lpush, d, true, 1) pc("2 args", d.lpush, d, "x") pc("3 args", d.lpop, d, "x", 1) pc("1 arg", d.llen, d) pc("num key", d.lpush, d, 5, 1)`,
			"bool => 2: nil, \"bad value type\"\nnil => 2: nil, \"bad value type\"\ntable key !! bad argument #2 to '?' (string expected, got table)\nbool key !! bad argument #2 to '?' (string expected, got boolean)\n2 args !! expecting 3 arguments, but only seen 2\n3 args !! expecting 2 arguments, but only seen 3\n1 arg !! expecting 2 arguments, but only seen 1\nnum key => 1: 1\n"},
		{"bad zone", `pc("no self", d.get, nil, "a") pc("bad self", d.get, {}, "a") pc("lpush", d.lpush, {}, "a", 1) pc("get_keys", d.get_keys, {}) pc("3 args", d.get_keys, d, 1, 2) pc("str", d.get_keys, d, "x") pc("flush_expired", d.flush_expired, d, "x")`,
			"no self !! bad \"zone\" argument\nbad self !! bad \"zone\" argument\nlpush !! bad \"zone\" argument\nget_keys !! bad user data for the ngx_shm_zone_t pointer\n3 args !! expecting 1 or 2 argument(s), but saw 3\nstr !! bad argument #2 to '?' (number expected, got string)\nflush_expired !! bad argument #2 to '?' (number expected, got string)\n"},
		{"get_keys order and limits", `for i = 1, 5 do d:set("k" .. i, i, i == 3 and 0.001 or 0) end ngx.sleep(0.01)
			show("all", unpack(d:get_keys())) show("2", unpack(d:get_keys(2))) show("0", unpack(d:get_keys(0))) d:get("k1") show("after get", unpack(d:get_keys(0)))`,
			"all => 4: \"k1\", \"k2\", \"k4\", \"k5\"\n2 => 2: \"k1\", \"k2\"\n0 => 4: \"k1\", \"k2\", \"k4\", \"k5\"\nafter get => 4: \"k2\", \"k4\", \"k5\", \"k1\"\n"},
		{"stale values", `d:set("k1", 1) d:set("k3", 3, 0.001) d:set("e1", "v", 0.001, 9) d:set("e2", "v", 0.001) ngx.sleep(0.01)
			show("stale", d:get_stale("k3")) show("ttl", d:ttl("k3")) show("get", d:get("k3")) show("flags", d:get_stale("e1")) show("noflags", d:get_stale("e2")) show("fresh", d:get_stale("k1")) show("missing", d:get_stale("zz"))`,
			"stale => 3: 3, nil, true\nttl => 1: -0.009\nget => 1: nil\nflags => 3: \"v\", 9, true\nnoflags => 3: \"v\", nil, true\nfresh => 3: 1, nil, false\nmissing => 1: nil\n"},
		{"flush_expired", `for i = 1, 3 do d:set("x" .. i, i, 0.001) end ngx.sleep(0.01) show("one", d:flush_expired(1)) show("rest", d:flush_expired())`,
			"one => 1: 1\nrest => 1: 2\n"},
		{"flush_all marks expired", `for i = 1, 5 do d:set("k" .. i, i) end show("flush_all", d:flush_all()) show("stale", d:get_stale("k5")) show("ttl<0", d:ttl("k5") < 0) show("keys", #d:get_keys(0)) show("expire", d:expire("k5", 10)) show("get", d:get("k5")) show("flushed", d:flush_expired())`,
			"flush_all => 0: \nstale => 3: 5, nil, true\nttl<0 => 1: true\nkeys => 1: 0\nexpire => 1: true\nget => 1: 5\nflushed => 1: 0\n"},
		{"capacity and free_space", `for _, n in ipairs{"small", "tiny", "dogs", "big"} do local z = ngx.shared[n] show(n, z:capacity(), z:free_space()) end`,
			"small => 2: 12288, 0\ntiny => 2: 16384, 4096\ndogs => 2: 1048576, 1032192\nbig => 2: 10485760, 10412032\n"},
		{"object shape", `show("shape", type(d), type(d[1]), rawget(d, "get"), getmetatable(d) == getmetatable(ngx.shared.small), getmetatable(d).__index == getmetatable(d)) show("same", ngx.shared.dogs == ngx.shared.dogs, ngx.shared.nope)
			local ks = {} for k in pairs(getmetatable(d)) do ks[#ks+1] = k end table.sort(ks) show("mt", unpack(ks))`,
			"shape => 5: \"table\", \"userdata\", nil, true, true\nsame => 2: true, nil\nmt => 22: \"__index\", \"add\", \"capacity\", \"delete\", \"expire\", \"flush_all\", \"flush_expired\", \"free_space\", \"get\", \"get_keys\", \"get_stale\", \"incr\", \"llen\", \"lpop\", \"lpush\", \"replace\", \"rpop\", \"rpush\", \"safe_add\", \"safe_set\", \"set\", \"ttl\"\n"},
		// Memory: the figures below are what nginx printed for the same Lua.
		{"slab classes use pages like nginx", `for i = 1, 100 do d:set("a" .. i, string.rep("z", 200)) end show("200", d:free_space())
			for i = 1, 100 do d:set("a" .. i, string.rep("z", 2000)) end show("2000", d:free_space())
			for i = 1, 100 do d:set("a" .. i, string.rep("z", 3000)) end show("3000", d:free_space())
			d:flush_all() d:flush_expired() show("flushed", d:free_space())`,
			"200 => 1: 978944\n2000 => 1: 622592\n3000 => 1: 622592\nflushed => 1: 1032192\n"},
		{"full zone: no memory and forcible", `local s = ngx.shared.small local v100 = string.rep("v", 100)
			show("set", s:set("k1", v100)) show("safe_set", s:safe_set("k1", v100)) show("safe_add", s:safe_add("new", v100)) show("add", s:add("new", v100))
			show("incr init", s:incr("cnt", 1, 0)) show("set big", s:set("huge", string.rep("x", 5000))) show("safe_set big", s:safe_set("huge2", string.rep("x", 5000))) show("set too big", s:set("huge3", string.rep("x", 20000)))`,
			"set => 3: false, \"no memory\", false\nsafe_set => 3: false, \"no memory\", false\nsafe_add => 3: false, \"no memory\", false\nadd => 3: false, \"no memory\", false\nincr init => 3: 1, nil, false\nset big => 3: false, \"no memory\", true\nsafe_set big => 3: false, \"no memory\", false\nset too big => 3: false, \"no memory\", false\n"},
		{"list fills the zone, set evicts it", `local s = ngx.shared.small
			for i = 1, 1000 do local n, err = s:rpush("list", string.rep("y", 50)) if not n then show("rpush fail at", i, n, err, s:free_space()) break end end
			show("llen", s:llen("list")) show("set", s:set("x", string.rep("v", 100))) show("llen", s:llen("list"))`,
			"rpush fail at => 4: 31, nil, \"no memory\", 0\nllen => 1: 30\nset => 3: false, \"no memory\", true\nllen => 1: 0\n"},
		{"small entries share the zone's first page", `local s = ngx.shared.small
			for _, kl in ipairs{1, 50} do
			  s:flush_all() s:flush_expired() local cnt = 0
			  for i = 1, 1000 do local n = tostring(i) local ok, err, f = s:set(string.rep("0", kl - #n) .. n, 1) if f then break end cnt = i end
			  show("keylen " .. kl, cnt)
			end`,
			"keylen 1 => 1: 31\nkeylen 50 => 1: 31\n"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			env := newTestEnv(t)
			if got := env.run(t, c.code); got != c.want {
				t.Errorf("got:\n%s\nwant:\n%s", got, c.want)
			}
		})
	}
}
