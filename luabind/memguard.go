package luabind

import (
	"errors"
	"runtime/metrics"
	"time"

	"github.com/luaws/luaws/luabind/luajit"
)

// The memory guard: the part of Config.MemoryLimit that library checks cannot see.
//
// gopher-lua has no allocator hook, so a loop that grows a table (t[#t+1] = {...}) allocates
// without any luaws function being called. What such a loop does is hold its state's baton:
// it never blocks. So every memGuardInterval the guard looks at each worker state's baton;
// when the same light thread has held it since the last look and the Go heap's live bytes
// (at the last GC) have grown by more than the limit since that thread was first seen
// holding it, the thread is killed with LuaJIT's "not enough memory" (the request's entry
// thread: the request ends with a 500, as for any Lua error; a user thread: that thread).
//
// It covers worker states (lua_code_cache on, the default), not the per-request states of
// lua_code_cache off. Growth is the whole process's, so it is attributed to a thread that
// ran without blocking across the whole window: another state's growth in that window counts
// too, a looser bound than an allocator's, but it never blames a thread that yields.

// memGuardInterval is how often the guard looks.
const memGuardInterval = 10 * time.Millisecond

// errNoMemory is the error a thread killed by the guard dies of.
var errNoMemory = errors.New(luajit.ErrNoMemory)

// guardMemory runs until stop closes (Host.Shutdown).
func (h *Host) guardMemory(stop <-chan struct{}) {
	type look struct {
		t    *lthread
		turn uint64
		base uint64
	}
	limit := uint64(h.cfg.MemoryLimit)
	last := make([]look, len(h.workers))
	sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	tick := time.NewTicker(memGuardInterval)
	defer tick.Stop()
	for {
		select {
		case <-stop:
			return
		case <-tick.C:
		}
		metrics.Read(sample)
		if sample[0].Value.Kind() != metrics.KindUint64 {
			return
		}
		live := sample[0].Value.Uint64()
		for i, v := range h.workers {
			b := &v.baton
			turn := b.turn.Load()
			owner := b.owner.Load()
			if owner == nil || b.ownerTurn.Load() != turn {
				last[i] = look{}
				continue
			}
			if last[i].t != owner || last[i].turn != turn {
				last[i] = look{t: owner, turn: turn, base: live}
				continue
			}
			if live > last[i].base && live-last[i].base > limit {
				owner.oom.Store(true)
				owner.kill()
				last[i] = look{}
			}
		}
	}
}
