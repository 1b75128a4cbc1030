package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/luaws/luaws/errlog"
	"github.com/luaws/luaws/luabind"
	"github.com/luaws/luaws/luabind/shdict"
	"github.com/luaws/luaws/server"
)

// options are luaws's command-line settings.
type options struct {
	server    server.Options
	errorLog  string
	logLevel  string
	accessLog string
	version   bool
	metrics   string // --metrics ADDR (metrics.go)
	// shutdownTimeout bounds a graceful stop (SIGQUIT): worker_shutdown_timeout.
	shutdownTimeout time.Duration
	pprof           string // --pprof ADDR: net/http/pprof on its own listener (pprof.go)
}

type locationList []server.Location

func (l *locationList) String() string { return "" }

func (l *locationList) Set(v string) error {
	path, script, ok := strings.Cut(v, "=")
	switch {
	case !ok:
		return fmt.Errorf("%q has no =SCRIPT: want PATH=SCRIPT, e.g. %s=scripts/echo.lua", v, v)
	case !strings.HasPrefix(path, "/"):
		return fmt.Errorf("PATH %q must start with /: want PATH=SCRIPT, e.g. /s=scripts/echo.lua", path)
	case script == "":
		return fmt.Errorf("no SCRIPT after %s=: want PATH=SCRIPT, e.g. %s=scripts/echo.lua", path, path)
	}
	for _, l := range *l {
		if l.Path == path {
			return fmt.Errorf("%s is given twice (%s and %s): one handler per path, as nginx's duplicate location", path, l.Script, script)
		}
	}
	*l = append(*l, server.Location{Path: path, Script: script})
	return nil
}

type dictList []server.SharedDict

func (l *dictList) String() string { return "" }

func (l *dictList) Set(v string) error {
	name, size, ok := strings.Cut(v, "=")
	if !ok || name == "" {
		return fmt.Errorf("want NAME=SIZE, got %q", v)
	}
	n, err := shdict.ParseSize(size)
	if err != nil {
		return err
	}
	*l = append(*l, server.SharedDict{Name: name, Size: n})
	return nil
}

func parseFlags(args []string, stdout, stderr io.Writer) (*options, error) {
	o := &options{}
	fs := quietFlagSet("luaws")
	var locs locationList
	var dicts dictList
	so := &o.server
	fs.StringVar(&so.Listen, "listen", "127.0.0.1:8080", "")
	fs.Var(&locs, "location", "")
	fs.StringVar(&so.Root, "root", "", "")
	fs.StringVar(&so.LuaPath, "lua-path", "", "")
	fs.Var(&dicts, "shared-dict", "")
	fs.StringVar(&o.errorLog, "error-log", "", "")
	fs.StringVar(&o.logLevel, "log-level", "error", "")
	fs.StringVar(&o.accessLog, "access-log", "", "")
	memLimit := sizeFlag{}
	fs.Var(&memLimit, "lua-memory-limit", "")
	fs.Var(&so.KeepAlive, "so-keepalive", "")
	fs.StringVar(&so.TLSCert, "tls-cert", "", "")
	fs.StringVar(&so.TLSKey, "tls-key", "", "")
	fs.BoolVar(&o.version, "version", false, "")
	fs.StringVar(&o.pprof, "pprof", "", "")
	codeCache := onOff{v: true}
	abort := onOff{v: true}
	fs.Var(&codeCache, "lua-code-cache", "")
	fs.Var(&abort, "check-client-abort", "")
	fs.IntVar(&so.Workers, "workers", 1, "")
	fs.BoolVar(&so.WebSocket.Compression, "ws-compression", false, "")
	fs.BoolVar(&so.WebSocket.Strict, "ws-strict", false, "")
	fs.StringVar(&o.metrics, "metrics", "", "")
	lifecycleFlags(fs, o)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stdout, usage)
			return nil, err
		}
		return nil, flagError(err)
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q (flags start with --)", fs.Arg(0))
	}
	if (so.TLSCert == "") != (so.TLSKey == "") {
		return nil, fmt.Errorf("--tls-cert and --tls-key go together")
	}
	if _, err := errlog.ParseLevel(o.logLevel); err != nil {
		return nil, err
	}
	so.Locations, so.SharedDicts = locs, dicts
	so.MemoryLimit = memLimit.n
	if o.metrics != "" {
		so.Stats = &luabind.Stats{}
	}
	so.CodeCacheOff, so.CheckClientAbort = !codeCache.v, abort.v
	if so.Workers < 1 {
		return nil, fmt.Errorf("--workers must be at least 1")
	}
	return o, nil
}

// sizeFlag is an nginx size ("64m", "512k", "1g" or bytes).
type sizeFlag struct{ n int64 }

func (f *sizeFlag) String() string { return strconv.FormatInt(f.n, 10) }

func (f *sizeFlag) Set(s string) error {
	n, err := shdict.ParseSize(s)
	if err != nil {
		return err
	}
	f.n = n
	return nil
}

// onOff is an nginx-style on/off flag.
type onOff struct{ v bool }

func (f *onOff) String() string {
	if f.v {
		return "on"
	}
	return "off"
}

func (f *onOff) Set(s string) error {
	switch s {
	case "on":
		f.v = true
	case "off":
		f.v = false
	default:
		return fmt.Errorf("want on or off, got %q", s)
	}
	return nil
}
