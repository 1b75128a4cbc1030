// Package shdict implements ngx.shared.DICT: named key-value stores shared by every Lua state
// (every request) of the process, with the semantics, return values and error strings of
// lua-nginx-module's lua_shared_dict and lua-resty-core's resty.core.shdict.
//
// A Dict mirrors nginx's zone: an index of entries, one LRU queue, lazy expiry on access plus a
// bounded sweep (at most two expired entries from the LRU tail) on every write and get, and
// memory accounted by a model of nginx's slab allocator, so that a dict of a given size holds
// about as much as the same lua_shared_dict in nginx, evicts (forcible) and fails ("no memory")
// at about the same points.
package shdict

import (
	"sync"
	"time"

	lua "github.com/yuin/gopher-lua"
)

// Value types, numbered as lua-nginx-module numbers them (they match Lua's type tags).
const (
	tNil     = 0
	tBoolean = 1
	tNumber  = 3
	tString  = 4
	tList    = 5
)

// Byte sizes of nginx's structures (x86-64), used to charge the slab model as nginx does.
const (
	nodeOverhead     = 32 + 36 // offsetof(ngx_rbtree_node_t, color) + offsetof(shdict_node, data)
	listHeadOverhead = 16      // the ngx_queue_t of a list entry, after its key
	listNodeOverhead = 21      // offsetof(ngx_http_lua_shdict_list_node_t, data)
	shctxSize        = 80      // sizeof(ngx_http_lua_shdict_shctx_t)
	maxKeyLen        = 65535
)

// Dict is one shared dictionary. All methods are safe for concurrent use.
type Dict struct {
	name string
	size int64
	now  func() int64 // milliseconds since the epoch; replaced in tests

	mu    sync.Mutex
	items map[string]*entry
	lru   entry // sentinel: lru.next is the most recently used entry, lru.prev the least
	slab  *slab
}

// entry is one key. Scalars keep their Lua value boxed, so a get hands the same LValue to
// every state without allocating; Lua strings and numbers are immutable, so sharing them
// between goroutines is safe.
type entry struct {
	key        string
	typ        uint8
	val        lua.LValue // tBoolean, tNumber, tString
	vlen       int        // value bytes as nginx stores them (8 for numbers, 1 for booleans)
	flags      uint32
	expires    int64 // ms since the epoch; 0 = never
	prev, next *entry
	mem        slabRef
	list       *vlist // tList
}

// vlist is a list value: a deque kept as two stacks (front reversed).
type vlist struct {
	front, back []listItem
}

type listItem struct {
	val lua.LValue
	mem slabRef
}

func (l *vlist) len() int { return len(l.front) + len(l.back) }

func (l *vlist) each(f func(listItem)) {
	for _, it := range l.front {
		f(it)
	}
	for _, it := range l.back {
		f(it)
	}
}

func (l *vlist) pushLeft(it listItem)  { l.front = append(l.front, it) }
func (l *vlist) pushRight(it listItem) { l.back = append(l.back, it) }

func (l *vlist) popLeft() listItem {
	if n := len(l.front); n > 0 {
		it := l.front[n-1]
		l.front[n-1] = listItem{}
		l.front = l.front[:n-1]
		return it
	}
	it := l.back[0]
	l.back[0] = listItem{}
	l.back = l.back[1:]
	return it
}

func (l *vlist) popRight() listItem {
	if n := len(l.back); n > 0 {
		it := l.back[n-1]
		l.back[n-1] = listItem{}
		l.back = l.back[:n-1]
		return it
	}
	it := l.front[0]
	l.front[0] = listItem{}
	l.front = l.front[1:]
	return it
}

// newDict builds a dict of size bytes, charging the zone's own bookkeeping (the shared
// context and the slab pool's log context) as ngx_http_lua_shdict_init_zone does.
func newDict(name string, size int64) *Dict {
	d := &Dict{
		name:  name,
		size:  size,
		now:   func() int64 { return time.Now().UnixMilli() },
		items: make(map[string]*entry),
		slab:  newSlab(size),
	}
	d.lru.next, d.lru.prev = &d.lru, &d.lru
	d.slab.alloc(shctxSize)
	d.slab.alloc(len(` in lua_shared_dict zone ""`) + 1 + len(name))
	return d
}

// Name returns the dict's name.
func (d *Dict) Name() string { return d.name }

// Capacity returns the dict's size in bytes, as given to lua_shared_dict.
func (d *Dict) Capacity() int64 { return d.size }

// FreeSpace returns the bytes in wholly free pages, as ngx.shared.DICT:free_space() does.
func (d *Dict) FreeSpace() int64 {
	d.mu.Lock()
	defer d.mu.Unlock()
	return int64(d.slab.freePages) * pageSize
}

// Lookup results, as nginx's ngx_http_lua_shdict_lookup returns them.
const (
	found    = iota // NGX_OK
	notFound        // NGX_DECLINED
	expired         // NGX_DONE: present but expired
)

func (d *Dict) moveToFront(e *entry) {
	e.prev.next = e.next
	e.next.prev = e.prev
	e.next = d.lru.next
	e.prev = &d.lru
	d.lru.next.prev = e
	d.lru.next = e
}

func (d *Dict) linkFront(e *entry) {
	e.next = d.lru.next
	e.prev = &d.lru
	d.lru.next.prev = e
	d.lru.next = e
}

// lookup finds key; a live entry becomes the most recently used.
func (d *Dict) lookup(key string, now int64) (*entry, int) {
	e := d.items[key]
	if e == nil {
		return nil, notFound
	}
	if e.expires != 0 && e.expires <= now {
		return e, expired
	}
	d.moveToFront(e)
	return e, found
}

// remove deletes e and releases its memory.
func (d *Dict) remove(e *entry) {
	if e.list != nil {
		e.list.each(func(it listItem) { d.slab.free(it.mem) })
		e.list = nil
	}
	e.prev.next = e.next
	e.next.prev = e.prev
	e.prev, e.next = nil, nil
	delete(d.items, e.key)
	d.slab.free(e.mem)
}

// expire is ngx_http_lua_shdict_expire: n == 1 removes up to two expired entries from the
// LRU tail; n == 0 removes the least recently used entry whatever its state, then up to two
// expired ones. It returns how many entries it removed.
func (d *Dict) expire(n int, now int64) int {
	freed := 0
	for ; n < 3; n++ {
		e := d.lru.prev
		if e == &d.lru {
			return freed
		}
		if n != 0 && (e.expires == 0 || e.expires > now) {
			return freed
		}
		d.remove(e)
		freed++
	}
	return freed
}

// allocEvicting allocates n bytes, evicting from the LRU tail (up to 30 rounds, as nginx
// does) when the zone is full. forcible reports whether anything was evicted.
func (d *Dict) allocEvicting(n int, now int64) (mem slabRef, ok, forcible bool) {
	if mem, ok = d.slab.alloc(n); ok {
		return mem, true, false
	}
	for i := 0; i < 30; i++ {
		if d.expire(0, now) == 0 {
			break
		}
		forcible = true
		if mem, ok = d.slab.alloc(n); ok {
			return mem, true, true
		}
	}
	return slabRef{}, false, forcible
}

func expiresAt(now, exptimeMs int64) int64 {
	if exptimeMs > 0 {
		return now + exptimeMs
	}
	return 0
}

// Store operations (lua-nginx-module's op bits).
const (
	opAdd       = 0x0001
	opReplace   = 0x0002
	opSafeStore = 0x0004
)

// store is ngx_http_lua_ffi_shdict_store: set, safe_set, add, safe_add, replace and delete.
// val is nil, a boolean, a number or a string; exptimeMs <= 0 means never.
func (d *Dict) store(op int, key string, val lua.LValue, exptimeMs int64, flags uint32) (ok bool, errmsg string, forcible bool) {
	typ, vlen := valueType(val)
	if typ == tNil && op&(opAdd|opReplace) != 0 {
		return false, "attempt to add or replace nil values", false
	}

	d.mu.Lock()
	defer d.mu.Unlock()
	now := d.now()
	d.expire(1, now)
	e, rc := d.lookup(key, now)

	switch {
	case op&opReplace != 0:
		if rc != found {
			return false, "not found", false
		}
	case op&opAdd != 0:
		if rc == found {
			return false, "exists", false
		}
	default:
		if rc != notFound && typ == tNil {
			d.remove(e)
			return true, "", false
		}
	}

	if e != nil {
		if typ != tNil && vlen == e.vlen && e.typ != tList {
			// Same size: nginx rewrites the node in place.
			d.moveToFront(e)
			e.expires = expiresAt(now, exptimeMs)
			e.flags = flags
			e.typ = typ
			e.val = val
			return true, "", false
		}
		d.remove(e)
	}
	if typ == tNil {
		return true, "", false
	}

	size := nodeOverhead + len(key) + vlen
	var mem slabRef
	if op&opSafeStore != 0 {
		var got bool
		if mem, got = d.slab.alloc(size); !got {
			return false, "no memory", false
		}
	} else {
		var got bool
		if mem, got, forcible = d.allocEvicting(size, now); !got {
			return false, "no memory", forcible
		}
	}
	e = &entry{key: key, typ: typ, val: val, vlen: vlen, flags: flags,
		expires: expiresAt(now, exptimeMs), mem: mem}
	d.items[key] = e
	d.linkFront(e)
	return true, "", forcible
}

// valueType classifies a value to store; the caller has rejected other types.
func valueType(v lua.LValue) (typ uint8, vlen int) {
	switch v := v.(type) {
	case lua.LString:
		return tString, len(v)
	case lua.LNumber:
		return tNumber, 8
	case lua.LBool:
		return tBoolean, 1
	}
	return tNil, 0
}

// get is ngx_http_lua_ffi_shdict_get. A nil val means the key is missing (or expired when
// !stale); errmsg is set when the key holds a list.
func (d *Dict) get(key string, stale bool) (val lua.LValue, flags uint32, isStale bool, errmsg string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	now := d.now()
	if !stale {
		d.expire(1, now)
	}
	e, rc := d.lookup(key, now)
	if rc == notFound || (rc == expired && !stale) {
		return nil, 0, false, ""
	}
	if e.typ == tList {
		return nil, 0, false, "value is a list"
	}
	return e.val, e.flags, rc == expired, ""
}

// incr is ngx_http_lua_ffi_shdict_incr.
func (d *Dict) incr(key string, delta float64, hasInit bool, init float64, initTTLMs int64) (num float64, forcible bool, errmsg string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	now := d.now()
	d.expire(1, now)
	e, rc := d.lookup(key, now)

	if rc == found {
		if e.typ != tNumber {
			return 0, false, "not a number"
		}
		num = float64(e.val.(lua.LNumber)) + delta
		e.val = lua.LNumber(num)
		return num, false, ""
	}
	if !hasInit {
		return 0, false, "not found"
	}
	num = delta + init
	if rc == expired {
		if e.vlen == 8 && e.typ != tList {
			// nginx reuses an expired node of the same size.
			d.moveToFront(e)
			e.typ, e.val, e.flags = tNumber, lua.LNumber(num), 0
			e.expires = expiresAt(now, initTTLMs)
			return num, false, ""
		}
		d.remove(e)
	}
	mem, ok, forcible := d.allocEvicting(nodeOverhead+len(key)+8, now)
	if !ok {
		return 0, forcible, "no memory"
	}
	e = &entry{key: key, typ: tNumber, val: lua.LNumber(num), vlen: 8,
		expires: expiresAt(now, initTTLMs), mem: mem}
	d.items[key] = e
	d.linkFront(e)
	return num, forcible, ""
}

// push is ngx_http_lua_shdict_push_helper. val is a string or a number. On failure it returns
// the value Lua gets first (nil, or false when the list entry itself could not be allocated).
func (d *Dict) push(key string, val lua.LValue, left bool) (n int, fail lua.LValue, errmsg string) {
	_, vlen := valueType(val)
	d.mu.Lock()
	defer d.mu.Unlock()
	now := d.now()
	d.expire(1, now)
	e, rc := d.lookup(key, now)

	switch rc {
	case expired:
		if e.typ != tList {
			d.remove(e)
			e = nil
			break
		}
		// Reuse the expired list: empty it and make it permanent.
		e.list.each(func(it listItem) { d.slab.free(it.mem) })
		e.list = &vlist{}
		e.expires = 0
		d.moveToFront(e)
	case found:
		if e.typ != tList {
			return 0, lua.LNil, "value not a list"
		}
	default:
		e = nil
	}

	if e == nil {
		mem, ok := d.slab.alloc((nodeOverhead + len(key) + listHeadOverhead + 7) &^ 7)
		if !ok {
			return 0, lua.LFalse, "no memory"
		}
		e = &entry{key: key, typ: tList, list: &vlist{}, mem: mem}
		d.items[key] = e
		d.linkFront(e)
	}

	mem, ok := d.slab.alloc(listNodeOverhead + vlen)
	if !ok {
		if e.list.len() == 0 {
			d.remove(e)
		}
		return 0, lua.LNil, "no memory"
	}
	it := listItem{val: val, mem: mem}
	if left {
		e.list.pushLeft(it)
	} else {
		e.list.pushRight(it)
	}
	return e.list.len(), nil, ""
}

// pop is ngx_http_lua_shdict_pop_helper; a nil val with no errmsg means no such key.
func (d *Dict) pop(key string, left bool) (val lua.LValue, errmsg string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	now := d.now()
	d.expire(1, now)
	e, rc := d.lookup(key, now)
	if rc != found {
		return nil, ""
	}
	if e.typ != tList {
		return nil, "value not a list"
	}
	var it listItem
	if left {
		it = e.list.popLeft()
	} else {
		it = e.list.popRight()
	}
	d.slab.free(it.mem)
	if e.list.len() == 0 {
		d.remove(e)
	}
	return it.val, ""
}

// llen is ngx_http_lua_shdict_llen.
func (d *Dict) llen(key string) (n int, errmsg string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	now := d.now()
	d.expire(1, now)
	e, rc := d.lookup(key, now)
	if rc != found {
		return 0, ""
	}
	if e.typ != tList {
		return 0, "value not a list"
	}
	return e.list.len(), ""
}

// ttl is ngx_http_lua_ffi_shdict_get_ttl: milliseconds left, 0 for never. Like nginx it does
// not check expiry, so an expired entry not yet removed gives a negative ttl.
func (d *Dict) ttl(key string) (ms int64, ok bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	e := d.items[key]
	if e == nil {
		return 0, false
	}
	if e.expires == 0 {
		return 0, true
	}
	return e.expires - d.now(), true
}

// setExpire is ngx_http_lua_ffi_shdict_set_expire; like nginx it also applies to an expired
// entry not yet removed, bringing it back.
func (d *Dict) setExpire(key string, exptimeMs int64) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	e := d.items[key]
	if e == nil {
		return false
	}
	e.expires = expiresAt(d.now(), exptimeMs)
	return true
}

// flushAll marks every entry expired and removes a few, as ngx_http_lua_ffi_shdict_flush_all
// does; the rest go lazily (get_stale still sees them) or by flushExpired.
func (d *Dict) flushAll() {
	d.mu.Lock()
	defer d.mu.Unlock()
	for e := d.lru.next; e != &d.lru; e = e.next {
		e.expires = 1
	}
	d.expire(0, d.now())
}

// flushExpired removes up to max expired entries (all when max is 0), oldest first, and
// returns how many it removed.
func (d *Dict) flushExpired(max int) int {
	d.mu.Lock()
	defer d.mu.Unlock()
	now := d.now()
	freed := 0
	for e := d.lru.prev; e != &d.lru; {
		prev := e.prev
		if e.expires != 0 && e.expires <= now {
			d.remove(e)
			freed++
			if max != 0 && freed == max {
				break
			}
		}
		e = prev
	}
	return freed
}

// keys returns up to max live keys (all when max is 0), least recently used first.
func (d *Dict) keys(max int) []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	now := d.now()
	n := len(d.items)
	if max > 0 && max < n {
		n = max
	}
	out := make([]string, 0, n)
	for e := d.lru.prev; e != &d.lru; e = e.prev {
		if e.expires == 0 || e.expires > now {
			out = append(out, e.key)
			if max != 0 && len(out) == max {
				break
			}
		}
	}
	return out
}
