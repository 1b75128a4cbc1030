package main_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/luaws/luaws/internal/testpeer"
)

// TestMetrics: luaws --metrics serves the Prometheus exposition format; after a few echoes
// through the seed handler and one refused handshake, the scraped counters say so.
func TestMetrics(t *testing.T) {
	maddr := fmt.Sprintf("127.0.0.1:%d", testpeer.FreePort(t))
	base, _ := testpeer.StartLuaws(t, "--metrics", maddr, "--shared-dict", "dogs=1m")
	wsURL := "ws" + strings.TrimPrefix(base, "http") + "/s"
	c, _, err := websocket.DefaultDialer.Dial(wsURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		if err := c.WriteMessage(websocket.TextMessage, []byte("hello")); err != nil {
			t.Fatal(err)
		}
		_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
		if _, _, err := c.ReadMessage(); err != nil {
			t.Fatal(err)
		}
	}
	// No Upgrade: server:new refuses it and the seed handler answers 444 (no response).
	if resp, err := http.Get(base + "/s"); err == nil {
		resp.Body.Close()
	}

	checks := []struct {
		family string
		labels map[string]string
		want   float64
	}{
		{"luaws_websocket_connections_open", map[string]string{"location": "/s"}, 1},
		{"luaws_websocket_connections_total", map[string]string{"location": "/s"}, 1},
		{"luaws_websocket_frames_received_total", map[string]string{"opcode": "text"}, 3},
		{"luaws_websocket_frames_sent_total", map[string]string{"opcode": "text"}, 3},
		{"luaws_websocket_bytes_received_total", map[string]string{"opcode": "text"}, 15},
		{"luaws_websocket_bytes_sent_total", map[string]string{"opcode": "text"}, 21},
		{"luaws_websocket_handshakes_refused_total", map[string]string{"reason": "upgrade"}, 1},
		{"luaws_shared_dict_capacity_bytes", map[string]string{"zone": "dogs"}, 1 << 20},
		{"luaws_lua_handlers_running", nil, 1},
	}
	// The server counts a frame once its write returned, which may be just after the client
	// read it: scrape until the counts settle (bounded).
	var fams map[string]*dto.MetricFamily
	var bad []string
	for end := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		fams, bad = scrape(t, "http://"+maddr+"/metrics"), nil
		for _, ck := range checks {
			got, ok := metricValue(fams, ck.family, ck.labels)
			if !ok || got != ck.want {
				bad = append(bad, fmt.Sprintf("%s%v = %v (present %v), want %v", ck.family, ck.labels, got, ok, ck.want))
			}
		}
		if len(bad) == 0 || time.Now().After(end) {
			break
		}
	}
	for _, b := range bad {
		t.Error(b)
	}
	for _, f := range []string{"go_gc_duration_seconds", "go_memstats_heap_alloc_bytes", "luaws_lua_errors_total", "luaws_lua_timers_pending"} {
		if _, ok := fams[f]; !ok {
			t.Errorf("family %s missing", f)
		}
	}
	c.Close()
}

func scrape(t *testing.T, url string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("parse exposition format: %v", err)
	}
	return fams
}

func metricValue(fams map[string]*dto.MetricFamily, name string, labels map[string]string) (float64, bool) {
	f, ok := fams[name]
	if !ok {
		return 0, false
	}
next:
	for _, m := range f.GetMetric() {
		for k, v := range labels {
			found := false
			for _, lp := range m.GetLabel() {
				if lp.GetName() == k && lp.GetValue() == v {
					found = true
				}
			}
			if !found {
				continue next
			}
		}
		switch {
		case m.Counter != nil:
			return m.GetCounter().GetValue(), true
		case m.Gauge != nil:
			return m.GetGauge().GetValue(), true
		}
	}
	return 0, false
}
