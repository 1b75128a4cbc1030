package luabind

import (
	"container/heap"
	"sync"
	"time"
)

// timerOrder makes a state's timers start in the order nginx's timer tree runs them: by expiry
// time, then by creation (two ngx.timer.at(0.01, ...) in a row run first, second). Each timer
// waits on its own Go timer, so without this the goroutines of timers that expire together
// would race for the baton. A timer enters the queue when it is armed, and may take the baton
// only once it is the earliest entry; it leaves once it holds the baton.
type timerOrder struct {
	mu   sync.Mutex
	cond sync.Cond
	seq  uint64
	q    timerHeap
}

type timerEntry struct {
	due time.Time
	seq uint64
}

type timerHeap []*timerEntry

func (h timerHeap) Len() int { return len(h) }
func (h timerHeap) Less(i, j int) bool {
	if !h[i].due.Equal(h[j].due) {
		return h[i].due.Before(h[j].due)
	}
	return h[i].seq < h[j].seq
}
func (h timerHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *timerHeap) Push(x any)   { *h = append(*h, x.(*timerEntry)) }
func (h *timerHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	return e
}

// arm queues a timer that expires at due.
func (o *timerOrder) arm(due time.Time) *timerEntry {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.cond.L == nil {
		o.cond.L = &o.mu
	}
	o.seq++
	e := &timerEntry{due: due, seq: o.seq}
	heap.Push(&o.q, e)
	return e
}

// awaitTurn blocks until no timer that expires before e (or together with it, created
// earlier) is still waiting to start. Those have expired already (their due time is not
// later than e's), so the wait is only for their goroutines to be scheduled.
func (o *timerOrder) awaitTurn(e *timerEntry) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for len(o.q) > 0 && o.q[0] != e {
		o.cond.Wait()
	}
}

// started removes e once its callback holds the baton (or will not run); the next one in
// line may then go. It is a no-op for an entry already removed.
func (o *timerOrder) started(e *timerEntry) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for i, x := range o.q {
		if x == e {
			heap.Remove(&o.q, i)
			o.cond.Broadcast()
			return
		}
	}
}
