package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// scenario is one row of the table.
type scenario struct {
	name     string
	kind     string // echo, handshake, idle
	conns    int
	inflight int
	size     int
	binary   bool
	noCache  bool // lua_code_cache off
	twoCores bool // server and generator unpinned, two workers
}

type runOpts struct {
	luaws, gorilla, restyLib, echoLua string
	luawsBefore                       string // another luaws build, shown beside (before/after)
	rounds                            int
	window, warmup                    time.Duration
	idle                              int
	only                              string
	jsonOut                           string
	servers                           []string
}

func runMain(args []string) error {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	o := &runOpts{}
	quick := fs.Bool("quick", false, "one round, 1 s windows, 2,000 idle connections")
	servers := fs.String("servers", "openresty,gorilla,luaws", "servers to measure, in this order")
	fs.StringVar(&o.luaws, "luaws", "", "luaws binary")
	fs.StringVar(&o.gorilla, "gorilla", "", "gorilla echo server binary")
	fs.StringVar(&o.luawsBefore, "luaws-before", "", "another luaws binary (a baseline build), measured as server luaws-before")
	fs.StringVar(&o.restyLib, "resty-lib", "", "lua-resty-websocket's lib/ directory (none: no OpenResty row)")
	fs.StringVar(&o.echoLua, "handler", "", "the echo handler (bench/echo.lua)")
	fs.IntVar(&o.rounds, "rounds", 3, "interleaved rounds (the table shows medians)")
	fs.DurationVar(&o.window, "window", 3*time.Second, "timed window per run")
	fs.DurationVar(&o.warmup, "warmup", 500*time.Millisecond, "warm-up per run")
	fs.IntVar(&o.idle, "idle", 10000, "idle connections held open for the RSS and idle-CPU rows")
	fs.StringVar(&o.only, "only", "", "run only scenarios whose name contains this")
	fs.StringVar(&o.jsonOut, "json", "", "also write every run's result to this file (JSON lines)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *quick {
		o.rounds, o.window, o.warmup, o.idle = 1, time.Second, 300*time.Millisecond, 2000
	}
	for _, s := range strings.Split(*servers, ",") {
		if s == "openresty" && o.restyLib == "" {
			fmt.Fprintln(os.Stderr, "wsbench: skipping OpenResty: no lua-resty-websocket lib/ given (--resty-lib DIR or RESTY_WEBSOCKET_LIB)")
			continue
		}
		o.servers = append(o.servers, s)
	}
	if o.luawsBefore != "" {
		o.servers = append([]string{"luaws-before"}, o.servers...)
	}
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err == nil && lim.Cur < uint64(o.idle)+1000 {
		lim.Cur = min(lim.Max, uint64(o.idle)+1000)
		_ = syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim)
		if lim.Cur < uint64(o.idle)+1000 {
			return fmt.Errorf("open file limit %d is too low for %d idle connections (ulimit -n)", lim.Cur, o.idle)
		}
	}
	scenarios := []scenario{
		{name: "echo 64 B, 50 connections", kind: "echo", conns: 50, inflight: 1, size: 64},
		{name: "echo 64 B, 500 connections", kind: "echo", conns: 500, inflight: 1, size: 64},
		{name: "echo 64 B, 50 conns, 16 in flight each", kind: "echo", conns: 50, inflight: 16, size: 64},
		{name: "echo 16 KiB binary, 50 connections", kind: "echo", conns: 50, inflight: 1, size: 16 << 10, binary: true},
		{name: "handshake + one echo + close, 50 workers", kind: "handshake", conns: 50, size: 64},
		{name: "handshake + one echo + close, lua_code_cache off", kind: "handshake", conns: 50, size: 64, noCache: true},
		{name: fmt.Sprintf("idle connections, %d open", o.idle), kind: "idle", conns: o.idle, size: 64},
		{name: "two cores unpinned, echo 64 B, 50 connections", kind: "echo", conns: 50, inflight: 1, size: 64, twoCores: true},
	}
	var all []result
	var jsonw *os.File
	if o.jsonOut != "" {
		f, err := os.Create(o.jsonOut)
		if err != nil {
			return err
		}
		defer f.Close()
		jsonw = f
	}
	start := time.Now()
	for round := 1; round <= o.rounds; round++ {
		for _, sc := range scenarios {
			if o.only != "" && !strings.Contains(sc.name, o.only) {
				continue
			}
			for _, srv := range o.servers {
				if sc.noCache && srv == "gorilla" {
					continue
				}
				r, err := runOne(o, srv, sc)
				if err != nil {
					return fmt.Errorf("%s, %s: %w", srv, sc.name, err)
				}
				fmt.Fprintf(os.Stderr, "round %d  %-9s %-50s %s\n", round, srv, sc.name, brief(r))
				all = append(all, r)
				if jsonw != nil {
					_ = json.NewEncoder(jsonw).Encode(r)
				}
			}
		}
	}
	printTable(os.Stdout, o, scenarios, all, time.Since(start))
	return nil
}

func brief(r result) string {
	s := ""
	switch {
	case r.RSSPer != 0 || r.IdleCPU != 0:
		s = fmt.Sprintf("%.1f KB/conn, idle CPU %.2f%%", r.RSSPer/1000, r.IdleCPU)
	default:
		s = fmt.Sprintf("%.0f ops/s, %.2f µs/op server (user %.2f, system %.2f), %.2f µs/op generator, p50 %.0f µs, p99 %.0f µs",
			r.opsPerSec(), r.CPUus, r.UserUS, r.SysUS, r.GenCPUus, r.P50us, r.P99us)
	}
	if r.Errors > 0 {
		s += fmt.Sprintf("  [%d errors: %s]", r.Errors, r.FirstErr)
	}
	return s
}

// runOne starts the server, runs the generator against it and stops the server.
func runOne(o *runOpts, srv string, sc scenario) (result, error) {
	dir, err := os.MkdirTemp("", "wsbench-")
	if err != nil {
		return result{}, err
	}
	defer os.RemoveAll(dir)
	port, err := freePort()
	if err != nil {
		return result{}, err
	}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	workers := 1
	if sc.twoCores {
		workers = 2
	}
	cmd, err := serverCmd(o, srv, addr, dir, workers, sc.noCache)
	if err != nil {
		return result{}, err
	}
	if !sc.twoCores {
		cmd.Args = append([]string{"taskset", "-c", "1"}, cmd.Args...)
		cmd.Path, _ = exec.LookPath("taskset")
	}
	cmd.Env = append(os.Environ(), "GOMAXPROCS="+strconv.Itoa(workers))
	var serr bytes.Buffer
	cmd.Stderr = &serr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return result{}, err
	}
	defer stopServer(cmd)
	if err := waitListening(addr, 10*time.Second); err != nil {
		return result{}, fmt.Errorf("%s did not start: %w\n%s", srv, err, serr.String())
	}
	self, _ := os.Executable()
	args := []string{self, "gen", "-kind", sc.kind, "-addr", addr, "-path", "/s",
		"-conns", strconv.Itoa(sc.conns), "-inflight", strconv.Itoa(max(sc.inflight, 1)),
		"-size", strconv.Itoa(sc.size), "-pid", strconv.Itoa(cmd.Process.Pid),
		"-warmup", o.warmup.String(), "-window", o.window.String()}
	if sc.binary {
		args = append(args, "-binary")
	}
	if sc.kind == "idle" {
		// long enough for the handler's 5 s read timeout to fire (a ping per connection)
		args[len(args)-1] = max(o.window*3, 6*time.Second).String()
		args[len(args)-3] = "2s"
	}
	gen := exec.Command(args[0], args[1:]...)
	gomax := "1"
	if sc.twoCores {
		gomax = "2"
	} else {
		gen = exec.Command("taskset", append([]string{"-c", "0"}, args...)...)
	}
	gen.Env = append(os.Environ(), "GOMAXPROCS="+gomax)
	var out, gerr bytes.Buffer
	gen.Stdout, gen.Stderr = &out, &gerr
	if err := gen.Run(); err != nil {
		return result{}, fmt.Errorf("generator: %w\n%s", err, gerr.String())
	}
	var r result
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		return result{}, fmt.Errorf("generator output %q: %w", out.String(), err)
	}
	r.Server, r.Scenario = srv, sc.name
	if cmd.ProcessState != nil {
		return r, fmt.Errorf("%s exited during the run\n%s", srv, serr.String())
	}
	return r, nil
}

func serverCmd(o *runOpts, srv, addr, dir string, workers int, noCache bool) (*exec.Cmd, error) {
	switch srv {
	case "luaws", "luaws-before":
		cc := "on"
		if noCache {
			cc = "off"
		}
		bin := o.luaws
		if srv == "luaws-before" {
			bin = o.luawsBefore
		}
		return exec.Command(bin, "--listen", addr, "--location", "/s="+o.echoLua,
			"--error-log", filepath.Join(dir, "error.log"), "--workers", strconv.Itoa(workers),
			"--lua-code-cache", cc), nil
	case "gorilla":
		return exec.Command(o.gorilla, "-listen", addr), nil
	case "openresty":
		conf := nginxConf(o, addr, dir, workers, noCache)
		path := filepath.Join(dir, "nginx.conf")
		if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
			return nil, err
		}
		return exec.Command("nginx", "-p", dir, "-e", filepath.Join(dir, "error.log"), "-c", path), nil
	}
	return nil, fmt.Errorf("unknown server %q", srv)
}

func nginxConf(o *runOpts, addr, dir string, workers int, noCache bool) string {
	cc := "on"
	if noCache {
		cc = "off"
	}
	var mods string
	for _, so := range []string{"/usr/lib/nginx/modules/ndk_http_module.so", "/usr/lib/nginx/modules/ngx_http_lua_module.so"} {
		if _, err := os.Stat(so); err == nil {
			mods += "load_module " + so + ";\n"
		}
	}
	user := ""
	if os.Geteuid() == 0 {
		user = "user root;\n"
	}
	return mods + user + `worker_processes ` + strconv.Itoa(workers) + `;
daemon off;
pid ` + dir + `/nginx.pid;
error_log ` + dir + `/error.log error;
worker_rlimit_nofile ` + strconv.Itoa(o.idle+2000) + `;
events { worker_connections ` + strconv.Itoa(o.idle+1000) + `; }
http {
    access_log off;
    client_body_temp_path ` + dir + `/tmp;
    lua_package_path "` + o.restyLib + `/?.lua;;";
    lua_code_cache ` + cc + `;
    server {
        listen ` + addr + `;
        location = /s {
            lua_check_client_abort on;
            content_by_lua_file ` + o.echoLua + `;
        }
    }
}
`
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

func waitListening(addr string, d time.Duration) error {
	deadline := time.Now().Add(d)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return nil
		}
		if time.Now().After(deadline) {
			return err
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// stopServer ends the server's process group: SIGTERM (nginx's fast shutdown, luaws's
// graceful stop), then SIGKILL after 5 s.
func stopServer(cmd *exec.Cmd) {
	pg := -cmd.Process.Pid
	_ = syscall.Kill(pg, syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		_ = syscall.Kill(pg, syscall.SIGKILL)
		<-done
	}
}

// median of the values f picks from the results of srv in scenario sc.
func median(all []result, srv, sc string, f func(*result) float64) (float64, bool) {
	var v []float64
	for i := range all {
		if all[i].Server == srv && all[i].Scenario == sc {
			v = append(v, f(&all[i]))
		}
	}
	if len(v) == 0 {
		return 0, false
	}
	sort.Float64s(v)
	if len(v)%2 == 1 {
		return v[len(v)/2], true
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2, true
}
