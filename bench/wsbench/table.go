package main

import (
	"fmt"
	"io"
	"runtime"
	"strings"
	"time"
)

var serverTitle = map[string]string{
	"openresty":    "OpenResty (nginx + lua module)",
	"gorilla":      "gorilla (pure Go)",
	"luaws":        "luaws",
	"luaws-before": "luaws before",
}

// printTable prints the medians as the Markdown table: server CPU per operation and
// the rows for latency, idle connections and two cores, with luaws ÷ OpenResty.
func printTable(w io.Writer, o *runOpts, scs []scenario, all []result, took time.Duration) {
	cols := []string{"openresty", "gorilla", "luaws"}
	have := map[string]bool{}
	for _, s := range o.servers {
		have[s] = true
	}
	if have["luaws-before"] {
		cols = []string{"openresty", "gorilla", "luaws-before", "luaws"}
	}
	fmt.Fprintf(w, "\n%s, %s, %d round(s) × %v, medians; took %v\n\n", time.Now().UTC().Format("2006-01-02 15:04 MST"),
		machine(), o.rounds, o.window, took.Round(time.Second))
	fmt.Fprint(w, "| per operation (server CPU) |")
	for _, c := range cols {
		fmt.Fprintf(w, " %s |", serverTitle[c])
	}
	fmt.Fprint(w, " luaws ÷ OpenResty |")
	if have["luaws-before"] {
		fmt.Fprint(w, " before ÷ OpenResty |")
	}
	seps := len(cols) + 1
	if have["luaws-before"] {
		seps++
	}
	fmt.Fprintln(w, "\n|---|"+strings.Repeat("---|", seps))
	row := func(label, sc string, f func(*result) float64, unit string, format string, noRatio bool) {
		vals := map[string]float64{}
		fmt.Fprintf(w, "| %s |", label)
		for _, c := range cols {
			v, ok := median(all, c, sc, f)
			if !ok || !have[c] {
				fmt.Fprint(w, " — |")
				continue
			}
			vals[c] = v
			fmt.Fprintf(w, " "+format+" %s |", v, unit)
		}
		ratio := "—"
		if a, ok := vals["luaws"]; ok && !noRatio {
			if b, ok := vals["openresty"]; ok && b != 0 {
				ratio = fmt.Sprintf("%.2f×", a/b)
			}
		}
		fmt.Fprintf(w, " %s |", ratio)
		if have["luaws-before"] {
			ratio = "—"
			if a, ok := vals["luaws-before"]; ok && !noRatio {
				if b, ok := vals["openresty"]; ok && b != 0 {
					ratio = fmt.Sprintf("%.2f×", a/b)
				}
			}
			fmt.Fprintf(w, " %s |", ratio)
		}
		fmt.Fprintln(w)
	}
	cpu := func(r *result) float64 { return r.CPUus }
	for _, sc := range scs {
		if o.only != "" && !strings.Contains(sc.name, o.only) {
			continue
		}
		switch {
		case sc.kind == "idle":
			row(fmt.Sprintf("RSS per idle connection, %d open", sc.conns), sc.name, func(r *result) float64 { return r.RSSPer / 1000 }, "KB", "%.1f", false)
			row(fmt.Sprintf("CPU of %d idle connections (5 s pings)", sc.conns), sc.name, func(r *result) float64 { return r.IdleCPU }, "%", "%.2f", false)
		case sc.twoCores:
			row(sc.name+": throughput", sc.name, func(r *result) float64 { return r.opsPerSec() / 1000 }, "k msg/s", "%.0f", false)
		default:
			row(sc.name, sc.name, cpu, "µs", "%.2f", false)
			if sc.conns == 50 && sc.inflight == 1 && sc.size == 64 {
				row("latency p50, 50 connections", sc.name, func(r *result) float64 { return r.P50us }, "µs", "%.0f", false)
				row("latency p99, 50 connections", sc.name, func(r *result) float64 { return r.P99us }, "µs", "%.0f", false)
				row("generator CPU per echo (its ceiling)", sc.name, func(r *result) float64 { return r.GenCPUus }, "µs", "%.2f", true)
			}
		}
	}
	var errs []string
	for _, r := range all {
		if r.Errors > 0 {
			errs = append(errs, fmt.Sprintf("%s, %s: %d errors (first: %s)", r.Server, r.Scenario, r.Errors, r.FirstErr))
		}
	}
	if len(errs) > 0 {
		fmt.Fprintln(w, "\nERRORS (figures of these runs are suspect):")
		for _, e := range errs {
			fmt.Fprintln(w, "  "+e)
		}
	}
	// the generator's ceiling against the fastest server, pinned echo at 50 connections
	sc := scs[0].name
	if g, ok := median(all, "luaws", sc, func(r *result) float64 { return r.GenCPUus }); ok && g > 0 {
		best, bestName := 0.0, ""
		for _, c := range cols {
			if v, ok := median(all, c, sc, func(r *result) float64 { return r.opsPerSec() }); ok && v > best {
				best, bestName = v, c
			}
		}
		fmt.Fprintf(w, "\nGenerator ceiling (%s): %.0fk msg/s on its core (%.2f µs CPU per echo); fastest server reached %.0fk msg/s (%s).\n",
			sc, 1000/g, g, best/1000, bestName)
	}
}

func machine() string {
	model := ""
	if b, err := readFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(b, "\n") {
			if v, ok := strings.CutPrefix(line, "model name"); ok {
				model = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(v), ":"))
				break
			}
		}
	}
	return fmt.Sprintf("%s, %d cores, %s", model, runtime.NumCPU(), runtime.Version())
}
