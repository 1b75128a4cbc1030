package luabind

import (
	"sync"
	"sync/atomic"
)

// baton is the right to run Lua in a state. It is handed over in FIFO order, and a holder can
// queue a blocked thread as a future owner (enqueue), so that threads woken in some order
// (ngx.semaphore's post, say) run in that order, as OpenResty resumes them.
//
// gen counts acquisitions and owner names the light thread holding it (when known): the
// watchdog of lua_max_running_time (budget.go) reads both to find a thread that keeps the
// baton without yielding.
type baton struct {
	mu    sync.Mutex
	held  bool
	queue []chan struct{}

	// For the memory guard (memguard.go): turn counts hand-overs, and owner is the light
	// thread that claimed the baton at turn ownerTurn (owner is current only while
	// ownerTurn == turn).
	turn      atomic.Uint64
	owner     atomic.Pointer[lthread]
	ownerTurn atomic.Uint64
}

// claim records t as the holder of the baton (the caller holds it and is t).
func (b *baton) claim(t *lthread) {
	b.owner.Store(t)
	b.ownerTurn.Store(b.turn.Load())
}

// handTo records a hand-over without Lock/Unlock (a spawned thread running first, and the
// baton coming back to its spawner).
func (b *baton) handTo(t *lthread) {
	b.turn.Add(1)
	b.claim(t)
}

// Lock waits for the baton.
func (b *baton) Lock() {
	b.mu.Lock()
	if !b.held {
		b.held = true
		b.mu.Unlock()
		b.turn.Add(1)
		return
	}
	ch := lockWaits.Get().(chan struct{})
	b.queue = append(b.queue, ch)
	b.mu.Unlock()
	<-ch
	lockWaits.Put(ch) // received from, so empty again
}

// lockWaits are the channels Lock waits on: buffered, so that Unlock hands the baton over
// with a send and the channel serves again (with many connections on one state, nearly
// every blocking call's return waits in line). enqueue's channels are unbuffered, and closed.
var lockWaits = sync.Pool{New: func() any { return make(chan struct{}, 1) }}

// Unlock passes the baton to the first in line, or frees it.
func (b *baton) Unlock() {
	b.mu.Lock()
	b.owner.Store(nil)
	b.turn.Add(1)
	if len(b.queue) > 0 {
		ch := b.queue[0]
		b.queue = b.queue[1:]
		b.mu.Unlock()
		if cap(ch) == 1 {
			ch <- struct{}{} // Lock's: it takes the value and puts the channel back in the pool
		} else {
			close(ch)
		}
		return
	}
	b.held = false
	b.mu.Unlock()
}

// busy reports whether some thread holds the baton now.
func (b *baton) busy() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.held
}

// enqueue puts ch in line for the baton (the caller holds it): ch must be unbuffered; when
// the baton reaches ch, ch is closed and its waiter owns the baton without calling Lock.
func (b *baton) enqueue(ch chan struct{}) {
	b.mu.Lock()
	b.queue = append(b.queue, ch)
	b.mu.Unlock()
}

// owns records t as the baton's holder (t has just got it).
func (t *lthread) owns() { t.req.vm.baton.claim(t) }
