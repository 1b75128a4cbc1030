package main

import (
	"fmt"
	"sync"
	"time"
)

// result is one measured run of one scenario against one server.
type result struct {
	Server   string  `json:"server"`
	Scenario string  `json:"scenario"`
	Ops      int64   `json:"ops"`
	Seconds  float64 `json:"seconds"`
	CPUus    float64 `json:"cpu_us_per_op"`     // server CPU per operation
	UserUS   float64 `json:"user_us_per_op"`    // the server's user-space share of it
	SysUS    float64 `json:"sys_us_per_op"`     // and its kernel share (from the tick counts)
	GenCPUus float64 `json:"gen_cpu_us_per_op"` // the generator's own CPU per operation
	P50us    float64 `json:"p50_us"`
	P99us    float64 `json:"p99_us"`
	RSSPer   float64 `json:"rss_per_conn_bytes,omitempty"`
	IdleCPU  float64 `json:"idle_cpu_percent,omitempty"`
	Errors   int64   `json:"errors"`
	FirstErr string  `json:"first_error,omitempty"`
}

func (r *result) opsPerSec() float64 { return float64(r.Ops) / r.Seconds }

// measureLoad starts cfg.Conns goroutines of worker, and over the timed window counts their
// operations and the CPU time of the server process tree (pid) and of the generator.
func measureLoad(cfg *genConfig, pid int, worker func(*genConfig, int, *counters, <-chan struct{}, *sync.WaitGroup)) result {
	ct := &counters{}
	stop := make(chan struct{})
	var ready, all sync.WaitGroup
	ready.Add(cfg.Conns)
	all.Add(cfg.Conns)
	for i := range cfg.Conns {
		go func() {
			defer all.Done()
			worker(cfg, i, ct, stop, &ready)
		}()
	}
	ready.Wait()
	time.Sleep(cfg.Warmup)
	u0, k0 := userSysTicks(pid)
	s0, g0, t0 := cpuTime(pid), selfCPU(), time.Now()
	ct.measuring.Store(true)
	time.Sleep(cfg.Window)
	ct.measuring.Store(false)
	s1, g1, t1 := cpuTime(pid), selfCPU(), time.Now()
	u1, k1 := userSysTicks(pid)
	close(stop)
	waitTimeout(&all, 10*time.Second, ct)
	r := result{Ops: ct.ops.Load(), Seconds: t1.Sub(t0).Seconds(), Errors: ct.errs.Load()}
	if r.Ops > 0 {
		r.CPUus = float64((s1 - s0).Microseconds()) / float64(r.Ops)
		r.GenCPUus = float64((g1 - g0).Microseconds()) / float64(r.Ops)
		if du, dk := u1-u0, k1-k0; du+dk > 0 {
			r.UserUS = r.CPUus * float64(du) / float64(du+dk)
			r.SysUS = r.CPUus - r.UserUS
		}
	}
	r.P50us = float64(ct.hist.quantile(0.50).Microseconds())
	r.P99us = float64(ct.hist.quantile(0.99).Microseconds())
	if e, ok := ct.firstErr.Load().(string); ok {
		r.FirstErr = e
	}
	return r
}

// measureIdle opens cfg.Conns websockets, and reports the server's RSS growth per connection
// and its CPU use while they sit idle (answering the handler's pings) for the window.
func measureIdle(cfg *genConfig, pid int) result {
	ct := &counters{}
	// warm the server up (Lua state, module loading) before the baseline
	for i := range 50 {
		if err := handshakeOnce(cfg, i, 0, make([]byte, cfg.Size), make([]byte, cfg.Size)); err != nil {
			ct.fail(err)
		}
	}
	time.Sleep(time.Second)
	rss0 := rssBytes(pid)
	stop := make(chan struct{})
	var ready, all sync.WaitGroup
	ready.Add(cfg.Conns)
	all.Add(cfg.Conns)
	sem := make(chan struct{}, 50)
	for range cfg.Conns {
		go func() {
			defer all.Done()
			idleConn(cfg, ct, stop, &ready, sem)
		}()
	}
	ready.Wait()
	time.Sleep(cfg.Warmup)
	rss1 := rssBytes(pid)
	s0, t0 := cpuTime(pid), time.Now()
	time.Sleep(cfg.Window)
	s1, t1 := cpuTime(pid), time.Now()
	close(stop)
	waitTimeout(&all, 30*time.Second, ct)
	r := result{Seconds: t1.Sub(t0).Seconds(), Errors: ct.errs.Load()}
	r.RSSPer = float64(rss1-rss0) / float64(cfg.Conns)
	r.IdleCPU = 100 * (s1 - s0).Seconds() / r.Seconds
	if e, ok := ct.firstErr.Load().(string); ok {
		r.FirstErr = e
	}
	return r
}

func waitTimeout(wg *sync.WaitGroup, d time.Duration, ct *counters) {
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(d):
		ct.fail(fmt.Errorf("connections did not finish within %v", d))
	}
}
