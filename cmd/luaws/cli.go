package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/luaws/luaws/server"
)

// usage is `luaws --help` (and `luaws -h`): every way to run luaws.
const usage = `luaws serves Lua WebSocket handlers written for OpenResty (lua-resty-websocket), without nginx.

Usage:
  luaws [flags]                        serve handlers named by flags (below)
  luaws -p PREFIX/ -c conf/nginx.conf  serve an OpenResty nginx.conf, as nginx does (nginx mode, below)
  luaws test [options] [paths...]      run busted-style Lua specs against live handlers (luaws test --help)
  luaws run SCRIPT [args...]           run a Lua script as a program, as OpenResty's resty does (luaws run --help)

With no --location and no --root, luaws serves the demo of the "WebSockets with OpenResty" blog post:
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
  --lua-memory-limit SIZE cap on any one string a Lua state builds (string.rep, .., table.concat,
                          string.format, ngx.say), e.g. 64m: past it the call fails with
                          "not enough memory" (default: only LuaJIT's own 2 GiB string limit)
  --ws-compression        offer permessage-deflate on every server:new (opt-in extension)
  --ws-strict             check UTF-8 and close codes of received frames (opt-in extension)
  --metrics ADDR          serve Prometheus metrics at http://ADDR/metrics
  --error-log FILE        error log file (default: standard error)
  --log-level LEVEL       debug, info, notice, warn, error (default), crit, alert or emerg
  --access-log FILE       write a line per request to FILE, in nginx's "combined" format
  --so-keepalive VALUE    TCP keepalive on accepted connections, nginx syntax:
                          on, off or [keepidle]:[keepintvl]:[keepcnt], e.g. 2s:2s:8
  --shutdown-timeout T    worker_shutdown_timeout: how long a graceful stop (SIGQUIT) waits
                          for handlers before closing websockets with 1001 (default 0:
                          wait for the last one, as nginx); SIGTERM/SIGINT stop at once
  --lua-max-run-time T    lua_max_running_time: abort a request whose Lua runs longer than T
                          (e.g. 100ms) without yielding (default: no bound)
  --allowed-origins LIST  comma-separated origins (https://example.com) a browser's websocket
                          handshake may come from; others get 403 (default: any)
  --pprof ADDR            serve net/http/pprof on ADDR (its own listener), to profile a
                          running server: go tool pprof http://ADDR/debug/pprof/profile
  --tls-cert FILE         serve https/wss with this certificate (PEM) ...
  --tls-key FILE          ... and this private key (PEM)
  --version               print the versions of luaws, Go and gopher-lua, and exit
  -h, --help              print this help and exit

nginx mode (nginx's own command line; luaws reads the http{} part of the configuration):
  -p PREFIX               prefix path (default: the current directory)
  -c FILE                 configuration file (default: conf/nginx.conf under the prefix)
  -e FILE                 error log (default: logs/error.log under the prefix)
  -g DIRECTIVES           global directives, e.g. -g "daemon off;"
  -t, -T                  test the configuration (-T: and print it), then exit; -q: errors only
  -s SIGNAL               signal the running luaws (from its pid file): stop, quit, reload, reopen
  -v, -V                  print the nginx version luaws stands in for (-V: and how it was built)

Exit status: 0 on success, 1 when luaws cannot start (or stops on an error), 2 on bad usage.
`

// isHelp reports whether args only ask for help: `luaws -h` is the same as `luaws --help`
// (nginx's -h and -? with other nginx options still print nginx's own usage).
func isHelp(args []string) bool {
	if len(args) == 0 {
		return false
	}
	for _, a := range args {
		switch a {
		case "-h", "--help", "-help", "-?":
		default:
			return false
		}
	}
	return true
}

// usageError reports a command-line mistake as one line and a hint, on stderr; the caller
// exits with status 2.
func usageError(stderr io.Writer, cmd string, err error) int {
	fmt.Fprintf(stderr, "%s: %v\n", cmd, err)
	fmt.Fprintf(stderr, "Run '%s --help' for usage.\n", cmd)
	return 2
}

// flagError words the flag package's complaints as a person would read them.
func flagError(err error) error {
	msg := err.Error()
	switch {
	case strings.HasPrefix(msg, "flag provided but not defined: "):
		return fmt.Errorf("unknown flag %s", strings.TrimPrefix(msg, "flag provided but not defined: "))
	case strings.HasPrefix(msg, "flag needs an argument: "):
		return fmt.Errorf("flag %s needs a value", strings.TrimPrefix(msg, "flag needs an argument: "))
	case strings.HasPrefix(msg, "invalid value ") && strings.Contains(msg, " for flag -"):
		// invalid value "V" for flag -name: why
		rest := msg[strings.Index(msg, " for flag -")+len(" for flag -"):]
		name, why, _ := strings.Cut(rest, ": ")
		return fmt.Errorf("--%s: %s", name, why)
	}
	return errors.New(msg)
}

// quietFlagSet is a flag set that prints nothing itself: errors come back to the caller.
func quietFlagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return fs
}

// startupLine is what flag mode prints when it starts: where it listens and what it serves.
func startupLine(url string, locs []server.Location, root string) string {
	var parts []string
	for _, l := range locs {
		switch {
		case l.Script != "":
			parts = append(parts, l.Path+" = "+l.Script)
		case l.Chunkname != "":
			parts = append(parts, l.Path+" = "+l.Chunkname+" (embedded)")
		default:
			parts = append(parts, l.Path+" (embedded page)")
		}
	}
	if root != "" {
		parts = append(parts, "/ = files from "+root)
	}
	return "luaws " + version + " listening on " + url + ": " + strings.Join(parts, ", ") + "\n"
}
