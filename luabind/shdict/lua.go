package shdict

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// Bind builds the `ngx.shared` table for a Lua state. As in lua-nginx-module, ngx.shared.NAME
// is a table holding the dict's userdata at index 1, with a metatable (shared by all dicts of
// the state, and its own __index) carrying the methods, called with colon syntax:
// ngx.shared.dogs:get(k). Each dict's table is built once here, so every access within the
// state yields the same object. Dicts added to r after Bind are not seen by this state.
func Bind(L *lua.LState, r *Registry) *lua.LTable {
	names := r.Names()
	shared := L.CreateTable(0, len(names))
	mt := L.CreateTable(0, len(dictMethods)+1)
	for name, fn := range dictMethods {
		mt.RawSetString(name, L.NewFunction(fn))
	}
	mt.RawSetString("__index", mt)
	for _, name := range names {
		ud := L.NewUserData()
		ud.Value = r.Get(name)
		zone := L.CreateTable(1, 0)
		zone.RawSetInt(1, ud)
		zone.Metatable = mt
		shared.RawSetString(name, zone)
	}
	return shared
}

// dictMethods are the methods of ngx.shared.DICT. Those lua-resty-core implements in Lua (get,
// set, incr, ttl...) raise and return what that Lua does; the rest (lpush, get_keys...) what
// lua-nginx-module's C functions do.
var dictMethods = map[string]lua.LGFunction{
	"get":           shdictGet,
	"get_stale":     shdictGetStale,
	"set":           shdictSet,
	"safe_set":      shdictSafeSet,
	"add":           shdictAdd,
	"safe_add":      shdictSafeAdd,
	"replace":       shdictReplace,
	"delete":        shdictDelete,
	"incr":          shdictIncr,
	"lpush":         shdictLpush,
	"rpush":         shdictRpush,
	"lpop":          shdictLpop,
	"rpop":          shdictRpop,
	"llen":          shdictLlen,
	"ttl":           shdictTTL,
	"expire":        shdictExpire,
	"flush_all":     shdictFlushAll,
	"flush_expired": shdictFlushExpired,
	"get_keys":      shdictGetKeys,
	"capacity":      shdictCapacity,
	"free_space":    shdictFreeSpace,
}

// zoneOf returns the dict of the zone table v, or nil.
func zoneOf(v lua.LValue) *Dict {
	t, ok := v.(*lua.LTable)
	if !ok {
		return nil
	}
	ud, ok := t.RawGetInt(1).(*lua.LUserData)
	if !ok {
		return nil
	}
	d, _ := ud.Value.(*Dict)
	return d
}

// checkZone is resty.core's check_zone: the error names the caller's position.
func checkZone(L *lua.LState) *Dict {
	d := zoneOf(L.Get(1))
	if d == nil {
		raise(L, `bad "zone" argument`)
	}
	return d
}

// raise raises like Lua's error(msg, 2) from resty.core's Lua functions: the message names
// the caller's position when the caller is Lua code, and nothing when it is a C (Go) function
// such as pcall.
func raise(L *lua.LState, format string, args ...any) {
	level := 1
	if dbg, ok := L.GetStack(1); ok {
		if _, err := L.GetInfo("S", dbg, lua.LNil); err == nil && dbg.What == "G" {
			level = 0
		}
	}
	L.Error(lua.LString(fmt.Sprintf(format, args...)), level)
}

// cError raises like luaL_error from a C function: no position prefix.
func cError(L *lua.LState, format string, args ...any) {
	L.Error(lua.LString(fmt.Sprintf(format, args...)), 0)
}

// cZone is the zone check of lua-nginx-module's C methods (lpush, lpop, llen).
func cZone(L *lua.LState) *Dict {
	if _, ok := L.Get(1).(*lua.LTable); !ok {
		cError(L, `bad "zone" argument`)
	}
	d := zoneOf(L.Get(1))
	if d == nil {
		cError(L, `bad "zone" argument`)
	}
	return d
}

// numberString formats a number as LuaJIT's tostring does ("%.14g").
func numberString(f float64) string {
	switch {
	case math.IsNaN(f):
		return "nan"
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	}
	if f == 0 && math.Signbit(f) {
		return "-0"
	}
	if f == math.Trunc(f) && math.Abs(f) < 1e14 {
		return strconv.FormatInt(int64(f), 10)
	}
	return strconv.FormatFloat(f, 'g', 14, 64)
}

// ffiKey reads the key argument as resty.core does: nil gives "nil key", other non-strings
// go through tostring, then the length checks. On failure it pushes nil, msg and returns false.
func ffiKey(L *lua.LState, idx int) (string, bool) {
	var key string
	switch v := L.Get(idx).(type) {
	case lua.LString:
		key = string(v)
	case *lua.LNilType:
		L.Push(lua.LNil)
		L.Push(lua.LString("nil key"))
		return "", false
	case lua.LNumber:
		key = numberString(float64(v))
	default:
		key = L.ToStringMeta(v).String()
	}
	return key, checkKeyLen(L, key)
}

// cKey reads the key argument as the C methods do (luaL_checklstring after a nil check).
func cKey(L *lua.LState, idx int) (string, bool) {
	var key string
	switch v := L.Get(idx).(type) {
	case lua.LString:
		key = string(v)
	case *lua.LNilType:
		L.Push(lua.LNil)
		L.Push(lua.LString("nil key"))
		return "", false
	case lua.LNumber:
		key = numberString(float64(v))
	default:
		cError(L, "bad argument #%d to '?' (string expected, got %s)", idx, v.Type().String())
	}
	return key, checkKeyLen(L, key)
}

func checkKeyLen(L *lua.LState, key string) bool {
	switch {
	case len(key) == 0:
		L.Push(lua.LNil)
		L.Push(lua.LString("empty key"))
		return false
	case len(key) > maxKeyLen:
		L.Push(lua.LNil)
		L.Push(lua.LString("key too long"))
		return false
	}
	return true
}

// toNumber is Lua's tonumber for a single argument; ok is false where tonumber gives nil.
func toNumber(v lua.LValue) (float64, bool) {
	switch v := v.(type) {
	case lua.LNumber:
		return float64(v), true
	case lua.LString:
		s := strings.TrimSpace(string(v))
		if s == "" {
			return 0, false
		}
		neg := false
		body := s
		if body[0] == '-' || body[0] == '+' {
			neg, body = body[0] == '-', body[1:]
		}
		if len(body) > 2 && body[0] == '0' && (body[1] == 'x' || body[1] == 'X') {
			u, err := strconv.ParseUint(body[2:], 16, 64)
			if err != nil {
				return 0, false
			}
			if neg {
				return -float64(u), true
			}
			return float64(u), true
		}
		if strings.ContainsAny(body, "_pP") || strings.HasPrefix(body, "0b") || strings.HasPrefix(body, "0o") {
			return 0, false
		}
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			if ne, ok := err.(*strconv.NumError); !ok || ne.Err != strconv.ErrRange {
				return 0, false
			}
		}
		return f, true
	}
	return 0, false
}

// msFromSeconds converts seconds to the C long of milliseconds resty.core passes
// (exptime * 1000, truncated toward zero).
func msFromSeconds(s float64) int64 {
	ms := s * 1000
	if ms >= math.MaxInt64 || ms != ms {
		return math.MaxInt64
	}
	return int64(ms)
}

// ffiInt converts a value to a C int as LuaJIT's FFI does for the flags argument.
func ffiInt(L *lua.LState, v lua.LValue) uint32 {
	switch v := v.(type) {
	case lua.LNumber:
		f := math.Trunc(float64(v))
		if f < math.MinInt32 || f > math.MaxInt32 || f != f {
			return 1 << 31 // what x86's truncating conversion yields
		}
		return uint32(int32(f))
	case lua.LBool:
		if v {
			return 1
		}
		return 0
	}
	raise(L, "bad argument #10 to 'ngx_lua_ffi_shdict_store' (cannot convert '%s' to 'int')", v.Type().String())
	return 0
}

// compareError raises the error LuaJIT gives for `v < 0` with a non-number v.
func compareError(L *lua.LState, v lua.LValue) {
	raise(L, "attempt to compare %s with number", v.Type().String())
}

func shdictStore(L *lua.LState, op int) int {
	d := checkZone(L)
	var exptimeMs int64
	switch v := L.Get(4).(type) {
	case lua.LNumber:
		if v < 0 {
			raise(L, `bad "exptime" argument`)
		}
		exptimeMs = msFromSeconds(float64(v))
	case *lua.LNilType:
	case lua.LBool:
		if v {
			compareError(L, v)
		}
	default:
		compareError(L, v)
	}
	key, ok := ffiKey(L, 2)
	if !ok {
		return 2
	}
	val := L.Get(3)
	switch val.(type) {
	case lua.LString, lua.LNumber, lua.LBool, *lua.LNilType:
	default:
		L.Push(lua.LNil)
		L.Push(lua.LString("bad value type"))
		return 2
	}
	var flags uint32
	if fv := L.Get(5); lua.LVAsBool(fv) {
		flags = ffiInt(L, fv)
	}
	stored, errmsg, forcible := d.store(op, key, val, exptimeMs, flags)
	L.Push(lua.LBool(stored))
	if errmsg == "" {
		L.Push(lua.LNil)
	} else {
		L.Push(lua.LString(errmsg))
	}
	L.Push(lua.LBool(forcible))
	return 3
}

// shdictSet is success, err, forcible = dict:set(key, value, exptime?, flags?).
func shdictSet(L *lua.LState) int { return shdictStore(L, 0) }

// shdictSafeSet is ok, err = dict:safe_set(key, value, exptime?, flags?).
func shdictSafeSet(L *lua.LState) int { return shdictStore(L, opSafeStore) }

// shdictAdd is success, err, forcible = dict:add(key, value, exptime?, flags?).
func shdictAdd(L *lua.LState) int { return shdictStore(L, opAdd) }

// shdictSafeAdd is ok, err = dict:safe_add(key, value, exptime?, flags?).
func shdictSafeAdd(L *lua.LState) int { return shdictStore(L, opAdd|opSafeStore) }

// shdictReplace is success, err, forcible = dict:replace(key, value, exptime?, flags?).
func shdictReplace(L *lua.LState) int { return shdictStore(L, opReplace) }

// shdictDelete is dict:delete(key), which is dict:set(key, nil).
func shdictDelete(L *lua.LState) int {
	L.SetTop(2)
	return shdictStore(L, 0)
}

func shdictFetch(L *lua.LState, stale bool) int {
	d := checkZone(L)
	key, ok := ffiKey(L, 2)
	if !ok {
		return 2
	}
	val, flags, isStale, errmsg := d.get(key, stale)
	if errmsg != "" {
		L.Push(lua.LNil)
		L.Push(lua.LString(errmsg))
		return 2
	}
	if val == nil {
		L.Push(lua.LNil)
		return 1
	}
	L.Push(val)
	if !stale {
		if flags != 0 {
			L.Push(lua.LNumber(int32(flags)))
			return 2
		}
		return 1
	}
	if flags != 0 {
		L.Push(lua.LNumber(int32(flags)))
	} else {
		L.Push(lua.LNil)
	}
	L.Push(lua.LBool(isStale))
	return 3
}

// shdictGet is value, flags = dict:get(key).
func shdictGet(L *lua.LState) int { return shdictFetch(L, false) }

// shdictGetStale is value, flags, stale = dict:get_stale(key).
func shdictGetStale(L *lua.LState) int { return shdictFetch(L, true) }

// shdictIncr is newval, err, forcible = dict:incr(key, value, init?, init_ttl?).
func shdictIncr(L *lua.LState) int {
	d := checkZone(L)
	key, ok := ffiKey(L, 2)
	if !ok {
		return 2
	}
	delta, ok := toNumber(L.Get(3))
	if !ok {
		raise(L, "cannot convert 'nil' to 'double'")
	}
	initV := L.Get(4)
	hasInit := lua.LVAsBool(initV)
	var init float64
	if hasInit {
		if init, ok = toNumber(initV); !ok {
			raise(L, "bad init arg: number expected, got %s", initV.Type().String())
		}
	}
	var initTTLMs int64
	if ttlV := L.Get(5); ttlV != lua.LNil {
		ttl, ok := toNumber(ttlV)
		if !ok {
			raise(L, "bad init_ttl arg: number expected, got %s", ttlV.Type().String())
		}
		if ttl < 0 {
			raise(L, `bad "init_ttl" argument`)
		}
		if !hasInit {
			raise(L, `must provide "init" when providing "init_ttl"`)
		}
		initTTLMs = msFromSeconds(ttl)
	}
	num, forcible, errmsg := d.incr(key, delta, hasInit, init, initTTLMs)
	if errmsg != "" {
		L.Push(lua.LNil)
		L.Push(lua.LString(errmsg))
		return 2
	}
	L.Push(lua.LNumber(num))
	if !hasInit {
		return 1
	}
	L.Push(lua.LNil)
	L.Push(lua.LBool(forcible))
	return 3
}

func shdictPush(L *lua.LState, left bool) int {
	if n := L.GetTop(); n != 3 {
		cError(L, "expecting 3 arguments, but only seen %d", n)
	}
	d := cZone(L)
	key, ok := cKey(L, 2)
	if !ok {
		return 2
	}
	val := L.Get(3)
	switch val.(type) {
	case lua.LString, lua.LNumber:
	default:
		L.Push(lua.LNil)
		L.Push(lua.LString("bad value type"))
		return 2
	}
	n, fail, errmsg := d.push(key, val, left)
	if errmsg != "" {
		L.Push(fail)
		L.Push(lua.LString(errmsg))
		return 2
	}
	L.Push(lua.LNumber(n))
	return 1
}

// shdictLpush is length, err = dict:lpush(key, value).
func shdictLpush(L *lua.LState) int { return shdictPush(L, true) }

// shdictRpush is length, err = dict:rpush(key, value).
func shdictRpush(L *lua.LState) int { return shdictPush(L, false) }

func shdictPop(L *lua.LState, left bool) int {
	if n := L.GetTop(); n != 2 {
		cError(L, "expecting 2 arguments, but only seen %d", n)
	}
	d := cZone(L)
	key, ok := cKey(L, 2)
	if !ok {
		return 2
	}
	val, errmsg := d.pop(key, left)
	if errmsg != "" {
		L.Push(lua.LNil)
		L.Push(lua.LString(errmsg))
		return 2
	}
	if val == nil {
		val = lua.LNil
	}
	L.Push(val)
	return 1
}

// shdictLpop is val, err = dict:lpop(key).
func shdictLpop(L *lua.LState) int { return shdictPop(L, true) }

// shdictRpop is val, err = dict:rpop(key).
func shdictRpop(L *lua.LState) int { return shdictPop(L, false) }

// shdictLlen is len, err = dict:llen(key).
func shdictLlen(L *lua.LState) int {
	if n := L.GetTop(); n != 2 {
		cError(L, "expecting 2 arguments, but only seen %d", n)
	}
	d := cZone(L)
	key, ok := cKey(L, 2)
	if !ok {
		return 2
	}
	n, errmsg := d.llen(key)
	if errmsg != "" {
		L.Push(lua.LNil)
		L.Push(lua.LString(errmsg))
		return 2
	}
	L.Push(lua.LNumber(n))
	return 1
}

// shdictTTL is ttl, err = dict:ttl(key).
func shdictTTL(L *lua.LState) int {
	d := checkZone(L)
	key, ok := ffiKey(L, 2)
	if !ok {
		return 2
	}
	ms, found := d.ttl(key)
	if !found {
		L.Push(lua.LNil)
		L.Push(lua.LString("not found"))
		return 2
	}
	L.Push(lua.LNumber(float64(ms) / 1000))
	return 1
}

// shdictExpire is success, err = dict:expire(key, exptime).
func shdictExpire(L *lua.LState) int {
	d := checkZone(L)
	ev := L.Get(3)
	if !lua.LVAsBool(ev) {
		raise(L, `bad "exptime" argument`)
	}
	key, ok := ffiKey(L, 2)
	if !ok {
		return 2
	}
	secs, ok := toNumber(ev)
	if !ok {
		raise(L, "attempt to perform arithmetic on local 'exptime' (a %s value)", ev.Type().String())
	}
	if !d.setExpire(key, msFromSeconds(secs)) {
		L.Push(lua.LNil)
		L.Push(lua.LString("not found"))
		return 2
	}
	L.Push(lua.LTrue)
	return 1
}

// shdictFlushAll is dict:flush_all().
func shdictFlushAll(L *lua.LState) int {
	checkZone(L).flushAll()
	return 0
}

// cCountArgs is the argument handling of flush_expired and get_keys.
func cCountArgs(L *lua.LState, def int) (*Dict, int) {
	n := L.GetTop()
	if n != 1 && n != 2 {
		cError(L, "expecting 1 or 2 argument(s), but saw %d", n)
	}
	if _, ok := L.Get(1).(*lua.LTable); !ok {
		cError(L, "bad argument #1 to '?' (table expected, got %s)", L.Get(1).Type().String())
	}
	d := zoneOf(L.Get(1))
	if d == nil {
		cError(L, "bad user data for the ngx_shm_zone_t pointer")
	}
	if n == 2 {
		v := L.Get(2)
		f, ok := toNumber(v)
		if !ok {
			typ := v.Type().String()
			if v == lua.LNil {
				typ = "nil"
			}
			cError(L, "bad argument #2 to '?' (number expected, got %s)", typ)
		}
		def = int(int32(f))
	}
	return d, def
}

// shdictFlushExpired is flushed = dict:flush_expired(max_count?).
func shdictFlushExpired(L *lua.LState) int {
	d, max := cCountArgs(L, 0)
	L.Push(lua.LNumber(d.flushExpired(max)))
	return 1
}

// shdictGetKeys is keys = dict:get_keys(max_count?): 1024 keys by default, 0 for all.
func shdictGetKeys(L *lua.LState) int {
	d, max := cCountArgs(L, 1024)
	keys := d.keys(max)
	t := L.CreateTable(len(keys), 0)
	for _, k := range keys {
		t.Append(lua.LString(k))
	}
	L.Push(t)
	return 1
}

// shdictCapacity is bytes = dict:capacity().
func shdictCapacity(L *lua.LState) int {
	L.Push(lua.LNumber(checkZone(L).Capacity()))
	return 1
}

// shdictFreeSpace is bytes = dict:free_space().
func shdictFreeSpace(L *lua.LState) int {
	L.Push(lua.LNumber(checkZone(L).FreeSpace()))
	return 1
}
