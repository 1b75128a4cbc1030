package main

import (
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/luaws/luaws/errlog"
	"github.com/luaws/luaws/luabind/shdict"
	"github.com/luaws/luaws/server"
)

// options are luaws's command-line settings.
type options struct {
	server   server.Options
	errorLog string
	logLevel string
	version  bool
	pprof    string // --pprof ADDR: net/http/pprof on its own listener (pprof.go)
}

type locationList []server.Location

func (l *locationList) String() string { return "" }

func (l *locationList) Set(v string) error {
	path, script, ok := strings.Cut(v, "=")
	if !ok || !strings.HasPrefix(path, "/") || script == "" {
		return fmt.Errorf("want PATH=SCRIPT with PATH starting with /, got %q", v)
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

const usage = `luaws serves Lua WebSocket handlers written for OpenResty (lua-resty-websocket), without nginx.

Usage:
  luaws [flags]

With no --location, luaws serves the demo of the "WebSockets with OpenResty" blog post:
its echo handler at ws://HOST:PORT/s and its page at http://HOST:PORT/websockets.html.

Flags:
  --listen ADDR           address to listen on (default 127.0.0.1:8080)
  --location PATH=SCRIPT  serve the Lua handler SCRIPT at exactly PATH, as nginx's
                          "location = PATH { content_by_lua_file SCRIPT; }" (repeatable)
  --root DIR              serve static files from DIR (nginx's root); default: the demo page
  --lua-path PATH         lua_package_path: ";"-separated templates, ";;" = the default path
  --shared-dict NAME=SIZE a lua_shared_dict, e.g. dogs=10m (repeatable)
  --lua-code-cache on|off lua_code_cache: "on" (default) runs every request of a worker in one
                          shared Lua state, as OpenResty does; "off" gives each its own
  --workers N             worker_processes: how many shared Lua states (default 1)
  --check-client-abort on|off
                          lua_check_client_abort (default on, as in the blog post's location)
  --error-log FILE        error log file (default: standard error)
  --log-level LEVEL       debug, info, notice, warn, error (default), crit, alert or emerg
  --so-keepalive VALUE    TCP keepalive on accepted connections, nginx syntax:
                          on, off or [keepidle]:[keepintvl]:[keepcnt], e.g. 2s:2s:8
  --tls-cert FILE         serve https/wss with this certificate (PEM) ...
  --tls-key FILE          ... and this private key (PEM)
  --pprof ADDR            serve net/http/pprof on ADDR (its own listener), to profile a
                          running server: go tool pprof http://ADDR/debug/pprof/profile
  --version               print luaws's version and exit
  --help                  print this help and exit
`

func parseFlags(args []string, stdout, stderr io.Writer) (*options, error) {
	o := &options{}
	fs := flag.NewFlagSet("luaws", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stdout, usage) }
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
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q (see --help)", fs.Arg(0))
	}
	if (so.TLSCert == "") != (so.TLSKey == "") {
		return nil, fmt.Errorf("--tls-cert and --tls-key go together")
	}
	if _, err := errlog.ParseLevel(o.logLevel); err != nil {
		return nil, err
	}
	so.Locations, so.SharedDicts = locs, dicts
	so.CodeCacheOff, so.CheckClientAbort = !codeCache.v, abort.v
	if so.Workers < 1 {
		return nil, fmt.Errorf("--workers must be at least 1")
	}
	return o, nil
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
