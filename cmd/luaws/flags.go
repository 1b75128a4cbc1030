package main

import (
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// options are luaws's command-line settings.
type options struct {
	listen      string
	locations   []location
	root        string
	luaPath     string
	errorLog    string
	logLevel    string
	keepalive   keepalive
	tlsCert     string
	tlsKey      string
	sharedDicts []string
	version     bool
}

// location maps an exact request path to a handler script (nginx's "location = PATH").
type location struct {
	path, script string
}

type locationList []location

func (l *locationList) String() string { return "" }

func (l *locationList) Set(v string) error {
	path, script, ok := strings.Cut(v, "=")
	if !ok || !strings.HasPrefix(path, "/") || script == "" {
		return fmt.Errorf("want PATH=SCRIPT with PATH starting with /, got %q", v)
	}
	*l = append(*l, location{path: path, script: script})
	return nil
}

type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, ",") }
func (l *stringList) Set(v string) error { *l = append(*l, v); return nil }

// keepalive is nginx's so_keepalive: "on", "off" or "[keepidle]:[keepintvl]:[keepcnt]".
type keepalive struct {
	set         bool
	on          bool
	idle, intvl time.Duration
	count       int
	text        string
}

func (k *keepalive) String() string { return k.text }

func (k *keepalive) Set(v string) error {
	*k = keepalive{set: true, text: v}
	switch v {
	case "on":
		k.on = true
		return nil
	case "off":
		return nil
	}
	parts := strings.Split(v, ":")
	if len(parts) != 3 {
		return fmt.Errorf("invalid so_keepalive value %q: want on, off or [keepidle]:[keepintvl]:[keepcnt]", v)
	}
	k.on = true
	var err error
	if parts[0] != "" {
		if k.idle, err = nginxTime(parts[0]); err != nil {
			return fmt.Errorf("invalid so_keepalive keepidle %q: %w", parts[0], err)
		}
	}
	if parts[1] != "" {
		if k.intvl, err = nginxTime(parts[1]); err != nil {
			return fmt.Errorf("invalid so_keepalive keepintvl %q: %w", parts[1], err)
		}
	}
	if parts[2] != "" {
		if k.count, err = strconv.Atoi(parts[2]); err != nil || k.count <= 0 {
			return fmt.Errorf("invalid so_keepalive keepcnt %q", parts[2])
		}
	}
	return nil
}

// nginxTime parses nginx's time syntax: "30", "30s", "2m", "1h30m", "500ms".
func nginxTime(s string) (time.Duration, error) {
	if n, err := strconv.Atoi(s); err == nil && n >= 0 {
		return time.Duration(n) * time.Second, nil
	}
	units := map[string]time.Duration{"ms": time.Millisecond, "s": time.Second, "m": time.Minute,
		"h": time.Hour, "d": 24 * time.Hour, "w": 7 * 24 * time.Hour, "M": 30 * 24 * time.Hour,
		"y": 365 * 24 * time.Hour}
	var total time.Duration
	rest := s
	for rest != "" {
		i := 0
		for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
			i++
		}
		if i == 0 {
			return 0, fmt.Errorf("bad time %q", s)
		}
		n, _ := strconv.Atoi(rest[:i])
		rest = rest[i:]
		j := 0
		for j < len(rest) && (rest[j] < '0' || rest[j] > '9') {
			j++
		}
		u, ok := units[rest[:j]]
		if !ok {
			return 0, fmt.Errorf("bad time unit in %q", s)
		}
		total += time.Duration(n) * u
		rest = rest[j:]
	}
	return total, nil
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
  --error-log FILE        error log file (default: standard error)
  --log-level LEVEL       debug, info, notice, warn, error (default), crit, alert or emerg
  --so-keepalive VALUE    TCP keepalive on accepted connections, nginx syntax:
                          on, off or [keepidle]:[keepintvl]:[keepcnt], e.g. 2s:2s:8
  --tls-cert FILE         serve https/wss with this certificate (PEM) ...
  --tls-key FILE          ... and this private key (PEM)
  --version               print luaws's version and exit
  --help                  print this help and exit
`

func parseFlags(args []string, stdout, stderr io.Writer) (*options, error) {
	o := &options{}
	fs := flag.NewFlagSet("luaws", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stdout, usage) }
	var locs locationList
	var dicts stringList
	fs.StringVar(&o.listen, "listen", "127.0.0.1:8080", "")
	fs.Var(&locs, "location", "")
	fs.StringVar(&o.root, "root", "", "")
	fs.StringVar(&o.luaPath, "lua-path", "", "")
	fs.Var(&dicts, "shared-dict", "")
	fs.StringVar(&o.errorLog, "error-log", "", "")
	fs.StringVar(&o.logLevel, "log-level", "error", "")
	fs.Var(&o.keepalive, "so-keepalive", "")
	fs.StringVar(&o.tlsCert, "tls-cert", "", "")
	fs.StringVar(&o.tlsKey, "tls-key", "", "")
	fs.BoolVar(&o.version, "version", false, "")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q (see --help)", fs.Arg(0))
	}
	if (o.tlsCert == "") != (o.tlsKey == "") {
		return nil, fmt.Errorf("--tls-cert and --tls-key go together")
	}
	o.locations, o.sharedDicts = locs, dicts
	return o, nil
}
