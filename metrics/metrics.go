// Package metrics exposes a luaws host's counters in the Prometheus exposition format
// (luaws --metrics ADDR, or an nginx.conf location with "luaws_metrics;", as stub_status), built on the
// Prometheus Go client library.
//
// Families (all prefixed luaws_): websocket_connections_open and _total per location,
// websocket_handshakes_refused_total by reason, websocket_frames_received_total and
// _sent_total and websocket_bytes_received_total and _sent_total by opcode,
// lua_errors_total, lua_threads_spawned_total, lua_handlers_running, lua_timers_pending and
// _running, shared_dict_capacity_bytes and _free_bytes per zone; and the Go client's own
// go_* (GC, heap, goroutines) and process_* families.
package metrics

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/luaws/luaws/luabind"
	"github.com/luaws/luaws/wsnative"
)

// Handler serves the host's metrics; the host must have been built with Config.Stats set.
func Handler(h *luabind.Host) http.Handler {
	return HostsHandler(func() []*luabind.Host { return []*luabind.Host{h} })
}

// HostsHandler serves the metrics of the hosts hosts returns at each scrape (an nginx.conf
// site's hosts, which share one Stats and one shared-dict registry): counters from the
// first host's Stats, timers summed over all.
func HostsHandler(hosts func() []*luabind.Host) http.Handler {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		&hostCollector{hosts: hosts})
	return promhttp.HandlerFor(reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError})
}

func desc(name, help string, labels ...string) *prometheus.Desc {
	return prometheus.NewDesc("luaws_"+name, help, labels, nil)
}

var (
	dOpen      = desc("websocket_connections_open", "WebSocket connections open now.", "location")
	dTotal     = desc("websocket_connections_total", "WebSocket connections accepted.", "location")
	dRefused   = desc("websocket_handshakes_refused_total", "WebSocket handshakes refused by server:new.", "reason")
	dFramesIn  = desc("websocket_frames_received_total", "Frames returned by recv_frame.", "opcode")
	dFramesOut = desc("websocket_frames_sent_total", "Frames sent by send_*.", "opcode")
	dBytesIn   = desc("websocket_bytes_received_total", "Payload bytes returned by recv_frame.", "opcode")
	dBytesOut  = desc("websocket_bytes_sent_total", "Bytes written on the wire by send_*.", "opcode")
	dErrors    = desc("lua_errors_total", "Light threads aborted by a Lua runtime error.")
	dThreads   = desc("lua_threads_spawned_total", "Light threads started (entry threads included).")
	dHandlers  = desc("lua_handlers_running", "Lua handlers running now (open websockets included).")
	dPending   = desc("lua_timers_pending", "ngx.timer callbacks waiting to run.")
	dRunning   = desc("lua_timers_running", "ngx.timer callbacks running.")
	dDictCap   = desc("shared_dict_capacity_bytes", "Size of a lua_shared_dict zone.", "zone")
	dDictFree  = desc("shared_dict_free_bytes", "Free pages of a lua_shared_dict zone, as free_space().", "zone")
)

type hostCollector struct{ hosts func() []*luabind.Host }

func (c *hostCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{dOpen, dTotal, dRefused, dFramesIn, dFramesOut, dBytesIn, dBytesOut,
		dErrors, dThreads, dHandlers, dPending, dRunning, dDictCap, dDictFree} {
		ch <- d
	}
}

func (c *hostCollector) Collect(ch chan<- prometheus.Metric) {
	hs := c.hosts()
	if len(hs) == 0 || hs[0].Stats() == nil {
		return
	}
	st := hs[0].Stats()
	st.Locations(func(name string, ls *luabind.LocationStats) {
		ch <- prometheus.MustNewConstMetric(dOpen, prometheus.GaugeValue, float64(ls.Open.Load()), name)
		ch <- prometheus.MustNewConstMetric(dTotal, prometheus.CounterValue, float64(ls.Total.Load()), name)
	})
	st.RefusedCounts(func(reason string, n uint64) {
		ch <- prometheus.MustNewConstMetric(dRefused, prometheus.CounterValue, float64(n), reason)
	})
	for op := range st.FramesIn {
		name := wsnative.OpName(byte(op))
		if name == "" {
			continue
		}
		ch <- prometheus.MustNewConstMetric(dFramesIn, prometheus.CounterValue, float64(st.FramesIn[op].Load()), name)
		ch <- prometheus.MustNewConstMetric(dFramesOut, prometheus.CounterValue, float64(st.FramesOut[op].Load()), name)
		ch <- prometheus.MustNewConstMetric(dBytesIn, prometheus.CounterValue, float64(st.BytesIn[op].Load()), name)
		ch <- prometheus.MustNewConstMetric(dBytesOut, prometheus.CounterValue, float64(st.BytesOut[op].Load()), name)
	}
	ch <- prometheus.MustNewConstMetric(dErrors, prometheus.CounterValue, float64(st.LuaErrors.Load()))
	ch <- prometheus.MustNewConstMetric(dThreads, prometheus.CounterValue, float64(st.ThreadsSpawned.Load()))
	ch <- prometheus.MustNewConstMetric(dHandlers, prometheus.GaugeValue, float64(st.HandlersRunning.Load()))
	pending, running := 0, 0
	for _, h := range hs {
		p, r := h.TimerCounts()
		pending, running = pending+p, running+r
	}
	ch <- prometheus.MustNewConstMetric(dPending, prometheus.GaugeValue, float64(pending))
	ch <- prometheus.MustNewConstMetric(dRunning, prometheus.GaugeValue, float64(running))
	if reg := hs[0].SharedDicts(); reg != nil {
		for _, name := range reg.Names() {
			d := reg.Get(name)
			if d == nil {
				continue
			}
			ch <- prometheus.MustNewConstMetric(dDictCap, prometheus.GaugeValue, float64(d.Capacity()), name)
			ch <- prometheus.MustNewConstMetric(dDictFree, prometheus.GaugeValue, float64(d.FreeSpace()), name)
		}
	}
}
