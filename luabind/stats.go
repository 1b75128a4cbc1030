package luabind

import (
	"errors"
	"sync"
	"sync/atomic"

	"github.com/luaws/luaws/luabind/shdict"
	"github.com/luaws/luaws/wsnative"
)

// Stats are the counters a Host keeps when Config.Stats is set (luaws --metrics): plain
// atomics on the hot paths, read by the metrics package at scrape time. A Host without
// Stats pays one nil check per frame.
type Stats struct {
	FramesIn, FramesOut [16]atomic.Uint64 // by opcode
	BytesIn, BytesOut   [16]atomic.Uint64 // payload bytes received, bytes written on the wire
	LuaErrors           atomic.Uint64     // threads aborted by a runtime error
	ThreadsSpawned      atomic.Uint64     // light threads started (entry threads included)
	HandlersRunning     atomic.Int64      // Lua handlers running now (websockets included)

	mu        sync.Mutex
	locations map[string]*LocationStats
	refused   map[string]*atomic.Uint64
}

// LocationStats count the WebSocket connections of one location.
type LocationStats struct {
	Open  atomic.Int64
	Total atomic.Uint64
}

// Location returns the counters of a location, created on first use.
func (s *Stats) Location(name string) *LocationStats {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.locations == nil {
		s.locations = map[string]*LocationStats{}
	}
	ls := s.locations[name]
	if ls == nil {
		ls = &LocationStats{}
		s.locations[name] = ls
	}
	return ls
}

// Locations calls f for every location seen so far.
func (s *Stats) Locations(f func(name string, ls *LocationStats)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for n, ls := range s.locations {
		f(n, ls)
	}
}

// Refused counts a refused handshake by reason (a short fixed word: "upgrade", "key", ...).
func (s *Stats) Refused(reason string) {
	s.mu.Lock()
	if s.refused == nil {
		s.refused = map[string]*atomic.Uint64{}
	}
	c := s.refused[reason]
	if c == nil {
		c = &atomic.Uint64{}
		s.refused[reason] = c
	}
	s.mu.Unlock()
	c.Add(1)
}

// RefusedCounts calls f for every reason seen so far.
func (s *Stats) RefusedCounts(f func(reason string, n uint64)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for r, c := range s.refused {
		f(r, c.Load())
	}
}

// TimerCounts returns the host's pending and running timers (ngx.timer.pending_count and
// running_count summed over its states).
func (h *Host) TimerCounts() (pending, running int) {
	h.timers.mu.Lock()
	defer h.timers.mu.Unlock()
	return h.timers.pending, h.timers.running
}

// SharedDicts returns the host's lua_shared_dict registry (nil: none).
func (h *Host) SharedDicts() *shdict.Registry { return h.cfg.SharedDicts }

// Stats returns the host's counters (nil unless Config.Stats was set).
func (h *Host) Stats() *Stats { return h.cfg.Stats }

// locationName is the request's location for metrics: the configured location's path, or
// the request path (flag mode, where each --location is an exact path).
func (r *request) locationName() string {
	if r.sc.location != "" {
		return r.sc.location
	}
	return r.r.URL.Path
}

// refusedReason classifies a handshake error for metrics.
func refusedReason(err error) string {
	switch {
	case errors.Is(err, wsnative.ErrBadHTTPVersion):
		return "http_version"
	case errors.Is(err, wsnative.ErrBadUpgrade):
		return "upgrade"
	case errors.Is(err, wsnative.ErrBadConnection):
		return "connection"
	case errors.Is(err, wsnative.ErrBadKey):
		return "key"
	case errors.Is(err, wsnative.ErrBadVersion):
		return "version"
	}
	return "other"
}
