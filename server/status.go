package server

import (
	"fmt"
	"net"
	"net/http"
	"strconv"
	"sync"
)

// connStats are nginx's stub_status counters for a Site.
type connStats struct {
	mu       sync.Mutex
	accepts  int64
	handled  int64
	requests int64
	active   int64 // open connections, taken-over ones included until their request ends
	reading  int64 // connections reading a request head
	writing  int64 // requests being processed
	states   map[net.Conn]http.ConnState
}

// connState is http.Server.ConnState.
func (c *connStats) connState(conn net.Conn, s http.ConnState) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.states == nil {
		c.states = map[net.Conn]http.ConnState{}
	}
	if prev, known := c.states[conn]; known && prev == http.StateNew {
		c.reading--
	}
	switch s {
	case http.StateNew:
		c.accepts++
		c.handled++
		c.active++
		c.reading++
		c.states[conn] = s
	case http.StateActive, http.StateIdle:
		c.states[conn] = s
	case http.StateHijacked:
		// still open: the request's end (reqState) closes the account
		delete(c.states, conn)
	case http.StateClosed:
		delete(c.states, conn)
		c.active--
	}
}

// request counts a request (and its connection's request number) until it ends.
func (c *connStats) request(st *reqState) {
	c.mu.Lock()
	c.requests++
	c.writing++
	c.mu.Unlock()
	st.atEnd(func() {
		c.mu.Lock()
		c.writing--
		if st.rw != nil && st.rw.hijacked {
			c.active--
		}
		c.mu.Unlock()
	})
}

// StubStatus serves nginx's stub_status page.
type StubStatus struct{ site *Site }

func (h *StubStatus) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		writeSpecial(w, r, http.StatusMethodNotAllowed)
		return
	}
	c := &h.site.stats
	c.mu.Lock()
	waiting := c.active - c.reading - c.writing
	if waiting < 0 {
		waiting = 0
	}
	body := fmt.Sprintf("Active connections: %d \nserver accepts handled requests\n %d %d %d \n"+
		"Reading: %d Writing: %d Waiting: %d \n", c.active, c.accepts, c.handled, c.requests,
		c.reading, c.writing, waiting)
	c.mu.Unlock()
	w.Header().Set("Server", "luaws")
	w.Header().Set("Content-Type", "text/plain")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write([]byte(body))
	}
}
