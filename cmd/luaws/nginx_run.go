package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/luaws/luaws/errlog"
	"github.com/luaws/luaws/luabind"
	"github.com/luaws/luaws/ngxconf"
	"github.com/luaws/luaws/server"
)

// loaded is a configuration built and ready to listen.
type loaded struct {
	site    *server.NginxSite
	log     *errlog.Logger
	notices []string
	// warnings are nginx's configuration warnings: -t prints them, a start logs them
	warnings []string
	closers  []interface{ Close() error }
	// grace bounds a graceful stop (worker_shutdown_timeout; 0, nginx's default: none).
	grace time.Duration
	// workers is worker_processes.
	workers int
}

func (l *loaded) close() {
	for _, c := range l.closers {
		_ = c.Close()
	}
}

// build reads the main level, opens the logs and builds the http{} site (compiling every Lua
// chunk, running init_by_lua*).
func build(a *nginxArgs, cfg *ngxconf.Config) (*loaded, error) {
	return buildNext(a, cfg, nil)
}

// buildNext is build for a reload of prev (nil at start-up): prev's listening sockets and
// unchanged shared dicts carry over.
func buildNext(a *nginxArgs, cfg *ngxconf.Config, prev *loaded) (*loaded, error) {
	l := &loaded{workers: 1}
	notice := func(d *ngxconf.Directive, why string) {
		l.notices = append(l.notices, fmt.Sprintf("directive \"%s\" ignored (%s) in %s", d.Name, why, d.Pos()))
	}
	seen := map[string]bool{}
	tuning := func(d *ngxconf.Directive) {
		if !seen[d.Name] {
			seen[d.Name] = true
			notice(d, "tuning only, not implemented by luaws")
		}
	}
	for _, d := range cfg.Directives {
		if d.Name != "http" { // FromNginx checks the http block
			if err := ngxconf.Check([]*ngxconf.Directive{d}, tuning); err != nil {
				return nil, err
			}
		}
	}
	var http *ngxconf.Directive
	for _, d := range cfg.Directives {
		switch d.Name {
		case "http":
			if http != nil {
				return nil, &ngxconf.Error{Msg: "\"http\" directive is duplicate", File: d.File, Line: d.Line}
			}
			http = d
		case "worker_shutdown_timeout":
			if len(d.Args) == 1 {
				if t, err := server.ParseTime(d.Args[0]); err == nil {
					l.grace = t
				}
			}
		case "daemon", "master_process":
			if len(d.Args) != 1 || (d.Args[0] != "on" && d.Args[0] != "off") {
				return nil, &ngxconf.Error{Msg: fmt.Sprintf("invalid value in \"%s\" directive, it must be \"on\" or \"off\"", d.Name), File: d.File, Line: d.Line}
			}
		case "worker_processes":
			if len(d.Args) != 1 {
				return nil, &ngxconf.Error{Msg: "invalid number of arguments in \"worker_processes\" directive", File: d.File, Line: d.Line}
			}
			n, err := workerProcesses(d.Args[0])
			if err != nil {
				return nil, &ngxconf.Error{Msg: fmt.Sprintf("invalid value \"%s\" in \"worker_processes\" directive", d.Args[0]), File: d.File, Line: d.Line}
			}
			l.workers = n
		}
	}
	// The error log: the main error_log directive, else -e, else logs/error.log.
	logPath, level := a.errLog, errlog.Err
	if logPath == "" {
		logPath = a.prefix + "logs/error.log"
	}
	if d := firstMain(cfg, "error_log"); d != nil {
		if len(d.Args) < 1 || len(d.Args) > 2 {
			return nil, &ngxconf.Error{Msg: "invalid number of arguments in \"error_log\" directive", File: d.File, Line: d.Line}
		}
		logPath = d.Args[0]
		if logPath != "stderr" && !strings.HasPrefix(logPath, "syslog:") && !filepath.IsAbs(logPath) {
			logPath = a.prefix + logPath
		}
		if len(d.Args) == 2 {
			lv, err := errlog.ParseLevel(d.Args[1])
			if err != nil {
				return nil, &ngxconf.Error{Msg: fmt.Sprintf("invalid log level \"%s\"", d.Args[1]), File: d.File, Line: d.Line}
			}
			level = lv
		}
	}
	lg, err := errlog.Open(logPath, level)
	if err != nil && strings.HasPrefix(logPath, "syslog:") {
		d := firstMain(cfg, "error_log")
		return nil, &ngxconf.Error{Msg: err.Error(), File: d.File, Line: d.Line}
	}
	if err != nil {
		return nil, fmt.Errorf("open() \"%s\" failed (%s)", logPath, errnoOf(unwrapAll(err)))
	}
	if strings.HasPrefix(logPath, "syslog:") {
		// no error log is a file: nginx opens its default one too (-e, else logs/error.log)
		def := a.errLog
		if def == "" {
			def = a.prefix + "logs/error.log"
		}
		if err := lg.SetDefault(def); err != nil {
			return nil, fmt.Errorf("open() \"%s\" failed (%s)", def, errnoOf(unwrapAll(err)))
		}
	}
	l.log = lg
	l.closers = append(l.closers, lg)
	if http == nil {
		return nil, &ngxconf.Error{Msg: "no \"http\" block: luaws serves http{} servers only", File: cfg.File, Line: 1}
	}
	site, err := server.FromNginx(http, server.NginxOptions{
		Prefix:    a.prefix,
		ConfDir:   filepath.Dir(a.conf),
		Log:       lg,
		Ignored:   notice,
		Opened:    func(c interface{ Close() error }) { l.closers = append(l.closers, c) },
		Warn:      func(msg string) { l.warnings = append(l.warnings, msg) },
		Lifecycle: server.Lifecycle{Workers: l.workers, PrevDicts: prevDicts(prev)},
	})
	if err != nil {
		lg.Logf(startupLevel(err), nil, "%v", err) // nginx writes it to the error log as well
		l.close()
		return nil, err
	}
	l.site = site
	if prev != nil {
		site.Sockets = prev.site.Sockets
	}
	return l, nil
}

func unwrapAll(err error) error {
	for {
		u := errorsUnwrap(err)
		if u == nil {
			return err
		}
		err = u
	}
}

func errorsUnwrap(err error) error {
	u, ok := err.(interface{ Unwrap() error })
	if !ok {
		return nil
	}
	return u.Unwrap()
}

func firstMain(cfg *ngxconf.Config, name string) *ngxconf.Directive {
	for _, d := range cfg.Directives {
		if d.Name == name {
			return d
		}
	}
	return nil
}

// startupLevel is the level nginx reports a start-up failure at: emerg, but error for an
// init_by_lua* chunk's error.
func startupLevel(err error) int {
	var ie *luabind.InitError
	if errors.As(err, &ie) {
		return errlog.Err
	}
	return errlog.Emerg
}

// testConfig is -t / -T.
func testConfig(a *nginxArgs, cfg *ngxconf.Config, stdout, stderr io.Writer) int {
	l, err := build(a, cfg)
	if err != nil {
		fmt.Fprintf(stderr, "luaws: [%s] %v\n", errlog.LevelName(startupLevel(err)), err)
		fmt.Fprintf(stderr, "luaws: configuration file %s test failed\n", a.conf)
		return 1
	}
	l.close()
	for _, w := range l.warnings {
		fmt.Fprintf(stderr, "luaws: [warn] %s\n", w)
	}
	if !a.quiet {
		for _, n := range l.notices {
			fmt.Fprintf(stderr, "luaws: [notice] %s\n", n)
		}
		fmt.Fprintf(stderr, "luaws: the configuration file %s syntax is ok\n", a.conf)
		fmt.Fprintf(stderr, "luaws: configuration file %s test is successful\n", a.conf)
	}
	if a.dump {
		for _, f := range cfg.Files {
			b, err := os.ReadFile(f)
			if err != nil {
				continue
			}
			fmt.Fprintf(stdout, "# configuration file %s:\n%s", f, b)
			if len(b) > 0 && b[len(b)-1] != '\n' {
				fmt.Fprintln(stdout)
			}
			fmt.Fprintln(stdout)
		}
	}
	return 0
}

// signalDaemon is -s: it signals the pid in the pid file.
func signalDaemon(a *nginxArgs, cfg *ngxconf.Config, stderr io.Writer) int {
	path := pidPath(a, cfg)
	pid, err := readPid(path)
	if err != nil {
		fmt.Fprintf(stderr, "luaws: [error] %v\n", err)
		return 1
	}
	sig := map[string]syscall.Signal{"stop": syscall.SIGTERM, "quit": syscall.SIGQUIT,
		"reopen": syscall.SIGUSR1, "reload": syscall.SIGHUP}[a.signal]
	if err := syscall.Kill(pid, sig); err != nil {
		fmt.Fprintf(stderr, "luaws: [alert] kill(%d, %d) failed (%v)\n", pid, sig, err)
		return 1
	}
	return 0
}

// The daemon: the launched process re-executes itself in a new session with
// LUAWS_DAEMON_READY naming a pipe; the child reports "ok" on it once every listener is bound
// and the pid file written (or the error), and the launcher exits with that outcome.
const daemonEnv = "LUAWS_DAEMON_READY"

func isDaemonChild() bool { return os.Getenv(daemonEnv) != "" }

func launchDaemon(args []string, stderr io.Writer) int {
	exe, err := os.Executable()
	if err != nil {
		fmt.Fprintf(stderr, "luaws: [emerg] cannot find the luaws executable: %v\n", err)
		return 1
	}
	pr, pw, err := os.Pipe()
	if err != nil {
		fmt.Fprintf(stderr, "luaws: [emerg] pipe: %v\n", err)
		return 1
	}
	devnull, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		fmt.Fprintf(stderr, "luaws: [emerg] open %s: %v\n", os.DevNull, err)
		return 1
	}
	cmd := exec.Command(exe, args...)
	cmd.Env = append(os.Environ(), daemonEnv+"=3")
	cmd.Stdin, cmd.Stdout, cmd.Stderr = devnull, devnull, devnull
	cmd.ExtraFiles = []*os.File{pw}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		fmt.Fprintf(stderr, "luaws: [emerg] start the daemon: %v\n", err)
		return 1
	}
	pw.Close()
	devnull.Close()
	msg, _ := io.ReadAll(bufio.NewReader(pr))
	pr.Close()
	if strings.TrimSpace(string(msg)) == "ok" {
		_ = cmd.Process.Release()
		return 0
	}
	_ = cmd.Wait()
	if len(msg) == 0 {
		msg = []byte("luaws: [emerg] the daemon exited during start-up\n")
	}
	stderr.Write(msg)
	return 1
}

// runDaemonChild is the detached process: it reports start-up to the launcher on fd 3.
func runDaemonChild(a *nginxArgs, cfg *ngxconf.Config, _ io.Writer) int {
	os.Unsetenv(daemonEnv)
	ready := os.NewFile(3, "ready")
	var buf strings.Builder
	rc := serveNginx(a, cfg, &buf, func() {
		fmt.Fprintln(ready, "ok")
		ready.Close()
		ready = nil
	})
	if ready != nil {
		io.WriteString(ready, buf.String())
		ready.Close()
	}
	return rc
}

// serveNginx builds the configuration, listens, writes the pid file, calls started (the
// daemon's readiness report) and serves until a stop signal.
func serveNginx(a *nginxArgs, cfg *ngxconf.Config, stderr io.Writer, started func()) int {
	l, err := build(a, cfg)
	if err != nil {
		level := startupLevel(err)
		fmt.Fprintf(stderr, "luaws: [%s] %v\n", errlog.LevelName(level), err)
		if l != nil {
			l.log.Logf(level, nil, "%v", err)
		}
		return 1
	}
	for _, w := range l.warnings {
		l.log.Log(errlog.Warn, nil, w)
	}
	for _, n := range l.notices {
		l.log.Log(errlog.Notice, nil, n)
	}
	if err := l.site.Listen(); err != nil {
		fmt.Fprintf(stderr, "luaws: [emerg] %v\n", err)
		l.log.Logf(errlog.Emerg, nil, "%v", err)
		l.close()
		return 1
	}
	pidFile := pidPath(a, cfg)
	if pidFile != "" {
		if err := os.WriteFile(pidFile, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644); err != nil {
			fmt.Fprintf(stderr, "luaws: [emerg] open() \"%s\" failed (%s)\n", pidFile, errnoOf(err))
			l.site.Close()
			l.close()
			return 1
		}
	}
	removePid := func() {
		if pidFile != "" {
			_ = os.Remove(pidFile)
		}
	}
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGQUIT, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP, syscall.SIGUSR1, syscall.SIGPIPE)
	defer signal.Stop(sigs)

	cur := l
	serveErr := make(chan error, 1)
	serve := func(x *loaded) {
		go func() { serveErr <- x.site.Serve() }()
	}
	serve(cur)
	l.log.Logf(errlog.Notice, nil, "luaws %s (nginx %s) started, pid %d", version, nginxVersion, os.Getpid())
	if started != nil {
		started()
	}
	for {
		select {
		case err := <-serveErr:
			if err != nil {
				cur.log.Logf(errlog.Alert, nil, "%v", err)
				cur.site.Close()
				removePid()
				cur.close()
				return 1
			}
			// a site stopped after a reload: keep waiting for signals
		case s := <-sigs:
			switch s {
			case syscall.SIGPIPE:
			case syscall.SIGUSR1:
				cur.log.Log(errlog.Notice, nil, "reopening logs")
				reopen(cur)
			case syscall.SIGHUP:
				cur.log.Log(errlog.Notice, nil, "signal 1 (SIGHUP) received, reconfiguring")
				next, err := reload(a, cur)
				if err != nil {
					cur.log.Logf(startupLevel(err), nil, "%v", err)
					continue
				}
				cur = next
				serve(cur)
			case syscall.SIGQUIT:
				cur.log.Log(errlog.Notice, nil, "signal 3 (SIGQUIT) received, shutting down")
				ctx, cancel := graceContext(cur.grace)
				_ = cur.site.Shutdown(ctx)
				cancel()
				cur.site.Close()
				cur.site.Sockets.Close()
				cur.log.Log(errlog.Notice, nil, "exit")
				removePid()
				cur.close()
				return 0
			default: // TERM, INT
				cur.log.Logf(errlog.Notice, nil, "signal %d (%s) received, exiting", s.(syscall.Signal), sigName(s))
				cur.site.Close()
				cur.site.Sockets.Close()
				cur.log.Log(errlog.Notice, nil, "exit")
				removePid()
				cur.close()
				return 0
			}
		}
	}
}

func sigName(s os.Signal) string {
	switch s {
	case syscall.SIGTERM:
		return "SIGTERM"
	case syscall.SIGINT:
		return "SIGINT"
	}
	return s.String()
}

func reopen(l *loaded) {
	for _, c := range l.closers {
		if r, ok := c.(interface{ Reopen() error }); ok {
			if err := r.Reopen(); err != nil {
				l.log.Logf(errlog.Alert, nil, "%v", err)
			}
		}
	}
}

// reload re-reads the configuration. On success the new one takes over the listening
// sockets (they stay bound: nothing is refused meanwhile) and serves every new connection,
// while the old one shuts down gracefully as nginx's old workers do: its requests and
// websockets run to their end on the code they started with (up to
// worker_shutdown_timeout). On failure — a syntax error in the configuration or in a Lua
// file, a port that cannot be bound — the old configuration keeps serving.
func reload(a *nginxArgs, old *loaded) (*loaded, error) {
	cfg, err := loadConfig(a)
	if err != nil {
		return nil, err
	}
	next, err := buildNext(a, cfg, old)
	if err != nil {
		return nil, err
	}
	if err := next.site.Listen(); err != nil {
		next.close()
		return nil, err
	}
	for _, n := range next.notices {
		next.log.Log(errlog.Notice, nil, n)
	}
	go func() {
		ctx, cancel := graceContext(old.grace)
		defer cancel()
		_ = old.site.Shutdown(ctx)
		old.close()
	}()
	return next, nil
}
