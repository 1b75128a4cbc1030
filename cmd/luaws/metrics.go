package main

import (
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/luaws/luaws/errlog"
	"github.com/luaws/luaws/luabind"
	"github.com/luaws/luaws/metrics"
)

// serveMetrics serves the host's Prometheus metrics on a listener of their own at
// http://ADDR/metrics (luaws --metrics ADDR); the returned function stops it.
func serveMetrics(addr string, h *luabind.Host, lg *errlog.Logger) (func(), error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("--metrics: listen on %s: %w", addr, err)
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", metrics.Handler(h))
	hs := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := hs.Serve(ln); err != nil && err != http.ErrServerClosed {
			lg.Log(errlog.Err, nil, "metrics listener: "+err.Error())
		}
	}()
	return func() { _ = hs.Close() }, nil
}
